"""Defects found by the clinical audit of this wave's arithmetic, each a test that failed
before its fix (the audit's own reproductions)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import orderset
from orderset.dosing import round_to_increment
from orderset.testing import build, case_data, order


@pytest.mark.parametrize(
    ("capped", "rounded_would_be", "exact_deviation"),
    [
        # 2.727 mg -> 3 mg is +10.011%: shown as 10.0 once rounded, but over the limit.
        (Decimal("2.727"), Decimal("3.0"), "+10.011%"),
        # 2.668 mg -> 2.4 mg is -10.045%.
        (Decimal("2.668"), Decimal("2.4"), "-10.045%"),
    ],
)
def test_round_1_tests_the_exact_deviation_not_the_rounded_one(
    capped, rounded_would_be, exact_deviation
):
    given, deviation, review = round_to_increment(capped, Decimal("0.6"), None)
    assert review, exact_deviation
    assert given == capped and deviation == 0


def test_round_1_still_rounds_within_ten_percent():
    given, deviation, review = round_to_increment(Decimal("2.73"), Decimal("0.6"), None)
    # 3.0 / 2.73 = +9.89%: within the limit.
    assert (given, deviation, review) == (Decimal("3"), Decimal("9.9"), False)


def test_a_preterm_infant_dose_just_over_ten_percent_goes_to_pharmacist_review():
    # Born at 32 weeks, 6 weeks 5 days old: PMA 37.7 weeks -> 1 mg/kg; 2.727 kg -> 2.727 mg.
    data = case_data(age_months=1, weight="2.727 kg", gestational_age_at_birth="32 weeks")
    ose = order(build(data), "OSE-1")
    if ose.calculation.per_kg is not None and ose.calculation.per_kg.magnitude == 1:
        assert ose.calculation.pharmacist_review


def test_peramivir_says_how_far_to_dilute():
    data = case_data(enteral_route_available=False)
    peramivir = order(build(data), "OSE-2")
    assert "dilute to a final volume of at most 100 mL" in peramivir.preparation.text


def test_haemodialysis_oseltamivir_does_not_suggest_a_longer_course():
    order_set = orderset.build_order_set(orderset.load_case("examples/adult-hemodialysis.json"))
    ose = order(order_set, "OSE-1")
    assert "at most 5 days" in ose.text
    assert not any("longer course" in n for n in ose.notes)


def test_the_never_push_note_states_the_label_figure():
    mp1 = order(build(case_data()), "MP-1")
    assert any("over 0.5 g given in under 10 minutes" in n for n in mp1.notes)


def test_tocilizumab_fluid_over_ten_ml_per_kg_never_prints_as_ten():
    order_set = build(case_data(age_months=3, weight="4.999 kg"))
    tcz = order(order_set, "TCZ-1")
    assert "(10.1 mL/kg)" in tcz.text
    alert = next(a for a in order_set.alerts if a.id == "TCZ-1-FLUID")
    assert "10.1 mL/kg" in alert.text


def test_blood_pressure_checks_without_a_rule_frequency_are_graded_partial():
    doc = json.loads(orderset.render(build(case_data()), "json"))
    bp = next(o for o in doc["orders"] if o["id"] == "MP-1-BP")
    assert bp["evidence"]["grade"] == "partial"


def test_case_data_takes_the_new_optional_inputs():
    data = case_data(gestational_age_at_birth="34 weeks", methylprednisolone_days_given=1)
    assert data["patient"]["gestational_age_at_birth"] == "34 weeks"
    assert data["clinical"]["methylprednisolone_days_given"] == 1
