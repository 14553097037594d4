"""HL7 v2.5.1 output: one OMP^O09 for the selected medication orders, one OMG^O19 for the
other selected orders, wrapped in an FHS/BHS ... BTS/FTS batch file.

Values are encoded by `orderset.renderers.hl7_encoding` (every leaf escaped); the batch file is
framed for sending by `orderset.renderers.mllp`; `[hl7]` profile settings are read through
`orderset.hl7_settings`; corrections (`replaces=`) are worked out in
`orderset.renderers.hl7_changes`. hl7apy is used by the tests as the strict reader of what is
built here. docs/hl7-conformance.md lists every segment and field sent (a test keeps it true).

Nothing here reads the clock or computes a dose. Ids follow the content, not the time:
- the placer group number (ORC-4) is a hash of MRN and `assessed_at`: one per assessment;
- a placer order number (ORC-2) is a hash of the group and the order's own content (its JSON
  form without plugin bookkeeping), so a changed dose gets a new number and the same order
  the same number;
- MSH-10 is a hash of the message text with its times left out, so the same content gives the
  same MSH-10 whenever it is made, and any change in what it says gives a new one.
Times (MSH-7, ORC-9, TQ1-7, FHS-7) are the `message_time` given, `assessed_at` by default, so
the same input and message time give byte-identical HL7.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from attrs import frozen

from orderset import units
from orderset._version import __version__
from orderset.errors import PluginError
from orderset.formatting import format_quantity
from orderset.hl7_settings import SETTINGS as HL7_SETTINGS
from orderset.hl7_settings import Orderable
from orderset.model import Alert, Allergy, Case, Order, OrderSet, Provider
from orderset.renderers.hl7_charset import transliterate_message
from orderset.renderers.hl7_encoding import (
    IS_MAX,
    ST_MAX,
    VERSION,
    HL7Error,
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

#: Drug units as UCUM: an "mg PE" amount is sent in mg, and the text and an NTE say so.
UCUM_DRUG_UNITS = units.UCUM_DRUG_UNITS
PHENYTOIN_EQUIVALENTS = units.PHENYTOIN_EQUIVALENTS

SEX_CODES = {"female": "F", "male": "M", "other": "O", "unknown": "U"}  # HL7 table 0001
#: OBR-24 diagnostic service section (HL7 table 0074) by order kind.
SERVICE_SECTIONS = {"lab": "LAB", "imaging": "RAD", "nursing": "NRS"}
#: LOINC codes for the observations sent with the medication orders.
LOINC_WEIGHT = ("29463-7", "Body weight", "LN")
LOINC_HEIGHT = ("8302-2", "Body height", "LN")
#: AL1-2 (HL7 table 0127) and AL1-4 (table 0128) from the case's words.
ALLERGEN_TYPES = {
    "drug": ("DA", "Drug allergy"),
    "food": ("FA", "Food allergy"),
    "environmental": ("EA", "Environmental allergy"),
    "animal": ("AA", "Animal allergy"),
    "plant": ("PA", "Plant allergy"),
    "pollen": ("LA", "Pollen allergy"),
    "miscellaneous": ("MA", "Miscellaneous allergy"),
}
ALLERGEN_TYPE_TEXT = {code: text for code, text in ALLERGEN_TYPES.values()}
ALLERGEN_TYPE_TEXT["MC"] = "Miscellaneous contraindication"
SEVERITIES = {"mild": ("MI", "Mild"), "moderate": ("MO", "Moderate"), "severe": ("SV", "Severe")}
UNKNOWN_SEVERITY = ("U", "Unknown")
#: RXC-1 component type (HL7 table 0166).
ADDITIVE, BASE = "A", "B"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(hours?|days?|weeks?)\s*$", re.IGNORECASE)
_DURATION_UCUM = {"hour": ("h", "hour"), "day": ("d", "day"), "week": ("wk", "week")}
#: The JSON order fields that are bookkeeping, not what is ordered: left out of the content
#: hash, so a plugin version bump alone is not a changed order.
_NOT_CONTENT = ("plugin", "plugin_version", "selected", "selected_by", "evidence")
#: The pharmacy's part of `preparation` (issue 13), left out of the content hash too.
_NOT_ORDERED_PREPARATION = ("pharmacy",)


def _digest(*parts: str, length: int) -> str:
    text = "\x1f".join(parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length].upper()


# ---- ids --------------------------------------------------------------------------------------


def group_number_for(mrn: str, assessed_at: str) -> str:
    """ORC-4 from the MRN and `assessed_at` (ISO text, as the JSON output writes it)."""
    return "G" + _digest(mrn, assessed_at, "group", length=15)


def placer_group_number(case: Case) -> str:
    """ORC-4: one id shared by every order of this assessment (stable across corrections of
    the same assessment, new for a new assessment)."""
    return group_number_for(case.patient.mrn, case.assessed_at.isoformat())


def order_content(order_json: Mapping[str, Any]) -> str:
    """The canonical text of one order as the JSON output writes it, without bookkeeping and
    without the pharmacy's preparation (`preparation.pharmacy`: vials, beyond-use times),
    which follows the pharmacy's stock and preparation time, not what the prescriber ordered:
    a restocked formulary or a later `--prepared-at` is not a changed order."""
    kept = {k: v for k, v in order_json.items() if k not in _NOT_CONTENT}
    if isinstance(kept.get("preparation"), Mapping):
        kept["preparation"] = {
            k: v for k, v in kept["preparation"].items() if k not in _NOT_ORDERED_PREPARATION
        }
    return json.dumps(kept, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def number_for(group: str, order_json: Mapping[str, Any]) -> str:
    """ORC-2 from the group number and the order's JSON form (also how a previous JSON order
    set's numbers are recomputed for `replaces=`). 16 characters, within ORC-2's 22."""
    return _digest(group, "order", str(order_json["id"]), order_content(order_json), length=16)


def _order_json(order: Order) -> dict[str, Any]:
    from orderset.renderers.json import _order

    return _order(order)


def placer_order_number(case: Case, order: Order) -> str:
    """ORC-2: unique per order and content; the same order content gives the same number."""
    return number_for(placer_group_number(case), _order_json(order))


def placer_numbers(order_set: OrderSet) -> dict[str, str]:
    """Order id -> placer order number, for every order of the set."""
    return {o.id: placer_order_number(order_set.case, o) for o in order_set.orders}


def _dose_parts(order: Order) -> tuple[str | None, tuple[str, str, str] | None]:
    """RXO-2 and RXO-4 from `Order.dose` only, in the order's own unit label."""
    if order.dose is None or order.dose_unit is None:
        return None, None
    code, text = UCUM_DRUG_UNITS[order.dose_unit]
    magnitude = order.dose.to(units.drug_unit(order.dose_unit)).magnitude
    return hl7_number(magnitude), (code, text, "UCUM")


