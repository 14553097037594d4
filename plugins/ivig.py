"""IVIG: IVIG-1 intravenous immunoglobulin, schedule A or B, with the rate titration in mL/h.

Every number below is from docs/clinical-rules.md and carries its rule id. IVIG is offered
unselected by default (no benefit shown added to early methylprednisolone); a profile's
`[selection] IVIG-1 = true` pre-selects it as first line, and the order then moves to the
first-line section. The titration is product-specific, so it comes from the formulary product:
a site that stocks another brand supplies that product (and its steps) from its own plugin.
The label's hydration and minimum-rate cautions go on every IVIG order. A profile may dose by
adjusted body weight for obesity (IVIG-1, partial); the rules give no ideal-weight formula, so
the profile supplies the reference BMI that defines ideal weight (no default).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pint

from orderset.plugin import (
    Alert,
    BuildContext,
    Evidence,
    InputError,
    MedicationRule,
    Order,
    Preparation,
    PrepData,
    Product,
    Rule,
    Section,
    Setting,
    Settings,
    TitrationStep,
    containers,
    format_number,
    format_quantity,
    hookimpl,
    order_from_rule,
    pump_rate,
    rule_calculation,
    to_decimal,
    units,
    volume_for,
    weight_based_dose,
    weight_quantity,
)

SECTION = "ivig"
PRODUCT = "immune-globulin-iv-10"

# IVIG-1: total 2 g/kg per course. Schedule A (default): 1 g/kg/day for 2 days.
# Schedule B: 0.4 g/kg/day for 5 days.
IVIG1_COURSE_PER_KG = units.Quantity(2, units.g_per_kg)
IVIG1_SCHEDULES: dict[str, tuple[pint.Quantity, int]] = {
    "A": (units.Quantity(1, units.g_per_kg), 2),
    "B": (units.Quantity(0.4, units.g_per_kg), 5),
}
IVIG1_DEFAULT_SCHEDULE = "A"
# ROUND-1 default increment for IVIG: 0.5 g.
IVIG1_INCREMENT = units.Quantity(0.5, units.g)
# IVIG-1 default product: a 10% (100 mg/mL) solution; start 0.5 mg/kg/min, then 1, 2 and
# 4 mg/kg/min every 30 minutes as tolerated, maximum 4 mg/kg/min (Privigen ITP label).
IVIG1_CONCENTRATION = units.Quantity(100, units.mg_per_mL)
IVIG1_TITRATION_STEPS = tuple(
    units.Quantity(step, units.mg_per_kg_per_min) for step in (0.5, 1, 2, 4)
)
IVIG1_TITRATION_INTERVAL = units.Quantity(30, units.minute)
ONE_HOUR = units.Quantity(1, units.h)
# Preparation facts of the default product, PRIVIGEN 10% liquid (notes/product-labels.md
# section 3a): US vials of 5 g/50 mL, 10 g/100 mL, 20 g/200 mL and 40 g/400 mL (NDC 44206-436
# to -439 on DailyMed; the 40 g vial seen in the openFDA NDC record, the others read from the
# package codes). Infused as the 10% solution, undiluted (IVIG-1: the rate steps are mL/h at
# 100 mg/mL). Storage, filter and "separate line" were not seen in the label text: from the
# profile, else "per pharmacy procedure".
IVIG1_PREP_SOURCE = (
    "PRIVIGEN US label (DailyMed 2022; 40 g/400 mL vial: openFDA NDC 44206-439; 5, 10 and 20 g"
    " inferred from NDC 44206-436 to -438); undiluted per IVIG-1"
)
IVIG1_PREPARATION = PrepData(
    source=IVIG1_PREP_SOURCE,
    presentations=containers(units.g, (5, 50), (10, 100), (20, 200), (40, 400)),
    diluents=(),
    # notes/product-labels.md 3a: only the 40 g/400 mL vial was seen (openFDA NDC 44206-439);
    # 5, 10 and 20 g are inferred from the package codes and an institutional formulary, so
    # they are a flagged default ("check label"), never presented as checked.
    presentations_check=(
        "Vial sizes 5, 10 and 20 g are inferred from the NDC package codes (only the 40 g/400 mL"
        " vial was seen in a US label record): check them against the label and the stock (a"
        " profile sets [formulary.immune-globulin-iv-10] presentations)."
    ),
    handling=(
        "Ensure adequate hydration before the infusion (boxed warning).",
        "At risk of thrombosis or renal dysfunction: the minimum practicable dose and rate.",
    ),
)
# IVIG-1 label cautions, on every IVIG order.
IVIG1_CAUTIONS = (
    "Label caution (IVIG-1): ensure adequate hydration before the infusion.",
    "Label caution (IVIG-1): at risk of thrombosis or renal dysfunction, give the minimum"
    " practicable dose and infusion rate.",
)
# IVIG-1 (partial: Australian National Blood Authority): a profile may dose obesity by adjusted
# body weight = ideal + 0.4 x (actual - ideal). The rules give no ideal-weight formula: the
# profile's ivig.ideal_body_weight_bmi (no default) defines ideal weight = that BMI x height^2.
IVIG1_DOSING_WEIGHTS = ("measured", "adjusted")
IVIG1_ABW_FRACTION = Decimal("0.4")
IVIG1_ABW_SOURCE = (
    "adjusted body weight for obesity per institution profile (partial: Australian National"
    " Blood Authority, ideal + 0.4 x (actual - ideal); ideal weight = the profile's reference"
    " BMI x height squared)"
)
GRAM_KG = Decimal("0.001")

#: Classes matched against recorded allergies by the engine ("IVIG" is how allergies are
#: usually written down, so it is matched too).
IVIG1_CLASSES = ("immunoglobulin", "ivig", "blood product")

IVIG1 = Rule(
    "IVIG-1",
    "Intravenous immunoglobulin (offered; benefit not supported)",
    "confirmed",
    sources=(
        "IVIG US labels (Privigen, Gamunex-C): dosing and titration",
        "Fischell 2023, Front Neurol 14:1239746: no benefit added to early methylprednisolone",
        "Okumura 2009, Brain Dev 31:221: not correlated with outcome",
    ),
    description=(
        "offered unselected in the adjunct section; a profile's [selection] IVIG-1 = true"
        " pre-selects it and moves it to first line. Schedule A or B and a maximum daily dose"
        " (none by default) from the profile add 'per institution profile' to the sources. The"
        " rate titration comes from the formulary product, printed in mL/h for this weight"
        " (ROUND-1 0.1 mL/h; the maximum rate rounded down), and must be ascending dose rates"
        " per kg per minute. The label's cautions (hydration before the infusion; minimum"
        " practicable dose and rate at risk of thrombosis or renal dysfunction) go on the order."
        " A profile may choose adjusted body weight for obesity (partial: Australian National"
        " Blood Authority, ideal + 0.4 x (actual - ideal)); the rules give no ideal-weight"
        " formula, so ideal weight = the profile's reference BMI (no default) x height squared;"
        " only when the measured weight is over the ideal; with no height recorded the measured"
        " weight is used, with an alert."
    ),
)


def _schedule(per_kg: pint.Quantity, days: int, name: str) -> MedicationRule:
    return MedicationRule(
        id=IVIG1.id,
        when=f"schedule {name}",
        rule=IVIG1,
        product=PRODUCT,
        per_kg=per_kg,
        route="IV",
        frequency="once daily",
        duration=f"{days} days",
        section=Section.ADJUNCT,
        selected=False,
        drug_classes=IVIG1_CLASSES,
        instructions=f"(schedule {name}: {format_quantity(per_kg)}/day)",
    )


# IVIG-1: schedule A 1 g/kg/day for 2 days; schedule B 0.4 g/kg/day for 5 days (per day, no
# maximum unless the profile gives one).
IVIG1_SCHEDULE_RECORDS: dict[str, MedicationRule] = {
    name: _schedule(per_kg, days, name) for name, (per_kg, days) in IVIG1_SCHEDULES.items()
}


@hookimpl
def orderset_rules() -> list[Rule]:
    return [IVIG1]


@hookimpl
def orderset_settings() -> list[Setting]:
    return [
        Setting(
            SECTION,
            "schedule",
            IVIG1_DEFAULT_SCHEDULE,
            "IVIG-1 schedule: A = 1 g/kg/day for 2 days (default), B = 0.4 g/kg/day for 5 days.",
            str,
            choices=tuple(IVIG1_SCHEDULES),
        ),
        Setting(
            SECTION,
            "dosing_weight",
            "measured",
            "IVIG-1 dosing weight: measured (default) or adjusted body weight for obesity"
            " (partial; needs ivig.ideal_body_weight_bmi and a recorded height).",
            str,
            choices=IVIG1_DOSING_WEIGHTS,
        ),
        Setting(
            SECTION,
            "ideal_body_weight_bmi",
            None,
            "Reference BMI (kg/m2) that defines ideal body weight (= BMI x height squared) for"
            " IVIG-1 adjusted body weight; the rules give no ideal-weight formula, so no default."
            " 10 to 40 is a plausibility bound, not a clinical number.",
            Decimal,
            minimum=Decimal(10),
            maximum=Decimal(40),
        ),
        Setting(
            SECTION,
            "max_daily_dose",
            None,
            "Maximum IVIG daily dose. IVIG-1 gives none; no default, so no cap unless the"
            ' profile sets one (e.g. "70 g").',
            "quantity",
            units=units.spellings({"g": units.g}),
        ),
    ]


@hookimpl
def orderset_formulary(settings: Settings) -> list[Product]:
    return [
        Product(
            key=PRODUCT,
            drug="immune globulin",
            description="immune globulin intravenous (human) 10% liquid (100 mg/mL)",
            dose_unit="g",
            increment=IVIG1_INCREMENT,  # ROUND-1
            # IVIG-1: nothing labelled beyond 1 g/kg/day, given once daily: 1 g/kg per dose.
            maximum_dose=IVIG1_SCHEDULES["A"][0],
            dosage_form="injection, solution",
            route="IV",
            concentration=IVIG1_CONCENTRATION,  # IVIG-1
            local_code="IVIG10-INJ",
            titration_steps=IVIG1_TITRATION_STEPS,  # IVIG-1
            titration_interval=IVIG1_TITRATION_INTERVAL,  # IVIG-1
            preparation=IVIG1_PREPARATION,
        )
    ]


def titration(product: Product, weight_kg: Decimal) -> tuple[TitrationStep, ...]:
    """The product's dose-rate steps as pump rates (mL/h, ROUND-1 0.1 mL/h) for this weight."""
    if not product.titration_steps or product.concentration is None:
        return ()
    check_titration(product)
    weight = weight_quantity(weight_kg)
    interval = product.titration_interval
    last = len(product.titration_steps) - 1
    steps = []
    for n, dose_rate in enumerate(product.titration_steps):
        volume_per_hour = (dose_rate * weight * ONE_HOUR / product.concentration).to(units.mL)
        if n == 0:
            after = "start"
        elif interval is not None:
            after = f"after {format_quantity(interval * n)}, if tolerated"
        else:
            after = "next step, if tolerated"
        if n == last:
            after += " (maximum rate)"
        steps.append(
            TitrationStep(
                dose_rate=dose_rate,
                pump_rate=pump_rate(volume_per_hour, ONE_HOUR, is_maximum=n == last),
                after=after,
            )
        )
    return tuple(steps)


