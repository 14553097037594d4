"""FHIR R4 output (`--format fhir`): every bundled example and random patients validate (the
fhir.resources R4B models and the project's own required-code table), 50 deliberately broken
copies are rejected, and every dose read back from FHIR equals the JSON output's.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orderset
from orderset.fhir_validation import REQUIRED_CODES, validate_bundle
from orderset.loader import age_at, plausible_weight_kg
from orderset.model import OrderSet
from orderset.renderers import BUILTIN_RENDERERS
from orderset.renderers import fhir as fhir_renderer
from orderset.renderers.json import to_json_dict
from orderset.testing import build, case_data, order
from orderset.vocab import FREQUENCIES, ROUTES
from tests.conftest import EXAMPLES, ROOT, TODDLER

DOSE_RATE_TYPE = "http://terminology.hl7.org/CodeSystem/dose-rate-type"


def load(path: Any) -> OrderSet:
    return orderset.build_order_set(orderset.load_case(path))


def fhir_doc(order_set: OrderSet) -> dict[str, Any]:
    return json.loads(orderset.render(order_set, "fhir"))


def resources(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == kind]


def request_for(doc: dict[str, Any], order_set: OrderSet, order_id: str) -> dict[str, Any]:
    wanted = {
        fhir_renderer.resource_id(order_set.case, kind, order_id)
        for kind in ("MedicationRequest", "ServiceRequest")
    }
    found = [e["resource"] for e in doc["entry"] if e["resource"]["id"] in wanted]
    assert len(found) == 1, order_id
    return found[0]


def actions(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for action in node.get("action", []):
        yield action
        yield from actions(action)


def typed(dose_and_rate: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    return [
        d
        for d in dose_and_rate
        if any(c["system"] == DOSE_RATE_TYPE and c["code"] == code for c in d["type"]["coding"])
    ]


@pytest.fixture(scope="module")
def examples() -> dict[str, tuple[OrderSet, dict[str, Any]]]:
    built = {}
    for path in EXAMPLES:
        order_set = load(path)
        built[path.stem] = (order_set, fhir_doc(order_set))
    return built


# ---- validity -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_bundled_example_validates(path, examples):
    order_set, doc = examples[path.stem]
    assert validate_bundle(doc) == []
    assert doc["resourceType"] == "Bundle" and doc["type"] == "collection"
    group = doc["entry"][0]["resource"]
    assert group["resourceType"] == "RequestGroup"
    assert (group["status"], group["intent"]) == ("draft", "proposal")
    assert group["instantiatesCanonical"] == [
        f"{fhir_renderer.PLAN_DEFINITION_URL}|{orderset.rules.RULES_VERSION}"
    ]
    medications = [o for o in order_set.orders if o.kind == "medication"]
    assert len(resources(doc, "MedicationRequest")) == len(medications)
    assert len(resources(doc, "ServiceRequest")) == len(order_set.orders) - len(medications)
    assert len(resources(doc, "DetectedIssue")) == len(order_set.alerts)
    assert len(resources(doc, "AllergyIntolerance")) == len(order_set.case.patient.allergies or ())
    # every order is one action of the RequestGroup, pointing at its request
    order_actions = [a for a in actions(group) if "resource" in a]
    assert sorted(a["title"] for a in order_actions) == sorted(o.id for o in order_set.orders)


@st.composite
def random_cases(draw) -> dict[str, Any]:
    age_months = draw(st.integers(min_value=1, max_value=18 * 12))
    data = case_data(age_months=age_months)
    assessed = dt.datetime.fromisoformat(data["assessed_at"]).date()
    lo, hi = plausible_weight_kg(
        age_at(dt.date.fromisoformat(data["patient"]["birth_date"]), assessed)
    )
    weight = draw(st.decimals(min_value=lo, max_value=hi, places=1))
    allergies = draw(
        st.sampled_from(
            [[], [{"substance": "penicillin", "reaction": "hives"}], [{"substance": "latex"}]]
        )
    )
    return case_data(
        data,
        weight=f"{weight} kg",
        allergies=allergies,
        shock=draw(st.booleans()),
        response=draw(st.sampled_from(["initial", "responding", "refractory"])),
        enteral_route_available=draw(st.booleans()),
        height=draw(st.none() | st.integers(50, 190).map(lambda n: f"{n} cm")),
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_cases())
def test_random_patients_validate_and_round_trip(data):
    order_set = build(data)
    doc = fhir_doc(order_set)
    assert validate_bundle(doc) == []
    _assert_doses_round_trip(order_set, doc)


# ---- doses ----------------------------------------------------------------------------------


def _assert_doses_round_trip(order_set: OrderSet, doc: dict[str, Any]) -> None:
    for o in to_json_dict(order_set)["orders"]:
        if o["kind"] != "medication":
            continue
        request = request_for(doc, order_set, o["id"])
        dosage = request["dosageInstruction"][0]
        if o["dose"] is None:
            assert "doseAndRate" not in dosage, o["id"]
            continue
        (ordered,) = typed(dosage["doseAndRate"], "ordered")
        q = ordered["doseQuantity"]
        assert {"value": q["value"], "unit": q["unit"]} == o["dose"], o["id"]
        assert type(q["value"]) is type(o["dose"]["value"]), o["id"]  # 426, never 426.0
        assert q["system"] == "http://unitsofmeasure.org"
        if o["calculated_dose"] is not None:
            (calculated,) = typed(dosage["doseAndRate"], "calculated")
            c = calculated["doseQuantity"]
            assert {"value": c["value"], "unit": c["unit"]} == o["calculated_dose"], o["id"]
        if o["daily_maximum"] is not None:
            numerator = dosage["maxDosePerPeriod"]["numerator"]
            assert {"value": numerator["value"], "unit": numerator["unit"]} == o["daily_maximum"]
        else:
            assert "maxDosePerPeriod" not in dosage
        if o["preparation"] and o["preparation"]["rate"]:
            rate = ordered["rateQuantity"]
            assert {"value": rate["value"], "unit": rate["unit"]} == o["preparation"]["rate"]
        steps = request["dosageInstruction"][1:]
        assert len(steps) == len(o["titration"]), o["id"]
        for step, expected in zip(steps, o["titration"], strict=True):
            (dose_rate,) = typed(step["doseAndRate"], "ordered")
            (pump_rate,) = typed(step["doseAndRate"], "calculated")
            got = dose_rate["rateQuantity"]
            assert {"value": got["value"], "unit": got["unit"]} == expected["dose_rate"]
            got = pump_rate["rateQuantity"]
            assert {"value": got["value"], "unit": got["unit"]} == expected["pump_rate"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_dose_read_back_from_fhir_equals_the_json(path, examples):
    order_set, doc = examples[path.stem]
    _assert_doses_round_trip(order_set, doc)


def test_mg_pe_is_sent_in_mg_with_its_label_and_a_note(examples):
    order_set, doc = examples["toddler-shock-brainstem"]
    request = request_for(doc, order_set, "SEIZ-1-FOSPHENYTOIN")
    (ordered,) = typed(request["dosageInstruction"][0]["doseAndRate"], "ordered")
    assert ordered["doseQuantity"]["code"] == "mg"
    assert ordered["doseQuantity"]["unit"] == "mg PE"
    assert fhir_renderer.PHENYTOIN_NOTE in [n["text"] for n in request["note"]]


def test_anakinra_max_dose_per_period_is_its_daily_maximum(examples):
    order_set, doc = examples["toddler-shock-brainstem"]
    esc2 = order(order_set, "ESC-2")
    assert esc2.daily_maximum is not None
    period = request_for(doc, order_set, "ESC-2")["dosageInstruction"][0]["maxDosePerPeriod"]
    assert period["numerator"] == {
        "value": 400,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert Decimal(str(period["numerator"]["value"])) == Decimal(
        str(esc2.daily_maximum.to("mg").magnitude)
    )
    assert period["denominator"] == {
        "value": 1,
        "unit": "day",
        "system": "http://unitsofmeasure.org",
        "code": "d",
    }


def test_supporting_information_is_the_weight_observation(examples):
    for order_set, doc in examples.values():
        (weight,) = [
            r
            for r in resources(doc, "Observation")
            if r["code"]["coding"][0]
            == {
                "system": "http://loinc.org",
                "code": "29463-7",
                "display": "Body weight",
            }
        ]
        assert Decimal(str(weight["valueQuantity"]["value"])) == order_set.case.weight_kg
        assert weight["valueQuantity"]["code"] == "kg"
        assert weight["effectiveDateTime"] == order_set.case.patient.weight_measured_at.isoformat()
        for request in resources(doc, "MedicationRequest"):
            assert request["supportingInformation"] == [{"reference": f"urn:uuid:{weight['id']}"}]


# ---- the RequestGroup -----------------------------------------------------------------------


def test_precheck_is_yes_for_selected_and_no_for_offered(examples):
    for order_set, doc in examples.values():
        group = doc["entry"][0]["resource"]
        by_title = {a["title"]: a for a in actions(group) if "resource" in a}
        for o in order_set.orders:
            assert by_title[o.id]["precheckBehavior"] == ("yes" if o.selected else "no"), o.id
            assert by_title[o.id]["resource"] == {
                "reference": f"urn:uuid:{request_for(doc, order_set, o.id)['id']}"
            }


def _group_of(doc: dict[str, Any], order_id: str) -> dict[str, Any]:
    group = doc["entry"][0]["resource"]
    for action in actions(group):
        if any(a.get("title") == order_id for a in action.get("action", [])):
            return action
    raise AssertionError(order_id)


def test_benzodiazepines_and_second_line_are_at_most_one_groups(examples):
    _order_set, doc = examples["toddler-shock-brainstem"]
    benzodiazepines = ["SEIZ-1-LORAZEPAM", "SEIZ-1-MIDAZOLAM-IV", "SEIZ-1-MIDAZOLAM-IM"]
    second_line = ["SEIZ-1-LEVETIRACETAM", "SEIZ-1-FOSPHENYTOIN"]
    for ids in (benzodiazepines, second_line):
        group = _group_of(doc, ids[0])
        assert group["selectionBehavior"] == "at-most-one"
        assert group["groupingBehavior"] == "logical-group"
        assert [a["title"] for a in group["action"]] == ids
        assert [a["precheckBehavior"] for a in group["action"]].count("yes") <= 1
    # each section is a visual group in which anything may be chosen
    section = _group_of(doc, "SEIZ-1-EEG")
    assert (section["groupingBehavior"], section["selectionBehavior"]) == ("visual-group", "any")
    assert section["title"] == "Seizure rescue"


def test_alerts_are_detected_issues_implicating_their_order(examples):
    order_set, doc = examples["tocilizumab-allergy"]
    issues = {r["code"]["coding"][0]["code"]: r for r in resources(doc, "DetectedIssue")}
    for alert in order_set.alerts:
        issue = issues[alert.id]
        assert issue["detail"] == alert.text
        assert issue["severity"] == fhir_renderer.SEVERITY[alert.severity]
    allergy = issues["ALLERGY-TCZ-1"]
    assert allergy["severity"] == "high"
    # TCZ-1 was removed for the allergy: no request to implicate
    assert "implicated" not in allergy


def test_allergies_are_allergy_intolerances():
    order_set = load(TODDLER)
    doc = fhir_doc(order_set)
    found = resources(doc, "AllergyIntolerance")
    expected = order_set.case.patient.allergies or ()
    assert [r["code"]["text"] for r in found] == [a.substance for a in expected]
    assert all(r["clinicalStatus"]["coding"][0]["code"] == "active" for r in found)


# ---- determinism and the format -------------------------------------------------------------


def test_same_input_gives_byte_identical_fhir():
    first = orderset.render(load(TODDLER), "fhir")
    second = orderset.render(load(TODDLER), "fhir")
    assert first == second
    assert first.endswith(b"\n") and first.decode("utf-8")
    assert json.loads(first)["entry"][0]["fullUrl"].startswith("urn:uuid:")


def test_ids_follow_content():
    data = json.loads(TODDLER.read_text())
    one = fhir_doc(orderset.build_order_set(orderset.case_from_dict(data)))
    data["patient"]["weight"] = "15 kg"
    other = fhir_doc(orderset.build_order_set(orderset.case_from_dict(data)))
    assert one["id"] == other["id"]  # same MRN and assessed_at: the same set
    data["assessed_at"] = "2026-11-22T07:00:00-05:00"
    later = fhir_doc(orderset.build_order_set(orderset.case_from_dict(data)))
    assert later["id"] != one["id"]
    ids = [e["resource"]["id"] for e in one["entry"]]
    assert len(ids) == len(set(ids))


def test_fhir_is_a_built_in_format():
    (renderer,) = [r for r in BUILTIN_RENDERERS if r.name == "fhir"]
    assert (renderer.media_type, renderer.extension) == ("application/fhir+json", "fhir.json")
    order_set = load(TODDLER)
    assert orderset.render(order_set, "fhir") == fhir_renderer.render(order_set)


def test_every_route_and_frequency_has_a_fhir_mapping():
    assert set(fhir_renderer.ROUTES) == set(ROUTES)
    assert set(fhir_renderer.REPEATS) == set(FREQUENCIES)
    for drug, (code, source) in fhir_renderer.RXNORM_INGREDIENTS.items():
        assert code.isdigit() and source, drug


def test_the_renderer_does_not_import_fhir_resources():
    code = (
        "import sys, orderset.renderers.fhir; "
        "sys.exit(any(m.split('.')[0] == 'fhir' for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True)
    assert result.returncode == 0, result.stderr


# ---- 50 deliberately broken copies ----------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _first(doc: dict[str, Any], kind: str, where: Callable[[dict[str, Any]], bool] = bool):
    return next(r for r in resources(doc, kind) if where(r))


def _dosed(r: dict[str, Any]) -> bool:
    return "doseAndRate" in r["dosageInstruction"][0]


def _med(doc: dict[str, Any]) -> dict[str, Any]:
    return _first(doc, "MedicationRequest", _dosed)


def _ordered(doc: dict[str, Any]) -> dict[str, Any]:
    return _med(doc)["dosageInstruction"][0]["doseAndRate"][0]


def _dose(doc: dict[str, Any]) -> dict[str, Any]:
    return _ordered(doc)["doseQuantity"]


def _max_period(doc: dict[str, Any]) -> dict[str, Any]:
    r = _first(doc, "MedicationRequest", lambda r: "maxDosePerPeriod" in r["dosageInstruction"][0])
    return r["dosageInstruction"][0]["maxDosePerPeriod"]


def _rate(doc: dict[str, Any]) -> dict[str, Any]:
    r = _first(
        doc,
        "MedicationRequest",
        lambda r: _dosed(r) and "rateQuantity" in r["dosageInstruction"][0]["doseAndRate"][0],
    )
    return r["dosageInstruction"][0]["doseAndRate"][0]["rateQuantity"]


def _group(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["entry"][0]["resource"]


def _order_action(doc: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in actions(_group(doc)) if "resource" in a)


def _choice(doc: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in actions(_group(doc)) if a.get("selectionBehavior") == "at-most-one")


def _weight(doc: dict[str, Any]) -> dict[str, Any]:
    return _first(doc, "Observation", lambda r: r["code"]["coding"][0]["code"] == "29463-7")


def _setter(get: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        get(doc)[key] = value

    return mutate


def _deleter(get: Callable[[dict[str, Any]], dict[str, Any]], key: str) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        del get(doc)[key]

    return mutate


def _kind(kind: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda doc: _first(doc, kind)


def _entry(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["entry"][1]


BROKEN: dict[str, Mutation] = {
    # status and intent: bad, missing
    "RequestGroup.status bad": _setter(_group, "status", "pending"),
    "RequestGroup.status missing": _deleter(_group, "status"),
    "RequestGroup.intent bad": _setter(_group, "intent", "wish"),
    "RequestGroup.intent missing": _deleter(_group, "intent"),
    "MedicationRequest.status bad": _setter(_med, "status", "proposed"),
    "MedicationRequest.status missing": _deleter(_med, "status"),
    "MedicationRequest.intent bad": _setter(_med, "intent", "wish"),
    "MedicationRequest.intent directive": _setter(_med, "intent", "directive"),
    "MedicationRequest.intent missing": _deleter(_med, "intent"),
    "ServiceRequest.status bad": _setter(_kind("ServiceRequest"), "status", "ready"),
    "ServiceRequest.status missing": _deleter(_kind("ServiceRequest"), "status"),
    "ServiceRequest.intent bad": _setter(_kind("ServiceRequest"), "intent", "suggestion"),
    "Observation.status bad": _setter(_weight, "status", "done"),
    "Observation.status missing": _deleter(_weight, "status"),
    "DetectedIssue.status bad": _setter(_kind("DetectedIssue"), "status", "open"),
    "DetectedIssue.severity bad": _setter(_kind("DetectedIssue"), "severity", "critical"),
    "AllergyIntolerance.clinicalStatus bad": lambda doc: _kind("AllergyIntolerance")(doc)[
        "clinicalStatus"
    ]["coding"][0].update(code="current"),
    "AllergyIntolerance.verificationStatus bad": _setter(
        _kind("AllergyIntolerance"),
        "verificationStatus",
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                    "code": "maybe",
                }
            ]
        },
    ),
    "Patient.gender bad": _setter(_kind("Patient"), "gender", "f"),
    "Bundle.type bad": lambda doc: doc.update(type="bag"),
    # action behaviours
    "precheckBehavior bad": _setter(_order_action, "precheckBehavior", "maybe"),
    "precheckBehavior missing": _deleter(_order_action, "precheckBehavior"),
    "requiredBehavior bad": _setter(_order_action, "requiredBehavior", "should"),
    "selectionBehavior bad": _setter(_choice, "selectionBehavior", "at-most-two"),
    "groupingBehavior bad": _setter(_choice, "groupingBehavior", "group"),
    # dose-rate type
    "doseAndRate.type code bad": lambda doc: _ordered(doc)["type"]["coding"][0].update(
        code="prescribed"
    ),
    "doseAndRate.type system bad": lambda doc: _ordered(doc)["type"]["coding"][0].update(
        system="urn:example"
    ),
    # wrong units and values
    "dose UCUM code mg/kg": lambda doc: _dose(doc).update(code="mg/kg"),
    "dose UCUM code kg": lambda doc: _dose(doc).update(code="kg"),
    "dose UCUM code [iU]": lambda doc: _dose(doc).update(code="[iU]"),
    "dose unit text disagrees with code": lambda doc: _dose(doc).update(unit="mcg"),
    "dose system not UCUM": lambda doc: _dose(doc).update(system="urn:example"),
    "dose value missing": lambda doc: _dose(doc).pop("value"),
    "dose value negative": lambda doc: _dose(doc).update(value=-1),
    "rate UCUM code mL/min": lambda doc: _rate(doc).update(code="mL/min"),
    "maxDosePerPeriod numerator unit kg": lambda doc: _max_period(doc)["numerator"].update(
        code="kg"
    ),
    "maxDosePerPeriod denominator unit mg": lambda doc: _max_period(doc)["denominator"].update(
        code="mg"
    ),
    "weight in lb": lambda doc: _weight(doc)["valueQuantity"].update(code="[lb_av]"),
    # unknown elements
    "Bundle unknown field": lambda doc: doc.update(note="x"),
    "RequestGroup unknown field": _setter(_group, "selected", True),
    "MedicationRequest unknown field": _setter(_med, "dose", "425 mg"),
    "Dosage unknown field": lambda doc: _med(doc)["dosageInstruction"][0].update(rate="fast"),
    "Patient unknown field": _setter(_kind("Patient"), "weight", "14.2 kg"),
    "action unknown field": _setter(_order_action, "checked", True),
    # wrong types
    "Patient.birthDate not a date": _setter(_kind("Patient"), "birthDate", "4 March 2023"),
    "RequestGroup.action not a list": _setter(_group, "action", "all"),
    "dose value a string": lambda doc: _dose(doc).update(value="425"),
    "Dosage.sequence a word": lambda doc: _med(doc)["dosageInstruction"][0].update(sequence="one"),
    # structure
    "unknown resourceType": lambda doc: _entry(doc)["resource"].update(resourceType="Order"),
    "dangling reference": _setter(
        _med,
        "supportingInformation",
        [{"reference": "urn:uuid:00000000-0000-4000-8000-000000000000"}],
    ),
}


@pytest.fixture(scope="module")
def toddler_doc() -> dict[str, Any]:
    doc = fhir_doc(load(TODDLER))
    assert validate_bundle(doc) == []
    assert resources(doc, "AllergyIntolerance"), "the broken copies need an allergy"
    return doc


def test_there_are_fifty_broken_copies():
    assert len(BROKEN) == 50


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_copy_is_rejected(name, toddler_doc):
    doc = copy.deepcopy(toddler_doc)
    BROKEN[name](doc)
    assert doc != toddler_doc, "the mutation changed nothing"
    assert validate_bundle(doc), name


def test_the_code_table_covers_the_required_bindings():
    for key in (
        "RequestGroup.status",
        "RequestGroup.intent",
        "MedicationRequest.status",
        "MedicationRequest.intent",
        "ServiceRequest.status",
        "ServiceRequest.intent",
        "action.precheckBehavior",
        "action.selectionBehavior",
        "action.groupingBehavior",
        "action.requiredBehavior",
        "doseAndRate.type",
        "DetectedIssue.severity",
        "AllergyIntolerance.clinicalStatus",
        "AllergyIntolerance.verificationStatus",
    ):
        assert REQUIRED_CODES[key], key
    # the models alone accept a wrong code: that is why the table exists
    from fhir.resources.R4B.requestgroup import RequestGroup

    RequestGroup.model_validate(
        {"resourceType": "RequestGroup", "status": "draft", "intent": "wish"}
    )
