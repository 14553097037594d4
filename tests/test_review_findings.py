"""Findings of the pharmacist's review that live in the engine and the renderers (issue 11):
minutes at the window's edge, HL7 review flag and routes, review alerts a pharmacist can act on.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import orderset
from orderset.renderers.hl7 import build_messages
from orderset.renderers.html import tall_man
from orderset.testing import build, case_data, order
from orderset.timing import hours_text
from tests.hl7_helpers import segments, strict


@pytest.mark.parametrize(
    ("hours", "up", "text"),
    [
        (Decimal(14), False, "14 hours"),
        (Decimal(1), False, "1 hour"),
        (Decimal("1.5"), False, "1 hour 30 minutes"),
        (Decimal(1) / 60, True, "1 minute"),
        (Decimal("0.01"), True, "1 minute"),  # 36 seconds past: never "0 hours"
        (Decimal("0.01"), False, "0 minutes"),  # 36 seconds left: never rounded up
        (Decimal("24") + Decimal(1) / 60, False, "24 hours 1 minute"),
    ],
)
def test_durations_are_in_minutes_and_never_round_across_an_edge(hours, up, text):
    assert hours_text(hours, up=up) == text


def test_one_minute_past_the_window_says_so():
    # Onset 2026-11-21 05:59 -05:00, assessed 2026-11-22 06:00: 24 hours 1 minute.
    order_set = build(case_data(neuro_onset="2026-11-21T05:59:00-05:00"))
    assert order_set.timing.within_window is False
    assert order_set.timing.text.startswith("Past the 24-hour window by 1 minute:")
    doc = orderset.to_json_dict(order_set)
    assert doc["hours_since_onset_text"] == "24 hours 1 minute"


def _infant_4_5_kg():
    return build(case_data(age_months=2, weight="4.5 kg"))


def test_a_dose_kept_unrounded_is_flagged_for_human_review_in_hl7():
    order_set = _infant_4_5_kg()
    reviewed = [o for o in order_set.selected_medications if o.calculation.pharmacist_review]
    assert reviewed, "a 4.5 kg infant has a lorazepam dose no 0.1 mg step fits within 10%"
    omp = next(m for m in build_messages(order_set) if m.structure == "OMP_O09")
    strict(omp.text)
    rxos = segments(omp.text, "RXO")
    fields = [(rxo.split("|") + [""] * 17)[16] for rxo in rxos]
    flags = dict(zip([o.id for o in order_set.selected_medications], fields, strict=True))
    for o in order_set.selected_medications:
        assert flags[o.id] == ("Y" if o.calculation.pharmacist_review else ""), o.id


def test_the_review_alert_names_the_drug_and_dose_and_keeps_the_order_id_plain():
    order_set = _infant_4_5_kg()
    alert = next(a for a in order_set.alerts if a.id == "REVIEW-SEIZ-1-LORAZEPAM")
    assert alert.text.startswith("Pharmacist review: lorazepam 0.45 mg (SEIZ-1) could not be")
    assert "0.1 mg step" in alert.text
    assert tall_man("REVIEW-SEIZ-1-LORAZEPAM") == "REVIEW-SEIZ-1-LORAZEPAM"
    assert tall_man("give lorazepam now") == "give LORazepam now"


def test_an_enteral_order_is_sent_with_both_routes_it_allows():
    order_set = build(case_data())
    oseltamivir = order(order_set, "OSE-1")
    assert oseltamivir.route == "enteral (PO or NG)"
    omp = next(m for m in build_messages(order_set) if m.structure == "OMP_O09")
    parsed = strict(omp.text)
    assert parsed is not None
    group = omp.text.split("ORC|")[
        1 + [o.id for o in order_set.selected_medications].index("OSE-1")
    ]
    assert [s.split("|")[1] for s in segments("ORC|" + group, "RXR")] == [
        "PO^Oral^HL70162",
        "NG^Nasogastric^HL70162",
    ]
