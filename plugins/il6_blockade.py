"""IL-6 blockade: TCZ-1 tocilizumab, a single IV dose for severe ANE.

Every number below is from docs/clinical-rules.md and carries its rule id. The order is
pre-selected only on a definite sign of severe disease: an ANE severity score band of exactly
"high", hemorrhagic lesions, or rapid neurological deterioration. A band given as a range
("medium or high", because items are missing) is not high; the order then says so, so the
clinician can complete the score. Allergy (tocilizumab or its class) is screened by the engine.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import pint

from orderset.plugin import (
    Alert,
    Band,
    BuildContext,
    DoseBand,
    InputError,
    MedicationRule,
    Order,
    Preparation,
    PrepData,
    Product,
    Rule,
    Section,
    Settings,
    Storage,
    containers,
    format_number,
    format_quantity,
    hookimpl,
    hours_text,
    order_from_rule,
    pump_rate,
    rule_calculation,
    select_band,
    to_decimal,
    units,
    volume_for,
)

PRODUCT = "tocilizumab-iv"

# TCZ-1: single dose IV; under 30 kg: 12 mg/kg, final volume 50 mL; 30 kg or more: 8 mg/kg,
# final volume 100 mL.
TCZ1_BAND_EDGE_KG = Decimal(30)
TCZ1_UNDER_30_PER_KG = units.Quantity(12, units.mg_per_kg)
TCZ1_FROM_30_PER_KG = units.Quantity(8, units.mg_per_kg)
TCZ1_UNDER_30_FINAL_ML = units.Quantity(50, units.mL)
TCZ1_FROM_30_FINAL_ML = units.Quantity(100, units.mL)
# TCZ-1: maximum 800 mg.
TCZ1_MAX_DOSE = units.Quantity(800, units.mg)
# TCZ-1: concentrate 20 mg/mL; diluent 0.9% or 0.45% sodium chloride (label); infuse over 60
# minutes.
TCZ1_CONCENTRATION = units.Quantity(20, units.mg_per_mL)
TCZ1_DILUENT = "0.9% or 0.45% sodium chloride"
TCZ1_INFUSION_MIN = 60
# TCZ-1: as early as possible, ideally within 24 h of onset; past 24 h: alert.
TCZ1_WINDOW_HOURS = Decimal(24)
# TCZ-1: pre-selected when ANE-SS (SCORE-1) is high (5-9).
TCZ1_PRESELECT_BAND = "high"
# TCZ-1: a 50 mL final volume is over 10 mL/kg under 5 kg: the fluid volume per kg is shown,
# and over 10 mL/kg a warning asks the prescriber to weigh it against raised ICP.
TCZ1_FLUID_ML_PER_KG_WARN = Decimal(10)
# TCZ-1: platelets under 50 x 10^9/L: warning on the order (label; partial for ANE); the
# clinician's choice is kept.
TCZ1_PLATELETS_WARN_10E9_L = Decimal(50)
# TCZ-1: repeat doses are analogue (CAR-T CRS labels): 8 hours apart at least, at most 4 doses
# in all; a note only, never an order.
TCZ1_REPEAT_MIN_HOURS = 8
TCZ1_REPEAT_MAX_DOSES = 4
# ROUND-1 default increment for tocilizumab: 2 mg (0.1 mL of 20 mg/mL).
TCZ1_INCREMENT = units.Quantity(2, units.mg)

# Preparation facts from the ACTEMRA (tocilizumab) US label, seen as quoted by Genentech's HCP
# site and Roche US medical information (notes/product-labels.md section 2, label-copy):
# single-dose vials 80 mg/4 mL, 200 mg/10 mL, 400 mg/20 mL (20 mg/mL); diluted in 0.9% or 0.45%
# sodium chloride; one 60-minute infusion, never a bolus or push; the diluted solution keeps
# 24 hours at 2 to 8 C or room temperature in 0.9%, and in 0.45% 24 hours at 2 to 8 C or
# 4 hours at room temperature; protect from light; mix by gently inverting the bag (foaming);
# let it reach room temperature before the infusion; its own line.
TCZ1_PREP_SOURCE = (
    "ACTEMRA (tocilizumab) US label, as quoted by actemrahcp.com and Roche US medical"
    " information (2023)"
)
TCZ1_PREPARATION = PrepData(
    source=TCZ1_PREP_SOURCE,
    presentations=containers(units.mg, (80, 4), (200, 10), (400, 20)),
    diluents=("0.9% sodium chloride", "0.45% sodium chloride"),
    infusion_minutes_min=60,
    infusion_minutes_max=60,
    protect_from_light=True,
    storage=(
        Storage("diluted in 0.9% sodium chloride, 2 to 8 °C or room temperature", Decimal(24)),
        Storage("diluted in 0.45% sodium chloride, 2 to 8 °C", Decimal(24)),
        Storage("diluted in 0.45% sodium chloride, room temperature", Decimal(4)),
    ),
    handling=(
        "Add the drug slowly into the bag; mix by gently inverting the bag to avoid foaming.",
        "Do not use if there are particles or discoloration.",
        "Let the diluted solution reach room temperature before the infusion.",
        "Infuse over 60 minutes with an infusion set; never as a bolus or IV push.",
        "Own line: not in the same IV line as other drugs.",
        "Single-dose vials: discard the unused part.",
    ),
)

#: Classes matched against recorded allergies by the engine.
TCZ1_CLASSES = ("interleukin-6 receptor antagonist", "monoclonal antibody")
TCZ1_UNDER_30 = "under 30 kg"
TCZ1_FROM_30 = "30 kg or more"
# TCZ-1: final volume by weight band (the band's dose is in the record below).
TCZ1_FINAL_VOLUMES = {TCZ1_UNDER_30: TCZ1_UNDER_30_FINAL_ML, TCZ1_FROM_30: TCZ1_FROM_30_FINAL_ML}

TCZ1 = Rule(
    "TCZ-1",
    "Tocilizumab",
    "confirmed",
    sources=(
        "tocilizumab US label (CRS dosing)",
        "Ju 2025, J Neurol",
        "Nagase 2023, Front Neurosci 17:1150868",
    ),
    description=(
        "pre-selected only on a definite sign of severe ANE: severity band exactly high (5-9),"
        " hemorrhagic lesions or rapid deterioration (a band range such as 'medium or high' is"
        " not high); otherwise offered. Diluted in 0.9% or 0.45% sodium chloride (label) to 50 mL"
        " under 30 kg, 100 mL from 30 kg (drug volume withdrawn first), infused over 60 minutes;"
        " the fluid volume is shown in mL/kg, with a warning over 10 mL/kg (50 mL under 5 kg) to"
        " weigh against raised intracranial pressure. Platelets under 50 x 10^9/L: a warning on"
        " the order (label; partial for ANE), the clinician's choice kept. Repeat doses (8 hours"
        " apart at least, at most 4 doses in all) are analogue from CAR-T cytokine release"
        " syndrome labels: a note only, never an order. Past 24 hours from onset: an alert,"
        " worded for a pre-selected or an offered order, keeps the clinician's choice."
    ),
)

# TCZ-1: single dose IV, 12 mg/kg under 30 kg, 8 mg/kg from 30 kg, maximum 800 mg, as early as
# possible (ideally within 24 h of onset).
TCZ1_DOSE = MedicationRule(
    id=TCZ1.id,
    rule=TCZ1,
    product=PRODUCT,
    bands=(
        Band(DoseBand(TCZ1_UNDER_30_PER_KG, TCZ1_UNDER_30), TCZ1_BAND_EDGE_KG),
        Band(DoseBand(TCZ1_FROM_30_PER_KG, TCZ1_FROM_30)),
    ),
    maximum=TCZ1_MAX_DOSE,
    route="IV",
    frequency="once",
    duration="single dose",
    section=Section.ADJUNCT,
    # Offered; the code pre-selects it on a definite sign of severe ANE (see `selection`).
    selected=False,
    drug_classes=TCZ1_CLASSES,
    start_within_hours=TCZ1_WINDOW_HOURS,
)


@hookimpl
def orderset_rules() -> list[Rule]:
    return [TCZ1]


@hookimpl
def orderset_formulary(settings: Settings) -> list[Product]:
    return [
        Product(
            key=PRODUCT,
            drug="tocilizumab",
            description="tocilizumab injection concentrate 20 mg/mL",
            dose_unit="mg",
            increment=TCZ1_INCREMENT,  # ROUND-1
            maximum_dose=TCZ1_MAX_DOSE,  # TCZ-1: maximum 800 mg
            dosage_form="injection, solution, concentrate",
            route="IV",
            concentration=TCZ1_CONCENTRATION,  # TCZ-1
            local_code="TCZ-INJ",
            preparation=TCZ1_PREPARATION,
        )
    ]


def selection(context: BuildContext) -> tuple[bool, list[str]]:
    """TCZ-1 pre-selection and the reasons, as notes for the order."""
    severity = context.severity
    clinical = context.case.clinical
    reasons = []
    notes = []
    if severity is not None and severity.band == TCZ1_PRESELECT_BAND:
        reasons.append(f"ANE severity score {severity.score} (high, 5-9)")
    elif severity is not None and TCZ1_PRESELECT_BAND in severity.band:
        notes.append(
            f"ANE severity score {severity.score} of the known items; band {severity.band}"
            f" (missing: {', '.join(severity.missing)}). A range is not a definite high band,"
            " so the score alone does not pre-select tocilizumab: complete the missing items."
        )
    if clinical.hemorrhagic_lesions:
        reasons.append("hemorrhagic lesions reported")
    if clinical.rapid_deterioration:
        reasons.append("rapid neurological deterioration reported")
    if reasons:
        notes.insert(0, f"Pre-selected (TCZ-1, severe ANE): {'; '.join(reasons)}.")
    else:
        notes.insert(
            0,
            "Offered, not pre-selected: no high severity band, hemorrhagic lesions or rapid"
            " deterioration reported (TCZ-1).",
        )
    return bool(reasons), notes


@hookimpl
def orderset_orders(context: BuildContext) -> list[Order]:
    product = context.product(PRODUCT)
    if product.concentration is None:
        raise InputError(f"formulary.{PRODUCT}.concentration", "is needed for the drug volume")
    band = select_band(context.weight_kg, TCZ1_DOSE.bands).value
    final_volume = TCZ1_FINAL_VOLUMES[band.label]
    calc = rule_calculation(TCZ1_DOSE, context)
    drug_volume = volume_for(calc.given, product.concentration)
    if drug_volume >= final_volume:
        raise InputError(
            f"formulary.{PRODUCT}.concentration",
            f"gives {format_quantity(drug_volume)} of drug, more than the"
            f" {format_quantity(final_volume)} final volume of TCZ-1",
        )
    over = units.Quantity(TCZ1_INFUSION_MIN, units.minute)
    rate = pump_rate(final_volume, over)
    selected, notes = selection(context)
    dose_text = format_quantity(calc.given, product.dose_unit)
    volume_text = format_quantity(drug_volume)
    final_text = format_quantity(final_volume)
    rate_text = format_quantity(rate, max_places=1)
    notes.append(
        f"Weight band {band.label} ({format_number(context.weight_kg)} kg):"
        f" {format_quantity(band.dose)}, final volume {final_text} (TCZ-1)."
    )
    notes.append("No IV push. Give as early as possible, ideally within 24 hours of onset.")
    per_kg = fluid_ml_per_kg(final_volume, context)
    per_kg_text = f"{fluid_text(per_kg)} mL/kg"
    if per_kg > TCZ1_FLUID_ML_PER_KG_WARN:
        notes.append(
            f"Fluid: the {final_text} final volume is {per_kg_text} at"
            f" {format_number(context.weight_kg)} kg, over 10 mL/kg: weigh it against raised"
            " intracranial pressure (TCZ-1)."
        )
    else:
        notes.append(
            f"Fluid: the {final_text} final volume is {per_kg_text} at"
            f" {format_number(context.weight_kg)} kg (TCZ-1)."
        )
    if low_platelets(context):
        notes.append(
            f"Warning: platelets {platelets_text(context)}, under 50 x10^9/L (label: do not start"
            " under 50,000/uL in indications other than CRS; partial for ANE). The clinician"
            " decides (TCZ-1)."
        )
    notes.append(
        "Single dose: ANE reports used one dose. A repeat (at least"
        f" {TCZ1_REPEAT_MIN_HOURS} hours apart, at most {TCZ1_REPEAT_MAX_DOSES} doses in all) is"
        " an analogue from CAR-T cytokine release syndrome labels: not ordered here (TCZ-1)."
    )
    return [
        order_from_rule(
            TCZ1_DOSE,
            context,
            calculation=calc,
            selected=selected,
            instructions=(
                f"diluted in {TCZ1_DILUENT} to a final {final_text} ({per_kg_text}), infuse"
                f" over {TCZ1_INFUSION_MIN} minutes at {rate_text}"
            ),
            preparation=Preparation(
                concentration=product.concentration,
                drug_volume=drug_volume,
                diluent=TCZ1_DILUENT,
                final_volume=final_volume,
                rate=rate,
                infuse_over=over,
                text=(
                    f"Draw up {volume_text} of {format_quantity(product.concentration)}"
                    f" ({dose_text}). From a {final_text} bag of {TCZ1_DILUENT} withdraw"
                    f" {volume_text}, then add the drug (final {final_text}). Infuse over"
                    f" {TCZ1_INFUSION_MIN} minutes at {rate_text}; no IV push. Fluid"
                    f" {per_kg_text}."
                ),
            ),
            notes=tuple(notes),
        )
    ]


def fluid_text(per_kg: Decimal) -> str:
    """mL/kg to 0.1; just over the 10 mL/kg warning line it is rounded up instead, so that a
    volume over it never prints as "10 mL/kg" next to "over 10 mL/kg" (10.002 -> 10.1)."""
    shown = per_kg.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if per_kg > TCZ1_FLUID_ML_PER_KG_WARN >= shown:
        shown = per_kg.quantize(Decimal("0.1"), rounding=ROUND_CEILING)
    return format_number(shown, 1)


def fluid_ml_per_kg(final_volume: pint.Quantity, context: BuildContext) -> Decimal:
    """TCZ-1: the final volume per kg of dosing weight, unrounded (printed to 0.1 mL/kg)."""
    return to_decimal(final_volume.to(units.mL).magnitude) / context.weight_kg


def low_platelets(context: BuildContext) -> bool:
    """TCZ-1: platelets recorded and under 50 x 10^9/L."""
    platelets = context.case.clinical.platelets
    if platelets is None:
        return False
    return units.to_decimal(platelets, units.giga_per_L) < TCZ1_PLATELETS_WARN_10E9_L


def platelets_text(context: BuildContext) -> str:
    platelets = context.case.clinical.platelets
    value = units.to_decimal(platelets, units.giga_per_L) if platelets is not None else None
    return f"{format_number(value)} x10^9/L" if value is not None else "not recorded"


@hookimpl
def orderset_alerts(context: BuildContext, orders: tuple[Order, ...]) -> list[Alert]:
    """TCZ-1 alerts; each keeps the clinician's choice (selection is not changed)."""
    found = [o for o in orders if o.id == TCZ1_DOSE.id and o.kind == "medication"]
    if not found:
        return []
    tcz = found[0]
    alerts = []
    if low_platelets(context):
        alerts.append(
            Alert(
                id=f"{TCZ1.id}-PLATELETS",
                severity="warning",
                rule_id=TCZ1.id,
                order_id=TCZ1_DOSE.id,
                text=(
                    f"Platelets {platelets_text(context)}, under 50 x10^9/L: the tocilizumab"
                    " label advises not starting under 50,000/uL outside CRS (partial for ANE)."
                    " Ordering it is the clinician's choice (TCZ-1)."
                ),
            )
        )
    volume = tcz.preparation.final_volume if tcz.preparation is not None else None
    if volume is not None and fluid_ml_per_kg(volume, context) > TCZ1_FLUID_ML_PER_KG_WARN:
        per_kg = fluid_text(fluid_ml_per_kg(volume, context))
        alerts.append(
            Alert(
                id=f"{TCZ1.id}-FLUID",
                severity="warning",
                rule_id=TCZ1.id,
                order_id=TCZ1_DOSE.id,
                text=(
                    f"Tocilizumab final volume {format_quantity(volume)} is {per_kg} mL/kg at"
                    f" {format_number(context.weight_kg)} kg, over 10 mL/kg: weigh the fluid"
                    " against raised intracranial pressure (TCZ-1)."
                ),
            )
        )
    if context.case.hours_since_onset > TCZ1_WINDOW_HOURS:
        since = hours_text(context.case.assessed_at - context.case.clinical.neuro_onset, up=True)
        if tcz.selected:
            choice = (
                "Tocilizumab is pre-selected: ordering it now is the clinician's choice (TCZ-1)."
            )
        else:
            choice = (
                "Tocilizumab is offered, not selected: if the clinician selects it now, it is"
                " past the window (TCZ-1)."
            )
        alerts.append(
            Alert(
                id=f"{TCZ1.id}-WINDOW",
                severity="warning",
                rule_id=TCZ1.id,
                order_id=TCZ1_DOSE.id,
                text=(
                    f"Onset was {since} ago, past the 24-hour window: tocilizumab should be"
                    " given as early as possible, ideally within 24 hours of onset. " + choice
                ),
            )
        )
    return alerts
