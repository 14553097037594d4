"""The plugin API: the one import a rule plugin needs.

    from orderset.plugin import BuildContext, MedicationRule, Section, hookimpl, order_from_rule

Everything named in `__all__` is the stable surface for plugin authors (built-in and
third-party alike); anything imported from deeper modules may move between releases. The hook
specifications, with their contracts, are in `orderset.plugin.hookspecs`; the host that loads
plugins and calls them one at a time is `orderset.plugin.host`.
"""

from __future__ import annotations

from orderset import units
from orderset.context import BuildContext
from orderset.dosing import (
    Band,
    fixed_dose,
    pump_rate,
    round_to_increment,
    select_band,
    volume_for,
    weight_based_dose,
    weight_quantity,
)
from orderset.errors import InputError, OrdersetError, PluginError
from orderset.formatting import format_number, format_quantity, to_decimal
from orderset.formulary import Product
from orderset.model import (
    Alert,
    Calculation,
    Evidence,
    Order,
    OrderKind,
    OrderSet,
    Preparation,
    Section,
    TitrationStep,
)
from orderset.orders import (
    daily_dose,
    dose_label,
    medication_order,
    order_from_rule,
    rule_calculation,
)
from orderset.plugin.hookspecs import hookimpl, hookspec
from orderset.prepdata import PrepData, Presentation, Storage, containers
from orderset.renderers import Renderer
from orderset.rules import DoseBand, MedicationRule, Rule
from orderset.settings import Setting, Settings
from orderset.timing import hours_text
from orderset.vocab import FREQUENCIES, ROUTES

__all__ = [
    "FREQUENCIES",
    "ROUTES",
    "Alert",
    "Band",
    "BuildContext",
    "Calculation",
    "DoseBand",
    "Evidence",
    "InputError",
    "MedicationRule",
    "Order",
    "OrderKind",
    "OrderSet",
    "OrdersetError",
    "PluginError",
    "PrepData",
    "Preparation",
    "Presentation",
    "Product",
    "Renderer",
    "Rule",
    "Section",
    "Setting",
    "Settings",
    "Storage",
    "TitrationStep",
    "containers",
    "daily_dose",
    "dose_label",
    "fixed_dose",
    "format_number",
    "format_quantity",
    "hookimpl",
    "hookspec",
    "hours_text",
    "medication_order",
    "order_from_rule",
    "pump_rate",
    "round_to_increment",
    "rule_calculation",
    "select_band",
    "to_decimal",
    "units",
    "volume_for",
    "weight_based_dose",
    "weight_quantity",
]
