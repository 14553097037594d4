"""HL7 v2.5.1 output: one OMP^O09 for the selected medication orders, one OMG^O19 for the
other selected orders, wrapped in an FHS/BHS ... BTS/FTS batch file.

Values are encoded by `orderset.renderers.hl7_encoding` (every leaf escaped); the batch file is
framed for sending by `orderset.renderers.mllp`. hl7apy is used by the tests as the strict
reader of what is built here.

Nothing here reads the clock or computes a dose: times come from `assessed_at`, amounts from
`Order.dose`, and message and order ids are hashes of MRN, `assessed_at` and the order id, so
the same case at the same time gives byte-identical HL7.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from attrs import frozen

from orderset import units
from orderset._version import __version__
from orderset.errors import PluginError
from orderset.formatting import format_quantity
from orderset.model import Alert, Case, Order, OrderSet
from orderset.renderers.hl7_encoding import (
    IS_MAX,
    ST_MAX,
    VERSION,
    Value,
    escape,
    fits,
    header,
    hl7_date,
    hl7_datetime,
    hl7_number,
    segment,
)
from orderset.rules import RULES_VERSION
from orderset.vocab import FREQUENCIES, ROUTES

#: Drug-unit labels (orderset.units.DRUG_UNITS) as (UCUM code, display text). "mg PE" has no
#: UCUM unit: the amount is sent in mg and the text and an NTE say phenytoin equivalents.
UCUM_DRUG_UNITS: dict[str, tuple[str, str]] = {
    "mg": ("mg", "mg"),
    "g": ("g", "g"),
    "mcg": ("ug", "mcg"),
    "mL": ("mL", "mL"),
    "mg PE": ("mg", "mg PE"),
}
PHENYTOIN_EQUIVALENTS = "mg PE"

SEX_CODES = {"female": "F", "male": "M", "other": "O", "unknown": "U"}  # HL7 table 0001
#: OBR-24 diagnostic service section (HL7 table 0074) by order kind.
SERVICE_SECTIONS = {"lab": "LAB", "imaging": "RAD", "nursing": "NRS"}
#: LOINC codes for the observations sent with every medication order.
LOINC_WEIGHT = ("29463-7", "Body weight", "LN")
LOINC_HEIGHT = ("8302-2", "Body height", "LN")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(hours?|days?|weeks?)\s*$", re.IGNORECASE)
_DURATION_UCUM = {"hour": ("h", "hour"), "day": ("d", "day"), "week": ("wk", "week")}


def _digest(*parts: str, length: int) -> str:
    text = "\x1f".join(parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length].upper()


def set_key(case: Case) -> tuple[str, str]:
    return case.patient.mrn, case.assessed_at.isoformat()


def placer_group_number(case: Case) -> str:
    """ORC-4: one id shared by every order of this set (same case and time: same id)."""
    return "G" + _digest(*set_key(case), "group", length=15)


def placer_order_number(case: Case, order_id: str) -> str:
    """ORC-2: unique per order, stable for the same case, time and order id (16 characters,
    within the 22 that v2.5.1 allows for ORC-2)."""
    return _digest(*set_key(case), "order", order_id, length=16)


def message_control_id(case: Case, structure: str) -> str:
    """MSH-10: unique per message and stable, so a receiver can recognise a resent message."""
    return _digest(*set_key(case), "message", structure, length=20)


def _dose_parts(order: Order) -> tuple[str | None, tuple[str, str, str] | None]:
    """RXO-2 and RXO-4 from `Order.dose` only, in the order's own unit label."""
    if order.dose is None or order.dose_unit is None:
        return None, None
    code, text = UCUM_DRUG_UNITS[order.dose_unit]
    magnitude = order.dose.to(units.drug_unit(order.dose_unit)).magnitude
    return hl7_number(magnitude), (code, text, "UCUM")


# ---- segments -------------------------------------------------------------------------------


@frozen
class Endpoints:
    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str

    @classmethod
    def from_order_set(cls, order_set: OrderSet) -> Endpoints:
        settings = order_set.settings
        if settings is None:
            return cls("ORDERSET", "", "PHARMACY", "")
        values = [fits(settings.get("hl7", k), IS_MAX, f"hl7.{k}") or "" for k in _ENDPOINT_KEYS]
        return cls(*values)

    def fields(self) -> tuple[Value, Value, Value, Value]:
        return (
            (self.sending_application,),
            (self.sending_facility,),
            (self.receiving_application,),
            (self.receiving_facility,),
        )


_ENDPOINT_KEYS = (
    "sending_application",
    "sending_facility",
    "receiving_application",
    "receiving_facility",
)


