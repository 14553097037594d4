"""Helpers for testing plugins, for this project and for plugin authors.

    from orderset.testing import build, case_data, fresh_host

    def test_my_rule():
        order_set = build(case_data(weight="15 kg"), plugins=[("mysite", my_plugin_module)])
        ...

`fresh_host` never scans entry points, so plugins installed on a developer's machine cannot
leak into a test.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from orderset.engine import build_order_set
from orderset.loader import case_from_dict
from orderset.model import Order, OrderSet
from orderset.plugin.host import PluginHost, make_host

#: A complete, valid case: a 3-year-old, 14.2 kg, influenza positive, 10 hours after onset.
BASE_CASE: dict[str, Any] = {
    "assessed_at": "2026-11-22T06:00:00-05:00",
    "patient": {
        "mrn": "T0000001",
        "family_name": "Test",
        "given_name": "Patient",
        "birth_date": "2023-03-04",
        "sex": "female",
        "weight": "14.2 kg",
        "weight_measured_at": "2026-11-22",
        "height": "96 cm",
        "allergies": [],
        "serum_creatinine": "0.3 mg/dL",
        "hematocrit": "35 %",
        "dialysis": "none",
    },
    "encounter": {"location": "PICU bed 1", "attending": "A. Smith"},
    "clinical": {
        "neuro_onset": "2026-11-21T20:00:00-05:00",
        "influenza": "positive",
        "shock": False,
        "brainstem_lesion": False,
        "platelets": "150 x10^9/L",
        "csf_protein": "40 mg/dL",
        "hemorrhagic_lesions": False,
        "rapid_deterioration": False,
        "response": "initial",
        "enteral_route_available": True,
    },
}

_PATIENT_KEYS = set(BASE_CASE["patient"]) | {
    "height",
    "serum_creatinine",
    "hematocrit",
    "gestational_age_at_birth",
}
_CLINICAL_KEYS = set(BASE_CASE["clinical"]) | {"methylprednisolone_days_given"}
_DROP = object()


def case_data(base: Mapping[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    """A copy of `base` (default BASE_CASE) with fields changed by name.

    Patient and clinical keys are found by name (`weight="15 kg"`, `shock=True`); pass
    `age_months=N` to set the birth date N months before the assessment date; pass `None`
    for an optional field to remove it (`platelets=None`).
    """
    data = copy.deepcopy(dict(base or BASE_CASE))
    assessed = dt.datetime.fromisoformat(data["assessed_at"]).date()
    for key, value in changes.items():
        if key == "age_months":
            data["patient"]["birth_date"] = _months_before(assessed, value).isoformat()
            continue
        if key in ("assessed_at",):
            target = data
        elif key in _PATIENT_KEYS:
            target = data["patient"]
        elif key in _CLINICAL_KEYS:
            target = data["clinical"]
        elif key in ("location", "attending"):
            target = data.setdefault("encounter", {})
        else:
            raise KeyError(f"case_data: unknown field {key!r}")
        if value is None and key in (
            "height",
            "serum_creatinine",
            "hematocrit",
            "platelets",
            "csf_protein",
            "gestational_age_at_birth",
            "methylprednisolone_days_given",
        ):
            target.pop(key, None)
        else:
            target[key] = value
    return data


def _months_before(day: dt.date, months: int) -> dt.date:
    from orderset.severity import add_months

    return add_months(day, -months)


def fresh_host(
    plugins: Iterable[tuple[str, object]] = (),
    *,
    builtins: bool = True,
    disable: Iterable[str] = (),
) -> PluginHost:
    """A host with the built-ins (unless `builtins=False`) and `plugins`; no entry points."""
    return make_host(builtins=builtins, entry_points=False, extra=plugins, disable=tuple(disable))


def build(
    data: Mapping[str, Any],
    *,
    profile: Mapping[str, Any] | None = None,
    plugins: Iterable[tuple[str, object]] = (),
    builtins: bool = True,
    disable: Iterable[str] = (),
) -> OrderSet:
    """Validate `data` as a case and build its order set with a fresh host."""
    host = fresh_host(plugins, builtins=builtins, disable=disable)
    return build_order_set(case_from_dict(dict(data)), profile=profile, host=host)


def order(order_set: OrderSet, order_id: str) -> Order:
    """The order with this id; a missing id fails with the ids that are there."""
    for o in order_set.orders:
        if o.id == order_id:
            return o
    raise AssertionError(f"no order {order_id!r}; have {[o.id for o in order_set.orders]}")


def has_order(order_set: OrderSet, order_id: str) -> bool:
    return any(o.id == order_id for o in order_set.orders)
