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


# ---- Safety hardening 2: duplicate keys, look-alike digits, limits ----------------------------


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('"weight": "14.2 kg"', '"weight": "14.2 kg", "weight": "28.4 kg"', "patient.weight"),
        (
            '"allergies": []',
            '"allergies": [{"substance": "tocilizumab"}], "allergies": []',
            "patient.allergies",
        ),
        ('"patient": {', '"format": 1, "format": 1, "patient": {', "format"),
        ('"shock": false', '"shock": false, "shock": true', "clinical.shock"),
    ],
)
def test_a_duplicate_json_key_is_refused_naming_its_path(old, new, field):
    text = json.dumps(case_data())
    assert old in text
    with pytest.raises(InputError) as info:
        case_from_json(text.replace(old, new, 1))
    assert (info.value.field, info.value.reason) == (
        field,
        "is given 2 times; each key may appear only once",
    )


LOOKALIKE_DIGITS = {
    "bengali": "\u09ea",
    "fullwidth": "\uff14",
    "arabic-indic": "\u0664",
    "devanagari": "\u096a",
    "nko": "\u07c4",
    "mongolian": "\u1814",
    "math-bold": "\U0001d7d2",
}


@pytest.mark.parametrize("four", sorted(LOOKALIKE_DIGITS.values()))
@pytest.mark.parametrize(
    ("key", "template"),
    [
        ("weight", "1{} kg"),
        ("height", "9{} cm"),
        ("serum_creatinine", "0.{} mg/dL"),
        ("platelets", "1{}0 x10^9/L"),
        ("birth_date", "2023-03-0{}"),
        ("weight_measured_at", "2026-11-2{}"),
        ("neuro_onset", "2026-11-21T2{}:00:00-05:00"),
        ("assessed_at", "2026-11-22T0{}:00:00-05:00"),
    ],
)
def test_numbers_are_ascii_digits_only(key, template, four):
    err = error_of(case_data(**{key: template.format(four)}))
    assert err.field.endswith(key)
    assert "has a digit that is not 0-9" in err.reason or "is not a date" in err.reason


def test_a_look_alike_digit_in_a_value_unit_pair_is_refused():
    err = error_of(case_data(weight={"value": 14, "unit": "k\u0664g"}))
    assert err.field == "patient.weight.unit"


def test_dates_are_written_yyyy_mm_dd_within_1900_to_2199():
    assert (
        error_of(case_data(birth_date="20230304")).reason == "'20230304' is not a date (YYYY-MM-DD)"
    )
    err = error_of(case_data(assessed_at="9999-11-22T06:00:00-05:00"))
    assert (err.field, err.reason) == ("assessed_at", "year 9999 is outside 1900 to 2199")
    err = error_of(case_data(birth_date="1899-12-31"))
    assert err.field == "patient.birth_date"


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"mrn": "A123\u00e9"}, "patient.mrn", "is not printable ASCII"),
        ({"mrn": "A123\x07"}, "patient.mrn", "is not printable ASCII"),
        ({"mrn": "A\u0661"}, "patient.mrn", "is not printable ASCII"),
        ({"mrn": "A" * 21}, "patient.mrn", "is 21 characters long (at most 20)"),
        ({"family_name": "x" * 101}, "patient.family_name", "(at most 100)"),
        ({"given_name": "Pat\ud800"}, "patient.given_name", "unpaired surrogate"),
        ({"location": "a" * 500}, "encounter.location", "is 500 characters long (at most 100)"),
        ({"attending": "a" * 101}, "encounter.attending", "(at most 100)"),
        ({"location": "&" * 67}, "encounter.location", "once HL7 escapes"),
        (
            {"allergies": [{"substance": "penicillin", "reaction": "r" * 101}]},
            "patient.allergies[0].reaction",
            "(at most 100)",
        ),
        (
            {"allergies": [{"substance": "penicillin"}] * 101},
            "patient.allergies",
            "has 101 entries (at most 100)",
        ),
        ({"weight": [[[[[[[[["14 kg"]]]]]]]]]}, "patient.weight[0][0][0][0][0][0]", "nested more"),
    ],
)
def test_limits_are_checked_at_load_naming_the_field(changes, field, reason):
    err = error_of(case_data(**changes))
    assert err.field == field, str(err)
    assert reason in err.reason


@pytest.mark.parametrize("number", [10**15, -(10**15), 10**5000], ids=["1e15", "-1e15", "1e5000"])
def test_a_whole_number_of_15_digits_or_more_is_refused(number):
    data = case_data()
    data["clinical"]["methylprednisolone_days_given"] = number
    err = error_of(data)
    assert err.field == "clinical.methylprednisolone_days_given"
    assert err.reason == "is too large (a number here has at most 15 digits)"


def test_a_huge_integer_deep_nesting_and_a_huge_file_are_input_errors(tmp_path):
    data = case_data()
    data["clinical"]["methylprednisolone_days_given"] = 0
    text = json.dumps(data)
    with pytest.raises(InputError, match="a number with 5,001 digits is too large"):
        case_from_json(
            text.replace(
                '"methylprednisolone_days_given": 0',
                '"methylprednisolone_days_given": ' + "9" * 5001,
            )
        )
    with pytest.raises(InputError, match=r"^case: is nested more than 8 levels deep$"):
        case_from_json("[" * 100_000 + "]" * 100_000)
    big = tmp_path / "big.json"
    big.write_text(json.dumps({**case_data(), "padding": " " * 1_000_000}))
    with pytest.raises(InputError, match=r"big.json: is larger than 1,000,000 bytes"):
        orderset.load_case(big)
    with pytest.raises(InputError, match="is a directory"):
        orderset.load_case(tmp_path)


def test_text_at_every_limit_builds_every_format():
    """The load-time limits are at least as strict as HL7's: a case that loads renders."""
    from orderset.testing import build

    worst = "|^&~\\" * 13  # 65 characters, 195 once HL7-escaped
    data = case_data(
        mrn="~" * 20,
        family_name=worst,
        given_name="g" * 100,
        location=worst,
        attending="a" * 100,
        allergies=[{"substance": worst, "reaction": "r" * 100}] * 100,
    )
    order_set = build(data)
    for fmt in ("json", "hl7", "html"):
        assert orderset.render(order_set, fmt)
