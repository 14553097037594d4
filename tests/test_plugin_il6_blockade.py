"""TCZ-1 tocilizumab, through the public build API.

Expected values are worked out by hand in the tables from clinical-rules.md: the weight band
(12 mg/kg under 30 kg, 8 mg/kg from 30 kg), the 800 mg cap, the ROUND-1 2 mg step, the drug
volume at 20 mg/mL and the final bag of 50 or 100 mL infused over 60 minutes.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from orderset import InputError, units
from orderset.engine import build_order_set
from orderset.formatting import ismp_violations, to_decimal
from orderset.loader import case_from_dict
from orderset.testing import build, case_data, fresh_host, has_order, order

D = Decimal
EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.json"))
#: Severity items all absent (score 0, band low) in the base case; these make it high.
HIGH = {"shock": True, "brainstem_lesion": True}  # 3 + 2 = 5: high (5-9)


def mag(q, unit=units.mg) -> Decimal:
    return to_decimal(q.to(unit).magnitude).normalize()


def alerts(order_set, prefix: str):
    return [a for a in order_set.alerts if a.id.startswith(prefix)]


# ---- dose, band edges, cap ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_months", "weight", "calculated", "given", "final_ml"),
    [
        # 6 months, 3 kg: 12 x 3 = 36 mg = 18 steps of 2 mg exactly
        (6, "3 kg", D(3) * 12, D(36), D(50)),
        # 14.2 kg: 12 x 14.2 = 170.4 mg; 170.4 / 2 = 85.2 steps -> 85 -> 170 mg (-0.2%)
        (44, "14.2 kg", D("14.2") * 12, D(170), D(50)),
        # 29.9 kg (last under-30 weight): 12 x 29.9 = 358.8; 179.4 steps -> 179 -> 358 mg
        (120, "29.9 kg", D("29.9") * 12, D(358), D(50)),
        # 30 kg: band edge, 30 kg or more is 8 mg/kg: 8 x 30 = 240 mg; bag 100 mL
        (120, "30 kg", D(30) * 8, D(240), D(100)),
        # 30.1 kg: 8 x 30.1 = 240.8; 120.4 steps -> 120 -> 240 mg
        (120, "30.1 kg", D("30.1") * 8, D(240), D(100)),
        # 99.9 kg: 8 x 99.9 = 799.2; 399.6 steps -> 400 -> 800 mg, not over the cap
        (180, "99.9 kg", D("99.9") * 8, D(800), D(100)),
        # 100 kg: 8 x 100 = 800 mg: the cap is reached exactly
        (180, "100 kg", D(100) * 8, D(800), D(100)),
        # 100.1 kg: 8 x 100.1 = 800.8 -> capped at 800 mg
        (180, "100.1 kg", D("100.1") * 8, D(800), D(100)),
        # 150 kg: 8 x 150 = 1,200 -> capped at 800 mg
        (240, "150 kg", D(150) * 8, D(800), D(100)),
    ],
)
def test_tocilizumab_dose_band_and_cap(age_months, weight, calculated, given, final_ml):
    o = order(build(case_data(age_months=age_months, weight=weight)), "TCZ-1")
    calc = o.calculation
    assert mag(calc.calculated) == calculated.normalize()
    assert mag(o.dose) == given
    assert mag(o.daily_dose) == given  # single dose
    assert mag(calc.maximum) == 800
    assert calc.capped == (calculated > 800)
    assert not calc.pharmacist_review
    prep = o.preparation
    assert mag(prep.concentration, units.mg_per_mL) == 20
    assert mag(prep.drug_volume, units.mL) == given / 20  # 20 mg/mL
    assert mag(prep.final_volume, units.mL) == final_ml
    # TCZ-1 (2026-11-24): 0.9% or 0.45% sodium chloride (label).
    assert prep.diluent == "0.9% or 0.45% sodium chloride"
    assert mag(prep.infuse_over, units.minute) == 60
    assert mag(prep.rate, units.mL_per_h) == final_ml  # final volume over 60 minutes
    assert f"withdraw {prep.drug_volume.magnitude:g} mL" in prep.text
    assert (o.route, o.frequency, o.duration) == ("IV", "once", "single dose")
    assert o.drug == "tocilizumab" and o.product_code == "TCZ-INJ"
    assert o.evidence.grade == "confirmed" and o.evidence.sources
    assert not ismp_violations(o.text) and not ismp_violations(prep.text)


def test_no_tocilizumab_dose_exceeds_800_mg_or_its_per_kg_dose_by_more_than_a_step():
    for tenths in range(30, 2000, 37):  # 3 kg to 200 kg
        weight = D(tenths) / 10
        age = 6 if weight <= 20 else 120 if weight <= 120 else 240
        o = order(build(case_data(age_months=age, weight=f"{weight} kg")), "TCZ-1")
        per_kg = 12 if weight < 30 else 8
        assert mag(o.dose) <= 800
        assert mag(o.dose) <= per_kg * weight + 1  # nearest 2 mg step: at most 1 mg over
        assert mag(o.preparation.drug_volume, units.mL) < mag(o.preparation.final_volume, units.mL)


def test_no_example_has_a_tocilizumab_dose_over_800_mg():
    assert EXAMPLES
    for path in EXAMPLES:
        order_set = build(json.loads(path.read_text()))
        for o in order_set.orders:
            if o.rule_id == "TCZ-1":
                assert mag(o.dose) <= 800, path.name


# ---- selection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "band", "selected"),
    [
        ({}, "low", False),  # score 0
        ({"shock": True}, "medium", False),  # 3: medium (2-4)
        (HIGH, "high", True),  # 3 + 2 = 5: high
        # 3 + 2 + age over 48 months 2 + platelets 1 + protein 1 = 9: high
        (
            {**HIGH, "age_months": 60, "platelets": "85 x10^9/L", "csf_protein": "80 mg/dL"},
            "high",
            True,
        ),
        ({"hemorrhagic_lesions": True}, "low", True),
        ({"rapid_deterioration": True}, "low", True),
        # shock 3 known, brainstem missing (2 more possible): 3 to 5, "medium or high": not high
        ({"shock": True, "brainstem_lesion": None}, "medium or high", False),
        # shock 3 + age 2 = 5 known, brainstem missing: 5 to 7, definitely high
        ({"shock": True, "age_months": 60, "brainstem_lesion": None}, "high", True),
        # a range with hemorrhagic lesions is still pre-selected, for the lesions
        (
            {"shock": True, "brainstem_lesion": None, "hemorrhagic_lesions": True},
            "medium or high",
            True,
        ),
    ],
)
def test_tocilizumab_selection(changes, band, selected):
    order_set = build(case_data(**changes))
    assert order_set.severity.band == band
    o = order(order_set, "TCZ-1")
    assert o.selected is selected
    assert any(("Pre-selected" if selected else "not pre-selected") in n for n in o.notes)


def test_a_medium_or_high_band_is_not_high_and_the_order_says_so():
    o = order(build(case_data(shock=True, brainstem_lesion=None)), "TCZ-1")
    assert not o.selected
    note = next(n for n in o.notes if "medium or high" in n)
    assert "not a definite high band" in note
    assert "brainstem lesion on MRI" in note  # names the missing item


def test_case_with_missing_brainstem_but_no_range_note_when_band_is_low_or_medium():
    o = order(build(case_data(brainstem_lesion=None)), "TCZ-1")  # 0 to 2: "low or medium"
    assert not o.selected
    assert not any("definite high band" in n for n in o.notes)


@pytest.mark.parametrize("value", [False, True])
def test_profile_selection_overrides_tocilizumab(value):
    changes = {} if value else HIGH
    o = order(build(case_data(**changes), profile={"selection": {"TCZ-1": value}}), "TCZ-1")
    assert o.selected is value


# ---- 24-hour window -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("onset", "alert"),
    [
        ("2026-11-21T20:00:00-05:00", False),  # 10 hours before 06:00 on the 22nd
        ("2026-11-21T06:00:00-05:00", False),  # exactly 24 hours: within the window
        ("2026-11-21T05:54:00-05:00", True),  # 24.1 hours
        ("2026-11-20T14:00:00-05:00", True),  # 40 hours
    ],
)
def test_tocilizumab_window_alert(onset, alert):
    order_set = build(case_data(neuro_onset=onset, **HIGH))
    found = alerts(order_set, "TCZ-1-WINDOW")
    assert bool(found) is alert
    assert order(order_set, "TCZ-1").selected  # the clinician's choice is kept
    if alert:
        assert found[0].severity == "warning" and found[0].order_id == "TCZ-1"
        assert "24 hours" in found[0].text and not ismp_violations(found[0].text)


def test_no_window_alert_when_tocilizumab_was_removed_for_allergy():
    order_set = build(
        case_data(neuro_onset="2026-11-20T14:00:00-05:00", allergies=[{"substance": "tocilizumab"}])
    )
    assert not has_order(order_set, "TCZ-1")
    assert not alerts(order_set, "TCZ-1-WINDOW")


# ---- allergy (screened by the engine) ------------------------------------------------------


@pytest.mark.parametrize(
    ("substance", "names"),
    [
        ("Tocilizumab (Actemra)", ("Tocilizumab (Actemra)", "tocilizumab")),
        (
            "interleukin-6 receptor antagonists",
            ("interleukin-6 receptor antagonist", "tocilizumab"),
        ),
        ("Monoclonal antibody", ("Monoclonal antibody", "tocilizumab")),
    ],
)
def test_tocilizumab_allergy_removes_the_order_and_names_both(substance, names):
    order_set = build(
        case_data(allergies=[{"substance": substance, "reaction": "anaphylaxis"}], **HIGH)
    )
    assert not has_order(order_set, "TCZ-1")
    (alert,) = alerts(order_set, "ALLERGY-TCZ-1")
    assert alert.severity == "critical" and alert.rule_id == "TCZ-1"
    for name in names:
        assert name in alert.text
    assert has_order(order_set, "MP-1")  # other orders stay


def test_unrelated_allergy_keeps_tocilizumab():
    order_set = build(case_data(allergies=[{"substance": "penicillin"}], **HIGH))
    assert order(order_set, "TCZ-1").selected


# ---- formulary ------------------------------------------------------------------------------


def test_profile_concentration_that_overfills_the_bag_is_an_error():
    # 29.9 kg: 358 mg / 5 mg/mL = 71.6 mL, more than the 50 mL final volume
    profile = {"formulary": {"tocilizumab-iv": {"concentration": "5 mg/mL"}}}
    with pytest.raises(InputError, match=r"tocilizumab-iv\.concentration"):
        build(case_data(age_months=120, weight="29.9 kg"), profile=profile)


def test_profile_increment_replaces_round_1_default():
    # 14.2 kg: 170.4 mg; with a 4 mg step: 42.6 steps -> 43 -> 172 mg
    profile = {"formulary": {"tocilizumab-iv": {"increment": "4 mg"}}}
    o = order(build(case_data(), profile=profile), "TCZ-1")
    assert mag(o.dose) == 43 * 4


def test_tocilizumab_is_stamped_with_its_plugin():
    case = case_from_dict(case_data(**HIGH))
    o = order(build_order_set(case, host=fresh_host()), "TCZ-1")
    assert o.plugin == "il6_blockade"
    assert o.section.value == "medications_adjunct_escalation"


# ---- rules 2026-11-24: fluid per kg, platelets, repeat doses, offered window alert -----------


@pytest.mark.parametrize(
    ("age_months", "weight", "per_kg", "warn"),
    [
        # 50 mL / 3 kg = 16.67 -> 16.7 mL/kg: over 10 mL/kg
        (6, "3 kg", "16.7", True),
        # 50 mL / 4.9 kg = 10.2 mL/kg: over 10
        (6, "4.9 kg", "10.2", True),
        # 50 mL / 5 kg = 10 mL/kg exactly: not over
        (6, "5 kg", "10", False),
        # 50 mL / 14.2 kg = 3.52 -> 3.5 mL/kg
        (44, "14.2 kg", "3.5", False),
        # 100 mL / 30 kg = 3.33 -> 3.3 mL/kg
        (120, "30 kg", "3.3", False),
    ],
)
def test_tocilizumab_fluid_volume_per_kg_is_shown(age_months, weight, per_kg, warn):
    order_set = build(case_data(age_months=age_months, weight=weight))
    o = order(order_set, "TCZ-1")
    assert f"({per_kg} mL/kg)" in o.text
    assert f"Fluid {per_kg} mL/kg." in o.preparation.text
    found = alerts(order_set, "TCZ-1-FLUID")
    assert bool(found) is warn
    if warn:
        assert "raised intracranial pressure" in found[0].text
        assert any("over 10 mL/kg" in n for n in o.notes)


@pytest.mark.parametrize(("platelets", "warn"), [("49 x10^9/L", True), ("50 x10^9/L", False)])
def test_low_platelets_warn_and_keep_the_choice(platelets, warn):
    order_set = build(case_data(platelets=platelets, **HIGH))
    o = order(order_set, "TCZ-1")
    assert o.selected  # the clinician's choice is kept
    found = alerts(order_set, "TCZ-1-PLATELETS")
    assert bool(found) is warn
    assert any("under 50 x10^9/L" in n for n in o.notes) is warn


def test_repeat_doses_are_a_note_never_an_order():
    order_set = build(case_data(**HIGH))
    tcz = [o for o in order_set.orders if o.rule_id == "TCZ-1"]
    assert len(tcz) == 1 and tcz[0].frequency == "once"
    assert any("at least 8 hours apart, at most 4 doses" in n for n in tcz[0].notes)


def test_window_alert_for_an_offered_tocilizumab_says_it_is_offered():
    """Finding 17: the alert must not read as if tocilizumab were ordered."""
    order_set = build(case_data(neuro_onset="2026-11-20T14:00:00-05:00"))
    assert not order(order_set, "TCZ-1").selected
    (alert,) = alerts(order_set, "TCZ-1-WINDOW")
    assert "offered, not selected" in alert.text
    assert alert.text.startswith("Onset was 40 hours ago")
    (alert,) = alerts(
        build(case_data(neuro_onset="2026-11-20T14:00:00-05:00", **HIGH)), "TCZ-1-WINDOW"
    )
    assert "pre-selected" in alert.text and "offered" not in alert.text


def test_window_alert_hours_in_minutes_never_float_hours():
    order_set = build(case_data(neuro_onset="2026-11-21T05:59:30-05:00", **HIGH))
    (alert,) = alerts(order_set, "TCZ-1-WINDOW")
    assert alert.text.startswith("Onset was 24 hours 1 minute ago")
