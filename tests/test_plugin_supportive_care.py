"""SUP-1, LAB-1, SEIZ-1, ICP-1 and ALERT-1, through the public build API.

Expected doses are worked out by hand in the tables: per-kg dose x weight, the cap, then the
ROUND-1 step (lorazepam 0.1 mg, midazolam 0.1 mg, levetiracetam 10 mg, fosphenytoin 5 mg PE).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderset import InputError, units
from orderset.formatting import ismp_violations, to_decimal
from orderset.model import Section
from orderset.renderers.json import to_json_dict
from orderset.testing import build, case_data, has_order, order

D = Decimal
SCHOOL_AGE = 120  # 10 years: weights 15-180 kg are plausible, so every cap can be reached


def mag(q, unit=units.mg) -> Decimal:
    return to_decimal(q.to(unit).magnitude).normalize()


# ---- SEIZ-1 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order_id", "weight", "dose", "capped"),
    [
        # lorazepam 0.1 mg/kg, max 4 mg, 0.1 mg steps
        ("SEIZ-1-LORAZEPAM", "17.3 kg", D("1.7"), False),  # 1.73 mg -> 17.3 steps -> 17 = 1.7
        ("SEIZ-1-LORAZEPAM", "40 kg", D(4), False),  # 0.1 x 40 = 4 mg: the maximum exactly
        ("SEIZ-1-LORAZEPAM", "45 kg", D(4), True),  # 4.5 mg -> capped at 4 mg
        # midazolam IV 0.2 mg/kg, max 10 mg, 0.1 mg steps
        ("SEIZ-1-MIDAZOLAM-IV", "17.3 kg", D("3.5"), False),  # 3.46 -> 34.6 steps -> 35 = 3.5
        ("SEIZ-1-MIDAZOLAM-IV", "50 kg", D(10), False),  # 0.2 x 50 = 10 mg: the maximum
        ("SEIZ-1-MIDAZOLAM-IV", "55 kg", D(10), True),  # 11 mg -> capped at 10 mg
        # midazolam IM 0.3 mg/kg, max 10 mg
        ("SEIZ-1-MIDAZOLAM-IM", "17.3 kg", D("5.2"), False),  # 5.19 -> 51.9 steps -> 52 = 5.2
        ("SEIZ-1-MIDAZOLAM-IM", "33.3 kg", D(10), False),  # 9.99 -> 99.9 -> 100 steps = 10 mg
        ("SEIZ-1-MIDAZOLAM-IM", "50 kg", D(10), True),  # 15 mg -> capped at 10 mg
        # levetiracetam 60 mg/kg once, max 4,500 mg, 10 mg steps
        ("SEIZ-1-LEVETIRACETAM", "17.3 kg", D(1040), False),  # 1,038 -> 103.8 -> 104 = 1,040
        ("SEIZ-1-LEVETIRACETAM", "75 kg", D(4500), False),  # 60 x 75 = 4,500: the maximum
        ("SEIZ-1-LEVETIRACETAM", "80 kg", D(4500), True),  # 4,800 -> capped at 4,500
        # fosphenytoin 20 mg PE/kg once, max 1,500 mg PE, 5 mg PE steps
        ("SEIZ-1-FOSPHENYTOIN", "17.3 kg", D(345), False),  # 346 -> 69.2 steps -> 69 = 345
        ("SEIZ-1-FOSPHENYTOIN", "75 kg", D(1500), False),  # 20 x 75 = 1,500: the maximum
        ("SEIZ-1-FOSPHENYTOIN", "80 kg", D(1500), True),  # 1,600 -> capped at 1,500 mg PE
    ],
)
def test_seizure_rescue_doses_and_caps(order_id, weight, dose, capped):
    o = order(build(case_data(age_months=SCHOOL_AGE, weight=weight)), order_id)
    assert mag(o.dose) == dose
    assert o.calculation.capped == capped
    assert o.section is Section.SEIZURE and o.rule_id == "SEIZ-1"
    assert o.prn and o.frequency == "once" and o.daily_dose is None


def test_fosphenytoin_is_in_phenytoin_equivalents():
    doc = to_json_dict(build(case_data(age_months=SCHOOL_AGE, weight="80 kg")))
    o = next(o for o in doc["orders"] if o["id"] == "SEIZ-1-FOSPHENYTOIN")
    assert o["dose"] == {"value": 1500, "unit": "mg PE"}
    assert o["dose_text"] == "1,500 mg PE"
    # 20 mg PE/kg x 80 kg = 1,600 mg PE, over the 1,500 mg PE maximum
    assert o["calculation"]["text"] == (
        "20 mg PE/kg x 80 kg = 1,600 mg PE; max 1,500 mg PE; given 1,500 mg PE (capped at maximum)"
    )


def test_one_choice_per_line_is_preselected_and_routes_are_right():
    s = build(case_data())
    expected = {
        "SEIZ-1-LORAZEPAM": (True, "IV"),
        "SEIZ-1-MIDAZOLAM-IV": (False, "IV"),
        "SEIZ-1-MIDAZOLAM-IM": (False, "IM"),
        "SEIZ-1-LEVETIRACETAM": (True, "IV"),
        "SEIZ-1-FOSPHENYTOIN": (False, "IV"),
    }
    for order_id, (selected, route) in expected.items():
        o = order(s, order_id)
        assert (o.selected, o.route) == (selected, route), order_id
    benzos = [o for o in s.orders if "benzodiazepine" in o.drug_classes and o.selected]
    assert [o.id for o in benzos] == ["SEIZ-1-LORAZEPAM"]
    eeg = order(s, "SEIZ-1-EEG")
    assert eeg.selected and eeg.kind == "procedure" and "EEG" in eeg.text


def test_valproate_is_not_offered_and_the_sheet_says_why():
    s = build(case_data())
    assert not any(o.drug == "valproate" or "VALPROATE" in o.id for o in s.orders)
    assert any("hepatic" in n for n in order(s, "SEIZ-1-LEVETIRACETAM").notes)


def test_phenytoin_allergy_removes_fosphenytoin():
    s = build(case_data(allergies=[{"substance": "phenytoin", "reaction": "rash"}]))
    assert not has_order(s, "SEIZ-1-FOSPHENYTOIN")
    assert has_order(s, "SEIZ-1-LEVETIRACETAM")


# ---- ICP-1 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_months", "weight", "low_ml", "high_ml"),
    [
        (44, "14.2 kg", D(92), D(142)),  # 6.5 x 14.2 = 92.3 -> 92 mL; 10 x 14.2 = 142 mL
        (60, "21 kg", D(137), D(210)),  # 6.5 x 21 = 136.5 -> 137 mL (halves up); 210 mL
        (12, "8 kg", D(52), D(80)),  # 6.5 x 8 = 52 mL; 10 x 8 = 80 mL
    ],
)
def test_hypertonic_saline_is_offered_unselected_with_its_range_and_hold(
    age_months, weight, low_ml, high_ml
):
    s = build(case_data(age_months=age_months, weight=weight))
    o = order(s, "ICP-1-SALINE")
    assert not o.selected and o.section is Section.ICP
    assert mag(o.dose, units.mL) == low_ml and o.dose_unit == "mL"
    assert f"{low_ml} mL to {high_ml} mL" in o.text
    assert "360 mOsm/L" in o.prn and o.frequency == "as needed"
    check = order(s, "ICP-1-SODIUM-OSMOLARITY")
    assert not check.selected and check.frequency == "every 6 hours"


def test_mannitol_only_from_the_profile():
    assert not has_order(build(case_data()), "ICP-1-MANNITOL")
    # 0.5 g/kg is a test value inside the rule's 0.25-1 g/kg: 0.5 x 14.2 = 7.1 g
    s = build(case_data(), profile={"supportive_care": {"mannitol_g_per_kg": "0.5 g/kg"}})
    o = order(s, "ICP-1-MANNITOL")
    assert mag(o.dose, units.g) == D("7.1") and o.dose_unit == "g" and not o.selected
    for outside in ("0.2 g/kg", "1.5 g/kg", "500 mg"):
        with pytest.raises(InputError, match="mannitol_g_per_kg"):
            build(case_data(), profile={"supportive_care": {"mannitol_g_per_kg": outside}})


# ---- SUP-1 and LAB-1 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_months", "weight", "unit"),
    [
        (44, "14.2 kg", "pediatric"),
        (17 * 12 + 11, "60 kg", "pediatric"),
        (18 * 12, "60 kg", "adult"),
    ],
)
def test_admission_unit_by_age(age_months, weight, unit):
    o = order(build(case_data(age_months=age_months, weight=weight)), "SUP-1-ICU")
    assert o.text == f"Admit to the {unit} intensive care unit" and o.selected


def test_nursing_and_consults_are_preselected_except_genetics():
    s = build(case_data())
    sup = [o for o in s.orders if o.rule_id == "SUP-1"]
    assert {o.id for o in sup if not o.selected} == {"SUP-1-GENETICS"}
    assert {o.id for o in sup if o.section is Section.CONSULTS} == {
        "SUP-1-NEUROLOGY",
        "SUP-1-CRITICAL-CARE",
        "SUP-1-INFECTIOUS-DISEASES",
        "SUP-1-GENETICS",
    }
    assert "36 °C" in order(s, "SUP-1-NORMOTHERMIA").text
    assert "GCS is 8 or less" in order(s, "SUP-1-AIRWAY").text
    assert "30 degrees" in order(s, "SUP-1-HEAD-OF-BED").text


def test_labs_are_offered_and_a_profile_can_preselect_them():
    s = build(case_data())
    labs = [o for o in s.orders if o.rule_id == "LAB-1"]
    assert {o.kind for o in labs} == {"lab", "imaging"}
    assert not any(o.selected for o in labs)
    assert order(s, "LAB-1-GLUCOSE-SODIUM").frequency == "every 6 hours"
    assert order(s, "LAB-1-MRI").section is Section.IMAGING
    chosen = build(case_data(), profile={"selection": {"LAB-1": True}})
    assert all(o.selected for o in chosen.orders if o.rule_id == "LAB-1")


def test_labs_note_missing_severity_score_inputs():
    s = build(case_data(platelets=None, csf_protein=None))
    assert any("SCORE-1" in n for n in order(s, "LAB-1-CBC").notes)
    assert any("SCORE-1" in n for n in order(s, "LAB-1-CSF").notes)
    full = build(case_data())
    assert not any("SCORE-1" in n for n in order(full, "LAB-1-CBC").notes)


# ---- ALERT-1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_months", "weight", "alerted"),
    [(44, "14.2 kg", True), (17 * 12 + 11, "60 kg", True), (18 * 12, "60 kg", False)],
)
def test_aspirin_alert_for_every_child_and_not_for_an_adult(age_months, weight, alerted):
    s = build(case_data(age_months=age_months, weight=weight))
    hits = [a for a in s.alerts if a.id == "ALERT-1"]
    assert bool(hits) == alerted
    if alerted:
        assert "aspirin" in hits[0].text and "Reye" in hits[0].text


# ---- across the plugin -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes", [{}, {"age_months": 8, "weight": "8 kg"}, {"age_months": 600, "weight": "110 kg"}]
)
def test_every_order_has_rule_evidence_and_clean_text(changes):
    s = build(case_data(**changes))
    mine = [o for o in s.orders if o.plugin == "supportive_care"]
    assert len({o.id for o in mine}) == len(mine)
    for o in mine:
        assert o.id.startswith(o.rule_id) and o.evidence.sources
        texts = [o.text, *o.notes]
        if o.kind == "medication":
            assert o.product_code and o.drug == o.drug.lower() and o.calculation is not None
            texts.append(o.calculation.text)
        for text in texts:
            assert ismp_violations(text) == [], text


def test_rules_are_declared():
    declared = build(case_data()).rules
    rules = {r.id: r.grade for r in declared if r.plugin == "supportive_care"}
    assert rules == {
        "SUP-1": "partial",
        "LAB-1": "partial",
        "SEIZ-1": "confirmed",
        "ICP-1": "partial",
    }
    # ALERT-1 is the engine's: it holds for every set, whatever plugins are loaded.
    assert {(r.id, r.grade) for r in declared if r.plugin == "engine"} >= {("ALERT-1", "confirmed")}
