"""orderset: a patient-specific order set for acute necrotizing encephalopathy (ANE).

>>> import orderset
>>> case = orderset.load_case("examples/toddler-shock-brainstem.json")
>>> order_set = orderset.build_order_set(case)
>>> print(orderset.to_json(order_set))
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("orderset")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

from orderset.engine import build_order_set
from orderset.errors import InputError, OrdersetError, PluginError
from orderset.hookspecs import hookimpl
from orderset.loader import case_from_dict, case_from_json, load_case
from orderset.model import Case, Order, OrderSet
from orderset.render_json import to_json, to_json_dict

__all__ = [
    "Case",
    "InputError",
    "Order",
    "OrderSet",
    "OrdersetError",
    "PluginError",
    "__version__",
    "build_order_set",
    "case_from_dict",
    "case_from_json",
    "hookimpl",
    "load_case",
    "to_json",
    "to_json_dict",
]
