"""Renderers only render: JSON, HL7 and the sheet say the same thing, whatever plugin is off.

Each format is read back the way its reader would (JSON parsed, HL7 split into segments and
unescaped, the sheet's HTML reduced to text), and the alerts, the timing statement and the
order lines are compared. A disabled plugin's rules must then appear in no format at all: the
sheet once printed ALERT-1 and counted down to methylprednisolone with their plugins off.
"""

from __future__ import annotations

import html
import json
import re

import pytest

import orderset
from orderset.plugin.host import BUILTIN_PLUGINS
from orderset.renderers.hl7 import build_messages
from orderset.testing import build, case_data, fresh_host

PLUGINS = [name.rsplit(".", 1)[-1] for name in BUILTIN_PLUGINS]


def _cases() -> dict[str, dict]:
    return {
        "toddler": case_data(shock=True, brainstem_lesion=True),
        "late": case_data(neuro_onset="2026-11-20T14:00:00-05:00"),
        "allergy": case_data(allergies=[{"substance": "tocilizumab", "reaction": "rash"}]),
    }


def _sheet_text(order_set) -> str:
    markup = orderset.render(order_set, "html").decode()
    body = re.sub(r"<style.*?</style>|<svg.*?</svg>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _hl7_notes(order_set) -> list[str]:
    notes = []
    for message in build_messages(order_set):
        for seg in message.text.split("\r"):
            fields = seg.split("|")
            if fields[0] == "NTE":
                notes.append(_unescape(fields[3]))
    return notes


def _unescape(text: str) -> str:
    for code, char in (("\\F\\", "|"), ("\\S\\", "^"), ("\\T\\", "&"), ("\\R\\", "~")):
        text = text.replace(code, char)
    return text.replace("\\E\\", "\\")


def _flat(text: str) -> str:
    """Case-folded with single spaces: the sheet prints drug names in tall man letters."""
    return " ".join(text.split()).casefold()


@pytest.mark.parametrize("case_name", sorted(_cases()))
@pytest.mark.parametrize("disabled", [None, *PLUGINS])
def test_json_hl7_and_sheet_agree_with_any_plugin_disabled(case_name, disabled):
    disable = [disabled] if disabled else []
    order_set = build(_cases()[case_name], disable=disable)
    doc = json.loads(orderset.render(order_set, "json"))
    sheet = _flat(_sheet_text(order_set))
    notes = [_flat(n) for n in _hl7_notes(order_set)]

    # Every alert is in all three, and nothing else is printed as an alert.
    assert [a["id"] for a in doc["alerts"]] == [a.id for a in order_set.alerts]
    for alert in doc["alerts"]:
        assert _flat(alert["text"]) in sheet, alert["id"]
        assert any(_flat(alert["text"]) in n for n in notes), alert["id"]
    sheet_alerts = len(
        re.findall(r'class="alert alert-', orderset.render(order_set, "html").decode())
    )
    assert sheet_alerts == len(doc["alerts"])

    # The timing statement is the engine's, word for word.
    assert _flat(doc["timing"]["text"]) in sheet

    # Every order line is printed as JSON says; every selected one is sent in HL7.
    sent = {oid for m in build_messages(order_set) for oid in m.order_ids}
    assert sent == {o["id"] for o in doc["orders"] if o["selected"]}
    for o in doc["orders"]:
        assert _flat(o["text"]) in sheet, o["id"]
        if o["selected"]:
            assert f"order: {_flat(o['text'])}" in notes, o["id"]


@pytest.mark.parametrize("disabled", PLUGINS)
def test_a_disabled_plugins_rules_make_no_order_or_alert_in_any_format(disabled):
    """No order or alert of a disabled plugin's rules in any format: not in JSON's rule ids,
    not in HL7's "(rule X)" notes or OBR-4 codes, not in the sheet's rule column. (Another
    rule may still cite it as a source in its text: MP-1's glucose checks cite LAB-1.)"""
    rule_ids = [r.id for r in fresh_host().rules() if r.plugin == disabled]
    assert rule_ids, disabled
    order_set = build(_cases()["toddler"], disable=[disabled])
    doc = json.loads(orderset.render(order_set, "json"))
    used = {o["rule_id"] for o in doc["orders"]} | {a["rule_id"] for a in doc["alerts"]}
    hl7 = orderset.render(order_set, "hl7").decode()
    sheet = orderset.render(order_set, "html").decode()
    rule_column = re.findall(r'<td class="rule-col">([^<&]+?) &middot;', sheet)
    for rule_id in rule_ids:
        assert rule_id not in used, rule_id
        assert f"(rule {rule_id})" not in hl7, rule_id
        assert f"|{rule_id}-" not in hl7 and f"|{rule_id}^" not in hl7, rule_id
        assert rule_id not in [r.strip() for r in rule_column], rule_id
    assert rule_column, "the sheet's rule column was found"


def test_steroids_off_means_no_countdown_to_methylprednisolone():
    order_set = build(_cases()["toddler"], disable=["steroids"])
    assert "methylprednisolone" not in order_set.timing.text
    sheet = _sheet_text(order_set).casefold()
    assert "start methylprednisolone" not in sheet
    assert "give methylprednisolone" not in sheet
    assert "tocilizumab (tcz-1)" in _flat(order_set.timing.text)


def test_aspirin_alert_is_the_engines_and_stays_with_supportive_care_off():
    order_set = build(_cases()["toddler"], disable=["supportive_care"])
    alert = next(a for a in order_set.alerts if a.id == "ALERT-1")
    assert alert.plugin == ""
    assert "aspirin" in _sheet_text(order_set)
    doc = json.loads(orderset.render(order_set, "json"))
    assert "ALERT-1" in [a["id"] for a in doc["alerts"]]


def test_no_timed_order_says_so_in_every_format():
    order_set = build(_cases()["toddler"], disable=["steroids", "il6_blockade"])
    assert order_set.timing.window_hours is None
    doc = json.loads(orderset.render(order_set, "json"))
    assert doc["timing"]["text"] == "No order in this set is timed from onset."
    assert doc["timing"]["text"] in _sheet_text(order_set)


def test_an_alert_on_an_offered_or_removed_order_is_still_sent_in_hl7():
    order_set = build(_cases()["allergy"])
    allergy = next(a for a in order_set.alerts if a.order_id == "TCZ-1")
    assert not any(o.id == "TCZ-1" for o in order_set.orders)
    assert any(_flat(allergy.text) in n for n in (_flat(x) for x in _hl7_notes(order_set)))