# ---- the profile's [hl7] table ----------------------------------------------------------------


_DEFAULTS = {s.key: s.default for s in HL7_SETTINGS}


@frozen
class Profile:
    """The `[hl7]` settings this renderer reads, checked for what HL7 can carry."""

    values: Mapping[str, Any]

    @classmethod
    def from_order_set(cls, order_set: OrderSet) -> Profile:
        settings = order_set.settings
        if settings is None:
            return cls(dict(_DEFAULTS))
        return cls({key: settings.get("hl7", key) for key in _DEFAULTS})

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def endpoints(self, structure: str | None) -> tuple[Value, Value, Value, Value]:
        """MSH-3 to MSH-6 (FHS/BHS with `structure` None): per message type where set."""
        app, fac = self["receiving_application"], self["receiving_facility"]
        if structure is not None:
            prefix = structure.split("_")[0].lower()
            app = self[f"{prefix}_receiving_application"] or app
            fac = self[f"{prefix}_receiving_facility"] or fac
        values = {
            "sending_application": self["sending_application"],
            "sending_facility": self["sending_facility"],
            "receiving_application": app,
            "receiving_facility": fac,
        }
        for key, value in values.items():
            fits(value, IS_MAX, f"hl7.{key}")
        return tuple((v,) for v in values.values())  # type: ignore[return-value]

    def ei(self, number: str) -> tuple[str, str | None]:
        """An entity identifier with the placer namespace (EI-2)."""
        return (number, self["placer_namespace"] or None)

    def orderable(self, order: Order) -> Orderable | None:
        """The site's code for this order (by order id, then rule id); None: send as local."""
        table: Mapping[str, Orderable] = self["orderables"]
        found = table.get(order.id) or table.get(order.rule_id)
        if found is None and self["unmapped_orderables"] == "refuse":
            raise HL7Error(
                "hl7.orderables",
                f"has no code for order {order.id} (rule {order.rule_id}), and"
                " hl7.unmapped_orderables is 'refuse'",
            )
        return found


# ---- segments -------------------------------------------------------------------------------


