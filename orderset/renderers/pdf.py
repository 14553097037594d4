"""The order sheet as PDF: the HTML from `orderset.renderers.html` laid out by weasyprint.

weasyprint is imported inside the functions only (about 450 ms), so the JSON and HL7 paths
never pay for it. It reports a missing image, font or stylesheet and bad CSS as log messages,
not exceptions; a sheet with a missing part must never be printed, so every warning it logs
while rendering fails the render. Only local files under the template folder can be loaded.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from orderset.errors import OrdersetError
from orderset.model import OrderSet
from orderset.output import write_atomic


class SheetRenderError(OrdersetError, RuntimeError):
    """weasyprint reported a problem (missing resource, bad CSS): no PDF is produced."""


#: weasyprint warnings that say nothing about the sheet itself. Without Debian's
#: libharfbuzz-subset0 it subsets fonts with fontTools (slower, same glyphs) and warns on every
#: render; failing on that would make PDFs impossible on such a machine.
NOT_A_DEFECT = (re.compile(r"^Using fontTools instead of HarfBuzz-Subset for font "),)

#: Characters that are text but that pango draws as a missing glyph (.notdef): C0 and C1
#: controls other than tab, line feed and carriage return, and U+2028 LINE SEPARATOR. A name
#: holding one (free text stays text) prints a space there instead; HTML whitespace otherwise.
_UNDRAWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028]")


class _Collector(logging.Handler):
    """Keeps the weasyprint messages logged by one thread (other threads render their own)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        message = record.getMessage()
        if not any(pattern.search(message) for pattern in NOT_A_DEFECT):
            self.messages.append(message)


@contextlib.contextmanager
def _weasyprint_messages() -> Iterator[list[str]]:
    logger = logging.getLogger("weasyprint")
    collector = _Collector()
    old_level = logger.level
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    logger.addHandler(collector)
    try:
        yield collector.messages
    finally:
        logger.removeHandler(collector)
        logger.setLevel(old_level)


def _local_fetcher(root: Path) -> Any:
    """A URL fetcher that serves files under `root` and refuses everything else (no network,
    no file elsewhere on the machine): weasyprint logs the refusal, which fails the render."""
    from weasyprint.urls import URLFetcher

    prefix = root.resolve().as_uri() + "/"

    class LocalFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not (url.startswith(prefix) or url.startswith("data:")):
                raise ValueError(f"refusing {url!r}: only bundled template files may be loaded")
            return super().fetch(url, headers)

    return LocalFetcher(allowed_protocols=("file", "data"))


def html_to_pdf(html: str, base_dir: Path, check: Callable[[Any], None] | None = None) -> bytes:
    """Lay out `html` (relative URLs resolve under `base_dir`) as PDF bytes, or raise
    SheetRenderError naming every problem weasyprint logged. `check(document)`, if given,
    sees weasyprint's laid-out document before it is written and may raise."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    with _weasyprint_messages() as messages:
        fonts = FontConfiguration()
        document = weasyprint.HTML(
            string=html,
            base_url=base_dir.resolve().as_uri() + "/",
            url_fetcher=_local_fetcher(base_dir),
        )
        if check is None:
            data: bytes | None = document.write_pdf(font_config=fonts)
        else:
            rendered = document.render(font_config=fonts)
            check(rendered)
            data = rendered.write_pdf()
    if messages:
        raise SheetRenderError("PDF render failed: " + "; ".join(messages))
    if not data:
        raise SheetRenderError("PDF render failed: weasyprint returned no data")
    return data


def render(order_set: OrderSet) -> bytes:
    """The `pdf` output format."""
    from orderset.renderers.html import render_html, template_dir

    html = _UNDRAWABLE.sub(" ", render_html(order_set))
    with template_dir() as root:
        return html_to_pdf(html, root)


def write_pdf(order_set: OrderSet, path: str | Path) -> None:
    """Render, then write atomically: a failed render leaves no file and an old one untouched."""
    write_atomic(path, render(order_set))
