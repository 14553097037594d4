"""Validation of the FHIR Bundle that `orderset.renderers.fhir` makes.

Two checks, both needed:

1. every resource parses with the `fhir.resources` R4B models (unknown elements, wrong types,
   missing required elements such as `status` are refused);
2. a project-owned table of required code lists, because those models accept any code in a
   required binding (`intent: "wish"` parses): status, intent, action behaviours, dose-rate
   types, UCUM units, DetectedIssue severity, allergy statuses, and the quantities of every
   dose.

`fhir.resources` is an optional dependency (`pip install 'orderset[fhir]'`); it is imported only
when `validate_bundle` is called, never by the renderer.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

#: R4B model module and class by resourceType (only the types the renderer makes).
MODELS: dict[str, tuple[str, str]] = {
    "Bundle": ("bundle", "Bundle"),
    "RequestGroup": ("requestgroup", "RequestGroup"),
    "MedicationRequest": ("medicationrequest", "MedicationRequest"),
    "ServiceRequest": ("servicerequest", "ServiceRequest"),
    "Patient": ("patient", "Patient"),
    "Observation": ("observation", "Observation"),
    "AllergyIntolerance": ("allergyintolerance", "AllergyIntolerance"),
    "DetectedIssue": ("detectedissue", "DetectedIssue"),
}

UCUM = "http://unitsofmeasure.org"
DOSE_RATE_TYPE = "http://terminology.hl7.org/CodeSystem/dose-rate-type"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"

#: Required bindings (FHIR R4 value sets), as the closed code lists this project checks.
#: request-status / request-intent: RequestGroup, MedicationRequest (its own list in R4),
#: ServiceRequest.
REQUEST_STATUS = frozenset(
    {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
)
MEDICATION_REQUEST_STATUS = frozenset(
    {
        "active",
        "on-hold",
        "cancelled",
        "completed",
        "entered-in-error",
        "stopped",
        "draft",
        "unknown",
    }
)
REQUEST_INTENT = frozenset(
    {
        "proposal",
        "plan",
        "directive",
        "order",
        "original-order",
        "reflex-order",
        "filler-order",
        "instance-order",
        "option",
    }
)
MEDICATION_REQUEST_INTENT = frozenset(
    {
        "proposal",
        "plan",
        "order",
        "original-order",
        "reflex-order",
        "filler-order",
        "instance-order",
        "option",
    }
)
#: FHIR's observation-status value set, which DetectedIssue.status binds to as well.
_OBSERVATION_STATUS = frozenset(
    {
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    }
)
REQUIRED_CODES: dict[str, frozenset[str]] = {
    "RequestGroup.status": REQUEST_STATUS,
    "RequestGroup.intent": REQUEST_INTENT,
    "MedicationRequest.status": MEDICATION_REQUEST_STATUS,
    "MedicationRequest.intent": MEDICATION_REQUEST_INTENT,
    "ServiceRequest.status": REQUEST_STATUS,
    "ServiceRequest.intent": REQUEST_INTENT,
    "action.precheckBehavior": frozenset({"yes", "no"}),
    "action.selectionBehavior": frozenset(
        {"any", "all", "all-or-none", "exactly-one", "at-most-one", "one-or-more"}
    ),
    "action.groupingBehavior": frozenset({"visual-group", "logical-group", "sentence-group"}),
    "action.requiredBehavior": frozenset({"must", "could", "must-unless-documented"}),
    "doseAndRate.type": frozenset({"calculated", "ordered"}),
    "Observation.status": _OBSERVATION_STATUS,
    "DetectedIssue.status": _OBSERVATION_STATUS,
    "DetectedIssue.severity": frozenset({"high", "moderate", "low"}),
    "AllergyIntolerance.clinicalStatus": frozenset({"active", "inactive", "resolved"}),
    "AllergyIntolerance.verificationStatus": frozenset(
        {"unconfirmed", "confirmed", "refuted", "entered-in-error"}
    ),
    "Patient.gender": frozenset({"male", "female", "other", "unknown"}),
    "Bundle.type": frozenset(
        {
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection",
        }
    ),
}
#: UCUM codes this project sends, by where they may appear (a dose in kg/h is refused).
UCUM_DOSE = frozenset({"mg", "g", "ug", "mL"})
UCUM_RATE = frozenset({"mL/h", "mg/kg/min"})
UCUM_PERIOD = frozenset({"h", "d", "wk"})
UCUM_OBSERVATION = {"29463-7": frozenset({"kg"}), "8302-2": frozenset({"cm"})}
#: The display (`unit`) each UCUM dose code may carry: "mcg" for ug (ISMP), "mg PE" for
#: fosphenytoin sent in mg.
DOSE_UNIT_TEXT = {"mg": {"mg", "mg PE"}, "g": {"g"}, "ug": {"mcg"}, "mL": {"mL"}}


def validate_bundle(doc: Any) -> list[str]:
    """Every error found in `doc` (a parsed FHIR JSON Bundle); an empty list when it is valid.
    Raises ImportError when fhir.resources is not installed."""
    errors = _parse_errors(doc)
    if not isinstance(doc, dict):
        return errors or ["Bundle: not a JSON object"]
    errors += list(_code_errors(doc))
    return errors


# ---- 1. the fhir.resources R4B models --------------------------------------------------------


def _model(resource_type: str) -> Any:
    module, name = MODELS[resource_type]
    return getattr(importlib.import_module(f"fhir.resources.R4B.{module}"), name)


def _parse(where: str, resource: Any) -> list[str]:
    if not isinstance(resource, dict):
        return [f"{where}: not a JSON object"]
    resource_type = resource.get("resourceType")
    if resource_type not in MODELS:
        return [f"{where}: resourceType {resource_type!r} is not one this project sends"]
    try:
        _model(resource_type).model_validate(resource)
    except (ValueError, TypeError, KeyError) as exc:  # pydantic: ValueError; unknown type: KeyError
        first = str(exc).splitlines()
        return [f"{where} ({resource_type}): {' '.join(first[:3])}"]
    return []


def _parse_errors(doc: Any) -> list[str]:
    errors = _parse("Bundle", doc)
    if isinstance(doc, dict) and isinstance(doc.get("entry"), list):
        for i, entry in enumerate(doc["entry"]):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            errors += _parse(f"entry[{i}].resource", resource)
    return errors


# ---- 2. the project's code lists --------------------------------------------------------------


def _resources(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for i, entry in enumerate(doc.get("entry") or []):
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            yield f"entry[{i}]", entry["resource"]


def _code(errors: list[str], where: str, key: str, value: Any, required: bool = True) -> None:
    if value is None:
        if required:
            errors.append(f"{where}: {key} is missing")
        return
    if value not in REQUIRED_CODES[key]:
        errors.append(f"{where}: {key} {value!r} is not in its required code list")


def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def _coded(errors: list[str], where: str, key: str, concept: Any, system: str) -> None:
    codings = [c for c in _codings(concept) if c.get("system") == system]
    if not codings:
        errors.append(f"{where}: {key} has no coding in {system}")
    for coding in codings:
        _code(errors, where, key, coding.get("code"))


def _quantity(
    errors: list[str], where: str, q: Any, allowed: frozenset[str], dose: bool = False
) -> None:
    if not isinstance(q, dict):
        errors.append(f"{where}: not a Quantity")
        return
    value = q.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.append(f"{where}: value {value!r} is not a number")
    elif value < 0:
        errors.append(f"{where}: value {value!r} is negative")
    if q.get("system") != UCUM:
        errors.append(f"{where}: system {q.get('system')!r} is not UCUM")
    code = q.get("code")
    if code not in allowed:
        errors.append(f"{where}: UCUM code {code!r} is not one of {sorted(allowed)}")
    elif dose and q.get("unit") not in DOSE_UNIT_TEXT.get(code, ()):
        errors.append(f"{where}: unit {q.get('unit')!r} does not match UCUM code {code!r}")


def _code_errors(doc: dict[str, Any]) -> Iterator[str]:
    errors: list[str] = []
    _code(errors, "Bundle", "Bundle.type", doc.get("type"))
    full_urls = {e.get("fullUrl") for e in doc.get("entry") or [] if isinstance(e, dict)}
    for where, resource in _resources(doc):
        kind = resource.get("resourceType")
        checker = _CHECKS.get(kind) if isinstance(kind, str) else None
        if checker is not None:
            checker(errors, f"{where} {kind}", resource)
        errors.extend(_reference_errors(f"{where} {kind}", resource, full_urls))
    yield from errors


def _reference_errors(where: str, node: Any, full_urls: set[Any]) -> Iterator[str]:
    """Every `urn:uuid:` reference resolves to an entry of this Bundle."""
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and ref.startswith("urn:uuid:") and ref not in full_urls:
            yield f"{where}: reference {ref} is not in the Bundle"
        for value in node.values():
            yield from _reference_errors(where, value, full_urls)
    elif isinstance(node, list):
        for value in node:
            yield from _reference_errors(where, value, full_urls)


def _request_group(errors: list[str], where: str, r: dict[str, Any]) -> None:
    _code(errors, where, "RequestGroup.status", r.get("status"))
    _code(errors, where, "RequestGroup.intent", r.get("intent"))

    def walk(actions: Any, path: str) -> None:
        for i, action in enumerate(actions or []):
            if not isinstance(action, dict):
                errors.append(f"{where} {path}[{i}]: not an object")
                continue
            here = f"{where} {path}[{i}]"
            for key in ("precheckBehavior", "selectionBehavior", "groupingBehavior"):
                _code(errors, here, f"action.{key}", action.get(key), required=False)
            _code(errors, here, "action.requiredBehavior", action.get("requiredBehavior"), False)
            if "resource" in action and action.get("precheckBehavior") is None:
                errors.append(f"{here}: an order action needs precheckBehavior")
            walk(action.get("action"), f"{path}[{i}].action")

    walk(r.get("action"), "action")


def _dosage(errors: list[str], where: str, dosage: dict[str, Any]) -> None:
    for j, dr in enumerate(dosage.get("doseAndRate") or []):
        here = f"{where}.doseAndRate[{j}]"
        if not isinstance(dr, dict):
            errors.append(f"{here}: not an object")
            continue
        _coded(errors, here, "doseAndRate.type", dr.get("type"), DOSE_RATE_TYPE)
        if "doseQuantity" in dr:
            _quantity(errors, f"{here}.doseQuantity", dr["doseQuantity"], UCUM_DOSE, dose=True)
        if "rateQuantity" in dr:
            _quantity(errors, f"{here}.rateQuantity", dr["rateQuantity"], UCUM_RATE)
    if "maxDosePerAdministration" in dosage:
        _quantity(
            errors,
            f"{where}.maxDosePerAdministration",
            dosage["maxDosePerAdministration"],
            UCUM_DOSE,
            dose=True,
        )
    period = dosage.get("maxDosePerPeriod")
    if period is not None:
        if not isinstance(period, dict):
            errors.append(f"{where}.maxDosePerPeriod: not a Ratio")
        else:
            _quantity(
                errors,
                f"{where}.maxDosePerPeriod.numerator",
                period.get("numerator"),
                UCUM_DOSE,
                True,
            )
            _quantity(
                errors,
                f"{where}.maxDosePerPeriod.denominator",
                period.get("denominator"),
                UCUM_PERIOD,
            )
    repeat = (dosage.get("timing") or {}).get("repeat") or {}
    if "boundsDuration" in repeat:
        _quantity(
            errors, f"{where}.timing.repeat.boundsDuration", repeat["boundsDuration"], UCUM_PERIOD
        )
    if "periodUnit" in repeat and repeat["periodUnit"] not in {
        "s",
        "min",
        "h",
        "d",
        "wk",
        "mo",
        "a",
    }:
        errors.append(f"{where}.timing.repeat.periodUnit {repeat['periodUnit']!r} is not a unit")


def _medication_request(errors: list[str], where: str, r: dict[str, Any]) -> None:
    _code(errors, where, "MedicationRequest.status", r.get("status"))
    _code(errors, where, "MedicationRequest.intent", r.get("intent"))
    for i, dosage in enumerate(r.get("dosageInstruction") or []):
        if isinstance(dosage, dict):
            _dosage(errors, f"{where}.dosageInstruction[{i}]", dosage)


def _service_request(errors: list[str], where: str, r: dict[str, Any]) -> None:
    _code(errors, where, "ServiceRequest.status", r.get("status"))
    _code(errors, where, "ServiceRequest.intent", r.get("intent"))


def _observation(errors: list[str], where: str, r: dict[str, Any]) -> None:
    _code(errors, where, "Observation.status", r.get("status"))
    loinc = [
        c.get("code") for c in _codings(r.get("code")) if c.get("system") == "http://loinc.org"
    ]
    for code in loinc:
        if code in UCUM_OBSERVATION:
            _quantity(
                errors, f"{where}.valueQuantity", r.get("valueQuantity"), UCUM_OBSERVATION[code]
            )


def _detected_issue(errors: list[str], where: str, r: dict[str, Any]) -> None:
    _code(errors, where, "DetectedIssue.status", r.get("status"))
    _code(errors, where, "DetectedIssue.severity", r.get("severity"), required=False)


def _allergy(errors: list[str], where: str, r: dict[str, Any]) -> None:
    if "clinicalStatus" in r:
        _coded(
            errors,
            where,
            "AllergyIntolerance.clinicalStatus",
            r["clinicalStatus"],
            ALLERGY_CLINICAL,
        )
    if "verificationStatus" in r:
        _coded(
            errors,
            where,
            "AllergyIntolerance.verificationStatus",
            r["verificationStatus"],
            ALLERGY_VERIFICATION,
        )


def _patient(errors: list[str], where: str, r: dict[str, Any]) -> None:
    _code(errors, where, "Patient.gender", r.get("gender"), required=False)


_CHECKS = {
    "RequestGroup": _request_group,
    "MedicationRequest": _medication_request,
    "ServiceRequest": _service_request,
    "Observation": _observation,
    "DetectedIssue": _detected_issue,
    "AllergyIntolerance": _allergy,
    "Patient": _patient,
}
