"""HL7 v2.5.1 encoding (ER7): escaping, fields, segments and the NM/TS value formats.

Segments are built as text rather than through hl7apy: hl7apy parses a raw string assigned to a
field as ER7, so a patient named `O'Brien|Smith^Jr` would split into fields. Every value goes
through `escape` at the leaf, so no free text can ever add a separator, a segment break or an
MLLP framing byte. Message content is in `orderset.renderers.hl7`; framing in `.mllp`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from orderset.errors import InputError
from orderset.formatting import to_decimal

VERSION = "2.5.1"
ENCODING_CHARACTERS = "^~\\&"
SEGMENT_END = "\r"

#: A field value: text (escaped), a tuple of components (a component may itself be a tuple of
#: subcomponents), a list of repetitions, or None for empty.
Value = str | tuple[Any, ...] | list[Any] | None

#: Control characters, and the Unicode line breaks (U+0085, U+2028, U+2029) that readers such
#: as python-hl7 split lines on: each run becomes one space.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


#: hl7apy's (and the standard's) maximum lengths of the text data types used below.
ST_MAX, IS_MAX = 199, 20


class HL7Error(InputError):
    """A case or profile value that valid HL7 cannot carry (e.g. a 300-character name)."""


def fits(value: str | None, limit: int, field: str) -> str | None:
    """Refuse, never truncate, a value longer than its HL7 data type allows (escaped length)."""
    if value is not None and len(escape(value)) > limit:
        raise HL7Error(field, f"is longer than the {limit} characters HL7 v2.5.1 allows here")
    return value


# ---- encoding -------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape HL7 delimiters (`\\E\\` first, then `\\F\\ \\S\\ \\T\\ \\R\\`).

    Control characters (CR, LF, tab, and the MLLP bytes 0x0B and 0x1C) become one space: a CR
    would end the segment and 0x1C would end the MLLP frame early.
    """
    text = _CONTROL.sub(" ", text)
    return (
        text.replace("\\", "\\E\\")
        .replace("|", "\\F\\")
        .replace("^", "\\S\\")
        .replace("&", "\\T\\")
        .replace("~", "\\R\\")
    )


def _join(parts: Sequence[str], sep: str) -> str:
    parts = list(parts)
    while parts and parts[-1] == "":
        parts.pop()
    return sep.join(parts)


def _subcomponents(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        return _join([escape(v) if v is not None else "" for v in value], "&")
    return escape(value)


def _repetition(value: Value) -> str:
    if isinstance(value, tuple):
        return _join([_subcomponents(v) for v in value], "^")
    return _subcomponents(value)


def encode_field(value: Value) -> str:
    """ER7 text of one field; trailing empty parts are dropped."""
    if isinstance(value, list):
        return _join([_repetition(v) for v in value], "~")
    return _repetition(value)


def segment(name: str, *fields: Value) -> str:
    """One segment, fields numbered from 1, ending with a carriage return only."""
    return _join([name, *(encode_field(f) for f in fields)], "|") + SEGMENT_END


def header(name: str, *fields: Value) -> str:
    """MSH, FHS and BHS: field 1 is the separator and field 2 the encoding characters."""
    rest = _join([encode_field(f) for f in fields], "|")
    return f"{name}|{ENCODING_CHARACTERS}" + (f"|{rest}" if rest else "") + SEGMENT_END


# ---- values ---------------------------------------------------------------------------------


def hl7_number(value: float | int | Decimal) -> str:
    """An NM value: the same decimal the JSON output prints (426, 0.5), never 4.26E+2."""
    d = to_decimal(value).normalize()
    return format(d, "f")


def hl7_datetime(moment: dt.datetime) -> str:
    """TS to the second with its UTC offset: 20261122060000-0500."""
    return moment.strftime("%Y%m%d%H%M%S%z")


def hl7_date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")
