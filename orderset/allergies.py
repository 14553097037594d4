"""Allergy screening, applied by the engine to every plugin's orders.

Every recorded allergy is read against a reviewed synonym table (`DRUGS`: generic names,
spellings, brands, common classes and lay words per drug; `CLASS_WORDS`: how classes are
written) after the same normalisation as ALERT-1 (`orderset.textnorm`: NFKC, invisible
characters removed, case, spaces and hyphens folded), so "SoluMedrol", "methyl
prednisolone", "steroids", "IL-6 inhibitor", "benzos", "Dilantin" and "Gamunex" are all read.
A substance that mixes Latin with Cyrillic or Greek look-alike letters is refused
(`check_substance`, an `InputError` naming `patient.allergies[N].substance`), never guessed.

An order is removed, with a critical alert naming the allergy and why, when the allergy names:
its drug (generic, spelling or brand); one of its classes (the order's own `drug_classes` or the
table's); or another drug of the same cross-reactive class ("Tamiflu" removes peramivir: both
neuraminidase inhibitors). A pharmacist treats a same-class allergy like a direct one until the
prescriber decides otherwise, so the order is removed and the alert says to choose with the
prescriber; it is never silently kept. An allergy that the table and the orders cannot read at
all raises one info alert listing it ("check by hand"), so an unread entry is never silent.

Sources of the table: the FDA/NIH DailyMed labels of the products named (brand names; the
Established Pharmacologic Class of each generic), the project's former brand table, and the
red-team spellings of "Safety hardening 2" item 4. Names, not clinical numbers; extend it, never
shorten it. A site plugin's classes reach screening through `Order.drug_classes`.
"""

from __future__ import annotations

from functools import lru_cache

from attrs import frozen

from orderset.errors import InputError
from orderset.model import Alert, Allergy, Order
from orderset.textnorm import mixed_script, words


@frozen
class DrugTerms:
    """What an allergy entry may call one drug, and the classes it cross-reacts within."""

    #: Other generic spellings, brands, abbreviations and lay words for this drug itself.
    names: tuple[str, ...] = ()
    #: Classes (keys of `CLASS_WORDS`) within which an allergy to one drug removes the others.
    classes: tuple[str, ...] = ()


#: Cross-reactive classes and the words an allergy list uses for each (plural forms are
#: matched automatically: "steroids", "benzos", "immunoglobulins").
CLASS_WORDS: dict[str, tuple[str, ...]] = {
    "corticosteroid": (
        "corticosteroid",
        "glucocorticoid",
        "steroid",
        "corticoid",
        "systemic steroid",
    ),
    "interleukin-6 inhibitor": (
        "interleukin-6 inhibitor",
        "interleukin 6 inhibitor",
        "IL-6 inhibitor",
        "IL6 inhibitor",
        "anti-IL-6",
        "IL-6 blocker",
        "interleukin-6 receptor antagonist",
        "IL-6 receptor antagonist",
        "IL-6R antagonist",
        "IL-6 receptor inhibitor",
        "anti-IL-6 receptor antibody",
    ),
    "interleukin-1 inhibitor": (
        "interleukin-1 inhibitor",
        "IL-1 inhibitor",
        "IL1 inhibitor",
        "interleukin-1 receptor antagonist",
        "IL-1 receptor antagonist",
        "IL-1RA",
        "anti-IL-1",
    ),
    "immune globulin": (
        "immune globulin",
        "immunoglobulin",
        "gamma globulin",
        "gammaglobulin",
        "IVIG",
        "IGIV",
        "IV IG",
        "IV immunoglobulin",
        "intravenous immunoglobulin",
        "human immunoglobulin G",
        "human normal immunoglobulin",
    ),
    "neuraminidase inhibitor": (
        "neuraminidase inhibitor",
        "NA inhibitor",
        "NAI",
        "flu antiviral",
        "influenza antiviral",
    ),
    "benzodiazepine": ("benzodiazepine", "benzo", "benzodiazapine", "BZD"),
    "hydantoin": ("hydantoin", "phenytoin-type anticonvulsant"),
    "osmotic diuretic": ("osmotic diuretic",),
}

