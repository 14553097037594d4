"""`orderset definition --format fhir`: the order set itself as a PlanDefinition (type
order-set) with ActivityDefinitions, validated against the fhir.resources R4B models."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fhir.resources.R4B.activitydefinition import ActivityDefinition
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.plandefinition import PlanDefinition

import orderset
from orderset import InputError
from orderset.renderers.fhir import bundle
from orderset.renderers.fhir_definition import definition_bundle, render_definition
from orderset.rules import RULES_VERSION
from orderset.testing import fresh_host
from tests.conftest import TODDLER, run_cli

APPROVED = {
    "governance": {
        "approved_by": "P&T committee",
        "approved_on": dt.date(2026, 11, 1),
        "review_due": dt.date(2027, 11, 1),
    }
}


def _validated(doc: dict) -> tuple[dict, list[dict]]:
    Bundle.model_validate(doc)
    plan, *activities = (e["resource"] for e in doc["entry"])
    PlanDefinition.model_validate(plan)
    for activity in activities:
        ActivityDefinition.model_validate(activity)
    return plan, activities


def test_the_definition_is_a_valid_order_set_plan_definition():
    plan, activities = _validated(definition_bundle(host=fresh_host()))
    assert plan["type"]["coding"][0]["code"] == "order-set"
    assert plan["status"] == "draft"  # the default profile records no approval
    assert plan["publisher"] == "Example Children's Hospital"
    rule_ids = [a["code"]["coding"][0]["code"] for a in activities]
    assert rule_ids == [r.id for r in fresh_host().rules()]
    assert {a["kind"] for a in activities if a["code"]["coding"][0]["code"] == "TCZ-1"} == {
        "MedicationRequest"
    }
    assert {a["kind"] for a in activities if a["code"]["coding"][0]["code"] == "LAB-1"} == {
        "ServiceRequest"
    }
    urls = {f"{a['url']}|{a['version']}" for a in activities}
    assert {action["definitionCanonical"] for action in plan["action"]} == urls


def test_a_patients_request_group_instantiates_this_definition():
    plan, _ = _validated(definition_bundle(host=fresh_host()))
    order_set = orderset.build_order_set(orderset.load_case(TODDLER), host=fresh_host())
    group = bundle(order_set)["entry"][0]["resource"]
    assert group["instantiatesCanonical"] == [f"{plan['url']}|{plan['version']}"]
    assert plan["version"] == RULES_VERSION


def test_status_approval_and_review_dates_come_from_the_profile_governance():
    plan, activities = _validated(definition_bundle(APPROVED, host=fresh_host()))
    assert plan["status"] == "active"
    assert plan["approvalDate"] == "2026-11-01"
    assert plan["effectivePeriod"] == {"start": "2026-11-01", "end": "2027-11-01"}
    assert plan["endorser"] == [{"name": "P&T committee"}]
    assert {a["status"] for a in activities} == {"active"}
    assert {a["approvalDate"] for a in activities} == {"2026-11-01"}


def test_the_profiles_selection_and_grade_policy_set_precheck():
    plan, _ = _validated(definition_bundle("ivig-first-line", host=fresh_host()))
    precheck = {a["id"]: a.get("precheckBehavior") for a in plan["action"]}
    assert precheck["rule-IVIG-1"] == "yes"
    assert precheck["rule-ESC-2"] == "no"  # analogue: never pre-selected
    with pytest.raises(InputError) as err:
        definition_bundle("profiles/default.toml", host=fresh_host())
    assert err.value.field == "profile"


def test_the_command_prints_the_same_bytes_every_time():
    first = run_cli("definition", "--format", "fhir", "--profile", "ivig-first-line")
    second = run_cli("definition", "--profile", "ivig-first-line")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert first.stdout.encode() == render_definition("ivig-first-line", host=fresh_host())
    _validated(json.loads(first.stdout))
    bad = run_cli("definition", "--format", "hl7")
    assert bad.returncode == 2
