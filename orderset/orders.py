"""Building medication orders from a formulary product and a dose calculation.

The fields that must agree with each other (the dose is the calculation's given dose, in the
product's unit, with the product's form and code, and a daily dose that follows from the
frequency) are filled here once, so no plugin can let them drift apart.
"""

from __future__ import annotations

from typing import Any

import pint

from orderset.formulary import Product
from orderset.model import Calculation, Order
from orderset.vocab import FREQUENCIES


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