#: The reviewed synonym table, by lowercase generic name (the `Order.drug` of built-in orders,
#: plus drugs commonly written on allergy lists that share a class with one of them).
DRUGS: dict[str, DrugTerms] = {
    # corticosteroids (MP-1, MP-2)
    "methylprednisolone": DrugTerms(
        (
            "methyl prednisolone",
            "methylpred",
            "Solu-Medrol",
            "SoluMedrol",
            "Medrol",
            "Depo-Medrol",
            "A-Methapred",
        ),
        ("corticosteroid",),
    ),
    "prednisolone": DrugTerms(
        ("Orapred", "Pediapred", "Millipred", "Prelone"), ("corticosteroid",)
    ),
    "prednisone": DrugTerms(("Deltasone", "Rayos"), ("corticosteroid",)),
    "dexamethasone": DrugTerms(("Decadron",), ("corticosteroid",)),
    "hydrocortisone": DrugTerms(("Solu-Cortef", "Cortef", "A-Hydrocort"), ("corticosteroid",)),
    # interleukin-6 inhibitors (TCZ-1)
    "tocilizumab": DrugTerms(
        ("Actemra", "RoActemra", "Tofidence", "Tyenne", "Avtozma", "TCZ"),
        ("interleukin-6 inhibitor",),
    ),
    "sarilumab": DrugTerms(("Kevzara",), ("interleukin-6 inhibitor",)),
    "siltuximab": DrugTerms(("Sylvant",), ("interleukin-6 inhibitor",)),
    "satralizumab": DrugTerms(("Enspryng",), ("interleukin-6 inhibitor",)),
    # interleukin-1 inhibitors (ESC-2)
    "anakinra": DrugTerms(("Kineret",), ("interleukin-1 inhibitor",)),
    "canakinumab": DrugTerms(("Ilaris",), ("interleukin-1 inhibitor",)),
    "rilonacept": DrugTerms(("Arcalyst",), ("interleukin-1 inhibitor",)),
    # immune globulin (IVIG-1)
    "immune globulin": DrugTerms(
        (
            "Privigen",
            "Gamunex",
            "Gamunex-C",
            "Gammaked",
            "Gammagard",
            "Gammagard Liquid",
            "Gammagard S/D",
            "Gammaplex",
            "Octagam",
            "Panzyga",
            "Flebogamma",
            "Flebogamma DIF",
            "Bivigam",
            "Asceniv",
            "Carimune",
            "Yimmugo",
            "Alyglo",
        ),
        ("immune globulin",),
    ),
    # neuraminidase inhibitors (OSE-1, OSE-2)
    "oseltamivir": DrugTerms(("Tamiflu", "Ebilfumin"), ("neuraminidase inhibitor",)),
    "peramivir": DrugTerms(("Rapivab", "Rapiacta", "Alpivab"), ("neuraminidase inhibitor",)),
    "zanamivir": DrugTerms(("Relenza",), ("neuraminidase inhibitor",)),
    "laninamivir": DrugTerms(("Inavir",), ("neuraminidase inhibitor",)),
    # benzodiazepines (SEIZ-1)
    "lorazepam": DrugTerms(("Ativan", "Loreev"), ("benzodiazepine",)),
    "midazolam": DrugTerms(("Versed", "Seizalam", "Nayzilam", "Buccolam"), ("benzodiazepine",)),
    "diazepam": DrugTerms(("Valium", "Diastat", "Valtoco"), ("benzodiazepine",)),
    "clonazepam": DrugTerms(("Klonopin", "Rivotril"), ("benzodiazepine",)),
    "alprazolam": DrugTerms(("Xanax",), ("benzodiazepine",)),
    # hydantoins (SEIZ-1): fosphenytoin is a prodrug of phenytoin
    "fosphenytoin": DrugTerms(("Cerebyx", "Sesquient"), ("hydantoin",)),
    "phenytoin": DrugTerms(("Dilantin", "Phenytek", "Epanutin"), ("hydantoin",)),
    # levetiracetam (SEIZ-1): no cross-reactive class listed ("anti-epileptic agent" is not one)
    "levetiracetam": DrugTerms(("Keppra", "Spritam", "Elepsia", "Roweepra")),
    # osmotic diuretics (ICP-1)
    "mannitol": DrugTerms(("Osmitrol",), ("osmotic diuretic",)),
}


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    return tuple(words(text))


@lru_cache(maxsize=4096)
def _key(text: str) -> str:
    """A name as matched: its normalised words joined ("Solu-Medrol" -> "solumedrol")."""
    return "".join(_words(text))


