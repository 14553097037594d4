"""One number type on the dose path: `units.to_decimal` is the one Quantity -> Decimal
conversion, doses carry Decimal magnitudes, and each caller's rounding is unchanged.

The reference functions at the bottom are the float converters this replaced, copied as they
were, so the tests can show the Decimal path gives the same numbers.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderset import case_from_dict, units
from orderset.dosing import fixed_dose, pump_rate, volume_for, weight_based_dose
from orderset.renal import renal_function
from orderset.severity import severity_score
from orderset.testing import case_data

D = Decimal


# ---- the conversion ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "unit", "expected"),
    [
        (units.Quantity(0.1, units.mg_per_kg), units.mg_per_kg, D("0.1")),  # repr, not binary
        (units.Quantity(425, units.mg), units.mg, D(425)),  # int kept exactly
        (units.Quantity(D("0.425"), units.g), units.g, D("0.425")),  # Decimal kept
        (units.Quantity(D("425"), units.mg), units.g, D("0.425")),  # Decimal stays Decimal
        (units.Quantity(0.6, units.g_per_L), units.mg_per_dL, D(60)),
        (units.Quantity(100000.0, units.per_uL), units.giga_per_L, D(100)),
    ],
)
def test_to_decimal_is_exact(q, unit, expected):
    value = units.to_decimal(q, unit)
    assert type(value) is Decimal
    assert value == expected


def test_to_decimal_keeps_float_conversion_noise_for_the_caller_to_round():
    # 31.306 lb in kg is 14.2001627... in float; nothing is rounded until the caller says so.
    value = units.to_decimal(units.Quantity(31.306, units.lb), units.kg)
    assert value == D(repr(units.Quantity(31.306, units.lb).to(units.kg).magnitude))
    assert value != D("14.200")
    assert value.quantize(D("0.001"), rounding=ROUND_HALF_UP) == D("14.200")


def test_to_decimal_refuses_a_wrong_dimension():
    with pytest.raises(pint.DimensionalityError):
        units.to_decimal(units.Quantity(5, units.mg), units.mL)


@pytest.mark.parametrize("bad", [True, float("nan"), float("inf"), D("NaN"), "1"])
def test_exact_decimal_refuses_what_is_not_a_finite_number(bad):
    with pytest.raises((TypeError, ValueError)):
        units.exact_decimal(bad)


@pytest.mark.parametrize(
    ("value", "text"),
    [(D("426.000"), "426"), (D("8.50"), "8.5"), (D("4.3E+2"), "430"), (D(0), "0")],
)
def test_decimal_quantities_are_written_plainly(value, text):
    q = units.decimal_quantity(value, units.mg)
    assert type(q.magnitude) is Decimal
    assert str(q.magnitude) == text
    assert f"{q.magnitude:g}" == text


# ---- the dose path carries Decimal magnitudes --------------------------------------------------


def test_dose_path_returns_decimal_magnitudes_from_plugin_float_constants():
    # SEIZ-1 lorazepam: a plugin's float constants go in; Decimals come out.
    calc = weight_based_dose(
        units.Quantity(0.1, units.mg_per_kg),
        D("14.2"),
        unit=units.mg,
        increment=units.Quantity(0.1, units.mg),
        maximum=units.Quantity(4, units.mg),
    )
    assert calc.text == "0.1 mg/kg x 14.2 kg = 1.42 mg; max 4 mg; given 1.4 mg"
    assert type(calc.calculated.magnitude) is Decimal and calc.calculated.magnitude == D("1.42")
    assert type(calc.given.magnitude) is Decimal and calc.given.magnitude == D("1.4")
    # pint multiplies a Decimal magnitude by an int frequency (daily dose) without TypeError
    assert (calc.given * 4).magnitude == D("5.6")

    band = fixed_dose(units.Quantity(30, units.mg), reason="15 kg or less", unit=units.mg)
    assert type(band.given.magnitude) is Decimal and band.given == band.calculated

    volume = volume_for(units.Quantity(D(170), units.mg), units.Quantity(20, units.mg_per_mL))
    assert type(volume.magnitude) is Decimal and volume.magnitude == D("8.5")
    rate = pump_rate(units.Quantity(50, units.mL), units.Quantity(60, units.minute))
    assert type(rate.magnitude) is Decimal and rate.magnitude == D(50)


def test_a_decimal_per_kg_gives_the_same_dose_as_the_float_constant():
    common = {"unit": units.g, "increment": units.Quantity(0.5, units.g)}
    as_float = weight_based_dose(units.Quantity(0.4, units.g_per_kg), D("14.2"), **common)
    as_decimal = weight_based_dose(units.Quantity(D("0.4"), units.g_per_kg), D("14.2"), **common)
    assert as_float == as_decimal  # every number in the calculation is an exact Decimal
    for q in (as_float.per_kg, as_float.increment, as_float.calculated, as_float.given):
        assert q is not None and type(q.magnitude) is Decimal


# ---- the same numbers as the float path did ----------------------------------------------------

_per_kg = st.one_of(
    st.integers(1, 60).map(float),
    st.decimals(D("0.05"), D(60), places=2).map(float),
)
_weight = st.decimals(D("0.3"), D(350), places=3)


@given(per_kg=_per_kg, weight=_weight, step=st.sampled_from([0.1, 0.5, 1, 2, 5, 10]))
def test_weight_based_dose_matches_the_float_path(per_kg, weight, step):
    calc = weight_based_dose(
        units.Quantity(per_kg, units.mg_per_kg),
        weight,
        unit=units.mg,
        increment=units.Quantity(step, units.mg),
        maximum=units.Quantity(1000, units.mg),
    )
    old = _old_dec((units.Quantity(per_kg, units.mg_per_kg) * _old_weight(weight)).to(units.mg))
    assert calc.calculated.magnitude == old.quantize(D("0.001"), rounding=ROUND_HALF_UP)


@given(
    dose=st.decimals(D("0.1"), D(5000), places=1),
    concentration=st.sampled_from([6, 20, 50, 100, 0.5, 2.5]),
)
def test_volume_matches_the_float_path(dose, concentration):
    q, c = units.Quantity(dose, units.mg), units.Quantity(concentration, units.mg_per_mL)
    old = _old_dec(units.Quantity(float(dose), units.mg) / c, units.mL)
    assert volume_for(q, c).magnitude == old.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@given(
    volume=st.decimals(D("0.1"), D(500), places=2).map(float),
    minutes=st.sampled_from([15, 30, 45, 60, 90, 240]),
    is_maximum=st.booleans(),
)
def test_pump_rate_matches_the_float_path(volume, minutes, is_maximum):
    v, over = units.Quantity(volume, units.mL), units.Quantity(minutes, units.minute)
    rounding = ROUND_FLOOR if is_maximum else ROUND_HALF_UP
    old = _old_dec(v / over, units.mL_per_h).quantize(D("0.1"), rounding=rounding)
    assert pump_rate(v, over, is_maximum=is_maximum).magnitude == old


# ---- the input checks and SCORE-1 at their edges -----------------------------------------------


@pytest.mark.parametrize(
    ("weight", "kg"),
    [
        ("14.2 kg", D("14.200")),
        ("31.306 lb", D("14.200")),  # 14.2001627... kg, to the gram
        ("14200 g", D("14.200")),
        ("14.2005 kg", D("14.201")),  # halves up
        ("500.9 oz", D("14.200")),  # 14.2003... kg
    ],
)
def test_dosing_weight_is_rounded_to_the_gram_half_up(weight, kg):
    case = case_from_dict(case_data(weight=weight))
    assert case.weight_kg == kg
    assert str(case.weight_kg) == str(kg)  # same exponent: the JSON and the sheet print it


@pytest.mark.parametrize(
    ("changes", "platelets", "protein"),
    [
        # exactly at the threshold is neither under 100 nor over 60, in every unit
        ({"platelets": "100 x10^9/L", "csf_protein": "60 mg/dL"}, False, False),
        ({"platelets": "100000 /uL", "csf_protein": "0.6 g/L"}, False, False),
        ({"platelets": "100 x10E9/L", "csf_protein": "600 mg/L"}, False, False),
        # decided on the unrounded value, not the 0.1 step the input check prints
        ({"platelets": "99.96 x10^9/L", "csf_protein": "60.04 mg/dL"}, True, True),
        ({"platelets": "99960 /uL", "csf_protein": "0.6004 g/L"}, True, True),
        ({"platelets": "100.04 x10^9/L", "csf_protein": "59.96 mg/dL"}, False, False),
    ],
)
def test_score_1_thresholds_at_their_edges(changes, platelets, protein):
    items = {i.name: i.present for i in severity_score(case_from_dict(case_data(**changes))).items}
    assert items["platelets under 100 x10^9/L"] is platelets
    assert items["CSF protein over 60 mg/dL"] is protein


def test_input_range_checks_round_half_up_to_a_tenth():
    # 0.1 steps, halves up: 3000.04 mg/dL shows (and is checked) as 3,000 and is accepted
    case_from_dict(case_data(csf_protein="3000.04 mg/dL"))
    with pytest.raises(ValueError, match=r"3,000\.1 mg/dL is outside"):
        case_from_dict(case_data(csf_protein="3000.05 mg/dL"))


def test_schwartz_height_keeps_its_half_even_rounding():
    # Unchanged by the merge: renal rounds the height to 0.1 cm halves to even (96.25 -> 96.2),
    # where the input check rounds halves up. Pinned so a change is a decision, not an accident.
    case = case_from_dict(case_data(height="96.25 cm", serum_creatinine="0.3 mg/dL"))
    renal = renal_function(case)
    assert renal is not None and "height 96.2 cm" in renal.inputs
    assert renal.value == D("0.413") * D("96.2") / D("0.3")


# ---- the float converters this replaced, as they were -------------------------------------------


def _old_weight(weight_kg: Decimal) -> pint.Quantity:
    return units.Quantity(float(weight_kg), units.kg)


def _old_dec(q: pint.Quantity, unit: units.UnitLike | None = None) -> Decimal:
    value = q.to(unit).magnitude if unit is not None else q.magnitude
    return D(repr(float(value))).quantize(D("0.000001"), rounding=ROUND_HALF_UP)