def _msh(ends: Endpoints, case: Case, code: str, trigger: str, structure: str) -> str:
    return header(
        "MSH",
        *ends.fields(),
        hl7_datetime(case.assessed_at),  # MSH-7
        None,
        (code, trigger, structure),  # MSH-9
        message_control_id(case, structure),  # MSH-10
        ("P",),  # MSH-11 processing id: production
        (VERSION,),  # MSH-12
        None,
        None,
        None,
        None,
        None,
        "UNICODE UTF-8",  # MSH-18: the batch is written as UTF-8
    )


def _message_notes(order_set: OrderSet, alerts: Iterable[Alert]) -> list[str]:
    """The order set's identity and approval, then the alerts that concern the whole set (no
    order id, or an order that is not sent), in message-level NTEs."""
    texts = [_identity_text(order_set), *(_alert_text(a) for a in alerts)]
    return [segment("NTE", str(i), "P", t) for i, t in enumerate(texts, 1)]


def _identity_text(order_set: OrderSet) -> str:
    return (
        f"Order set: orderset {__version__}, rules {RULES_VERSION}, profile"
        f" {order_set.profile_name}; {order_set.governance.text}"
    )


def _alert_text(alert: Alert) -> str:
    rule = f" ({alert.rule_id})" if alert.rule_id and alert.rule_id not in alert.text else ""
    return f"Alert, {alert.severity}: {alert.text}{rule}"


def _patient(ends: Endpoints, case: Case) -> list[str]:
    p = case.patient
    mrn = fits(p.mrn, ST_MAX, "patient.mrn")
    family = fits(p.family_name, ST_MAX, "patient.family_name")
    given = fits(p.given_name, ST_MAX, "patient.given_name")
    segments = [
        segment(
            "PID",
            "1",
            None,
            (mrn, None, None, (ends.sending_facility,), "MR"),  # PID-3
            None,
            (family, given, None, None, None, None, "L"),  # PID-5
            None,
            hl7_date(p.birth_date),  # PID-7
            SEX_CODES[p.sex],  # PID-8
        )
    ]
    if p.allergies is None:
        segments.append(segment("NTE", "1", "P", "Allergies: not recorded."))
    elif not p.allergies:
        segments.append(segment("NTE", "1", "P", "Allergies: no known allergies."))
    location = fits(case.encounter.location, ST_MAX, "encounter.location")
    segments.append(
        segment(
            "PV1",
            "1",
            "I",  # PV1-2 patient class: inpatient (an admission order set)
            (None, None, None, None, None, None, None, None, location) if location else None,
        )
    )
    for i, allergy in enumerate(p.allergies or (), 1):
        fits(allergy.substance, ST_MAX, f"patient.allergies[{i - 1}].substance")
        fits(allergy.reaction, ST_MAX, f"patient.allergies[{i - 1}].reaction")
        segments.append(
            segment(
                "AL1",
                str(i),
                None,
                (None, allergy.substance),  # AL1-3: free text, no coded allergen
                None,
                [allergy.reaction] if allergy.reaction else None,  # AL1-5
            )
        )
    return segments


def _orc(case: Case, order: Order) -> str:
    return segment(
        "ORC",
        "NW",  # ORC-1 new order
        (placer_order_number(case, order.id),),  # ORC-2
        None,
        (placer_group_number(case),),  # ORC-4
        None,
        None,
        None,
        None,
        hl7_datetime(case.assessed_at),  # ORC-9
    )


def _tq1(case: Case, order: Order) -> str:
    frequency = FREQUENCIES[order.frequency] if order.frequency else None
    as_needed = order.prn is not None or (frequency is not None and frequency.hl7 == "PRN")
    repeat = ((frequency.hl7, order.frequency, "HL70335"),) if frequency else None
    service_duration = None
    if order.duration:
        match = _DURATION.match(order.duration)
        if match:
            unit = match.group(2).lower().rstrip("s")
            service_duration = (match.group(1), _DURATION_UCUM[unit] + ("UCUM",))
    instruction = ", ".join(t for t in (order.frequency, order.duration) if t) or None
    # A frequency tied to an event (table 0335 has no code: "after every hemodialysis session")
    # starts at the event, not now: routine priority and no start time.
    event = frequency is not None and not frequency.hl7 and not as_needed
    if as_needed:
        priority = ("PRN", "As needed", "HL70485")
    elif event:
        priority = ("R", "Routine", "HL70485")
    else:
        priority = ("A", "ASAP", "HL70485")
    return segment(
        "TQ1",
        "1",
        None,
        [repeat] if repeat else None,  # TQ1-3 repeat pattern (table 0335 code, the text)
        None,
        None,
        service_duration,  # TQ1-6
        None if event else hl7_datetime(case.assessed_at),  # TQ1-7 start
        None,
        priority,  # TQ1-9
        order.prn,  # TQ1-10 condition text
        instruction,  # TQ1-11 text instruction
    )