@frozen
class _Context:
    """What every segment of one build may need."""

    order_set: OrderSet
    profile: Profile
    when: str

    @property
    def case(self) -> Case:
        return self.order_set.case


def _msh(ctx: _Context, structure: str, control_id: str) -> str:
    code, trigger = structure.split("_")
    return header(
        "MSH",
        *ctx.profile.endpoints(structure),
        ctx.when,  # MSH-7 date/time of message
        None,
        (code, trigger, structure),  # MSH-9
        control_id,  # MSH-10
        (ctx.profile["processing_id"],),  # MSH-11 P, T or D
        (VERSION,),  # MSH-12
        None,
        None,
        None,
        None,
        None,
        ctx.profile["character_set"],  # MSH-18
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


def _xcn(provider: Provider | None) -> Value:
    """ORC-12, OBR-16, PV1-7: id^family^given^^^^^^authority^L (empty when not given)."""
    if provider is None:
        return None
    authority = (provider.id_authority,) if provider.id_authority else None
    names = provider.family_name or provider.given_name
    return (
        provider.id,
        (provider.family_name,) if provider.family_name else None,
        provider.given_name,
        None,
        None,
        None,
        None,
        None,
        authority,  # XCN-9 assigning authority
        "L" if names else None,  # XCN-10 name type: legal
    )


def _visit(ctx: _Context) -> Value:
    """PV1-19 and PID-18: the visit number, assigned by the sending facility."""
    number = ctx.case.encounter.visit_number
    if number is None:
        return None
    facility = ctx.profile["sending_facility"]
    return (number, None, None, (facility,) if facility else None, "VN")


def _location(ctx: _Context) -> Value:
    """PV1-3: point of care, room, bed, facility as parts when the case gave them; the text
    always in PL-9 (location description)."""
    enc = ctx.case.encounter
    text = fits(enc.location, ST_MAX, "encounter.location")
    if text is None:
        return None
    place = enc.place
    if place is None:
        return (None, None, None, None, None, None, None, None, text)
    facility = (place.facility,) if place.facility else None
    return (place.point_of_care, place.room, place.bed, facility, None, None, None, None, text)


def _allergy_codes(allergy: Allergy) -> tuple[tuple[str, str], tuple[str, str]]:
    """AL1-2 and AL1-4 from the case's `type` and `severity`. Without a type the allergy is
    sent as a drug allergy (DA): a pharmacy system screens its orders against DA entries, so
    an unlabelled penicillin allergy must not go as "miscellaneous"; a mislabelled food
    allergy costs a needless check, a missed drug allergy costs a reaction. Without a severity,
    U (unknown)."""
    kind = ALLERGEN_TYPES[allergy.type or "drug"]
    severity = SEVERITIES[allergy.severity] if allergy.severity else UNKNOWN_SEVERITY
    return kind, severity


def _patient(ctx: _Context) -> list[str]:
    case, profile = ctx.case, ctx.profile
    p = case.patient
    mrn = fits(p.mrn, ST_MAX, "patient.mrn")
    family = fits(p.family_name, ST_MAX, "patient.family_name")
    given = fits(p.given_name, ST_MAX, "patient.given_name")
    visit = _visit(ctx)
    pid: list[Value] = [None] * 18
    pid[0] = "1"
    pid[2] = (mrn, None, None, (profile["sending_facility"],), "MR")  # PID-3
    pid[4] = (family, given, None, None, None, None, "L")  # PID-5
    pid[6] = hl7_date(p.birth_date)  # PID-7
    pid[7] = SEX_CODES[p.sex]  # PID-8
    pid[17] = visit  # PID-18 patient account number: the visit number
    segments = [segment("PID", *pid)]
    nka_as_al1 = profile["no_known_allergies"] == "al1"
    if p.allergies is None:
        segments.append(segment("NTE", "1", "P", "Allergies: not recorded."))
    elif not p.allergies and not nka_as_al1:
        segments.append(segment("NTE", "1", "P", "Allergies: no known allergies."))
    pv1: list[Value] = [None] * 19
    pv1[0] = "1"
    pv1[1] = "I"  # PV1-2 patient class: inpatient (an admission order set)
    pv1[2] = _location(ctx)  # PV1-3
    pv1[6] = _xcn(case.encounter.ordering_provider)  # PV1-7
    pv1[18] = visit  # PV1-19
    segments.append(segment("PV1", *pv1))
    if p.allergies is not None and not p.allergies and nka_as_al1:
        code = profile["nka_allergen_type"]
        segments.append(
            segment(
                "AL1",
                "1",
                (code, ALLERGEN_TYPE_TEXT[code], "HL70127"),
                ("NKA", "No known allergies", "L"),
            )
        )
    for i, allergy in enumerate(p.allergies or (), 1):
        fits(allergy.substance, ST_MAX, f"patient.allergies[{i - 1}].substance")
        fits(allergy.reaction, ST_MAX, f"patient.allergies[{i - 1}].reaction")
        (kind, kind_text), (severity, severity_text) = _allergy_codes(allergy)
        segments.append(
            segment(
                "AL1",
                str(i),
                (kind, kind_text, "HL70127"),  # AL1-2
                (None, allergy.substance),  # AL1-3: free text, no coded allergen
                (severity, severity_text, "HL70128"),  # AL1-4
                [allergy.reaction] if allergy.reaction else None,  # AL1-5
            )
        )
    return segments


def _orc(ctx: _Context, order: Order, control: str, number: str, parent: str | None) -> str:
    fields: list[Value] = [None] * 12
    fields[0] = control  # ORC-1 NW, XO, CA or DC
    fields[1] = ctx.profile.ei(number)  # ORC-2
    fields[3] = ctx.profile.ei(placer_group_number(ctx.case))  # ORC-4
    fields[7] = (ctx.profile.ei(parent),) if parent else None  # ORC-8: the order replaced (XO)
    fields[8] = ctx.when  # ORC-9 date/time of transaction
    fields[11] = _xcn(ctx.case.encounter.ordering_provider)  # ORC-12
    return segment("ORC", *fields)


def _tq1(ctx: _Context, order: Order) -> str:
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
        None if event else ctx.when,  # TQ1-7 start: when the message is made
        None,
        priority,  # TQ1-9
        order.prn,  # TQ1-10 condition text
        instruction,  # TQ1-11 text instruction
    )


