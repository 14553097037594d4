"""Formulary products: what the pharmacy stocks and how finely a dose of it can be measured."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs
import pint
from attrs import field, frozen

from orderset.errors import InputError
from orderset.prepdata import PrepData


def _positive_quantity(_product: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A product's amounts are pint Quantities, finite and more than zero: an increment of 0
    is refused where the product is made (naming its plugin), not where a dose divides by it."""
    for q in value if isinstance(value, tuple) else (value,):
        if q is None and attribute.name != "increment":
            continue
        if not isinstance(q, pint.Quantity):
            raise ValueError(f"product {attribute.name} {q!r} is not a quantity with a unit")
        magnitude = float(q.magnitude)
        if not math.isfinite(magnitude) or magnitude <= 0:
            raise ValueError(f"product {attribute.name} {q} must be more than zero")


@frozen
class Product:
    """One stocked product. `increment` is the ROUND-1 measurable step for doses of it."""

    key: str
    drug: str
    description: str
    dose_unit: str
    increment: pint.Quantity = field(validator=_positive_quantity)
    dosage_form: str = ""
    route: str = ""
    concentration: pint.Quantity | None = field(default=None, validator=_positive_quantity)
    container_sizes: tuple[pint.Quantity, ...] = field(default=(), validator=_positive_quantity)
    local_code: str = ""
    #: Where the product came from: "plugin:NAME" or "profile".
    source: str = ""
    #: Rate titration, product-specific (IVIG-1): dose rates (e.g. mg/kg/min) stepped up every
    #: `titration_interval` as tolerated; the last step is the maximum rate. Empty when none.
    titration_steps: tuple[pint.Quantity, ...] = ()
    titration_interval: pint.Quantity | None = None
    #: The largest dose per administration any order of this product may have, from its rule
    #: (cite the rule id where it is set): in the dose unit (OSE-2: 600 mg), or per kg of dosing
    #: weight (IVIG-1: 1 g/kg). The engine refuses a dose over it, and a dose that has neither
    #: this nor its calculation's maximum. None: no rule gives one.
    maximum_dose: pint.Quantity | None = None
    #: How the pharmacy prepares a dose (presentations, diluents, limits, storage), from the
    #: product's label as bundled by its plugin and the profile's `[formulary.KEY]` fields;
    #: None: nothing known, every preparation step is per pharmacy procedure.
    preparation: PrepData | None = None


class Formulary(Mapping[str, Product]):
    """Products by key; asking for a product nobody supplied is an error naming the key."""

    def __init__(self, products: Mapping[str, Product]) -> None:
        self._products = dict(products)

    def __getitem__(self, key: str) -> Product:
        try:
            return self._products[key]
        except KeyError:
            raise InputError(
                f"formulary.{key}", "no plugin or profile supplies this product"
            ) from None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._products)

    def __len__(self) -> int:
        return len(self._products)
