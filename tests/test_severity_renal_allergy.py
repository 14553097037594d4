"""Engine features every plugin relies on: SCORE-1, renal function, allergy screening."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderset import case_from_dict
from orderset.renal import renal_function
from orderset.severity import severity_score
from orderset.testing import build, case_data, has_order


def score(**changes):
    return severity_score(case_from_dict(case_data(**changes)))


@pytest.mark.parametrize(
    ("changes", "points", "band"),
    [
        # 3-year-old: no items -> 0, low
        ({}, 0, "low"),
        # shock 3 + brainstem 2 = 5 -> high
        ({"shock": True, "brainstem_lesion": True}, 5, "high"),
        # age exactly 48 months is not "over 48 months" (strict) -> 0
        ({"age_months": 48}, 0, "low"),
        # 49 months: over 48 -> 2 -> medium
        ({"age_months": 49}, 2, "medium"),
        # platelets 99 < 100 -> 1; 100 is not under 100 -> 0
        ({"platelets": "99 x10^9/L"}, 1, "low"),
        ({"platelets": "100 x10^9/L"}, 0, "low"),
        # CSF protein 61 > 60 -> 1; 60 is not over 60; 0.61 g/L = 61 mg/dL
        ({"csf_protein": "61 mg/dL"}, 1, "low"),
        ({"csf_protein": "60 mg/dL"}, 0, "low"),
        ({"csf_protein": "0.61 g/L"}, 1, "low"),
        # everything: 3 + 2 + 2 + 1 + 1 = 9 -> high
        (
            {
                "shock": True,
                "brainstem_lesion": True,
                "age_months": 60,
                "platelets": "50 x10^9/L",
                "csf_protein": "90 mg/dL",
            },
            9,
            "high",
        ),
    ],
)
def test_score_1_items_and_bands(changes, points, band):
    s = score(**changes)
    assert (s.score, s.band, s.missing) == (points, band, ())


def test_age_over_48_months_counts_from_the_day_after():
    # born 2022-11-22: 48 months on 2026-11-22 (assessment day) -> not over
    assert score(birth_date="2022-11-22").items[2].present is False
    # born 2022-11-21: 48 months and 1 day -> over
    assert score(birth_date="2022-11-21").items[2].present is True


def test_missing_items_give_a_band_range_and_are_listed():
    # shock 3 known; platelets and CSF protein (1 + 1) missing -> 3 to 5 -> medium or high
    s = score(shock=True, platelets=None, csf_protein=None)
    assert s.score == 3
    assert s.band == "medium or high"
    assert s.missing == ("platelets under 100 x10^9/L", "CSF protein over 60 mg/dL")
    # shock unknown (3) and brainstem unknown (2): 0 to 5 -> low, medium or high
    s = score(shock=None, brainstem_lesion=None)
    assert s.band == "low, medium or high"


def test_bedside_schwartz_for_a_child():
    # 0.413 x 96 cm / 0.3 mg/dL = 132.16; not reduced (60 or more)
    r = renal_function(case_from_dict(case_data()))
    assert (r.method, r.value, r.reduced) == ("bedside-schwartz", Decimal("132.16"), False)
    assert r.text.startswith("eGFR 132.2 mL/min/1.73 m2 (bedside Schwartz")
    # 0.413 x 96 / 0.7 = 56.64: under 60 -> reduced
    r = renal_function(case_from_dict(case_data(serum_creatinine="0.7 mg/dL")))
    assert (r.display_value, r.reduced) == ("56.6", True)
    assert renal_function(case_from_dict(case_data(height=None))) is None


def test_cockcroft_gault_for_an_adult():
    # male, 45 years, 110 kg, creatinine 3.6 mg/dL: (140 - 45) x 110 / (72 x 3.6)
    # = 10,450 / 259.2 = 40.32 mL/min, reduced (60 or less)
    adult = case_data(age_months=45 * 12, weight="110 kg", sex="male", serum_creatinine="3.6 mg/dL")
    r = renal_function(case_from_dict(adult))
    assert (r.method, r.display_value, r.unit, r.reduced) == (
        "cockcroft-gault",
        "40.3",
        "mL/min",
        True,
    )
    assert abs(r.value - Decimal(10450) / Decimal("259.2")) < Decimal("1e-20")
    # female: x 0.85 -> 34.27
    r = renal_function(case_from_dict({**adult, "patient": {**adult["patient"], "sex": "female"}}))
    assert r.display_value == "34.3"


def test_cockcroft_gault_is_not_rounded_before_its_thresholds():
    # male 40 years, creatinine 1 mg/dL, 43.272 kg: 100 x 43.272 / 72 = 60.1 -> over 60
    adult = case_data(
        age_months=40 * 12, sex="male", serum_creatinine="1 mg/dL", weight="43.272 kg"
    )
    r = renal_function(case_from_dict(adult))
    assert r.value > 60 and not r.reduced and r.display_value == "60.1"
    # 43.2 kg: 100 x 43.2 / 72 = 60 exactly -> 60 or less -> reduced
    r = renal_function(
        case_from_dict({**adult, "patient": {**adult["patient"], "weight": "43.2 kg"}})
    )
    assert r.value == 60 and r.reduced


def test_allergy_to_the_drug_removes_the_order_and_names_both():
    order_set = build(
        case_data(
            allergies=[{"substance": "Methylprednisolone (Solu-Medrol)", "reaction": "anaphylaxis"}]
        )
    )
    assert not has_order(order_set, "MP-1")
    alert = next(a for a in order_set.alerts if a.id == "ALLERGY-MP-1")
    assert alert.severity == "critical"
    assert "Methylprednisolone (Solu-Medrol)" in alert.text and "methylprednisolone" in alert.text


def test_allergy_to_the_drug_class_removes_the_order():
    for substance in ("corticosteroids", "Corticosteroid", "GLUCOCORTICOIDS"):
        order_set = build(case_data(allergies=[{"substance": substance, "reaction": None}]))
        assert not has_order(order_set, "MP-1"), substance
    # a longer word that merely starts with the drug name is not a match
    order_set = build(case_data(allergies=[{"substance": "methylprednisolonex", "reaction": None}]))
    assert has_order(order_set, "MP-1")


def test_unrelated_allergy_keeps_the_order_and_says_it_was_not_matched():
    order_set = build(case_data(allergies=[{"substance": "penicillin", "reaction": "hives"}]))
    assert has_order(order_set, "MP-1")
    allergy_alerts = [a for a in order_set.alerts if a.id.startswith("ALLERGY")]
    assert [(a.id, a.severity) for a in allergy_alerts] == [("ALLERGY-UNMATCHED", "info")]
    assert allergy_alerts[0].text == (
        "Allergy to penicillin: not matched to any ordered drug: check by hand."
    )


def test_allergy_plurals_in_ies_match_the_class():
    from orderset.allergies import screen
    from orderset.model import Allergy
    from orderset.testing import order

    mab = order(build(case_data(shock=True, brainstem_lesion=True)), "TCZ-1")
    assert "monoclonal antibody" in mab.drug_classes
    kept, alerts = screen([mab], (Allergy("Monoclonal antibodies", "anaphylaxis"),))
    assert kept == [] and alerts[0].order_id == "TCZ-1"


@pytest.mark.parametrize(
    ("substance", "order_id"),
    [
        ("Actemra", "TCZ-1"),
        ("solu-medrol", "MP-1"),
        ("TAMIFLU", "OSE-1"),
        ("Keppra", "SEIZ-1-LEVETIRACETAM"),
    ],
)
def test_a_brand_name_allergy_removes_the_generic_order(substance, order_id):
    order_set = build(
        case_data(
            shock=True,
            brainstem_lesion=True,
            allergies=[{"substance": substance, "reaction": "rash"}],
        )
    )
    assert not has_order(order_set, order_id)
    alert = next(a for a in order_set.alerts if a.id == f"ALLERGY-{order_id}")
    assert substance in alert.text and " is " in alert.text
