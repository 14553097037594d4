"""Renal function for dosing: Cockcroft-Gault creatinine clearance for adults, bedside Schwartz
eGFR for children (OSE-1), each with its formula and inputs so a pharmacist can check it.

The value is kept unrounded: dose bands ("over 30-60 mL/min") and thresholds ("under 60") are
decided on it, and only its display is rounded (to 0.1), so 30.04 mL/min is never treated as 30.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from orderset import units
from orderset.formatting import format_number
from orderset.loader import creatinine_mg_dl
from orderset.model import Case, RenalFunction

# OSE-1: bedside Schwartz eGFR = 0.413 x height (cm) / creatinine (mg/dL); under 60 is reduced.
SCHWARTZ_K = Decimal("0.413")
SCHWARTZ_REDUCED_UNDER = Decimal(60)
# OSE-1 adult renal adjustment uses Cockcroft-Gault creatinine clearance; 60 mL/min or less
# changes the oseltamivir dose ("over 30-60 mL/min: 30 mg twice daily").
CG_REDUCED_AT_OR_UNDER = Decimal(60)
# Cockcroft-Gault: (140 - age) x weight / (72 x creatinine), x 0.85 for women.
CG_AGE_FROM = 140
CG_DIVISOR = 72
CG_FEMALE_FACTOR = Decimal("0.85")


#: Printed where no renal function could be calculated.
RENAL_NOT_CALCULATED = "Not calculated (creatinine or, for a child, height not given)"


def renal_function(case: Case) -> RenalFunction | None:
    """None when the creatinine (or, for a child, the height) needed is not in the case."""
    p = case.patient
    if p.serum_creatinine is None:
        return None
    scr = creatinine_mg_dl(p.serum_creatinine)
    if case.is_child:
        if p.height is None:
            return None
        # To 0.1 cm, halves to even: the rounding `quantize` took from the default decimal
        # context before it was written out (the input check rounds halves up).
        height = units.to_decimal(p.height, units.cm).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_EVEN
        )
        value = SCHWARTZ_K * height / scr
        return RenalFunction(
            method="bedside-schwartz",
            value=value,
            unit="mL/min/1.73 m2",
            formula="bedside Schwartz: 0.413 x height (cm) / creatinine (mg/dL)",
            inputs=f"height {format_number(height)} cm, creatinine {format_number(scr)} mg/dL",
            reduced=value < SCHWARTZ_REDUCED_UNDER,
        )
    weight = case.weight_kg
    value = Decimal(CG_AGE_FROM - case.age.years) * weight / (CG_DIVISOR * scr)
    note = ""
    formula = "Cockcroft-Gault: (140 - age) x weight (kg) / (72 x creatinine (mg/dL))"
    if p.sex != "male":
        value *= CG_FEMALE_FACTOR
        formula += " x 0.85"
        if p.sex != "female":
            note = (
                f"sex recorded as {p.sex}: the female factor 0.85 was applied (the lower, more"
                " cautious clearance)"
            )
    return RenalFunction(
        method="cockcroft-gault",
        value=value,
        unit="mL/min",
        formula=formula,
        inputs=(
            f"age {case.age.years} years, actual weight {format_number(weight)} kg,"
            f" creatinine {format_number(scr)} mg/dL, sex {p.sex}"
        ),
        reduced=value <= CG_REDUCED_AT_OR_UNDER,
        note=note,
    )
