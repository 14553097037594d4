"""orderset: a patient-specific order set for acute necrotizing encephalopathy (ANE).

>>> import orderset
>>> case = orderset.load_case("examples/toddler-shock-brainstem.json")
>>> order_set = orderset.build_order_set(case)
>>> pdf_bytes = orderset.render(order_set, "pdf")

The public names are imported on first use (PEP 562), so `import orderset` itself is cheap and
writes nothing; the `orderset` command uses that moment to allow pint's definitions cache in
its own process before the unit registry is built (see `orderset._cache`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from orderset._version import __version__
from orderset.errors import InputError, OrdersetError, PluginError

if TYPE_CHECKING:
    from orderset.engine import build_order_set
    from orderset.loader import case_from_dict, case_from_json, load_case
    from orderset.model import Case, Order, OrderSet
    from orderset.plugin.hookspecs import hookimpl
    from orderset.renderers import render
    from orderset.renderers.json import to_json, to_json_dict

#: Public name -> the module it lives in, imported on first access.
_LAZY = {
    "build_order_set": "orderset.engine",
    "case_from_dict": "orderset.loader",
    "case_from_json": "orderset.loader",
    "load_case": "orderset.loader",
    "Case": "orderset.model",
    "Order": "orderset.model",
    "OrderSet": "orderset.model",
    "hookimpl": "orderset.plugin.hookspecs",
    "render": "orderset.renderers",
    "to_json": "orderset.renderers.json",
    "to_json_dict": "orderset.renderers.json",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'orderset' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
