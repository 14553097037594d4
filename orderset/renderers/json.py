"""JSON output, format version 1 ("orderset/1").

Deterministic by construction: keys are emitted in a fixed order, numbers are Decimals turned
into the shortest exact JSON number, and nothing reads the clock, so the same case with the
same `assessed_at` gives byte-identical output.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import attrs
import pint

from orderset import units
from orderset._version import __version__
from orderset.formatting import format_quantity, to_decimal, unit_label
from orderset.loader import creatinine_mg_dl
from orderset.model import (
    Alert,
    Calculation,
    Case,
    DosePreparation,
    Governance,
    Order,
    OrderSet,
    Preparation,
    RenalFunction,
    Severity,
    Timing,
    TitrationStep,
)
from orderset.preparation import beyond_use_at, concentration_label, local_time
from orderset.rules import RULES_VERSION
from orderset.timing import hours_text

SCHEMA = "orderset/1"


def number(value: float | int | Decimal, places: int = 6) -> int | float:
    """A JSON number without binary noise: 426 not 426.0, 0.1 not 0.1000000000000001."""
    d = to_decimal(value, places).normalize()
    return int(d) if d == d.to_integral_value() else float(d)


def quantity(q: pint.Quantity | None, label: str | None = None) -> dict[str, Any] | None:
    if q is None:
        return None
    return {"value": number(q.magnitude), "unit": label or unit_label(q.units)}


def _calculation(c: Calculation | None, label: str | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "text": c.text,
        "per_kg": quantity(c.per_kg, f"{label}/kg" if label and c.per_kg is not None else None),
        "weight_kg": number(c.weight_kg) if c.weight_kg is not None else None,
        "calculated": quantity(c.calculated, label),
        "maximum": quantity(c.maximum, label),
        "capped": c.capped,
        "increment": quantity(c.increment, label),
        "given": quantity(c.given, label),
        "deviation_percent": number(c.deviation_percent),
        "pharmacist_review": c.pharmacist_review,
        "rounding_rule": c.rounding_rule,
    }


def _preparation(p: Preparation | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "text": p.text,
        "concentration": quantity(p.concentration),
        "drug_volume": quantity(p.drug_volume),
        "diluent": p.diluent,
        "final_volume": quantity(p.final_volume),
        "rate": quantity(p.rate),
        "infuse_over": quantity(p.infuse_over),
    }


def pharmacy(dp: DosePreparation | None, prepared_at: dt.datetime | None) -> dict[str, Any] | None:
    """The engine's dose preparation (`orderset.preparation`) as JSON; beyond-use times as
    dates only when the order set carries a preparation time."""
    if dp is None:
        return None
    until = dict(beyond_use_at(dp, prepared_at)) if prepared_at is not None else {}
    return {
        "product_key": dp.product_key,
        "product": dp.product,
        "dose": quantity(dp.dose, dp.dose_unit),
        "route": dp.route,
        "containers": [
            {
                "container": d.description,
                "count": d.count,
                # In the dose's unit and label: a fosphenytoin vial holds "500 mg PE", never a
                # bare "500 mg" (the label's per-mL, not per-vial, dosing-error warning).
                "content": quantity(
                    units.exact(d.content).to(units.drug_unit(dp.dose_unit)), dp.dose_unit
                ),
                "volume": quantity(d.volume),
                "withdraw_each": quantity(d.withdraw),
                "amount_each": quantity(d.amount, dp.dose_unit),
                "concentration": (
                    None
                    if d.concentration.units == units.dimensionless
                    else quantity(d.concentration, concentration_label(dp.dose_unit))
                ),
                "reconstitute_with": d.reconstitute_with or None,
                "reconstitution_volume": quantity(d.reconstitution_volume),
            }
            for d in dp.draws
        ],
        "container_count": dp.containers,
        "waste": quantity(dp.waste, dp.dose_unit),
        "drug_volume": quantity(dp.drug_volume),
        "diluent": dp.diluent,
        "diluent_volume": quantity(dp.diluent_volume),
        "final_volume": quantity(dp.final_volume),
        "final_concentration": quantity(dp.final_concentration),
        "infuse_over": quantity(dp.infuse_over),
        "rate_calculated": quantity(dp.rate_calculated),
        "rate": quantity(dp.rate),
        "rate_deviation_percent": (
            number(dp.rate_deviation_percent) if dp.rate_deviation_percent is not None else None
        ),
        "titrated": dp.titrated,
        "fluid_per_day": quantity(dp.fluid_per_day),
        "fluid_per_kg_per_day": quantity(dp.fluid_per_kg_per_day),
        "prepared_at": prepared_at.isoformat() if prepared_at is not None else None,
        "beyond_use": [
            {
                "condition": b.condition,
                "hours": number(b.hours),
                "until": until[b.condition].isoformat() if b.condition in until else None,
            }
            for b in dp.beyond_use
        ],
        "protect_from_light": dp.protect_from_light,
        "filter": dp.filter,
        "handling": list(dp.handling),
        "double_check": dp.double_check,
        "steps": list(dp.steps),
        "pharmacist_review": list(dp.review),
        "sources": list(dp.sources),
    }


def _titration(step: TitrationStep) -> dict[str, Any]:
    return {
        "dose_rate": quantity(step.dose_rate),
        "pump_rate": quantity(step.pump_rate),
        "after": step.after,
    }


def _with_pharmacy(
    plugin: dict[str, Any] | None, computed: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The order's `preparation`: the rule's own fields, then `pharmacy`, the engine's."""
    if computed is None:
        return plugin if plugin is None else {**plugin, "pharmacy": None}
    empty = {k: None for k in ("concentration", "drug_volume", "diluent", "final_volume")}
    base = plugin or {"text": "", **empty, "rate": None, "infuse_over": None}
    return {**base, "pharmacy": computed}


