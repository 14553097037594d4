"""Shared dosing arithmetic, so no plugin writes its own: per-kg doses with a maximum, weight
bands, rounding to a measurable increment (ROUND-1), volumes and the calculation line.

pint checks the units (a per-kg dose in the wrong dimension raises) and `units.to_decimal` turns
each Quantity into a Decimal once; the arithmetic and rounding are Decimal from there on, and
the Quantities this module returns carry Decimal magnitudes (`units.decimal_quantity`), so a
dose never goes Decimal -> float -> Decimal. A plugin's own constants may have float or int
magnitudes (`units.Quantity(0.1, units.mg_per_kg)`): they are converted exactly from their
repr and then rounded to a millionth (`units.MICRO`), so binary noise from pint's float unit
conversion (425.99999999999994) never moves a dose across a rounding step.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Generic, TypeVar

import pint
from attrs import frozen

from orderset import units
from orderset.formatting import format_number, format_quantity
from orderset.model import Calculation

T = TypeVar("T")

#: ROUND-1: a rounded dose may differ from the (capped) calculated dose by at most this share.
ROUND_1_MAX_DEVIATION_PERCENT = Decimal(10)


def weight_quantity(weight_kg: Decimal) -> pint.Quantity:
    """The dosing weight as a float Quantity, for a plugin's own arithmetic with its float
    constants (pint refuses to mix Decimal and float magnitudes). The dose path in this module
    never uses it: it multiplies the Decimal weight directly."""
    return units.Quantity(float(weight_kg), units.kg)


def _micro(q: pint.Quantity, unit: units.UnitLike) -> Decimal:
    """`q` in `unit` via the one conversion, rounded half up to a millionth to drop binary noise
    from pint's float conversion of a plugin's float constant (as the float path always did)."""
    return units.to_decimal(q, unit).quantize(units.MICRO, rounding=ROUND_HALF_UP)


def round_to_increment(
    capped: Decimal, increment: Decimal, maximum: Decimal | None
) -> tuple[Decimal, Decimal, bool]:
    """ROUND-1 on plain numbers in one unit: (given, deviation %, pharmacist review).

    Nearest increment, halves up; if that exceeds the maximum, round down instead. When the
    rounded dose is more than 10% from the capped dose (or rounds to zero) keep the capped dose
    unrounded and flag it for pharmacist review.
    """
    if increment <= 0:
        raise ValueError("rounding increment must be more than zero")
    steps = (capped / increment).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    rounded = steps * increment
    if maximum is not None and rounded > maximum:
        rounded = (capped / increment).quantize(Decimal(1), rounding=ROUND_FLOOR) * increment
    rounded = rounded.normalize() if rounded else Decimal(0)
    if capped == 0:
        return capped, Decimal(0), True
    exact = (rounded - capped) / capped * 100
    # The 10% limit is tested on the exact deviation: rounded to 0.1% first, +10.04% would pass.
    if rounded <= 0 or abs(exact) > ROUND_1_MAX_DEVIATION_PERCENT:
        return capped, Decimal(0), True
    return rounded, exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), False


def weight_based_dose(
    per_kg: pint.Quantity,
    weight_kg: Decimal,
    *,
    unit: units.UnitLike,
    increment: pint.Quantity,
    maximum: pint.Quantity | None = None,
    label: str | None = None,
) -> Calculation:
    """per_kg x weight, capped at `maximum`, rounded by ROUND-1, with its calculation line.

    `unit` is the drug unit of the result (from `units.DRUG_UNITS`); `label` overrides how it
    is printed ("mg PE"). A per-kg dose whose dimension does not give `unit` raises.
    """
    per_kg_value = units.to_decimal(per_kg, unit / units.kg)  # wrong dimension raises here
    calculated = (
        (per_kg_value * weight_kg)
        .quantize(units.MICRO, rounding=ROUND_HALF_UP)
        .quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    )
    max_value = _micro(maximum, unit) if maximum is not None else None
    increment_value = _micro(increment, unit)
    capped = min(calculated, max_value) if max_value is not None else calculated
    given, deviation, review = round_to_increment(capped, increment_value, max_value)

    per_kg_label = f"{label}/kg" if label else None
    text = (
        f"{format_quantity(per_kg, per_kg_label)} x {format_number(weight_kg)} kg"
        f" = {_fmt(calculated, unit, label)}"
    )
    if max_value is not None:
        text += f"; max {_fmt(max_value, unit, label)}"
    text += f"; given {_fmt(given, unit, label)}"
    if review:
        text += (
            f" (not rounded: the nearest {_fmt(increment_value, unit, label)} step is more"
            " than 10% away; pharmacist review)"
        )
    elif max_value is not None and calculated > max_value:
        text += " (capped at maximum)"
    return Calculation(
        text=text,
        calculated=units.decimal_quantity(calculated, unit),
        given=units.decimal_quantity(given, unit),
        # the plugin's own quantities, in their own units, as exact Decimals
        per_kg=units.exact(per_kg),
        weight_kg=weight_kg,
        maximum=units.exact(maximum) if maximum is not None else None,
        capped=max_value is not None and calculated > max_value,
        increment=units.exact(increment),
        deviation_percent=deviation,
        pharmacist_review=review,
    )


def fixed_dose(
    amount: pint.Quantity, *, reason: str, unit: units.UnitLike, label: str | None = None
) -> Calculation:
    """A dose that does not scale with weight (a weight band or an adult dose), with its reason."""
    value = _micro(amount, unit)
    dose = units.decimal_quantity(value, unit)
    return Calculation(
        text=f"{reason}: {_fmt(value, unit, label)}",
        calculated=dose,
        given=dose,
        maximum=None,
    )


def _fmt(value: Decimal, unit: units.UnitLike, label: str | None) -> str:
    return format_quantity(units.decimal_quantity(value, unit), label)


@frozen
class Band(Generic[T]):
    """One weight (or age) band: applies while the value is under `upper` (or up to it when
    `inclusive`); the last band has no upper bound."""

    value: T
    upper: Decimal | None = None
    inclusive: bool = False


def select_band(x: Decimal, bands: Sequence[Band[T]]) -> Band[T]:
    """The first band that contains `x`; band edges are exact Decimal comparisons."""
    for band in bands:
        if band.upper is None or x < band.upper or (band.inclusive and x == band.upper):
            return band
    raise ValueError(f"{x} falls outside every band")


def volume_for(
    dose: pint.Quantity, concentration: pint.Quantity, places: str = "0.01"
) -> pint.Quantity:
    """Volume in mL that holds `dose` at `concentration`, rounded half up to `places` mL."""
    # Exact Decimal magnitudes in their own units; pint converts the quotient with Decimal
    # factors, and it is rounded (noise guard, then `places`) only in mL.
    quotient = units.exact(dose) / units.exact(concentration)  # wrong dimension raises below
    volume = _micro(quotient, units.mL).quantize(Decimal(places), rounding=ROUND_HALF_UP)
    return units.decimal_quantity(volume, units.mL)


def pump_rate(
    volume: pint.Quantity, over: pint.Quantity, *, is_maximum: bool = False
) -> pint.Quantity:
    """Pump rate in mL/h to the 0.1 mL/h a pump can be set to (ROUND-1): nearest step, halves
    up, but rounded down when the rate is a maximum, so a pump never runs above it."""
    rounding = ROUND_FLOOR if is_maximum else ROUND_HALF_UP
    rate = _micro(units.exact(volume) / units.exact(over), units.mL_per_h)
    rate = rate.quantize(Decimal("0.1"), rounding=rounding)
    return units.decimal_quantity(rate, units.mL_per_h)
