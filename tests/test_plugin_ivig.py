"""IVIG-1 intravenous immunoglobulin, through the public build API.

Expected values are worked out by hand in the tables from clinical-rules.md: schedule A
1 g/kg/day for 2 days, schedule B 0.4 g/kg/day for 5 days, the ROUND-1 0.5 g step, and the
titration of the 10% (100 mg/mL) product, 0.5, 1, 2 and 4 mg/kg/min, as mL/h:
mg/kg/min x kg x 60 min/h / 100 mg/mL, rounded to 0.1 mL/h.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from orderset import InputError, hookimpl, units
from orderset.formatting import ismp_violations, to_decimal
from orderset.formulary import Product
from orderset.testing import build, case_data, has_order, order

D = Decimal
EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.json"))
SCHEDULE_B = {"ivig": {"schedule": "B"}}


def mag(q, unit=units.g) -> Decimal:
    return to_decimal(q.to(unit).magnitude).normalize()


# ---- doses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_months", "weight", "profile", "calculated", "given", "days"),
    [
        # schedule A, 8 kg: 1 x 8 = 8 g = 16 steps of 0.5 g exactly
        (7, "8 kg", None, D(8) * 1, D(8), 2),
        # schedule A, 14.2 kg: 14.2 g; 28.4 steps -> 28 -> 14 g (-1.4%)
        (44, "14.2 kg", None, D("14.2") * 1, D(14), 2),
        # schedule A, 14.25 kg: 14.25 g; 28.5 steps -> 29 (halves up) -> 14.5 g
        (44, "14.25 kg", None, D("14.25") * 1, D("14.5"), 2),
        # schedule A, 110 kg adult: 110 g, no cap in IVIG-1
        (600, "110 kg", None, D(110) * 1, D(110), 2),
        # schedule B, 14.2 kg: 0.4 x 14.2 = 5.68 g; 11.36 steps -> 11 -> 5.5 g (-3.2%)
        (44, "14.2 kg", SCHEDULE_B, D("0.4") * D("14.2"), D("5.5"), 5),
        # schedule B, 26 kg: 0.4 x 26 = 10.4 g; 20.8 steps -> 21 -> 10.5 g (+1%)
        (96, "26 kg", SCHEDULE_B, D("0.4") * 26, D("10.5"), 5),
        # schedule B, 45 kg: 0.4 x 45 = 18 g exactly
        (168, "45 kg", SCHEDULE_B, D("0.4") * 45, D(18), 5),
    ],
)
def test_ivig_daily_dose_rounded_to_half_gram(age_months, weight, profile, calculated, given, days):
    o = order(build(case_data(age_months=age_months, weight=weight), profile=profile), "IVIG-1")
    assert mag(o.calculation.calculated) == calculated.normalize()
    assert mag(o.dose) == given
    assert mag(o.daily_dose) == given  # once daily: the dose is the daily dose
    assert not o.calculation.pharmacist_review
    assert o.calculation.maximum is None  # IVIG-1 gives no maximum
    assert (o.route, o.frequency, o.duration) == ("IV", "once daily", f"{days} days")
    assert o.dose_unit == "g" and o.drug == "immune globulin"
    # 100 mg/mL: the day's dose in mL is g x 1,000 / 100 = g x 10
    assert mag(o.preparation.drug_volume, units.mL) == given * 10
    assert not ismp_violations(o.text) and not ismp_violations(o.calculation.text)


def test_course_total_is_2_g_per_kg_for_both_schedules():
    for profile, days in ((None, 2), (SCHEDULE_B, 5)):
        o = order(build(case_data(weight="45 kg", age_months=168), profile=profile), "IVIG-1")
        assert mag(o.calculation.calculated) * days == 2 * 45  # 2 g/kg x 45 kg = 90 g
        assert any("total 2 g/kg per course" in n for n in o.notes)


def test_infant_schedule_b_too_far_from_a_step_goes_to_the_pharmacist():
    # 3 kg: 0.4 x 3 = 1.2 g; 2.4 steps -> 2 -> 1 g is 16.7% under (> 10%): keep 1.2 g, review
    order_set = build(case_data(age_months=1, weight="3 kg"), profile=SCHEDULE_B)
    o = order(order_set, "IVIG-1")
    assert mag(o.dose) == D("1.2")
    assert o.calculation.pharmacist_review
    assert any(a.id == "REVIEW-IVIG-1" for a in order_set.alerts)


# ---- titration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_months", "weight", "rates"),
    [
        # 14.2 kg: 0.5 x 14.2 x 60 / 100 = 4.26 -> 4.3; 8.52 -> 8.5; 17.04 -> 17;
        # 34.08 is the maximum rate (4 mg/kg/min): rounded down to 34 (ROUND-1), never 34.1
        (44, "14.2 kg", (D("4.3"), D("8.5"), D(17), D(34))),
        # 8 kg: 0.5 x 8 x 60 / 100 = 2.4; 4.8; 9.6; 19.2
        (7, "8 kg", (D("2.4"), D("4.8"), D("9.6"), D("19.2"))),
        # 110 kg: 0.5 x 110 x 0.6 = 33; 66; 132; 264
        (600, "110 kg", (D(33), D(66), D(132), D(264))),
    ],
)
def test_titration_steps_in_ml_per_hour(age_months, weight, rates):
    o = order(build(case_data(age_months=age_months, weight=weight)), "IVIG-1")
    steps = o.titration
    assert [mag(s.dose_rate, units.mg_per_kg_per_min) for s in steps] == [D("0.5"), 1, 2, 4]
    assert [mag(s.pump_rate, units.mL_per_h) for s in steps] == list(rates)
    assert [s.after for s in steps] == [
        "start",
        "after 30 minutes, if tolerated",
        "after 60 minutes, if tolerated",
        "after 90 minutes, if tolerated (maximum rate)",
    ]
    assert mag(o.preparation.rate, units.mL_per_h) == rates[0]


def test_titration_never_exceeds_4_mg_per_kg_per_min():
    for age, weight in ((1, "3 kg"), (44, "14.2 kg"), (168, "45 kg"), (600, "110 kg")):
        o = order(build(case_data(age_months=age, weight=weight)), "IVIG-1")
        kg = D(weight.split()[0])
        for s in o.titration:
            assert mag(s.dose_rate, units.mg_per_kg_per_min) <= 4
            # the pump rate never delivers more than 4 mg/kg/min
            assert mag(s.pump_rate, units.mL_per_h) <= 4 * kg * 60 / 100


def test_titration_follows_the_formulary_concentration():
    # a 5% (50 mg/mL) product: 14.2 kg at 0.5 mg/kg/min = 0.5 x 14.2 x 60 / 50 = 8.52 -> 8.5
    profile = {"formulary": {"immune-globulin-iv-10": {"concentration": "50 mg/mL"}}}
    o = order(build(case_data(), profile=profile), "IVIG-1")
    assert [mag(s.pump_rate, units.mL_per_h) for s in o.titration] == [
        D("8.5"),  # 8.52
        D(17),  # 17.04
        D("34.1"),  # 34.08
        D("68.1"),  # 68.16, the maximum rate: rounded down
    ]
    assert mag(o.preparation.drug_volume, units.mL) == 14 * 20  # 14 g at 50 mg/mL = 280 mL


class _SiteIvig:
    """A site plugin that stocks another IVIG product (replaces the built-in by key)."""

    def __init__(self, steps, interval):
        self.steps, self.interval = steps, interval

    @hookimpl
    def orderset_formulary(self, settings):
        return [
            Product(
                key="immune-globulin-iv-10",
                drug="immune globulin",
                description="site IVIG 10%",
                dose_unit="g",
                increment=units.Quantity(0.5, units.g),
                concentration=units.Quantity(100, units.mg_per_mL),
                titration_steps=self.steps,
                titration_interval=self.interval,
                local_code="SITE-IVIG",
                # IVIG-1: no labelled maximum beyond 1 g/kg/day (the engine needs a maximum).
                maximum_dose=units.Quantity(1, units.g_per_kg),
            )
        ]


def test_site_product_titration_replaces_the_built_in():
    steps = tuple(units.Quantity(x, units.mg_per_kg_per_min) for x in (1, 8))
    site = _SiteIvig(steps, units.Quantity(15, units.minute))
    o = order(build(case_data(), plugins=[("site", site)]), "IVIG-1")
    assert o.product_code == "SITE-IVIG"
    # 14.2 kg: 1 x 14.2 x 0.6 = 8.52 -> 8.5 mL/h; 8 x 14.2 x 0.6 = 68.16 -> 68.1 (maximum: down)
    assert [mag(s.pump_rate, units.mL_per_h) for s in o.titration] == [D("8.5"), D("68.1")]
    assert o.titration[1].after == "after 15 minutes, if tolerated (maximum rate)"


def test_product_without_titration_says_so():
    o = order(build(case_data(), plugins=[("site", _SiteIvig((), None))]), "IVIG-1")
    assert o.titration == ()
    assert "rate per product label" in o.preparation.text


# ---- selection and profiles -----------------------------------------------------------------


def test_ivig_is_offered_unselected_by_default():
    order_set = build(case_data(shock=True, brainstem_lesion=True))  # high score: still offered
    o = order(order_set, "IVIG-1")
    assert not o.selected
    assert o.section.value == "medications_adjunct_escalation"
    assert o.evidence.grade == "confirmed"
    assert any("Fischell 2023" in s for s in o.evidence.sources)
    assert any("Benefit not supported" in n for n in o.notes)


def test_ivig_first_line_profile_pre_selects_it():
    order_set = build(case_data(), profile="ivig-first-line")
    o = order(order_set, "IVIG-1")
    assert o.selected
    assert o.section.value == "medications_first_line"
    assert order_set.profile_name == "ivig-first-line"
    assert mag(o.dose) == 14  # schedule A: 14.2 g -> 14 g
    assert "Pre-selected as first line by the institution profile." in o.notes


def test_ivig_first_line_profile_on_every_example():
    assert EXAMPLES
    for path in EXAMPLES:
        order_set = build(json.loads(path.read_text()), profile="ivig-first-line")
        if has_order(order_set, "IVIG-1"):
            assert order(order_set, "IVIG-1").selected, path.name


@pytest.mark.parametrize(
    ("profile", "path"),
    [
        ({"ivig": {"schedule": "C"}}, "ivig.schedule"),
        ({"ivig": {"schedule": 2}}, "ivig.schedule"),
        ({"ivig": {"schedul": "A"}}, "ivig.schedul"),
        ({"ivig": {"max_daily_dose": "70 mg/kg"}}, "ivig.max_daily_dose"),
        ({"ivig": {"max_daily_dose": 70}}, "ivig.max_daily_dose"),
        ({"formulary": {"immune-globulin-iv-10": {"increment": "0.5 mL"}}}, "increment"),
    ],
)
def test_invalid_ivig_profile_values_are_errors(profile, path):
    with pytest.raises(InputError) as exc:
        build(case_data(), profile=profile)
    assert path in str(exc.value)


def test_profile_max_daily_dose_caps_the_adult_dose():
    # 110 kg, schedule A: 110 g, capped at the profile's 70 g (70 g is 140 steps exactly)
    profile = {"ivig": {"max_daily_dose": "70 g"}}
    o = order(build(case_data(age_months=600, weight="110 kg"), profile=profile), "IVIG-1")
    assert mag(o.dose) == 70 and o.calculation.capped
    assert "per institution profile" in o.evidence.sources
    # a 14.2 kg child stays at 14 g
    o = order(build(case_data(), profile=profile), "IVIG-1")
    assert mag(o.dose) == 14 and not o.calculation.capped


def test_increment_from_the_profile():
    # 14.2 g with a 1 g step: 14 g; 14.6 kg: 14.6 g -> 15 g
    profile = {"formulary": {"immune-globulin-iv-10": {"increment": "1 g"}}}
    o = order(build(case_data(weight="14.6 kg"), profile=profile), "IVIG-1")
    assert mag(o.dose) == 15


@pytest.mark.parametrize("substance", ["IVIG", "immune globulin", "Immunoglobulins"])
def test_ivig_allergy_removes_it(substance):
    order_set = build(case_data(allergies=[{"substance": substance}]))
    assert not has_order(order_set, "IVIG-1")
    alert = next(a for a in order_set.alerts if a.id == "ALLERGY-IVIG-1")
    assert substance in alert.text and "immune globulin" in alert.text


def test_schedule_b_shows_in_text_and_notes():
    o = order(build(case_data(), profile=SCHEDULE_B), "IVIG-1")
    assert "schedule B: 0.4 g/kg/day" in o.text
    assert "5 days" in o.text
    assert attrs.asdict(o.evidence)["sources"][-1] == "per institution profile"


# ---- rules 2026-11-24: label cautions, product titration, adjusted body weight --------------


def test_label_cautions_are_on_every_ivig_order():
    o = order(build(case_data()), "IVIG-1")
    assert any("ensure adequate hydration before the infusion" in n for n in o.notes)
    assert any("minimum practicable dose and infusion rate" in n for n in o.notes)
    assert any("thrombosis or renal dysfunction" in n for n in o.notes)


def test_titration_names_its_formulary_entry():
    o = order(build(case_data()), "IVIG-1")
    assert any("Rate steps from the formulary entry" in n for n in o.notes)


@pytest.mark.parametrize(
    "steps",
    [
        (units.Quantity(8, units.mg_per_kg_per_min), units.Quantity(1, units.mg_per_kg_per_min)),
        (units.Quantity(1, units.mg_per_kg_per_min), units.Quantity(1, units.mg_per_kg_per_min)),
        (units.Quantity(1, units.mL / units.kg / units.minute),),
    ],
)
def test_product_titration_must_be_ascending_dose_rates(steps):
    """A Gamunex-C style entry (start 1, maximum 8 mg/kg/min) gives its own steps; steps out of
    order or in another dimension are refused naming the product, never printed."""
    site = _SiteIvig(steps, units.Quantity(30, units.minute))
    with pytest.raises(InputError, match=r"formulary\.immune-globulin-iv-10\.titration_steps"):
        build(case_data(), plugins=[("site", site)])


ADJUSTED = {"ivig": {"dosing_weight": "adjusted", "ideal_body_weight_bmi": 20}}


def test_adjusted_body_weight_from_the_profile():
    # 150 cm, reference BMI 20 (a test profile's value): ideal = 20 x 1.5^2 = 45 kg;
    # adjusted = 45 + 0.4 x (70 - 45) = 55 kg; schedule A 1 g/kg x 55 kg = 55 g.
    case = case_data(age_months=144, weight="70 kg", height="150 cm")
    o = order(build(case, profile=ADJUSTED), "IVIG-1")
    assert mag(o.dose, units.g) == 55
    assert o.calculation.weight_kg == 55
    assert o.evidence.grade == "partial"
    assert any("Australian National Blood Authority" in s for s in o.evidence.sources)
    assert any("adjusted body weight 55 kg" in n for n in o.notes)
    # measured weight by default: 70 g
    assert mag(order(build(case), "IVIG-1").dose, units.g) == 70


def test_adjusted_body_weight_only_over_the_ideal_weight():
    case = case_data(age_months=144, weight="40 kg", height="150 cm")
    o = order(build(case, profile=ADJUSTED), "IVIG-1")
    assert mag(o.dose, units.g) == 40  # 40 kg is under the 45 kg ideal: measured weight


def test_adjusted_body_weight_without_height_uses_the_measured_weight_with_an_alert():
    case = case_data(age_months=144, weight="70 kg", height=None)
    order_set = build(case, profile=ADJUSTED)
    assert mag(order(order_set, "IVIG-1").dose, units.g) == 70
    assert [a for a in order_set.alerts if a.id == "IVIG-1-DOSING-WEIGHT"]


def test_adjusted_body_weight_needs_the_profile_reference_bmi():
    with pytest.raises(InputError, match=r"ivig\.ideal_body_weight_bmi"):
        build(case_data(), profile={"ivig": {"dosing_weight": "adjusted"}})
