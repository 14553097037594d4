"""Dose labels (PDF): one 4 x 2 inch label per prepared dose, with a Data Matrix barcode.

Each label prints the patient's name, MRN and birth date, the drug (tall man) and dose, the
final volume and concentration, route, rate and the earliest beyond-use time, all from the
engine's
`Order.dose_preparation` (the worksheet prints the same, with every storage condition), and
a Data Matrix (ECC 200, ISO/IEC
16022) holding the dose's identity (`payload`). Data Matrix rather than Code 128: a 2-inch label
has room for about 20 Code 128 characters at a bar width scanners read reliably, while the
identity (MRN, order, drug, dose, final volume, beyond-use time) needs 80 to 120; Data Matrix
holds it in about 18 mm square with Reed-Solomon error correction, and every 2D imager used for
bedside barcode scanning reads it. It is not GS1 Data Matrix: GS1 element strings identify a
trade item by its GTIN, which a patient-specific preparation does not have.

The symbol is made by zxing-cpp (`pip install 'orderset[labels]'`), a maintained library that
also decodes it in the tests; it is imported only when labels are rendered.

Layouts (the `label_layout` option, the CLI's `--label-layout`): "sheet", 10 labels on a Letter
page in 2 columns of 5 (the common 4 x 2 inch label sheet); "single", one label per 4 x 2 inch
page for a label printer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from markupsafe import Markup

from orderset import preptime
from orderset.errors import OrdersetError
from orderset.formatting import format_quantity
from orderset.model import DosePreparation, Order, OrderSet
from orderset.preparation import PER_PHARMACY, beyond_use_at, concentration_label
from orderset.renderers import html as sheet
from orderset.renderers import worksheet

TEMPLATE = "labels.html.j2"
STYLESHEET = "labels.css"
LABELS_PER_SHEET = 10
#: Data Matrix module size: 0.4 mm is well above what bedside imagers resolve.
MODULE_MM = 0.4
QUIET_ZONE = 2
PAYLOAD_PREFIX = "ORDERSET"
#: Characters of family plus given name above which a label prints the name smaller.
LONG_NAME = 34


class LabelRenderError(OrdersetError, RuntimeError):
    """A label cannot be made (the barcode library is missing, or a value is not ASCII)."""


def payload(order_set: OrderSet, order: Order, dp: DosePreparation, when: dt.datetime) -> str:
    """The text the label's barcode holds: fields separated by "|", each NAME=value (`when`:
    the preparation time the beyond-use time counts from)."""
    until = beyond_use_at(dp, when)
    first = min((t for _, t in until), default=None)
    fields = [
        PAYLOAD_PREFIX,
        f"MRN={order_set.case.patient.mrn}",
        f"ORDER={order.id}",
        f"DRUG={order.drug}",
        f"DOSE={dp.dose_label}",
        f"FINAL={format_quantity(dp.final_volume) if dp.final_volume is not None else 'NA'}",
        f"BUD={first.isoformat() if first is not None else 'NA'}",
    ]
    text = "|".join(fields)
    if not text.isascii() or not text.isprintable():
        raise LabelRenderError(f"label barcode for {order.id}: {text!r} is not printable ASCII")
    return text


_SIZE = re.compile(r'<svg width="(\d+)" height="(\d+)"')
_PATH = re.compile(r'<path d="([^"]+)"')


def datamatrix_svg(text: str) -> Markup:
    """`text` as an inline SVG Data Matrix (ECC 200), sized in mm, with a quiet zone."""
    try:
        import zxingcpp
    except ImportError:
        raise LabelRenderError(
            "labels need the zxing-cpp package: pip install 'orderset[labels]'"
        ) from None
    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.DataMatrix)
    svg = symbol.to_svg(add_quiet_zones=False)
    size, path = _SIZE.search(svg), _PATH.search(svg)
    if size is None or path is None:  # pragma: no cover - depends on the library's output
        raise LabelRenderError("zxing-cpp returned an SVG this renderer cannot read")
    width, height = int(size.group(1)), int(size.group(2))
    q = QUIET_ZONE
    return Markup(
        f'<svg class="datamatrix" xmlns="http://www.w3.org/2000/svg"'
        f' width="{(width + 2 * q) * MODULE_MM:.1f}mm"'
        f' height="{(height + 2 * q) * MODULE_MM:.1f}mm"'
        f' viewBox="{-q} {-q} {width + 2 * q} {height + 2 * q}"'
        f' role="img" aria-label="Data Matrix">'
        f'<path d="{path.group(1)}"/></svg>'
    )


def label(
    order_set: OrderSet, order: Order, dp: DosePreparation, when: dt.datetime
) -> dict[str, Any]:
    """One label's printed text and barcode (`when`: the preparation time)."""
    p = order_set.case.patient
    final = "per pharmacy procedure"
    if dp.final_volume is not None:
        final = format_quantity(dp.final_volume)
        if dp.final_concentration is not None:
            conc = format_quantity(dp.final_concentration, concentration_label(dp.dose_unit))
            final += f" ({conc})"
    if dp.route != "IV":
        rate = ""
    elif dp.rate is not None and dp.infuse_over is not None:
        rate = f"{format_quantity(dp.rate, max_places=1)} over {format_quantity(dp.infuse_over)}"
    elif dp.titrated:
        rate = "rate steps on the order" + (
            f" ({format_quantity(dp.infuse_over)} in all)" if dp.infuse_over is not None else ""
        )
    else:
        rate = PER_PHARMACY
    code = payload(order_set, order, dp, when)
    return {
        "name": f"{sheet.isolate(p.family_name)}, {sheet.isolate(p.given_name)}",
        "long_name": len(p.family_name) + len(p.given_name) > LONG_NAME,
        "mrn": p.mrn,
        "birth_date": p.birth_date.isoformat(),
        "drug": sheet.tall_man(order.drug or "") + (f" {order.strength}" if order.strength else ""),
        "dose": dp.dose_label,
        "final": final,
        "route": dp.route,
        "rate": rate,
        "beyond_use": _earliest(dp, when),
        "light": bool(dp.protect_from_light),
        "review": bool(dp.review),
        "double_check": dp.double_check,
        "order_id": order.id,
        "payload": code,
        "barcode": datamatrix_svg(code),
    }


