"""MP-1 methylprednisolone pulse and MP-2 oral taper, through the public build API.

Expected values are worked out by hand in the tables from clinical-rules.md: MP-1 30 mg/kg,
maximum 1,000 mg per dose, ROUND-1 5 mg step, once daily for 3 days by default (up to 5 from
the profile), infused over 60 minutes by default (at least 30). MP-2 has no number in the rules:
its dose values below are a test profile's, not clinical figures.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from orderset import InputError, render, units
from orderset.formatting import ismp_violations, to_decimal
from orderset.testing import build, case_data, has_order, order

D = Decimal
EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.json"))
#: A complete MP-2 taper from a (test) institution profile.
TAPER = {
    "taper_drug": "prednisolone",
    "taper_mg_per_kg": "2 mg/kg",
    "taper_max_dose": "60 mg",
    "taper_frequency": "once daily",
    "taper_weeks": 4,
}


def mag(q, unit=units.mg) -> Decimal:
    return to_decimal(q.to(unit).magnitude).normalize()


def alerts(order_set, alert_id: str):
    return [a for a in order_set.alerts if a.id == alert_id]


# ---- MP-1 dose and cap ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_months", "weight", "calculated", "given", "capped"),
    [
        # 1 month, 3 kg: 30 x 3 = 90 mg = 18 steps of 5 mg exactly
        (1, "3 kg", D(3) * 30, D(90), False),
        # 7 months, 8 kg: 30 x 8 = 240 mg
        (7, "8 kg", D(8) * 30, D(240), False),
        # 14.2 kg: 30 x 14.2 = 426 mg; 85.2 steps -> 85 -> 425 mg (-0.2%)
        (44, "14.2 kg", D("14.2") * 30, D(425), False),
        # 14.25 kg: 30 x 14.25 = 427.5 mg; 85.5 steps -> 86 (halves up) -> 430 mg
        (44, "14.25 kg", D("14.25") * 30, D(430), False),
        # 33.3 kg: 30 x 33.3 = 999 mg; 199.8 steps -> 200 -> 1,000 mg: at the cap, not over
        (120, "33.3 kg", D("33.3") * 30, D(1000), False),
        # 33.4 kg: 30 x 33.4 = 1,002 mg -> capped at 1,000 mg
        (120, "33.4 kg", D("33.4") * 30, D(1000), True),
        # 110 kg adult: 30 x 110 = 3,300 mg -> capped at 1,000 mg
        (600, "110 kg", D(110) * 30, D(1000), True),
    ],
)
def test_methylprednisolone_dose_and_cap(age_months, weight, calculated, given, capped):
    o = order(build(case_data(age_months=age_months, weight=weight)), "MP-1")
    calc = o.calculation
    assert mag(calc.calculated) == calculated.normalize()
    assert mag(o.dose) == given
    assert mag(o.daily_dose) == given  # once daily
    assert mag(calc.maximum) == 1000
    assert calc.capped is capped
    assert (o.route, o.frequency, o.duration) == ("IV", "once daily", "3 days")
    assert mag(o.preparation.infuse_over, units.minute) == 60
    assert o.selected and o.evidence.grade == "confirmed"
    assert o.drug == "methylprednisolone" and "corticosteroid" in o.drug_classes
    assert not ismp_violations(o.text) and not ismp_violations(calc.text)


def test_no_methylprednisolone_dose_exceeds_1000_mg():
    for tenths in range(30, 1500, 41):  # 3 kg to 150 kg
        weight = D(tenths) / 10
        age = 1 if weight <= 20 else 120 if weight <= 120 else 600
        o = order(build(case_data(age_months=age, weight=f"{weight} kg")), "MP-1")
        assert mag(o.dose) <= 1000
        assert mag(o.dose) <= 30 * weight + D("2.5")  # nearest 5 mg step: at most 2.5 mg over


def test_monitoring_orders_go_with_the_pulse():
    order_set = build(case_data())
    for order_id, what in (("MP-1-GLUCOSE", "Blood glucose"), ("MP-1-BP", "Blood pressure")):
        o = order(order_set, order_id)
        assert o.kind == "nursing" and o.selected and o.rule_id == "MP-1"
        assert o.text.startswith(what)


# ---- MP-1 profile settings ------------------------------------------------------------------


@pytest.mark.parametrize(("days", "note"), [(1, False), (3, False), (4, True), (5, True)])
def test_pulse_days_from_profile(days, note):
    o = order(build(case_data(), profile={"steroids": {"methylprednisolone_days": days}}), "MP-1")
    unit = "day" if days == 1 else "days"
    assert o.duration == f"{days} {unit}"
    assert f"for {days} {unit}" in o.text
    assert any("unconfirmed" in n for n in o.notes) is note


@pytest.mark.parametrize("minutes", [30, 60, 240])
def test_infusion_minutes_from_profile(minutes):
    profile = {"steroids": {"methylprednisolone_infusion_minutes": minutes}}
    o = order(build(case_data(), profile=profile), "MP-1")
    assert mag(o.preparation.infuse_over, units.minute) == minutes
    assert f"infuse over {minutes} minutes" in o.text


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("steroids", "methylprednisolone_days", 6),  # more than 5
        ("steroids", "methylprednisolone_days", 0),
        ("steroids", "methylprednisolone_days", "3"),
        ("steroids", "methylprednisolone_infusion_minutes", 29),  # under 30: never a push
        ("steroids", "methylprednisolone_infusion_minutes", 10),
        ("steroids", "methylprednisolone_dyas", 3),  # a typo is never ignored
        ("steroids", "taper_weeks", 0),
        ("steroids", "taper_frequency", "every 6 hours"),
        ("steroids", "taper_mg_per_kg", "2 mg"),
        ("steroids", "taper_max_dose", "60 mg/kg"),
        ("steroids", "taper_drug", 5),
        ("steroids", "taper_mg_per_kg", "0 mg/kg"),
        ("steroids", "taper_max_dose", "-5 mg"),
    ],
)
def test_invalid_steroid_profile_values_are_errors(section, key, value):
    with pytest.raises(InputError) as exc:
        build(case_data(), profile={section: {key: value}})
    assert f"{section}.{key}" in str(exc.value)


# ---- MP-1 window and allergy ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("onset", "alert"),
    [
        ("2026-11-21T20:00:00-05:00", False),  # 10 hours
        ("2026-11-21T06:00:00-05:00", False),  # exactly 24 hours
        ("2026-11-21T05:54:00-05:00", True),  # 24.1 hours
        ("2026-11-20T14:00:00-05:00", True),  # 40 hours
    ],
)
def test_methylprednisolone_window_alert(onset, alert):
    order_set = build(case_data(neuro_onset=onset))
    found = alerts(order_set, "MP-1-WINDOW")
    assert bool(found) is alert
    assert order(order_set, "MP-1").selected  # still ordered past 24 hours
    if alert:
        assert "24-hour window" in found[0].text and "still give" in found[0].text


@pytest.mark.parametrize(
    ("substance", "removed", "kept"),
    [
        # same class (corticosteroid): the taper goes too (Clinical safety review 2, finding 18)
        ("methylprednisolone", ("MP-1", "MP-2"), ()),
        ("Corticosteroids", ("MP-1", "MP-2"), ()),
        ("glucocorticoid", ("MP-1", "MP-2"), ()),
    ],
)
def test_steroid_allergy(substance, removed, kept):
    order_set = build(case_data(allergies=[{"substance": substance, "reaction": "rash"}]))
    for order_id in removed:
        assert not has_order(order_set, order_id)
        (alert,) = alerts(order_set, f"ALLERGY-{order_id}")
        assert substance in alert.text and alert.severity == "critical"
    for order_id in kept:
        assert has_order(order_set, order_id)
    assert not alerts(order_set, "MP-1-WINDOW")


# ---- MP-2 taper -----------------------------------------------------------------------------


def test_taper_without_profile_is_per_clinician_with_no_dose():
    o = order(build(case_data(response="refractory", shock=True)), "MP-2")
    assert not o.selected
    # MP-2 is analogue since rules 2026-11-24 (ADEM practice, Cole 2019): still never selected.
    assert o.evidence.grade == "analogue" and any("Cole 2019" in s for s in o.evidence.sources)
    assert o.dose is None and o.calculation is None and o.daily_dose is None
    assert "taper per clinician" in o.text
    assert o.duration == "per clinician"
    assert "corticosteroid" in o.drug_classes


def test_taper_drug_and_weeks_alone_give_no_dose():
    profile = {"steroids": {"taper_drug": "prednisolone", "taper_weeks": 6}}
    o = order(build(case_data(), profile=profile), "MP-2")
    assert o.drug == "prednisolone" and o.dose is None
    assert (
        o.text
        == "prednisolone taper per clinician over 6 weeks, after the methylprednisolone pulse"
    )
    assert o.duration == "6 weeks"


@pytest.mark.parametrize(
    ("age_months", "weight", "given", "capped"),
    [
        # 2 mg/kg x 14.2 kg = 28.4 mg -> 28 mg (1 mg formulary step)
        (44, "14.2 kg", D(28), False),
        # 2 x 30 = 60 mg: the profile's 60 mg maximum reached exactly
        (120, "30 kg", D(60), False),
        # 2 x 35 = 70 mg -> capped at 60 mg
        (120, "35 kg", D(60), True),
    ],
)
def test_taper_dose_from_profile(age_months, weight, given, capped):
    case = case_data(age_months=age_months, weight=weight)
    o = order(build(case, profile={"steroids": TAPER}), "MP-2")
    assert not o.selected  # analogue: still only offered
    assert mag(o.dose) == given and mag(o.daily_dose) == given  # once daily
    assert o.calculation.capped is capped and mag(o.calculation.maximum) == 60
    assert o.evidence.grade == "analogue"
    assert o.evidence.sources[-1] == "start dose per institution profile"
    assert o.frequency == "once daily" and o.duration == "4 weeks"
    assert o.text.startswith(f"prednisolone {given} mg enteral (PO or NG) once daily")
    # The line is composed by the engine: the taper's 4 weeks are its duration.
    assert o.text == (
        f"prednisolone {given} mg enteral (PO or NG) once daily for 4 weeks, starting dose;"
        " begin after the methylprednisolone pulse and taper per clinician"
    )


def test_twice_daily_taper_doubles_the_daily_dose():
    profile = {"steroids": {**TAPER, "taper_frequency": "twice daily"}}
    o = order(build(case_data(), profile=profile), "MP-2")
    assert mag(o.daily_dose) == 28 * 2


def test_profile_can_pre_select_the_taper():
    profile = {"steroids": TAPER, "selection": {"MP-2": True}}
    assert order(build(case_data(), profile=profile), "MP-2").selected


@pytest.mark.parametrize("missing", ["taper_drug", "taper_max_dose", "taper_frequency"])
def test_incomplete_taper_dose_settings_are_an_error(missing):
    settings = {k: v for k, v in TAPER.items() if k != missing}
    with pytest.raises(InputError) as exc:
        build(case_data(), profile={"steroids": settings})
    assert f"steroids.{missing}" in str(exc.value)


@pytest.mark.parametrize("drug", ["Prednisolone", "prednisolone;", "p"])
def test_taper_drug_must_be_a_lowercase_generic_name(drug):
    with pytest.raises(InputError, match=r"steroids\.taper_drug"):
        build(case_data(), profile={"steroids": {"taper_drug": drug}})


def test_no_steroid_dose_over_its_maximum_in_any_example():
    assert EXAMPLES
    for path in EXAMPLES:
        order_set = build(json.loads(path.read_text()))
        o = order(order_set, "MP-1")
        assert mag(o.dose) <= 1000, path.name
        assert order(order_set, "MP-2").dose is None, path.name


# ---- rules 2026-11-24: MP-1 dependents, days already given, monitoring frequency -------------

MONITORING = ("MP-1-GLUCOSE", "MP-1-BP")


def with_days_given(days_given, **changes):
    data = case_data(**changes)
    data["clinical"]["methylprednisolone_days_given"] = days_given
    return data


def test_methylprednisolone_allergy_takes_its_monitoring_and_countdown_through_json_and_hl7():
    """Finding 5: no glucose/BP checks ticked or sent to HL7, no countdown to MP-1."""
    allergy = [{"substance": "methylprednisolone", "reaction": "anaphylaxis"}]
    order_set = build(case_data(allergies=allergy))
    for order_id in ("MP-1", *MONITORING, "MP-2"):
        assert not has_order(order_set, order_id)
    doc = json.loads(render(order_set, "json"))
    ids = {o["id"] for o in doc["orders"]}
    assert not ids & {"MP-1", *MONITORING, "MP-2"}
    hl7 = render(order_set, "hl7").decode()
    assert "Blood glucose checks" not in hl7 and "Blood pressure checks" not in hl7
    assert "MP-1-GLUCOSE" not in hl7 and "MP-1-BP" not in hl7
    assert "left to start methylprednisolone" not in order_set.timing.text
    assert "methylprednisolone (MP-1): not ordered (allergy" in order_set.timing.text


def test_monitoring_orders_depend_on_the_pulse():
    order_set = build(case_data())
    for order_id in MONITORING:
        assert order(order_set, order_id).depends_on == "MP-1"
    assert order(order_set, "MP-2").depends_on == "MP-1"


def test_disabled_steroids_leave_no_countdown_to_methylprednisolone():
    order_set = build(case_data(), disable=["steroids"])
    assert "methylprednisolone" not in order_set.timing.text
    assert not any(o.rule_id in ("MP-1", "MP-2") for o in order_set.orders)


def test_glucose_checks_have_the_lab_1_frequency():
    """Finding 11: LAB-1 gives glucose every 6 hours; the order says so and cites it."""
    o = order(build(case_data()), "MP-1-GLUCOSE")
    assert o.text.startswith("Blood glucose checks every 6 hours during the")
    assert "LAB-1" in o.text
    assert any("LAB-1" in s for s in o.evidence.sources)


def test_blood_pressure_checks_are_per_unit_protocol_unless_the_profile_sets_them():
    """Finding 11: no rule gives a blood pressure frequency: no default, never a number."""
    o = order(build(case_data()), "MP-1-BP")
    assert o.text.startswith("Blood pressure checks per unit protocol during the")
    profile = {"steroids": {"blood_pressure_check_hours": 4}}
    o = order(build(case_data(), profile=profile), "MP-1-BP")
    assert "every 4 hours (per institution profile)" in o.text
    assert "frequency per institution profile" in o.evidence.sources


@pytest.mark.parametrize(
    ("days_given", "profile_days", "remaining"),
    [(0, 3, 3), (1, 3, 2), (2, 3, 1), (2, 5, 3), (4, 5, 1)],
)
def test_pulse_covers_only_the_days_that_remain(days_given, profile_days, remaining):
    profile = {"steroids": {"methylprednisolone_days": profile_days}}
    order_set = build(with_days_given(days_given), profile=profile)
    o = order(order_set, "MP-1")
    unit = "day" if remaining == 1 else "days"
    assert o.duration == f"{remaining} {unit}"
    assert days_given + remaining == profile_days
    assert mag(o.dose) == 425  # the dose is unchanged: 30 mg/kg x 14.2 kg -> 425 mg
    for order_id in (*MONITORING, "MP-2"):
        assert has_order(order_set, order_id)
    if days_given:
        assert f"day {days_given + 1} of {profile_days}" in o.text and "start now" not in o.text
        assert any("already given" in n for n in o.notes)
        assert o.start_within_hours is None  # a pulse under way has no start countdown
        assert "left to start methylprednisolone" not in order_set.timing.text
    else:
        assert "start now" in o.text


@pytest.mark.parametrize(("days_given", "profile_days"), [(3, 3), (5, 3), (5, 5), (4, 3)])
def test_completed_pulse_orders_nothing_more_and_says_so(days_given, profile_days):
    """A refractory patient at 70 h who had the whole pulse gets no fresh pulse."""
    profile = {"steroids": {"methylprednisolone_days": profile_days}}
    data = with_days_given(
        days_given, response="refractory", neuro_onset="2026-11-19T08:00:00-05:00"
    )
    order_set = build(data, profile=profile)
    for order_id in ("MP-1", *MONITORING):
        assert not has_order(order_set, order_id)
    (alert,) = alerts(order_set, "MP-1-COMPLETE")
    assert alert.severity == "info" and "pulse complete" in alert.text
    assert not alerts(order_set, "MP-1-WINDOW") and not alerts(order_set, "MP-1-DAYS-GIVEN")
    taper = order(order_set, "MP-2")
    assert taper.depends_on is None and "after the completed methylprednisolone pulse" in taper.text
    assert "methylprednisolone" not in order_set.timing.text


def test_refractory_with_days_given_not_recorded_warns_of_a_fresh_pulse():
    order_set = build(case_data(response="refractory"))
    (alert,) = alerts(order_set, "MP-1-DAYS-GIVEN")
    assert alert.severity == "warning" and "methylprednisolone_days_given" in alert.text
    assert not alerts(build(case_data()), "MP-1-DAYS-GIVEN")  # initial response: no warning
    assert not alerts(build(with_days_given(0, response="refractory")), "MP-1-DAYS-GIVEN")


@pytest.mark.parametrize(
    ("onset", "text"),
    [
        ("2026-11-21T05:59:30-05:00", "Onset was 24 hours 1 minute ago"),  # 24 h 30 s: up
        ("2026-11-20T14:00:00-05:00", "Onset was 40 hours ago"),
        ("2026-11-21T04:30:00-05:00", "Onset was 25 hours 30 minutes ago"),
    ],
)
def test_window_alert_says_hours_and_minutes(onset, text):
    (alert,) = alerts(build(case_data(neuro_onset=onset)), "MP-1-WINDOW")
    assert alert.text.startswith(text + ", past the 24-hour window")


def test_mp1_cap_source_is_cole_2019_partial():
    o = order(build(case_data()), "MP-1")
    assert any("Cole 2019" in s and "partial" in s for s in o.evidence.sources)
