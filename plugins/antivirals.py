"""Antivirals: OSE-1 oseltamivir (enteral), or OSE-2 peramivir with no enteral route.

Every number below is from docs/clinical-rules.md and carries its rule id. Where the rules
give no number (peramivir under 2 years, peritoneal dialysis) the plugin orders nothing and says
so in an alert, or takes the value from the institution profile; it never guesses.

Influenza negative: no order, an info alert says why. An alert was chosen over an unselected
order because an unselected order would still carry a dose to the sheet and the HL7 message,
where it could be ticked by mistake; an alert cannot be signed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from attrs import frozen

from orderset.plugin import (
    Alert,
    Band,
    BuildContext,
    DoseBand,
    InputError,
    MedicationRule,
    Order,
    PluginError,
    Preparation,
    Product,
    Rule,
    Section,
    Setting,
    Settings,
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
# over 30-60: 30 mg twice daily; over 10-30: 30 mg once daily; haemodialysis: 30 mg after each
# session; end stage (10 or less, read as end stage) not on dialysis: not recommended.
OSE1_RENAL_DOSE_MG = 30
#: (dose mg or None when not recommended, frequency, band in words)
OSE1_RENAL_BANDS: tuple[Band[tuple[int | None, str, str]], ...] = (
    Band((None, "", "10 mL/min or less, end stage"), Decimal(10), inclusive=True),
    Band((OSE1_RENAL_DOSE_MG, "once daily", "over 10 to 30 mL/min"), Decimal(30), inclusive=True),
    Band((OSE1_RENAL_DOSE_MG, "twice daily", "over 30 to 60 mL/min"), Decimal(60), inclusive=True),
    Band((OSE1_FIXED_DOSE_MG, OSE1_FREQUENCY, "over 60 mL/min, no adjustment")),
)

# OSE-2: peramivir, only when the enteral route is unavailable: 2-12 years 12 mg/kg IV,
# maximum 600 mg; 13 years and older 600 mg IV; single dose over 15-30 minutes.
OSE2_PER_KG = units.Quantity(12, units.mg_per_kg)
OSE2_MAX_DOSE = units.Quantity(600, units.mg)
OSE2_FROM_YEARS = 2
OSE2_FIXED_FROM_YEARS = 13
OSE2_FIXED_DOSE = units.Quantity(600, units.mg)
OSE2_MIN_INFUSION_MIN = 15
OSE2_MAX_INFUSION_MIN = 30
# Formulary default, not a clinical number: ROUND-1 lists no peramivir increment, so doses are
# measured to 1 mg; a profile's [formulary.peramivir-iv] increment replaces it.
OSE2_INCREMENT = units.Quantity(1, units.mg)

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
        " years; reduced eGFR or dialysis in a child: pharmacist-review alert (no pediatric"
        " renal source). Adult: hemodialysis 30 mg after each session; peritoneal dialysis:"
        " not ordered (critical alert); no creatinine: 75 mg with an alert; otherwise by"
        " creatinine clearance: over 60 mL/min 75 mg twice daily, over 30 to 60 mL/min 30 mg"
        " twice daily, over 10 to 30 mL/min 30 mg once daily, 10 mL/min or less: not ordered"
        " (critical alert). The line shows the mL of the 6 mg/mL suspension."
    ),
)
OSE2 = Rule(
    "OSE-2",
    "Peramivir when the enteral route is unavailable",
    "confirmed",
    sources=("AAP Red Book influenza table",),
    description=(
        "instead of OSE-1 only when the enteral route is unavailable; 2 to 12 years per kg,"
        " 13 years or older fixed; under 2 years only with the profile's per-kg dose (graded"
        " unconfirmed), otherwise not ordered (critical alert). No renal adjustment: reduced"
        " function, dialysis or no creatinine raises a pharmacist-review alert."
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
}
# OSE-1: term infants 0-8 months 3 mg/kg.
OSE1_INFANT_0_8 = MedicationRule(
    id=OSE1.id, when="term infant 0 to 8 months", per_kg=OSE1_INFANT_0_8_PER_KG, **_OSE1
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
# OSE-1: adult on haemodialysis: 30 mg after each session.
OSE1_HEMODIALYSIS = MedicationRule(
    id=OSE1.id,
    when="adult on hemodialysis",
    fixed=units.Quantity(OSE1_RENAL_DOSE_MG, units.mg),
    reason="adult on hemodialysis, after each session",
    **{**_OSE1, "frequency": "after each hemodialysis session"},
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
# OSE-2: 2-12 years 12 mg/kg IV, maximum 600 mg.
OSE2_BY_WEIGHT = MedicationRule(
    id=OSE2.id, when="2 to 12 years", per_kg=OSE2_PER_KG, maximum=OSE2_MAX_DOSE, **_OSE2
)
# OSE-2: 13 years and older 600 mg IV.
OSE2_FROM_13 = MedicationRule(
    id=OSE2.id,
    when="13 years or older",
    fixed=OSE2_FIXED_DOSE,
    reason="age 13 years or older",
    **_OSE2,
)
# OSE-2 gives no dose under 2 years: per kg only from the profile, graded unconfirmed; the
# OSE-2 maximum of 600 mg still applies.
OSE2_UNDER_2 = MedicationRule(
    id=OSE2.id,
    when="under 2 years, dose from the profile",
    maximum=OSE2_MAX_DOSE,
    grade="unconfirmed",
    sources=("per institution profile (no OSE-2 dose under 2 years)",),
    **{
        **_OSE2,
        "notes": (
            OSE2_ENTERAL_NOTE,
            "Dose under 2 years is per institution profile; OSE-2 gives none.",
        ),
    },
)


@hookimpl
def orderset_rules() -> list[Rule]:
    return [OSE1, OSE2]


@hookimpl
def orderset_settings() -> list[Setting]:
    return [
        Setting(
            SECTION,
            "peramivir_under_2_years_mg_per_kg",
            None,
            "Peramivir dose per kg for a child under 2 years (OSE-2 has none; no default, so"
            " without it no peramivir is ordered under 2 years).",
            "quantity",
            units=units.spellings({"mg/kg": units.mg_per_kg}),
        ),
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
            dosage_form="injection, solution",
            route="IV",
            local_code="PERA-INJ",
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
        record = _child_record(context)
        alerts.extend(_child_renal_alerts(context, OSE1.id, "oseltamivir"))
        if case.age.months < OSE1_INFANT_HIGHER_FROM_MONTHS:
            notes.append(
                "Infant dose is for term infants; a preterm infant needs pharmacist review."
            )
    elif dialysis == "hemodialysis":
        record = OSE1_HEMODIALYSIS
        alerts.append(_renal_info("Adult on hemodialysis: oseltamivir 30 mg after each session."))
    elif dialysis == "peritoneal":
        return _not_ordered_for_renal(
            "Adult on peritoneal dialysis: OSE-1 gives no oseltamivir dose for peritoneal"
            " dialysis, so none was ordered. Dose it with the pharmacist and nephrology."
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
    # OSE-1: pending or unknown influenza status is treated empirically.
    wait = "" if case.clinical.influenza == "positive" else ", do not wait for the influenza test"
    order = order_from_rule(
        record,
        context,
        calculation=calc,
        instructions=(
            f"({volume_text} of {concentration_text} suspension per dose); start now{wait}"
        ),
        preparation=Preparation(
            concentration=product.concentration,
            drug_volume=volume,
            text=f"{volume_text} of {concentration_text} oral suspension per dose",
        ),
        notes=tuple(notes),
        **changes,
    )
    return _Plan(order, tuple(alerts))


def _child_record(context: BuildContext) -> MedicationRule:
    """OSE-1 for a child: mg/kg under 12 months, weight band from 12 months, 75 mg from 13."""
    case = context.case
    if case.age.years >= OSE1_FIXED_FROM_YEARS:
        return OSE1_FROM_13
    months = Decimal(case.age.months)
    if months >= OSE1_WEIGHT_BANDS_FROM_MONTHS:
        return OSE1_BY_WEIGHT
    if months >= OSE1_INFANT_HIGHER_FROM_MONTHS:
        return OSE1_INFANT_9_11
    return OSE1_INFANT_0_8


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
        reason = f"a child on {dialysis} dialysis"
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


def _peramivir(context: BuildContext) -> _Plan:
    case = context.case
    product = context.product(PERAMIVIR)
    changes: dict[str, Any] = {}
    if case.age.years >= OSE2_FIXED_FROM_YEARS:
        record = OSE2_FROM_13
    elif case.age.years >= OSE2_FROM_YEARS:
        record = OSE2_BY_WEIGHT
    else:
        per_kg = context.setting(SECTION, "peramivir_under_2_years_mg_per_kg")
        if per_kg is None:
            return _Plan(
                None,
                (
                    Alert(
                        id=f"{OSE2.id}-UNDER-2",
                        severity="critical",
                        rule_id=OSE2.id,
                        text=(
                            "No antiviral ordered: the enteral route is unavailable and OSE-2"
                            " gives no peramivir dose under 2 years. Set"
                            f" {SECTION}.peramivir_under_2_years_mg_per_kg in the institution"
                            " profile, or dose it with the pharmacist and infectious diseases."
                        ),
                    ),
                ),
            )
        if per_kg.magnitude <= 0:
            raise InputError(
                f"{SECTION}.peramivir_under_2_years_mg_per_kg", "must be more than zero"
            )
        record = OSE2_UNDER_2
        changes = {"per_kg": per_kg}
    minutes = context.setting(SECTION, "peramivir_infusion_minutes")
    calc = rule_calculation(record, context, **changes)
    preparation = Preparation(
        infuse_over=units.Quantity(minutes, units.minute),
        text=f"Single dose; infuse over {minutes} minutes (OSE-2: 15 to 30 minutes)",
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
        instructions=f"infuse over {minutes} minutes; start now",
        preparation=preparation,
        **changes,
    )
    alerts = (
        _child_renal_alerts(context, OSE2.id, "peramivir")
        if case.is_child
        else _peramivir_renal_alerts(context)
    )
    return _Plan(order, tuple(alerts))


def _peramivir_renal_alerts(context: BuildContext) -> list[Alert]:
    """OSE-2 gives no renal adjustment: an adult with reduced clearance or on dialysis, or with
    no creatinine, needs the pharmacist."""
    renal = context.renal
    dialysis = context.case.patient.dialysis
    if dialysis != "none":
        reason = f"adult on {dialysis} dialysis"
    elif renal is None:
        reason = "no serum creatinine, so renal function could not be checked"
    elif renal.reduced:
        reason = renal.text
    else:
        return []
    return [
        Alert(
            id=f"{OSE2.id}-RENAL",
            severity="warning",
            rule_id=OSE2.id,
            order_id=OSE2.id,
            text=(
                f"Pharmacist review: {reason}. OSE-2 gives no renal adjustment for peramivir;"
                " the usual dose was ordered."
            ),
        )
    ]
