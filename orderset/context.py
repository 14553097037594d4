"""What a plugin sees when it proposes orders: the case and everything derived for it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from attrs import frozen

from orderset.formulary import Formulary, Product
from orderset.model import Case, RenalFunction, Severity
from orderset.settings import Settings


@frozen
class BuildContext:
    case: Case
    settings: Settings
    formulary: Formulary
    severity: Severity | None = None
    renal: RenalFunction | None = None

    @property
    def weight_kg(self) -> Decimal:
        return self.case.weight_kg

    def setting(self, section: str, key: str) -> Any:
        return self.settings.get(section, key)

    def product(self, key: str) -> Product:
        return self.formulary[key]
