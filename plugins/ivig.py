"""IVIG: IVIG-1 intravenous immunoglobulin, schedule A or B, with the rate titration in mL/h.

Every number below is from docs/clinical-rules.md and carries its rule id. IVIG is offered
unselected by default (no benefit shown added to early methylprednisolone); a profile's
`[selection] IVIG-1 = true` pre-selects it as first line, and the order then moves to the
first-line section. The titration is product-specific, so it comes from the formulary product:
a site that stocks another brand supplies that product (and its steps) from its own plugin.
"""

from __future__ import annotations

from decimal import Decimal

import pint

from orderset.plugin import (
    BuildContext,
    MedicationRule,
    Order,
    Preparation,
    Product,
    Rule,
    Section,
    Setting,
    Settings,
    TitrationStep,
    format_quantity,
    hookimpl,
    order_from_rule,
    pump_rate,
    rule_calculation,
    units,
    volume_for,
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
        " (ROUND-1 0.1 mL/h; the maximum rate rounded down)."
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
            dosage_form="injection, solution",
            route="IV",
            concentration=IVIG1_CONCENTRATION,  # IVIG-1
            local_code="IVIG10-INJ",
            titration_steps=IVIG1_TITRATION_STEPS,  # IVIG-1
            titration_interval=IVIG1_TITRATION_INTERVAL,  # IVIG-1
        )
    ]


def titration(product: Product, weight_kg: Decimal) -> tuple[TitrationStep, ...]:
    """The product's dose-rate steps as pump rates (mL/h, ROUND-1 0.1 mL/h) for this weight."""
    if not product.titration_steps or product.concentration is None:
        return ()
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


@hookimpl
def orderset_orders(context: BuildContext) -> list[Order]:
    product = context.product(PRODUCT)
    schedule = context.setting(SECTION, "schedule")
    record = IVIG1_SCHEDULE_RECORDS[schedule]
    per_kg, days = IVIG1_SCHEDULES[schedule]
    maximum = context.setting(SECTION, "max_daily_dose")
    calc = rule_calculation(record, context, maximum=maximum)
    first_line = context.settings.selection.get(IVIG1.id, False)
    dose_text = format_quantity(calc.given, product.dose_unit)
    steps = titration(product, context.weight_kg)
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
    sources = None
    if context.settings.is_from_profile(SECTION, "schedule") or maximum is not None:
        sources = (*IVIG1.sources, "per institution profile")
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
            preparation=preparation,
            titration=steps,
            notes=tuple(notes),
        )
    ]
