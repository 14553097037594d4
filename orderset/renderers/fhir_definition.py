"""The order set itself, not one patient's: a FHIR R4 PlanDefinition (type `order-set`) with
one ActivityDefinition per rule the loaded plugins encode (`orderset definition --format fhir`).

The PlanDefinition's canonical URL and version are the ones every patient's RequestGroup
instantiates (`orderset.renderers.fhir.PLAN_DEFINITION_URL`, `|` the rules version), so a
RequestGroup can be traced to the definition it came from. Status, publisher, approval and
review dates come from the institution profile (`[institution]`, `[governance]`): `active`
once the profile records an approval date, `draft` until then. Doses are not in the definition:
they depend on the patient (weight, age, renal function) and come only from a build.

The output is a Bundle (type `collection`) holding the PlanDefinition and its
ActivityDefinitions; it reads no clock, so the same plugins and profile give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orderset._version import __version__
from orderset.renderers.fhir import PLAN_DEFINITION_URL
from orderset.rules import RULES_VERSION, Rule, records_in

PLAN_DEFINITION_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
#: ActivityDefinition canonical URLs: this prefix, the rule id, `|` the rules version.
ACTIVITY_DEFINITION_URL = "urn:orderset:ActivityDefinition:"
LOCAL_RULE = "urn:orderset:rule"
LOCAL_GRADE = "urn:orderset:evidence-grade"


def _id(*parts: str) -> str:
    text = "\x1f".join(("fhir-definition", *parts))
    return str(uuid.UUID(bytes=hashlib.sha256(text.encode("utf-8")).digest()[:16], version=4))


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def _machine_name(rule_id: str) -> str:
    """A FHIR `name` (starts with a capital, letters, digits and underscores)."""
    return "Rule_" + "".join(c if c.isalnum() else "_" for c in rule_id)


def _activity(
    rule: Rule, kind: str, status: str, publisher: str | None, dates: Mapping[str, Any]
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ActivityDefinition",
        "id": _id("ActivityDefinition", rule.id),
        "url": ACTIVITY_DEFINITION_URL + rule.id,
        "version": RULES_VERSION,
        "name": _machine_name(rule.id),
        "title": f"{rule.id}: {rule.title}",
        "status": status,
        "kind": kind,
        "intent": "proposal",
        "code": {
            "coding": [{"system": LOCAL_RULE, "code": rule.id, "display": rule.title}],
            "text": rule.title,
        },
        "topic": [
            {
                "coding": [{"system": LOCAL_GRADE, "code": rule.grade}],
                "text": f"evidence grade {rule.grade}",
            }
        ],
        "usage": f"Evidence grade {rule.grade}; encoded by plugin {rule.plugin}.",
        **dates,
    }
    if rule.description:
        resource["description"] = rule.description
    if publisher:
        resource["publisher"] = publisher
    if rule.sources:
        resource["relatedArtifact"] = [{"type": "citation", "display": s} for s in rule.sources]
    return resource


def definition_bundle(
    profile: Mapping[str, Any] | str | None = None,
    *,
    profile_path: str | Path | None = None,
    host: Any = None,
) -> dict[str, Any]:
    """The PlanDefinition and ActivityDefinitions as plain JSON-able data, for the loaded
    plugins (built-ins and entry points, as a build) and the profile (layered like a build's)."""
    from orderset import governance as governance_settings
    from orderset.engine import load_settings
    from orderset.plugin.host import make_host

    host = host or make_host()
    settings = load_settings(host, profile, profile_path=profile_path)
    # No clock: the approval record only (a review that is overdue today is a build's alert).
    approval = governance_settings.governance(settings, dt.date.min)
    institution = settings.get("institution", "name") or None
    status = "active" if approval.approved_on else "draft"
    dates: dict[str, Any] = {}
    if approval.approved_on:
        dates["date"] = approval.approved_on.isoformat()
        dates["approvalDate"] = approval.approved_on.isoformat()
    if approval.approved_on or approval.review_due:
        period = {}
        if approval.approved_on:
            period["start"] = approval.approved_on.isoformat()
        if approval.review_due:
            period["end"] = approval.review_due.isoformat()
        dates["effectivePeriod"] = period

    medication_rules: set[str] = set()
    for info in host.plugins:
        module = host.pm.get_plugin(info.name)
        if module is not None:
            medication_rules.update(r.rule.id for r in records_in(vars(module)))
    rules = [r for r in host.rules() if r.plugin != "engine"]
    activities = [
        _activity(
            rule,
            "MedicationRequest" if rule.id in medication_rules else "ServiceRequest",
            status,
            institution,
            dates,
        )
        for rule in rules
    ]
    selection = settings.selection
    actions = []
    for rule, activity in zip(rules, activities, strict=True):
        action: dict[str, Any] = {
            "id": f"rule-{rule.id}",
            "title": f"{rule.id}: {rule.title}",
            "definitionCanonical": f"{activity['url']}|{RULES_VERSION}",
            "requiredBehavior": "could",
        }
        if rule.description:
            action["description"] = rule.description
        if isinstance(selection.get(rule.id), bool):
            action["precheckBehavior"] = "yes" if selection[rule.id] else "no"
        elif not rule.evidence.preselectable:
            action["precheckBehavior"] = "no"
        actions.append(action)

    plan: dict[str, Any] = {
        "resourceType": "PlanDefinition",
        "id": _id("PlanDefinition", settings.profile_name),
        "url": PLAN_DEFINITION_URL,
        "identifier": [{"system": "urn:orderset:profile", "value": settings.profile_name}],
        "version": RULES_VERSION,
        "name": "ANEOrderSet",
        "title": "Acute necrotizing encephalopathy (ANE) order set",
        "type": {
            "coding": [
                {"system": PLAN_DEFINITION_TYPE, "code": "order-set", "display": "Order Set"}
            ]
        },
        "status": status,
        "experimental": False,
        **dates,
        "description": (
            f"orderset {__version__}, rules {RULES_VERSION}, profile {settings.profile_name};"
            f" {approval.text}. Doses are computed per patient by a build."
        ),
        "usage": approval.text,
        "action": actions,
    }
    if institution:
        plan["publisher"] = institution
    if approval.approved_by:
        plan["endorser"] = [{"name": approval.approved_by}]
    return {
        "resourceType": "Bundle",
        "id": _id("Bundle", settings.profile_name),
        "type": "collection",
        "entry": [_entry(plan), *(_entry(a) for a in activities)],
    }


def render_definition(
    profile: Mapping[str, Any] | str | None = None,
    *,
    profile_path: str | Path | None = None,
    host: Any = None,
) -> bytes:
    """The `orderset definition --format fhir` file: the Bundle as JSON, UTF-8."""
    doc = definition_bundle(profile, profile_path=profile_path, host=host)
    return (json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
