"""orderset's own pint registry, and the closed unit vocabularies that feed it.

pint's first use is not thread-safe and its string parser is unsafe for clinical text
("units" parses as micro-nit, "U" as the enzyme unit, "Mg" as megagram), so the registry is
built here, at import (under Python's import lock, once), and user text never reaches
`Quantity(str)`: every input field maps an allow-list of spellings to units built once below.

The registry is orderset's own: it is never made pint's application registry, so a host
application's quantities (made before or after `import orderset`) keep working. Quantities
orderset returns (`Order.dose`, `Patient.weight`, ...) belong to `orderset.units.ureg`; convert
them with `.to(...)` and take `.magnitude`, or build a quantity in your own registry from
`(q.magnitude, str(q.units))`, before mixing them with your own.

Every Quantity becomes a Decimal through one function, `to_decimal(q, unit)`: the dose path
(`dosing`), the input checks (`loader`), SCORE-1 (`severity`), renal function (`renal`) and the
engine's cap checks all call it, and each caller rounds explicitly (`.quantize(...)`) where it
needs to, so the rounding is visible where the decision is made.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeAlias

import pint
from pint.facets.plain import PlainUnit

from orderset import _cache
from orderset.errors import InputError


def _cache_folder() -> Path | None:
    """An app-owned folder for pint's parsed-definitions cache (ORDERSET_CACHE_DIR, else the
    user cache dir) in the `orderset` command's own process; None when caching is switched off
    with ORDERSET_CACHE_DIR="", and always None for a library import (it writes nothing)."""
    if not _cache.enabled():
        return None
    configured = os.environ.get("ORDERSET_CACHE_DIR")
    if configured == "":
        return None
    base = Path(configured) if configured else Path.home() / ".cache" / "orderset"
    return base / f"pint-{pint.__version__}"


def _make_registry() -> pint.UnitRegistry:
    """Build the registry from pint's cache when possible (about 8x faster at start-up).

    pint marks `cache_folder` experimental, so any failure to use it (read-only home, a
    corrupt cache) falls back to parsing the definitions, and the registry is the same.
    """
    folder = _cache_folder()
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return pint.UnitRegistry(cache_folder=folder)
        except Exception:  # pragma: no cover - depends on the file system
            pass
    return pint.UnitRegistry()


#: A unit as pint hands it back: `q.units` is typed as the plain facet's unit class, which the
#: registry's units (`ureg.kilogram`) are subclasses of. Annotate unit parameters with this.
UnitLike: TypeAlias = PlainUnit

ureg = _make_registry()
Quantity = ureg.Quantity
Unit = ureg.Unit

# Pre-built units: the hot path multiplies these, it never parses strings.
kg = ureg.kilogram
g = ureg.gram
mg = ureg.milligram
mcg = ureg.microgram
lb = ureg.pound
oz = ureg.ounce
cm = ureg.centimeter
m = ureg.meter
inch = ureg.inch
mm = ureg.millimeter
L = ureg.liter
dL = ureg.deciliter
mL = ureg.milliliter
uL = ureg.microliter
h = ureg.hour
minute = ureg.minute
umol = ureg.micromole
mol = ureg.mole
percent = ureg.percent
dimensionless = ureg.dimensionless

mg_per_kg = mg / kg
g_per_kg = g / kg
mL_per_kg = mL / kg
mL_per_h = mL / h
mg_per_mL = mg / mL
mg_per_dL = mg / dL
g_per_L = g / L
mg_per_L = mg / L
umol_per_L = umol / L
mg_per_kg_per_min = mg / kg / minute
L_per_kg = L / kg
per_L = (1 / L).units
#: 10^9/L, the platelet count unit, is exactly one per nanoliter: a pint Unit, not a Quantity.
giga_per_L = (1 / ureg.nanoliter).units
per_uL = (1 / uL).units
#: Creatinine molar mass, for converting umol/L to mg/dL (1 mg/dL = 88.4 umol/L).
CREATININE_MOLAR_MASS = Quantity(113.12, g / mol)


#: One millionth: the noise guard used where pint did float arithmetic on a plugin's float or
#: int magnitudes (425.99999999999994 mg becomes 426.000000 mg before any dose rounding).
MICRO = Decimal("0.000001")


def exact_decimal(number: float | int | Decimal) -> Decimal:
    """A plain number as a Decimal, exactly as written: a Decimal is kept, an int is exact, a
    float is built from its repr (0.1 is Decimal("0.1"), not 0.1000000000000000055...)."""
    if isinstance(number, Decimal):
        if not number.is_finite():
            raise ValueError(f"{number!r} is not a finite number")
        return number
    if isinstance(number, bool):
        raise TypeError(f"{number!r} is a truth value, not a number")
    if isinstance(number, int):
        return Decimal(number)
    if isinstance(number, float):
        if not math.isfinite(number):
            raise ValueError(f"{number!r} is not a finite number")
        return Decimal(repr(number))
    raise TypeError(f"{number!r} is not a number")


def to_decimal(q: pint.Quantity, unit: UnitLike) -> Decimal:
    """The one Quantity -> Decimal conversion: `q` in `unit`, not rounded.

    A Decimal magnitude stays Decimal through pint's conversion (pint scales it with Decimal
    factors); a float or int magnitude is converted by pint in float and the result is taken
    exactly from its repr, so any binary noise of that conversion is kept for the caller to
    round away. No conversion happens when `q` is already in `unit`. A wrong dimension raises
    pint's DimensionalityError.
    """
    magnitude = q.magnitude if q.units == unit else q.to(unit).magnitude
    return exact_decimal(magnitude)


def exact(q: pint.Quantity) -> pint.Quantity:
    """`q` in its own unit with its magnitude as an exact Decimal (`exact_decimal`), so pint's
    arithmetic and unit conversion on it stay Decimal (pint refuses to mix Decimal and float)."""
    return Quantity(to_decimal(q, q.units), q.units)


def decimal_quantity(value: Decimal, unit: UnitLike) -> pint.Quantity:
    """A Quantity with a Decimal magnitude, written without trailing zeros or an exponent
    (Decimal("426.000") mg becomes 426 mg, Decimal("4.3E+2") mg becomes 430 mg)."""
    return Quantity(plain(value), unit)


def plain(value: Decimal) -> Decimal:
    """`value` without trailing zeros and never in exponent form: 426.000 -> 426, 8.50 -> 8.5,
    4.3E+2 -> 430 (same number, shorter digits)."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return normal.quantize(Decimal(1))
    return normal


