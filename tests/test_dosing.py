"""Shared dosing helpers: ROUND-1, caps, bands, volumes, and ISMP display."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderset import units
from orderset.dosing import (
    Band,
    pump_rate,
    round_to_increment,
    select_band,
    volume_for,
    weight_based_dose,
)
from orderset.formatting import format_number, format_quantity, ismp_violations

D = Decimal


@pytest.mark.parametrize(
    ("capped", "increment", "maximum", "given", "deviation", "review"),
    [
        # 426 / 5 = 85.2 -> 85 steps -> 425; (425 - 426) / 426 = -0.23% -> -0.2
        (D(426), D(5), D(1000), D(425), D("-0.2"), False),
        # 427.5 / 5 = 85.5 -> halves up -> 86 steps = 430
        (D("427.5"), D(5), D(1000), D(430), D("0.6"), False),
        # nearest step 1,000 would exceed a 998 cap -> round down to 995
        (D(998), D(5), D(998), D(995), D("-0.3"), False),
        # 2.37 mg with 0.6 mg steps: 3.95 steps -> 4 -> 2.4 mg, +1.3%
        (D("2.37"), D("0.6"), None, D("2.4"), D("1.3"), False),
        # 0.25 mg with 0.6 mg steps rounds to 0: keep 0.25 mg and flag for review
        (D("0.25"), D("0.6"), None, D("0.25"), D(0), True),
        # 0.4 mg with 0.6 steps -> 0.6 (+50%): more than 10% away -> keep 0.4, review
        (D("0.4"), D("0.6"), None, D("0.4"), D(0), True),
    ],
)
def test_round_1(capped, increment, maximum, given, deviation, review):
    assert round_to_increment(capped, increment, maximum) == (given, deviation, review)


def test_round_1_refuses_a_zero_increment():
    with pytest.raises(ValueError, match="more than zero"):
        round_to_increment(D(10), D(0), None)


@pytest.mark.parametrize(
    ("weight", "given", "text"),
    [
        # 30 mg/kg x 14.2 kg = 426 mg -> 425 mg
        (D("14.2"), 425, "30 mg/kg x 14.2 kg = 426 mg; max 1,000 mg; given 425 mg"),
        # 30 x 33.3 = 999 -> nearest 5 mg step is 1,000 (not over the cap) -> 1,000
        (D("33.3"), 1000, "30 mg/kg x 33.3 kg = 999 mg; max 1,000 mg; given 1,000 mg"),
        # 30 x 34 = 1,020 -> capped at 1,000
        (
            D(34),
            1000,
            "30 mg/kg x 34 kg = 1,020 mg; max 1,000 mg; given 1,000 mg (capped at maximum)",
        ),
    ],
)
def test_weight_based_dose_with_cap(weight, given, text):
    calc = weight_based_dose(
        units.Quantity(30, units.mg_per_kg),
        weight,
        unit=units.mg,
        increment=units.Quantity(5, units.mg),
        maximum=units.Quantity(1000, units.mg),
    )
    assert calc.given.to(units.mg).magnitude == given
    assert calc.text == text
    assert calc.capped is (weight * 30 > 1000)


def test_weight_based_dose_in_the_wrong_dimension_raises():
    import pint

    with pytest.raises(pint.DimensionalityError):
        weight_based_dose(
            units.Quantity(30, units.mL_per_kg),
            D(10),
            unit=units.mg,
            increment=units.Quantity(5, units.mg),
        )


def test_bands_are_exact_at_their_edges():
    bands = [Band(30, D(15), inclusive=True), Band(45, D(23), inclusive=True), Band(60)]
    assert [select_band(D(x), bands).value for x in ("15", "15.001", "23", "23.1")] == [
        30,
        45,
        45,
        60,
    ]


def test_volume_and_pump_rate():
    # 170 mg at 20 mg/mL = 8.5 mL; 50 mL over 60 minutes = 50 mL/h
    assert volume_for(units.Quantity(170, units.mg), units.Quantity(20, units.mg_per_mL)) == (
        units.Quantity(8.5, units.mL)
    )
    rate = pump_rate(units.Quantity(50, units.mL), units.Quantity(60, units.minute))
    assert rate.to(units.mL_per_h).magnitude == 50


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (5, "5"),
        (5.0, "5"),
        (0.5, "0.5"),
        (1000, "1,000"),
        (4500, "4,500"),
        (12.25, "12.25"),
        (425.99999999999994, "426"),
        (D("0.100"), "0.1"),
    ],
)
def test_ismp_numbers(value, text):
    assert format_number(value) == text


def test_quantity_labels_are_safe():
    assert format_quantity(units.Quantity(5.0, units.mg)) == "5 mg"
    assert format_quantity(units.Quantity(0.5, units.mL_per_h)) == "0.5 mL/h"
    assert format_quantity(units.Quantity(20, units.mg), "mg PE") == "20 mg PE"
    assert format_quantity(units.Quantity(100, units.mcg)) == "100 mcg"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("give 5.0 mg", "trailing zero"),
        ("give .5 mg", "no leading zero"),
        ("10 U insulin", "U for units"),
        ("5 IU", "IU"),
        ("give QD", "QD"),
        ("5 cc", "cc"),
        ("50 ug", "ug"),
        ("MSO4 2 mg", "MSO4"),
    ],
)
def test_ismp_checker_catches_each_forbidden_form(text, rule):
    assert rule in ismp_violations(text)


def test_ismp_checker_passes_clean_text():
    assert ismp_violations("methylprednisolone 425 mg IV once daily; 0.5 mg/kg; 1,000 mg") == []


def test_a_maximum_pump_rate_rounds_down():
    # 34.08 mL/h: nearest 0.1 is 34.1, above the maximum -> 34 when the rate is a maximum
    volume = units.Quantity(34.08, units.mL)
    hour = units.Quantity(60, units.minute)
    assert pump_rate(volume, hour).to(units.mL_per_h).magnitude == D("34.1")
    assert pump_rate(volume, hour, is_maximum=True).to(units.mL_per_h).magnitude == 34
