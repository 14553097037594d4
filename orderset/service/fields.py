"""The case form's fields, generated from the input contract (the loader's attrs classes and
its table of measured fields), so a field added to the contract appears on the form with no
edit here. Also the two conversions the form needs: submitted form values -> a case dict (for
the loader, which alone decides what is valid) and a case dict -> form values (an example).

No web framework here: this module is plain data and is tested on its own.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from orderset.loader import MEASURED_FIELDS, CaseDocument

#: Friendlier labels for some fields; every other field is labelled from its name
#: ("weight_measured_at" -> "Weight measured at"). Labels only: the fields come from the model.
LABELS = {
    "assessed_at": "Assessed at",
    "mrn": "Medical record number (MRN)",
    "family_name": "Family name",
    "given_name": "Given name",
    "birth_date": "Date of birth",
    "dialysis": "Dialysis",
    "serum_creatinine": "Serum creatinine",
    "gestational_age_at_birth": "Gestational age at birth",
    "neuro_onset": "Onset of neurological symptoms",
    "influenza": "Influenza test",
    "shock": "Shock at onset",
    "brainstem_lesion": "Brainstem lesion on MRI",
    "hemorrhagic_lesions": "Hemorrhagic lesions on imaging",
    "rapid_deterioration": "Rapid deterioration",
    "response": "Response to treatment so far",
    "enteral_route_available": "Enteral (oral or tube) route available",
    "platelets": "Platelets",
    "csf_protein": "CSF protein",
    "methylprednisolone_days_given": "Methylprednisolone pulse days already given",
    "attending": "Attending physician",
}
#: Top-level groups in the order the form shows them, with their headings.
GROUPS = {"patient": "Patient", "encounter": "Encounter", "clinical": "Clinical findings"}
#: Top-level keys the form never shows: the document's format version is always 1.
HIDDEN = {"format"}
#: Rows offered for list fields (allergies); the loader allows up to 100, a bedside form 6.
LIST_ROWS = 6
DATETIME_HINT = "date, time and UTC offset, e.g. 2026-11-22T06:00-05:00"
_ACRONYMS = {"mrn": "MRN", "csf": "CSF", "id": "ID", "hl7": "HL7"}


@attrs.frozen
class Field:
    """One input of the form. `path` is the case's dotted path (the loader's error field)."""

    path: str
    name: str
    label: str
    kind: Literal["text", "date", "datetime", "choice", "bool", "int", "measure", "group", "list"]
    required: bool
    nullable: bool = False
    choices: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    #: "group" and "list": the fields inside; a "group" with `text` also takes plain text.
    children: tuple[Field, ...] = ()
    text: bool = False
    hint: str = ""

    @property
    def choice_labels(self) -> tuple[tuple[str, str], ...]:
        """(value, label) pairs for a select; value "" means not given."""
        if self.kind == "bool":
            pairs = [("true", "yes"), ("false", "no")]
            if self.nullable:
                pairs.append(("null", "not known"))
            return tuple(pairs)
        return tuple((c, c.replace("_", " ")) for c in self.choices)

    def rows(self, values: Mapping[str, str]) -> int:
        """List rows to show: the rows given, plus blank ones, at least LIST_ROWS."""
        given = [k for k in values if k.startswith(f"{self.path}[")]
        indexes = [int(m.group(1)) for k in given if (m := re.match(r".*?\[(\d+)\]", k))]
        return max(LIST_ROWS, max(indexes, default=-1) + 2)

    def row(self, index: int) -> tuple[Field, ...]:
        """The children of list row `index`, with their paths."""
        return tuple(attrs.evolve(c, path=f"{self.path}[{index}].{c.name}") for c in self.children)


def label(name: str) -> str:
    if name in LABELS:
        return LABELS[name]
    words = [_ACRONYMS.get(w, w) for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _members(type_: Any) -> tuple[Any, ...]:
    if typing.get_origin(type_) in (typing.Union, types.UnionType):
        return typing.get_args(type_)
    return (type_,)


def _field(cls: type, attribute: attrs.Attribute[Any], type_: Any, prefix: str) -> Field:
    name = attribute.name
    path = f"{prefix}.{name}" if prefix else name
    required = attribute.default is attrs.NOTHING
    members = _members(type_)
    nullable = type(None) in members
    members = tuple(m for m in members if m is not type(None))
    base = Field(path=path, name=name, label=label(name), kind="text", required=required)
    measured = MEASURED_FIELDS.get(cls, {})
    if name in measured:
        allowed = measured[name][0]
        return attrs.evolve(base, kind="measure", units=getattr(allowed, "labels", tuple(allowed)))
    classes = [m for m in members if attrs.has(m)]
    if classes:
        children = fields_of(classes[0], path)
        return attrs.evolve(base, kind="group", children=children, text=str in members)
    only = members[0]
    origin = typing.get_origin(only)
    if origin is tuple:
        item = typing.get_args(only)[0]
        return attrs.evolve(base, kind="list", nullable=nullable, children=fields_of(item, ""))
    if origin is Literal:
        return attrs.evolve(base, kind="choice", choices=tuple(map(str, typing.get_args(only))))
    if only is bool:
        return attrs.evolve(base, kind="bool", nullable=nullable)
    if only is int:
        return attrs.evolve(base, kind="int")
    if only is dt.datetime:
        return attrs.evolve(base, kind="datetime", hint=DATETIME_HINT)
    if only is dt.date:
        return attrs.evolve(base, kind="date", hint="YYYY-MM-DD")
    return attrs.evolve(base, kind="text")


def fields_of(cls: type, prefix: str = "") -> tuple[Field, ...]:
    """The form fields of an attrs class of the input contract, required ones first."""
    hints = typing.get_type_hints(cls)
    out = [_field(cls, a, hints[a.name], prefix) for a in attrs.fields(cls)]
    return tuple(sorted(out, key=lambda f: not f.required))


def case_fields() -> tuple[Field, ...]:
    """The whole form: assessed_at, then one group per top-level section."""
    top = [f for f in fields_of(CaseDocument) if f.name not in HIDDEN]
    groups = {f.name: f for f in top if f.kind == "group"}
    loose = [f for f in top if f.kind != "group"]
    ordered = [groups.pop(name) for name in GROUPS if name in groups]
    return (*loose, *ordered, *groups.values())


def heading(field: Field) -> str:
    return GROUPS.get(field.name, field.label)


# ---- form values -> case dict -------------------------------------------------------------

_WHOLE = re.compile(r"-?[0-9]{1,15}")
_BOOLS: dict[str, bool | None] = {"true": True, "false": False, "null": None}
#: Allergy status choices for a list field (value, label): the loader's [] and null.
LIST_STATUS = (
    ("none", "no known allergies"),
    ("listed", "as listed below"),
    ("unknown", "not recorded"),
)


class FormError(ValueError):
    """A form-only mistake the loader cannot see (e.g. "as listed" with an empty list)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _value(field: Field, values: Mapping[str, str]) -> tuple[bool, Any]:
    """(present, value) of one field from the form values."""
    raw = values.get(field.path, "").strip()
    if field.kind == "measure":
        unit = values.get(f"{field.path}.unit", "").strip()
        if not raw:
            return False, None
        # The loader parses and checks it; no unit is sent as no unit, never a default.
        return True, f"{raw} {unit}" if unit else raw
    if field.kind == "group":
        sub = _object(field.children, values)
        if sub:
            return True, sub
        return (True, raw) if field.text and raw else (False, None)
    if field.kind == "list":
        status = values.get(f"{field.path}.status", "")
        rows = []
        for i in range(field.rows(values)):
            row = _object(field.row(i), values)
            if row:
                rows.append(row)
        if status == "none":
            if rows:
                raise FormError(field.path, "allergies are listed: choose 'as listed below'")
            return True, []
        if status == "unknown":
            return True, None
        if status == "listed":
            if not rows:
                raise FormError(field.path, "list at least one, or choose 'no known allergies'")
            return True, rows
        return (True, rows) if rows else (False, None)
    if not raw:
        return False, None
    if field.kind == "bool":
        return True, _BOOLS.get(raw, raw)
    if field.kind == "int":
        return True, int(raw) if _WHOLE.fullmatch(raw) else raw
    return True, raw


