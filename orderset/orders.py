"""Building medication orders from a formulary product and a dose calculation.

The fields that must agree with each other (the dose is the calculation's given dose, in the
product's unit, with the product's form and code, and a daily dose that follows from the
frequency) are filled here once, so no plugin can let them drift apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import pint

from orderset import units
from orderset.dosing import fixed_dose, select_band, weight_based_dose
from orderset.formatting import format_number, unit_label
from orderset.formulary import Product
from orderset.lines import order_line
from orderset.model import Calculation, Order
from orderset.vocab import FREQUENCIES

if TYPE_CHECKING:
    from orderset.context import BuildContext
    from orderset.rules import MedicationRule


def daily_dose(
    given: pint.Quantity, frequency: str, prn: str | None = None
) -> pint.Quantity | None:
    """Dose per day from the frequency; None for as-needed orders or an unknown count."""
    per_day = FREQUENCIES[frequency].per_day if frequency in FREQUENCIES else None
    if prn is not None or per_day is None:
        return None
    return given * per_day


def medication_order(
    product: Product, calculation: Calculation, *, frequency: str, **fields: Any
) -> Order:
    """An `Order` of kind medication for `product` at `calculation.given`.

    `fields` are the other `Order` fields (id, rule_id, section, selected, text, evidence,
    route, duration, ...); pass `daily_dose` only to override the one derived from frequency.
    """
    fields.setdefault("daily_dose", daily_dose(calculation.given, frequency, fields.get("prn")))
    fields.setdefault("drug", product.drug)
    return Order(
        kind="medication",
        dose=calculation.given,
        dose_unit=product.dose_unit,
        dosage_form=product.dosage_form,
        product_code=product.local_code or None,
        calculation=calculation,
        frequency=frequency,
        **fields,
    )


# ---- rules as data --------------------------------------------------------------------------

#: `order_from_rule` overrides that are `Order` fields the record does not hold.
_ORDER_ONLY = (
    "preparation",
    "titration",
    "evidence",
    "text",
    "daily_dose",
    "calculation",
    "strength",
    "dose_detail",
)


def dose_label(product: Product) -> str | None:
    """How a dose of `product` is labelled when its unit is not printed as pint prints it
    ("mg PE" is a mass in mg for arithmetic, never printed as plain mg); else None."""
    return product.dose_unit if product.dose_unit != unit_label(product_unit(product)) else None


def product_unit(product: Product) -> pint.Unit:
    return units.drug_unit(product.dose_unit)


def rule_calculation(
    record: MedicationRule, context: BuildContext, **overrides: Any
) -> Calculation:
    """The dose calculation of a medication rule record for this case.

    Per kg (capped at the maximum, rounded by ROUND-1), fixed (with the record's reason), or
    from the band the dosing weight falls in. A `daily_maximum` also caps each dose at the
    daily maximum over the doses a day. `overrides` replace record fields (a profile's per-kg
    dose, a renal branch's fixed dose and reason).
    """
    if overrides:
        record = attrs.evolve(record, **overrides)
    product = context.product(record.product)
    unit = product_unit(product)
    label = dose_label(product)
    maximum = record.maximum
    per_day = FREQUENCIES[record.frequency].per_day if record.frequency in FREQUENCIES else None
    if record.daily_maximum is not None:
        if not per_day or record.prn is not None:
            raise ValueError(f"{record.id}: a daily maximum needs a scheduled frequency")
        daily_cap = record.daily_maximum / per_day
        maximum = daily_cap if maximum is None else min(maximum, daily_cap)
    per_kg, fixed, reason = record.per_kg, record.fixed, record.reason
    if record.bands:
        band = select_band(context.weight_kg, record.bands).value
        if band.dose.is_compatible_with(unit):
            fixed = band.dose
            where = f"weight {format_number(context.weight_kg)} kg ({band.label})"
            reason = f"{reason}, {where}" if reason else where
        else:
            per_kg = band.dose
    if per_kg is not None:
        return weight_based_dose(
            per_kg,
            context.weight_kg,
            unit=unit,
            increment=product.increment,
            maximum=maximum,
            label=label,
        )
    if fixed is not None:
        if maximum is not None and fixed.to(unit) > maximum.to(unit):
            raise ValueError(f"{record.id}: fixed dose {fixed} is over its maximum {maximum}")
        return fixed_dose(fixed, reason=reason, unit=unit, label=label)
    raise ValueError(f"{record.id}: no dose (per_kg, fixed or bands) for this order")


def order_from_rule(record: MedicationRule, context: BuildContext, **overrides: Any) -> Order:
    """The medication `Order` a rule record makes for this case.

    `overrides` are record fields decided by code for this case (`selected`, `duration`,
    `per_kg` from the profile, ...) or `Order` fields the record does not hold (`preparation`,
    `titration`, `evidence`, and `calculation` when the plugin needed the dose first). The
    product comes from the formulary; the dose from `rule_calculation`; the printed line from
    `orderset.lines.order_line`. A record with no dose at all (per clinician) makes an order
    without a dose, whose `text` must be given.
    """
    order_fields = {k: overrides.pop(k) for k in _ORDER_ONLY if k in overrides}
    if overrides:
        record = attrs.evolve(record, **overrides)
    product = context.product(record.product)
    fields: dict[str, Any] = {
        "id": record.id,
        "rule_id": record.rule.id,
        "section": record.section,
        "selected": record.selected,
        "text": order_fields.pop("text", ""),
        "evidence": order_fields.pop("evidence", record.evidence),
        "drug_classes": record.drug_classes,
        "route": record.route,
        "duration": record.duration,
        "prn": record.prn,
        "daily_maximum": record.daily_maximum,
        "notes": record.notes,
        "instructions": record.instructions,
        "start_within_hours": record.start_within_hours,
    }
    calculation = order_fields.pop("calculation", None)
    if calculation is None and record.per_kg is None and record.fixed is None and not record.bands:
        if not fields["text"]:
            raise ValueError(f"{record.id}: an order without a dose needs its text")
        return Order(
            kind="medication",
            drug=product.drug,
            frequency=record.frequency,
            **fields,
            **order_fields,
        )
    if record.frequency is None:
        raise ValueError(f"{record.id}: a dose needs its frequency")
    if calculation is None:
        calculation = rule_calculation(record, context)
    order = medication_order(
        product, calculation, frequency=record.frequency, **fields, **order_fields
    )
    return attrs.evolve(order, text=order_line(order))
