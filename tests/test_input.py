"""The input contract: every field, units in several spellings, every rejection named."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

import orderset
from orderset import InputError, case_from_dict, case_from_json
from orderset.loader import plausible_weight_kg
from orderset.testing import case_data


def error_of(data) -> InputError:
    with pytest.raises(InputError) as info:
        case_from_dict(data)
    return info.value


def test_valid_case_is_structured_into_frozen_model():
    case = case_from_dict(case_data())
    assert case.weight_kg == Decimal("14.2")
    assert case.age.years == 3 and case.age.months == 44
    assert case.hours_since_onset == Decimal(10)
    assert case.patient.allergies == ()
    with pytest.raises(AttributeError):
        case.patient.mrn = "X"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("weight", "kg"),
    [
        ("14.2 kg", "14.2"),
        ("14.2kg", "14.2"),
        ("14.2 KG", "14.2"),
        ("14200 g", "14.2"),
        ({"value": 14.2, "unit": "kg"}, "14.2"),
        ({"value": 14200, "unit": "g"}, "14.2"),
        # 14.2 kg / 0.45359237 kg per lb = 31.305... lb; the dosing weight is kept to the gram.
        ("31.30557 lb", "14.2"),
        ("31.30557 lbs", "14.2"),
        ("500.89 oz", "14.2"),
    ],
)
def test_weight_spellings_give_the_same_dosing_weight(weight, kg):
    assert case_from_dict(case_data(weight=weight)).weight_kg == Decimal(kg)


def test_weight_in_lb_gives_exactly_the_same_orders_as_kg():
    from orderset.testing import build

    in_kg = build(case_data(weight="14.2 kg"))
    in_lb = build(case_data(weight="31.30557 lb"))
    assert [o for o in in_kg.orders] == [o for o in in_lb.orders]


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"weight": "14.2"}, "patient.weight", "has no unit"),
        ({"weight": 14.2}, "patient.weight", "has no unit"),
        ({"weight": "14.2 m"}, "patient.weight", "unit 'm' is not accepted for weight"),
        ({"weight": "14.2 Mg"}, "patient.weight", "unit 'Mg' is not accepted"),
        ({"weight": "14.2 units"}, "patient.weight", "is not accepted"),
        ({"weight": "0 kg"}, "patient.weight", "must be more than zero"),
        ({"weight": "-3 kg"}, "patient.weight", "must be more than zero"),
        ({"weight": "heavy"}, "patient.weight", "is not a number with a unit"),
        ({"weight": "14,2 kg"}, "patient.weight", "has a comma in the number"),
        ({"weight": "1,420 g"}, "patient.weight", "has a comma in the number"),
        ({"weight": {"value": "14", "unit": "kg"}}, "patient.weight.value", "is not a number"),
        ({"weight": {"value": 14}}, "patient.weight", 'needs both "value" and "unit"'),
        ({"weight": None}, "patient.weight", "is null"),
        ({"weight": "1e400 kg"}, "patient.weight", "is not a finite number"),
        ({"hematocrit": "1e+25 %"}, "patient.hematocrit", "far too large"),
        ({"weight": "150 kg", "age_months": 24}, "patient.weight", "outside the plausible range"),
        ({"height": "96 kg"}, "patient.height", "is not accepted for height"),
        ({"serum_creatinine": "0.3"}, "patient.serum_creatinine", "has no unit"),
        ({"platelets": "85"}, "clinical.platelets", "has no unit"),
        ({"csf_protein": "80 mmHg"}, "clinical.csf_protein", "is not accepted"),
        ({"sex": "F"}, "patient.sex", "'F' is not one of: female, male, other, unknown"),
        ({"shock": "false"}, "clinical.shock", "'false' is not true or false"),
        ({"shock": 0}, "clinical.shock", "is not true or false"),
        ({"influenza": "maybe"}, "clinical.influenza", "is not one of"),
        ({"mrn": 1234}, "patient.mrn", "is not text"),
        ({"mrn": "  "}, "patient.mrn", "is empty"),
        ({"birth_date": "04/03/2023"}, "patient.birth_date", "is not a date"),
        ({"birth_date": "2027-01-01"}, "patient.birth_date", "is in the future"),
        ({"weight_measured_at": "2026-11-23"}, "patient.weight_measured_at", "is after"),
        (
            {"neuro_onset": "2026-11-22T07:00:00-05:00"},
            "clinical.neuro_onset",
            "is after assessed_at",
        ),
        ({"neuro_onset": "2026-11-21T20:00:00"}, "clinical.neuro_onset", "has no UTC offset"),
        ({"assessed_at": "yesterday"}, "assessed_at", "is not a date and time"),
        ({"allergies": [{"reaction": "hives"}]}, "patient.allergies[0].substance", "is required"),
        ({"allergies": "none"}, "patient.allergies", "must be a list"),
    ],
)
def test_bad_fields_are_refused_by_name(changes, field, reason):
    err = error_of(case_data(**changes))
    assert err.field == field, str(err)
    assert reason in err.reason


def test_typo_in_a_key_is_an_error_with_a_suggestion():
    data = case_data()
    data["patient"]["wieght"] = data["patient"].pop("weight")
    err = error_of(data)
    # The missing real field or the unknown typo: either way the message names the field.
    assert err.field in ("patient.wieght", "patient.weight")
    data = case_data()
    data["patient"]["wieght"] = "14 kg"
    err = error_of(data)
    assert err.field == "patient.wieght"
    assert "did you mean 'weight'" in err.reason


def test_unknown_top_level_and_nested_keys_are_errors():
    data = case_data()
    data["extra"] = 1
    assert error_of(data).field == "extra"
    data = case_data()
    data["clinical"]["seizures"] = True
    assert error_of(data).field == "clinical.seizures"


def test_missing_required_fields_are_named():
    data = case_data()
    del data["patient"]["weight"]
    err = error_of(data)
    assert (err.field, err.reason) == ("patient.weight", "is required")
    data = case_data()
    del data["clinical"]
    assert error_of(data).field == "clinical"


def test_optional_fields_may_be_left_out_but_not_guessed():
    case = case_from_dict(
        case_data(height=None, serum_creatinine=None, platelets=None, csf_protein=None)
    )
    assert case.patient.height is None and case.clinical.platelets is None
    data = case_data()
    del data["patient"]["allergies"]
    err = error_of(data)
    assert err.field == "patient.allergies"  # "not recorded" must be said, not assumed


@pytest.mark.parametrize(
    ("spelling", "per_l"),
    [("85 x10^9/L", 85e9), ("85 x 10^9/L", 85e9), ("85000 /uL", 85e9), ("85000 /µL", 85e9)],
)
def test_platelet_spellings(spelling, per_l):
    case = case_from_dict(case_data(platelets=spelling))
    assert case.clinical.platelets.to("1/L").magnitude == pytest.approx(per_l)


def test_creatinine_in_umol_per_l_converts_through_molar_mass():
    from orderset.loader import creatinine_mg_dl

    # 88.4 umol/L x 113.12 g/mol = 10 mg/L = 1.0 mg/dL
    case = case_from_dict(case_data(serum_creatinine="88.4 umol/L"))
    assert creatinine_mg_dl(case.patient.serum_creatinine) == Decimal("1.00")


def test_assessed_at_defaults_to_now_when_left_out():
    data = case_data()
    del data["assessed_at"]
    case = case_from_dict(data)
    assert abs(case.assessed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_malformed_and_empty_json_name_the_source():
    with pytest.raises(InputError, match=r"case.json: not valid JSON at line 1 column 2"):
        case_from_json("{x", source="case.json")
    with pytest.raises(InputError, match="file is empty"):
        case_from_json("  \n", source="case.json")
    with pytest.raises(InputError, match="must be a JSON object"):
        case_from_json("[1, 2]")


def test_file_not_found_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        orderset.load_case(tmp_path / "nope.json")


def test_input_error_is_also_a_value_error():
    with pytest.raises(ValueError):
        case_from_json(json.dumps(case_data(weight="1 m")))


@pytest.mark.parametrize(
    ("months", "lo", "hi"), [(6, "0.3", "20"), (24, "4", "40"), (240, "25", "350")]
)
def test_plausible_weight_bounds_by_age(months, lo, hi):
    from orderset.model import Age

    assert plausible_weight_kg(Age(months // 12, months, 0)) == (Decimal(lo), Decimal(hi))