def _order_notes(order: Order, alerts: Sequence[Alert], replaced: str | None) -> list[str]:
    texts = [f"Order: {order.text}"]
    if replaced:
        texts.append(f"Replaces order {replaced} (ORC-8), sent earlier for this assessment.")
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


def _ml(q: Any) -> str:
    return hl7_number(q.to(units.mL).magnitude)


def _medication_code(ctx: _Context, order: Order) -> Value:
    """RXO-1: the site's code from `[hl7.orderables]`, else the formulary's local code."""
    mapped = ctx.profile.orderable(order)
    if mapped is not None:
        return (mapped.code, mapped.text or order.drug, mapped.system)
    return (order.product_code, order.drug, "L" if order.product_code else None)


def _rxo(ctx: _Context, order: Order) -> str:
    for name in ("drug", "product_code", "dosage_form"):
        _pluginfits(order, name, getattr(order, name))
    amount, unit = _dose_parts(order)
    prep = order.preparation
    rate = prep.rate if prep is not None else None
    daily = None
    if order.daily_dose is not None and order.dose_unit is not None:
        code, text = UCUM_DRUG_UNITS[order.dose_unit]
        magnitude = order.daily_dose.to(units.drug_unit(order.dose_unit)).magnitude
        daily = (hl7_number(magnitude), (code, text, "UCUM"))
    fields: list[Value] = [None] * 23
    fields[0] = _medication_code(ctx, order)  # RXO-1
    fields[1] = amount  # RXO-2 requested give amount
    fields[3] = unit  # RXO-4 requested give units (UCUM)
    fields[4] = (None, order.dosage_form) if order.dosage_form else None  # RXO-5
    if prep is not None and prep.drug_volume is not None:
        fields[10] = _ml(prep.drug_volume)  # RXO-11 dispense amount: the product's volume
        fields[11] = ("mL", "mL", "UCUM")  # RXO-12 per dose
    if order.calculation is not None and order.calculation.pharmacist_review:
        fields[15] = "Y"  # RXO-16 needs human review: the dose could not be rounded (ROUND-1)
    if prep is not None and prep.concentration is not None:
        strength = prep.concentration.to(units.mg_per_mL).magnitude
        fields[17] = hl7_number(strength)  # RXO-18 give strength: the product's concentration
        fields[18] = ("mg/mL", "mg/mL", "UCUM")  # RXO-19
    if rate is not None:
        fields[20] = hl7_number(rate.to(units.mL_per_h).magnitude)  # RXO-21
        fields[21] = ("mL/h", "mL/h", "UCUM")  # RXO-22
    fields[22] = daily  # RXO-23 total daily dose
    return segment("RXO", *fields)


