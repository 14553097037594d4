"""OSE-1 oseltamivir and OSE-2 peramivir, through the public build API.

Every expected value is worked out by hand in the table, from clinical-rules.md: the band or
formula, the arithmetic, the ROUND-1 step, and the mL of the 6 mg/mL suspension.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderset import InputError, units
from orderset.formatting import ismp_violations, to_decimal
from orderset.renderers.json import to_json_dict
from orderset.testing import build, case_data, has_order, order

D = Decimal
#: A 50-year-old (600 months) man of 110 kg: the adult renal cases below.
ADULT = {"age_months": 600, "weight": "110 kg", "sex": "male"}


def mag(q, unit=units.mg) -> Decimal:
    return to_decimal(q.to(unit).magnitude).normalize()


def alert_ids(order_set) -> list[str]:
    return [a.id for a in order_set.alerts]


def alert(order_set, alert_id: str):
    hits = [a for a in order_set.alerts if a.id == alert_id]
    assert hits, f"no alert {alert_id}; have {alert_ids(order_set)}"
    return hits[0]


# ---- OSE-1: weight bands from 12 months (base case: 3 years 8 months) ----------------------


@pytest.mark.parametrize(
    ("weight", "dose_mg", "volume_ml"),
    [
        ("15 kg", D(30), D(5)),  # 15 kg or less: 30 mg; 30 / 6 mg/mL = 5 mL
        ("15.1 kg", D(45), D("7.5")),  # over 15 to 23 kg: 45 mg; 45 / 6 = 7.5 mL
        ("23 kg", D(45), D("7.5")),  # 23 is still "over 15 to 23": 45 mg
        ("23.1 kg", D(60), D(10)),  # over 23 to 40 kg: 60 mg; 60 / 6 = 10 mL
        ("40 kg", D(60), D(10)),  # 40 is still "over 23 to 40": 60 mg
        ("40.1 kg", D(75), D("12.5")),  # over 40 kg: 75 mg; 75 / 6 = 12.5 mL
    ],
)
def test_oseltamivir_weight_band_edges(weight, dose_mg, volume_ml):
    o = order(build(case_data(weight=weight)), "OSE-1")
    assert mag(o.dose) == dose_mg
    assert mag(o.preparation.drug_volume, units.mL) == volume_ml
    assert mag(o.daily_dose) == 2 * dose_mg  # twice daily
    assert (o.route, o.frequency, o.duration) == ("enteral (PO or NG)", "twice daily", "5 days")
    assert o.selected and o.evidence.grade == "confirmed"
    assert o.calculation.calculated == o.calculation.given  # a band dose is not rounded


# ---- OSE-1: age edges ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_months", "weight", "dose_mg", "volume_ml", "per_kg"),
    [
        # 1 month (0-8 months), 3 mg/kg: 3 x 3.5 kg = 10.5 mg; 10.5 / 0.6 = 17.5 steps
        # -> 18 (halves up) -> 18 x 0.6 = 10.8 mg (+2.9%); 10.8 / 6 = 1.8 mL
        (1, "3.5 kg", D("10.8"), D("1.8"), D(3)),
        # 8 months: 3 mg/kg x 8 kg = 24 mg = 40 steps of 0.6 exactly; 24 / 6 = 4 mL
        (8, "8 kg", D(24), D(4), D(3)),
        # 9 months: 3.5 mg/kg x 8 kg = 28 mg; 28 / 0.6 = 46.67 -> 47 steps = 28.2 mg; 4.7 mL
        (9, "8 kg", D("28.2"), D("4.7"), D("3.5")),
        # 11 months: 3.5 x 9.5 = 33.25 mg; 33.25 / 0.6 = 55.4 -> 55 steps = 33 mg; 5.5 mL
        (11, "9.5 kg", D(33), D("5.5"), D("3.5")),
        # 12 months: weight band, 9.5 kg is 15 kg or less: 30 mg; 5 mL
        (12, "9.5 kg", D(30), D(5), None),
        # 12 years exactly, 35 kg: the weight band (over 23 to 40 kg): 60 mg; 10 mL
        (12 * 12, "35 kg", D(60), D(10), None),
        # 12 years 11 months, 35 kg: still the weight band (over 23 to 40 kg): 60 mg; 10 mL
        (12 * 12 + 11, "35 kg", D(60), D(10), None),
        # 13 years, 35 kg: 75 mg regardless of weight; 12.5 mL
        (13 * 12, "35 kg", D(75), D("12.5"), None),
    ],
)
def test_oseltamivir_age_edges(age_months, weight, dose_mg, volume_ml, per_kg):
    o = order(build(case_data(age_months=age_months, weight=weight)), "OSE-1")
    assert mag(o.dose) == dose_mg
    assert mag(o.preparation.drug_volume, units.mL) == volume_ml
    if per_kg is None:
        assert o.calculation.per_kg is None
    else:
        assert mag(o.calculation.per_kg, units.mg_per_kg) == per_kg
        assert mag(o.calculation.increment) == D("0.6")  # ROUND-1: 0.1 mL of 6 mg/mL


def test_oseltamivir_infant_dose_shows_the_calculation_and_the_ml():
    doc = to_json_dict(build(case_data(age_months=9, weight="8 kg")))
    o = next(o for o in doc["orders"] if o["id"] == "OSE-1")
    # 3.5 mg/kg x 8 kg = 28 mg -> 28.2 mg (47 x 0.6 mg) = 4.7 mL
    assert o["calculation"]["text"] == "3.5 mg/kg x 8 kg = 28 mg; given 28.2 mg"
    assert o["dose_text"] == "28.2 mg"
    assert "4.7 mL of 6 mg/mL" in o["text"]
    assert o["calculation"]["deviation_percent"] == 0.7  # (28.2 - 28) / 28 = 0.71%


# ---- OSE-1: influenza status -----------------------------------------------------------------


@pytest.mark.parametrize("status", ["positive", "pending", "unknown"])
def test_oseltamivir_is_ordered_unless_influenza_is_negative(status):
    s = build(case_data(influenza=status))
    assert order(s, "OSE-1").selected
    assert ("do not wait for the influenza test" in order(s, "OSE-1").text) == (
        status != "positive"
    )
    assert "OSE-1-NEGATIVE" not in alert_ids(s)


@pytest.mark.parametrize("enteral", [True, False])
def test_influenza_negative_orders_no_antiviral_and_says_why(enteral):
    s = build(case_data(influenza="negative", enteral_route_available=enteral))
    assert not has_order(s, "OSE-1") and not has_order(s, "OSE-2")
    a = alert(s, "OSE-1-NEGATIVE")
    assert a.severity == "info" and "negative" in a.text and "oseltamivir" in a.text


# ---- OSE-1: adult renal adjustment (Cockcroft-Gault) -----------------------------------------


@pytest.mark.parametrize(
    ("creatinine", "crcl", "dose_mg", "frequency", "daily_mg"),
    [
        # (140 - 50) x 110 / (72 x 1.2) = 9,900 / 86.4 = 114.58: no adjustment, 75 mg
        ("1.2 mg/dL", "114.6", D(75), "twice daily", D(150)),
        # 9,900 / (72 x 2.26) = 9,900 / 162.72 = 60.84: over 60, no adjustment
        ("2.26 mg/dL", "60.8", D(75), "twice daily", D(150)),
        # 9,900 / (72 x 2.29) = 9,900 / 164.88 = 60.04: still over 60 (never rounded to 60)
        ("2.29 mg/dL", "60", D(75), "twice daily", D(150)),
        # 9,900 / (72 x 2.75) = 9,900 / 198 = 50 exactly: "over 30-60": 30 mg twice daily
        ("2.75 mg/dL", "50", D(30), "twice daily", D(60)),
        # 9,900 / (72 x 3.4) = 9,900 / 244.8 = 40.44 mL/min: 30 mg twice daily
        ("3.4 mg/dL", "40.4", D(30), "twice daily", D(60)),
        # 9,900 / (72 x 4.58) = 9,900 / 329.76 = 30.02: over 30, so "over 30-60": twice daily
        ("4.58 mg/dL", "30", D(30), "twice daily", D(60)),
        # 9,900 / (72 x 4.6) = 9,900 / 331.2 = 29.89: "over 10-30": 30 mg once daily
        ("4.6 mg/dL", "29.9", D(30), "once daily", D(30)),
        # 9,900 / (72 x 13) = 9,900 / 936 = 10.58: "over 10-30": 30 mg once daily
        ("13 mg/dL", "10.6", D(30), "once daily", D(30)),
    ],
)
def test_adult_renal_adjustment(creatinine, crcl, dose_mg, frequency, daily_mg):
    s = build(case_data(**ADULT, serum_creatinine=creatinine))
    assert s.renal.method == "cockcroft-gault" and s.renal.display_value == crcl
    o = order(s, "OSE-1")
    assert mag(o.dose) == dose_mg and o.frequency == frequency
    assert mag(o.daily_dose) == daily_mg
    assert mag(o.preparation.drug_volume, units.mL) == dose_mg / 6  # 6 mg/mL suspension
    if dose_mg == 30:
        assert alert(s, "OSE-1-RENAL").severity == "info"
        assert f"{crcl} mL/min" in o.calculation.text
    else:
        assert "OSE-1-RENAL" not in alert_ids(s)


def test_adult_110_kg_creatinine_clearance_about_40_gives_30_mg_twice_daily():
    # (140 - 50 years) x 110 kg / (72 x 3.4 mg/dL) = 9,900 / 244.8 = 40.44 -> 40 mL/min,
    # in "over 30-60 mL/min": 30 mg twice daily = 5 mL of 6 mg/mL
    s = build(case_data(**ADULT, serum_creatinine="3.4 mg/dL"))
    o = order(s, "OSE-1")
    assert s.renal.display_value == "40.4"
    assert o.text.startswith("oseltamivir 30 mg enteral (PO or NG) twice daily")
    assert "(5 mL of 6 mg/mL suspension per dose)" in o.text
    assert "twice daily" in o.text
    # a woman: 40.44 x 0.85 = 34.38 mL/min, the same band
    woman = build(case_data(**{**ADULT, "sex": "female"}, serum_creatinine="3.4 mg/dL"))
    assert woman.renal.display_value == "34.4" and mag(order(woman, "OSE-1").dose) == 30


def test_end_stage_not_on_dialysis_orders_nothing_with_a_critical_alert():
    # 9,900 / (72 x 13.75) = 9,900 / 990 = 10 mL/min: end stage (10 or less), no dialysis
    s = build(case_data(**ADULT, serum_creatinine="13.75 mg/dL"))
    assert s.renal.value == 10  # exactly 10: not "over 10"
    assert not has_order(s, "OSE-1") and not has_order(s, "OSE-2")
    a = alert(s, "OSE-1-RENAL")
    assert a.severity == "critical" and "not recommended" in a.text


def test_hemodialysis_gives_30_mg_after_each_session():
    s = build(case_data(**ADULT, serum_creatinine="8 mg/dL", dialysis="hemodialysis"))
    o = order(s, "OSE-1")
    assert mag(o.dose) == 30 and o.frequency == "after each hemodialysis session"
    assert o.daily_dose is None  # depends on the dialysis schedule


def test_peritoneal_dialysis_has_no_rule_dose_so_no_order_and_a_critical_alert():
    s = build(case_data(**ADULT, serum_creatinine="8 mg/dL", dialysis="peritoneal"))
    assert not has_order(s, "OSE-1")
    assert alert(s, "OSE-1-RENAL").severity == "critical"


def test_adult_without_creatinine_gets_75_mg_and_a_could_not_check_alert():
    s = build(case_data(**ADULT, serum_creatinine=None))
    assert s.renal is None
    assert mag(order(s, "OSE-1").dose) == 75
    a = alert(s, "OSE-1-RENAL")
    assert a.severity == "warning" and "could not be checked" in a.text


def test_renal_alert_goes_when_an_allergy_removes_the_order():
    s = build(
        case_data(
            **ADULT,
            serum_creatinine="3.4 mg/dL",
            allergies=[{"substance": "Oseltamivir", "reaction": "rash"}],
        )
    )
    assert not has_order(s, "OSE-1")
    assert "ALLERGY-OSE-1" in alert_ids(s) and "OSE-1-RENAL" not in alert_ids(s)


@pytest.mark.parametrize(
    ("creatinine", "egfr", "review"),
    [
        # bedside Schwartz 0.413 x 96 cm / 0.7 = 39.648 / 0.7 = 56.64: under 60, review
        ("0.7 mg/dL", "56.6", True),
        # 39.648 / 0.66 = 60.07: not under 60, no alert
        ("0.66 mg/dL", "60.1", False),
        # 39.648 / 0.662 = 59.89: under 60 (never rounded up to 60), review
        ("0.662 mg/dL", "59.9", True),
    ],
)
def test_child_with_reduced_egfr_gets_a_pharmacist_review_alert(creatinine, egfr, review):
    s = build(case_data(serum_creatinine=creatinine))
    assert s.renal.method == "bedside-schwartz" and s.renal.display_value == egfr
    assert mag(order(s, "OSE-1").dose) == 30  # the dose is not changed (no pediatric source)
    if review:
        a = alert(s, "OSE-1-RENAL")
        assert a.severity == "warning" and "Pharmacist review" in a.text
    else:
        assert "OSE-1-RENAL" not in alert_ids(s)


def test_critically_ill_longer_course_is_a_note_not_a_default():
    o = order(build(case_data()), "OSE-1")
    assert o.duration == "5 days"
    assert any("longer course" in n for n in o.notes)


# ---- OSE-2: peramivir when the enteral route is unavailable ----------------------------------


@pytest.mark.parametrize(
    ("age_months", "weight", "dose_mg", "capped"),
    [
        # 2 years: 12 mg/kg x 12 kg = 144 mg (1 mg steps)
        (24, "12 kg", D(144), False),
        # 3 years 8 months: 12 x 14.2 = 170.4 mg -> 170 mg
        (None, "14.2 kg", D(170), False),
        # 10 years: 12 x 50 = 600 mg, exactly the maximum
        (120, "50 kg", D(600), False),
        # 10 years: 12 x 51 = 612 mg -> capped at 600 mg
        (120, "51 kg", D(600), True),
        # 12 years: 12 x 40 = 480 mg
        (144, "40 kg", D(480), False),
        # 13 years: 600 mg flat, whatever the weight
        (156, "40 kg", D(600), False),
    ],
)
def test_peramivir_doses(age_months, weight, dose_mg, capped):
    changes = {"weight": weight, "enteral_route_available": False}
    if age_months is not None:
        changes["age_months"] = age_months
    s = build(case_data(**changes))
    assert not has_order(s, "OSE-1")
    o = order(s, "OSE-2")
    assert mag(o.dose) == dose_mg and o.calculation.capped == capped
    assert (o.route, o.frequency, o.selected) == ("IV", "once", True)
    assert mag(o.preparation.infuse_over, units.minute) == 30  # OSE-2: over 15-30 minutes


def test_peramivir_under_2_years_has_no_rule_dose():
    s = build(case_data(age_months=23, weight="11 kg", enteral_route_available=False))
    assert not has_order(s, "OSE-2") and not has_order(s, "OSE-1")
    a = alert(s, "OSE-2-UNDER-2")
    assert a.severity == "critical" and "peramivir_under_2_years_mg_per_kg" in a.text


def test_peramivir_under_2_years_from_the_profile_is_offered_not_selected():
    # 10 mg/kg is an arbitrary test value for the profile mechanism, not a clinical claim:
    # 10 mg/kg x 11 kg = 110 mg
    profile = {"antivirals": {"peramivir_under_2_years_mg_per_kg": "10 mg/kg"}}
    s = build(
        case_data(age_months=23, weight="11 kg", enteral_route_available=False), profile=profile
    )
    o = order(s, "OSE-2")
    assert mag(o.dose) == 110
    assert o.evidence.grade == "unconfirmed" and not o.selected
    assert "OSE-2-UNDER-2" not in alert_ids(s)


def test_peramivir_profile_value_needs_mg_per_kg_and_infusion_stays_within_15_to_30():
    with pytest.raises(InputError, match="peramivir_under_2_years_mg_per_kg"):
        build(case_data(), profile={"antivirals": {"peramivir_under_2_years_mg_per_kg": "10 mg"}})
    with pytest.raises(InputError, match="peramivir_infusion_minutes"):
        build(case_data(), profile={"antivirals": {"peramivir_infusion_minutes": 10}})
    s = build(
        case_data(enteral_route_available=False),
        profile={"antivirals": {"peramivir_infusion_minutes": 15}},
    )
    assert "infuse over 15 minutes" in order(s, "OSE-2").text


def test_peramivir_for_an_adult_with_reduced_clearance_needs_pharmacist_review():
    s = build(case_data(**ADULT, serum_creatinine="3.4 mg/dL", enteral_route_available=False))
    assert mag(order(s, "OSE-2").dose) == 600
    assert alert(s, "OSE-2-RENAL").severity == "warning"


# ---- across the plugin -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"age_months": 9, "weight": "8 kg"},
        {"enteral_route_available": False},
        {**ADULT, "serum_creatinine": "3.4 mg/dL"},
        {**ADULT, "serum_creatinine": "8 mg/dL", "dialysis": "hemodialysis"},
    ],
)
def test_antiviral_orders_carry_rule_evidence_product_and_clean_text(changes):
    s = build(case_data(**changes))
    orders = [o for o in s.orders if o.plugin == "antivirals"]
    assert len(orders) == 1
    o = orders[0]
    assert o.id == o.rule_id and o.rule_id in ("OSE-1", "OSE-2")
    assert o.evidence.sources and o.product_code and o.drug == o.drug.lower()
    assert o.drug_classes == ("neuraminidase inhibitor",)
    for text in (o.text, o.calculation.text, *o.notes, *(a.text for a in s.alerts)):
        assert ismp_violations(text) == [], text


def test_rules_are_declared():
    rules = {r.id: r for r in build(case_data()).rules}
    assert (rules["OSE-1"].grade, rules["OSE-1"].plugin) == ("confirmed", "antivirals")
    assert (rules["OSE-2"].grade, rules["OSE-2"].plugin) == ("confirmed", "antivirals")