@lru_cache(maxsize=1024)
def _keys(names: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in names:
        out.setdefault(_key(name), name)
    return out


def _singulars(word: str) -> set[str]:
    forms = {word}
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    return forms


def _named(text: str, keys: dict[str, str]) -> str | None:
    """The first name (of `keys`, from `_keys`) that `text` names as whole words, after
    normalisation. Spaces and hyphens inside a name may be there or not ("Solu Medrol",
    "SoluMedrol", "solu-medrol"); the last word may be plural ("steroids", "benzos")."""
    ws = _words(text)
    for i in range(len(ws)):
        run = ""
        for word in ws[i:]:
            run += word
            for form in _singulars(run):
                if form in keys:
                    return keys[form]
    return None


_DRUG_KEYS = {drug: _keys((drug, *terms.names)) for drug, terms in DRUGS.items()}
_CLASS_KEYS = {cls: _keys((cls, *spellings)) for cls, spellings in CLASS_WORDS.items()}


@lru_cache(maxsize=1024)
def _table_classes(names: tuple[str, ...]) -> frozenset[str]:
    """The `CLASS_WORDS` classes that an order's own class names spell ("benzodiazepines")."""
    found = set()
    for name in names:
        for cls, keys in _CLASS_KEYS.items():
            if _key(name) in keys or any(f in keys for f in _singulars(_key(name))):
                found.add(cls)
    return frozenset(found)


def check_substance(text: str, field: str) -> None:
    """Refuse an allergy substance that cannot be read safely: a word mixing Latin with
    Cyrillic or Greek look-alike letters (a "tocilizumab" with a Cyrillic o would otherwise
    match nothing). The case loader should call
    this for every `patient.allergies[N].substance`; the engine calls it before screening."""
    mixed = mixed_script(text)
    if mixed is not None:
        word, letter = mixed
        raise InputError(
            field,
            f"{word!r} mixes Latin letters with a look-alike letter ({letter}); retype the"
            " substance in one alphabet",
        )


@frozen
class _Reading:
    """What one allergy entry names: drugs (from the table) and classes."""

    drugs: tuple[str, ...]
    classes: tuple[str, ...]


def _read(substance: str) -> _Reading:
    drugs = tuple(drug for drug, keys in _DRUG_KEYS.items() if _named(substance, keys))
    classes = tuple(cls for cls, keys in _CLASS_KEYS.items() if _named(substance, keys))
    return _Reading(drugs, classes)


def _why_removed(allergy: Allergy, reading: _Reading, order: Order) -> str | None:
    """Why `allergy` removes `order`, in words for the alert ("" for the drug itself); None
    when it does not."""
    drug = order.drug or ""
    text = allergy.substance
    if drug in reading.drugs or _named(text, _keys((drug,))):
        brand = _named(text, _DRUG_KEYS.get(drug, {}))
        return f" ({brand} is {drug})" if brand and _key(brand) != _key(drug) else ""
    own = _named(text, _keys(order.drug_classes))
    if own:
        return f" ({drug} is a {own})"
    classes = set(DRUGS[drug].classes if drug in DRUGS else ()) | _table_classes(order.drug_classes)
    for cls in reading.classes:
        if cls in classes:
            return f" ({drug} is a {cls})"
    for other in reading.drugs:
        shared = [c for c in DRUGS[other].classes if c in classes]
        if shared:
            return (
                f" ({other} and {drug} are both {shared[0]}s: same class, cross-reactivity"
                " possible)"
            )
    return None


def screen(
    orders: list[Order], allergies: tuple[Allergy, ...] | None
) -> tuple[list[Order], list[Alert]]:
    """The orders that pass, a critical alert for each order removed, and one info alert for
    allergy entries that name nothing the table or the orders know."""
    if not allergies:
        return orders, []
    for n, allergy in enumerate(allergies):
        check_substance(allergy.substance, f"patient.allergies[{n}].substance")
    readings = [_read(a.substance) for a in allergies]
    kept, alerts = [], []
    used: set[int] = set()
    for order in orders:
        if order.kind != "medication" or not order.drug:
            kept.append(order)
            continue
        hit = next(
            (
                (n, why)
                for n, (allergy, reading) in enumerate(zip(allergies, readings, strict=True))
                if (why := _why_removed(allergy, reading, order)) is not None
            ),
            None,
        )
        if hit is None:
            kept.append(order)
            continue
        n, via = hit
        used.add(n)
        allergy = allergies[n]
        reaction = f" (reaction: {allergy.reaction})" if allergy.reaction else ""
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
    unread = [
        a.substance
        for n, (a, reading) in enumerate(zip(allergies, readings, strict=True))
        if n not in used and not reading.drugs and not reading.classes
    ]
    if unread:
        alerts.append(
            Alert(
                id="ALLERGY-UNMATCHED",
                severity="info",
                text=(
                    f"Allergy to {', '.join(unread)}: not matched to any ordered drug: check by"
                    " hand."
                ),
            )
        )
    return kept, alerts
