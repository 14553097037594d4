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


@pytest.mark.parametrize(
    ("weight", "dose", "rate", "minutes"),
    [
        # 20 x 14.2 = 284 -> 285 mg PE (5 mg PE steps); rate min(2 x 14.2 = 28.4, 150) = 28.4;
        # 285 / 28.4 = 10.035... -> rounded up to 11 minutes (over ESETT's 10)
        ("14.2 kg", D(285), "28.4", 11),
        # 20 x 17.3 = 346 -> 345; min(34.6, 150) = 34.6; 345 / 34.6 = 9.97 -> 10 (= ESETT)
        ("17.3 kg", D(345), "34.6", 10),
        # 20 x 75 = 1,500 (max); min(150, 150) = 150; 1,500 / 150 = 10 exactly
        ("75 kg", D(1500), "150", 10),
        # 20 x 100 = 2,000 -> capped 1,500; min(200, 150) = 150 (the slower); 10 minutes
        ("100 kg", D(1500), "150", 10),
    ],
)
def test_fosphenytoin_minimum_infusion_time(weight, dose, rate, minutes):
    age = 44 if weight == "14.2 kg" else SCHOOL_AGE  # 14.2 kg: the 3-year-old of the examples
    o = order(build(case_data(age_months=age, weight=weight)), "SEIZ-1-FOSPHENYTOIN")
    assert mag(o.dose) == dose
    assert o.preparation.infuse_over == units.Quantity(minutes, units.minute)
    assert o.text.endswith(
        f"(second line, alternative to levetiracetam); infuse over at least {minutes} minutes"
        f" (no faster than {rate} mg PE/min) with cardiac monitoring"
    )
    # finding 12: the numbers are printed, not "the product label's maximum rate"
    assert not any("label's maximum rate" in n for n in o.notes)
    assert any("2 mg PE/kg/min or 150 mg PE/min" in n for n in o.notes)


def test_levetiracetam_is_infused_over_10_minutes():
    o = order(build(case_data()), "SEIZ-1-LEVETIRACETAM")
    assert o.preparation.infuse_over == units.Quantity(10, units.minute)
    assert o.text.endswith("(second line, preferred); infuse over 10 minutes")


def test_cardiac_monitoring_goes_with_fosphenytoin():
    s = build(case_data())
    monitoring = order(s, "SEIZ-1-FOSPHENYTOIN-CARDIAC")
    assert monitoring.depends_on == "SEIZ-1-FOSPHENYTOIN" and monitoring.kind == "nursing"
    assert not monitoring.selected and not order(s, "SEIZ-1-FOSPHENYTOIN").selected
    assert "fosphenytoin" in monitoring.text and "cardiac monitoring" in monitoring.text
    chosen = build(case_data(), profile={"selection": {"SEIZ-1-FOSPHENYTOIN": True}})
    assert order(chosen, "SEIZ-1-FOSPHENYTOIN-CARDIAC").selected
    allergic = build(case_data(allergies=[{"substance": "fosphenytoin", "reaction": "rash"}]))
    assert not has_order(allergic, "SEIZ-1-FOSPHENYTOIN-CARDIAC")


# ---- ICP-1 -----------------------------------------------------------------------------------


SALINE_MAX = "supportive_care.saline_3_percent_max_bolus"


def saline_profile(maximum=None, **flags):
    table = dict(flags)
    if maximum is not None:
        table["saline_3_percent_max_bolus"] = maximum
    return {"supportive_care": table} if table else None