def _earliest(dp: DosePreparation, when: dt.datetime) -> list[str]:
    """The label's beyond-use line: the earliest time of any storage condition (the safe one
    whichever way the dose is kept; a 2-inch label has no room for every condition, the
    worksheet lists them all)."""
    times = beyond_use_at(dp, when)
    if not times:
        return [PER_PHARMACY]
    condition, until = min(times, key=lambda pair: pair[1])
    more = f" (earliest of {len(times)} storage conditions)" if len(times) > 1 else ""
    return [f"{sheet._datetime(until)}, {condition}{more}"]


def labels_context(order_set: OrderSet, when: dt.datetime, label_layout: str) -> dict[str, Any]:
    layout = preptime.check_label_layout(label_layout)
    items = [label(order_set, o, dp, when) for o, dp in worksheet.prepared_orders(order_set)]
    per_page = LABELS_PER_SHEET if layout == "sheet" else 1
    pages = [items[i : i + per_page] for i in range(0, len(items), per_page)] or [[]]
    return {
        "title": f"Dose labels: {order_set.case.patient.mrn}",
        "prepared_iso": when.isoformat(),
        "prepared_at": sheet._datetime(when),
        "layout": layout,
        "pages": pages,
    }


def render_html(
    order_set: OrderSet, *, prepared_at: dt.datetime | None = None, label_layout: str = "sheet"
) -> str:
    when = worksheet.preparation_time(order_set, prepared_at)
    context = labels_context(order_set, when, label_layout)
    with sheet.template_dir() as root:
        env = sheet._environment(str(root))
        css = (root / STYLESHEET).read_text(encoding="utf-8")
        return env.get_template(TEMPLATE).render(css=Markup(css), **context)


def _boxes(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _boxes(child)


_TOO_BIG = (
    "the label for {order} does not fit 4 x 2 inches; print the worksheet and label this"
    " dose by hand"
)


def check_fit(document: Any) -> None:
    """Refuse to print a label whose text runs past its 4 x 2 inches. A label clips what
    does not fit (`overflow: hidden`, so it never spills onto its neighbour); a clipped line
    could be the beyond-use time or PROTECT FROM LIGHT, so a label that would lose any is an
    error naming its order, never a quietly shortened label. (A long name is shortened on
    purpose, with an ellipsis, by the stylesheet: MRN and birth date identify the patient.)"""
    slack = 0.5  # CSS px: rounding in the layout
    seen: set[str] = set()
    for page in document.pages:
        for box in _boxes(page._page_box):
            element = getattr(box, "element", None)
            if element is None or box.element_tag != "div":
                continue
            if "label" not in (element.get("class") or "").split():
                continue
            order = element.get("data-order") or "a dose"
            if order in seen:  # split over two pages: it overflowed its page
                raise LabelRenderError(_TOO_BIG.format(order=order))
            seen.add(order)
            bottom = box.padding_box_y() + box.padding_height()
            right = box.padding_box_x() + box.padding_width()
            for inner in _boxes(box):
                if inner is box:
                    continue
                if (
                    inner.position_y + inner.margin_height() > bottom + slack
                    or inner.position_x + inner.margin_width() > right + slack
                ):
                    raise LabelRenderError(_TOO_BIG.format(order=order))


def render(
    order_set: OrderSet, *, prepared_at: dt.datetime | None = None, label_layout: str = "sheet"
) -> bytes:
    """The `labels` output format (PDF): `label_layout` "sheet" (10 to a Letter page) or "single"
    (one per page); beyond-use times count from `prepared_at` (else `assessed_at`); every
    label checked to fit (`check_fit`)."""
    from orderset.renderers.pdf import _UNDRAWABLE, html_to_pdf

    html = _UNDRAWABLE.sub(
        " ", render_html(order_set, prepared_at=prepared_at, label_layout=label_layout)
    )
    with sheet.template_dir() as root:
        return html_to_pdf(html, root, check=check_fit)