def _object(fields: tuple[Field, ...], values: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in fields:
        present, value = _value(field, values)
        if present:
            out[field.name] = value
    return out


def form_to_case(values: Mapping[str, str]) -> dict[str, Any]:
    """The case dict the form describes; blank fields are left out (the loader names the
    required ones). Raises FormError for a choice only the form offers."""
    return _object(case_fields(), values)


def missing(values: Mapping[str, str]) -> list[str]:
    """Required fields left blank, all at once (the loader would name only the first), in
    form order: every required field of a required group, and of an optional group that has
    anything filled in."""
    out: list[str] = []

    def walk(fields: tuple[Field, ...]) -> None:
        for field in fields:
            if field.kind == "group":
                if field.required or _object(field.children, values):
                    walk(field.children)
            elif field.required and not _value(field, values)[0]:
                out.append(field.path)

    walk(case_fields())
    return out


# ---- case dict -> form values -------------------------------------------------------------


def _split_measure(field: Field, value: Any) -> tuple[str, str]:
    if isinstance(value, Mapping):
        return str(value.get("value", "")), str(value.get("unit", ""))
    text = str(value).strip()
    for unit in sorted(field.units, key=len, reverse=True):
        if text.lower().endswith(unit.lower()):
            return text[: -len(unit)].strip(), unit
    return text, ""


def _fill(fields: tuple[Field, ...], data: Mapping[str, Any], out: dict[str, str]) -> None:
    for field in fields:
        if field.name not in data:
            continue
        value = data[field.name]
        if field.kind == "measure":
            out[field.path], out[f"{field.path}.unit"] = _split_measure(field, value)
        elif field.kind == "group":
            if isinstance(value, Mapping):
                _fill(field.children, value, out)
            elif value is not None:
                out[field.path] = str(value)
        elif field.kind == "list":
            if value is None:
                out[f"{field.path}.status"] = "unknown"
            elif not value:
                out[f"{field.path}.status"] = "none"
            else:
                out[f"{field.path}.status"] = "listed"
                for i, item in enumerate(value):
                    if isinstance(item, Mapping):
                        _fill(field.row(i), item, out)
        elif field.kind == "bool":
            out[field.path] = {True: "true", False: "false", None: "null"}.get(value, str(value))
        elif value is not None:
            out[field.path] = str(value)


def case_to_form(data: Mapping[str, Any]) -> dict[str, str]:
    """Form values showing a case dict (a bundled example, or the case being re-edited)."""
    out: dict[str, str] = {}
    _fill(case_fields(), data, out)
    return out


def field_paths(fields: tuple[Field, ...] | None = None) -> set[str]:
    """Every path an error can be shown beside (groups and lists included)."""
    out: set[str] = set()
    for field in case_fields() if fields is None else fields:
        out.add(field.path)
        if field.kind == "group":
            out |= field_paths(field.children)
    return out


def error_anchor(error_field: str) -> str:
    """The form field an error's path belongs to: the path itself, else its nearest parent
    on the form ("patient.allergies[0].reaction" is a row field; "patient" a heading)."""
    known = field_paths()
    path = error_field
    while path:
        if path in known or re.fullmatch(r".*\[\d+\](\.\w+)?", path):
            return path
        path = path.rsplit(".", 1)[0] if "." in path else ""
    return ""
