"""Steroids: MP-1 methylprednisolone pulse with its monitoring orders; MP-2 oral taper.

Every number below is from docs/clinical-rules.md and carries its rule id. MP-2 has no ANE
source, so it has no number here at all: it is offered unselected as "taper per clinician", and
a dose appears only when the institution profile supplies every part of it (drug, mg/kg,
maximum, frequency).
"""

from __future__ import annotations

import re
from decimal import Decimal

from orderset.plugin import (
    Alert,
    BuildContext,
    InputError,
    MedicationRule,
    Order,
    Preparation,
    Product,
    Rule,
    Section,
    Setting,
    Settings,
    format_quantity,
    hookimpl,
    order_from_rule,
    units,
)

SECTION = "steroids"
PRODUCT = "methylprednisolone-iv"

# MP-1: 30 mg/kg per dose, IV, once daily, maximum 1,000 mg per dose.
MP1_PER_KG = units.Quantity(30, units.mg_per_kg)
MP1_MAX_DOSE = units.Quantity(1000, units.mg)
# MP-1: 3 days by default; a profile may choose up to 5 (5 days is unconfirmed for ANE).
MP1_DEFAULT_DAYS = 3
MP1_MAX_DAYS = 5
# MP-1: infuse over at least 30 minutes; default 60 minutes.
MP1_MIN_INFUSION_MIN = 30
MP1_DEFAULT_INFUSION_MIN = 60
# MP-1: target start within 24 h of onset.
MP1_WINDOW_HOURS = Decimal(24)
# ROUND-1 default increment for methylprednisolone.
MP1_INCREMENT = units.Quantity(5, units.mg)

# MP-2: oral steroid taper, unconfirmed: no number in the rules; every value comes from the
# profile. Formulary default, not a clinical number: ROUND-1 lists no increment for an oral
# steroid, so doses are measured to 1 mg until a profile's [formulary.steroid-taper-oral]
# increment replaces it.
TAPER_PRODUCT = "steroid-taper-oral"
MP2_INCREMENT = units.Quantity(1, units.mg)
MP2_ROUTE = "enteral (PO or NG)"
MP2_FREQUENCIES = ("once daily", "twice daily")
MP2_DEFAULT_DRUG = "oral corticosteroid"
#: The settings that together make an MP-2 dose; all or none must be set.
MP2_DOSE_KEYS = ("taper_drug", "taper_mg_per_kg", "taper_max_dose", "taper_frequency")

MP2_CLASSES = ("corticosteroid", "glucocorticoid")
MP1_NEVER_PUSH_NOTE = (
    "Never as a rapid IV push (label: large doses over under 10 minutes: arrhythmia)."
)

MP1 = Rule(
    "MP-1",
    "Methylprednisolone pulse",
    "confirmed",
    sources=(
        "Okumura 2009, Brain Dev 31:221",
        "Chang 2022, Children 9:136",
        "Fischell 2023, Front Neurol 14:1239746",
        "methylprednisolone US label (cap: partial)",
    ),
    description=(
        "pulse days (3 by default, up to 5 from the profile, with a note over 3) and infusion"
        " minutes (60 by default, at least 30) come from the profile; blood glucose and blood"
        " pressure checks go with the pulse; an alert past 24 hours from onset."
    ),
)
MP2 = Rule(
    "MP-2",
    "Oral steroid taper (per clinician; dose from profile only)",
    "unconfirmed",
    description=(
        "offered unselected as 'taper per clinician' with no dose; a dose only when the profile"
        " gives drug, mg/kg, maximum and frequency (all or none), weeks optional."
    ),
)

