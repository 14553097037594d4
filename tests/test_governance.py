"""The order set is a clinical document: its approval shows on every output (issue 11)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import orderset
from orderset.errors import InputError
from orderset.renderers.hl7 import build_messages
from orderset.testing import build, case_data

APPROVED = {
    "approved_by": "P&T committee (medical, nursing and pharmacy leadership)",
    "approved_on": dt.date(2026, 11, 24),
    "review_due": dt.date(2027, 11, 24),
}


def _build(**governance):
    return build(case_data(), profile={"governance": governance})


def test_the_approval_is_in_json_hl7_and_on_every_page():
    order_set = _build(**APPROVED)
    text = (
        "approved by P&T committee (medical, nursing and pharmacy leadership) on 2026-11-24;"
        " review due 2027-11-24"
    )
    doc = json.loads(orderset.render(order_set, "json"))
    assert doc["governance"] == {
        "approved_by": APPROVED["approved_by"],
        "approved_on": "2026-11-24",
        "review_due": "2027-11-24",
        "review_overdue": False,
        "text": text,
    }
    for message in build_messages(order_set):
        nte = message.text.split("\r")[1]
        assert nte.startswith("NTE|1|P|Order set: orderset ")
        assert "approved by P\\T\\T committee" in nte  # & escaped as \T\
    sheet = orderset.render(order_set, "html").decode()
    footer = sheet.split('<div class="page-footer">')[1].split("</div>")[0]
    assert "approved by P&amp;T committee" in footer and "review due 2027-11-24" in footer
    assert not any(a.id == "GOVERNANCE-REVIEW-DUE" for a in order_set.alerts)


def test_no_approval_says_so_rather_than_nothing():
    order_set = build(case_data())
    assert order_set.governance.text == "approval not recorded in the institution profile"
    assert "approval not recorded" in orderset.render(order_set, "html").decode()


def test_a_build_after_the_review_date_warns():
    order_set = _build(
        **{**APPROVED, "approved_on": dt.date(2025, 11, 20), "review_due": dt.date(2026, 11, 21)}
    )
    assert order_set.governance.review_overdue
    alert = next(a for a in order_set.alerts if a.id == "GOVERNANCE-REVIEW-DUE")
    assert alert.severity == "warning" and "2026-11-21" in alert.text
    assert "(OVERDUE)" in order_set.governance.text


def test_a_profile_may_refuse_a_build_after_the_review_date():
    with pytest.raises(InputError, match=r"^governance.review_due: the order set's review was"):
        _build(review_due=dt.date(2026, 11, 21), when_overdue="refuse")


@pytest.mark.parametrize(
    ("governance", "message"),
    [
        ({"review_due": "next year"}, r"governance.review_due: 'next year' is not a date"),
        ({"approved_on": 20261124}, r"governance.approved_on: 20261124 is not a date"),
        (
            {"approved_on": dt.date(2026, 11, 24), "review_due": dt.date(2026, 1, 1)},
            r"governance.review_due: is before approved_on",
        ),
        ({"when_overdue": "ignore"}, r"governance.when_overdue: 'ignore' is not one of"),
        ({"aproved_by": "x"}, r"governance.aproved_by"),
    ],
)
def test_bad_governance_values_are_refused_naming_the_field(governance, message):
    with pytest.raises(InputError, match=message):
        _build(**governance)
