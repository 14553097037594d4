"""Number and quantity display per ISMP: no trailing zeros, a leading zero, thousands
separators, a space between number and unit, and only safe unit spellings.

Every renderer (JSON text fields, HL7 notes, the printed sheet) formats through here, so the
rules hold everywhere or nowhere.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import pint

from orderset import units

#: Display labels for the units the engine produces. pint's own names ("milligram / kilogram")
#: are never printed; an unknown unit is a programming error, not something to guess.
_UNIT_LABELS: dict[units.UnitLike, str] = {
    units.mg: "mg",
    units.g: "g",
    units.mcg: "mcg",
    units.kg: "kg",
    units.mL: "mL",
    units.L: "L",
    units.cm: "cm",
    units.h: "hours",
    units.minute: "minutes",
    units.mg_per_kg: "mg/kg",
    units.g_per_kg: "g/kg",
    units.mL_per_kg: "mL/kg",
    units.mL_per_h: "mL/h",
    units.mg_per_mL: "mg/mL",
    units.mg_per_dL: "mg/dL",
    units.mg_per_kg_per_min: "mg/kg/min",
    units.L_per_kg: "L/kg",
    units.g_per_L: "g/L",
    units.percent: "%",
}


def to_decimal(value: float | int | Decimal, places: int = 6) -> Decimal:
    """A plain number for display as a Decimal: a float or int from pint arithmetic is taken
    exactly (`units.exact_decimal`) and rounded half up to `places` to drop binary noise
    (425.99999999999994); a Decimal is returned as it is. For a Quantity use
    `units.to_decimal(q, unit)`."""
    if isinstance(value, Decimal):
        return value
    return units.exact_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_number(value: float | int | Decimal, max_places: int = 3) -> str:
    """ISMP number: "1,000", "0.5", "12.25"; never "5.0" or ".5"."""
    d = to_decimal(value).quantize(Decimal(1).scaleb(-max_places), rounding=ROUND_HALF_UP)
    if d == 0:
        return "0"
    text = f"{d:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def unit_label(unit: units.UnitLike) -> str:
    try:
        return _UNIT_LABELS[unit]
    except KeyError:
        raise ValueError(f"no display label for unit {unit!s}") from None


def format_quantity(
    q: pint.Quantity,
    label: str | None = None,
    unit: units.UnitLike | None = None,
    max_places: int = 3,
) -> str:
    """ "425 mg", "0.5 mL/h", "1,000 mg"; `label` overrides the unit text (e.g. "mg PE")."""
    if unit is not None:
        q = q.to(unit)
    return f"{format_number(q.magnitude, max_places)} {label or unit_label(q.units)}"


#: Text that must never appear on an order (Joint Commission "Do Not Use" and ISMP error-prone
#: abbreviations), as regexes over whole words; "5.0 mg"-style trailing zeros; ".5" without a
#: leading zero.
FORBIDDEN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("U for units", re.compile(r"(?<![\w/])\d[\d,.]*\s*U\b")),
    ("IU", re.compile(r"\bIU\b")),
    ("QD", re.compile(r"\bQ\.?D\.?\b", re.IGNORECASE)),
    ("QOD", re.compile(r"\bQ\.?O\.?D\.?\b", re.IGNORECASE)),
    ("cc", re.compile(r"\d\s*cc\b|\bcc\b")),
    ("ug", re.compile(r"\d\s*ug\b|\bug\b")),
    ("MS", re.compile(r"\bMS\b")),
    ("MSO4", re.compile(r"\bMSO4\b")),
    ("MgSO4", re.compile(r"\bMgSO4\b")),
    ("trailing zero", re.compile(r"(?<![\d.])\d[\d,]*\.0+(?!\d)")),
    ("no leading zero", re.compile(r"(?<![\w.])\.\d")),
)


def ismp_violations(text: str) -> list[str]:
    """Names of the ISMP/Joint Commission rules a line of text breaks (empty when clean)."""
    return [name for name, pattern in FORBIDDEN_PATTERNS if pattern.search(text)]