class Spellings(dict[str, pint.Unit]):
    """Unit spellings indexed by their normalised key; `labels` keeps them as written
    ("mg/dL"), the first spelling of each unit, for forms that offer the units."""

    labels: tuple[str, ...] = ()


def spellings(pairs: Mapping[str, pint.Unit]) -> Spellings:
    """Index spellings case-insensitively and with spaces removed ("mg / dL" == "mg/dl")."""
    out = Spellings({_key(k): v for k, v in pairs.items()})
    seen: list[pint.Unit] = []
    labels = []
    for label, unit in pairs.items():
        if not any(unit is u for u in seen):
            seen.append(unit)
            labels.append(label)
    out.labels = tuple(labels)
    return out


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("µ", "u").replace("μ", "u").replace("×", "x").lower()


#: How a weight unit the input accepts is printed back ("weight as entered").
WEIGHT_LABELS: dict[UnitLike, str] = {kg: "kg", g: "g", lb: "lb", oz: "oz"}

#: Per input field: the unit spellings accepted, each mapped to a pre-built unit.
WEIGHT_UNITS = spellings({"kg": kg, "g": g, "lb": lb, "lbs": lb, "oz": oz})
HEIGHT_UNITS = spellings({"cm": cm, "m": m, "in": inch, "mm": mm})
CREATININE_UNITS = spellings({"mg/dL": mg_per_dL, "umol/L": umol_per_L})
week = ureg.week
#: patient.gestational_age_at_birth: weeks only ("34 weeks"); days-based spellings are not
#: accepted so "34" can never be read as days.
GESTATIONAL_AGE_UNITS = spellings({"weeks": week, "week": week, "wk": week})
HEMATOCRIT_UNITS = spellings({"%": percent, "L/L": dimensionless})
PLATELET_UNITS = spellings(
    {
        "x10^9/L": giga_per_L,
        "10^9/L": giga_per_L,
        "x10E9/L": giga_per_L,
        "/uL": per_uL,
        "cells/uL": per_uL,
        "/mm3": per_uL,
        "/mm^3": per_uL,
    }
)
CSF_PROTEIN_UNITS = spellings({"mg/dL": mg_per_dL, "g/L": g_per_L, "mg/L": mg_per_L})

#: No clinical measurement in any accepted unit comes near this; larger numbers are typos.
MAX_MAGNITUDE = 1e9

