"""Issue 14: HL7 that a hospital's pharmacy interface accepts. One test (or more) per finding:
provider, visit, location, content ids and corrections, processing id, message time, routing
per message type, ASCII, coded content, orderable codes, allergies, one weight OBX, id
namespaces, and load-time length limits. Every message is read back by hl7apy (strict parse
and validate) and, where text matters, by python-hl7."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import hl7
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderset.cli import main
from orderset.errors import InputError
from orderset.loader import case_from_dict
from orderset.renderers.hl7 import (
    build_messages,
    placer_group_number,
    placer_numbers,
    render,
    render_batch,
)
from orderset.renderers.hl7_charset import to_ascii
from orderset.renderers.hl7_conformance import DEMO_ENCOUNTER
from orderset.renderers.json import to_json_dict
from orderset.testing import build
from tests.hl7_helpers import batch_messages, segments, strict

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
TODDLER = ROOT / "examples" / "toddler-shock-brainstem.json"
#: Every new encounter field (issue 14), the same as the conformance page's demonstration.
ENCOUNTER = DEMO_ENCOUNTER
ASCII = {"hl7": {"character_set": "ASCII"}}


def toddler(**encounter: Any) -> dict[str, Any]:
    data = json.loads(TODDLER.read_text())
    if encounter:
        data["encounter"] = encounter
    return data


def messages(data: dict[str, Any], **kw: Any) -> list[Any]:
    return [strict(m.text) for m in build_messages(build(data, **kw.pop("build", {})), **kw)]


def omp_omg(data: dict[str, Any], **build_kw: Any) -> tuple[str, str]:
    texts = [m.text for m in build_messages(build(data, **build_kw))]
    (omp,) = [t for t in texts if "|OMP^O09^" in t]
    (omg,) = [t for t in texts if "|OMG^O19^" in t]
    return omp, omg


def field(segment_text: str, n: int) -> str:
    return segment_text.split("|")[n]


# ---- findings 1, 2, 3: provider, visit number, location -----------------------------------------


def test_ordering_provider_is_in_orc_12_obr_16_and_pv1_7() -> None:
    omp, omg = (strict(t) for t in omp_omg(toddler(**ENCOUNTER)))
    for group in omp.omp_o09_order:
        xcn = group.orc.orc_12
        assert (xcn.xcn_1.value, xcn.xcn_2.to_er7(), xcn.xcn_3.value) == (
            "1234567893",
            "Okafor",
            "Ada",
        )
        assert xcn.xcn_9.to_er7() == "NPI"
    for group in omg.omg_o19_order:
        assert group.obr.obr_16.xcn_1.value == "1234567893"
        assert group.orc.orc_12.xcn_1.value == "1234567893"
    pv1 = omp.omp_o09_patient.omp_o09_patient_visit.pv1
    assert pv1.pv1_7.xcn_1.value == "1234567893"


def test_visit_number_is_in_pv1_19_and_pid_18() -> None:
    for message in messages(toddler(**ENCOUNTER)):
        text = message.to_er7()
        (pv1,) = segments(text.replace("\n", "\r"), "PV1")
        (pid,) = segments(text.replace("\n", "\r"), "PID")
        assert field(pv1, 19).split("^")[0] == "V20261122-7"
        assert field(pv1, 19).split("^")[4] == "VN"
        assert field(pid, 18).split("^")[0] == "V20261122-7"


def test_location_parts_go_to_pv1_3_components_with_the_text_in_pl_9() -> None:
    omp, _ = omp_omg(toddler(**ENCOUNTER))
    pl = strict(omp).omp_o09_patient.omp_o09_patient_visit.pv1.pv1_3
    assert (pl.pl_1.value, pl.pl_2.value, pl.pl_3.value) == ("PICU", "4", "12")
    assert pl.pl_4.to_er7() == "NORTH"
    assert pl.pl_9.value == "PICU, room 4, bed 12, NORTH"


def test_format_1_cases_without_the_new_fields_still_load_and_send_text_location() -> None:
    omp, _ = omp_omg(toddler())
    (pv1,) = segments(omp, "PV1")
    assert field(pv1, 3) == "^^^^^^^^PICU bed 12"
    orc = segments(omp, "ORC")[0].split("|")
    assert orc[1] == "NW" and len(orc) <= 12, "no ORC-12 without an ordering provider"


@pytest.mark.parametrize(
    ("encounter", "path"),
    [
        ({"location": {"room": "R" * 21}}, "encounter.location.room"),
        ({"location": {"rom": "4"}}, "encounter.location.rom"),
        ({"location": {}}, "encounter.location"),
        ({"visit_number": "V" * 21}, "encounter.visit_number"),
        ({"visit_number": "V\u00e9"}, "encounter.visit_number"),
        ({"ordering_provider": {"family_name": "Okafor"}}, "encounter.ordering_provider.id"),
        ({"ordering_provider": {"id": "1", "npi": "2"}}, "encounter.ordering_provider.npi"),
        (
            {"ordering_provider": {"id": "1", "given_name": "A" * 101}},
            "encounter.ordering_provider.given_name",
        ),
        ({"location": "L" * 500}, "encounter.location"),
    ],
)
def test_finding_14_new_fields_are_checked_at_load_for_every_format(
    encounter: dict[str, Any], path: str, tmp_path: Path, capsys: Any
) -> None:
    data = toddler(**encounter)
    with pytest.raises(InputError) as caught:
        case_from_dict(data)
    assert caught.value.field == path
    case = tmp_path / "case.json"
    case.write_text(json.dumps(data))
    for fmt in ("json", "hl7"):
        out = tmp_path / f"out.{fmt}"
        assert main(["build", str(case), "--format", fmt, "-o", str(out)]) == 2
        assert path in capsys.readouterr().err
        assert not out.exists()


# ---- finding 4: ids follow the content; corrections -----------------------------------------


def _weight(data: dict[str, Any], weight: str) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data["patient"]["weight"] = weight
    return data


def test_a_changed_weight_gives_new_message_and_order_ids_and_the_same_group() -> None:
    before, after = build(toddler()), build(_weight(toddler(), "16 kg"))
    ids = [m.control_id for m in build_messages(before)]
    new_ids = [m.control_id for m in build_messages(after)]
    assert ids[0] != new_ids[0], "the OMP^O09 says new doses"
    assert ids[1] == new_ids[1], "the OMG^O19 says the same (no weight in nursing orders)"
    old_numbers, new_numbers = placer_numbers(before), placer_numbers(after)
    assert old_numbers["MP-1"] != new_numbers["MP-1"]
    # A nursing order whose content does not depend on the weight keeps its number.
    assert old_numbers["SUP-1-ICU"] == new_numbers["SUP-1-ICU"]
    assert placer_group_number(before.case) == placer_group_number(after.case)


def test_adding_an_order_by_profile_changes_the_message_id() -> None:
    plain = build_messages(build(toddler()))
    more = build_messages(build(toddler(), profile={"selection": {"IVIG-1": True}}))
    assert plain[0].control_id != more[0].control_id


def test_the_same_content_gives_byte_identical_messages_at_the_same_message_time() -> None:
    when = dt.datetime(2026, 11, 22, 6, 40, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    one = render_batch(build(toddler()), message_time=when)
    two = render_batch(build(toddler()), message_time=when)
    assert one == two


def test_the_message_time_does_not_change_any_id() -> None:
    when = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
    plain = build_messages(build(toddler()))
    later = build_messages(build(toddler()), message_time=when)
    assert [m.control_id for m in plain] == [m.control_id for m in later]
    assert [m.text for m in plain] != [m.text for m in later]


def _previous(tmp_path: Path, data: dict[str, Any], **kw: Any) -> Path:
    path = tmp_path / "previous.json"
    path.write_text(json.dumps(to_json_dict(build(data, **kw))))
    return path


def test_replaces_sends_xo_with_the_new_dose_and_new_ids_and_nothing_for_unchanged(
    tmp_path: Path,
) -> None:
    previous = json.loads(_previous(tmp_path, toddler()).read_text())
    old = build(toddler())
    old_numbers = placer_numbers(old)
    new = build(_weight(toddler(), "16 kg"))
    sent = [strict(m.text) for m in build_messages(new, replaces=previous)]
    assert [m.msh.msh_9.msg_3.value for m in sent] == ["OMP_O09"], "nursing orders unchanged"
    groups = {g.orc.orc_8.to_er7().split("&")[0]: g for g in sent[0].omp_o09_order}
    mp1 = groups[old_numbers["MP-1"]]
    assert mp1.orc.orc_1.value == "XO"
    assert mp1.rxo.rxo_2.value == "480"  # 30 mg/kg x 16 kg (MP-1)
    assert mp1.orc.orc_2.ei_1.value == placer_numbers(new)["MP-1"] != old_numbers["MP-1"]
    assert sent[0].msh.msh_10.value not in {m.control_id for m in build_messages(old)}
    assert {g.orc.orc_1.value for g in sent[0].omp_o09_order} == {"XO"}


def test_replaces_with_the_same_content_sends_nothing(tmp_path: Path) -> None:
    previous = json.loads(_previous(tmp_path, toddler()).read_text())
    assert build_messages(build(toddler()), replaces=previous) == ()


def test_the_pharmacys_preparation_is_not_part_of_an_orders_content(tmp_path: Path) -> None:
    """A later preparation time or a restocked vial size changes `preparation.pharmacy` in the
    JSON, not what was ordered: no XO, and the same placer numbers."""
    prepared = build(toddler())
    previous = to_json_dict(prepared, dt.datetime.fromisoformat("2026-11-22T09:00:00-05:00"))
    tcz = next(o for o in previous["orders"] if o["id"] == "TCZ-1")
    assert tcz["preparation"]["pharmacy"]["beyond_use"][0]["until"], "the JSON did change"
    restock = {
        "formulary": {
            "tocilizumab-iv": {"presentations": [{"content": "400 mg", "volume": "20 mL"}]}
        }
    }
    for current in (build(toddler()), build(toddler(), profile=restock)):
        assert build_messages(current, replaces=previous) == ()
        assert placer_numbers(current) == placer_numbers(prepared)


def test_replaces_sends_nw_for_an_added_order_and_dc_for_a_removed_one(tmp_path: Path) -> None:
    with_ivig = {"selection": {"IVIG-1": True}}
    previous = json.loads(_previous(tmp_path, toddler(), profile=with_ivig).read_text())
    old_numbers = placer_numbers(build(toddler(), profile=with_ivig))
    profile = {"selection": {"IVIG-1": False, "SUP-1-GENETICS": True}}
    order_set = build(toddler(), profile=profile)
    sent = [strict(m.text) for m in build_messages(order_set, replaces=previous)]
    omp = next(m for m in sent if m.msh.msh_9.msg_3.value == "OMP_O09")
    (removed,) = omp.omp_o09_order
    assert removed.orc.orc_1.value == "DC"
    assert removed.orc.orc_2.ei_1.value == old_numbers["IVIG-1"]
    ivig = next(o for o in previous["orders"] if o["id"] == "IVIG-1")
    assert removed.rxo.rxo_1.ce_2.value == ivig["drug"]
    assert Decimal(removed.rxo.rxo_2.value) == Decimal(str(ivig["dose"]["value"]))
    assert removed.rxr.rxr_1.ce_1.value == "IV"
    omg = next(m for m in sent if m.msh.msh_9.msg_3.value == "OMG_O19")
    (added,) = omg.omg_o19_order
    assert added.orc.orc_1.value == "NW"
    assert added.obr.obr_4.ce_1.value == "SUP-1-GENETICS"
    cancel = {"hl7": {"removed_order_control": "CA"}, "selection": {"IVIG-1": False}}
    (omp_ca,) = build_messages(build(toddler(), profile=cancel), replaces=previous)
    assert "ORC|CA|" in omp_ca.text


def test_replaces_refuses_another_patients_order_set(tmp_path: Path) -> None:
    previous = json.loads(_previous(tmp_path, toddler()).read_text())
    previous["patient"]["mrn"] = "B7654321"
    with pytest.raises(InputError, match=r"replaces\.patient\.mrn"):
        build_messages(build(toddler()), replaces=previous)


def test_cli_build_replaces_and_message_time(tmp_path: Path, capsys: Any) -> None:
    previous = _previous(tmp_path, toddler())
    case = tmp_path / "case.json"
    case.write_text(json.dumps(_weight(toddler(), "16 kg")))
    out = tmp_path / "fix.hl7"
    argv = ["build", str(case), "--format", "hl7", "--replaces", str(previous)]
    assert main([*argv, "--message-time", "2026-11-22T06:45:00-05:00", "-o", str(out)]) == 0
    (omp,) = batch_messages(out.read_bytes())
    assert strict(omp).msh.msh_7.value == "20261122064500-0500"
    assert "ORC|XO|" in omp and "ORC|NW|" not in omp
    bad = tmp_path / "bad.hl7"
    assert main([*argv, "--message-time", "2026-11-22T06:45", "-o", str(bad)]) == 2
    assert "--message-time" in capsys.readouterr().err and not bad.exists()
    assert main(["build", str(case), "--replaces", str(previous), "-o", str(bad)]) == 2
    assert "--replaces" in capsys.readouterr().err and not bad.exists()


# ---- findings 5, 6, 7: processing id, message time, receivers ------------------------------


@pytest.mark.parametrize("processing_id", ["P", "T", "D"])
def test_processing_id_comes_from_the_profile(processing_id: str) -> None:
    profile = {"hl7": {"processing_id": processing_id}}
    for message in messages(toddler(), build={"profile": profile}):
        assert message.msh.msh_11.pt_1.value == processing_id
    with pytest.raises(InputError, match=r"hl7\.processing_id"):
        build(toddler(), profile={"hl7": {"processing_id": "X"}})


def test_message_time_goes_to_msh_7_orc_9_and_tq1_7_and_defaults_to_assessed_at() -> None:
    when = dt.datetime(2026, 11, 22, 7, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    data = render_batch(build(toddler()), message_time=when)
    for text in batch_messages(data):
        message = strict(text)
        assert message.msh.msh_7.value == "20261122071530-0500"
        for orc in segments(text, "ORC"):
            assert field(orc, 9) == "20261122071530-0500"
        for tq1 in segments(text, "TQ1"):
            assert field(tq1, 7) in ("20261122071530-0500", "")
    default = batch_messages(render(build(toddler())))
    assert all(strict(t).msh.msh_7.value == "20261122060000-0500" for t in default)
    with pytest.raises(InputError, match="message_time"):
        build_messages(build(toddler()), message_time=dt.datetime(2026, 11, 22, 7))


def test_omp_and_omg_go_to_the_receivers_the_profile_names() -> None:
    profile = {
        "hl7": {
            "omp_receiving_application": "RX",
            "omp_receiving_facility": "RX-NORTH",
            "omg_receiving_application": "CPOE",
        }
    }
    omp, omg = (strict(t) for t in omp_omg(toddler(), profile=profile))
    assert (omp.msh.msh_5.value, omp.msh.msh_6.value) == ("RX", "RX-NORTH")
    assert omg.msh.msh_5.value == "CPOE"
    assert omg.msh.msh_6.value == "EXAMPLE-CH"  # falls back to receiving_facility


def test_a_site_profile_layered_on_the_default_can_split_the_receivers() -> None:
    profile = {"hl7": {"receiving_application": "RX", "omg_receiving_application": "ORDERS"}}
    omp, omg = (strict(t) for t in omp_omg(toddler(), profile=profile))
    assert (omp.msh.msh_5.value, omg.msh.msh_5.value) == ("RX", "ORDERS")


# ---- finding 8: character set ----------------------------------------------------------------


def test_msh_18_declares_utf_8_by_default() -> None:
    for message in messages(toddler()):
        assert message.msh.msh_18.value == "UNICODE UTF-8"


@pytest.mark.parametrize("case_path", EXAMPLES, ids=lambda p: p.stem)
def test_ascii_profile_gives_messages_python_hl7_reads_with_ascii(case_path: Path) -> None:
    data = render(build(json.loads(case_path.read_text()), profile=ASCII))
    data.decode("ascii")  # every byte, the batch envelope included
    for text in batch_messages(data):
        message = strict(text)
        assert message.msh.msh_18.value == "ASCII"
        hl7.parse(text.encode("ascii"), encoding="ascii")


def test_ascii_transliterates_36_degrees_c() -> None:
    _, omg = omp_omg(toddler(), profile=ASCII)
    assert "Normothermia: target temperature 36 C^" in omg
    assert "\u00b0" not in omg


def test_ascii_keeps_names_readable_and_never_invents_a_delimiter() -> None:
    data = toddler()
    data["patient"]["family_name"] = "Sch\u00f6nb\u00e4r|\u00d8\u00dfe"
    data["patient"]["given_name"] = "Zo\u00eb \u00bd \u2260 \u738b"
    omp, _ = omp_omg(data, profile=ASCII)
    (pid,) = segments(omp, "PID")
    name = field(pid, 5).split("^")
    assert name[0] == "Schonbar\\F\\Osse"
    assert name[1] == "Zoe 1/2 != ?"


@given(st.text(min_size=1, max_size=1))
def test_every_character_becomes_short_ascii(char: str) -> None:
    out = to_ascii(char) if not char.isascii() else char
    assert out.isascii() and len(out) <= 4


# ---- findings 9, 10: coded content and orderable codes ------------------------------------


def test_tocilizumab_admixture_has_rxc_drug_and_diluent_and_rxo_dispense_and_strength() -> None:
    omp, _ = omp_omg(toddler())
    message = strict(omp)
    numbers = placer_numbers(build(toddler()))
    (group,) = [g for g in message.omp_o09_order if g.orc.orc_2.ei_1.value == numbers["TCZ-1"]]
    additive, base = group.omp_o09_component
    assert additive.rxc.rxc_1.value == "A"
    assert additive.rxc.rxc_2.ce_2.value == "tocilizumab"
    assert (additive.rxc.rxc_3.value, additive.rxc.rxc_4.ce_1.value) == ("170", "mg")
    assert base.rxc.rxc_1.value == "B"
    assert "sodium chloride" in base.rxc.rxc_2.ce_2.value
    # 50 mL final volume less the 8.5 mL of drug (20 mg/mL) drawn up (TCZ-1 preparation).
    assert (base.rxc.rxc_3.value, base.rxc.rxc_4.ce_1.value) == ("41.5", "mL")
    assert (group.rxo.rxo_11.value, group.rxo.rxo_12.ce_1.value) == ("8.5", "mL")
    assert (group.rxo.rxo_18.value, group.rxo.rxo_19.ce_1.value) == ("20", "mg/mL")


def test_ivig_has_dispense_volume_strength_and_rate_coded() -> None:
    omp, _ = omp_omg(toddler(), profile={"selection": {"IVIG-1": True}})
    numbers = placer_numbers(build(toddler(), profile={"selection": {"IVIG-1": True}}))
    (group,) = [g for g in strict(omp).omp_o09_order if g.orc.orc_2.ei_1.value == numbers["IVIG-1"]]
    assert group.rxo.rxo_11.value == "140"  # 14 g at 100 mg/mL (IVIG-1, 1 g/kg)
    assert group.rxo.rxo_18.value == "100"
    assert group.rxo.rxo_21.value == "4.3"  # first titration step, 0.5 mg/kg/min


@pytest.mark.parametrize("case_path", EXAMPLES, ids=lambda p: p.stem)
def test_every_scheduled_order_has_a_tq1_repeat_pattern(case_path: Path) -> None:
    order_set = build(json.loads(case_path.read_text()))
    by_number = {n: o for o, n in ((o, placer_numbers(order_set)[o.id]) for o in order_set.orders)}
    for message in build_messages(order_set):
        orcs, tq1s = segments(message.text, "ORC"), segments(message.text, "TQ1")
        for orc, tq1 in zip(orcs, tq1s, strict=True):
            order = by_number[field(orc, 2).split("^")[0]]
            says_every = " every " in f" {order.text} " or order.frequency
            if says_every and "per unit protocol" not in order.text:
                assert field(tq1, 3), f"{order.id}: {order.text}"


def test_neurologic_checks_every_hour_repeat_q1h() -> None:
    _, omg = omp_omg(toddler())
    (obr,) = [s for s in segments(omg, "OBR") if "SUP-1-NEURO-CHECKS" in s]
    index = segments(omg, "OBR").index(obr)
    assert field(segments(omg, "TQ1")[index], 3).split("&")[0] == "Q1H"


ORDERABLES = {
    "hl7": {
        "orderables": {
            "SUP-1-NEURO-CHECKS": {"code": "NUR1001", "system": "99EXA", "text": "Neuro checks"},
            "SUP-1": {"code": "NUR1000", "system": "99EXA"},
            "TCZ-1": {"code": "RX-TCZ", "system": "99RX"},
        }
    }
}


def test_orderable_codes_map_order_and_rule_ids_to_site_codes() -> None:
    omp, omg = omp_omg(toddler(), profile=ORDERABLES)
    obr4 = {field(s, 4) for s in segments(omg, "OBR")}
    assert "NUR1001^Neuro checks^99EXA" in obr4
    assert "NUR1000^Admit to the pediatric intensive care unit^99EXA" in obr4
    assert not any(code.startswith("SUP-1-") for code in obr4)
    assert "MP-1-GLUCOSE^" in "".join(obr4)  # unmapped: sent as a local code
    assert "RXO|RX-TCZ^tocilizumab^99RX|" in omp
    strict(omp), strict(omg)


def test_unmapped_orders_are_refused_when_the_profile_says_so() -> None:
    profile = copy.deepcopy(ORDERABLES)
    profile["hl7"]["unmapped_orderables"] = "refuse"
    with pytest.raises(InputError, match=r"hl7\.orderables.*MP-1"):
        build_messages(build(toddler(), profile=profile))


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        ({"code": "X"}, "hl7.orderables.MP-1.system"),
        ({"code": "X", "system": "local codes"}, "hl7.orderables.MP-1.system"),
        ({"code": "", "system": "L"}, "hl7.orderables.MP-1.code"),
        ({"code": "X", "system": "L", "colour": "red"}, "hl7.orderables.MP-1.colour"),
    ],
)
def test_a_bad_orderable_entry_is_refused_naming_it(entry: dict[str, Any], path: str) -> None:
    with pytest.raises(InputError) as caught:
        build(toddler(), profile={"hl7": {"orderables": {"MP-1": entry}}})
    assert caught.value.field == path


# ---- finding 11: allergies -------------------------------------------------------------------


def test_al1_has_type_and_severity() -> None:
    data = toddler()
    data["patient"]["allergies"] = [
        {"substance": "penicillin", "reaction": "hives"},
        {"substance": "peanut", "reaction": "anaphylaxis", "type": "food", "severity": "severe"},
    ]
    omp, _ = omp_omg(data)
    first, second = strict(omp).omp_o09_patient.al1
    assert (first.al1_2.ce_1.value, first.al1_4.ce_1.value) == ("DA", "U")
    assert (second.al1_2.ce_1.value, second.al1_4.ce_1.value) == ("FA", "SV")
    assert first.al1_2.ce_3.value == "HL70127" and first.al1_4.ce_3.value == "HL70128"


def test_no_known_allergies_is_an_al1_or_an_nte_per_profile() -> None:
    data = toddler()
    data["patient"]["allergies"] = []
    omp, _ = omp_omg(data)
    (al1,) = segments(omp, "AL1")
    assert al1 == "AL1|1|DA^Drug allergy^HL70127|NKA^No known allergies^L"
    assert "Allergies: no known allergies." not in omp
    nte, _ = omp_omg(data, profile={"hl7": {"no_known_allergies": "nte"}})
    assert not segments(nte, "AL1") and "Allergies: no known allergies." in nte


def test_allergy_type_outside_the_list_is_refused_at_load() -> None:
    data = toddler()
    data["patient"]["allergies"] = [{"substance": "latex", "type": "rubber"}]
    with pytest.raises(InputError, match=r"patient\.allergies\[0\]\.type"):
        case_from_dict(data)


# ---- findings 12, 13: one weight OBX, namespaces --------------------------------------------


def test_one_weight_obx_per_message_unless_the_profile_asks_for_every_order() -> None:
    omp, _ = omp_omg(toddler())
    weights = [s for s in segments(omp, "OBX") if "29463-7" in s]
    assert len(weights) == 1
    every, _ = omp_omg(toddler(), profile={"hl7": {"weight_in_every_order": True}})
    assert len([s for s in segments(every, "OBX") if "29463-7" in s]) == len(segments(every, "RXO"))
    strict(every)


def test_placer_numbers_carry_the_namespace() -> None:
    profile = {"hl7": {"placer_namespace": "ORDERSET-NORTH"}}
    for message in messages(toddler(), build={"profile": profile}):
        text = message.to_er7().replace("\n", "\r")
        for orc in segments(text, "ORC"):
            assert field(orc, 2).endswith("^ORDERSET-NORTH")
            assert field(orc, 4).endswith("^ORDERSET-NORTH")
        for obr in segments(text, "OBR"):
            assert field(obr, 2).endswith("^ORDERSET-NORTH")


def test_the_default_profile_sends_a_namespace() -> None:
    omp, _ = omp_omg(toddler())
    assert field(segments(omp, "ORC")[0], 2).split("^")[1] == "ORDERSET"


# ---- every example, every profile option, random patients ---------------------------------

EVERYTHING = {
    "hl7": {
        "character_set": "ASCII",
        "processing_id": "T",
        "placer_namespace": "OS",
        "weight_in_every_order": True,
        **ORDERABLES["hl7"],
    }
}


@pytest.mark.parametrize("case_path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_with_every_new_field_and_option_passes_strict_validation(
    case_path: Path,
) -> None:
    data = json.loads(case_path.read_text())
    data["encounter"] = {**data.get("encounter", {}), **ENCOUNTER}
    for text in batch_messages(render(build(data, profile=EVERYTHING))):
        strict(text)
        hl7.parse(text.encode("ascii"), encoding="ascii")


#: Latin, Greek and Cyrillic letters (printable on the sheet, so the case loads), the HL7
#: delimiters, and signs the ASCII table handles.
names = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x24F, blacklist_categories=("Cc",)),
        st.characters(min_codepoint=0x391, max_codepoint=0x44F, whitelist_categories=("Lu", "Ll")),
        st.sampled_from("|^&~\\\u00b0\u00b5\u00bd\u2013\u2260"),
    ),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    family=names,
    given_name=names,
    weight=st.decimals(min_value=8, max_value=30, places=1),
    room=st.text(alphabet="ABC123-", min_size=1, max_size=20),
    ascii_profile=st.booleans(),
)
def test_random_patients_pass_strict_validation(
    family: str, given_name: str, weight: Any, room: str, ascii_profile: bool
) -> None:
    data = toddler(**{**ENCOUNTER, "location": {"point_of_care": "PICU", "room": room}})
    data["patient"].update(family_name=family, given_name=given_name, weight=f"{weight} kg")
    order_set = build(data, profile=ASCII if ascii_profile else None)
    for text in batch_messages(render(order_set)):
        strict(text)
        if ascii_profile:
            hl7.parse(text.encode("ascii"), encoding="ascii")


def test_a_name_too_long_once_in_ascii_is_refused_at_load_for_every_profile() -> None:
    data = toddler()
    data["patient"]["family_name"] = "\u00df" * 100  # 100 characters; "ss" each in ASCII
    with pytest.raises(InputError, match=r"patient\.family_name.*ASCII"):
        case_from_dict(data)
    data["patient"]["family_name"] = "\u00df" * 99
    for text in batch_messages(render(build(data, profile=ASCII))):
        strict(text)


def test_cli_replaces_errors_name_the_option_and_file_and_an_unchanged_set_says_so(
    tmp_path: Path, capsys: Any
) -> None:
    previous = _previous(tmp_path, toddler())
    out = tmp_path / "fix.hl7"
    argv = ["build", str(TODDLER), "--format", "hl7", "--replaces", str(previous), "-o", str(out)]
    assert main(argv) == 0
    assert "nothing changed since" in capsys.readouterr().err
    assert batch_messages(out.read_bytes()) == []
    other = ROOT / "examples" / "school-age-26kg.json"
    bad = tmp_path / "other.hl7"
    argv = ["build", str(other), "--format", "hl7", "--replaces", str(previous), "-o", str(bad)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--replaces: {previous}: patient.mrn:" in err and "another patient" in err
    assert not bad.exists()


def test_the_json_and_the_sheet_carry_the_visit_and_the_ordering_provider() -> None:
    """What the HL7 messages say about the encounter is in the JSON a site keeps and on the
    sheet the physician signs, not only in PV1/ORC-12."""
    from orderset.renderers import html as sheet

    data = toddler(
        visit_number="V7781",
        ordering_provider={"id": "1234567890", "family_name": "Smith", "id_authority": "NPI"},
        location={"point_of_care": "PICU", "bed": "12"},
    )
    order_set = build(data)
    encounter = to_json_dict(order_set)["encounter"]
    assert encounter["visit_number"] == "V7781"
    assert encounter["ordering_provider"] == {
        "id": "1234567890",
        "family_name": "Smith",
        "given_name": None,
        "id_authority": "NPI",
    }
    assert encounter["location_parts"]["point_of_care"] == "PICU"
    page = sheet.render_html(order_set)
    assert "<th>Visit</th><td>V7781</td>" in page
    assert "<th>Ordering provider</th><td>Smith (NPI 1234567890)</td>" in page
    plain = build(toddler())
    assert to_json_dict(plain)["encounter"]["ordering_provider"] is None
    assert "Ordering provider" not in sheet.render_html(plain)
