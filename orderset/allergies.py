"""Allergy screening, applied by the engine to every plugin's orders.

An allergy whose substance names an ordered drug's generic name or one of its classes (whole
words, plural allowed, case-insensitive: "Tocilizumab (Actemra)" matches tocilizumab and
"corticosteroids" the class corticosteroid) removes the order and
raises a critical alert naming both, so no plugin can forget to check.
"""

from __future__ import annotations

import re

from orderset.model import Alert, Allergy, Order

#: Brand names recorded as allergies ("Actemra", "Tamiflu") must catch the generic order too.
#: Product names, not clinical numbers; a site adds its own through `Order.drug_classes`.
BRAND_NAMES: dict[str, tuple[str, ...]] = {
    "methylprednisolone": ("Solu-Medrol", "Medrol", "A-Methapred"),
    "tocilizumab": ("Actemra", "RoActemra", "Tofidence", "Tyenne"),
    "immune globulin": (
        "Privigen",
        "Gamunex-C",
        "Gammagard",
        "Octagam",
        "Panzyga",
        "Flebogamma",
        "Gammaplex",
        "Bivigam",
        "Asceniv",
        "IVIG",
        "IGIV",
    ),
    "oseltamivir": ("Tamiflu",),
    "peramivir": ("Rapivab",),
    "lorazepam": ("Ativan",),
    "midazolam": ("Versed", "Seizalam"),
    "levetiracetam": ("Keppra",),
    "fosphenytoin": ("Cerebyx", "Sesquient"),
    "mannitol": ("Osmitrol",),
    "anakinra": ("Kineret",),
}


def _word_forms(name: str) -> str:
    """A regex for the name and its plurals: antibody/antibodies, steroid/steroids."""
    name = name.lower()
    forms = [re.escape(name) + "(?:e?s)?"]
    if name.endswith("y"):
        forms.append(re.escape(name[:-1]) + "ies")
    return "|".join(forms)


def _matches(allergy: Allergy, names: tuple[str, ...]) -> str | None:
    text = allergy.substance.lower()
    for name in names:
        if re.search(rf"(?<![a-z])(?:{_word_forms(name)})(?![a-z])", text):
            return name
    return None


def screen(
    orders: list[Order], allergies: tuple[Allergy, ...] | None
) -> tuple[list[Order], list[Alert]]:
    """The orders that pass, and an alert for each order removed."""
    if not allergies:
        return orders, []
    kept, alerts = [], []
    for order in orders:
        if order.kind != "medication" or not order.drug:
            kept.append(order)
            continue
        names = (order.drug, *BRAND_NAMES.get(order.drug, ()), *order.drug_classes)
        hit = next(((a, m) for a in allergies if (m := _matches(a, names))), None)
        if hit is None:
            kept.append(order)
            continue
        allergy, matched = hit
        reaction = f" (reaction: {allergy.reaction})" if allergy.reaction else ""
        if matched == order.drug:
            via = ""
        elif matched in BRAND_NAMES.get(order.drug, ()):
            via = f" ({matched} is {order.drug})"
        else:
            via = f" ({order.drug} is a {matched})"
        alerts.append(
            Alert(
                id=f"ALLERGY-{order.id}",
                severity="critical",
                rule_id=order.rule_id,
                order_id=order.id,
                text=(
                    f"Allergy to {allergy.substance}{reaction}: {order.drug} order {order.id}"
                    f" was not ordered{via}. Choose an alternative with the prescriber."
                ),
            )
        )
    return kept, alerts