# MP-1: 30 mg/kg IV once daily, maximum 1,000 mg per dose, 3 days, start within 24 h of onset.
MP1_PULSE = MedicationRule(
    id=MP1.id,
    rule=MP1,
    product=PRODUCT,
    per_kg=MP1_PER_KG,
    maximum=MP1_MAX_DOSE,
    route="IV",
    frequency="once daily",
    duration=f"{MP1_DEFAULT_DAYS} days",
    section=Section.FIRST_LINE,
    drug_classes=("corticosteroid", "glucocorticoid"),
    notes=(MP1_NEVER_PUSH_NOTE,),
    instructions=f"infuse over {MP1_DEFAULT_INFUSION_MIN} minutes; start now",
    start_within_hours=MP1_WINDOW_HOURS,
)
# MP-2 (unconfirmed): no number of its own; per kg, maximum and frequency from the profile.
MP2_TAPER = MedicationRule(
    id=MP2.id,
    rule=MP2,
    product=TAPER_PRODUCT,
    route=MP2_ROUTE,
    duration="per clinician",
    section=Section.FIRST_LINE,
    selected=False,
    drug_classes=MP2_CLASSES,
    instructions="starting dose; begin after the methylprednisolone pulse and taper per clinician",
    sources=("per institution profile",),
)


@hookimpl
def orderset_rules() -> list[Rule]:
    return [MP1, MP2]


@hookimpl
def orderset_settings() -> list[Setting]:
    return [
        Setting(
            SECTION,
            "methylprednisolone_days",
            MP1_DEFAULT_DAYS,
            "MP-1 pulse days (3 by default; up to 5, unconfirmed for ANE).",
            int,
            minimum=1,
            maximum=MP1_MAX_DAYS,
        ),
        Setting(
            SECTION,
            "methylprednisolone_infusion_minutes",
            MP1_DEFAULT_INFUSION_MIN,
            "MP-1 infusion time in minutes (at least 30; never a rapid push).",
            int,
            minimum=MP1_MIN_INFUSION_MIN,
            maximum=240,
        ),
        # MP-2 (unconfirmed): no defaults; without them the taper is "per clinician".
        Setting(
            SECTION,
            "taper_drug",
            None,
            "MP-2 taper drug, a lowercase generic name (e.g. prednisolone); no default.",
            str,
        ),
        Setting(
            SECTION,
            "taper_mg_per_kg",
            None,
            "MP-2 starting taper dose per kg per administration; no default.",
            "quantity",
            units=units.spellings({"mg/kg": units.mg_per_kg}),
        ),
        Setting(
            SECTION,
            "taper_max_dose",
            None,
            "MP-2 maximum starting taper dose per administration; no default.",
            "quantity",
            units=units.spellings({"mg": units.mg}),
        ),
        Setting(
            SECTION,
            "taper_frequency",
            None,
            "MP-2 starting taper frequency; no default.",
            str,
            choices=MP2_FREQUENCIES,
        ),
        Setting(
            SECTION,
            "taper_weeks",
            None,
            "MP-2 taper length in weeks (seed B's 4-6 weeks is unconfirmed); no default.",
            int,
            minimum=1,
        ),
    ]


@hookimpl
def orderset_formulary(settings: Settings) -> list[Product]:
    return [
        Product(
            key=PRODUCT,
            drug="methylprednisolone",
            description="methylprednisolone sodium succinate for injection",
            dose_unit="mg",
            increment=MP1_INCREMENT,  # ROUND-1
            dosage_form="injection, powder, for solution",
            route="IV",
            local_code="MPRED-INJ",
        ),
        Product(
            key=TAPER_PRODUCT,
            drug=settings.get(SECTION, "taper_drug") or MP2_DEFAULT_DRUG,
            description="oral corticosteroid for the taper (per institution profile)",
            dose_unit="mg",
            increment=MP2_INCREMENT,
            dosage_form="oral",
            route=MP2_ROUTE,
        ),
    ]


