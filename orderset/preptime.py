"""The preparation options of the pharmacy outputs, the same for the command line, the service
and the Python API: when the doses are prepared (`prepared_at`, from which beyond-use times
count) and how labels are laid out (`label_layout`).

Which formats read them is stated here once, so that an option a format would silently ignore
is refused naming it (`--label-layout` with `--format json` is a mistake, not a no-op).
The default preparation time of the pharmacy's own tools (`orderset build`, `orderset serve`)
is the time of the build or request: a pharmacist prints a worksheet when preparing. The
Python API has no clock of its own: without `prepared_at` the worksheet and labels count from
the case's `assessed_at` (reproducible bytes) and say so on the page.
"""

from __future__ import annotations

import datetime as dt

from orderset.errors import InputError

#: Formats that print beyond-use times and so always need a preparation time.
PHARMACY_FORMATS = ("worksheet", "labels")
LABEL_LAYOUTS = ("sheet", "single")
EXAMPLE = "2026-11-22T08:30-05:00"


def parse_prepared_at(text: str, field: str = "prepared_at") -> dt.datetime:
    """An ISO 8601 date and time with its UTC offset, never a bare local time: parsed as the
    case's `assessed_at` (`orderset.loader.parse_datetime`)."""
    from orderset.loader import parse_datetime

    return parse_datetime(text, field)


def check_prepared_at(value: dt.datetime, field: str = "prepared_at") -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InputError(field, f"{value!r} is not a date and time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(field, f"{value.isoformat()!r} has no UTC offset (write it as {EXAMPLE})")
    return value


def check_label_layout(layout: str, field: str = "label_layout") -> str:
    if layout not in LABEL_LAYOUTS:
        raise InputError(field, f"{layout!r} is not a label layout ({', '.join(LABEL_LAYOUTS)})")
    return layout


def check_options(fmt: str, prepared_at: object | None, label_layout: object | None) -> None:
    """Refuse an option the format would ignore, naming it (`orderset.renderers.check_options`:
    each renderer lists the options it takes)."""
    from orderset.renderers import BUILTIN_FORMATS
    from orderset.renderers import check_options as check_render_options

    given = [n for n, v in (("prepared_at", prepared_at), ("label_layout", label_layout)) if v]
    # A plugin's format is left to `orderset.render`, which checks it with its renderer.
    if given and fmt in BUILTIN_FORMATS:
        check_render_options(fmt, given)


def now() -> dt.datetime:
    """The time of this build or request, to the second, in the machine's UTC offset."""
    return dt.datetime.now(dt.UTC).astimezone().replace(microsecond=0)
