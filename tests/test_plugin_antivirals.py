"""OSE-1 oseltamivir and OSE-2 peramivir, through the public build API.

Every expected value is worked out by hand in the table, from clinical-rules.md: the band or
formula, the arithmetic, the ROUND-1 step, and the mL of the 6 mg/mL suspension.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orderset import InputError, units
from orderset.formatting import ismp_violations, to_decimal
from orderset.renderers.hl7 import build_messages
from orderset.renderers.json import to_json_dict
from orderset.testing import build, case_data, has_order, order
from orderset.vocab import FREQUENCIES
from tests.hl7_helpers import segments, strict

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


def test_the_suspension_measure_is_the_dose_detail_printed_right_after_the_dose():
    o = order(build(case_data()), "OSE-1")
    assert o.dose_detail == "5 mL of 6 mg/mL suspension"
    assert "mL" not in o.instructions
    assert o.text == (
        "oseltamivir 30 mg (5 mL of 6 mg/mL suspension) enteral (PO or NG) twice daily for"
        " 5 days, start now"
    )


def test_oseltamivir_infant_dose_shows_the_calculation_and_the_ml():
    doc = to_json_dict(build(case_data(age_months=9, weight="8 kg")))
    o = next(o for o in doc["orders"] if o["id"] == "OSE-1")
    # 3.5 mg/kg x 8 kg = 28 mg -> 28.2 mg (47 x 0.6 mg) = 4.7 mL
    assert o["calculation"]["text"] == "3.5 mg/kg x 8 kg = 28 mg; given 28.2 mg"
    assert o["dose_text"] == "28.2 mg"
    assert o["text"].startswith("oseltamivir 28.2 mg (4.7 mL of 6 mg/mL suspension) enteral")
    assert o["calculation"]["deviation_percent"] == 0.7  # (28.2 - 28) / 28 = 0.71%


# ---- OSE-1: preterm infants by postmenstrual age (PMA) --------------------------------------


def _infant(gestation, *, days_old=None, age_months=None, weight="2.4 kg"):
    if days_old is not None:
        data = case_data(
            birth_date=(ASSESSED_DATE - dt.timedelta(days=days_old)).isoformat(), weight=weight
        )
    else:
        data = case_data(age_months=age_months, weight=weight)
    if gestation is not None:
        data["patient"]["gestational_age_at_birth"] = gestation
    return build(data)


ASSESSED_DATE = dt.date(2026, 11, 22)  # case_data's assessed_at


@pytest.mark.parametrize(
    ("gestation", "days_old", "pma", "dose_mg", "per_kg", "volume_ml"),
    [
        # PMA = gestational age at birth + days since birth / 7. 2.4 kg throughout.
        # 30.9 + 49/7 = 37.9, under 38: 1 mg/kg x 2.4 kg = 2.4 mg (4 x 0.6 mg); 0.4 mL
        ("30.9 weeks", 49, "37.9", D("2.4"), D(1), D("0.4")),
        # 31 + 7 = 38 exactly: 38 to 40 weeks: 1.5 x 2.4 = 3.6 mg (6 x 0.6); 0.6 mL
        ("31 weeks", 49, "38", D("3.6"), D("1.5"), D("0.6")),
        # 33 + 7 = 40 exactly: still 38 to 40 weeks: 3.6 mg
        ("33 weeks", 49, "40", D("3.6"), D("1.5"), D("0.6")),
        # 33.1 + 7 = 40.1: over 40 weeks: 3 x 2.4 = 7.2 mg (12 x 0.6); 1.2 mL
        ("33.1 weeks", 49, "40.1", D("7.2"), D(3), D("1.2")),
        # 36 + 13/7 = 37.86: under 38 (not rounded up): 2.4 mg
        ("36 weeks", 13, "37.8", D("2.4"), D(1), D("0.4")),
        # 36 + 14/7 = 38: 3.6 mg
        ("36 weeks", 14, "38", D("3.6"), D("1.5"), D("0.6")),
        # born at 36.9 weeks, 1 day old: 36.9 + 1/7 = 37.04, preterm, under 38: 2.4 mg
        ("36.9 weeks", 1, "37", D("2.4"), D(1), D("0.4")),
    ],
)
def test_oseltamivir_preterm_bands_by_postmenstrual_age(
    gestation, days_old, pma, dose_mg, per_kg, volume_ml
):
    o = order(_infant(gestation, days_old=days_old), "OSE-1")
    assert mag(o.calculation.per_kg, units.mg_per_kg) == per_kg
    assert mag(o.dose) == dose_mg
    assert mag(o.preparation.drug_volume, units.mL) == volume_ml
    assert (o.frequency, o.duration) == ("twice daily", "5 days")
    assert o.calculation.maximum is None  # no infant maximum in the sources
    assert any(f"postmenstrual age {pma} weeks" in n for n in o.notes), o.notes


@pytest.mark.parametrize(
    ("gestation", "note"),
    [
        # 37 weeks or more is term: the term band 3 mg/kg x 2.4 kg = 7.2 mg
        ("37 weeks", "Term infant (born at 37 weeks"),
        ("40 weeks", "Term infant (born at 40 weeks"),
        # no gestational age: the term band, and a note asking for it
        (None, "no gestational age at birth was given"),
    ],
)
def test_oseltamivir_term_or_unknown_gestation_keeps_the_term_band(gestation, note):
    o = order(_infant(gestation, days_old=1), "OSE-1")
    assert mag(o.calculation.per_kg, units.mg_per_kg) == 3 and mag(o.dose) == D("7.2")
    assert any(note in n for n in o.notes), o.notes


@pytest.mark.parametrize(
    ("age_months", "per_kg", "dose_mg"),
    [
        # 8 months, born at 28 weeks: PMA about 63 weeks, over 40: 3 mg/kg x 8 kg = 24 mg
        (8, D(3), D(24)),
        # 9 months: the infant 9-11 months band whatever the gestation: 3.5 x 8 = 28 ->
        # 28.2 mg (47 x 0.6)
        (9, D("3.5"), D("28.2")),
        # 12 months: the weight band (15 kg or less): 30 mg
        (12, None, D(30)),
    ],
)
def test_preterm_bands_apply_under_9_months_only(age_months, per_kg, dose_mg):
    o = order(_infant("28 weeks", age_months=age_months, weight="8 kg"), "OSE-1")
    assert mag(o.dose) == dose_mg
    if per_kg is None:
        assert o.calculation.per_kg is None
    else:
        assert mag(o.calculation.per_kg, units.mg_per_kg) == per_kg
    assert any("Preterm" in n for n in o.notes) == (age_months < 9)


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
    assert o.text == (
        "oseltamivir 30 mg (5 mL of 6 mg/mL suspension) enteral (PO or NG) twice daily for"
        " 5 days, start now"
    )
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


def _hemodialysis_adult(**changes):
    return build(case_data(**ADULT, serum_creatinine="8 mg/dL", dialysis="hemodialysis", **changes))


def test_hemodialysis_gives_30_mg_after_every_session_scheduled_for_at_most_5_days():
    # OSE-1: 30 mg after every hemodialysis session, for no more than 5 days; scheduled, never
    # PRN; the first dose after the next session, not now (review findings 1 and 8).
    s = _hemodialysis_adult()
    o = order(s, "OSE-1")
    assert mag(o.dose) == 30 and o.selected
    assert o.prn is None
    assert o.frequency == "after every hemodialysis session"
    assert o.duration == "at most 5 days"
    assert o.daily_dose is None  # depends on the dialysis schedule
    assert o.text == (
        "oseltamivir 30 mg (5 mL of 6 mg/mL suspension) enteral (PO or NG) after every"
        " hemodialysis session for at most 5 days, first dose after the next hemodialysis"
        " session"
    )
    assert "now" not in o.text  # finding 8: never "start now" for the dialysis dose
    assert "after the next session" in alert(s, "OSE-1-RENAL").text


def test_hemodialysis_oseltamivir_goes_to_hl7_as_scheduled_not_prn():
    # Finding 1: TQ1-9 priority was PRN^As needed^HL70485 while JSON and sheet said scheduled.
    s = _hemodialysis_adult()
    omp = next(m for m in build_messages(s) if m.structure == "OMP_O09")
    strict(omp.text)
    index = [o.id for o in s.selected_medications].index("OSE-1")
    group = "ORC|" + omp.text.split("ORC|")[1 + index]
    (tq1,) = segments(group, "TQ1")
    fields = tq1.split("|")
    assert fields[9].split("^")[0] != "PRN", tq1  # TQ1-9 priority
    assert fields[10] == ""  # TQ1-10 condition text: none
    assert "PRN" not in fields[3]  # TQ1-3 repeat pattern
    assert "after every hemodialysis session" in fields[3]
    assert FREQUENCIES["after every hemodialysis session"].hl7 != "PRN"


def test_hemodialysis_with_influenza_pending_still_waits_for_the_session_not_the_test():
    o = order(_hemodialysis_adult(influenza="pending"), "OSE-1")
    assert o.text.endswith(
        "first dose after the next hemodialysis session, do not wait for the influenza test"
    )


def test_peritoneal_dialysis_gives_a_single_30_mg_dose_right_after_an_exchange():
    # OSE-1: peritoneal dialysis: a single 30 mg dose right after a dialysis exchange.
    s = build(case_data(**ADULT, serum_creatinine="8 mg/dL", dialysis="peritoneal"))
    o = order(s, "OSE-1")
    assert mag(o.dose) == 30 and o.selected and o.prn is None
    assert (o.frequency, o.duration) == ("once", "single dose")
    assert mag(o.preparation.drug_volume, units.mL) == 5  # 30 / 6 mg/mL
    assert o.text == (
        "oseltamivir 30 mg (5 mL of 6 mg/mL suspension) enteral (PO or NG) once, right after"
        " the next peritoneal dialysis exchange"
    )
    assert alert(s, "OSE-1-RENAL").severity == "info"


@pytest.mark.parametrize("dialysis", ["hemodialysis", "peritoneal"])
@pytest.mark.parametrize("changes", [ADULT, {}], ids=["adult", "child"])
@pytest.mark.parametrize("enteral", [True, False])
def test_no_text_says_dialysis_twice(dialysis, changes, enteral):
    # Finding 15: "adult on hemodialysis dialysis".
    s = build(
        case_data(
            **changes,
            serum_creatinine="8 mg/dL" if changes else "0.3 mg/dL",
            dialysis=dialysis,
            enteral_route_available=enteral,
        )
    )
    texts = [a.text for a in s.alerts] + [t for o in s.orders for t in (o.text, *o.notes)]
    assert texts
    for text in texts:
        assert "hemodialysis dialysis" not in text and "dialysis dialysis" not in text, text


def test_a_child_on_dialysis_gets_the_usual_dose_and_a_pharmacist_review():
    s = build(case_data(dialysis="hemodialysis"))
    assert mag(order(s, "OSE-1").dose) == 30
    a = alert(s, "OSE-1-RENAL")
    assert a.severity == "warning" and "a child on hemodialysis." in a.text


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
        # 6 months: 12 mg/kg x 7 kg = 84 mg (1 mg steps)
        (6, "7 kg", D(84), False),
        # 23 months (was "no dose under 2 years"): 12 x 11 = 132 mg
        (23, "11 kg", D(132), False),
        # 2 years: 12 mg/kg x 12 kg = 144 mg
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


def test_peramivir_under_6_months_is_not_ordered_with_a_critical_alert():
    s = build(case_data(age_months=5, weight="7 kg", enteral_route_available=False))
    assert not has_order(s, "OSE-2") and not has_order(s, "OSE-1")
    a = alert(s, "OSE-2-UNDER-6-MONTHS")
    assert a.severity == "critical" and "under 6 months" in a.text


def test_the_old_under_2_years_profile_setting_is_gone():
    # OSE-2 now gives 12 mg/kg from 6 months: the profile value is obsolete and refused.
    with pytest.raises(InputError, match="peramivir_under_2_years_mg_per_kg"):
        build(
            case_data(), profile={"antivirals": {"peramivir_under_2_years_mg_per_kg": "10 mg/kg"}}
        )


def test_peramivir_infusion_stays_within_15_to_30_minutes():
    with pytest.raises(InputError, match="peramivir_infusion_minutes"):
        build(case_data(), profile={"antivirals": {"peramivir_infusion_minutes": 10}})
    s = build(
        case_data(enteral_route_available=False),
        profile={"antivirals": {"peramivir_infusion_minutes": 15}},
    )
    assert "infuse over 15 minutes" in order(s, "OSE-2").text


#: A 50-year-old man of 96 kg: Cockcroft-Gault (140 - 50) x 96 / (72 x creatinine)
#: = 8,640 / (72 x creatinine) = 120 / creatinine mL/min.
ADULT_96 = {"age_months": 600, "weight": "96 kg", "sex": "male"}


@pytest.mark.parametrize(
    ("creatinine", "crcl", "dose_mg"),
    [
        ("2.4 mg/dL", D(50), D(600)),  # 120 / 2.4 = 50: not under 50, no adjustment
        ("2.41 mg/dL", D("49.79"), D(200)),  # 30 to under 50: 200 mg (13 and older)
        ("4 mg/dL", D(30), D(200)),  # exactly 30: still "30-49"
        ("4.01 mg/dL", D("29.93"), D(100)),  # 10 to under 30: 100 mg
        ("12 mg/dL", D(10), D(100)),  # exactly 10: still "10-29"
        ("12.01 mg/dL", D("9.99"), None),  # under 10: the rules give no dose
    ],
)
def test_peramivir_adult_renal_band_edges(creatinine, crcl, dose_mg):
    s = build(case_data(**ADULT_96, serum_creatinine=creatinine, enteral_route_available=False))
    assert s.renal.method == "cockcroft-gault"
    assert abs(s.renal.value - crcl) < D("0.005")
    if dose_mg is None:
        assert not has_order(s, "OSE-2") and not has_order(s, "OSE-1")
        a = alert(s, "OSE-2-RENAL")
        assert a.severity == "critical" and "under 10" in a.text
        return
    o = order(s, "OSE-2")
    assert mag(o.dose) == dose_mg and o.selected and o.calculation.per_kg is None
    if dose_mg == 600:
        assert "OSE-2-RENAL" not in alert_ids(s)
    else:
        assert alert(s, "OSE-2-RENAL").severity == "info"


#: bedside Schwartz: 0.413 x height (cm) / creatinine (mg/dL); at 80 cm 33.04 / creatinine,
#: at 96 cm 39.648 / creatinine (the loader keeps creatinine to 0.0001 mg/dL).
@pytest.mark.parametrize(
    ("height", "weight", "creatinine", "egfr", "dose_mg", "per_kg", "capped"),
    [
        # 33.04 / 0.6608 = 50 exactly: no change, 12 mg/kg x 14.2 = 170.4 -> 170 mg
        ("80 cm", "14.2 kg", "0.6608 mg/dL", D(50), D(170), D(12), False),
        # 33.04 / 0.6609 = 49.99: 4 mg/kg x 14.2 = 56.8 -> 57 mg
        ("80 cm", "14.2 kg", "0.6609 mg/dL", D("49.99"), D(57), D(4), False),
        # 39.648 / 1.3216 = 30 exactly: 4 mg/kg; 60 kg: 240 mg -> maximum 200 mg
        ("96 cm", "60 kg", "1.3216 mg/dL", D(30), D(200), D(4), True),
        # 39.648 / 1.322 = 29.99: 2 mg/kg x 14.2 = 28.4 -> 28 mg
        ("96 cm", "14.2 kg", "1.322 mg/dL", D("29.99"), D(28), D(2), False),
        # 39.648 / 3.9648 = 10 exactly: 2 mg/kg; 60 kg: 120 mg -> maximum 100 mg
        ("96 cm", "60 kg", "3.9648 mg/dL", D(10), D(100), D(2), True),
        # 39.648 / 3.965 = 9.9995: under 10, no dose
        ("96 cm", "14.2 kg", "3.965 mg/dL", D("9.9995"), None, None, False),
    ],
)
def test_peramivir_child_renal_band_edges(
    height, weight, creatinine, egfr, dose_mg, per_kg, capped
):
    age = {"age_months": 120} if weight == "60 kg" else {}
    s = build(
        case_data(
            **age,
            height=height,
            weight=weight,
            serum_creatinine=creatinine,
            enteral_route_available=False,
        )
    )
    assert s.renal.method == "bedside-schwartz"
    assert abs(s.renal.value - egfr) < D("0.005")
    if dose_mg is None:
        assert not has_order(s, "OSE-2")
        assert alert(s, "OSE-2-RENAL").severity == "critical"
        return
    o = order(s, "OSE-2")
    assert mag(o.dose) == dose_mg and o.calculation.capped == capped
    assert mag(o.calculation.per_kg, units.mg_per_kg) == per_kg


@pytest.mark.parametrize(
    ("creatinine", "ordered"), [("0.6608 mg/dL", True), ("0.6609 mg/dL", False)]
)
def test_peramivir_under_2_years_with_clearance_under_50_is_not_ordered(creatinine, ordered):
    # 18 months, 11 kg, 80 cm: eGFR 33.04 / 0.6608 = 50 -> 12 mg/kg x 11 = 132 mg;
    # 33.04 / 0.6609 = 49.99 -> no dose, alert
    s = build(
        case_data(
            age_months=18,
            height="80 cm",
            weight="11 kg",
            serum_creatinine=creatinine,
            enteral_route_available=False,
        )
    )
    if ordered:
        assert mag(order(s, "OSE-2").dose) == 132
    else:
        assert not has_order(s, "OSE-2")
        a = alert(s, "OSE-2-RENAL")
        assert a.severity == "critical" and "under 2 years" in a.text


def test_peramivir_is_never_pre_selected_on_hemodialysis():
    # Finding 3: 600 mg was pre-selected for an adult on hemodialysis with only a warning.
    # 120 / 8 mg/dL = 15 mL/min: 10 to under 30, so 100 mg after the next session, offered.
    s = build(
        case_data(
            **ADULT_96,
            serum_creatinine="8 mg/dL",
            dialysis="hemodialysis",
            enteral_route_available=False,
        )
    )
    o = order(s, "OSE-2")
    assert not o.selected
    assert mag(o.dose) == 100
    assert o.text == (
        "peramivir 100 mg IV once, infuse over 30 minutes; give after the next hemodialysis session"
    )
    assert "now" not in o.text
    assert alert(s, "OSE-2-DIALYSIS").severity == "warning"
    assert "Pharmacist review" in alert(s, "OSE-2-DIALYSIS").text
    # not selected, so no peramivir RXO goes to the pharmacy
    assert all("PERA-INJ" not in m.text for m in build_messages(s))


def test_peramivir_on_hemodialysis_without_creatinine_is_not_ordered():
    s = build(
        case_data(
            **ADULT_96,
            serum_creatinine=None,
            dialysis="hemodialysis",
            enteral_route_available=False,
        )
    )
    assert not has_order(s, "OSE-2")
    assert alert(s, "OSE-2-DIALYSIS").severity == "critical"


@pytest.mark.parametrize("changes", [ADULT_96, {}], ids=["adult", "child"])
def test_peramivir_on_peritoneal_dialysis_is_not_ordered(changes):
    s = build(case_data(**changes, dialysis="peritoneal", enteral_route_available=False))
    assert not has_order(s, "OSE-2") and not has_order(s, "OSE-1")
    a = alert(s, "OSE-2-DIALYSIS")
    assert a.severity == "critical" and "peritoneal dialysis" in a.text


def test_peramivir_without_creatinine_gives_the_usual_dose_and_a_warning():
    s = build(case_data(**ADULT_96, serum_creatinine=None, enteral_route_available=False))
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
