"""The web form's fields come from the input contract (orderset.service.fields): every field of
the model is on it with the loader's own units, a form filled from any example builds the same
order set as the example file, and a field added to the contract (issue 14 adds some) appears
with no edit to the form."""

from __future__ import annotations

import json

import attrs
import pytest

import orderset
from orderset.loader import MEASURED_FIELDS, CaseDocument
from orderset.model import Clinical, Encounter, Patient
from orderset.service import fields
from tests.conftest import EXAMPLES, TODDLER


def _paths(items: tuple[fields.Field, ...]) -> set[str]:
    return {f.path for f in items} | {p for f in items for p in _paths(f.children)}


def test_every_field_of_the_contract_is_on_the_form():
    paths = _paths(fields.case_fields())
    for prefix, cls in (("patient", Patient), ("clinical", Clinical), ("encounter", Encounter)):
        for a in attrs.fields(cls):
            assert f"{prefix}.{a.name}" in paths
    assert "assessed_at" in paths
    assert "format" not in paths  # the document's version, always 1


def test_required_fields_are_the_models_fields_without_default():
    groups = {f.name: f for f in fields.case_fields()}
    for name, cls in (("patient", Patient), ("clinical", Clinical)):
        required = {f.name for f in groups[name].children if f.required}
        assert required == {a.name for a in attrs.fields(cls) if a.default is attrs.NOTHING}
    assert not groups["encounter"].required
    assert not next(f for f in fields.case_fields() if f.name == "assessed_at").required


def test_measured_fields_offer_the_loaders_units():
    groups = {f.name: f for f in fields.case_fields()}
    for name, cls in (("patient", Patient), ("clinical", Clinical)):
        for child in groups[name].children:
            if child.name in MEASURED_FIELDS[cls]:
                allowed = MEASURED_FIELDS[cls][child.name][0]
                assert child.kind == "measure"
                assert {u.lower().replace(" ", "") for u in child.units} <= set(allowed)
                assert len(child.units) == len(set(allowed.values()))  # one per unit
    weight = next(c for c in groups["patient"].children if c.name == "weight")
    assert weight.units == ("kg", "g", "lb", "oz")


