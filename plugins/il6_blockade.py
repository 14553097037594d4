"""IL-6 blockade: TCZ-1 tocilizumab, a single IV dose for severe ANE.

Every number below is from docs/clinical-rules.md and carries its rule id. The order is
pre-selected only on a definite sign of severe disease: an ANE severity score band of exactly
"high", hemorrhagic lesions, or rapid neurological deterioration. A band given as a range
("medium or high", because items are missing) is not high; the order then says so, so the
clinician can complete the score. Allergy (tocilizumab or its class) is screened by the engine.
"""

from __future__ import annotations

from decimal import Decimal

from orderset.plugin import (
    Alert,
    Band,
    BuildContext,
    DoseBand,
    InputError,
    MedicationRule,
    Order,
    Preparation,
    Product,
    Rule,
    Section,
    Settings,
    format_number,
    format_quantity,
    hookimpl,
    order_from_rule,
    pump_rate,
    rule_calculation,
    select_band,
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
# TCZ-1: concentrate 20 mg/mL; diluent 0.9% sodium chloride; infuse over 60 minutes.
TCZ1_CONCENTRATION = units.Quantity(20, units.mg_per_mL)
TCZ1_DILUENT = "0.9% sodium chloride"
TCZ1_INFUSION_MIN = 60
# TCZ-1: as early as possible, ideally within 24 h of onset; past 24 h: alert.
TCZ1_WINDOW_HOURS = Decimal(24)
# TCZ-1: pre-selected when ANE-SS (SCORE-1) is high (5-9).
TCZ1_PRESELECT_BAND = "high"
# ROUND-1 default increment for tocilizumab: 2 mg (0.1 mL of 20 mg/mL).
TCZ1_INCREMENT = units.Quantity(2, units.mg)

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
        " not high); otherwise offered. Diluted in 0.9% sodium chloride to 50 mL under 30 kg,"
        " 100 mL from 30 kg (drug volume withdrawn first), infused over 60 minutes; an alert past"
        " 24 hours from onset keeps the clinician's choice."
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
            dosage_form="injection, solution, concentrate",
            route="IV",
            concentration=TCZ1_CONCENTRATION,  # TCZ-1
            local_code="TCZ-INJ",
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
    return [
        order_from_rule(
            TCZ1_DOSE,
            context,
            calculation=calc,
            selected=selected,
            instructions=(
                f"diluted in {TCZ1_DILUENT} to a final {final_text}, infuse over"
                f" {TCZ1_INFUSION_MIN} minutes at {rate_text}"
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
                    f" {TCZ1_INFUSION_MIN} minutes at {rate_text}; no IV push."
                ),
            ),
            notes=tuple(notes),
        )
    ]


@hookimpl
def orderset_alerts(context: BuildContext, orders: tuple[Order, ...]) -> list[Alert]:
    """TCZ-1 past 24 hours: alert, keep the clinician's choice (selection is not changed)."""
    ordered = any(o.rule_id == TCZ1.id and o.kind == "medication" for o in orders)
    if not ordered or context.case.hours_since_onset <= TCZ1_WINDOW_HOURS:
        return []
    hours = format_quantity(
        units.Quantity(float(context.case.hours_since_onset), units.h), max_places=1
    )
    return [
        Alert(
            id=f"{TCZ1.id}-WINDOW",
            severity="warning",
            rule_id=TCZ1.id,
            order_id=TCZ1_DOSE.id,
            text=(
                f"Onset was {hours} ago, past the 24-hour window: tocilizumab should be given as"
                " early as possible, ideally within 24 hours of onset. Ordering it now is the"
                " clinician's choice (TCZ-1)."
            ),
        )
    ]