def _order(o: Order, prepared_at: dt.datetime | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": o.id,
        "rule_id": o.rule_id,
        "plugin": o.plugin,
        "plugin_version": o.plugin_version,
        "kind": o.kind,
        "section": o.section.value,
        "selected": o.selected,
        "selected_by": o.selected_by,
        "text": o.text,
        "evidence": {"grade": o.evidence.grade, "sources": list(o.evidence.sources)},
    }
    if o.kind == "medication":
        doc.update(
            {
                "drug": o.drug,
                "dose": quantity(o.dose, o.dose_unit),
                "dose_text": format_quantity(o.dose, o.dose_unit) if o.dose is not None else None,
                "calculated_dose": quantity(
                    o.calculation.calculated if o.calculation else None, o.dose_unit
                ),
                "daily_dose": quantity(o.daily_dose, o.dose_unit),
                "daily_maximum": quantity(o.daily_maximum, o.dose_unit),
                "route": o.route,
                "frequency": o.frequency,
                "prn": o.prn,
                "duration": o.duration,
                "dosage_form": o.dosage_form,
                "calculation": _calculation(o.calculation, o.dose_unit),
                "preparation": _with_pharmacy(
                    _preparation(o.preparation), pharmacy(o.dose_preparation, prepared_at)
                ),
                "titration": [_titration(s) for s in o.titration],
                "instructions": o.instructions,
                "strength": o.strength,
                "dose_detail": o.dose_detail,
            }
        )
    if o.depends_on is not None:
        doc["depends_on"] = o.depends_on
    if o.start_within_hours is not None:
        doc["start_within_hours"] = number(o.start_within_hours, 2)
    doc["notes"] = list(o.notes)
    return doc


def _alert(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "severity": a.severity,
        "text": a.text,
        "rule_id": a.rule_id,
        "order_id": a.order_id,
        "plugin": a.plugin,
    }


def _severity(s: Severity | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "rule_id": s.rule_id,
        "score": s.score,
        "band": s.band,
        "items": [{"item": i.name, "points": i.points, "present": i.present} for i in s.items],
        "missing": list(s.missing),
    }


def _renal(r: RenalFunction | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "method": r.method,
        "value": number(r.value),
        "unit": r.unit,
        "formula": r.formula,
        "inputs": r.inputs,
        "reduced": r.reduced,
        "note": r.note,
        "text": r.text,
    }


