"""Output formats by name. Each renderer module is imported only when its format is asked
for, so the JSON and HL7 paths never import weasyprint."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from orderset.model import OrderSet

#: format name -> "module:function" taking an OrderSet and returning the file's bytes.
RENDERERS: dict[str, str] = {
    "json": "orderset.render_json:render_bytes",
    "hl7": "orderset.hl7:render_batch",
    "html": "orderset.sheet:render_bytes",
    "pdf": "orderset.pdf:render_bytes",
}


def renderer(fmt: str) -> Callable[[OrderSet], bytes]:
    module_name, func = RENDERERS[fmt].split(":")
    return getattr(importlib.import_module(module_name), func)


def render(order_set: OrderSet, fmt: str) -> bytes:
    return renderer(fmt)(order_set)