def _order_notes(order: Order, alerts: Sequence[Alert]) -> list[str]:
    texts = [f"Order: {order.text}"]
    if order.selected_by == "clinician":
        texts.append("Selected by the clinician (not pre-selected by rule or profile).")
    if order.dose_unit == PHENYTOIN_EQUIVALENTS:
        texts.append(
            "Dose is in phenytoin equivalents (mg PE); RXO-4 carries the UCUM unit mg because"
            " UCUM has no unit for phenytoin equivalents."
        )
    if order.calculation is not None:
        texts.append(f"Calculation: {order.calculation.text}")
    if order.preparation is not None and order.preparation.text:
        texts.append(f"Preparation: {order.preparation.text}")
    texts.extend(
        f"Titration: {format_quantity(s.dose_rate)} = {format_quantity(s.pump_rate)}, {s.after}"
        for s in order.titration
    )
    if order.prn:
        texts.append(f"As needed: {order.prn}")
    texts.extend(f"Note: {n}" for n in order.notes)
    texts.append(f"Evidence grade: {order.evidence.grade} (rule {order.rule_id})")
    texts.extend(_alert_text(a) for a in alerts)
    return [segment("NTE", str(i), "P", t) for i, t in enumerate(texts, 1)]


def _rxo(order: Order) -> str:
    for name in ("drug", "product_code", "dosage_form"):
        _pluginfits(order, name, getattr(order, name))
    amount, unit = _dose_parts(order)
    rate = order.preparation.rate if order.preparation is not None else None
    daily = None
    if order.daily_dose is not None and order.dose_unit is not None:
        code, text = UCUM_DRUG_UNITS[order.dose_unit]
        magnitude = order.daily_dose.to(units.drug_unit(order.dose_unit)).magnitude
        daily = (hl7_number(magnitude), (code, text, "UCUM"))
    fields: list[Value] = [None] * 23
    fields[0] = (order.product_code, order.drug, "L" if order.product_code else None)  # RXO-1
    fields[1] = amount  # RXO-2 requested give amount
    fields[3] = unit  # RXO-4 requested give units (UCUM)
    fields[4] = (None, order.dosage_form) if order.dosage_form else None  # RXO-5
    if order.calculation is not None and order.calculation.pharmacist_review:
        fields[15] = "Y"  # RXO-16 needs human review: the dose could not be rounded (ROUND-1)
    if rate is not None:
        fields[20] = hl7_number(rate.to(units.mL_per_h).magnitude)  # RXO-21
        fields[21] = ("mL/h", "mL/h", "UCUM")  # RXO-22
    fields[22] = daily  # RXO-23 total daily dose
    return segment("RXO", *fields)


def _pluginfits(order: Order, name: str, value: str | None) -> None:
    """Text a plugin chose (drug, product code, order id) that HL7 cannot carry is its bug."""
    if value is not None and len(escape(value)) > ST_MAX:
        raise PluginError(order.plugin, f"order {order.id}: {name} is too long for HL7")


#: Routes that leave the choice to the nurse: one RXR per route the order allows (RXR repeats
#: in OMP^O09), so an intubated child's enteral dose is not blocked as "oral only".
ROUTE_CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "enteral (PO or NG)": (("PO", "Oral"), ("NG", "Nasogastric")),
}


def _rxr(order: Order) -> list[str]:
    if order.route is None:
        raise PluginError(order.plugin, f"order {order.id}: a medication needs a route (RXR)")
    route = ROUTES[order.route]
    choices = ROUTE_CHOICES.get(order.route, ((route.hl7, route.hl7_text),))
    return [segment("RXR", (code, text, "HL70162")) for code, text in choices]


def _observations(case: Case) -> list[str]:
    p = case.patient
    segments = [
        segment(
            "OBX",
            "1",
            "NM",
            LOINC_WEIGHT,
            None,
            hl7_number(case.weight_kg),
            ("kg", "kg", "UCUM"),
            None,
            None,
            None,
            None,
            "F",
            None,
            None,
            hl7_date(p.weight_measured_at),  # OBX-14
        )
    ]
    if p.height is not None:
        segments.append(
            segment(
                "OBX",
                "2",
                "NM",
                LOINC_HEIGHT,
                None,
                hl7_number(p.height.to(units.cm).magnitude),
                ("cm", "cm", "UCUM"),
                None,
                None,
                None,
                None,
                "F",
            )
        )
    return segments


def _obr(case: Case, order: Order, set_id: int) -> str:
    _pluginfits(order, "id", order.id)
    fields: list[Value] = [None] * 24
    fields[0] = str(set_id)
    fields[1] = (placer_order_number(case, order.id),)  # OBR-2 = ORC-2
    fields[3] = (order.id, _short(order.text), "L")  # OBR-4 universal service id
    fields[23] = SERVICE_SECTIONS.get(order.kind)  # OBR-24
    return segment("OBR", *fields)