def _patient(case: Case) -> dict[str, Any]:
    p = case.patient
    return {
        "mrn": p.mrn,
        "family_name": p.family_name,
        "given_name": p.given_name,
        "birth_date": p.birth_date.isoformat(),
        "sex": p.sex,
        "age_years": case.age.years,
        "age_months": case.age.months,
        "age_text": case.age.text,
        "weight_kg": number(case.weight_kg),
        "weight_entered": {
            "value": number(p.weight.magnitude),
            "unit": _entered_unit(p.weight),
        },
        "weight_measured_at": p.weight_measured_at.isoformat(),
        "height_cm": number(p.height.to(units.cm).magnitude, 1) if p.height is not None else None,
        "allergies": None
        if p.allergies is None
        else [{"substance": a.substance, "reaction": a.reaction} for a in p.allergies],
        "serum_creatinine_mg_dl": number(creatinine_mg_dl(p.serum_creatinine))
        if p.serum_creatinine is not None
        else None,
        "hematocrit_percent": number(p.hematocrit.to(units.percent).magnitude, 1)
        if p.hematocrit is not None
        else None,
        "dialysis": p.dialysis,
    }


def _encounter(case: Case) -> dict[str, Any]:
    """The encounter as given: the HL7 interface's visit, provider and location parts too, so a
    site that keeps the JSON keeps what the messages said."""
    e = case.encounter
    provider = e.ordering_provider
    return {
        "location": e.location,
        "attending": e.attending,
        "visit_number": e.visit_number,
        "ordering_provider": None if provider is None else attrs.asdict(provider),
        "location_parts": None if e.place is None else attrs.asdict(e.place),
    }


def _entered_unit(q: pint.Quantity) -> str:
    return units.WEIGHT_LABELS.get(q.units, str(q.units))


def _clinical(case: Case) -> dict[str, Any]:
    c = case.clinical
    return {
        "neuro_onset": c.neuro_onset.isoformat(),
        "influenza": c.influenza,
        "shock": c.shock,
        "brainstem_lesion": c.brainstem_lesion,
        "platelets_10e9_per_l": number(c.platelets.to(units.giga_per_L).magnitude, 1)
        if c.platelets is not None
        else None,
        "csf_protein_mg_dl": number(c.csf_protein.to(units.mg_per_dL).magnitude, 1)
        if c.csf_protein is not None
        else None,
        "hemorrhagic_lesions": c.hemorrhagic_lesions,
        "rapid_deterioration": c.rapid_deterioration,
        "response": c.response,
        "enteral_route_available": c.enteral_route_available,
    }


def _governance(g: Governance) -> dict[str, Any]:
    return {
        "approved_by": g.approved_by,
        "approved_on": g.approved_on.isoformat() if g.approved_on else None,
        "review_due": g.review_due.isoformat() if g.review_due else None,
        "review_overdue": g.review_overdue,
        "text": g.text,
    }


def _timing(t: Timing | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {
        "window_hours": number(t.window_hours, 2) if t.window_hours is not None else None,
        "within_window": t.within_window,
        "text": t.text,
    }


def to_json_dict(order_set: OrderSet, prepared_at: dt.datetime | None = None) -> dict[str, Any]:
    """The JSON document as plain Python data (dicts, lists, str, int, float, bool, None)."""
    case = order_set.case
    prepared = prepared_at
    if prepared is not None:
        prepared = local_time(prepared, order_set.settings)
    return {
        "schema": SCHEMA,
        "orderset_version": __version__,
        "rules_version": RULES_VERSION,
        "profile": {"name": order_set.profile_name, "institution": order_set.institution},
        "governance": _governance(order_set.governance),
        "assessed_at": case.assessed_at.isoformat(),
        "hours_since_onset": number(case.hours_since_onset, 2),
        "hours_since_onset_text": hours_text(case.assessed_at - case.clinical.neuro_onset),
        "timing": _timing(order_set.timing),
        "patient": _patient(case),
        "encounter": _encounter(case),
        "clinical": _clinical(case),
        "severity": _severity(order_set.severity),
        "renal": _renal(order_set.renal),
        "alerts": [_alert(a) for a in order_set.alerts],
        "orders": [_order(o, prepared) for o in order_set.orders],
        "plugins": [
            {"name": p.name, "version": p.version, "source": p.source} for p in order_set.plugins
        ],
    }


def to_json(order_set: OrderSet, prepared_at: dt.datetime | None = None) -> str:
    """The JSON document as text, ending with a newline. `prepared_at`: when the doses are
    prepared, so each `preparation.pharmacy.beyond_use` gets its `until` time (else null)."""
    return json.dumps(to_json_dict(order_set, prepared_at), indent=2, ensure_ascii=False) + "\n"


def render(order_set: OrderSet, *, prepared_at: dt.datetime | None = None) -> bytes:
    return to_json(order_set, prepared_at).encode("utf-8")
