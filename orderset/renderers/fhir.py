"""FHIR R4 output: one Bundle (type `collection`) holding the order set as a CPG-on-FHIR style
RequestGroup with its MedicationRequests and ServiceRequests, and the Patient, body weight and
height Observations, AllergyIntolerances and DetectedIssues (alerts) they refer to.

Why `collection` and not `transaction`: the order set is a proposal for a clinician to review
(RequestGroup status `draft`, intent `proposal`; each request intent `option`), not something
to write into a server as it stands, and a collection needs no `request` per entry. Entries
refer to each other through their `urn:uuid:` fullUrls.

Renderers only render: every number here is the order set's own (`Order.dose`,
`Calculation.calculated`, `Order.daily_maximum`, `Preparation.rate`, titration steps), turned
into a JSON number by `orderset.renderers.json.number` so FHIR and JSON print the same value.
Ids are hashes of MRN, `assessed_at` and the order id (like the HL7 ids), nothing reads the
clock, and keys are sorted, so the same case at the same time gives byte-identical output.
fhir.resources is not imported here (it is a test/validation dependency only): see
`orderset.fhir_validation`.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import pint
from attrs import frozen

from orderset import units
from orderset._version import __version__
from orderset.errors import PluginError
from orderset.formatting import format_quantity
from orderset.model import Alert, Case, Order, OrderSet, Section
from orderset.renderers.hl7 import placer_group_number, placer_order_number
from orderset.renderers.json import number
from orderset.rules import RULES_VERSION
from orderset.vocab import FREQUENCIES

UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
DOSE_RATE_TYPE = "http://terminology.hl7.org/CodeSystem/dose-rate-type"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
#: Local code systems (no public code is claimed where none was verified).
LOCAL_PRODUCT = "urn:orderset:product"
LOCAL_DRUG = "urn:orderset:drug"
LOCAL_ORDER = "urn:orderset:order"
LOCAL_ORDER_KIND = "urn:orderset:order-kind"
LOCAL_ALERT = "urn:orderset:alert"
LOCAL_MRN = "urn:orderset:mrn"
LOCAL_PLACER = "urn:orderset:placer-order-number"
LOCAL_GROUP = "urn:orderset:placer-group-number"
#: The order set definition the RequestGroup instantiates (`instantiatesCanonical`), with the
#: rules version: the PlanDefinition (`orderset definition --format fhir`) must use this URL.
PLAN_DEFINITION_URL = "urn:orderset:PlanDefinition:ane-orderset"

#: Drug units as UCUM: the value of an "mg PE" dose is sent in mg with `unit` "mg PE" and a note.
UCUM_DRUG_UNITS = units.UCUM_DRUG_UNITS
PHENYTOIN_EQUIVALENTS = units.PHENYTOIN_EQUIVALENTS
PHENYTOIN_NOTE = (
    "Dose is in phenytoin equivalents (mg PE); the UCUM code is mg because UCUM has no unit for"
    " phenytoin equivalents."
)

#: RxNorm ingredient codes (TTY=IN) by the order's generic drug name, each with the source it
#: was checked against. Only codes verified against a citable source go here; every other drug
#: is sent with the formulary product's local code (`urn:orderset:product`) only. Empty on
#: purpose for now: no ingredient code could be confirmed from a primary source (NLM RxNav or
#: the RxNorm release files) while this renderer was written; see README "FHIR R4".
RXNORM_INGREDIENTS: dict[str, tuple[str, str]] = {}


@frozen
class RouteCode:
    code: str | None  # SNOMED CT route of administration; None: text only
    display: str


#: Routes (orderset.vocab.ROUTES) as SNOMED CT "route of administration" concepts. 26643006
#: is checked against hl7.org/fhir/R5/valueset-route-codes.html; 47625008, 78421000 and
#: 127492001 are the well-known concepts named in the FHIR route-codes example value set.
#: "enteral (PO or NG)" leaves the route to the nurse: one CodeableConcept cannot say "oral or
#: nasogastric" (two codings would claim both mean the same), so it is sent as text only.
ROUTES: dict[str, RouteCode] = {
    "IV": RouteCode("47625008", "Intravenous route"),
    "IM": RouteCode("78421000", "Intramuscular route"),
    "PO": RouteCode("26643006", "Oral route"),
    "NG": RouteCode("127492001", "Nasogastric route"),
    "enteral (PO or NG)": RouteCode(None, "Enteral: oral or nasogastric, nurse to choose"),
}


@frozen
class Repeat:
    """Timing.repeat for a frequency: `frequency` per `period` `period_unit` (UCUM)."""

    frequency: int | None = None
    period: int | None = None
    period_unit: str | None = None
    count: int | None = None
    as_needed: bool = False


#: Frequencies (orderset.vocab.FREQUENCIES) as FHIR Timing.repeat; every one must be here.
REPEATS: dict[str, Repeat] = {
    "once": Repeat(count=1),
    "once daily": Repeat(1, 1, "d"),
    "twice daily": Repeat(2, 1, "d"),
    "every 6 hours": Repeat(1, 6, "h"),
    "every 8 hours": Repeat(1, 8, "h"),
    "every 12 hours": Repeat(1, 12, "h"),
    "as needed": Repeat(as_needed=True),
    # OSE-1: scheduled after every session, never as needed; Timing.code carries the text.
    "after every hemodialysis session": Repeat(),
    # Scheduled nursing checks (SUP-1 neurologic checks; MP-1 blood pressure per profile).
    "every hour": Repeat(1, 1, "h"),
    **{f"every {n} hours": Repeat(1, n, "h") for n in range(2, 25) if n not in (6, 8, 12)},
}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(hours?|days?|weeks?)\s*$", re.IGNORECASE)
_DURATION_UCUM = {"hour": "h", "day": "d", "week": "wk"}

#: RequestGroup action behaviours used here (CPG-on-FHIR order sets).
SECTION_GROUPING = "visual-group"
ALTERNATIVES_GROUPING = "logical-group"
SEVERITY = {"critical": "high", "warning": "moderate", "info": "low"}  # DetectedIssue.severity
GENDER = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}
LOINC_WEIGHT = ("29463-7", "Body weight")
LOINC_HEIGHT = ("8302-2", "Body height")


# ---- ids ------------------------------------------------------------------------------------


def resource_id(case: Case, *parts: str) -> str:
    """A UUID-shaped id from SHA-256 of MRN, `assessed_at` and `parts` (same input, same id)."""
    text = "\x1f".join((case.patient.mrn, case.assessed_at.isoformat(), "fhir", *parts))
    return str(uuid.UUID(bytes=hashlib.sha256(text.encode("utf-8")).digest()[:16], version=4))


def full_url(resource: dict[str, Any]) -> str:
    return f"urn:uuid:{resource['id']}"


def ref(resource: dict[str, Any]) -> dict[str, str]:
    return {"reference": full_url(resource)}


# ---- data types -----------------------------------------------------------------------------


def ucum_quantity(value: Any, code: str, unit: str | None = None) -> dict[str, Any]:
    return {"value": number(value), "unit": unit or code, "system": UCUM, "code": code}


def drug_quantity(q: pint.Quantity, label: str) -> dict[str, Any]:
    """A dose in the order's own unit label, as JSON's `{"value", "unit"}` plus the UCUM code."""
    code, text = UCUM_DRUG_UNITS[label]
    return ucum_quantity(q.to(units.drug_unit(label)).magnitude, code, text)


def rate_quantity(q: pint.Quantity) -> dict[str, Any]:
    """A rate: mL/h (pump) or mg/kg/min (IVIG titration), in UCUM."""
    if q.is_compatible_with(units.mL_per_h):
        return ucum_quantity(q.to(units.mL_per_h).magnitude, "mL/h")
    if q.is_compatible_with(units.mg_per_kg_per_min):
        return ucum_quantity(q.to(units.mg_per_kg_per_min).magnitude, "mg/kg/min")
    raise ValueError(f"no UCUM rate for {q.units}")


def concept(
    system: str, code: str, display: str | None = None, text: str | None = None
) -> dict[str, Any]:
    coding: dict[str, str] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    result: dict[str, Any] = {"coding": [coding]}
    if text:
        result["text"] = text
    return result


def dose_rate_type(code: str) -> dict[str, Any]:
    display = {"calculated": "Calculated", "ordered": "Ordered"}[code]
    return concept(DOSE_RATE_TYPE, code, display)


def notes(texts: Iterable[str]) -> list[dict[str, str]]:
    return [{"text": t} for t in texts if t]


# ---- resources ------------------------------------------------------------------------------


def _patient(case: Case) -> dict[str, Any]:
    p = case.patient
    return {
        "resourceType": "Patient",
        "id": resource_id(case, "Patient"),
        "identifier": [
            {
                "type": concept(IDENTIFIER_TYPE, "MR", "Medical record number"),
                "system": LOCAL_MRN,
                "value": p.mrn,
            }
        ],
        "name": [{"use": "official", "family": p.family_name, "given": [p.given_name]}],
        "gender": GENDER[p.sex],
        "birthDate": p.birth_date.isoformat(),
    }


def _vital(
    case: Case, patient: dict[str, Any], loinc: tuple[str, str], value: dict[str, Any], when: str
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": resource_id(case, "Observation", loinc[0]),
        "status": "final",
        "category": [concept(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")],
        "code": concept(LOINC, loinc[0], loinc[1], loinc[1]),
        "subject": ref(patient),
        "effectiveDateTime": when,
        "valueQuantity": value,
    }


def _observations(case: Case, patient: dict[str, Any]) -> list[dict[str, Any]]:
    p = case.patient
    weight = _vital(
        case,
        patient,
        LOINC_WEIGHT,
        ucum_quantity(case.weight_kg, "kg"),
        p.weight_measured_at.isoformat(),
    )
    weight["note"] = notes(["Dosing weight: every weight-based dose in this order set uses it."])
    found = [weight]
    if p.height is not None:
        height = ucum_quantity(p.height.to(units.cm).magnitude, "cm")
        found.append(_vital(case, patient, LOINC_HEIGHT, height, case.assessed_at.isoformat()))
    return found


def _allergies(case: Case, patient: dict[str, Any]) -> list[dict[str, Any]]:
    """One AllergyIntolerance per recorded allergy (substance as text: no coded allergen is
    claimed). "No known allergies" and "not recorded" go on the RequestGroup as notes."""
    found = []
    for i, allergy in enumerate(case.patient.allergies or ()):
        resource: dict[str, Any] = {
            "resourceType": "AllergyIntolerance",
            "id": resource_id(case, "AllergyIntolerance", str(i), allergy.substance),
            "clinicalStatus": concept(ALLERGY_CLINICAL, "active", "Active"),
            "code": {"text": allergy.substance},
            "patient": ref(patient),
            "recordedDate": case.assessed_at.isoformat(),
        }
        if allergy.reaction:
            resource["reaction"] = [{"manifestation": [{"text": allergy.reaction}]}]
        found.append(resource)
    return found


def _allergy_note(case: Case) -> str | None:
    if case.patient.allergies is None:
        return "Allergies: not recorded."
    if not case.patient.allergies:
        return "Allergies: no known allergies."
    return None


def _timing(order: Order) -> tuple[dict[str, Any], dict[str, Any]]:
    """Dosage.timing and the asNeeded element."""
    timing: dict[str, Any] = {}
    repeat: dict[str, Any] = {}
    as_needed: dict[str, Any] = {}
    if order.frequency:
        if order.frequency not in REPEATS or order.frequency not in FREQUENCIES:
            raise PluginError(order.plugin, f"order {order.id}: no FHIR timing for frequency")
        pattern = REPEATS[order.frequency]
        timing["code"] = {"text": order.frequency}
        if pattern.count is not None:
            repeat["count"] = pattern.count
        if pattern.frequency is not None:
            repeat.update(
                frequency=pattern.frequency, period=pattern.period, periodUnit=pattern.period_unit
            )
        if pattern.as_needed and not order.prn:
            as_needed = {"asNeededBoolean": True}
    if order.prn:
        as_needed = {"asNeededCodeableConcept": {"text": order.prn}}
    if order.duration:
        match = _DURATION.match(order.duration)
        if match:
            unit = _DURATION_UCUM[match.group(2).lower().rstrip("s")]
            repeat["boundsDuration"] = {
                "value": number(Decimal(match.group(1))),
                "unit": match.group(2).lower(),
                "system": UCUM,
                "code": unit,
            }
    if repeat:
        timing["repeat"] = repeat
    return timing, as_needed


def _route(order: Order) -> dict[str, Any] | None:
    if order.route is None:
        return None
    route = ROUTES[order.route]
    if route.code is None:
        return {"text": order.route}
    return concept(SNOMED, route.code, route.display, order.route)


def _dosage(order: Order) -> list[dict[str, Any]]:
    timing, as_needed = _timing(order)
    dosage: dict[str, Any] = {"sequence": 1, "text": order.text, **as_needed}
    if timing:
        dosage["timing"] = timing
    route = _route(order)
    if route:
        dosage["route"] = route
    label = order.dose_unit
    if order.dose is not None and label is not None:
        ordered: dict[str, Any] = {
            "type": dose_rate_type("ordered"),
            "doseQuantity": drug_quantity(order.dose, label),
        }
        if order.preparation is not None and order.preparation.rate is not None:
            ordered["rateQuantity"] = rate_quantity(order.preparation.rate)
        dose_and_rate = [ordered]
        if order.calculation is not None:
            dose_and_rate.append(
                {
                    "type": dose_rate_type("calculated"),
                    "doseQuantity": drug_quantity(order.calculation.calculated, label),
                }
            )
        dosage["doseAndRate"] = dose_and_rate
        if order.calculation is not None and order.calculation.maximum is not None:
            dosage["maxDosePerAdministration"] = drug_quantity(order.calculation.maximum, label)
        if order.daily_maximum is not None:
            dosage["maxDosePerPeriod"] = {
                "numerator": drug_quantity(order.daily_maximum, label),
                "denominator": ucum_quantity(1, "d", "day"),
            }
    dosages = [dosage]
    # IVIG rate titration: one Dosage per step, same sequence (part of the same infusion):
    # the ordered dose rate (mg/kg/min) and the pump rate calculated for this patient (mL/h).
    for step in order.titration:
        dosages.append(
            {
                "sequence": 1,
                "text": (
                    f"Titration: {format_quantity(step.dose_rate)} ="
                    f" {format_quantity(step.pump_rate)}, {step.after}"
                ),
                "doseAndRate": [
                    {
                        "type": dose_rate_type("ordered"),
                        "rateQuantity": rate_quantity(step.dose_rate),
                    },
                    {
                        "type": dose_rate_type("calculated"),
                        "rateQuantity": rate_quantity(step.pump_rate),
                    },
                ],
            }
        )
    return dosages


def _order_notes(order: Order, alerts: Sequence[Alert]) -> list[str]:
    texts = []
    if order.dose_unit == PHENYTOIN_EQUIVALENTS:
        texts.append(PHENYTOIN_NOTE)
    if order.calculation is not None:
        texts.append(f"Calculation: {order.calculation.text}")
        if order.calculation.pharmacist_review:
            texts.append("Pharmacist review: the dose could not be rounded (ROUND-1).")
    if order.preparation is not None and order.preparation.text:
        texts.append(f"Preparation: {order.preparation.text}")
    texts.extend(f"Note: {n}" for n in order.notes)
    sources = "; ".join(order.evidence.sources)
    texts.append(
        f"Evidence grade: {order.evidence.grade} (rule {order.rule_id})"
        + (f"; sources: {sources}" if sources else "")
    )
    texts.extend(f"Alert, {a.severity}: {a.text}" for a in alerts)
    return texts


def _medication(order: Order) -> dict[str, Any]:
    codings = []
    rxnorm = RXNORM_INGREDIENTS.get(order.drug or "")
    if rxnorm is not None:
        codings.append({"system": RXNORM, "code": rxnorm[0], "display": order.drug})
    if order.product_code:
        codings.append({"system": LOCAL_PRODUCT, "code": order.product_code})
    if not codings:
        codings.append({"system": LOCAL_DRUG, "code": order.drug or order.id})
    text = order.drug or order.id
    if order.dosage_form:
        text = f"{text} ({order.dosage_form})"
    return {"coding": codings, "text": text}


def _common(
    order_set: OrderSet, order: Order, patient: dict[str, Any], kind: str
) -> dict[str, Any]:
    case = order_set.case
    return {
        "resourceType": kind,
        "id": resource_id(case, kind, order.id),
        "identifier": [{"system": LOCAL_PLACER, "value": placer_order_number(case, order)}],
        "status": "draft",
        "intent": "option",
        "subject": ref(patient),
        "authoredOn": case.assessed_at.isoformat(),
    }


def _request(
    order_set: OrderSet,
    order: Order,
    patient: dict[str, Any],
    weight: dict[str, Any],
    alerts: Sequence[Alert],
) -> dict[str, Any]:
    case = order_set.case
    if order.kind == "medication":
        resource = _common(order_set, order, patient, "MedicationRequest")
        resource["groupIdentifier"] = {"system": LOCAL_GROUP, "value": placer_group_number(case)}
        resource["medicationCodeableConcept"] = _medication(order)
        resource["dosageInstruction"] = _dosage(order)
        resource["supportingInformation"] = [ref(weight)]
    else:
        resource = _common(order_set, order, patient, "ServiceRequest")
        # ServiceRequest names the shared group id `requisition` (MedicationRequest: group).
        resource["requisition"] = {"system": LOCAL_GROUP, "value": placer_group_number(case)}
        resource["category"] = [concept(LOCAL_ORDER_KIND, order.kind, text=order.kind)]
        resource["code"] = concept(LOCAL_ORDER, order.id, text=order.text)
        if order.frequency:
            resource["occurrenceTiming"] = {"code": {"text": order.frequency}}
    texts = _order_notes(order, alerts)
    if texts:
        resource["note"] = notes(texts)
    return resource


def _detected_issue(
    case: Case,
    index: int,
    alert: Alert,
    patient: dict[str, Any],
    requests: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    issue: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": resource_id(case, "DetectedIssue", str(index), alert.id),
        "status": "final",
        "code": concept(LOCAL_ALERT, alert.id, text=alert.rule_id or alert.id),
        "severity": SEVERITY[alert.severity],
        "patient": ref(patient),
        "identifiedDateTime": case.assessed_at.isoformat(),
        "detail": alert.text,
    }
    if alert.order_id and alert.order_id in requests:
        issue["implicated"] = [ref(requests[alert.order_id])]
    return issue


# ---- the RequestGroup -----------------------------------------------------------------------


def alternative_groups(orders: Sequence[Order]) -> list[tuple[Order, ...]]:
    """Medication orders of one section and rule given for the same as-needed condition are
    alternatives (SEIZ-1: lorazepam, midazolam IV or IM for a seizure of 5 minutes or longer;
    levetiracetam or fosphenytoin when it continues): at most one of each group is given.

    This reads the order set only; it decides no dose. Two or more orders make a group."""
    groups: dict[tuple[str, str, str], list[Order]] = {}
    for order in orders:
        if order.kind == "medication" and order.prn:
            groups.setdefault((order.section.value, order.rule_id, order.prn), []).append(order)
    return [tuple(g) for g in groups.values() if len(g) > 1]


def _order_action(order: Order, request: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"order-{order.id}",
        "title": order.id,
        "description": order.text,
        "textEquivalent": order.text,
        "precheckBehavior": "yes" if order.selected else "no",
        "requiredBehavior": "could",
        "resource": ref(request),
    }


def _section_actions(
    order_set: OrderSet, requests: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    actions = []
    for section in Section:
        orders = [o for o in order_set.orders if o.section == section]
        if not orders:
            continue
        grouped = {o.id: g for g in alternative_groups(orders) for o in g}
        children: list[dict[str, Any]] = []
        done: set[str] = set()
        for order in orders:
            if order.id in done:
                continue
            group = grouped.get(order.id)
            if group is None:
                children.append(_order_action(order, requests[order.id]))
                done.add(order.id)
                continue
            children.append(
                {
                    "id": "choose-" + "-".join(o.id for o in group),
                    "title": f"Choose at most one ({group[0].rule_id}): as needed for"
                    f" {group[0].prn}",
                    "groupingBehavior": ALTERNATIVES_GROUPING,
                    "selectionBehavior": "at-most-one",
                    "action": [_order_action(o, requests[o.id]) for o in group],
                }
            )
            done.update(o.id for o in group)
        actions.append(
            {
                "id": f"section-{section.value}",
                "title": section.title,
                "groupingBehavior": SECTION_GROUPING,
                "selectionBehavior": "any",
                "action": children,
            }
        )
    return actions


def _request_group(
    order_set: OrderSet, patient: dict[str, Any], requests: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    case = order_set.case
    texts = [
        f"Order set: orderset {__version__}, rules {RULES_VERSION}, profile"
        f" {order_set.profile_name}; {order_set.governance.text}",
        order_set.timing.text if order_set.timing else "",
        f"Severity ({order_set.severity.rule_id}): score {order_set.severity.score},"
        f" {order_set.severity.band}"
        if order_set.severity
        else "",
        order_set.renal.summary if order_set.renal else "",
        _allergy_note(case) or "",
    ]
    group: dict[str, Any] = {
        "resourceType": "RequestGroup",
        "id": resource_id(case, "RequestGroup"),
        "identifier": [{"system": LOCAL_GROUP, "value": placer_group_number(case)}],
        "instantiatesCanonical": [f"{PLAN_DEFINITION_URL}|{RULES_VERSION}"],
        "status": "draft",
        "intent": "proposal",
        "subject": ref(patient),
        "authoredOn": case.assessed_at.isoformat(),
        "action": _section_actions(order_set, requests),
    }
    if order_set.institution:
        group["author"] = {"display": order_set.institution}
    group["note"] = notes(texts)
    return group


def bundle(order_set: OrderSet) -> dict[str, Any]:
    """The Bundle as plain JSON-able data: RequestGroup first, then the requests in order-set
    order, Patient, Observations, AllergyIntolerances and DetectedIssues."""
    case = order_set.case
    patient = _patient(case)
    observations = _observations(case, patient)
    weight = observations[0]
    by_order: dict[str, list[Alert]] = {}
    for alert in order_set.alerts:
        if alert.order_id:
            by_order.setdefault(alert.order_id, []).append(alert)
    requests = {
        o.id: _request(order_set, o, patient, weight, by_order.get(o.id, []))
        for o in order_set.orders
    }
    _check_unique([patient, *observations, *requests.values()])
    issues = [
        _detected_issue(case, i, a, patient, requests) for i, a in enumerate(order_set.alerts)
    ]
    resources = [
        _request_group(order_set, patient, requests),
        *requests.values(),
        patient,
        *observations,
        *_allergies(case, patient),
        *issues,
    ]
    _check_unique(resources)
    return {
        "resourceType": "Bundle",
        "id": resource_id(case, "Bundle"),
        "type": "collection",
        "timestamp": case.assessed_at.isoformat(),
        "entry": [{"fullUrl": full_url(r), "resource": r} for r in resources],
    }


def _check_unique(resources: Sequence[dict[str, Any]]) -> None:
    """A SHA-256 prefix collision (two resources, one id) is improbable; refuse it."""
    ids = [r["id"] for r in resources]
    if len(ids) != len(set(ids)):  # pragma: no cover - needs a SHA-256 prefix collision
        raise PluginError("fhir", "two FHIR resources were given the same id")


def to_fhir_json(order_set: OrderSet) -> str:
    return json.dumps(bundle(order_set), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def render(order_set: OrderSet) -> bytes:
    """The `--format fhir` file: the Bundle as JSON (application/fhir+json), UTF-8."""
    return to_fhir_json(order_set).encode("utf-8")
