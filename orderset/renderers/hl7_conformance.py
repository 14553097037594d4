"""docs/hl7-conformance.md: every HL7 segment and field `orderset` sends, where its value comes
from, and an example taken from a real build (not typed by hand).

    python -m orderset.renderers.hl7_conformance > docs/hl7-conformance.md

tests/test_hl7_conformance.py checks that the file is what this prints, that every field any
example sends is listed, and that every listed field is sent by some example, so the page
cannot drift from the renderer.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
from collections.abc import Iterator
from typing import Any

#: (segment, field number, name, source). Order: as the messages send them.
FIELDS: tuple[tuple[str, int, str, str], ...] = (
    ("FHS", 3, "File sending application", "`[hl7] sending_application`"),
    ("FHS", 4, "File sending facility", "`[hl7] sending_facility`"),
    ("FHS", 5, "File receiving application", "`[hl7] receiving_application`"),
    ("FHS", 6, "File receiving facility", "`[hl7] receiving_facility`"),
    ("FHS", 7, "File creation date/time", "message time (`--message-time`; `assessed_at`)"),
    ("FHS", 11, "File control id", "hash of the messages' MSH-10s"),
    ("BHS", 3, "Batch sending application", "as FHS-3"),
    ("BHS", 4, "Batch sending facility", "as FHS-4"),
    ("BHS", 5, "Batch receiving application", "as FHS-5"),
    ("BHS", 6, "Batch receiving facility", "as FHS-6"),
    ("BHS", 7, "Batch creation date/time", "as FHS-7"),
    ("BHS", 11, "Batch control id", "hash of the messages' MSH-10s"),
    ("MSH", 3, "Sending application", "`[hl7] sending_application`"),
    ("MSH", 4, "Sending facility", "`[hl7] sending_facility`"),
    (
        "MSH",
        5,
        "Receiving application",
        "`[hl7] omp_receiving_application` / `omg_receiving_application`, else"
        " `receiving_application`",
    ),
    (
        "MSH",
        6,
        "Receiving facility",
        "`[hl7] omp_receiving_facility` / `omg_receiving_facility`, else `receiving_facility`",
    ),
    (
        "MSH",
        7,
        "Date/time of message",
        "message time: `build --message-time` (default `assessed_at`); `send`: when sent",
    ),
    ("MSH", 9, "Message type", "OMP^O09^OMP_O09 (medications), OMG^O19^OMG_O19 (the rest)"),
    (
        "MSH",
        10,
        "Message control id",
        "hash of the message text without its times: same content, same id",
    ),
    ("MSH", 11, "Processing id", "`[hl7] processing_id` (P, T or D)"),
    ("MSH", 12, "Version id", "2.5.1"),
    ("MSH", 18, "Character set", "`[hl7] character_set` (UNICODE UTF-8 or ASCII)"),
    ("NTE", 1, "Set id", "1, 2, ... within the segment group"),
    ("NTE", 2, "Source of comment", "P (placer)"),
    (
        "NTE",
        3,
        "Comment",
        "order set identity and approval, alerts; per order: line, calculation, preparation,"
        " titration, notes, grade, alerts; allergies not recorded",
    ),
    ("PID", 1, "Set id", "1"),
    ("PID", 3, "Patient identifier list", "`patient.mrn`, authority `[hl7] sending_facility`, MR"),
    ("PID", 5, "Patient name", "`patient.family_name`, `patient.given_name`, L"),
    ("PID", 7, "Date of birth", "`patient.birth_date`"),
    ("PID", 8, "Administrative sex", "`patient.sex` (table 0001)"),
    ("PID", 18, "Patient account number", "`encounter.visit_number`, VN"),
    ("PV1", 1, "Set id", "1"),
    ("PV1", 2, "Patient class", "I (inpatient)"),
    (
        "PV1",
        3,
        "Assigned patient location",
        "`encounter.location`: point of care, room, bed, facility; the text in PL-9",
    ),
    ("PV1", 7, "Attending doctor", "`encounter.ordering_provider`"),
    ("PV1", 19, "Visit number", "`encounter.visit_number`, authority `[hl7] sending_facility`"),
    ("AL1", 1, "Set id", "1, 2, ..."),
    (
        "AL1",
        2,
        "Allergen type",
        "`allergies[].type` (table 0127), DA when not given; NKA: `[hl7] nka_allergen_type`",
    ),
    (
        "AL1",
        3,
        "Allergen",
        '`allergies[].substance` as text; NKA (`[hl7] no_known_allergies = "al1"`)',
    ),
    ("AL1", 4, "Allergy severity", "`allergies[].severity` (table 0128), U when not given"),
    ("AL1", 5, "Allergy reaction", "`allergies[].reaction`"),
    ("ORC", 1, "Order control", "NW; with `--replaces`: XO changed, DC/CA removed"),
    (
        "ORC",
        2,
        "Placer order number",
        "hash of the group and the order's content; namespace `[hl7] placer_namespace`",
    ),
    ("ORC", 4, "Placer group number", "hash of MRN and `assessed_at`; same namespace"),
    ("ORC", 8, "Parent", "XO only: the placer number of the order it replaces"),
    ("ORC", 9, "Date/time of transaction", "message time"),
    ("ORC", 12, "Ordering provider", "`encounter.ordering_provider` (id, names, authority)"),
    ("TQ1", 1, "Set id", "1"),
    ("TQ1", 3, "Repeat pattern", "the order's frequency (table 0335 code, its words)"),
    ("TQ1", 6, "Service duration", "the order's duration (UCUM)"),
    ("TQ1", 7, "Start date/time", "message time (empty for an event-timed order)"),
    ("TQ1", 9, "Priority", "A (ASAP), PRN (as needed) or R (routine, event-timed)"),
    ("TQ1", 10, "Condition text", "the as-needed condition"),
    ("TQ1", 11, "Text instruction", "frequency and duration in words"),
    (
        "RXO",
        1,
        "Requested give code",
        "`[hl7.orderables]` code, else the formulary local code (L), and the drug name",
    ),
    ("RXO", 2, "Requested give amount", "the dose (`Order.dose`)"),
    ("RXO", 4, "Requested give units", "the dose unit (UCUM)"),
    ("RXO", 5, "Requested dosage form", "the product's dosage form"),
    ("RXO", 11, "Requested dispense amount", "the product volume per dose (preparation)"),
    ("RXO", 12, "Requested dispense units", "mL (UCUM)"),
    ("RXO", 16, "Needs human review", "Y when the dose could not be rounded (ROUND-1)"),
    ("RXO", 18, "Requested give strength", "the product concentration"),
    ("RXO", 19, "Requested give strength units", "mg/mL (UCUM)"),
    ("RXO", 21, "Requested give rate amount", "the pump rate (first titration step)"),
    ("RXO", 22, "Requested give rate units", "mL/h (UCUM)"),
    ("RXO", 23, "Total daily dose", "dose x administrations per day (UCUM)"),
    ("RXR", 1, "Route", "the order's route (table 0162); one RXR per route allowed"),
    ("RXC", 1, "RX component type", "A (the drug) and B (the diluent) of an admixture"),
    ("RXC", 2, "Component code", "the drug's code as RXO-1; the diluent as text"),
    ("RXC", 3, "Component amount", "the dose; the diluent volume (final less drug volume)"),
    ("RXC", 4, "Component units", "UCUM"),
    ("OBX", 1, "Set id", "1 (weight), 2 (height)"),
    ("OBX", 2, "Value type", "NM"),
    ("OBX", 3, "Observation identifier", "LOINC 29463-7 body weight, 8302-2 body height"),
    ("OBX", 5, "Observation value", "dosing weight (kg), height (cm)"),
    ("OBX", 6, "Units", "kg, cm (UCUM)"),
    ("OBX", 11, "Observation result status", "F"),
    ("OBX", 14, "Date/time of the observation", "`patient.weight_measured_at`"),
    ("OBR", 1, "Set id", "1, 2, ..."),
    ("OBR", 2, "Placer order number", "as ORC-2"),
    (
        "OBR",
        4,
        "Universal service identifier",
        "`[hl7.orderables]` code and system, else the order id (L) and its text",
    ),
    ("OBR", 16, "Ordering provider", "as ORC-12"),
    ("OBR", 24, "Diagnostic service section id", "LAB, RAD or NRS by order kind"),
    ("BTS", 1, "Batch message count", "number of messages"),
    ("FTS", 1, "File batch count", "1"),
)

#: The builds the examples and the drift test read: every bundled example with every offered
#: order selected, plus the demonstration below (new encounter fields, corrections).
DEMO_ENCOUNTER: dict[str, Any] = {
    "location": {"point_of_care": "PICU", "room": "4", "bed": "12", "facility": "NORTH"},
    "attending": "A. Smith",
    "visit_number": "V20261122-7",
    "ordering_provider": {
        "id": "1234567893",
        "family_name": "Okafor",
        "given_name": "Ada",
        "id_authority": "NPI",
    },
}
DEMO_PROFILE: dict[str, Any] = {
    "hl7": {
        "omg_receiving_application": "ORDERS",
        "orderables": {"SUP-1-NEURO-CHECKS": {"code": "NUR1001", "system": "99EXA"}},
    }
}
DEMO_TIME = dt.datetime(2026, 11, 22, 6, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


def _examples() -> list[dict[str, Any]]:
    root = importlib.resources.files("orderset.examples")
    names = sorted(e.name for e in root.iterdir() if e.name.endswith(".json"))
    return [json.loads((root / name).read_text(encoding="utf-8")) for name in names]


def batches() -> Iterator[bytes]:
    """HL7 batch files: the demonstration first (its values are the page's examples)."""
    from orderset.renderers.hl7 import render_batch
    from orderset.renderers.json import to_json_dict
    from orderset.testing import build, case_data

    examples = _examples()
    toddler = next(e for e in examples if e["patient"]["mrn"] == "A1234567")
    demo = {**toddler, "encounter": DEMO_ENCOUNTER}
    with_ivig = {**DEMO_PROFILE, "selection": {"IVIG-1": True}}
    yield render_batch(build(demo, profile=with_ivig), message_time=DEMO_TIME)
    heavier = json.loads(json.dumps(demo))
    heavier["patient"]["weight"] = "16 kg"
    previous = to_json_dict(build(demo, profile=with_ivig))
    yield render_batch(
        build(heavier, profile=DEMO_PROFILE), message_time=DEMO_TIME, replaces=previous
    )
    # ROUND-1: a dose just over 10% from the product's increment goes to pharmacist review.
    review = case_data(age_months=1, weight="2.727 kg", gestational_age_at_birth="32 weeks")
    yield render_batch(build(review))
    for case in examples:
        offered = build(case)
        everything = {"selection": {o.id: True for o in offered.orders}}
        yield render_batch(build(case, profile=everything))


def sent_fields(data: bytes) -> Iterator[tuple[str, int, str]]:
    """(segment, field number, ER7 value) of every non-empty field in a batch file."""
    for line in data.decode("utf-8").split("\r"):
        if not line:
            continue
        parts = line.split("|")
        name = parts[0]
        # MSH/FHS/BHS: field 1 is the separator itself, so parts[i] is field i + 1.
        offset = 1 if name in ("MSH", "FHS", "BHS") else 0
        for i, value in enumerate(parts[1:], 1):
            number = i + offset
            if value and not (offset and number == 2):
                yield name, number, value


def examples() -> dict[tuple[str, int], str]:
    """The first value each field takes in `batches()`."""
    found: dict[tuple[str, int], str] = {}
    for data in batches():
        for name, number, value in sent_fields(data):
            found.setdefault((name, number), value)
    return found


def _cell(text: str) -> str:
    text = text if len(text) <= 60 else text[:57] + "..."
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def document() -> str:
    values = examples()
    lines = [
        "# HL7 v2.5.1 conformance",
        "",
        "Generated by `python -m orderset.renderers.hl7_conformance` from the renderer's own",
        "output (tests/test_hl7_conformance.py fails when this page and the output differ).",
        "",
        "`orderset build --format hl7` writes one batch file (FHS, BHS, the messages, BTS, FTS);",
        "`orderset send` sends each message over MLLP. Messages: **OMP^O09** for the selected",
        "medication orders (group ORC, TQ1, RXO, NTE, RXR, RXC, OBX) and **OMG^O19** for the",
        "other selected orders (group ORC, TQ1, OBR, NTE); both start MSH, NTE, PID, NTE, PV1,",
        "AL1. Every value is escaped (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\); control characters become",
        'spaces. With `[hl7] character_set = "ASCII"` every other character is transliterated',
        '("36 °C" is sent "36 C"; a character with no ASCII form is sent "?").',
        "",
        "Weight and height (OBX) are sent once per OMP^O09, in the first order group",
        "(`[hl7] weight_in_every_order = true` repeats them in every group).",
        "",
        "Examples: the bundled toddler example plus the optional encounter fields (visit",
        "number, ordering provider, location parts), IVIG selected, message time",
        f"{DEMO_TIME.isoformat()}; ORC-8 from a correction of that order set to 16 kg.",
        "",
        "| Segment | Field | Name | Source | Example |",
        "| --- | --- | --- | --- | --- |",
    ]
    for segment, number, name, source in FIELDS:
        example = values.get((segment, number))
        shown = _cell(example) if example is not None else "(not in the examples)"
        lines.append(f"| {segment} | {segment}-{number} | {name} | {source} | {shown} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - the test calls document()
    print(document(), end="")