def _short(text: str, limit: int = 199) -> str:
    """CE text is at most 199 characters; the full line is always in an NTE too."""
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


# ---- messages -------------------------------------------------------------------------------


@frozen
class HL7Message:
    """One HL7 message: its structure (OMP_O09, OMG_O19), MSH-10, the order ids it carries,
    and its ER7 text with segments ending in carriage returns."""

    structure: str
    control_id: str
    order_ids: tuple[str, ...]
    text: str

    def encode(self) -> bytes:
        return self.text.encode("utf-8")


def _alerts_by_order(order_set: OrderSet) -> tuple[dict[str, list[Alert]], list[Alert]]:
    """Alerts on a sent (selected) order go with it; every other alert (for the whole set, or
    on an order that is only offered or was removed for an allergy) goes after MSH in every
    message, so each alert on the sheet is also in HL7."""
    sent = {o.id for o in order_set.orders if o.selected}
    by_order: dict[str, list[Alert]] = {}
    general: list[Alert] = []
    for alert in order_set.alerts:
        if alert.order_id in sent:
            by_order.setdefault(alert.order_id, []).append(alert)
        else:
            general.append(alert)
    return by_order, general


def _message(
    order_set: OrderSet, structure: str, orders: Sequence[Order], groups: list[str]
) -> HL7Message:
    case = order_set.case
    ends = Endpoints.from_order_set(order_set)
    code, trigger = structure.split("_")
    _, general = _alerts_by_order(order_set)
    text = "".join(
        [
            _msh(ends, case, code, trigger, structure),
            *_message_notes(order_set, general),
            *_patient(ends, case),
            *groups,
        ]
    )
    return HL7Message(
        structure=structure,
        control_id=message_control_id(case, structure),
        order_ids=tuple(o.id for o in orders),
        text=text,
    )


def pharmacy_message(order_set: OrderSet) -> HL7Message | None:
    """OMP^O09 with one ORC/TQ1/RXO/NTE/RXR/OBX group per selected medication order."""
    orders = [o for o in order_set.orders if o.selected and o.kind == "medication"]
    if not orders:
        return None
    case = order_set.case
    by_order, _ = _alerts_by_order(order_set)
    groups = []
    for order in orders:
        groups += [
            _orc(case, order),
            _tq1(case, order),
            _rxo(order),
            *_order_notes(order, by_order.get(order.id, [])),
            *_rxr(order),
            *_observations(case),
        ]
    return _message(order_set, "OMP_O09", orders, groups)


def general_message(order_set: OrderSet) -> HL7Message | None:
    """OMG^O19 with one ORC/TQ1/OBR/NTE group per selected non-medication order."""
    orders = [o for o in order_set.orders if o.selected and o.kind != "medication"]
    if not orders:
        return None
    case = order_set.case
    by_order, _ = _alerts_by_order(order_set)
    groups = []
    for i, order in enumerate(orders, 1):
        groups += [
            _orc(case, order),
            _tq1(case, order),
            _obr(case, order, i),
            *_order_notes(order, by_order.get(order.id, [])),
        ]
    return _message(order_set, "OMG_O19", orders, groups)


def build_messages(order_set: OrderSet) -> tuple[HL7Message, ...]:
    """The messages for the selected orders, medication first; none for an empty selection."""
    messages = tuple(m for m in (pharmacy_message(order_set), general_message(order_set)) if m)
    _check_unique_ids(order_set)
    return messages


def _check_unique_ids(order_set: OrderSet) -> None:
    """A 64-bit hash collision between two orders is improbable; refuse it rather than send it."""
    seen: dict[str, str] = {}
    for order in order_set.orders:
        number = placer_order_number(order_set.case, order.id)
        if number in seen:  # pragma: no cover - needs a SHA-256 prefix collision
            raise PluginError(
                order.plugin, f"placer order number collision: {seen[number]} and {order.id}"
            )
        seen[number] = order.id


def batch(order_set: OrderSet, messages: Sequence[HL7Message]) -> str:
    """FHS/BHS, the messages, BTS (message count) and FTS (batch count)."""
    case = order_set.case
    ends = Endpoints.from_order_set(order_set)
    when = hl7_datetime(case.assessed_at)
    file_id = "F" + _digest(*set_key(case), "file", length=19)
    batch_id = "B" + _digest(*set_key(case), "batch", length=19)
    return "".join(
        [
            header("FHS", *ends.fields(), when, None, None, None, file_id),
            header("BHS", *ends.fields(), when, None, None, None, batch_id),
            *(m.text for m in messages),
            segment("BTS", str(len(messages))),
            segment("FTS", "1"),
        ]
    )


def render(order_set: OrderSet) -> bytes:
    """The `--format hl7` file: one batch holding the OMP^O09 and OMG^O19 messages, UTF-8."""
    return batch(order_set, build_messages(order_set)).encode("utf-8")