def _rxc(ctx: _Context, order: Order) -> list[str]:
    """RXC for an admixture (a drug diluted in a base to a final volume): the drug as the
    additive (RXC-1 A) and the diluent as the base (B) with its volume in the final mixture
    (final volume minus the drug's volume, as the preparation draws it up)."""
    prep = order.preparation
    if prep is None or not prep.diluent or prep.final_volume is None or order.dose is None:
        return []
    amount, unit = _dose_parts(order)
    segments = [segment("RXC", ADDITIVE, _medication_code(ctx, order), amount, unit)]
    base = prep.final_volume if prep.drug_volume is None else prep.final_volume - prep.drug_volume
    segments.append(segment("RXC", BASE, (None, prep.diluent), _ml(base), ("mL", "mL", "UCUM")))
    return segments


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


def _obr(ctx: _Context, order: Order, set_id: int, number: str) -> str:
    _pluginfits(order, "id", order.id)
    mapped = ctx.profile.orderable(order)
    fields: list[Value] = [None] * 24
    fields[0] = str(set_id)
    fields[1] = ctx.profile.ei(number)  # OBR-2 = ORC-2
    if mapped is not None:  # OBR-4 universal service id: the site's code, or the order id
        fields[3] = (mapped.code, mapped.text or _short(order.text), mapped.system)
    else:
        fields[3] = (order.id, _short(order.text), "L")
    fields[15] = _xcn(ctx.case.encounter.ordering_provider)  # OBR-16
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
        """UTF-8; with `[hl7] character_set = "ASCII"` the text is already all ASCII."""
        return self.text.encode("utf-8")


@frozen
class Action:
    """One order to send and what to do with it: NW new, XO changed (ORC-8 names the order it
    replaces), CA/DC removed (`order` rebuilt from the previous JSON order set)."""

    control: str
    order: Order
    number: str
    replaces: str | None = None


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


GroupBuilder = Callable[[_Context], list[str]]


def _message(
    order_set: OrderSet,
    profile: Profile,
    when: str,
    structure: str,
    actions: Sequence[Action],
    groups: GroupBuilder,
) -> HL7Message:
    """The message text; MSH-10 is the hash of the same text made with no times and no
    MSH-10, so it follows what the message says and not when it was made."""
    _, general = _alerts_by_order(order_set)

    def text(moment: str, control_id: str) -> str:
        ctx = _Context(order_set, profile, moment)
        body = "".join(
            [
                _msh(ctx, structure, control_id),
                *_message_notes(order_set, general),
                *_patient(ctx),
                *groups(ctx),
            ]
        )
        if profile["character_set"] == "ASCII":
            body = transliterate_message(body)
        return body

    control_id = _digest(text("", ""), "message", length=20)
    return HL7Message(
        structure=structure,
        control_id=control_id,
        order_ids=tuple(a.order.id for a in actions),
        text=text(when, control_id),
    )


def _pharmacy(
    order_set: OrderSet, profile: Profile, when: str, actions: Sequence[Action]
) -> HL7Message | None:
    """OMP^O09 with one ORC/TQ1/RXO/NTE/RXR/RXC group per medication action; the weight (and
    height) OBX once, in the first group, unless the profile asks for every group."""
    actions = [a for a in actions if a.order.kind == "medication"]
    if not actions:
        return None
    by_order, _ = _alerts_by_order(order_set)
    every = profile["weight_in_every_order"]

    def groups(ctx: _Context) -> list[str]:
        out: list[str] = []
        for i, action in enumerate(actions):
            order = action.order
            out += [
                _orc(ctx, order, action.control, action.number, action.replaces),
                _tq1(ctx, order),
                _rxo(ctx, order),
                *_order_notes(order, by_order.get(order.id, []), action.replaces),
                *_rxr(order),
                *_rxc(ctx, order),
                *(_observations(ctx.case) if i == 0 or every else []),
            ]
        return out

    return _message(order_set, profile, when, "OMP_O09", actions, groups)


def _general(
    order_set: OrderSet, profile: Profile, when: str, actions: Sequence[Action]
) -> HL7Message | None:
    """OMG^O19 with one ORC/TQ1/OBR/NTE group per non-medication action."""
    actions = [a for a in actions if a.order.kind != "medication"]
    if not actions:
        return None
    by_order, _ = _alerts_by_order(order_set)

    def groups(ctx: _Context) -> list[str]:
        out: list[str] = []
        for i, action in enumerate(actions, 1):
            order = action.order
            out += [
                _orc(ctx, order, action.control, action.number, action.replaces),
                _tq1(ctx, order),
                _obr(ctx, order, i, action.number),
                *_order_notes(order, by_order.get(order.id, []), action.replaces),
            ]
        return out

    return _message(order_set, profile, when, "OMG_O19", actions, groups)


