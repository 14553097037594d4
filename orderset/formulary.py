"""Formulary products: what the pharmacy stocks and how finely a dose of it can be measured."""

from __future__ import annotations

from collections.abc import Mapping

import pint
from attrs import frozen

from orderset.errors import InputError


@frozen
class Product:
    """One stocked product. `increment` is the ROUND-1 measurable step for doses of it."""

    key: str
    drug: str
    description: str
    dose_unit: str
    increment: pint.Quantity
    dosage_form: str = ""
    route: str = ""
    concentration: pint.Quantity | None = None
    container_sizes: tuple[pint.Quantity, ...] = ()
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
