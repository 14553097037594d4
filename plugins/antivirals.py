"""Antivirals: OSE-1 oseltamivir (enteral), or OSE-2 peramivir with no enteral route.

Every number below is from docs/clinical-rules.md (rules version 2026-11-24) and carries its rule
id. Where the rules give no number (peramivir under 6 months, peramivir under 2 years with
clearance under 50, peramivir with clearance under 10 or on peritoneal dialysis, oseltamivir
for an adult with end-stage renal disease not on dialysis) the plugin orders nothing and says so
in an alert; it never guesses.

Influenza negative: no order, an info alert says why. An alert was chosen over an unselected
order because an unselected order would still carry a dose to the sheet and the HL7 message,
where it could be ticked by mistake; an alert cannot be signed.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from attrs import frozen

from orderset.plugin import (
    Alert,
    Band,
    BuildContext,
    DoseBand,
    MedicationRule,
    Order,
    PluginError,
    Preparation,
    PrepData,
    Product,
    Rule,
    Section,
    Setting,
    Settings,
    Storage,
    format_number,
    format_quantity,
    hookimpl,
    order_from_rule,
    rule_calculation,
    select_band,
    units,
    volume_for,
)

SECTION = "antivirals"
OSELTAMIVIR = "oseltamivir-suspension"
PERAMIVIR = "peramivir-iv"
ENTERAL = "enteral (PO or NG)"

#: How each `patient.dialysis` value reads in a sentence ("an adult on hemodialysis").
DIALYSIS_WORDS = {"hemodialysis": "hemodialysis", "peritoneal": "peritoneal dialysis"}

# OSE-1: twice daily for 5 days, enteral; suspension 6 mg/mL (show mL).
OSE1_FREQUENCY = "twice daily"
OSE1_DAYS = 5
OSE1_CONCENTRATION = units.Quantity(6, units.mg_per_mL)
# ROUND-1: oseltamivir mg/kg doses round to 0.6 mg (0.1 mL of the 6 mg/mL suspension).
OSE1_INCREMENT = units.Quantity(0.6, units.mg)
# OSE-1: term infants 0-8 months 3 mg/kg; infants 9-11 months 3.5 mg/kg (AAP Red Book; CDC).
OSE1_INFANT_0_8_PER_KG = units.Quantity(3, units.mg_per_kg)
OSE1_INFANT_9_11_PER_KG = units.Quantity(3.5, units.mg_per_kg)
OSE1_INFANT_HIGHER_FROM_MONTHS = Decimal(9)
OSE1_WEIGHT_BANDS_FROM_MONTHS = Decimal(12)
# OSE-1: preterm infants (AAP), by postmenstrual age (gestational age at birth + weeks since
# birth): under 38 weeks 1 mg/kg twice daily; 38 to 40 weeks 1.5 mg/kg; over 40 weeks 3 mg/kg.
# No infant maximum is stated in the sources.
OSE1_PRETERM_UNDER_38_PER_KG = units.Quantity(1, units.mg_per_kg)
OSE1_PRETERM_38_40_PER_KG = units.Quantity(1.5, units.mg_per_kg)
OSE1_PRETERM_OVER_40_PER_KG = units.Quantity(3, units.mg_per_kg)
OSE1_PMA_LOWER_WEEKS = Decimal(38)  # OSE-1: "under 38 weeks" excludes 38
OSE1_PMA_UPPER_WEEKS = Decimal(40)  # OSE-1: "38 to 40 weeks" includes 40; "over 40" does not
# Not a number of the rules: the usual definition of term birth (37 weeks or more), so a
# gestational age of 37 weeks or more keeps the term bands (as given by the issue).
OSE1_TERM_FROM_WEEKS = Decimal(37)
DAYS_PER_WEEK = 7
# OSE-1: age 13 and older (or adult): 75 mg.
OSE1_FIXED_FROM_YEARS = 13
OSE1_FIXED_DOSE_MG = 75
# OSE-1: 12 months and older by weight: 15 kg or less 30 mg; over 15-23 kg 45 mg;
# over 23-40 kg 60 mg; over 40 kg 75 mg.
OSE1_WEIGHT_BANDS: tuple[Band[DoseBand], ...] = (
    Band(DoseBand(units.Quantity(30, units.mg), "15 kg or less"), Decimal(15), inclusive=True),
    Band(DoseBand(units.Quantity(45, units.mg), "over 15 to 23 kg"), Decimal(23), inclusive=True),
    Band(DoseBand(units.Quantity(60, units.mg), "over 23 to 40 kg"), Decimal(40), inclusive=True),
    Band(DoseBand(units.Quantity(75, units.mg), "over 40 kg")),
)
# OSE-1 adult renal adjustment (US label), Cockcroft-Gault creatinine clearance in mL/min:
# over 30-60: 30 mg twice daily; over 10-30: 30 mg once daily; end stage (10 or less, read as
# end stage) not on dialysis: not recommended.
OSE1_RENAL_DOSE_MG = 30
#: (dose mg or None when not recommended, frequency, band in words)
OSE1_RENAL_BANDS: tuple[Band[tuple[int | None, str, str]], ...] = (
    Band((None, "", "10 mL/min or less, end stage"), Decimal(10), inclusive=True),
    Band((OSE1_RENAL_DOSE_MG, "once daily", "over 10 to 30 mL/min"), Decimal(30), inclusive=True),
    Band((OSE1_RENAL_DOSE_MG, "twice daily", "over 30 to 60 mL/min"), Decimal(60), inclusive=True),
    Band((OSE1_FIXED_DOSE_MG, OSE1_FREQUENCY, "over 60 mL/min, no adjustment")),
)
# OSE-1 haemodialysis (US label): 30 mg after every haemodialysis session, for no more than
# 5 days; a scheduled dose tied to the session, never PRN; the first dose after the next
# session, not now.
OSE1_HEMODIALYSIS_FREQUENCY = "after every hemodialysis session"
OSE1_HEMODIALYSIS_DURATION = f"at most {OSE1_DAYS} days"
OSE1_HEMODIALYSIS_START = "first dose after the next hemodialysis session"
# OSE-1 peritoneal dialysis (US label): a single 30 mg dose right after a dialysis exchange.
OSE1_PERITONEAL_START = "right after the next peritoneal dialysis exchange"

# OSE-2: peramivir, only when the enteral route is unavailable: age 6 months to 12 years
# 12 mg/kg IV, maximum 600 mg; 13 years and older 600 mg IV; single dose over 15-30 minutes.
# Under 6 months: not ordered, alert (no labelled dose).
OSE2_PER_KG = units.Quantity(12, units.mg_per_kg)
OSE2_MAX_DOSE = units.Quantity(600, units.mg)
# OSE-2: single dose over 15-30 minutes, diluted to at most 100 mL.
OSE2_MAX_FINAL_ML = units.Quantity(100, units.mL)
OSE2_FROM_MONTHS = 6
OSE2_FIXED_FROM_YEARS = 13
OSE2_FIXED_DOSE = units.Quantity(600, units.mg)
OSE2_MIN_INFUSION_MIN = 15
OSE2_MAX_INFUSION_MIN = 30
# OSE-2 renal adjustment (label; creatinine clearance, bedside Schwartz eGFR for children):
# 30-49 mL/min: 4 mg/kg, maximum 200 mg (2-12 years) or 200 mg (13 and older);
# 10-29 mL/min: 2 mg/kg, maximum 100 mg, or 100 mg. Read on the unrounded value as
# 30 <= x < 50 and 10 <= x < 30. Under 10 the rules give no dose: not ordered, alert.
OSE2_RENAL_30_49_PER_KG = units.Quantity(4, units.mg_per_kg)
OSE2_RENAL_30_49_MAX = units.Quantity(200, units.mg)
OSE2_RENAL_30_49_FIXED = units.Quantity(200, units.mg)
OSE2_RENAL_10_29_PER_KG = units.Quantity(2, units.mg_per_kg)
OSE2_RENAL_10_29_MAX = units.Quantity(100, units.mg)
OSE2_RENAL_10_29_FIXED = units.Quantity(100, units.mg)
OSE2_RENAL_LOWEST = Decimal(10)  # OSE-2: the table starts at 10 mL/min
OSE2_RENAL_MIDDLE = Decimal(30)  # OSE-2: "10-29" ends under 30, "30-49" starts at 30
OSE2_RENAL_NORMAL_FROM = Decimal(50)  # OSE-2: "30-49" ends under 50; 50 or more: no change
# OSE-2: under 2 years with clearance under 50: no dose, alert (no label recommendation).
OSE2_RENAL_FROM_YEARS = 2
OSE2_HEMODIALYSIS_START = "give after the next hemodialysis session"
# Formulary default, not a clinical number: ROUND-1 lists no peramivir increment, so doses are
# measured to 1 mg; a profile's [formulary.peramivir-iv] increment replaces it.
OSE2_INCREMENT = units.Quantity(1, units.mg)

# Preparation facts from the RAPIVAB (peramivir) US label as quoted by the manufacturer's site
# (notes/product-labels.md section 5, label-copy): diluted in 0.9% or 0.45% sodium chloride,
# 5% dextrose or lactated Ringer's to at most 100 mL; infused over 15 to 30 minutes (the current
# label: at least 15); given at once, or kept at 2 to 8 C for up to 24 hours. The vial size
# (200 mg/20 mL) was seen only in secondary sources and no final volume under 100 mL is given:
# both from the profile, else "per pharmacy procedure".
OSE2_PREP_SOURCE = "RAPIVAB (peramivir) US label, as quoted by rapivab.com"
OSE2_PREPARATION = PrepData(
    source=OSE2_PREP_SOURCE,
    diluents=(
        "0.9% sodium chloride",
        "0.45% sodium chloride",
        "5% dextrose",
        "lactated Ringer's",
    ),
    final_volume_max=OSE2_MAX_FINAL_ML,
    infusion_minutes_min=OSE2_MIN_INFUSION_MIN,
    infusion_minutes_max=OSE2_MAX_INFUSION_MIN,
    storage=(Storage("2 to 8 °C (give at once, or refrigerate)", Decimal(24)),),
    handling=(
        "If refrigerated, let it reach room temperature, then give at once.",
        "Do not use a vial whose seal is broken or missing.",
    ),
)

NEURAMINIDASE = ("neuraminidase inhibitor",)
CRITICALLY_ILL_NOTE = (
    "Critically ill: a longer course than 5 days may be considered (CDC); not the default."
)
OSE2_ENTERAL_NOTE = (
    "Enteral route unavailable: peramivir instead of oseltamivir (OSE-2); an alternative"
    " only while the enteral route is unavailable."
)

OSE1 = Rule(
    "OSE-1",
    "Oseltamivir",
    "confirmed",
    sources=(
        "oseltamivir US label",
        "AAP Red Book influenza table",
        "CDC influenza antiviral recommendations",
    ),
    description=(
        "not ordered when influenza is negative (info alert); pending or unknown is treated"
        " empirically. Child: per kg under 12 months, weight band from 12 months, 75 mg from 13"
        " years. Under 9 months the term band applies unless the case gives a gestational age"
        " at birth under 37 weeks: then the preterm band by postmenstrual age (gestational age"
        " at birth plus the days since birth divided by 7, compared exactly): under 38 weeks,"
        " 38 to 40 weeks (both included), over 40 weeks; from 9 months the infant 9 to 11"
        " months band applies whatever the gestational age (the rules qualify only the 0 to 8"
        " month band as term); no gestational age: the term band, with a note. Reduced eGFR or"
        " dialysis in a child: pharmacist-review alert (no pediatric renal source). Adult:"
        " hemodialysis 30 mg after every session, scheduled (never as needed), for at most 5"
        " days, the first dose after the next session; peritoneal dialysis a single 30 mg dose"
        " right after the next exchange; no creatinine: 75 mg with an alert; otherwise by"
        " creatinine clearance: over 60 mL/min 75 mg twice daily, over 30 to 60 mL/min 30 mg"
        " twice daily, over 10 to 30 mL/min 30 mg once daily, 10 mL/min or less: not ordered"
        " (critical alert). The dose is followed by the mL of the 6 mg/mL suspension."
    ),
)
OSE2 = Rule(
    "OSE-2",
    "Peramivir when the enteral route is unavailable",
    "confirmed",
    sources=("peramivir (Rapivab) US label 2021", "AAP Red Book influenza table"),
    description=(
        "instead of OSE-1 only when the enteral route is unavailable; under 6 months not"
        " ordered (critical alert); 6 months to 12 years per kg, 13 years or older fixed."
        " Renal adjustment on the unrounded creatinine clearance (Cockcroft-Gault, adults) or"
        " bedside Schwartz eGFR (under 18): 50 or more no change; 30 to under 50 and 10 to"
        " under 30 the reduced doses below; under 10 not ordered (critical alert: the rules"
        " give no dose); under 2 years with clearance under 50 not ordered (critical alert). No"
        " creatinine (or, for a child, no height): the usual dose with a warning. Hemodialysis:"
        " the renally adjusted dose after the next session, never pre-selected, with a"
        " pharmacist-review warning; no clearance on hemodialysis: not ordered (critical"
        " alert). Peritoneal dialysis: not ordered (critical alert: the rules give no dose)."
    ),
)

# OSE-1 records: one per dose form; the code picks one (age, renal function, dialysis).
_OSE1: dict[str, Any] = {
    "rule": OSE1,
    "product": OSELTAMIVIR,
    "route": ENTERAL,
    "frequency": OSE1_FREQUENCY,
    "duration": f"{OSE1_DAYS} days",
    "section": Section.FIRST_LINE,
    "drug_classes": NEURAMINIDASE,
    "notes": (CRITICALLY_ILL_NOTE,),
    "instructions": "start now",
}
# OSE-1: term infants 0-8 months 3 mg/kg.
OSE1_INFANT_0_8 = MedicationRule(
    id=OSE1.id, when="term infant 0 to 8 months", per_kg=OSE1_INFANT_0_8_PER_KG, **_OSE1
)
# OSE-1: preterm infants by postmenstrual age: under 38 weeks 1 mg/kg twice daily.
OSE1_PRETERM_UNDER_38 = MedicationRule(
    id=OSE1.id,
    when="preterm infant under 9 months, postmenstrual age under 38 weeks",
    per_kg=OSE1_PRETERM_UNDER_38_PER_KG,
    **_OSE1,
)
# OSE-1: preterm, postmenstrual age 38 to 40 weeks: 1.5 mg/kg twice daily.
OSE1_PRETERM_38_40 = MedicationRule(
    id=OSE1.id,
    when="preterm infant under 9 months, postmenstrual age 38 to 40 weeks",
    per_kg=OSE1_PRETERM_38_40_PER_KG,
    **_OSE1,
)
# OSE-1: preterm, postmenstrual age over 40 weeks: 3 mg/kg twice daily.
OSE1_PRETERM_OVER_40 = MedicationRule(
    id=OSE1.id,
    when="preterm infant under 9 months, postmenstrual age over 40 weeks",
    per_kg=OSE1_PRETERM_OVER_40_PER_KG,
    **_OSE1,
)
#: OSE-1 preterm bands by postmenstrual age in days (weeks x 7, so the edges stay exact).
OSE1_PRETERM_BANDS: tuple[Band[tuple[MedicationRule, str]], ...] = (
    Band((OSE1_PRETERM_UNDER_38, "under 38 weeks"), OSE1_PMA_LOWER_WEEKS * DAYS_PER_WEEK),
    Band(
        (OSE1_PRETERM_38_40, "38 to 40 weeks"),
        OSE1_PMA_UPPER_WEEKS * DAYS_PER_WEEK,
        inclusive=True,
    ),
    Band((OSE1_PRETERM_OVER_40, "over 40 weeks")),
)
# OSE-1: infants 9-11 months 3.5 mg/kg.
OSE1_INFANT_9_11 = MedicationRule(
    id=OSE1.id, when="infant 9 to 11 months", per_kg=OSE1_INFANT_9_11_PER_KG, **_OSE1
)
# OSE-1: 12 months and older by weight band.
OSE1_BY_WEIGHT = MedicationRule(
    id=OSE1.id,
    when="12 months to 12 years",
    bands=OSE1_WEIGHT_BANDS,
    reason="age 12 months or older",
    **_OSE1,
)
# OSE-1: age 13 and older: 75 mg.
OSE1_FROM_13 = MedicationRule(
    id=OSE1.id,
    when="13 to 17 years",
    fixed=units.Quantity(OSE1_FIXED_DOSE_MG, units.mg),
    reason="age 13 years or older",
    **_OSE1,
)
# OSE-1: adult: 75 mg (the renal branch may replace dose, frequency and reason).
OSE1_ADULT = MedicationRule(
    id=OSE1.id,
    when="adult; renal branches replace dose and frequency",
    fixed=units.Quantity(OSE1_FIXED_DOSE_MG, units.mg),
    reason="adult",
    **_OSE1,
)
# OSE-1: adult on haemodialysis: 30 mg after every session, scheduled (never PRN), for at most
# 5 days, the first dose after the next session.
OSE1_HEMODIALYSIS = MedicationRule(
    id=OSE1.id,
    when="adult on hemodialysis",
    fixed=units.Quantity(OSE1_RENAL_DOSE_MG, units.mg),
    reason="adult on hemodialysis, after every session",
    **{
        **_OSE1,
        "frequency": OSE1_HEMODIALYSIS_FREQUENCY,
        "duration": OSE1_HEMODIALYSIS_DURATION,
        "instructions": OSE1_HEMODIALYSIS_START,
        # OSE-1: no more than 5 days on haemodialysis: the critically-ill note would contradict it.
        "notes": (),
    },
)
# OSE-1: adult on peritoneal dialysis: a single 30 mg dose right after a dialysis exchange.
OSE1_PERITONEAL = MedicationRule(
    id=OSE1.id,
    when="adult on peritoneal dialysis",
    fixed=units.Quantity(OSE1_RENAL_DOSE_MG, units.mg),
    reason="adult on peritoneal dialysis, single dose",
    **{
        **_OSE1,
        "frequency": "once",
        "duration": "single dose",
        "instructions": OSE1_PERITONEAL_START,
    },
)

# OSE-2 records: single IV dose over 15-30 minutes (30 by default).
_OSE2: dict[str, Any] = {
    "rule": OSE2,
    "product": PERAMIVIR,
    "route": "IV",
    "frequency": "once",
    "duration": "single dose",
    "section": Section.FIRST_LINE,
    "drug_classes": NEURAMINIDASE,
    "notes": (OSE2_ENTERAL_NOTE,),
    "instructions": f"infuse over {OSE2_MAX_INFUSION_MIN} minutes; start now",
}
# OSE-2: 6 months to 12 years 12 mg/kg IV, maximum 600 mg.
OSE2_BY_WEIGHT = MedicationRule(
    id=OSE2.id, when="6 months to 12 years", per_kg=OSE2_PER_KG, maximum=OSE2_MAX_DOSE, **_OSE2
)
# OSE-2: 13 years and older 600 mg IV.
OSE2_FROM_13 = MedicationRule(
    id=OSE2.id,
    when="13 years or older",
    fixed=OSE2_FIXED_DOSE,
    reason="age 13 years or older",
    **_OSE2,
)
# OSE-2 renal, clearance 30-49 mL/min: 4 mg/kg, maximum 200 mg (2-12 years).
OSE2_RENAL_30_49 = MedicationRule(
    id=OSE2.id,
    when="2 to 12 years, clearance 30 to under 50",
    per_kg=OSE2_RENAL_30_49_PER_KG,
    maximum=OSE2_RENAL_30_49_MAX,
    **_OSE2,
)
# OSE-2 renal, clearance 30-49 mL/min: 200 mg (13 and older).
OSE2_RENAL_30_49_FROM_13 = MedicationRule(
    id=OSE2.id,
    when="13 years or older, clearance 30 to under 50",
    fixed=OSE2_RENAL_30_49_FIXED,
    reason="age 13 years or older",
    **_OSE2,
)
# OSE-2 renal, clearance 10-29 mL/min: 2 mg/kg, maximum 100 mg (2-12 years).
OSE2_RENAL_10_29 = MedicationRule(
    id=OSE2.id,
    when="2 to 12 years, clearance 10 to under 30",
    per_kg=OSE2_RENAL_10_29_PER_KG,
    maximum=OSE2_RENAL_10_29_MAX,
    **_OSE2,
)
# OSE-2 renal, clearance 10-29 mL/min: 100 mg (13 and older).
OSE2_RENAL_10_29_FROM_13 = MedicationRule(
    id=OSE2.id,
    when="13 years or older, clearance 10 to under 30",
    fixed=OSE2_RENAL_10_29_FIXED,
    reason="age 13 years or older",
    **_OSE2,
)
#: OSE-2 renal bands on the unrounded clearance: (records for 2-12 years and for 13 and older,
#: or None when the rules give no dose; the band in words).
OSE2_RENAL_BANDS: tuple[Band[tuple[tuple[MedicationRule, MedicationRule] | None, str]], ...] = (
    Band((None, "under 10"), OSE2_RENAL_LOWEST),
    Band(((OSE2_RENAL_10_29, OSE2_RENAL_10_29_FROM_13), "10 to under 30"), OSE2_RENAL_MIDDLE),
    Band(((OSE2_RENAL_30_49, OSE2_RENAL_30_49_FROM_13), "30 to under 50"), OSE2_RENAL_NORMAL_FROM),
    Band(((OSE2_BY_WEIGHT, OSE2_FROM_13), "50 or more, no adjustment")),
)


@hookimpl
def orderset_rules() -> list[Rule]:
    return [OSE1, OSE2]


@hookimpl
def orderset_settings() -> list[Setting]:
    return [
        Setting(
            SECTION,
            "peramivir_infusion_minutes",
            OSE2_MAX_INFUSION_MIN,
            "OSE-2 peramivir infusion time in minutes (15 to 30).",
            int,
            minimum=OSE2_MIN_INFUSION_MIN,
            maximum=OSE2_MAX_INFUSION_MIN,
        ),
    ]


@hookimpl
def orderset_formulary(settings: Settings) -> list[Product]:
    return [
        Product(
            key=OSELTAMIVIR,
            drug="oseltamivir",
            description="oseltamivir phosphate for oral suspension 6 mg/mL",
            dose_unit="mg",
            increment=OSE1_INCREMENT,  # ROUND-1
            # OSE-1: no dose in any branch is over 75 mg (adults, 13 and older, over 40 kg).
            maximum_dose=units.Quantity(OSE1_FIXED_DOSE_MG, units.mg),
            dosage_form="suspension, oral",
            route=ENTERAL,
            concentration=OSE1_CONCENTRATION,  # OSE-1
            local_code="OSEL-SUSP",
        ),
        Product(
            key=PERAMIVIR,
            drug="peramivir",
            description="peramivir injection",
            dose_unit="mg",
            increment=OSE2_INCREMENT,
            maximum_dose=OSE2_MAX_DOSE,  # OSE-2: maximum 600 mg
            dosage_form="injection, solution",
            route="IV",
            local_code="PERA-INJ",
            preparation=OSE2_PREPARATION,
        ),
    ]


@frozen
class _Plan:
    """What the antiviral rules decide for a case: at most one order, and the alerts that
    explain it (alerts with an order_id only apply while that order survives screening)."""

    order: Order | None
    alerts: tuple[Alert, ...]


@hookimpl
def orderset_orders(context: BuildContext) -> list[Order]:
    order = _plan(context).order
    return [order] if order is not None else []


@hookimpl
def orderset_alerts(context: BuildContext, orders: tuple[Order, ...]) -> list[Alert]:
    present = {o.id for o in orders}
    return [a for a in _plan(context).alerts if a.order_id is None or a.order_id in present]


def _plan(context: BuildContext) -> _Plan:
    case = context.case
    if case.clinical.influenza == "negative":
        return _Plan(
            None,
            (
                Alert(
                    id=f"{OSE1.id}-NEGATIVE",
                    severity="info",
                    rule_id=OSE1.id,
                    text=(
                        "Influenza test negative: no antiviral was ordered (OSE-1). If influenza"
                        " is still suspected, order oseltamivir by hand."
                    ),
                ),
            ),
        )
    if not case.clinical.enteral_route_available:
        return _peramivir(context)
    return _oseltamivir(context)


def _wait(context: BuildContext) -> str:
    """OSE-1: pending or unknown influenza status is treated empirically."""
    return (
        ""
        if context.case.clinical.influenza == "positive"
        else ", do not wait for the influenza test"
    )


# ---- OSE-1 ----------------------------------------------------------------------------------


def _oseltamivir(context: BuildContext) -> _Plan:
    case = context.case
    product = context.product(OSELTAMIVIR)
    alerts: list[Alert] = []
    renal = context.renal
    dialysis = case.patient.dialysis
    record = OSE1_ADULT
    changes: dict[str, Any] = {}
    notes = list(record.notes)

    if case.is_child:
        record, infant_note = _child_record(context)
        if infant_note:
            notes.append(infant_note)
        alerts.extend(_child_renal_alerts(context, OSE1.id, "oseltamivir"))
    elif dialysis == "hemodialysis":
        record = OSE1_HEMODIALYSIS
        notes = list(record.notes)  # no "longer course" note: at most 5 days on dialysis
        alerts.append(
            _renal_info(
                "Adult on hemodialysis: oseltamivir 30 mg after every hemodialysis session, for"
                " at most 5 days; the first dose after the next session, not now (OSE-1)."
            )
        )
    elif dialysis == "peritoneal":
        record = OSE1_PERITONEAL
        notes = list(record.notes)
        alerts.append(
            _renal_info(
                "Adult on peritoneal dialysis: oseltamivir 30 mg once, right after the next"
                " dialysis exchange (OSE-1)."
            )
        )
    elif renal is None:
        alerts.append(
            Alert(
                id=f"{OSE1.id}-RENAL",
                severity="warning",
                rule_id=OSE1.id,
                order_id=OSE1_ADULT.id,
                text=(
                    "No serum creatinine: the oseltamivir renal adjustment could not be checked"
                    " (OSE-1). Measure creatinine and recheck the dose."
                ),
            )
        )
    else:
        renal_mg, renal_frequency, band = select_band(renal.value, OSE1_RENAL_BANDS).value
        if renal_mg is None:
            return _not_ordered_for_renal(
                f"{renal.text}: {band}, and not on dialysis. Oseltamivir is not recommended"
                " (OSE-1, US label), so it was not ordered. Discuss antiviral treatment with"
                " infectious diseases and the pharmacist."
            )
        changes = {
            "fixed": units.Quantity(renal_mg, units.mg),
            "frequency": renal_frequency,
            "reason": (
                f"adult, creatinine clearance {renal.display_value} mL/min ({band}),"
                f" {renal_frequency}"
            ),
        }
        if renal_mg != OSE1_FIXED_DOSE_MG:
            alerts.append(
                _renal_info(
                    f"{renal.text}: oseltamivir reduced to {renal_mg} mg {renal_frequency}."
                )
            )
        notes.append(f"Renal function: {renal.text}.")

    if product.concentration is None:
        raise PluginError("antivirals", f"product {OSELTAMIVIR} needs its concentration (OSE-1)")
    calc = rule_calculation(record, context, **changes)
    volume = volume_for(calc.given, product.concentration)
    volume_text = format_quantity(volume)
    concentration_text = format_quantity(product.concentration)
    order = order_from_rule(
        record,
        context,
        calculation=calc,
        instructions=record.instructions + _wait(context),
        preparation=Preparation(
            concentration=product.concentration,
            drug_volume=volume,
            text=f"{volume_text} of {concentration_text} oral suspension per dose",
        ),
        notes=tuple(notes),
        # OSE-1: the mL of the suspension, printed right after the dose.
        dose_detail=f"{volume_text} of {concentration_text} suspension",
        **changes,
    )
    return _Plan(order, tuple(alerts))


def postmenstrual_age_days(context: BuildContext) -> Decimal | None:
    """OSE-1: gestational age at birth (weeks x 7) plus the days since birth, exactly; None
    when the case gives no gestational age."""
    gestation = context.case.patient.gestational_age_at_birth
    if gestation is None:
        return None
    weeks = units.to_decimal(gestation, units.week)
    return weeks * DAYS_PER_WEEK + context.case.age.days


def _weeks_text(days: Decimal) -> str:
    """Weeks to 0.1, rounded down, so a printed "38" is never under 38 weeks."""
    weeks = (days / DAYS_PER_WEEK).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    return f"{format_number(weeks)} weeks"


def _child_record(context: BuildContext) -> tuple[MedicationRule, str]:
    """OSE-1 for a child, and a note for the order: per kg under 12 months (preterm bands by
    postmenstrual age under 9 months when born before 37 weeks), weight band from 12 months,
    75 mg from 13 years."""
    case = context.case
    if case.age.years >= OSE1_FIXED_FROM_YEARS:
        return OSE1_FROM_13, ""
    months = Decimal(case.age.months)
    if months >= OSE1_WEIGHT_BANDS_FROM_MONTHS:
        return OSE1_BY_WEIGHT, ""
    if months >= OSE1_INFANT_HIGHER_FROM_MONTHS:
        return OSE1_INFANT_9_11, ""
    gestation = case.patient.gestational_age_at_birth
    pma_days = postmenstrual_age_days(context)
    if gestation is None or pma_days is None:
        return OSE1_INFANT_0_8, (
            "Infant dose is for term infants: no gestational age at birth was given. For a"
            " preterm infant give patient.gestational_age_at_birth (OSE-1 preterm bands by"
            " postmenstrual age) or ask the pharmacist."
        )
    weeks = units.to_decimal(gestation, units.week)
    born = f"born at {format_number(weeks)} weeks of gestation"
    if weeks >= OSE1_TERM_FROM_WEEKS:
        return OSE1_INFANT_0_8, f"Term infant ({born}): term infant dose (OSE-1)."
    preterm, band = select_band(pma_days, OSE1_PRETERM_BANDS).value
    return preterm, (
        f"Preterm infant ({born}), postmenstrual age {_weeks_text(pma_days)} ({band}):"
        " preterm dose by postmenstrual age (OSE-1, AAP)."
    )


def _not_ordered_for_renal(text: str) -> _Plan:
    """No oseltamivir, and a critical alert saying why (OSE-1 gives no dose for this)."""
    return _Plan(
        None, (Alert(id=f"{OSE1.id}-RENAL", severity="critical", rule_id=OSE1.id, text=text),)
    )


def _renal_info(text: str) -> Alert:
    return Alert(
        id=f"{OSE1.id}-RENAL", severity="info", rule_id=OSE1.id, order_id=OSE1.id, text=text
    )


def _child_renal_alerts(context: BuildContext, order_id: str, drug: str) -> list[Alert]:
    """OSE-1: no pediatric renal source, so reduced eGFR (or dialysis) means pharmacist review."""
    renal = context.renal
    dialysis = context.case.patient.dialysis
    if dialysis != "none":
        reason = f"a child on {DIALYSIS_WORDS[dialysis]}"
    elif renal is not None and renal.reduced:
        reason = f"{renal.text}, under 60"
    elif renal is None:
        return [
            Alert(
                id=f"{order_id}-RENAL",
                severity="info",
                rule_id=OSE1.id,
                order_id=order_id,
                text=(
                    f"eGFR could not be calculated (needs height and serum creatinine): renal"
                    f" function was not checked for {drug}."
                ),
            )
        ]
    else:
        return []
    return [
        Alert(
            id=f"{order_id}-RENAL",
            severity="warning",
            rule_id=OSE1.id,
            order_id=order_id,
            text=(
                f"Pharmacist review: {reason}. There is no pediatric renal dose adjustment"
                f" source for {drug} (OSE-1); the usual dose was ordered."
            ),
        )
    ]


# ---- OSE-2 ----------------------------------------------------------------------------------


def _no_peramivir(alert_id: str, text: str) -> _Plan:
    """No antiviral at all (the enteral route is unavailable), and a critical alert saying why."""
    return _Plan(
        None,
        (
            Alert(
                id=f"{OSE2.id}-{alert_id}",
                severity="critical",
                rule_id=OSE2.id,
                text=(
                    f"No antiviral ordered: the enteral route is unavailable and {text} Dose it"
                    " with the pharmacist and infectious diseases."
                ),
            ),
        ),
    )


def _peramivir(context: BuildContext) -> _Plan:
    case = context.case
    product = context.product(PERAMIVIR)
    renal = context.renal
    dialysis = case.patient.dialysis
    who = "a child" if case.is_child else "an adult"
    needs = "serum creatinine and height" if case.is_child else "serum creatinine"
    if case.age.months < OSE2_FROM_MONTHS:
        return _no_peramivir(
            "UNDER-6-MONTHS", "OSE-2 gives no peramivir dose under 6 months (no labelled dose)."
        )
    if dialysis == "peritoneal":
        return _no_peramivir(
            "DIALYSIS", f"OSE-2 gives no peramivir dose for {who} on peritoneal dialysis."
        )
    from_13 = case.age.years >= OSE2_FIXED_FROM_YEARS
    alerts: list[Alert] = []
    notes = list(OSE2_BY_WEIGHT.notes)
    changes: dict[str, Any] = {}
    if renal is None:
        if dialysis == "hemodialysis":
            return _no_peramivir(
                "DIALYSIS",
                f"on hemodialysis OSE-2 gives the renally adjusted dose, but renal function"
                f" could not be calculated (needs {needs}).",
            )
        record = OSE2_FROM_13 if from_13 else OSE2_BY_WEIGHT
        alerts.append(
            Alert(
                id=f"{OSE2.id}-RENAL",
                severity="warning",
                rule_id=OSE2.id,
                order_id=OSE2.id,
                text=(
                    f"Renal function could not be calculated (needs {needs}): the peramivir"
                    " renal adjustment (OSE-2, under 50) was not checked and the usual dose"
                    " was ordered. Measure creatinine and recheck the dose."
                ),
            )
        )
    else:
        records, band = select_band(renal.value, OSE2_RENAL_BANDS).value
        where = f"{renal.text}: {band} {renal.unit}"
        if records is None:
            return _no_peramivir(
                "RENAL", f"{where}. OSE-2 gives no peramivir dose under 10 {renal.unit}."
            )
        reduced = records != (OSE2_BY_WEIGHT, OSE2_FROM_13)
        if reduced and case.age.years < OSE2_RENAL_FROM_YEARS:
            return _no_peramivir(
                "RENAL",
                f"{where}. OSE-2 gives no peramivir dose under 2 years with a clearance under"
                " 50 (no label recommendation).",
            )
        record = records[1] if from_13 else records[0]
        if reduced:
            alerts.append(
                Alert(
                    id=f"{OSE2.id}-RENAL",
                    severity="info",
                    rule_id=OSE2.id,
                    order_id=OSE2.id,
                    text=f"{where}. Peramivir at the OSE-2 renal dose for this band.",
                )
            )
        if record.fixed is not None:
            changes["reason"] = (
                f"{record.reason}, clearance {renal.display_value} {renal.unit} ({band})"
            )
        notes.append(f"Renal function: {renal.text}.")
    minutes = context.setting(SECTION, "peramivir_infusion_minutes")
    instructions = f"infuse over {minutes} minutes; start now"
    if dialysis == "hemodialysis":
        # OSE-2: after dialysis at the renally adjusted dose; never pre-selected on dialysis;
        # pharmacist review.
        instructions = f"infuse over {minutes} minutes; {OSE2_HEMODIALYSIS_START}"
        changes["selected"] = False
        alerts.append(
            Alert(
                id=f"{OSE2.id}-DIALYSIS",
                severity="warning",
                rule_id=OSE2.id,
                order_id=OSE2.id,
                text=(
                    f"Pharmacist review: {who} on hemodialysis. Peramivir goes after the next"
                    " hemodialysis session at the renally adjusted dose; offered, not"
                    " pre-selected (OSE-2)."
                ),
            )
        )
    calc = rule_calculation(record, context, **changes)
    preparation = Preparation(
        infuse_over=units.Quantity(minutes, units.minute),
        text=(
            f"Single dose; dilute to a final volume of at most {format_quantity(OSE2_MAX_FINAL_ML)}"
            f" and infuse over {minutes} minutes (OSE-2: 15 to 30 minutes)"
        ),
    )
    if product.concentration is not None:
        volume = volume_for(calc.given, product.concentration)
        preparation = Preparation(
            concentration=product.concentration,
            drug_volume=volume,
            infuse_over=preparation.infuse_over,
            text=f"{format_quantity(volume)} of {format_quantity(product.concentration)}; "
            + preparation.text,
        )
    order = order_from_rule(
        record,
        context,
        calculation=calc,
        instructions=instructions,
        preparation=preparation,
        notes=tuple(notes),
        **changes,
    )
    return _Plan(order, tuple(alerts))