@pytest.mark.parametrize(
    ("age_months", "weight", "low_ml", "high_ml"),
    [
        # ICP-1 2026-11-24: 2-5 mL/kg, ROUND-1 to 1 mL, the upper end never above 5 mL/kg
        (44, "14.2 kg", 28, 71),  # 2 x 14.2 = 28.4 -> 28; 5 x 14.2 = 71
        (44, "14.3 kg", 29, 71),  # 28.6 -> 29; 5 x 14.3 = 71.5: nearest 72 is over 5 mL/kg -> 71
        (60, "21 kg", 42, 105),  # 42; 105
        (12, "8 kg", 16, 40),  # 16; 40
        (SCHOOL_AGE, "50 kg", 100, 250),  # 50 kg is not over 50 kg: computed, 100; 250
        (17 * 12 + 11, "40 kg", 80, 200),  # 17 years 11 months: a child, 80; 200
    ],
)
def test_hypertonic_saline_is_one_bolus_with_a_range_to_write_in(
    age_months, weight, low_ml, high_ml
):
    s = build(case_data(age_months=age_months, weight=weight))
    o = order(s, "ICP-1-SALINE")
    assert not o.selected and o.section is Section.ICP
    # ONE bolus: no single volume in the order, so no format can send one nobody chose
    assert o.dose is None and o.calculation is None and o.daily_dose is None
    assert o.strength == "3%" and o.text.startswith("sodium chloride 3% ____ mL (")
    assert o.dose_detail == f"range {low_ml} to {high_ml} mL: 2 to 5 mL/kg"
    assert f"({o.dose_detail}) IV over 10 to 20 minutes" in o.text
    assert "as needed for raised intracranial pressure" in o.text
    assert "hold if serum osmolarity is 360 mOsm/L or more" in o.text
    assert "avoid serum sodium over 160 mEq/L sustained for more than 72 hours" in o.text
    assert "given" not in " ".join([o.text, *o.notes])  # finding 7: no "given 142 mL"
    assert "6.5" not in o.text and not any(a.id == "ICP-1-SALINE-PROTOCOL" for a in s.alerts)
    check = order(s, "ICP-1-SODIUM-OSMOLARITY")
    assert not check.selected and check.frequency == "every 6 hours"
    assert check.depends_on == "ICP-1-SALINE"


def test_hypertonic_saline_json_and_hl7_carry_no_volume_nobody_prescribed():
    from orderset import render

    s = build(case_data(), profile={"selection": {"ICP-1-SALINE": True}})
    doc = to_json_dict(s)
    o = next(o for o in doc["orders"] if o["id"] == "ICP-1-SALINE")
    assert o["dose"] is None and o["dose_text"] is None and o["calculated_dose"] is None
    assert o["calculation"] is None and o["strength"] == "3%"
    assert o["dose_detail"] == "range 28 to 71 mL: 2 to 5 mL/kg"
    hl7 = render(s, "hl7").decode()
    rxo = [seg for seg in hl7.split("\r") if seg.startswith("RXO|") and "NACL3-INJ" in seg]
    assert len(rxo) == 1 and rxo[0].split("|")[2] == ""  # RXO-2 empty: no amount was chosen
    for volume in ("28 mL", "71 mL", "92 mL", "142 mL"):
        assert f"|{volume.split()[0]}|" not in rxo[0]


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"age_months": SCHOOL_AGE, "weight": "50.001 kg"}, "over 50 kg"),
        ({"age_months": SCHOOL_AGE, "weight": "70 kg"}, "finding 2: was 455-700 mL"),
        ({"age_months": SCHOOL_AGE, "weight": "180 kg"}, "finding 2: was 1,170-1,800 mL"),
        ({"age_months": 18 * 12, "weight": "40 kg"}, "18 years"),
        ({"birth_date": "2008-11-22", "weight": "40 kg"}, "18 years today"),
    ],
)
def test_no_saline_volume_without_a_profile_maximum_for_adults_and_over_50_kg(changes, why):
    s = build(case_data(**changes))
    o = order(s, "ICP-1-SALINE")
    assert o.dose is None and o.calculation is None and o.dose_detail == "", why
    assert o.text.startswith("sodium chloride 3% bolus per institution protocol IV over 10 to")
    head = o.text.split("IV over")[0].replace("3%", "")
    assert not any(c.isdigit() for c in head), o.text  # no volume, no mL/kg to work one out
    alert = next(a for a in s.alerts if a.id == "ICP-1-SALINE-PROTOCOL")
    assert alert.rule_id == "ICP-1" and alert.order_id == "ICP-1-SALINE"
    assert "per institution protocol" in alert.text


def test_seventeen_years_364_days_is_a_child_and_gets_a_range():
    s = build(case_data(birth_date="2008-11-23", weight="40 kg"))  # 18 tomorrow
    assert order(s, "ICP-1-SALINE").dose_detail == "range 80 to 200 mL: 2 to 5 mL/kg"
    assert not any(a.id == "ICP-1-SALINE-PROTOCOL" for a in s.alerts)


