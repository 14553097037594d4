"""orderset: a patient-specific order set for acute necrotizing encephalopathy (ANE).

>>> import orderset
>>> case = orderset.load_case("examples/toddler-shock-brainstem.json")
>>> order_set = orderset.build_order_set(case)
>>> pdf_bytes = orderset.render(order_set, "pdf")
"""

from __future__ import annotations

from orderset._version import __version__
from orderset.engine import build_order_set
from orderset.errors import InputError, OrdersetError, PluginError
from orderset.loader import case_from_dict, case_from_json, load_case
from orderset.model import Case, Order, OrderSet
from orderset.plugin.hookspecs import hookimpl
from orderset.renderers import render
from orderset.renderers.json import to_json, to_json_dict

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
    "render",
    "to_json",
    "to_json_dict",
]
