"""The request body's JSON Schema for the OpenAPI document, made from the same field table as
the form (orderset.service.fields), so the API's documentation lists every input field."""

from __future__ import annotations

from typing import Any

from orderset.service.fields import Field, case_fields


def _schema(field: Field) -> dict[str, Any]:
    kind = field.kind
    out: dict[str, Any]
    if kind == "measure":
        out = {
            "description": f"{field.label}: a number and its unit, one of {', '.join(field.units)}"
            ' ("14.2 kg" or {"value": 14.2, "unit": "kg"}); a bare number is refused',
            "oneOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "required": ["value", "unit"],
                    "properties": {
                        "value": {"type": "number"},
                        "unit": {"type": "string", "enum": list(field.units)},
                    },
                },
            ],
        }
    elif kind == "group":
        out = _object(field.children)
        if field.text:
            out = {"oneOf": [{"type": "string"}, out]}
    elif kind == "list":
        out = {"type": ["array", "null"], "items": _object(field.children)}
    elif kind == "choice":
        out = {"enum": list(field.choices)}
    elif kind == "bool":
        out = {"type": ["boolean", "null"] if field.nullable else "boolean"}
    elif kind == "int":
        out = {"type": "integer"}
    elif kind == "date":
        out = {"type": "string", "format": "date"}
    elif kind == "datetime":
        out = {"type": "string", "format": "date-time", "description": field.hint}
    else:
        out = {"type": "string"}
    out.setdefault("title", field.label)
    return out


def _object(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [f.name for f in fields if f.required],
        "properties": {f.name: _schema(f) for f in fields},
    }


def request_schema() -> dict[str, Any]:
    """The case (input format 1) plus the clinician's `selections`."""
    out = _object(case_fields())
    out["properties"]["format"] = {"const": 1}
    out["properties"]["selections"] = {
        "type": "object",
        "description": "the clinician's ticks: order id -> true (order it) or false (leave it)",
        "additionalProperties": {"type": "boolean"},
    }
    return out
