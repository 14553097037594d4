"""Dose invariants over random plausible patients (hypothesis).

Whatever the plugins order, for any plausible case: no dose exceeds its maximum; every
weight-based dose is mg/kg x weight (capped) within ROUND-1's tolerance; doses never fall as
weight grows; lb, g and kg give identical orders; JSON and HL7 are byte-identical across builds
and every HL7 message passes hl7apy's strict parse; every printed line is ISMP-clean; and no
salicylate is ever ordered for a child.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from orderset import case_from_dict, to_json, units
from orderset.engine import build_order_set, is_salicylate
from orderset.formatting import ismp_violations
from orderset.loader import age_at, plausible_weight_kg
from orderset.renderers.hl7 import build_messages
from orderset.testing import case_data, fresh_host
from orderset.vocab import FREQUENCIES
from tests.hl7_helpers import strict

ASSESSED = dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
HOST = fresh_host()
LB_PER_KG = Decimal("2.20462262185")  # 1 / 0.45359237, to 12 significant digits
TRI = st.sampled_from([True, False, None])


@st.composite
def plausible_cases(draw, weight_kg: Decimal | None = None) -> dict:
    age_days = draw(st.integers(min_value=0, max_value=90 * 365))
    birth = ASSESSED.date() - dt.timedelta(days=age_days)
    lo, hi = plausible_weight_kg(age_at(birth, ASSESSED.date()))
    lo, hi = max(lo, Decimal(2)), min(hi, Decimal(250))
    if weight_kg is None:
        weight_kg = draw(st.decimals(min_value=lo, max_value=hi, places=2))
    onset_minutes = draw(st.integers(min_value=0, max_value=min(120 * 60, age_days * 24 * 60)))
    changes = {
        "birth_date": birth.isoformat(),
        "weight": f"{weight_kg} kg",
        "sex": draw(st.sampled_from(["female", "male", "other", "unknown"])),
        "dialysis": draw(st.sampled_from(["none", "none", "hemodialysis", "peritoneal"])),
        "neuro_onset": (ASSESSED - dt.timedelta(minutes=onset_minutes)).isoformat(),
        "influenza": draw(st.sampled_from(["positive", "negative", "pending", "unknown"])),
        "shock": draw(TRI),
        "brainstem_lesion": draw(TRI),
        "hemorrhagic_lesions": draw(TRI),
        "rapid_deterioration": draw(TRI),
        "response": draw(st.sampled_from(["initial", "responding", "refractory"])),
        "enteral_route_available": draw(st.booleans()),
        "allergies": draw(
            st.lists(
                st.sampled_from(
                    [
                        {"substance": "penicillin", "reaction": "hives"},
                        {"substance": "Tocilizumab", "reaction": "anaphylaxis"},
                        {"substance": "levetiracetam", "reaction": None},
                        {"substance": "latex", "reaction": "rash"},
                    ]
                ),
                max_size=2,
                unique_by=lambda a: a["substance"],
            )
        ),
        "platelets": draw(
            st.none()
            | st.integers(5, 900).map(lambda n: f"{n} x10^9/L")
            | st.integers(5, 900).map(lambda n: f"{n * 1000} /uL")
        ),
        "csf_protein": draw(
            st.none()
            | st.integers(5, 400).map(lambda n: f"{n} mg/dL")
            | st.integers(5, 400).map(lambda n: f"{Decimal(n) / 100} g/L")
        ),
        "serum_creatinine": draw(
            st.none()
            | st.decimals("0.1", "6", places=2).map(lambda n: f"{n} mg/dL")
            | st.integers(10, 500).map(lambda n: f"{n} umol/L")
        ),
        "height": draw(st.none() | st.integers(45, 200).map(lambda n: f"{n} cm")),
        "hematocrit": draw(st.none() | st.integers(20, 50).map(lambda n: f"{n} %")),
    }
    return case_data(**changes)


def build(data: dict):
    return build_order_set(case_from_dict(data), host=HOST)


def medications(order_set):
    return [o for o in order_set.orders if o.kind == "medication" and o.dose is not None]


def dec(q, unit) -> Decimal:
    # Independent of units.to_decimal on purpose; str() is exact for Decimal, repr for float.
    return Decimal(str(q.to(unit).magnitude))


@given(plausible_cases())
def test_no_dose_exceeds_its_maximum_and_each_is_per_kg_times_weight(data):
    order_set = build(data)
    weight = order_set.case.weight_kg
    for o in medications(order_set):
        calc = o.calculation
        if calc is None:
            continue
        unit = calc.given.units
        given = dec(o.dose, unit)
        assert given == dec(calc.given, unit), o.id
        if calc.maximum is not None:
            assert given <= dec(calc.maximum, unit), (o.id, given)
        if o.daily_maximum is not None:
            assert dec(o.daily_dose, unit) <= dec(o.daily_maximum, unit), o.id
        freq = FREQUENCIES.get(o.frequency or "")
        if o.daily_dose is not None and freq is not None and freq.per_day:
            assert dec(o.daily_dose, unit) <= given * freq.per_day + Decimal("0.001"), o.id
        if calc.per_kg is None:
            continue
        # Worked independently of the program: mg/kg x weight, capped, then ROUND-1.
        expected = dec(calc.per_kg, unit / units.kg) * weight
        if calc.maximum is not None:
            expected = min(expected, dec(calc.maximum, unit))
        if calc.pharmacist_review:
            assert abs(given - expected) <= Decimal("0.001"), (o.id, given, expected)
        else:
            step = dec(calc.increment, unit)
            assert abs(given - expected) <= step + Decimal("0.001"), (o.id, given, expected)
            assert abs(given - expected) <= expected / 10 + Decimal("0.001"), (o.id, given)


@given(plausible_cases(), st.decimals(min_value="0.01", max_value="5", places=2))
def test_doses_never_fall_as_weight_grows(data, extra):
    lighter = build(data)
    heavier_weight = lighter.case.weight_kg + extra
    _lo, hi = plausible_weight_kg(lighter.case.age)
    if heavier_weight > min(hi, Decimal(250)):
        return
    heavier = build({**data, "patient": {**data["patient"], "weight": f"{heavier_weight} kg"}})
    by_id = {o.id: o for o in medications(heavier)}
    for o in medications(lighter):
        other = by_id.get(o.id)
        if other is None or o.calculation is None or other.calculation is None:
            continue
        same_band = o.calculation.per_kg == other.calculation.per_kg
        if same_band and o.dose_unit == other.dose_unit:
            assert dec(other.dose, o.dose.units) >= dec(o.dose, o.dose.units), o.id


@given(plausible_cases())
def test_weight_in_lb_g_or_kg_gives_identical_orders(data):
    kg = Decimal(data["patient"]["weight"].split()[0])
    in_kg = build(data).orders
    as_g = {**data, "patient": {**data["patient"], "weight": f"{kg * 1000} g"}}
    as_lb = {**data, "patient": {**data["patient"], "weight": f"{kg * LB_PER_KG} lb"}}
    assert build(as_g).orders == in_kg
    assert build(as_lb).orders == in_kg


@given(plausible_cases())
def test_outputs_are_deterministic_hl7_is_strict_and_text_is_ismp_clean(data):
    first, second = build(data), build(data)
    assert to_json(first) == to_json(second)
    messages = build_messages(first)
    assert [m.text for m in messages] == [m.text for m in build_messages(second)]
    for message in messages:
        strict(message.text)
    lines = [a.text for a in first.alerts]
    for o in first.orders:
        lines += [o.text, *o.notes]
        if o.calculation:
            lines.append(o.calculation.text)
        if o.preparation:
            lines.append(o.preparation.text)
    for line in lines:
        assert not ismp_violations(line), (line, ismp_violations(line))


@given(plausible_cases())
def test_no_salicylate_is_ever_ordered_for_a_child(data):
    order_set = build(data)
    if order_set.case.is_child:
        for o in order_set.orders:
            assert not is_salicylate(o), o.id
        if "supportive_care" in {p.name for p in HOST.plugins}:
            assert any("aspirin" in a.text.lower() for a in order_set.alerts)
