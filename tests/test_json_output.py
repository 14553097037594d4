"""JSON output format version 1: content, determinism."""

from __future__ import annotations

import json

import pytest

import orderset
from orderset.testing import build, case_data
from tests.conftest import EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_same_case_and_time_give_byte_identical_json(path):
    first = orderset.to_json(orderset.build_order_set(orderset.load_case(path)))
    second = orderset.to_json(orderset.build_order_set(orderset.load_case(path)))
    assert first == second


def test_document_has_the_format_version_1_fields():
    doc = orderset.to_json_dict(build(case_data()))
    assert doc["schema"] == "orderset/1"
    assert doc["assessed_at"] == "2026-11-22T06:00:00-05:00"
    assert doc["hours_since_onset"] == 10
    assert doc["patient"]["weight_kg"] == 14.2 and doc["patient"]["age_years"] == 3
    mp1 = next(o for o in doc["orders"] if o["id"] == "MP-1")
    # 30 mg/kg x 14.2 kg = 426 mg; ROUND-1 to 5 mg steps: 426 / 5 = 85.2 -> 85 x 5 = 425 mg
    assert mp1["dose"] == {"value": 425, "unit": "mg"}
    assert mp1["calculated_dose"] == {"value": 426, "unit": "mg"}
    assert mp1["calculation"]["text"] == "30 mg/kg x 14.2 kg = 426 mg; max 1,000 mg; given 425 mg"
    assert mp1["evidence"]["grade"] == "confirmed"
    for key in (
        "id",
        "plugin",
        "kind",
        "section",
        "selected",
        "text",
        "drug",
        "route",
        "frequency",
        "duration",
        "calculation",
        "evidence",
    ):
        assert key in mp1
    assert json.loads(orderset.to_json(build(case_data())))  # valid JSON text


def test_weight_in_lb_or_g_gives_identical_orders_json():
    def orders(weight):
        return orderset.to_json_dict(build(case_data(weight=weight)))["orders"]

    assert orders("14.2 kg") == orders("14200 g") == orders("31.30557 lb")
