"""Code 128 barcodes drawn as inline SVG (the MRN on every page of the sheet).

python-barcode picks the code sets and computes the check symbol; drawing is done here so the
SVG is small, has no text of its own and is the same on every machine.
"""

from __future__ import annotations

import re
from decimal import Decimal

from markupsafe import Markup, escape

#: Quiet zone on each side of a Code 128 symbol, in modules (the standard asks for 10).
QUIET_ZONE = 10
BAR_HEIGHT = 30
#: Width of the narrowest bar in mm: 0.3 mm stays well above what hospital scanners resolve,
#: so the symbol grows with the MRN rather than its bars thinning.
MODULE_MM = Decimal("0.3")


def code128_modules(value: str) -> str:
    """The Code 128 module pattern ("1" = bar) of `value`, start, check and stop included.

    python-barcode picks the code sets and computes the check symbol; drawing is done here so
    the SVG is small, has no text of its own and is the same on every machine.
    """
    if not value.isascii() or not value.isprintable():
        raise ValueError(f"MRN {value!r} cannot be encoded as Code 128 (printable ASCII only)")
    from barcode import Code128  # type: ignore[import-untyped]  # python-barcode has no types

    return "".join(Code128(value).build())


def code128_svg(value: str) -> Markup:
    """An inline SVG Code 128 barcode: one rect per bar, widths in modules."""
    modules = code128_modules(value)
    width = len(modules) + 2 * QUIET_ZONE
    bars = []
    for match in re.finditer("1+", modules):
        x = match.start() + QUIET_ZONE
        bars.append(f'<rect x="{x}" y="0" width="{len(match.group())}" height="{BAR_HEIGHT}"/>')
    return Markup(
        f'<svg class="barcode" xmlns="http://www.w3.org/2000/svg"'
        f' width="{width * MODULE_MM}mm" height="{BAR_HEIGHT * MODULE_MM}mm"'
        f' viewBox="0 0 {width} {BAR_HEIGHT}" role="img"'
        f' aria-label="MRN {escape(value)} as Code 128">'
        f"{''.join(bars)}</svg>"
    )
