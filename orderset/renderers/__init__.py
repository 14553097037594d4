"""Output formats. Every renderer has one contract: `render(order_set, **options) -> bytes`.

Options are what a format needs beyond the order set and only it: the HL7 message time and the
previous order set a correction replaces (`message_time`, `replaces`), the pharmacy's
preparation time (`prepared_at`: the worksheet's, the labels' and the JSON's beyond-use times)
and the label layout (`label_layout`). Each `Renderer` names the options it takes; an option
given to a format that does not take it is an InputError naming the option, never ignored.

Renderers only render: everything clinical they print (alerts, timing windows, order lines,
renal text, grade policy) is already in the `OrderSet`, made by the engine or a plugin.

Built-in formats are listed in `BUILTIN_RENDERERS` and imported only when asked for, so the
JSON and HL7 paths never import weasyprint. A site adds a format without editing the package
by implementing the `orderset_renderers` hook (as datasette's `register_output_renderer`):

    from orderset.plugin import Renderer, hookimpl

    @hookimpl
    def orderset_renderers():
        return [Renderer("csv", "text/csv", "csv", render=my_csv)]

>>> import orderset
>>> order_set = orderset.build_order_set(orderset.load_case("examples/weight-in-lb.json"))
>>> orderset.render(order_set, "hl7")[:3]
b'FHS'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from attrs import frozen

from orderset.errors import InputError

if TYPE_CHECKING:
    from orderset.model import OrderSet

RenderFunction = Callable[..., bytes]


@frozen
class Renderer:
    """One output format: its name (`--format NAME`), media type and file extension.

    Give either `render` (a function) or `target` ("module:function", imported on first use).
    `options`: the keyword arguments the function takes besides the order set.
    """

    name: str
    media_type: str
    extension: str
    render: RenderFunction | None = None
    target: str | None = None
    description: str = ""
    options: tuple[str, ...] = ()

    def function(self) -> RenderFunction:
        if self.render is not None:
            return self.render
        if self.target is None:
            raise ValueError(f"renderer {self.name!r} has neither render nor target")
        module_name, func = self.target.split(":")
        function: RenderFunction = getattr(importlib.import_module(module_name), func)
        return function


BUILTIN_RENDERERS: tuple[Renderer, ...] = (
    Renderer(
        "json",
        "application/json",
        "json",
        target="orderset.renderers.json:render",
        description="the order set as JSON (schema orderset/1)",
        options=("prepared_at",),
    ),
    Renderer(
        "hl7",
        "application/hl7-v2",
        "hl7",
        target="orderset.renderers.hl7:render",
        description="HL7 v2.5.1 batch: OMP^O09 (medications) and OMG^O19 (other orders)",
        options=("message_time", "replaces"),
    ),
    Renderer(
        "fhir",
        "application/fhir+json",
        "fhir.json",
        target="orderset.renderers.fhir:render",
        description="FHIR R4 Bundle: RequestGroup (CPG order set) with its requests",
    ),
    Renderer(
        "html",
        "text/html",
        "html",
        target="orderset.renderers.html:render",
        description="the admission order sheet as one HTML document",
    ),
    Renderer(
        "pdf",
        "application/pdf",
        "pdf",
        target="orderset.renderers.pdf:render",
        description="the printed admission order sheet",
    ),
    Renderer(
        "worksheet",
        "application/pdf",
        "pdf",
        target="orderset.renderers.worksheet:render",
        description="the pharmacy preparation worksheet: one block per selected medication dose",
        options=("prepared_at",),
    ),
    Renderer(
        "labels",
        "application/pdf",
        "pdf",
        target="orderset.renderers.labels:render",
        description="dose labels, 4 x 2 inches, with a Data Matrix barcode",
        options=("prepared_at", "label_layout"),
    ),
)
#: Built-in format names, for argument parsers that run before any plugin is loaded.
BUILTIN_FORMATS: tuple[str, ...] = tuple(r.name for r in BUILTIN_RENDERERS)


def renderers(extra: Iterable[Renderer] = ()) -> Mapping[str, Renderer]:
    """Built-in renderers plus `extra` (from the `orderset_renderers` hook); a site renderer
    may not replace a built-in format, so `--format pdf` always means the order sheet."""
    table = {r.name: r for r in BUILTIN_RENDERERS}
    for renderer in extra:
        if renderer.name in table:
            raise InputError("--format", f"format {renderer.name!r} is already defined")
        table[renderer.name] = renderer
    return table


def find(fmt: str, extra: Iterable[Renderer] = ()) -> Renderer:
    """The renderer of `fmt`; an unknown name is an InputError listing the known ones."""
    table = renderers(extra)
    if fmt not in table:
        raise InputError("format", f"unknown format {fmt!r} (known: {', '.join(sorted(table))})")
    return table[fmt]


def renderer(fmt: str, extra: Iterable[Renderer] = ()) -> RenderFunction:
    """The render function for `fmt`; an unknown name is an InputError listing the known ones."""
    return find(fmt, extra).function()


def check_options(fmt: str, options: Iterable[str], extra: Iterable[Renderer] = ()) -> None:
    """Refuse an option `fmt` does not take, naming it and the formats that do take it."""
    table = renderers(extra)
    taken = find(fmt, extra).options
    for name in options:
        if name not in taken:
            takers = sorted(r.name for r in table.values() if name in r.options)
            where = f" (it applies to: {', '.join(takers)})" if takers else ""
            raise InputError(name, f"does not apply to format {fmt!r}{where}")


def render(order_set: OrderSet, fmt: str, extra: Iterable[Renderer] = (), **options: Any) -> bytes:
    """The order set in format `fmt` ("json", "hl7", "html", "pdf", "fhir", "worksheet",
    "labels", or a site format from `extra`) as the bytes of the file. `options` go to the
    formats that take them (`Renderer.options`); any other is an InputError naming it."""
    check_options(fmt, options, extra)
    if "prepared_at" in options or "label_layout" in options:
        from orderset import preptime

        if options.get("prepared_at") is not None:
            preptime.check_prepared_at(options["prepared_at"])
        if options.get("label_layout") is not None:
            preptime.check_label_layout(options["label_layout"])
    return renderer(fmt, extra)(order_set, **options)
