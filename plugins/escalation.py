"""Escalation: ESC-1 plasma exchange and ESC-2 anakinra, offered for a refractory course.

Every number below is from docs/clinical-rules.md and carries its rule id. ESC-1 is
pre-selected only when the response is reported as refractory (the seed's "no response in
48-72 h" trigger is unconfirmed and not encoded). Its plasma volume needs the hematocrit: when
none is recorded the order says so and no volume is guessed. ESC-2 is an analogue from another
disease and is never pre-selected.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from orderset.plugin import (
    Alert,
    BuildContext,
    MedicationRule,
    Order,
    PrepData,
    Presentation,
    Product,
    Rule,
    Section,
    Settings,
    format_number,
    format_quantity,
    hookimpl,
    order_from_rule,
    to_decimal,
    units,
    weight_quantity,
)

ANAKINRA = "anakinra-iv"

# ESC-1: estimated plasma volume = 0.07 L/kg x weight x (1 - hematocrit) (adult formula).
ESC1_PLASMA_PER_KG = units.Quantity(0.07, units.L_per_kg)
# ESC-1: 1 to 1.5 plasma volumes per session, about 5 sessions over 7-10 days.
ESC1_VOLUMES_LOW = Decimal(1)
ESC1_VOLUMES_HIGH = Decimal("1.5")
ESC1_SESSIONS = 5
ESC1_DAYS_LOW = 7
ESC1_DAYS_HIGH = 10
# ESC-1: pre-selected only when the response is reported as refractory.
ESC1_PRESELECT_RESPONSE = "refractory"

# ESC-2: 2 mg/kg IV every 6 hours, maximum 100 mg per dose and 400 mg per day.
ESC2_PER_KG = units.Quantity(2, units.mg_per_kg)
ESC2_FREQUENCY = "every 6 hours"
ESC2_MAX_DOSE = units.Quantity(100, units.mg)
ESC2_MAX_DAILY = units.Quantity(400, units.mg)
# Formulary default, not a clinical number: ROUND-1 lists no anakinra increment, so doses are
# measured to 1 mg; a profile's [formulary.anakinra-iv] increment replaces it.
ESC2_INCREMENT = units.Quantity(1, units.mg)

# Preparation facts from the KINERET (anakinra) US label (notes/product-labels.md section 13,
# label-copy): a single-use, preservative-free prefilled syringe of 100 mg/0.67 mL, for
# subcutaneous use only. The label has no IV preparation: every IV dose goes to pharmacist
# review, with the dilution, infusion time and beyond-use time per institution protocol.
ESC2_PREPARATION = PrepData(
    source="KINERET (anakinra) US label (subcutaneous use)",
    presentations=(
        Presentation(units.Quantity(100, units.mg), units.Quantity(0.67, units.mL), "syringe"),
    ),
    review_reason=(
        "The US label is for subcutaneous use only: IV preparation per institution protocol."
    ),
)

ESC1 = Rule(
    "ESC-1",
    "Plasma exchange (escalation when refractory)",
    "partial",
    sources=("escalation practice per apheresis team; no ANE source in the rule's list",),
    description=(
        "a procedure order, not a medication: 1 to 1.5 plasma volumes per session, about 5"
        " sessions over 7 to 10 days, per apheresis team; estimated plasma volume = 0.07 L/kg x"
        " weight x (1 - hematocrit) (adult formula), shown in whole mL and not estimated without"
        " a hematocrit (alert when pre-selected). Pre-selected only when the response is"
        " reported as refractory; the seed's 48-72 hour trigger is not encoded."
    ),
)
ESC2 = Rule(
    "ESC-2",
    "Anakinra (analogue; never pre-selected)",
    "analogue",
    sources=(
        "analogue: pediatric CAR-T neurotoxicity practice, Blood Adv 2022;6:3398, Table 1;"
        " no ANE dose found",
    ),
)

# ESC-2: 2 mg/kg IV every 6 hours, maximum 100 mg per dose and 400 mg per day (the per-dose
# cap is the lower of 100 mg and 400 mg over the doses a day); duration per clinician.
ESC2_ANAKINRA = MedicationRule(
    id=ESC2.id,
    rule=ESC2,
    product=ANAKINRA,
    per_kg=ESC2_PER_KG,
    maximum=ESC2_MAX_DOSE,
    daily_maximum=ESC2_MAX_DAILY,
    route="IV",
    frequency=ESC2_FREQUENCY,
    duration="per clinician",
    section=Section.ADJUNCT,
    selected=False,
    drug_classes=("interleukin-1 receptor antagonist",),
    notes=(
        "Analogue (ESC-2): no ANE dose found; from pediatric CAR-T neurotoxicity practice"
        " (Blood Adv 2022;6:3398, Table 1)."
        " Not pre-selected unless the institution profile says so.",
        f"Maximum {format_quantity(ESC2_MAX_DOSE)} per dose and"
        f" {format_quantity(ESC2_MAX_DAILY)} per day (ESC-2).",
    ),
)


@hookimpl
def orderset_rules() -> list[Rule]:
    return [ESC1, ESC2]


@hookimpl
def orderset_formulary(settings: Settings) -> list[Product]:
    return [
        Product(
            key=ANAKINRA,
            drug="anakinra",
            description="anakinra injection",
            dose_unit="mg",
            increment=ESC2_INCREMENT,
            maximum_dose=ESC2_MAX_DOSE,  # ESC-2: maximum 100 mg per dose
            dosage_form="injection, solution",
            route="IV",
            local_code="ANAK-INJ",
            preparation=ESC2_PREPARATION,
        )
    ]


def plasma_volume_ml(weight_kg: Decimal, hematocrit_fraction: Decimal) -> Decimal:
    """ESC-1 estimated plasma volume in mL, unrounded (callers round what they print)."""
    litres = ESC1_PLASMA_PER_KG * weight_quantity(weight_kg) * float(1 - hematocrit_fraction)
    return to_decimal(litres.to(units.mL).magnitude)


def _whole(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), ROUND_HALF_UP)


def _plasma_exchange(context: BuildContext) -> Order:
    case = context.case
    refractory = case.clinical.response == ESC1_PRESELECT_RESPONSE
    hct = case.patient.hematocrit
    offered = "Offered, not pre-selected: pre-selected only when the response is refractory."
    notes = ["Pre-selected: response reported as refractory (ESC-1)." if refractory else offered]
    if hct is None:
        volume_text = (
            "plasma volume not estimated: no hematocrit recorded (ESC-1 needs it; not guessed)."
            " Measure hematocrit"
        )
        notes.append("No hematocrit recorded: the estimated plasma volume was not calculated.")
    else:
        percent = to_decimal(hct.to(units.percent).magnitude).quantize(Decimal("0.1"))
        fraction = percent / 100
        exact = plasma_volume_ml(case.weight_kg, fraction)
        pv = _whole(exact)
        low, high = _whole(exact * ESC1_VOLUMES_LOW), _whole(exact * ESC1_VOLUMES_HIGH)
        volume_text = (
            f"estimated plasma volume {format_number(pv)} mL; exchange {format_number(low)}"
            f" to {format_number(high)} mL per session"
        )
        notes.append(
            f"Estimated plasma volume = {format_quantity(ESC1_PLASMA_PER_KG)} x"
            f" {format_number(case.weight_kg)} kg x (1 - {format_number(fraction)}"
            f" hematocrit) = {format_number(pv)} mL. Adult formula (ESC-1): the apheresis team"
            " confirms the volume, above all in children."
        )
    notes.append(
        "The seed's 'no response in 48-72 hours' trigger is unconfirmed and not encoded (ESC-1)."
    )
    return Order(
        id=ESC1.id,
        rule_id=ESC1.id,
        kind="procedure",
        section=Section.ADJUNCT,
        selected=refractory,
        text=(
            f"Plasma exchange: {format_number(ESC1_VOLUMES_LOW)} to"
            f" {format_number(ESC1_VOLUMES_HIGH)} plasma volumes per session, about"
            f" {ESC1_SESSIONS} sessions over {ESC1_DAYS_LOW} to {ESC1_DAYS_HIGH} days, per"
            f" apheresis team; {volume_text}"
        ),
        evidence=ESC1.evidence,
        notes=tuple(notes),
    )


@hookimpl
def orderset_orders(context: BuildContext) -> list[Order]:
    return [_plasma_exchange(context), order_from_rule(ESC2_ANAKINRA, context)]


@hookimpl
def orderset_alerts(context: BuildContext, orders: tuple[Order, ...]) -> list[Alert]:
    """A refractory course with no hematocrit: the plasma exchange volume cannot be estimated."""
    pre_selected = any(o.id == ESC1.id and o.selected for o in orders)
    if pre_selected and context.case.patient.hematocrit is None:
        return [
            Alert(
                id=f"{ESC1.id}-HEMATOCRIT",
                severity="warning",
                rule_id=ESC1.id,
                order_id=ESC1.id,
                text=(
                    "Plasma exchange is pre-selected but no hematocrit is recorded: the plasma"
                    " volume was not estimated (ESC-1). Measure hematocrit."
                ),
            )
        ]
    return []
