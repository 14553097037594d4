"""HL7 v2.5.1 output: strict parse and validation of every example, doses read back against the
JSON output, escaping, determinism, and the batch envelope."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orderset import hookimpl, units
from orderset.cli import main
from orderset.errors import InputError, PluginError
from orderset.formulary import Product
from orderset.model import Alert, Evidence, Order, Preparation, Section
from orderset.renderers.hl7 import (
    UCUM_DRUG_UNITS,
    build_messages,
    escape,
    placer_group_number,
    placer_numbers,
    render,
)
from orderset.renderers.json import to_json_dict
from orderset.testing import build
from tests.hl7_helpers import batch_messages, segments, strict, unescape

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
TODDLER = ROOT / "examples" / "toddler-shock-brainstem.json"

#: What RXO-4 must carry for each JSON dose unit: (UCUM code, display text). Written out here,
#: not imported, so a wrong mapping in orderset.hl7 fails this test.
EXPECTED_UNITS = {
    "mg": ("mg", "mg"),
    "g": ("g", "g"),
    "mcg": ("ug", "mcg"),
    "mL": ("mL", "mL"),
    "mg PE": ("mg", "mg PE"),
}


def test_every_drug_unit_of_the_closed_vocabulary_has_an_hl7_unit() -> None:
    assert set(UCUM_DRUG_UNITS) == set(units.DRUG_UNITS) == set(EXPECTED_UNITS)
    assert {label: UCUM_DRUG_UNITS[label] for label in EXPECTED_UNITS} == EXPECTED_UNITS


def _cli_output(tmp_path: Path, case: Path, fmt: str) -> bytes:
    out = tmp_path / f"{case.stem}.{fmt}"
    assert main(["build", str(case), "--format", fmt, "-o", str(out)]) == 0
    return out.read_bytes()


def _toddler() -> dict[str, Any]:
    return json.loads(TODDLER.read_text())


# ---- every bundled example ------------------------------------------------------------------


@pytest.mark.parametrize("case_path", EXAMPLES, ids=lambda p: p.stem)
def test_every_message_of_every_example_passes_strict_parse_and_validate(
    case_path: Path, tmp_path: Path
) -> None:
    data = _cli_output(tmp_path, case_path, "hl7")
    texts = batch_messages(data)
    assert texts, "an example with selected orders must give at least one message"
    structures = []
    for text in texts:
        message = strict(text)
        msh9 = message.msh.msh_9
        code, trigger, structure = (msh9.msg_1.value, msh9.msg_2.value, msh9.msg_3.value)
        assert f"{code}_{trigger}" == structure
        assert structure in ("OMP_O09", "OMG_O19")
        assert message.msh.msh_12.value == "2.5.1"
        structures.append(structure)
    assert len(set(structures)) == len(structures), "one message per structure"


@pytest.mark.parametrize("case_path", EXAMPLES, ids=lambda p: p.stem)
def test_doses_read_back_from_rxo_equal_the_json_output(case_path: Path, tmp_path: Path) -> None:
    doc = json.loads(_cli_output(tmp_path, case_path, "json"))
    texts = batch_messages(_cli_output(tmp_path, case_path, "hl7"))
    _assert_doses_match(doc, texts, build(json.loads(case_path.read_text())))


@pytest.mark.parametrize("case_path", EXAMPLES, ids=lambda p: p.stem)
def test_every_offered_order_selected_by_a_profile_is_valid_hl7_with_its_dose(
    case_path: Path,
) -> None:
    """Orders offered but not pre-selected (IVIG, fosphenytoin, analogue drugs) are sent once a
    profile selects them: they must parse, validate and carry the JSON dose too."""
    data = json.loads(case_path.read_text())
    offered = build(data)
    order_set = build(data, profile={"selection": {o.id: True for o in offered.orders}})
    assert all(o.selected for o in order_set.orders)
    texts = batch_messages(render(order_set))
    for text in texts:
        strict(text)
    _assert_doses_match(to_json_dict(order_set), texts, order_set)


def _assert_doses_match(doc: dict[str, Any], texts: list[str], order_set: Any) -> None:
    numbers = placer_numbers(order_set)
    medications = [o for o in doc["orders"] if o["kind"] == "medication" and o["selected"]]
    omp = [t for t in texts if "|OMP^O09^OMP_O09|" in t]
    if not medications:
        assert not omp, "no OMP^O09 without a selected medication"
        return
    assert len(omp) == 1
    groups = {g.orc.orc_2.ei_1.value: g for g in strict(omp[0]).omp_o09_order}
    assert len(groups) == len(medications), "one ORC/RXO group per selected medication"
    for order in medications:
        group = groups.pop(numbers[order["id"]])
        rxo = group.rxo
        assert rxo.rxo_1.ce_2.value == order["drug"]
        dose = order["dose"]
        if dose is None:
            assert rxo.rxo_2.value == ""
            continue
        assert Decimal(rxo.rxo_2.value) == Decimal(str(dose["value"])), order["id"]
        code, text = EXPECTED_UNITS[dose["unit"]]
        assert (rxo.rxo_4.ce_1.value, rxo.rxo_4.ce_2.value, rxo.rxo_4.ce_3.value) == (
            code,
            text,
            "UCUM",
        ), order["id"]
        assert "/kg" not in rxo.rxo_4.value
        if dose["unit"] == "mg PE":
            assert any("phenytoin equivalents" in n.nte_3.value for n in group.nte)
        assert group.rxr.rxr_1.ce_3.value == "HL70162"
    assert not groups, "no group for an order the JSON does not list as selected"


@pytest.mark.parametrize("case_path", EXAMPLES, ids=lambda p: p.stem)
def test_python_hl7_reads_the_same_doses(case_path: Path) -> None:
    """A second, independent reader of RXO-2/RXO-4 agrees with the order set."""
    order_set = build(json.loads(case_path.read_text()))
    numbers = placer_numbers(order_set)
    by_number = {numbers[o.id]: o for o in order_set.selected_medications}
    texts = batch_messages(render(order_set))
    seen = set()
    for text in texts:
        orcs, rxos = segments(text, "ORC"), segments(text, "RXO")
        if not rxos:
            continue
        assert len(orcs) == len(rxos)
        for orc, rxo in zip(orcs, rxos, strict=True):
            number = orc.split("|")[2].split("^")[0]
            order = by_number[number]
            seen.add(number)
            fields = rxo.split("|")
            if order.dose is None:
                assert fields[2] == ""
                continue
            value = order.dose.to(units.drug_unit(order.dose_unit)).magnitude
            assert Decimal(fields[2]) == Decimal(str(round(value, 6))), order.id
            assert fields[4].split("^")[1] == order.dose_unit
    assert seen == set(by_number)


@pytest.mark.parametrize("case_path", EXAMPLES, ids=lambda p: p.stem)
def test_only_selected_orders_are_sent(case_path: Path) -> None:
    order_set = build(json.loads(case_path.read_text()))
    data = render(order_set).decode()
    numbers = placer_numbers(order_set)
    for order in order_set.orders:
        number = numbers[order.id]
        assert (f"ORC|NW|{number}^" in data) == order.selected, order.id


# ---- envelope, ids, determinism -------------------------------------------------------------


def test_batch_holds_exactly_the_messages_the_api_returns() -> None:
    order_set = build(_toddler())
    messages = build_messages(order_set)
    assert [m.structure for m in messages] == ["OMP_O09", "OMG_O19"]
    assert batch_messages(render(order_set)) == [m.text for m in messages]
    for message in messages:
        assert message.encode() == message.text.encode("utf-8")
        ids = {o.id for o in order_set.orders if o.selected}
        assert set(message.order_ids) <= ids


def test_same_case_and_time_give_byte_identical_hl7(tmp_path: Path) -> None:
    first = _cli_output(tmp_path, TODDLER, "hl7")
    second = render(build(_toddler()))
    assert first == second


def test_ids_are_unique_and_follow_the_assessment_time() -> None:
    data = _toddler()
    order_set = build(data)
    texts = [m.text for m in build_messages(order_set)]
    control_ids = [strict(t).msh.msh_10.value for t in texts]
    assert len(set(control_ids)) == len(control_ids)
    placer = [s.split("|")[2].split("^")[0] for t in texts for s in segments(t, "ORC")]
    assert len(set(placer)) == len(placer) == sum(o.selected for o in order_set.orders)
    groups = {s.split("|")[4].split("^")[0] for t in texts for s in segments(t, "ORC")}
    assert groups == {placer_group_number(order_set.case)}
    assert all(len(p) <= 22 for p in placer)  # ORC-2 length in v2.5.1
    assert all(len(c) <= 20 for c in control_ids)  # MSH-10 length in v2.5.1

    later = build({**data, "assessed_at": "2026-11-22T07:00:00-05:00"})
    later_texts = [m.text for m in build_messages(later)]
    assert not set(control_ids) & {strict(t).msh.msh_10.value for t in later_texts}
    later_placer = {s.split("|")[2].split("^")[0] for t in later_texts for s in segments(t, "ORC")}
    assert not set(placer) & later_placer


def test_msh_pid_pv1_and_weight_observations() -> None:
    order_set = build(_toddler())
    omp = strict(build_messages(order_set)[0].text)
    msh = omp.msh
    assert msh.msh_7.value == "20261122060000-0500"
    assert (msh.msh_3.value, msh.msh_5.value) == ("ORDERSET", "PHARMACY")
    patient = omp.omp_o09_patient
    assert patient.pid.pid_3.cx_1.value == "A1234567"
    assert patient.pid.pid_3.cx_5.value == "MR"
    assert patient.pid.pid_5.xpn_1.value == "Doe"
    assert patient.pid.pid_5.xpn_2.value == "Jane"
    assert patient.pid.pid_7.value == "20230304"
    assert patient.pid.pid_8.value == "F"
    assert patient.omp_o09_patient_visit.pv1.pv1_3.pl_9.value == "PICU bed 12"
    assert patient.al1.al1_3.ce_2.value == "penicillin"
    for i, group in enumerate(omp.omp_o09_order):
        assert group.orc.orc_1.value == "NW"
        notes = [n.nte_3.value for n in group.nte]
        assert any(n.startswith("Calculation: ") for n in notes)
        assert any(n.startswith("Evidence grade: ") for n in notes)
        if i:  # finding 12: the weight once per message, in the first order group
            assert not [c for c in group.children if c.name == "OMP_O09_OBSERVATION"], i
            continue
        weight, height = group.omp_o09_observation
        assert weight.obx.obx_3.ce_1.value == "29463-7"
        assert Decimal(weight.obx.obx_5.value) == Decimal("14.2")
        assert weight.obx.obx_6.ce_1.value == "kg"
        assert height.obx.obx_3.ce_1.value == "8302-2"
        assert Decimal(height.obx.obx_5.value) == Decimal(96)


def test_profile_endpoints_go_to_msh_and_fhs() -> None:
    profile = {
        "hl7": {
            "sending_application": "ANE-OS",
            "sending_facility": "NORTH",
            "receiving_application": "RX-SYS",
            "receiving_facility": "NORTH-RX",
        }
    }
    data = render(build(_toddler(), profile=profile)).decode()
    assert data.startswith("FHS|^~\\&|ANE-OS|NORTH|RX-SYS|NORTH-RX|20261122060000-0500|")
    for text in batch_messages(data.encode()):
        msh = strict(text).msh
        assert [msh.msh_3.value, msh.msh_4.value, msh.msh_5.value, msh.msh_6.value] == [
            "ANE-OS",
            "NORTH",
            "RX-SYS",
            "NORTH-RX",
        ]


def test_a_profile_value_hl7_cannot_carry_is_refused_with_its_name() -> None:
    with pytest.raises(InputError, match=r"hl7\.sending_application"):
        render(build(_toddler(), profile={"hl7": {"sending_application": "X" * 21}}))


def test_no_selected_orders_gives_an_empty_batch() -> None:
    order_set = build(_toddler())
    profile = {"selection": {o.id: False for o in order_set.orders}}
    empty = build(_toddler(), profile=profile)
    assert build_messages(empty) == ()
    assert batch_messages(render(empty)) == []


# ---- escaping -------------------------------------------------------------------------------


def test_escape_covers_every_delimiter_and_control_character() -> None:
    assert escape("a|b^c&d~e\\f") == "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f"
    assert escape("line\rbreak\nand\x0bframe\x1cend") == "line break and frame end"


def test_names_and_reactions_with_separators_round_trip() -> None:
    data = copy.deepcopy(_toddler())
    data["patient"]["family_name"] = "O'Brien|Smith^Jr"
    data["patient"]["given_name"] = "Ann\\Marie"
    data["patient"]["allergies"] = [
        {"substance": "peanut & tree nut", "reaction": "hives & wheeze ~ stridor"},
        {"substance": "penicillin", "reaction": "rash\nthen fever"},
    ]
    data["encounter"]["location"] = "PICU|bed^12"
    texts = batch_messages(render(build(data)))
    assert len(texts) == 2
    for text in texts:
        message = strict(text)
        (patient,) = [c for c in message.children if c.name.endswith("_PATIENT")]
        pid = patient.pid
        assert len(segments(text, "PID")[0].split("|")) == 9, "no field added by the name"
        assert unescape(text, pid.pid_5.xpn_1.value) == "O'Brien|Smith^Jr"
        assert unescape(text, pid.pid_5.xpn_2.value) == "Ann\\Marie"
        first, second = segments(text, "AL1")
        assert unescape(text, first.split("|")[3].split("^")[1]) == "peanut & tree nut"
        assert unescape(text, first.split("|")[5]) == "hives & wheeze ~ stridor"
        assert unescape(text, second.split("|")[5]) == "rash then fever"
        pv1 = segments(text, "PV1")[0]
        assert unescape(text, pv1.split("|")[3].split("^")[8]) == "PICU|bed^12"
        assert "O'Brien\\F\\Smith\\S\\Jr" in text


def test_a_name_too_long_for_hl7_is_refused_not_truncated() -> None:
    data = copy.deepcopy(_toddler())
    data["patient"]["family_name"] = "A" * 200
    with pytest.raises(InputError, match=r"patient\.family_name"):
        render(build(data))


# ---- orders from a test plugin: units, rates, alerts, notes ---------------------------------

TEST_EVIDENCE = Evidence(grade="confirmed")


class _Plugin:
    """A site plugin returning fixed orders and alerts (test values, not clinical doses)."""

    def __init__(self, orders: list[Order], alerts: list[Alert] | None = None) -> None:
        self._orders = orders
        self._alerts = alerts or []

    @hookimpl
    def orderset_orders(self, context: Any) -> list[Order]:
        return self._orders

    @hookimpl
    def orderset_formulary(self, settings: Any) -> list[Product]:
        # The engine refuses a dose without a maximum: the test drug's product has one.
        return [
            Product(
                key=drug,
                drug=drug,
                description="test drug",
                dose_unit="mg",
                increment=units.Quantity(0.1, units.mg),
                maximum_dose=units.Quantity(1000, units.mg),
            )
            for drug in ("testdrug", "otherdrug")
        ]

    @hookimpl
    def orderset_alerts(self, context: Any, orders: Any) -> list[Alert]:
        return self._alerts


def _medication(order_id: str, **changes: Any) -> Order:
    fields: dict[str, Any] = {
        "id": order_id,
        "rule_id": "TEST-1",
        "kind": "medication",
        "section": Section.SEIZURE,
        "selected": True,
        "text": "",
        "instructions": f"{order_id} test order",
        "evidence": TEST_EVIDENCE,
        "drug": "testdrug",
        "dose": units.Quantity(123.5, units.mg),
        "dose_unit": "mg",
        "route": "IV",
        "frequency": "once",
    }
    fields.update(changes)
    return Order(**fields)


def _build_with(orders: list[Order], alerts: list[Alert] | None = None) -> Any:
    return build(_toddler(), plugins=[("hl7test", _Plugin(orders, alerts))])


def _group(order_set: Any, order_id: str) -> Any:
    omp = strict(build_messages(order_set)[0].text)
    number = placer_numbers(order_set)[order_id]
    (group,) = [g for g in omp.omp_o09_order if g.orc.orc_2.ei_1.value == number]
    return group


def test_mg_pe_is_sent_as_mg_with_a_phenytoin_equivalents_note() -> None:
    order = _medication(
        "T-FOS", drug="fosphenytoin", dose=units.Quantity(123.5, units.mg), dose_unit="mg PE"
    )
    group = _group(_build_with([order]), "T-FOS")
    assert group.rxo.rxo_2.value == "123.5"
    assert group.rxo.rxo_4.ce_1.value == "mg"
    assert group.rxo.rxo_4.ce_2.value == "mg PE"
    assert any("phenytoin equivalents" in n.nte_3.value for n in group.nte)


def test_mcg_is_sent_as_the_ucum_code_ug() -> None:
    order = _medication("T-MCG", dose=units.Quantity(2.5, units.mcg), dose_unit="mcg")
    group = _group(_build_with([order]), "T-MCG")
    assert (group.rxo.rxo_2.value, group.rxo.rxo_4.ce_1.value) == ("2.5", "ug")
    assert group.rxo.rxo_4.ce_2.value == "mcg"


def test_infusion_rate_route_timing_and_prn_condition() -> None:
    order = _medication(
        "T-INF",
        dose=units.Quantity(1000, units.mg),
        route="enteral (PO or NG)",
        frequency="as needed",
        prn="seizure lasting 5 minutes & more",
        duration="2 days",
        dosage_form="solution",
        product_code="TEST-CODE",
        preparation=Preparation(rate=units.Quantity(12.5, units.mL_per_h), text="pump"),
    )
    group = _group(_build_with([order]), "T-INF")
    rxo = group.rxo
    assert rxo.rxo_1.value == "TEST-CODE^testdrug^L"
    assert rxo.rxo_2.value == "1000"
    assert rxo.rxo_5.ce_2.value == "solution"
    assert (rxo.rxo_21.value, rxo.rxo_22.ce_1.value) == ("12.5", "mL/h")
    assert group.rxr.rxr_1.ce_1.value == "PO"
    tq1 = group.omp_o09_timing.tq1
    assert tq1.tq1_3.rpt_1.value == "PRN&as needed&HL70335"
    assert tq1.tq1_6.value == "2^d&day&UCUM"
    assert tq1.tq1_7.value == "20261122060000-0500"
    assert tq1.tq1_9.cwe_1.value == "PRN"
    assert tq1.tq1_10.value == "seizure lasting 5 minutes \\T\\ more"


def test_a_once_order_given_as_needed_has_prn_priority() -> None:
    order = _medication("T-ONCE", frequency="once", prn="a seizure over 5 minutes")
    tq1 = _group(_build_with([order]), "T-ONCE").omp_o09_timing.tq1
    assert tq1.tq1_3.rpt_1.value == "Once&once&HL70335"
    assert tq1.tq1_9.cwe_1.value == "PRN"
    plain = _group(_build_with([_medication("T-NOW")]), "T-NOW").omp_o09_timing.tq1
    assert plain.tq1_9.cwe_1.value == "A"


def test_an_order_alert_goes_in_that_order_group_and_a_general_alert_in_the_header() -> None:
    orders = [_medication("T-A"), _medication("T-B", drug="otherdrug")]
    alerts = [
        Alert(id="A1", severity="critical", text="check T-A twice", order_id="T-A"),
        Alert(id="A2", severity="warning", text="whole set | note"),
    ]
    order_set = _build_with(orders, alerts)
    first = [n.nte_3.value for n in _group(order_set, "T-A").nte]
    second = [n.nte_3.value for n in _group(order_set, "T-B").nte]
    assert any("check T-A twice" in n for n in first)
    assert not any("check T-A twice" in n for n in second)
    for message in build_messages(order_set):
        header_notes = [n.nte_3.value for n in strict(message.text).nte]
        assert any("whole set \\F\\ note" in n for n in header_notes)


def test_unselected_medication_is_not_sent() -> None:
    order_set = _build_with([_medication("T-OFF", selected=False)])
    number = placer_numbers(order_set)["T-OFF"]
    assert number not in render(order_set).decode()


def test_a_medication_without_route_names_the_plugin() -> None:
    with pytest.raises(PluginError, match=r"hl7test.*T-NOROUTE"):
        render(_build_with([_medication("T-NOROUTE", route=None)]))


def test_cli_reports_hl7_input_problems_with_exit_2(tmp_path: Path, capsys: Any) -> None:
    data = copy.deepcopy(_toddler())
    data["patient"]["given_name"] = "B" * 300
    case = tmp_path / "long.json"
    case.write_text(json.dumps(data))
    out = tmp_path / "out.hl7"
    assert main(["build", str(case), "--format", "hl7", "-o", str(out)]) == 2
    assert "patient.given_name" in capsys.readouterr().err
    assert not out.exists()
