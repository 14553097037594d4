"""Pharmacy preparation, worked by hand (issue 13).

Every expected number below is worked out in the comments from the rules (docs/clinical-rules.md)
and the label facts the plugins bundle (each names its US label), never copied from the output.
The containers are chosen for the least waste, then the fewest containers.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

import orderset
from orderset import units
from orderset.errors import InputError
from orderset.preparation import choose_containers, titrated_minutes
from orderset.testing import build, case_data, order

D = Decimal


def prep(order_set, order_id):
    dp = order(order_set, order_id).dose_preparation
    assert dp is not None, order_id
    return dp


def ml(q) -> Decimal:
    return units.to_decimal(q, units.mL)


def draws(dp) -> list[tuple[str, int, Decimal]]:
    return [(d.description, d.count, ml(d.withdraw)) for d in dp.draws]


# ---- methylprednisolone (MP-1) ---------------------------------------------------------------

ACT_O_VIAL = "its own diluent (Act-O-Vial)"
MP_FORMULARY = {
    "presentations": [
        {"content": c, "volume": v, "reconstitute_with": "its own diluent (Act-O-Vial)"}
        for c, v in (("40 mg", "1 mL"), ("125 mg", "2 mL"), ("500 mg", "4 mL"), ("1 g", "8 mL"))
    ],
    "diluents": ["0.9% sodium chloride", "5% dextrose"],
    "final_volume": "50 mL",
    "storage": [{"condition": "room temperature", "hours": 48}],
}
MP_PROFILE = {
    # A site's stock and choices, as its profile gives them: the US presentations changed between
    # label revisions, and the diluents, final volume and beyond-use time were not seen in a US
    # label, so none is bundled. This site stocks the preservative-free Act-O-Vials of the 2011
    # US label: 40 mg/1 mL, 125 mg/2 mL, 500 mg/4 mL, 1 g/8 mL.
    "formulary": {
        "methylprednisolone-iv": {
            "presentations": [
                {"content": c, "volume": v, "reconstitute_with": ACT_O_VIAL}
                for c, v in (
                    ("40 mg", "1 mL"),
                    ("125 mg", "2 mL"),
                    ("500 mg", "4 mL"),
                    ("1 g", "8 mL"),
                )
            ],
            "diluents": ["0.9% sodium chloride", "5% dextrose"],
            "final_volume": "50 mL",
            "storage": [{"condition": "room temperature", "hours": 48}],
        }
    }
}


def test_methylprednisolone_40_mg_for_a_neonate():
    # 30 mg/kg x 1.35 kg = 40.5 mg; ROUND-1 to 5 mg: 40.5 / 5 = 8.1 -> 8 steps = 40 mg.
    # One 40 mg/1 mL Act-O-Vial holds exactly 40 mg: withdraw all 1 mL, no waste.
    # Final 50 mL (profile): diluent 50 - 1 = 49 mL; 40 mg / 50 mL = 0.8 mg/mL.
    # MP-1 default 60 minutes: 50 mL / 1 h = 50 mL/h, no rounding.
    # 10 days old: under 1 month, so the label's "no benzyl alcohol in neonates" step applies.
    os_ = build(
        case_data(weight="1.35 kg", birth_date="2026-11-12", height=None), profile=MP_PROFILE
    )
    dp = prep(os_, "MP-1")
    assert order(os_, "MP-1").dose == units.Quantity(D(40), units.mg)
    assert draws(dp) == [("40 mg/1 mL vial", 1, D(1))]
    assert dp.waste == units.Quantity(D(0), units.mg)
    assert ml(dp.diluent_volume) == D(49)
    assert units.to_decimal(dp.final_concentration, units.mg_per_mL) == D("0.8")
    assert units.to_decimal(dp.rate, units.mL_per_h) == D(50)
    assert dp.rate_deviation_percent == 0
    assert any("preservative-free" in s for s in dp.steps)
    assert dp.review == ()


def test_methylprednisolone_for_a_premature_infant_past_the_neonatal_month_is_preservative_free():
    # Born at 32 weeks, 6 weeks old (preterm-infant-32-weeks): past the first month, so the
    # neonate step does not apply, but the current US label contraindicates the benzyl alcohol
    # formulations in premature infants: the preservative-free step is still printed.
    data = case_data(weight="2.1 kg", height=None, birth_date="2026-10-11")
    data["patient"]["gestational_age_at_birth"] = "32 weeks"
    steps = prep(build(data, profile=MP_PROFILE), "MP-1").steps
    assert any(s.startswith("Premature infant (born before 37 weeks)") for s in steps)
    # Born at term, the same age: no such step.
    data["patient"]["gestational_age_at_birth"] = "39 weeks"
    steps = prep(build(data, profile=MP_PROFILE), "MP-1").steps
    assert not any("preservative-free" in s for s in steps)


def test_methylprednisolone_1000_mg_uses_one_1_g_vial_not_two_500_mg():
    # 30 mg/kg x 34 kg = 1,020 mg, capped at 1,000 mg (MP-1).
    # 1 x 1 g/8 mL and 2 x 500 mg/4 mL both waste nothing: the fewest containers win, one 1 g
    # vial, all 8 mL. Final 50 mL: diluent 42 mL, 1,000 / 50 = 20 mg/mL; 50 mL/h.
    os_ = build(case_data(weight="34 kg", age_months=120), profile=MP_PROFILE)
    dp = prep(os_, "MP-1")
    assert order(os_, "MP-1").dose == units.Quantity(D(1000), units.mg)
    assert draws(dp) == [("1 g/8 mL vial", 1, D(8))]
    assert dp.containers == 1
    assert ml(dp.diluent_volume) == D(42)
    assert units.to_decimal(dp.final_concentration, units.mg_per_mL) == D(20)
    assert not any("preservative-free" in s for s in dp.steps)


def test_methylprednisolone_without_site_data_says_per_pharmacy_procedure_and_is_flagged():
    os_ = build(case_data(weight="34 kg", age_months=120))
    dp = prep(os_, "MP-1")
    assert dp.final_volume is None and dp.rate is None
    reasons = " ".join(dp.review)
    assert "No container sizes in the formulary for methylprednisolone-iv" in reasons
    assert "Diluent per pharmacy procedure" in reasons
    assert "Final volume per pharmacy procedure" in reasons
    assert "beyond-use time per pharmacy procedure" in reasons


# ---- tocilizumab (TCZ-1; ACTEMRA vials 80 mg/4 mL, 200 mg/10 mL, 400 mg/20 mL, 20 mg/mL) ------


def test_tocilizumab_at_4_5_kg():
    # 12 mg/kg x 4.5 kg = 54 mg (ROUND-1 2 mg: exact). Smallest cover: one 80 mg vial (waste
    # 26 mg); withdraw 54 / 20 = 2.7 mL. Final 50 mL under 30 kg (TCZ-1): diluent 47.3 mL;
    # 54 / 50 = 1.08 mg/mL; 50 mL over 60 minutes = 50 mL/h. Fluid 50 / 4.5 = 11.1 mL/kg.
    os_ = build(case_data(weight="4.5 kg", age_months=3, shock=True, brainstem_lesion=True))
    dp = prep(os_, "TCZ-1")
    assert draws(dp) == [("80 mg/4 mL vial", 1, D("2.7"))]
    assert dp.waste == units.Quantity(D(26), units.mg)
    assert ml(dp.diluent_volume) == D("47.3")
    assert units.to_decimal(dp.final_concentration, units.mg_per_mL) == D("1.08")
    assert units.to_decimal(dp.rate, units.mL_per_h) == D(50)
    assert units.to_decimal(dp.fluid_per_kg_per_day, units.mL_per_kg) == D("11.1")
    assert dp.protect_from_light is True
    # 0.9% keeps 24 h, 0.45% at room temperature 4 h (label): both conditions are printed.
    assert sorted(b.hours for b in dp.beyond_use) == [4, 24, 24]
    assert dp.review == ()


def test_tocilizumab_at_29_9_kg_mixes_vials_for_the_least_waste():
    # 12 mg/kg x 29.9 kg = 358.8 mg; ROUND-1 2 mg: 179.4 -> 179 steps = 358 mg.
    # Vials are multiples of 40 mg, so the least cover is 360 mg (waste 2 mg): 200 + 80 + 80
    # (3 vials; 400 mg would waste 42). Withdraw 10 mL + 4 mL, and 78 mg / 20 = 3.9 mL from the
    # last 80 mg vial: 17.9 mL = 358 / 20. Final 50 mL: diluent 32.1 mL; 358 / 50 = 7.16 mg/mL.
    os_ = build(case_data(weight="29.9 kg", age_months=96, shock=True, brainstem_lesion=True))
    dp = prep(os_, "TCZ-1")
    assert draws(dp) == [
        ("200 mg/10 mL vial", 1, D(10)),
        ("80 mg/4 mL vial", 1, D(4)),
        ("80 mg/4 mL vial", 1, D("3.9")),
    ]
    assert dp.waste == units.Quantity(D(2), units.mg)
    assert ml(dp.drug_volume) == D("17.9")
    assert ml(dp.diluent_volume) == D("32.1")
    assert units.to_decimal(dp.final_concentration, units.mg_per_mL) == D("7.16")


def test_tocilizumab_at_100_kg():
    # 8 mg/kg x 100 kg = 800 mg = the TCZ-1 maximum. Two 400 mg vials, no waste, 40 mL.
    # Final 100 mL from 30 kg: diluent 60 mL; 8 mg/mL; 100 mL over 60 minutes = 100 mL/h.
    os_ = build(case_data(weight="100 kg", age_months=240, shock=True, brainstem_lesion=True))
    dp = prep(os_, "TCZ-1")
    assert draws(dp) == [("400 mg/20 mL vial", 2, D(20))]
    assert ml(dp.diluent_volume) == D(60)
    assert units.to_decimal(dp.final_concentration, units.mg_per_mL) == D(8)
    assert units.to_decimal(dp.rate, units.mL_per_h) == D(100)


# ---- IVIG (IVIG-1; PRIVIGEN 5 g/50 mL, 10 g/100 mL, 20 g/200 mL, 40 g/400 mL; undiluted) ----

IVIG_SELECTED = {"selection": {"IVIG-1": True}}


def test_ivig_at_8_6_kg():
    # 1 g/kg x 8.6 kg = 8.6 g; ROUND-1 0.5 g: 17.2 -> 17 steps = 8.5 g (deviation -1.2%).
    # One 10 g vial and two 5 g vials both waste 1.5 g: one 10 g/100 mL vial, 85 mL drawn.
    # Rate steps (IVIG-1) at 100 mg/mL: 0.5 mg/kg/min x 8.6 kg x 60 / 100 = 2.58 -> 2.6 mL/h;
    # 1 -> 5.16 -> 5.2; 2 -> 10.32 -> 10.3; 4 -> 20.64, the maximum, rounded down -> 20.6.
    # 30 minutes each: 1.3 + 2.6 + 5.15 = 9.05 mL in 90 minutes; 85 - 9.05 = 75.95 mL at
    # 20.6 mL/h = 221.21 minutes; 311.21 in all -> 312 minutes (5 hours 12 minutes).
    # Fluid 85 mL a day, 85 / 8.6 = 9.88 -> 9.9 mL/kg a day.
    os_ = build(case_data(weight="8.6 kg", age_months=12), profile=IVIG_SELECTED)
    dp = prep(os_, "IVIG-1")
    assert order(os_, "IVIG-1").dose == units.Quantity(D("8.5"), units.g)
    assert draws(dp) == [("10 g/100 mL vial", 1, D(85))]
    assert ml(dp.final_volume) == D(85) and dp.diluent is None
    assert units.to_decimal(dp.infuse_over, units.minute) == D(312)
    assert ml(dp.fluid_per_day) == D(85)
    assert units.to_decimal(dp.fluid_per_kg_per_day, units.mL_per_kg) == D("9.9")


def test_ivig_at_180_kg_gets_a_fluid_warning_from_the_profile_limit():
    # 1 g/kg x 180 kg = 180 g (exact in 0.5 g steps). 4 x 40 g + 1 x 20 g = 180 g, no waste,
    # 5 vials (4 x 40 + 2 x 10 would be 6): 1,600 + 200 = 1,800 mL a day, 10 mL/kg a day.
    # Rates: 0.5 x 180 x 60 / 100 = 54 mL/h, then 108, 216 and 432 (maximum). 27 + 54 + 108 =
    # 189 mL in 90 minutes; 1,611 mL at 432 mL/h = 223.75 minutes; 313.75 -> 314 minutes.
    # No rule gives a fluid limit: the profile's 1,500 mL a day makes 1,800 mL a review reason.
    profile = {**IVIG_SELECTED, "preparation": {"fluid_warning_ml_per_day": "1500 mL"}}
    os_ = build(case_data(weight="180 kg", age_months=480, height="180 cm"), profile=profile)
    dp = prep(os_, "IVIG-1")
    assert draws(dp) == [("40 g/400 mL vial", 4, D(400)), ("20 g/200 mL vial", 1, D(200))]
    assert ml(dp.fluid_per_day) == D(1800)
    assert units.to_decimal(dp.fluid_per_kg_per_day, units.mL_per_kg) == D(10)
    assert units.to_decimal(dp.infuse_over, units.minute) == D(314)
    assert any("1,800 mL a day" in r and "1,500 mL" in r for r in dp.review)
    # Without a profile limit the fluid is shown and not judged (no number in the rules).
    plain = prep(build(case_data(weight="180 kg", age_months=480), profile=IVIG_SELECTED), "IVIG-1")
    assert not any("Fluid" in r for r in plain.review)


# ---- peramivir (OSE-2; RAPIVAB: at most 100 mL, 15 to 30 minutes; the site's 200 mg/20 mL) --

PERAMIVIR_VIAL = {"presentations": [{"content": "200 mg", "volume": "20 mL"}]}


def test_ivig_vial_sizes_not_seen_in_a_label_are_a_flagged_default():
    # notes/product-labels.md 3a: only Privigen 40 g/400 mL was seen (openFDA NDC record); the
    # 5, 10 and 20 g vials are inferred from package codes: a default to check, never "fine".
    # 1 g/kg x 8.6 kg = 8.6 g -> 8.5 g (0.5 g steps): one 10 g vial, 85 mL.
    dp = prep(build(case_data(weight="8.6 kg", age_months=12), profile=IVIG_SELECTED), "IVIG-1")
    assert draws(dp) == [("10 g/100 mL vial", 1, D(85))]
    assert any(r.startswith("Vial sizes 5, 10 and 20 g are inferred") for r in dp.review)
    # A site that gives its stocked vials answers it: 40 g/400 mL only -> 85 mL of one 40 g vial.
    profile = {
        **IVIG_SELECTED,
        "formulary": {
            "immune-globulin-iv-10": {"presentations": [{"content": "40 g", "volume": "400 mL"}]}
        },
    }
    dp = prep(build(case_data(weight="8.6 kg", age_months=12), profile=profile), "IVIG-1")
    assert draws(dp) == [("40 g/400 mL vial", 1, D(85))]
    assert not any("inferred" in r for r in dp.review)
    assert "institution profile (presentations)" in dp.sources


def test_an_as_needed_dose_counts_against_the_profiles_fluid_limit():
    # SEIZ-1 levetiracetam, once as needed: 60 mg/kg x 3 kg = 180 mg (10 mg steps) = 1.8 mL of
    # 100 mg/mL, added to 100 mL (Keppra label): 101.8 mL, 101.8 / 3 = 33.9 mL/kg in one dose.
    # A site's 20 mL/kg a day must see it (an as-needed dose was left out of the fluid).
    profile = {"preparation": {"fluid_warning_ml_per_kg_per_day": 20}}
    dp = prep(
        build(case_data(weight="3 kg", age_months=1, height=None), profile=profile),
        "SEIZ-1-LEVETIRACETAM",
    )
    assert ml(dp.final_volume) == D("101.8")
    assert ml(dp.fluid_per_day) == D("101.8")
    assert any(
        "33.9 mL/kg a day of this medication is over the profile's 20 mL/kg a day" in r
        for r in dp.review
    )


def test_peramivir_at_38_kg():
    # 11 years, enteral route unavailable: 12 mg/kg x 38 kg = 456 mg (under 600 mg; 1 mg steps).
    # Three 200 mg vials (600 mg, waste 144 mg): 20 + 20 mL and 56 mg / 10 mg/mL = 5.6 mL:
    # 45.6 mL. No final volume under the label's 100 mL maximum is given, so without a site's
    # choice the block is flagged; with 100 mL: diluent 54.4 mL, 456 / 100 = 4.56 mg/mL, and
    # 30 minutes (OSE-2 default) -> 100 mL / 0.5 h = 200 mL/h.
    data = case_data(weight="38 kg", age_months=132, enteral_route_available=False)
    assert any("No container sizes" in r for r in prep(build(data), "OSE-2").review)
    stock = {"formulary": {"peramivir-iv": PERAMIVIR_VIAL}}
    dp = prep(build(data, profile=stock), "OSE-2")
    assert draws(dp) == [("200 mg/20 mL vial", 2, D(20)), ("200 mg/20 mL vial", 1, D("5.6"))]
    assert ml(dp.drug_volume) == D("45.6")
    assert any("Final volume per pharmacy procedure (at most 100 mL)" in r for r in dp.review)
    site = {"formulary": {"peramivir-iv": {**PERAMIVIR_VIAL, "final_volume": "100 mL"}}}
    dp = prep(build(data, profile=site), "OSE-2")
    assert ml(dp.diluent_volume) == D("54.4")
    assert units.to_decimal(dp.final_concentration, units.mg_per_mL) == D("4.56")
    assert units.to_decimal(dp.rate, units.mL_per_h) == D(200)
    assert dp.review == ()
    # A site that documents a larger maximum sets it with the volume; a final volume over the
    # label's 100 mL alone is refused at load, naming the field.
    over = {
        "formulary": {
            "peramivir-iv": {
                **PERAMIVIR_VIAL,
                "final_volume": "120 mL",
                "final_volume_max": "120 mL",
            }
        }
    }
    assert prep(build(data, profile=over), "OSE-2").review == ()
    too_much = {"formulary": {"peramivir-iv": {"final_volume": "150 mL"}}}
    with pytest.raises(InputError, match=r"formulary\.peramivir-iv\.final_volume"):
        build(data, profile=too_much)


# ---- levetiracetam (SEIZ-1; KEPPRA 500 mg/5 mL, in 100 mL, at most 15 mg/mL, 15 minutes) ----


def test_levetiracetam_at_14_2_kg_flags_the_10_minute_infusion_against_the_label():
    # 60 mg/kg x 14.2 kg = 852 mg; ROUND-1 10 mg: 85.2 -> 85 steps = 850 mg.
    # Two 500 mg vials (1,000 mg, waste 150 mg): all 5 mL + 350 mg / 100 mg/mL = 3.5 mL: 8.5 mL.
    # Added to 100 mL of diluent (label): final 108.5 mL; 850 / 108.5 = 7.834 mg/mL (under 15).
    # SEIZ-1 (ESETT) infuses over 10 minutes: 108.5 x 60 / 10 = 651 mL/h; the label says 15
    # minutes, so the block carries that conflict as a review reason.
    dp = prep(build(case_data(weight="14.2 kg")), "SEIZ-1-LEVETIRACETAM")
    assert draws(dp) == [("500 mg/5 mL vial", 1, D(5)), ("500 mg/5 mL vial", 1, D("3.5"))]
    assert ml(dp.final_volume) == D("108.5")
    assert units.to_decimal(dp.final_concentration, units.mg_per_mL) == D("7.834")
    assert units.to_decimal(dp.rate, units.mL_per_h) == D(651)
    assert dp.review == (
        "Infusion over 10 minutes is shorter than the product's minimum 15 minutes.",
    )


def test_a_concentration_over_the_limit_is_flagged():
    # A site that adds levetiracetam to 50 mL instead: 850 mg / 58.5 mL = 14.53 mg/mL, under 15;
    # to 40 mL: 850 / 48.5 = 17.526 mg/mL, over the label's 15 mg/mL: flagged.
    profile = {"formulary": {"levetiracetam-iv": {"diluent_volume": "40 mL"}}}
    dp = prep(build(case_data(weight="14.2 kg"), profile=profile), "SEIZ-1-LEVETIRACETAM")
    assert any("over the product's maximum 15 mg/mL" in r for r in dp.review)


# ---- seizure rescue: lorazepam 1:1, midazolam IM -----------------------------------------------


def test_lorazepam_is_diluted_with_an_equal_volume():
    # 0.1 mg/kg x 14.2 kg = 1.42 mg; ROUND-1 0.1 mg -> 1.4 mg. One 2 mg/1 mL vial (least waste,
    # 0.6 mg): 1.4 / 2 = 0.7 mL. Lorazepam label: dilute with an equal volume just before IV use:
    # 0.7 mL of diluent, final 1.4 mL at 1.4 / 1.4 = 1 mg/mL.
    dp = prep(build(case_data(weight="14.2 kg")), "SEIZ-1-LORAZEPAM")
    assert draws(dp) == [("2 mg/1 mL vial", 1, D("0.7"))]
    assert ml(dp.diluent_volume) == D("0.7") and ml(dp.final_volume) == D("1.4")
    assert units.to_decimal(dp.final_concentration, units.mg_per_mL) == D(1)
    # The label text seen names no diluent: the block says so.
    assert any(r.startswith("Diluent per pharmacy procedure") for r in dp.review)
    # Its preservative (Hospira label: 2% benzyl alcohol) is on the block.
    assert any("2% benzyl alcohol" in h for h in dp.handling)


def test_an_im_dose_is_drawn_from_the_most_concentrated_presentation():
    # 0.3 mg/kg x 14.2 kg = 4.26 mg -> 4.3 mg. Over all three vials the least waste would be the
    # 10 mg/10 mL (1 mg/mL) vial: 4.3 mL into a toddler's muscle. For IM only the 5 mg/mL vials
    # count: 25 mg/5 mL (waste 20.7 mg) before 50 mg/10 mL (waste 45.7 mg): 4.3 / 5 = 0.86 mL.
    dp = prep(build(case_data(weight="14.2 kg")), "SEIZ-1-MIDAZOLAM-IM")
    assert draws(dp) == [("25 mg/5 mL vial", 1, D("0.86"))]
    assert ml(dp.final_volume) == D("0.86")
    # 45 kg: 13.5 mg capped at 10 mg (SEIZ-1): 2 mL of 5 mg/mL, not 10 mL of 1 mg/mL.
    dp = prep(build(case_data(weight="45 kg")), "SEIZ-1-MIDAZOLAM-IM")
    assert draws(dp) == [("25 mg/5 mL vial", 1, D(2))]
    # The IV dose still takes the least waste over every vial: 0.2 mg/kg x 14.2 = 2.84 -> 2.8 mg
    # from the 10 mg/10 mL vial, 2.8 mL.
    dp = prep(build(case_data(weight="14.2 kg")), "SEIZ-1-MIDAZOLAM-IV")
    assert draws(dp) == [("10 mg/10 mL vial", 1, D("2.8"))]


def test_an_im_volume_over_the_sites_limit_is_flagged():
    # 4.3 mg as 0.86 mL of 5 mg/mL (above). No rule or label gives an IM volume limit; a site's
    # 0.5 mL flags it.
    data = case_data(weight="14.2 kg")
    profile = {"formulary": {"midazolam-inj": {"im_volume_max": "0.5 mL"}}}
    dp = prep(build(data, profile=profile), "SEIZ-1-MIDAZOLAM-IM")
    assert any("IM injection is 0.86 mL, over the profile's 0.5 mL" in r for r in dp.review)


def test_a_volume_a_syringe_cannot_measure_is_rounded_to_0_01_ml_and_flagged():
    # 0.1 mg/kg x 21 kg = 2.1 mg (ROUND-1 0.1 mg). 2 x 2 mg and 1 x 4 mg both waste 1.9 mg; the
    # fewest is the 4 mg/1 mL vial: 2.1 / 4 = 0.525 mL, which a 1 mL syringe (0.01 mL marks)
    # cannot measure: drawn as 0.53 mL = 2.12 mg, and the block says so.
    dp = prep(build(case_data(weight="21 kg")), "SEIZ-1-LORAZEPAM")
    assert draws(dp) == [("4 mg/1 mL vial", 1, D("0.53"))]
    assert any("0.525 mL is drawn as 0.53 mL (2.12 mg instead of 2.1 mg)" in r for r in dp.review)
    # Methylprednisolone 30 mg/kg x 4.5 kg = 135 mg: 4 x 40 mg (waste 25 mg); the last vial
    # gives 15 mg = 0.375 mL, drawn as 0.38 mL (15.2 mg), flagged.
    data = case_data(weight="4.5 kg", height=None, age_months=4)
    dp = prep(build(data, profile=MP_PROFILE), "MP-1")
    assert draws(dp) == [("40 mg/1 mL vial", 3, D(1)), ("40 mg/1 mL vial", 1, D("0.38"))]
    assert any("0.375 mL is drawn as 0.38 mL" in r for r in dp.review)


def test_fosphenytoin_dose_rate_is_checked_against_the_boxed_warning():
    # 20 mg PE/kg x 14.2 kg = 284 -> 285 mg PE (5 mg PE steps). SEIZ-1: the slower of
    # 2 mg PE/kg/min x 14.2 = 28.4 and 150 mg PE/min is 28.4; 285 / 28.4 = 10.04 -> 11 minutes.
    # 285 / 11 = 25.9 mg PE/min, under the label's 28.4 for this child and 150: no rate reason.
    # Containers: 2 x 100 mg PE + 1 x 100 (85 mg PE drawn, 1.7 mL) = 300, waste 15; one 500 mg
    # PE vial would waste 215.
    profile = {"selection": {"SEIZ-1-FOSPHENYTOIN": True}}
    dp = prep(build(case_data(weight="14.2 kg"), profile=profile), "SEIZ-1-FOSPHENYTOIN")
    assert units.to_decimal(dp.infuse_over, units.minute) == D(11)
    assert not any("faster" in r for r in dp.review)
    assert ml(dp.drug_volume) == D("5.7")
    # A site's slower limit (20 mg PE/min) makes 25.9 mg PE/min a review reason.
    slow = {**profile, "formulary": {"fosphenytoin-iv": {"dose_rate_max": "20 mg/min"}}}
    dp = prep(build(case_data(weight="14.2 kg"), profile=slow), "SEIZ-1-FOSPHENYTOIN")
    assert any(
        "25.91 mg PE/min is faster than the product's maximum 20 mg PE/min" in r for r in dp.review
    )


# ---- the mechanism --------------------------------------------------------------------------


def test_containers_least_waste_then_fewest():
    assert choose_containers(D(358), [D(80), D(200), D(400)]) == (2, 1, 0)
    assert choose_containers(D(1000), [D(40), D(125), D(500), D(1000)]) == (0, 0, 0, 1)
    assert choose_containers(D("8.5"), [D(5), D(10), D(20), D(40)]) == (0, 1, 0, 0)
    assert choose_containers(D("0.1"), [D(2), D(4)]) == (1, 0)


def test_a_sites_container_limit_replaces_an_absurd_number_of_vials():
    # 30 mg/kg x 14.2 kg = 426 -> 425 mg (5 mg steps). Least waste over 40, 125, 500 and 1,000 mg:
    # 440 = 11 x 40 mg (waste 15); 445 = 125 + 8 x 40 (waste 20, 9 vials); 500 = one vial (waste
    # 75). Eleven reconstitutions for one dose: a site may cap the containers (no rule or label
    # gives a number). At 3: the least waste with at most 3 containers is 500 mg (1 vial; 4 x 125
    # would be 4): 425 / 125 mg/mL = 3.4 mL.
    assert choose_containers(D(425), [D(40), D(125), D(500), D(1000)]) == (11, 0, 0, 0)
    assert choose_containers(D(425), [D(40), D(125), D(500), D(1000)], 3) == (0, 0, 1, 0)
    data = case_data(weight="14.2 kg")
    dp = prep(build(data, profile=MP_PROFILE), "MP-1")
    assert dp.containers == 11
    capped = {"formulary": {"methylprednisolone-iv": {**MP_FORMULARY, "containers_max": 3}}}
    dp = prep(build(data, profile=capped), "MP-1")
    assert draws(dp) == [("500 mg/4 mL vial", 1, D("3.4"))]
    assert dp.waste == units.Quantity(D(75), units.mg)
    assert "containers_max" in " ".join(dp.sources)
    # A limit no choice meets is a review reason, with the least-waste choice kept.
    tiny = {"formulary": {"tocilizumab-iv": {"containers_max": 1}}}
    dp = prep(build(case_data(weight="100 kg", age_months=480), profile=tiny), "TCZ-1")
    assert dp.containers == 2
    assert any("over the profile's 1" in r for r in dp.review)
    with pytest.raises(InputError, match="containers_max"):
        build(data, profile={"formulary": {"tocilizumab-iv": {"containers_max": 0}}})


def test_titration_time_by_hand():
    # 10 mL at 2 mL/h for 30 minutes (1 mL), then 18 mL/h: 9 mL take 30 minutes: 60 in all.
    assert titrated_minutes(D(10), [D(2), D(18)], D(30)) == 60
    # Done within the first step: 1 mL at 2 mL/h = 30 minutes.
    assert titrated_minutes(D(1), [D(2), D(18)], D(30)) == 30


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        (
            {"presentations": [{"content": "80 mg"}]},
            "formulary.tocilizumab-iv.presentations[0].volume",
        ),
        (
            {"presentations": [{"content": "80 mL", "volume": "4 mL"}]},
            "formulary.tocilizumab-iv.presentations[0].content",
        ),
        (
            {"presentations": [{"content": "80 mg", "volume": "4 mL", "size": 1}]},
            "formulary.tocilizumab-iv.presentations[0].size",
        ),
        (
            {"storage": [{"condition": "fridge", "hours": -1}]},
            "formulary.tocilizumab-iv.storage[0].hours",
        ),
        ({"storage": [{"condition": "fridge"}]}, "formulary.tocilizumab-iv.storage[0].hours"),
        ({"infusion_minutes_min": 90}, "formulary.tocilizumab-iv.infusion_minutes_min"),
        ({"concentration_max": "15 mg/dL"}, "formulary.tocilizumab-iv.concentration_max"),
        ({"protect_from_light": "yes"}, "formulary.tocilizumab-iv.protect_from_light"),
        ({"handling": "do not shake"}, "formulary.tocilizumab-iv.handling"),
        ({"final_volume_maximum": "100 mL"}, "formulary.tocilizumab-iv.final_volume_maximum"),
    ],
)
def test_a_bad_profile_preparation_field_is_refused_naming_it(fields, path):
    with pytest.raises(InputError) as info:
        build(case_data(), profile={"formulary": {"tocilizumab-iv": fields}})
    assert info.value.field == path


def test_a_profile_overrides_a_bundled_fact_and_the_source_says_so():
    profile = {
        "formulary": {"tocilizumab-iv": {"storage": [{"condition": "2 to 8 °C", "hours": 12}]}}
    }
    os_ = build(case_data(shock=True, brainstem_lesion=True), profile=profile)
    dp = prep(os_, "TCZ-1")
    assert [(b.condition, b.hours) for b in dp.beyond_use] == [("2 to 8 °C", 12)]
    assert any("institution profile (storage)" in s for s in dp.sources)
    assert any("ACTEMRA" in s for s in dp.sources)


def test_json_carries_the_same_preparation():
    os_ = build(case_data(weight="29.9 kg", age_months=96, shock=True, brainstem_lesion=True))
    doc = json.loads(orderset.render(os_, "json"))
    tcz = next(o for o in doc["orders"] if o["id"] == "TCZ-1")["preparation"]["pharmacy"]
    assert tcz["drug_volume"] == {"value": 17.9, "unit": "mL"}
    assert tcz["final_concentration"] == {"value": 7.16, "unit": "mg/mL"}
    assert [c["count"] for c in tcz["containers"]] == [1, 1, 1]
    assert tcz["prepared_at"] is None and tcz["beyond_use"][0]["until"] is None


def test_json_names_a_fosphenytoin_vial_content_in_mg_pe():
    # CEREBYX: 100 mg PE/2 mL and 500 mg PE/10 mL. A bare "500 mg" would read as fosphenytoin
    # sodium (1.5 mg of it is 1 mg PE): the content carries the dose's unit, as the dose does.
    os_ = build(case_data(weight="14.2 kg"), profile={"selection": {"SEIZ-1-FOSPHENYTOIN": True}})
    doc = json.loads(orderset.render(os_, "json"))
    (fos,) = [o for o in doc["orders"] if o["id"] == "SEIZ-1-FOSPHENYTOIN"]
    containers = fos["preparation"]["pharmacy"]["containers"]
    assert {c["content"]["unit"] for c in containers} == {"mg PE"}
    assert [c["content"]["value"] for c in containers] == [100, 100]


def test_beyond_use_times_are_on_the_sites_clock_across_a_daylight_saving_change():
    # Tocilizumab diluted in 0.9% sodium chloride: 24 hours (ACTEMRA label). Prepared at 00:30 on
    # 2026-11-01 in New York (-04:00), the night the clocks go back at 02:00: 24 hours later the
    # wall clock reads 23:30 (-05:00) on 2026-11-01. Printed as "2026-11-02 00:30 -04:00" a
    # nurse reads the wall clock and uses the bag an hour past its beyond-use time.
    when = dt.datetime.fromisoformat("2026-11-01T00:30:00-04:00")
    profile = {"preparation": {"time_zone": "America/New_York"}}
    os_ = build(case_data(weight="14.2 kg"), profile=profile)
    doc = json.loads(orderset.render(os_, "json", prepared_at=when))
    tcz = next(o for o in doc["orders"] if o["id"] == "TCZ-1")["preparation"]["pharmacy"]
    assert tcz["beyond_use"][0]["until"] == "2026-11-01T23:30:00-05:00"
    # Without a zone the time keeps the preparation time's offset: the same instant.
    plain = build(case_data(weight="14.2 kg"))
    doc = json.loads(orderset.render(plain, "json", prepared_at=when))
    tcz = next(o for o in doc["orders"] if o["id"] == "TCZ-1")["preparation"]["pharmacy"]
    assert tcz["beyond_use"][0]["until"] == "2026-11-02T00:30:00-04:00"
    with pytest.raises(InputError, match=r"preparation\.time_zone"):
        build(case_data(weight="14.2 kg"), profile={"preparation": {"time_zone": "Mars/Olympus"}})