@pytest.mark.parametrize(
    ("age_months", "weight", "detail"),
    [
        # 250 mL is a test value for the profile's maximum, not a clinical recommendation
        # 70 kg: 2 x 70 = 140; 5 x 70 = 350 -> capped at 250
        (SCHOOL_AGE, "70 kg", "range 140 to 250 mL: 2 to 5 mL/kg, capped at the institution"),
        # 180 kg: 360 and 900 -> both capped at 250
        (SCHOOL_AGE, "180 kg", "no more than 250 mL: 2 to 5 mL/kg, capped at the institution"),
        # an adult at 40 kg: 80; 200, under the maximum, so not capped
        (18 * 12, "40 kg", "range 80 to 200 mL: 2 to 5 mL/kg"),
    ],
)
def test_profile_maximum_single_bolus_caps_the_range(age_months, weight, detail):
    s = build(case_data(age_months=age_months, weight=weight), profile=saline_profile("250 mL"))
    o = order(s, "ICP-1-SALINE")
    assert o.dose is None and o.dose_detail.startswith(detail)
    capped = "capped" in o.dose_detail
    assert capped == ("capped" in detail)
    if capped:
        assert o.dose_detail.endswith("maximum single bolus of 250 mL")
    assert "maximum single bolus per institution profile" in o.evidence.sources
    assert not any(a.id == "ICP-1-SALINE-PROTOCOL" for a in s.alerts)


def test_saline_maximum_setting_has_no_default_and_is_checked():
    from orderset.testing import fresh_host

    host = fresh_host()
    declared = {s.path: s for s in host.settings()}
    assert declared[SALINE_MAX].default is None
    for bad in ("0.5 mL", "250 mg", "250"):
        with pytest.raises(InputError, match="saline_3_percent_max_bolus"):
            build(case_data(), profile=saline_profile(bad))


def test_infusion_and_23_4_percent_only_when_the_profile_enables_them():
    s = build(case_data())
    assert not has_order(s, "ICP-1-SALINE-INFUSION") and not has_order(s, "ICP-1-SALINE-23-4")
    on = build(
        case_data(),
        profile=saline_profile(saline_3_percent_infusion=True, saline_23_4_percent=True),
    )
    infusion = order(on, "ICP-1-SALINE-INFUSION")
    # 0.1 x 14.2 = 1.42 -> 1.4 mL/h; 1 x 14.2 = 14.2 mL/h
    assert infusion.dose is None and not infusion.selected and infusion.strength == "3%"
    assert infusion.dose_detail == "range 1.4 to 14.2 mL/h: 0.1 to 1 mL/kg/h"
    assert infusion.text.startswith("sodium chloride 3% ____ mL/h (range 1.4 to 14.2 mL/h")
    conc = order(on, "ICP-1-SALINE-23-4")
    # 0.5 mL/kg x 14.2 kg = 7.1 mL (0.1 mL steps), under the 30 mL maximum
    assert mag(conc.dose, units.mL) == D("7.1") and not conc.selected
    assert conc.text.startswith("sodium chloride 23.4% 7.1 mL IV once")
    assert "central line" in conc.text and "refractory" in conc.text
    big = build(
        case_data(age_months=SCHOOL_AGE, weight="70 kg"),
        profile=saline_profile(saline_23_4_percent=True),
    )
    conc = order(big, "ICP-1-SALINE-23-4")  # 0.5 x 70 = 35 mL -> capped at 30 mL
    assert mag(conc.dose, units.mL) == D(30) and conc.calculation.capped


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
    s = build(
        case_data(**changes),
        profile=saline_profile(saline_3_percent_infusion=True, saline_23_4_percent=True),
    )
    mine = [o for o in s.orders if o.plugin == "supportive_care"]
    assert len({o.id for o in mine}) == len(mine)
    for o in mine:
        assert o.id.startswith(o.rule_id) and o.evidence.sources
        texts = [o.text, *o.notes]
        if o.kind == "medication":
            assert o.product_code and o.drug == o.drug.lower()
            # a dose has its calculation; a range for the prescriber (ICP-1) has neither
            assert (o.dose is None) == (o.calculation is None), o.id
            if o.calculation is not None:
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