@hookimpl
def orderset_orders(context: BuildContext) -> list[Order]:
    days = context.setting(SECTION, "methylprednisolone_days")
    minutes = context.setting(SECTION, "methylprednisolone_infusion_minutes")
    notes = list(MP1_PULSE.notes)
    if days > MP1_DEFAULT_DAYS:
        notes.append(f"{days} days is from the institution profile; over 3 days is unconfirmed.")
    medication = order_from_rule(
        MP1_PULSE,
        context,
        duration=f"{days} days",
        instructions=f"infuse over {minutes} minutes; start now",
        preparation=Preparation(
            infuse_over=units.Quantity(minutes, units.minute),
            text=f"Infuse over {minutes} minutes; never as a rapid IV push",
        ),
        notes=tuple(notes),
    )
    monitoring = [
        Order(
            id=f"{MP1.id}-{suffix}",
            rule_id=MP1.id,
            kind="nursing",
            section=Section.ADMISSION,
            selected=True,
            text=f"{what} checks during the methylprednisolone pulse days",
            evidence=MP1.evidence,
        )
        for suffix, what in (("GLUCOSE", "Blood glucose"), ("BP", "Blood pressure"))
    ]
    return [medication, *monitoring, _taper(context)]


def _taper(context: BuildContext) -> Order:
    """MP-2: offered unselected; a dose only when the profile gives drug, mg/kg, max, frequency."""
    values = {key: context.setting(SECTION, key) for key in (*MP2_DOSE_KEYS, "taper_weeks")}
    drug = values["taper_drug"]
    if drug is not None and not re.fullmatch(r"[a-z][a-z -]*[a-z]", drug):
        raise InputError(f"{SECTION}.taper_drug", f"{drug!r} is not a lowercase generic name")
    for key in ("taper_mg_per_kg", "taper_max_dose"):
        if values[key] is not None and values[key].magnitude <= 0:
            raise InputError(f"{SECTION}.{key}", "must be more than zero")
    dose_values = [values[k] for k in MP2_DOSE_KEYS[1:]]
    if any(v is not None for v in dose_values):
        for key in MP2_DOSE_KEYS:
            if values[key] is None:
                raise InputError(
                    f"{SECTION}.{key}",
                    "is needed with the other MP-2 taper dose settings"
                    f" ({', '.join(MP2_DOSE_KEYS)})",
                )
    weeks = values["taper_weeks"]
    duration = f"{weeks} weeks" if weeks is not None else MP2_TAPER.duration
    notes = [
        "MP-2 is unconfirmed (no ANE source): offered, never pre-selected by default.",
        "Seed B's 4-6 weeks is unreviewed and not used; any length is from the institution"
        " profile or the clinician.",
    ]
    if values["taper_mg_per_kg"] is None:
        # No dose: the order says so in words (no drug, dose or frequency to compose a line).
        over = f" over {weeks} weeks" if weeks is not None else ""
        name = drug or MP2_DEFAULT_DRUG
        text = f"{name} taper per clinician{over}, after the methylprednisolone pulse"
        if drug is None:
            text += "; no dose: MP-2 doses come only from the institution profile"
        return order_from_rule(
            MP2_TAPER,
            context,
            text=text,
            evidence=MP2.evidence,
            duration=duration,
            instructions="",
            notes=tuple(notes),
        )
    notes.append("Starting dose, maximum and frequency are per institution profile (MP-2).")
    return order_from_rule(
        MP2_TAPER,
        context,
        per_kg=values["taper_mg_per_kg"],
        maximum=values["taper_max_dose"],
        frequency=values["taper_frequency"],
        duration=duration,
        notes=tuple(notes),
    )


@hookimpl
def orderset_alerts(context: BuildContext, orders: tuple[Order, ...]) -> list[Alert]:
    ordered = any(o.rule_id == MP1.id and o.kind == "medication" for o in orders)
    if ordered and context.case.hours_since_onset > MP1_WINDOW_HOURS:
        hours = format_quantity(
            units.Quantity(float(context.case.hours_since_onset), units.h), max_places=1
        )
        return [
            Alert(
                id=f"{MP1.id}-WINDOW",
                severity="warning",
                rule_id=MP1.id,
                order_id=MP1_PULSE.id,
                text=(
                    f"Onset was {hours} ago, past the 24-hour window: still give"
                    " methylprednisolone now; benefit is shown for starts within 24 hours."
                ),
            )
        ]
    return []