def check_titration(product: Product) -> None:
    """IVIG-1: a product's steps are dose rates per kg per minute, positive and ascending (the
    last is the maximum rate); anything else is refused naming the product, never guessed."""
    path = f"formulary.{product.key}.titration_steps"
    previous = None
    for step in product.titration_steps:
        if not step.is_compatible_with(units.mg_per_kg_per_min):
            raise InputError(path, f"{step} is not a dose rate per kg per minute")
        value = to_decimal(step.to(units.mg_per_kg_per_min).magnitude)
        if value <= 0 or (previous is not None and value <= previous):
            raise InputError(path, "steps must be positive and ascending (last = maximum rate)")
        previous = value


def ideal_body_weight_kg(context: BuildContext) -> Decimal | None:
    """Ideal body weight from the profile's reference BMI and the recorded height, or None."""
    bmi = context.setting(SECTION, "ideal_body_weight_bmi")
    height = context.case.patient.height
    if bmi is None or height is None:
        return None
    metres = to_decimal(height.to(units.m).magnitude)
    return (bmi * metres * metres).quantize(GRAM_KG, ROUND_HALF_UP)


def dosing_weight(context: BuildContext) -> tuple[Decimal, list[str]]:
    """IVIG-1 dosing weight in kg and the notes that explain it."""
    measured = context.weight_kg
    if context.setting(SECTION, "dosing_weight") != "adjusted":
        return measured, []
    if context.setting(SECTION, "ideal_body_weight_bmi") is None:
        raise InputError(
            f"{SECTION}.ideal_body_weight_bmi",
            "is needed with dosing_weight = 'adjusted' (the rules give no ideal-weight formula)",
        )
    ideal = ideal_body_weight_kg(context)
    if ideal is None:
        return measured, [
            "Adjusted body weight not used: no height recorded, so no ideal weight (IVIG-1);"
            " dosed by the measured weight."
        ]
    if measured <= ideal:
        return measured, [
            f"Measured weight {format_number(measured)} kg is not over the ideal weight"
            f" {format_number(ideal)} kg: dosed by the measured weight (IVIG-1)."
        ]
    # IVIG-1 (partial, Australian National Blood Authority): ideal + 0.4 x (actual - ideal).
    adjusted = (ideal + IVIG1_ABW_FRACTION * (measured - ideal)).quantize(GRAM_KG, ROUND_HALF_UP)
    bmi = context.setting(SECTION, "ideal_body_weight_bmi")
    return adjusted, [
        f"Dosed by adjusted body weight {format_number(adjusted)} kg = ideal"
        f" {format_number(ideal)} kg + 0.4 x ({format_number(measured)} -"
        f" {format_number(ideal)}) kg (IVIG-1, partial: Australian National Blood Authority;"
        f" ideal weight = reference BMI {format_number(bmi)} kg/m2 x height squared, per"
        " institution profile). Rate steps use the same weight."
    ]