#: Numbers are ASCII digits only: `\d` and `Decimal()` accept any Unicode decimal digit
#: ("1৪ kg" with a Bengali four, which looks like 8, would read as 14 kg).
_COMMA_NUMBER = re.compile(r"^\s*[-+]?[0-9]+,[0-9]")
_NUMBER = re.compile(r"^\s*([-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*(.*?)\s*$")
#: A decimal digit other than 0-9 (Bengali, Arabic-Indic, fullwidth, N'Ko, math bold, ...).
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def check_ascii_digits(field: str, text: str) -> None:
    """Refuse text holding a decimal digit other than ASCII 0-9, naming the field."""
    if _OTHER_DIGIT.search(text):
        raise InputError(
            field, f"{text!r} has a digit that is not 0-9 (write numbers in ASCII digits)"
        )


def parse_measurement(
    field: str, value: Any, units: Mapping[str, pint.Unit], what: str
) -> pint.Quantity:
    """Turn "14.2 kg" or {"value": 14.2, "unit": "kg"} into a Quantity, or name the problem.

    A bare number is refused, never given a default unit; a unit outside the field's
    allow-list is refused even when pint would understand it.
    """
    if isinstance(value, Mapping):
        extra = set(value) - {"value", "unit"}
        if extra:
            raise InputError(field, f"unknown key {sorted(extra)[0]!r} (expected value and unit)")
        sub = f"{field}." if field else ""
        if "value" not in value or "unit" not in value:
            raise InputError(field, 'needs both "value" and "unit"')
        number, unit_text = value["value"], value["unit"]
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise InputError(f"{sub}value", f"{number!r} is not a number")
        if not isinstance(unit_text, str):
            raise InputError(f"{sub}unit", f"{unit_text!r} is not a unit")
        check_ascii_digits(f"{sub}unit", unit_text)
        magnitude = float(number)
    elif isinstance(value, str):
        check_ascii_digits(field, value)
        if _COMMA_NUMBER.match(value):
            # "14,2" is 14.2 in much of Europe and "1,420" is 1420 in the US: never guess.
            raise InputError(
                field,
                f"{value!r} has a comma in the number; write it with a decimal point and no"
                f" thousands separator (e.g. {_example(what)})",
            )
        match = _NUMBER.match(value)
        if not match:
            raise InputError(
                field, f"{value!r} is not a number with a unit (e.g. {_example(what)})"
            )
        try:
            magnitude = float(Decimal(match.group(1)))
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only numbers
            raise InputError(field, f"{value!r} is not a number") from exc
        unit_text = match.group(2)
        if not unit_text:
            raise InputError(field, f"{value!r} has no unit (e.g. {_example(what)})")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        raise InputError(field, f"{value!r} has no unit (e.g. {_example(what)})")
    else:
        raise InputError(field, f"{value!r} is not a measurement (e.g. {_example(what)})")
    if magnitude != magnitude or magnitude in (float("inf"), float("-inf")):
        raise InputError(field, f"{value!r} is not a finite number")
    if abs(magnitude) > MAX_MAGNITUDE:
        raise InputError(field, f"{value!r} is far too large to be a measurement")
    unit = units.get(_key(unit_text))
    if unit is None:
        accepted = ", ".join(sorted(units))
        raise InputError(field, f"unit {unit_text!r} is not accepted for {what} (use {accepted})")
    return Quantity(magnitude, unit)


_EXAMPLES = {
    "weight": '"14.2 kg"',
    "height": '"96 cm"',
    "serum creatinine": '"0.3 mg/dL"',
    "hematocrit": '"35 %"',
    "platelets": '"85 x10^9/L"',
    "CSF protein": '"80 mg/dL"',
}


def _example(what: str) -> str:
    return _EXAMPLES.get(what, '"1 mg"')


#: Closed vocabulary of drug amount units: the label printed on the sheet and in HL7/JSON, and
#: the pint unit behind it. "mg PE" (phenytoin equivalents) is a mass for arithmetic and keeps
#: its own label so it is never printed as plain mg.
DRUG_UNITS: dict[str, pint.Unit] = {"mg": mg, "g": g, "mcg": mcg, "mL": mL, "mg PE": mg}
#: The same labels as (UCUM code, display text), for the HL7 and FHIR renderers. "mg PE" has no
#: UCUM unit: the amount is sent in mg and the text (and a note) say phenytoin equivalents.
UCUM_DRUG_UNITS: dict[str, tuple[str, str]] = {
    "mg": ("mg", "mg"),
    "g": ("g", "g"),
    "mcg": ("ug", "mcg"),
    "mL": ("mL", "mL"),
    "mg PE": ("mg", "mg PE"),
}
PHENYTOIN_EQUIVALENTS = "mg PE"


def drug_unit(label: str) -> pint.Unit:
    """The pint unit for a drug-unit label from the closed vocabulary; anything else is a bug."""
    try:
        return DRUG_UNITS[label]
    except KeyError:
        raise ValueError(f"drug unit {label!r} is not in the closed vocabulary") from None