@pytest.mark.parametrize("case", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_a_form_filled_from_an_example_builds_the_examples_order_set(case):
    data = json.loads(case.read_text())
    from_form = fields.form_to_case(fields.case_to_form(data))
    assert orderset.render(
        orderset.build_order_set(orderset.case_from_dict(from_form)), "json"
    ) == orderset.render(orderset.build_order_set(orderset.case_from_dict(data)), "json")


def test_a_weight_without_unit_reaches_the_loader_as_it_was_typed():
    values = fields.case_to_form(json.loads(TODDLER.read_text()))
    values["patient.weight.unit"] = ""
    data = fields.form_to_case(values)
    assert data["patient"]["weight"] == "14.2"  # no unit assumed
    with pytest.raises(orderset.InputError) as caught:
        orderset.case_from_dict(data)
    assert caught.value.field == "patient.weight"
    assert fields.error_anchor(caught.value.field) == "patient.weight"


def test_blank_fields_are_left_out_so_the_loader_names_them():
    data = fields.form_to_case({"patient.mrn": "A1", "patient.weight.unit": "kg"})
    assert data == {"patient": {"mrn": "A1"}}
    with pytest.raises(orderset.InputError) as caught:
        orderset.case_from_dict(data)
    assert caught.value.field == "patient.family_name"
    assert caught.value.reason == "is required"


@pytest.mark.parametrize(
    ("status", "rows", "expected"),
    [
        ("none", {}, []),
        ("unknown", {}, None),
        ("listed", {"patient.allergies[0].substance": "penicillin"}, [{"substance": "penicillin"}]),
    ],
)
def test_allergy_status(status, rows, expected):
    data = fields.form_to_case({"patient.allergies.status": status, **rows})
    assert data["patient"]["allergies"] == expected


@pytest.mark.parametrize(
    ("status", "rows"),
    [("listed", {}), ("none", {"patient.allergies[1].substance": "penicillin"})],
)
def test_contradictory_allergy_answers_are_refused_by_the_form(status, rows):
    with pytest.raises(fields.FormError) as caught:
        fields.form_to_case({"patient.allergies.status": status, **rows})
    assert caught.value.field == "patient.allergies"


def test_booleans_and_whole_numbers():
    data = fields.form_to_case(
        {
            "clinical.shock": "null",
            "clinical.brainstem_lesion": "true",
            "clinical.enteral_route_available": "false",
            "clinical.methylprednisolone_days_given": "2",
        }
    )
    assert data["clinical"] == {
        "shock": None,
        "brainstem_lesion": True,
        "enteral_route_available": False,
        "methylprednisolone_days_given": 2,
    }
    # Not a whole number: passed on as typed, and the loader names the field.
    odd = fields.form_to_case({"clinical.methylprednisolone_days_given": "2.5"})
    assert odd["clinical"]["methylprednisolone_days_given"] == "2.5"


def test_row_errors_anchor_to_their_row():
    assert fields.error_anchor("patient.allergies[2].substance") == "patient.allergies[2].substance"
    assert fields.error_anchor("patient.wieght") == "patient"  # unknown field: its group
    assert fields.error_anchor("selections.IVIG-9") == ""  # shown at the top


# ---- a contract that grows -------------------------------------------------------------------


@attrs.frozen
class _Provider:
    id: str
    family_name: str | None = None


@attrs.frozen
class _Location:
    point_of_care: str | None = None
    bed: str | None = None


@attrs.frozen
class _Encounter:
    location: str | _Location | None = None
    visit_number: str | None = None
    ordering_provider: _Provider | None = None


def test_fields_added_to_the_contract_appear_on_the_form():
    """Issue 14's new encounter fields, as shapes: text, a nested object, text or object."""
    got = {f.name: f for f in fields.fields_of(_Encounter, "encounter")}
    assert got["visit_number"].kind == "text"
    provider = got["ordering_provider"]
    assert provider.kind == "group" and not provider.text
    assert [c.path for c in provider.children] == [
        "encounter.ordering_provider.id",
        "encounter.ordering_provider.family_name",
    ]
    assert provider.children[0].required
    location = got["location"]
    assert location.kind == "group" and location.text  # plain text, or the parts
    assert {c.name for c in location.children} == {"point_of_care", "bed"}
    # Text alone is sent as text; any part turns it into an object.
    assert fields._object((location,), {"encounter.location": "PICU 12"}) == {"location": "PICU 12"}
    assert fields._object((location,), {"encounter.location.bed": "12"}) == {
        "location": {"bed": "12"}
    }


def test_the_form_is_made_from_the_case_document():
    assert [f.name for f in fields.case_fields()] == ["assessed_at", *fields.GROUPS]
    assert {a.name for a in attrs.fields(CaseDocument)} == {
        "assessed_at",
        "format",
        *fields.GROUPS,
    }


def test_every_blank_required_field_is_named_at_once():
    values = fields.case_to_form(json.loads(TODDLER.read_text()))
    for path in ("patient.mrn", "patient.weight", "clinical.influenza"):
        del values[path]
    assert fields.missing(values) == ["patient.mrn", "patient.weight", "clinical.influenza"]
    del values["patient.allergies.status"]
    del values["patient.allergies[0].substance"]
    del values["patient.allergies[0].reaction"]
    assert "patient.allergies" in fields.missing(values)
    blank = fields.missing({})
    assert "patient.family_name" in blank and "clinical.neuro_onset" in blank
    assert not [p for p in blank if p.startswith("encounter.")]  # an optional group
    assert fields.missing(fields.case_to_form(json.loads(TODDLER.read_text()))) == []