def new_orders(order_set: OrderSet, numbers: Mapping[str, str]) -> list[Action]:
    """NW for every selected order (no previous order set)."""
    return [Action("NW", o, numbers[o.id]) for o in order_set.orders if o.selected]


def _message_time(order_set: OrderSet, message_time: dt.datetime | None) -> str:
    if message_time is None:
        return hl7_datetime(order_set.case.assessed_at)
    if message_time.tzinfo is None or message_time.utcoffset() is None:
        raise HL7Error("message_time", "has no UTC offset (e.g. 2026-11-22T06:30:00-05:00)")
    return hl7_datetime(message_time)


def build_messages(
    order_set: OrderSet,
    *,
    message_time: dt.datetime | None = None,
    replaces: Mapping[str, Any] | None = None,
) -> tuple[HL7Message, ...]:
    """The messages for the selected orders, medication first; none for an empty selection.

    `message_time` (aware datetime) is MSH-7, ORC-9 and TQ1-7: when the message is made or
    sent; `assessed_at` by default. `replaces` is a previous JSON order set (parsed) for the
    same patient: only what changed is sent (NW new, XO changed, CA/DC removed; nothing for an
    unchanged order); see `orderset.renderers.hl7_changes`.
    """
    profile = Profile.from_order_set(order_set)
    when = _message_time(order_set, message_time)
    numbers = placer_numbers(order_set)
    _check_unique_ids(order_set, numbers)
    if replaces is None:
        actions = new_orders(order_set, numbers)
    else:
        from orderset.renderers.hl7_changes import changes

        actions = changes(order_set, numbers, replaces, profile["removed_order_control"])
    messages = (
        _pharmacy(order_set, profile, when, actions),
        _general(order_set, profile, when, actions),
    )
    return tuple(m for m in messages if m)


def _check_unique_ids(order_set: OrderSet, numbers: Mapping[str, str]) -> None:
    """A 64-bit hash collision between two orders is improbable; refuse it rather than send it."""
    seen: dict[str, str] = {}
    for order in order_set.orders:
        number = numbers[order.id]
        if number in seen:  # pragma: no cover - needs a SHA-256 prefix collision
            raise PluginError(
                order.plugin, f"placer order number collision: {seen[number]} and {order.id}"
            )
        seen[number] = order.id


def batch(
    order_set: OrderSet, messages: Sequence[HL7Message], *, message_time: dt.datetime | None = None
) -> str:
    """FHS/BHS, the messages, BTS (message count) and FTS (batch count). The file and batch
    ids are hashes of the messages' MSH-10s: new content, new ids."""
    profile = Profile.from_order_set(order_set)
    when = _message_time(order_set, message_time)
    ids = [m.control_id for m in messages] or [placer_group_number(order_set.case)]
    file_id = "F" + _digest(*ids, "file", length=19)
    batch_id = "B" + _digest(*ids, "batch", length=19)
    ends = profile.endpoints(None)
    return "".join(
        [
            header("FHS", *ends, when, None, None, None, file_id),
            header("BHS", *ends, when, None, None, None, batch_id),
            *(m.text for m in messages),
            segment("BTS", str(len(messages))),
            segment("FTS", "1"),
        ]
    )


def render_batch(
    order_set: OrderSet,
    *,
    message_time: dt.datetime | None = None,
    replaces: Mapping[str, Any] | None = None,
) -> bytes:
    """The batch file with an explicit message time and/or a previous order set to correct."""
    messages = build_messages(order_set, message_time=message_time, replaces=replaces)
    text = batch(order_set, messages, message_time=message_time)
    if Profile.from_order_set(order_set)["character_set"] == "ASCII":
        text = transliterate_message(text)
    return text.encode("utf-8")


def render(
    order_set: OrderSet,
    *,
    message_time: dt.datetime | None = None,
    replaces: Mapping[str, Any] | None = None,
) -> bytes:
    """The `--format hl7` file: one batch holding the OMP^O09 and OMG^O19 messages, UTF-8 (or
    ASCII when the profile says so). Message time `assessed_at` unless `message_time` is given;
    every selected order NW unless `replaces` (a previous JSON order set) makes it a correction
    (see `build_messages`)."""
    return render_batch(order_set, message_time=message_time, replaces=replaces)
