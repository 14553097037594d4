"""Corrections: what to send when an order set replaces one sent before.

The previous order set is its JSON output (`orderset build --format json`), which a site keeps
with what it sent. Its placer order numbers are recomputed from it exactly as they were made
(`hl7.number_for`: the assessment's group number and the order's content), so nothing else has
to be stored. Per order id:

- selected now, not before: NW with its number;
- selected in both, same content: nothing is sent;
- selected in both, different content (a dose from a corrected weight): XO with the new
  content's new number in ORC-2 and the number it replaces in ORC-8 (and an NTE);
- selected before, not now: CA or DC (`[hl7] removed_order_control`) with the old number,
  rebuilt from the previous JSON (drug, dose, route, timing, text).
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from orderset import units
from orderset.model import Evidence, Grade, Order, OrderKind, OrderSet, Section
from orderset.renderers.hl7 import (
    UCUM_DRUG_UNITS,
    Action,
    group_number_for,
    number_for,
)
from orderset.renderers.hl7_encoding import HL7Error
from orderset.vocab import FREQUENCIES, ROUTES

FIELD = "replaces"
_KINDS = typing.get_args(OrderKind)
_GRADES = typing.get_args(Grade)


def _text(value: Any, field: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise HL7Error(f"{FIELD}.{field}", "is missing or not text (is it an orderset JSON file?)")
    return value


def previous_orders(previous: Mapping[str, Any]) -> tuple[str, str, list[Mapping[str, Any]]]:
    """(MRN, assessed_at, selected orders) of a previous JSON order set, checked."""
    if not isinstance(previous, Mapping) or not isinstance(previous.get("patient"), Mapping):
        raise HL7Error(FIELD, "is not an orderset JSON order set (no patient)")
    mrn = _text(previous["patient"].get("mrn"), "patient.mrn")
    assessed = _text(previous.get("assessed_at"), "assessed_at")
    orders = previous.get("orders")
    if not isinstance(orders, list) or not all(isinstance(o, Mapping) for o in orders):
        raise HL7Error(f"{FIELD}.orders", "is not a list of orders")
    for i, order in enumerate(orders):
        _text(order.get("id"), f"orders[{i}].id")
    return mrn, assessed, [o for o in orders if o.get("selected") is True]


def changes(
    order_set: OrderSet, numbers: Mapping[str, str], previous: Mapping[str, Any], removed: str
) -> list[Action]:
    """The actions that turn what was sent for `previous` into this order set (`numbers`: the
    current placer order numbers by order id)."""
    mrn, assessed, before = previous_orders(previous)
    if mrn != order_set.case.patient.mrn:
        raise HL7Error(
            f"{FIELD}.patient.mrn",
            f"{mrn!r} is another patient than this case's {order_set.case.patient.mrn!r}",
        )
    group = group_number_for(mrn, assessed)
    old = {str(o["id"]): (number_for(group, o), o) for o in before}
    actions: list[Action] = []
    now = [o for o in order_set.orders if o.selected]
    for order in now:
        number = numbers[order.id]
        if order.id not in old:
            actions.append(Action("NW", order, number))
        elif old[order.id][0] != number:
            actions.append(Action("XO", order, number, replaces=old[order.id][0]))
    current = {o.id for o in now}
    for i, (order_id, (number, doc)) in enumerate(old.items()):
        if order_id not in current:
            actions.append(Action(removed, order_from_json(doc, i), number))
    return actions


def order_from_json(doc: Mapping[str, Any], index: int) -> Order:
    """The parts of a previous order that a cancel message repeats (RXO, RXR, TQ1, OBR)."""
    where = f"orders[{index}]"
    kind = doc.get("kind")
    if kind not in _KINDS:
        raise HL7Error(f"{FIELD}.{where}.kind", f"{kind!r} is not an order kind")
    route = _text(doc.get("route"), f"{where}.route", optional=kind != "medication")
    if route is not None and route not in ROUTES:
        raise HL7Error(f"{FIELD}.{where}.route", f"{route!r} is not a known route")
    frequency = _text(doc.get("frequency"), f"{where}.frequency", optional=True)
    if frequency is not None and frequency not in FREQUENCIES:
        raise HL7Error(f"{FIELD}.{where}.frequency", f"{frequency!r} is not a known frequency")
    dose, unit = None, None
    if isinstance(doc.get("dose"), Mapping):
        unit = doc["dose"].get("unit")
        value = doc["dose"].get("value")
        if (
            unit not in UCUM_DRUG_UNITS
            or isinstance(value, bool)
            or not isinstance(value, int | float)
        ):
            raise HL7Error(f"{FIELD}.{where}.dose", "is not a dose in a known unit")
        dose = units.Quantity(Decimal(str(value)), units.drug_unit(unit))
    evidence = doc.get("evidence")
    grade = evidence.get("grade") if isinstance(evidence, Mapping) else None
    if grade not in _GRADES:
        raise HL7Error(f"{FIELD}.{where}.evidence.grade", f"{grade!r} is not an evidence grade")
    try:
        section = Section(str(doc.get("section")))
    except ValueError:
        raise HL7Error(f"{FIELD}.{where}.section", "is not a known section") from None
    return Order(
        id=str(doc["id"]),
        rule_id=_text(doc.get("rule_id"), f"{where}.rule_id"),
        kind=typing.cast(OrderKind, kind),
        section=section,
        selected=True,
        text=_text(doc.get("text"), f"{where}.text"),
        evidence=Evidence(typing.cast(Grade, grade)),
        drug=_text(doc.get("drug"), f"{where}.drug", optional=True),
        dose=dose,
        dose_unit=unit,
        route=route,
        frequency=frequency,
        prn=_text(doc.get("prn"), f"{where}.prn", optional=True),
        duration=_text(doc.get("duration"), f"{where}.duration", optional=True),
        notes=("Removed from the order set by a correction.",),
    )
