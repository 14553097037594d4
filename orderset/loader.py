"""Read a patient case (JSON, format version 1) into a validated `Case`.

cattrs structures the JSON straight into the frozen model classes, with per-field hooks for
measured values (each field has its own unit allow-list) and strict hooks for booleans and
strings (cattrs would otherwise turn "false" into True). Its nested validation errors are
flattened into one `InputError` that names the field path, e.g. `patient.weight`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import typing
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

import attrs
import cattrs
import pint
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, override

from orderset import glyphs, units
from orderset.errors import InputError
from orderset.formatting import format_number
from orderset.model import Age, Allergy, Case, Clinical, Encounter, Location, Patient, Provider
from orderset.textfiles import read_text

FORMAT_VERSION = 1


@attrs.frozen
class CaseDocument:
    """The top level of the input JSON."""

    patient: Patient
    clinical: Clinical
    encounter: Encounter = attrs.Factory(Encounter)
    assessed_at: dt.datetime | None = None
    format: int = FORMAT_VERSION


# ---- field hooks ------------------------------------------------------------------------------


def _measurement(units_allowed: Mapping[str, pint.Unit], what: str) -> Callable[[Any, Any], Any]:
    def hook(value: Any, _type: Any) -> pint.Quantity | None:
        if value is None:
            raise InputError("", f"is null; leave the field out if {what} is not known")
        return units.parse_measurement("", value, units_allowed, what)

    return hook


def _strict_bool(value: Any, _type: Any) -> bool:
    if not isinstance(value, bool):
        raise InputError("", f"{value!r} is not true or false")
    return value


def _strict_str(value: Any, _type: Any) -> str:
    if not isinstance(value, str):
        raise InputError("", f"{value!r} is not text")
    if not value.strip():
        raise InputError("", "is empty")
    return value


def _strict_int(value: Any, _type: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError("", f"{value!r} is not a whole number")
    return value


#: Dates are written YYYY-MM-DD in ASCII digits only (Python's parsers accept other forms, and
#: `Decimal`/`int` accept any Unicode decimal digit: "2023-0৩-04" must never be read as March).
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: A date and time: ASCII date, "T" or space, ASCII time, then the UTC offset (checked below).
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.,+\-Zz]+")


def _year_in_range(value: dt.date, field: str = "") -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InputError(field, f"year {value.year} is outside {MIN_YEAR} to {MAX_YEAR}")


def _date(value: Any, _type: Any) -> dt.date:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise InputError("", f"{value!r} is not a date (YYYY-MM-DD)")
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        raise InputError("", f"{value!r} is not a date (YYYY-MM-DD)") from None
    _year_in_range(parsed)
    return parsed


def parse_datetime(value: Any, field: str = "") -> dt.datetime:
    """An ISO 8601 date and time with its UTC offset, never a bare local time: the one parser
    of `assessed_at` and the other case times, `--message-time` and `--prepared-at`. `field`
    names the input in the error ("" inside a case: cattrs adds the path)."""
    if not isinstance(value, str):
        raise InputError(field, f"{value!r} is not a date and time")
    try:
        if not _ISO_DATETIME.fullmatch(value):
            raise ValueError(value)
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            field, f"{value!r} is not a date and time (e.g. 2026-11-22T06:00:00-05:00)"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InputError(field, f"{value!r} has no UTC offset (e.g. 2026-11-22T06:00:00-05:00)")
    _year_in_range(parsed, field)
    return parsed


def _datetime(value: Any, _type: Any) -> dt.datetime:
    return parse_datetime(value)


def _literal(value: Any, type_: Any) -> Any:
    choices = typing.get_args(type_)
    if value not in choices or isinstance(value, bool):
        raise InputError("", f"{value!r} is not one of: {', '.join(map(str, choices))}")
    return value


def _allergies(conv: cattrs.Converter) -> Callable[[Any, Any], tuple[Allergy, ...]]:
    def hook(value: Any, _type: Any) -> tuple[Allergy, ...]:
        if not isinstance(value, list):
            raise InputError(
                "", "must be a list of {substance, reaction} ([] means no known allergies)"
            )
        out = []
        for i, item in enumerate(value):
            try:
                out.append(conv.structure(item, Allergy))
            except (ClassValidationError, ForbiddenExtraKeysError) as exc:
                raise _first_error(exc, f"[{i}]", Allergy) from None
            except InputError as exc:
                raise InputError(_join(f"[{i}]", exc.field), exc.reason) from None
        return tuple(out)

    return hook


def _encounter(conv: cattrs.Converter) -> Callable[[Any, Any], Encounter]:
    """`encounter`: `location` is text or an object {point_of_care, room, bed, facility}; the
    object is kept as `place` and its text (composed) as `location`."""
    base = make_dict_structure_fn(
        Encounter, conv, _cattrs_forbid_extra_keys=True, place=override(omit=True)
    )

    def hook(value: Any, _type: Any) -> Encounter:
        if not isinstance(value, Mapping):
            raise InputError("", "is not an object with named fields")
        data = dict(value)
        place = None
        if isinstance(data.get("location"), Mapping):
            try:
                place = conv.structure(data["location"], Location)
            except (ClassValidationError, ForbiddenExtraKeysError) as exc:
                raise _first_error(exc, "location", Location) from None
            except InputError as exc:
                raise InputError(_join("location", exc.field), exc.reason) from None
            if not place.text:
                raise InputError("location", "gives none of point_of_care, room, bed, facility")
            data["location"] = place.text
        return attrs.evolve(base(data, Encounter), place=place)

    return hook


#: The measured fields of the input contract: class -> field -> (allowed units, what it is).
#: The converter reads each with its own unit allow-list; the web form (orderset.service)
#: offers the same units, so a new measured field appears on both at once.
MEASURED_FIELDS: Mapping[type, Mapping[str, tuple[Mapping[str, pint.Unit], str]]] = {
    Patient: {
        "weight": (units.WEIGHT_UNITS, "weight"),
        "height": (units.HEIGHT_UNITS, "height"),
        "serum_creatinine": (units.CREATININE_UNITS, "serum creatinine"),
        "hematocrit": (units.HEMATOCRIT_UNITS, "hematocrit"),
        "gestational_age_at_birth": (units.GESTATIONAL_AGE_UNITS, "gestational age at birth"),
    },
    Clinical: {
        "platelets": (units.PLATELET_UNITS, "platelets"),
        "csf_protein": (units.CSF_PROTEIN_UNITS, "CSF protein"),
    },
}


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(dt.date, _date)
    conv.register_structure_hook(dt.datetime, _datetime)
    conv.register_structure_hook_func(lambda t: typing.get_origin(t) is Literal, _literal)
    conv.register_structure_hook_func(lambda t: t == tuple[Allergy, ...], _allergies(conv))
    for cls in (Location, Provider):
        conv.register_structure_hook(
            cls, make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=True)
        )
    conv.register_structure_hook(Encounter, _encounter(conv))

    def measured(allowed: Mapping[str, pint.Unit], what: str) -> Any:
        return override(struct_hook=_measurement(allowed, what))

    conv.register_structure_hook(
        Patient,
        make_dict_structure_fn(
            Patient,
            conv,
            _cattrs_forbid_extra_keys=True,
            **{name: measured(*spec) for name, spec in MEASURED_FIELDS[Patient].items()},
        ),
    )
    conv.register_structure_hook(
        Clinical,
        make_dict_structure_fn(
            Clinical,
            conv,
            _cattrs_forbid_extra_keys=True,
            **{name: measured(*spec) for name, spec in MEASURED_FIELDS[Clinical].items()},
        ),
    )
    return conv


_converter = _make_converter()


# ---- error flattening -------------------------------------------------------------------------


def _first_error(exc: BaseException, path: str, cls: type | None) -> InputError:
    """Walk cattrs' exception groups to the first leaf and name its field path."""
    if isinstance(exc, ForbiddenExtraKeysError):
        key = sorted(exc.extra_fields)[0]
        known = [a.name for a in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        hint = difflib.get_close_matches(key, known, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        return InputError(_join(path, key), f"unknown field{suggestion}")
    if isinstance(exc, ClassValidationError | IterableValidationError):
        for sub in exc.exceptions:
            note = next(
                (
                    n
                    for n in getattr(sub, "__notes__", [])
                    if isinstance(n, AttributeValidationNote | IterableValidationNote)
                ),
                None,
            )
            if isinstance(note, AttributeValidationNote):
                sub_path = _join(path, note.name)
                if isinstance(sub, KeyError):
                    return InputError(sub_path, "is required")
                sub_cls = note.type if isinstance(note.type, type) else None
                return _first_error(sub, sub_path, sub_cls)
            if isinstance(note, IterableValidationNote):
                return _first_error(sub, f"{path}[{note.index}]", None)
            return _first_error(sub, path, cls)
        return InputError(path, str(exc))  # pragma: no cover - groups are never empty
    if isinstance(exc, InputError):
        return InputError(_join(path, exc.field), exc.reason)
    if isinstance(exc, TypeError | AttributeError) or (
        isinstance(exc, ValueError) and attrs.has(cls or object)
    ):
        return InputError(path, "is not an object with named fields")
    return InputError(path, str(exc))


def _join(path: str, name: str) -> str:
    if not name:
        return path
    if not path or name.startswith("["):
        return f"{path}{name}"
    return f"{path}.{name}"


# ---- plausibility -----------------------------------------------------------------------------

#: Input sanity bounds, not clinical rules: weights outside these for the age are typing errors
#: (a 2-year-old at 150 kg), refused rather than dosed. (min age in years, min kg, max kg)
WEIGHT_BOUNDS_BY_AGE: tuple[tuple[int, Decimal, Decimal], ...] = (
    (0, Decimal("0.3"), Decimal(20)),
    (1, Decimal(4), Decimal(40)),
    (3, Decimal(7), Decimal(70)),
    (6, Decimal(10), Decimal(120)),
    (10, Decimal(15), Decimal(180)),
    (14, Decimal(25), Decimal(350)),
)
HEIGHT_BOUNDS_CM = (Decimal(25), Decimal(250))
CREATININE_BOUNDS_MG_DL = (Decimal("0.05"), Decimal(25))
HEMATOCRIT_BOUNDS_PERCENT = (Decimal(5), Decimal(75))
#: patient.gestational_age_at_birth: 22 to 44 weeks is plausible (issue 11; not a clinical rule).
GESTATIONAL_AGE_BOUNDS_WEEKS = (Decimal(22), Decimal(44))
#: clinical.methylprednisolone_days_given: a pulse is at most 5 days (MP-1).
MAX_PULSE_DAYS = 5
PLATELET_BOUNDS_G_L = (Decimal(0), Decimal(3000))
CSF_PROTEIN_BOUNDS_MG_DL = (Decimal(0), Decimal(3000))
MAX_AGE_YEARS = 120
#: Every date in a case lies in these years (a year-9999 case cannot overflow an age window).
MIN_YEAR, MAX_YEAR = 1900, 2199
#: The input checks round measurements half up to these steps (display and range checks only;
#: SCORE-1 and renal function decide on their own conversions).
_GRAM = Decimal("0.001")
_TENTH = Decimal("0.1")


# ---- size and shape limits --------------------------------------------------------------------

#: Limits checked at load, before anything else looks at the data, so that what a case may hold
#: never depends on the output format (HL7 v2.5.1 fields carry at most 199 characters) and a
#: huge or deeply nested file is refused by name instead of exhausting memory or the stack.
MAX_CASE_BYTES = 1_000_000
#: Objects and lists inside objects and lists: a valid case is 4 levels deep.
MAX_DEPTH = 8
#: Entries in any list (allergies) and keys in any object.
MAX_ITEMS = 100
#: Characters in any string value of a case (names, text, dates, measurements, codes); the MRN
#: is stricter (MRN_MAX).
MAX_STRING = 100
#: Values in the whole document (a shared or repeated structure given as a Python dict).
MAX_VALUES = 10_000
#: Any whole number in a case is far below 10^15 (this also keeps Python's int/str conversion
#: limit from turning a 5,001-digit number into an internal error).
MAX_INT = 10**15
#: Characters in each text field. The MRN is printable ASCII (it is printed as a Code 128
#: barcode and sent in HL7 PID-3); names, location, attending and allergy text are any
#: Unicode text without unpaired surrogates.
MRN_MAX = 20
TEXT_MAX = 100
#: Identifiers sent in HL7 (visit number, provider id and its authority) are printable ASCII
#: like the MRN; location parts are HL7 IS values (at most 20 characters each).
ID_MAX = 20
#: The HL7 ST limit: a text field must also fit once HL7 escapes its delimiters (| ^ & ~ and
#: backslash each become three characters), so no valid case fails only as HL7.
HL7_TEXT_MAX = 199
_HL7_DELIMITERS = "|^&~\\"
_MRN = re.compile(r"[\x20-\x7e]+")


class _TooLarge:
    """A JSON integer with too many digits, kept as a marker so the walk can name its field."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _parse_int(text: str) -> int | _TooLarge:
    digits = len(text.lstrip("-"))
    return int(text) if digits <= 15 else _TooLarge(digits)


class _DuplicateKeys(dict[str, Any]):
    """A JSON object that named a key more than once (json.loads would keep the last)."""

    duplicate: str = ""
    times: int = 0


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: dict[str, int] = {}
    for key, _ in pairs:
        seen[key] = seen.get(key, 0) + 1
    out = _DuplicateKeys(obj)
    out.duplicate = next(k for k, n in seen.items() if n > 1)
    out.times = seen[out.duplicate]
    return out


def _valid_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_structure(data: Any, *, max_depth: int = MAX_DEPTH, max_string: int = MAX_STRING) -> None:
    """Refuse, naming the path, any duplicate key, nesting deeper than `max_depth`, list or
    object over MAX_ITEMS entries, string over `max_string` characters or with an unpaired
    surrogate, or whole number of 10^15 or more. Iterative: no input can exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    count = 0
    while stack:
        value, path, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise InputError(path, f"the document holds more than {MAX_VALUES:,} values")
        if isinstance(value, Mapping | list | tuple) and depth >= max_depth:
            raise InputError(path, f"is nested more than {max_depth} levels deep")
        if isinstance(value, _DuplicateKeys):
            raise InputError(
                _join(path, value.duplicate),
                f"is given {value.times} times; each key may appear only once",
            )
        if isinstance(value, Mapping):
            if len(value) > MAX_ITEMS:
                raise InputError(path, f"has {len(value):,} keys (at most {MAX_ITEMS})")
            children = []
            for key, item in value.items():
                if not isinstance(key, str) or not _valid_text(key) or len(key) > TEXT_MAX:
                    raise InputError(path, "has a key that is not a short text name")
                children.append((item, _join(path, key), depth + 1))
            stack.extend(reversed(children))
        elif isinstance(value, list | tuple):
            if len(value) > MAX_ITEMS:
                raise InputError(path, f"has {len(value):,} entries (at most {MAX_ITEMS})")
            stack.extend(
                (item, f"{path}[{i}]", depth + 1) for i, item in reversed(list(enumerate(value)))
            )
        elif isinstance(value, str):
            if len(value) > max_string:
                raise InputError(path, f"is {len(value):,} characters long (at most {max_string})")
            if not _valid_text(value):
                raise InputError(path, "contains an unpaired surrogate (not valid Unicode text)")
        elif isinstance(value, _TooLarge):
            raise InputError(path, f"a number with {value.digits:,} digits is too large")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= MAX_INT:
            raise InputError(path, "is too large (a number here has at most 15 digits)")


def _check_text_fields(doc: CaseDocument) -> None:
    """Length limits per text field, and the MRN's character set (printable ASCII)."""
    p = doc.patient
    if not _MRN.fullmatch(p.mrn):
        raise InputError(
            "patient.mrn",
            f"{p.mrn!r} has a character that is not printable ASCII (letters, digits,"
            " punctuation and spaces only)",
        )
    fields: list[tuple[str, str | None, int]] = [
        ("patient.mrn", p.mrn, MRN_MAX),
        ("patient.family_name", p.family_name, TEXT_MAX),
        ("patient.given_name", p.given_name, TEXT_MAX),
        ("encounter.location", doc.encounter.location, TEXT_MAX),
        ("encounter.attending", doc.encounter.attending, TEXT_MAX),
    ]
    enc = doc.encounter
    identifiers = [("encounter.visit_number", enc.visit_number)]
    if enc.ordering_provider is not None:
        prov = enc.ordering_provider
        identifiers += [
            ("encounter.ordering_provider.id", prov.id),
            ("encounter.ordering_provider.id_authority", prov.id_authority),
        ]
        fields.append(("encounter.ordering_provider.family_name", prov.family_name, TEXT_MAX))
        fields.append(("encounter.ordering_provider.given_name", prov.given_name, TEXT_MAX))
    if enc.place is not None:
        for part in ("point_of_care", "room", "bed", "facility"):
            fields.append((f"encounter.location.{part}", getattr(enc.place, part), ID_MAX))
    for field, ident in identifiers:
        if ident is not None and not _MRN.fullmatch(ident):
            raise InputError(field, f"{ident!r} has a character that is not printable ASCII")
        fields.append((field, ident, ID_MAX))
    for i, allergy in enumerate(p.allergies or ()):
        fields.append((f"patient.allergies[{i}].substance", allergy.substance, TEXT_MAX))
        fields.append((f"patient.allergies[{i}].reaction", allergy.reaction, TEXT_MAX))
    for field, text, limit in fields:
        if text is None:
            continue
        if len(text) > limit:
            raise InputError(field, f"is {len(text)} characters long (at most {limit})")
        escaped = len(text) + 2 * sum(text.count(c) for c in _HL7_DELIMITERS)
        if escaped > HL7_TEXT_MAX:
            raise InputError(
                field,
                f"is {escaped} characters once HL7 escapes its | ^ & ~ \\ characters"
                f" (at most {HL7_TEXT_MAX})",
            )
        if not text.isascii():
            # The same limit for a receiver that reads ASCII ([hl7] character_set = "ASCII"):
            # "ß" is sent "ss", so a case that loads renders under every profile.
            from orderset.renderers.hl7_charset import ascii_length

            sent = ascii_length(text)
            if sent > HL7_TEXT_MAX:
                raise InputError(
                    field,
                    f"is {sent} characters once written in ASCII for HL7 (at most {HL7_TEXT_MAX})",
                )


def plausible_weight_kg(age: Age) -> tuple[Decimal, Decimal]:
    """The (min, max) weight in kg accepted for a patient of this age."""
    bounds = [b for b in WEIGHT_BOUNDS_BY_AGE if age.years >= b[0]][-1]
    return bounds[1], bounds[2]


def age_at(birth: dt.date, when: dt.date) -> Age:
    """Completed years, months and days between two dates (day-of-month aware)."""
    months = (when.year - birth.year) * 12 + (when.month - birth.month)
    if when.day < birth.day:
        months -= 1
    return Age(years=months // 12, months=months, days=(when - birth).days)


def _check_range(field: str, value: Decimal, bounds: tuple[Decimal, Decimal], shown: str) -> None:
    lo, hi = bounds
    if not lo <= value <= hi:
        raise InputError(
            field,
            f"{shown} is outside the plausible range {format_number(lo)} to {format_number(hi)}",
        )


def _derive(doc: CaseDocument, now: dt.datetime | None) -> Case:
    """Check the case as a whole and compute age, dosing weight and hours since onset."""
    if doc.format != FORMAT_VERSION:
        raise InputError("format", f"{doc.format} is not supported (this is version 1)")
    _check_text_fields(doc)
    assessed = doc.assessed_at or (now or dt.datetime.now(dt.UTC)).astimezone()
    patient, clinical = doc.patient, doc.clinical
    assessed_date = assessed.date()

    if patient.birth_date > assessed_date:
        raise InputError(
            "patient.birth_date",
            f"{patient.birth_date} is in the future (assessed {assessed_date})",
        )
    age = age_at(patient.birth_date, assessed_date)
    if age.years > MAX_AGE_YEARS:
        raise InputError("patient.birth_date", f"{patient.birth_date} gives an age over 120")
    if patient.weight_measured_at > assessed_date:
        raise InputError(
            "patient.weight_measured_at",
            f"{patient.weight_measured_at} is after the assessment date {assessed_date}",
        )
    if patient.weight_measured_at < patient.birth_date:
        raise InputError("patient.weight_measured_at", "is before the birth date")

    # The dosing weight: to the gram, halves up (31.306 lb is 14.200 kg).
    weight_kg = units.to_decimal(patient.weight, units.kg).quantize(_GRAM, rounding=ROUND_HALF_UP)
    shown = f"{format_number(weight_kg)} kg"
    if weight_kg <= 0:
        raise InputError("patient.weight", f"{shown} must be more than zero")
    _check_range(
        "patient.weight", weight_kg, plausible_weight_kg(age), f"{shown} for age {age.text}"
    )
    if patient.height is not None:
        height = units.to_decimal(patient.height, units.cm).quantize(_TENTH, rounding=ROUND_HALF_UP)
        _check_range("patient.height", height, HEIGHT_BOUNDS_CM, f"{format_number(height)} cm")
    if patient.serum_creatinine is not None:
        _check_range(
            "patient.serum_creatinine",
            creatinine_mg_dl(patient.serum_creatinine),
            CREATININE_BOUNDS_MG_DL,
            f"{format_number(creatinine_mg_dl(patient.serum_creatinine))} mg/dL",
        )
    if patient.hematocrit is not None:
        hct = units.to_decimal(patient.hematocrit, units.percent).quantize(_TENTH, ROUND_HALF_UP)
        _check_range(
            "patient.hematocrit", hct, HEMATOCRIT_BOUNDS_PERCENT, f"{format_number(hct)} %"
        )
    if clinical.platelets is not None:
        plt = units.to_decimal(clinical.platelets, units.giga_per_L).quantize(_TENTH, ROUND_HALF_UP)
        _check_range(
            "clinical.platelets", plt, PLATELET_BOUNDS_G_L, f"{format_number(plt)} x10^9/L"
        )
    if clinical.csf_protein is not None:
        prot = units.to_decimal(clinical.csf_protein, units.mg_per_dL).quantize(
            _TENTH, ROUND_HALF_UP
        )
        _check_range(
            "clinical.csf_protein", prot, CSF_PROTEIN_BOUNDS_MG_DL, f"{format_number(prot)} mg/dL"
        )

    if patient.gestational_age_at_birth is not None:
        weeks = units.to_decimal(patient.gestational_age_at_birth, units.week).quantize(
            _TENTH, ROUND_HALF_UP
        )
        _check_range(
            "patient.gestational_age_at_birth",
            weeks,
            GESTATIONAL_AGE_BOUNDS_WEEKS,
            f"{format_number(weeks)} weeks",
        )
    days_given = clinical.methylprednisolone_days_given
    if days_given is not None and not 0 <= days_given <= MAX_PULSE_DAYS:
        raise InputError(
            "clinical.methylprednisolone_days_given",
            f"{days_given} is outside 0 to {MAX_PULSE_DAYS} (a pulse is at most 5 days)",
        )

    if clinical.neuro_onset > assessed:
        raise InputError(
            "clinical.neuro_onset",
            f"{clinical.neuro_onset.isoformat()} is after assessed_at {assessed.isoformat()}",
        )
    if clinical.neuro_onset.date() < patient.birth_date:
        raise InputError("clinical.neuro_onset", "is before the birth date")
    seconds = Decimal(int((assessed - clinical.neuro_onset).total_seconds()))
    hours = (seconds / Decimal(3600)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    return Case(
        assessed_at=assessed,
        patient=patient,
        clinical=clinical,
        encounter=doc.encounter,
        weight_kg=weight_kg,
        age=age,
        hours_since_onset=hours,
    )


def creatinine_mg_dl(q: pint.Quantity) -> Decimal:
    """Serum creatinine in mg/dL, converting umol/L through creatinine's molar mass."""
    if q.check(units.umol_per_L):
        q = q * units.CREATININE_MOLAR_MASS
    # Rounded to 0.0001, not 0.01: eGFR thresholds use it.
    return units.to_decimal(q, units.mg_per_dL).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


# ---- public entry points ------------------------------------------------------------------------


def case_from_dict(data: Any, *, now: dt.datetime | None = None) -> Case:
    """Structure and validate a case from already-parsed JSON data."""
    if not isinstance(data, Mapping):
        raise InputError("", "the case must be a JSON object")
    check_structure(data)
    try:
        doc = _converter.structure(data, CaseDocument)
    except (ClassValidationError, ForbiddenExtraKeysError) as exc:
        raise _first_error(exc, "", CaseDocument) from None
    glyphs.check_case_text(doc.patient, doc.encounter)  # the sheet can print every name
    return _derive(doc, now)


def case_from_json(text: str, *, source: str = "case", now: dt.datetime | None = None) -> Case:
    """Parse JSON text into a validated case; malformed JSON names the line and column."""
    return case_from_dict(parse_json(text, source=source), now=now)


def parse_json(text: str, *, source: str = "case") -> Any:
    """JSON text as data for `case_from_dict`, which then refuses a key given twice or a huge
    number by name (both are marked here; `json.loads` alone keeps the last key)."""
    if len(text) > MAX_CASE_BYTES:
        raise InputError(source, f"is larger than {MAX_CASE_BYTES:,} bytes")
    if not text.strip():
        raise InputError(source, "file is empty")
    try:
        data = json.loads(text, object_pairs_hook=_object_pairs, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise InputError(
            source, f"not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InputError(source, f"is nested more than {MAX_DEPTH} levels deep") from None
    return data


def load_case(path: str | Path, *, now: dt.datetime | None = None) -> Case:
    """Read and validate a case file."""
    text = read_text(path, max_bytes=MAX_CASE_BYTES, kind="case", missing="file not found")
    return case_from_json(text, source=str(path), now=now)


__all__ = [
    "Allergy",
    "age_at",
    "case_from_dict",
    "case_from_json",
    "check_structure",
    "load_case",
    "parse_json",
]