@hookimpl
def orderset_orders(context: BuildContext) -> list[Order]:
    product = context.product(PRODUCT)
    schedule = context.setting(SECTION, "schedule")
    record = IVIG1_SCHEDULE_RECORDS[schedule]
    per_kg, days = IVIG1_SCHEDULES[schedule]
    maximum = context.setting(SECTION, "max_daily_dose")
    weight_kg, weight_notes = dosing_weight(context)
    if weight_kg == context.weight_kg:
        calc = rule_calculation(record, context, maximum=maximum)
    else:
        calc = weight_based_dose(
            per_kg,
            weight_kg,
            unit=units.drug_unit(product.dose_unit),
            increment=product.increment,
            maximum=maximum,
        )
    first_line = context.settings.selection.get(IVIG1.id, False)
    dose_text = format_quantity(calc.given, product.dose_unit)
    steps = titration(product, weight_kg)
    notes = [
        f"Schedule {schedule}: {format_quantity(per_kg)}/day for {days} days"
        f" (total {format_quantity(IVIG1_COURSE_PER_KG)} per course; IVIG-1).",
        "Benefit not supported: Fischell 2023 found no benefit added to early"
        " methylprednisolone; Okumura 2009 found no correlation with outcome.",
    ]
    if first_line:
        notes.insert(0, "Pre-selected as first line by the institution profile.")
    if maximum is not None:
        notes.append(f"Maximum daily dose {format_quantity(maximum)} per institution profile.")
    notes += weight_notes
    notes += IVIG1_CAUTIONS
    if steps:
        notes.append(
            f"Rate steps from the formulary entry: {product.description} (IVIG-1: titration is"
            " product-specific)."
        )
    sources = None
    if context.settings.is_from_profile(SECTION, "schedule") or maximum is not None:
        sources = (*IVIG1.sources, "per institution profile")
    evidence = None
    if weight_kg != context.weight_kg:
        evidence = Evidence("partial", (*(sources or IVIG1.sources), IVIG1_ABW_SOURCE))
    preparation = None
    if product.concentration is not None:
        volume = volume_for(calc.given, product.concentration)
        rate_text = (
            f"; rate titration below ({format_quantity(steps[-1].dose_rate)} maximum)"
            if steps
            else "; rate per product label (no titration in the formulary)"
        )
        preparation = Preparation(
            concentration=product.concentration,
            drug_volume=volume,
            rate=steps[0].pump_rate if steps else None,
            text=(
                f"{format_quantity(volume)} of {format_quantity(product.concentration)}"
                f" ({dose_text}) per day{rate_text}"
            ),
        )
    return [
        order_from_rule(
            record,
            context,
            calculation=calc,
            maximum=maximum,
            section=Section.FIRST_LINE if first_line else Section.ADJUNCT,
            selected=bool(first_line),
            sources=sources,
            **({"evidence": evidence} if evidence is not None else {}),
            preparation=preparation,
            titration=steps,
            notes=tuple(notes),
        )
    ]


@hookimpl
def orderset_alerts(context: BuildContext, orders: tuple[Order, ...]) -> list[Alert]:
    """Adjusted body weight chosen by the profile but not computable: say so."""
    ordered = any(o.rule_id == IVIG1.id and o.kind == "medication" for o in orders)
    adjusted = context.setting(SECTION, "dosing_weight") == "adjusted"
    if ordered and adjusted and context.case.patient.height is None:
        return [
            Alert(
                id=f"{IVIG1.id}-DOSING-WEIGHT",
                severity="warning",
                rule_id=IVIG1.id,
                order_id=IVIG1.id,
                text=(
                    "The profile doses IVIG by adjusted body weight, but no height is recorded:"
                    " the dose uses the measured weight (IVIG-1). Record the height to adjust"
                    " it for obesity."
                ),
            )
        ]
    return []
