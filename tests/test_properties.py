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
from orderset.allergies import CLASS_WORDS, DRUGS
from orderset.engine import build_formulary, build_order_set, is_salicylate, load_settings
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


def _limits(order, order_set, unit) -> list[tuple[Decimal, Decimal]]:
    """(value, maximum) pairs the order's dose must respect, worked out here: its calculation's
    maximum on the dose, and its formulary product's (by product code, else by drug): absolute
    on the dose, per kg x weight on the dose before ROUND-1 when the dose is weight-based."""
    given = dec(order.dose, unit)
    calc = order.calculation
    pairs = []
    if calc is not None and calc.maximum is not None:
        pairs.append((given, dec(calc.maximum, unit)))
    formulary = build_formulary(HOST, load_settings(HOST, order_set.profile_name))
    products = [
        p for p in formulary.values() if p.local_code and p.local_code == order.product_code
    ]
    for product in products or [p for p in formulary.values() if p.drug == order.drug]:
        m = product.maximum_dose
        if m is None:
            continue
        if m.is_compatible_with(unit / units.kg):
            value = dec(calc.calculated, unit) if calc and calc.per_kg is not None else given
            pairs.append((value, dec(m, unit / units.kg) * order_set.case.weight_kg))
        else:
            pairs.append((given, dec(m, unit)))
    return pairs


@given(plausible_cases())
def test_every_medication_dose_is_positive_and_within_a_maximum(data):
    order_set = build(data)
    for o in medications(order_set):
        unit = o.dose.units
        given = dec(o.dose, unit)
        assert given.is_finite() and given > 0, (o.id, given)
        limits = _limits(o, order_set, unit)
        assert limits, o.id
        for value, cap in limits:
            assert value <= cap, (o.id, value, cap)


def _spelled(draw, name: str) -> str:
    """`name` as an allergy list might spell it: case changed, hyphens and spaces swapped or
    dropped, a soft hyphen or zero-width space inside, fullwidth letters, a plural, words
    around it."""
    out = []
    for char in name:
        if char in " -":
            out.append(draw(st.sampled_from([" ", "-", "", "\u2010"])))
            continue
        if char.isalpha():
            char = draw(st.sampled_from([char.lower(), char.upper()]))
            if draw(st.integers(0, 9)) == 0:
                char = chr(ord(char) + 0xFEE0)  # fullwidth
        out.append(char)
        if draw(st.integers(0, 14)) == 0:
            out.append(draw(st.sampled_from(["\u00ad", "\u200b", "\u2060"])))
    text = "".join(out)
    if draw(st.booleans()) and text[-1:].isalpha() and text[-1:].lower() not in "sy":
        text += "s"
    prefix = draw(st.sampled_from(["", "allergic to ", "ALLERGY: "]))
    suffix = draw(st.sampled_from(["", " (rash)", ", anaphylaxis 2019"]))
    return prefix + text + suffix


#: Built-in medication orders offered in the severe case, by drug, and the class of each.
SEVERE = dict(shock=True, brainstem_lesion=True, response="refractory")


@given(st.data())
def test_any_spelling_from_the_synonym_table_removes_the_order(data):
    base = HOST_ORDERS
    drug = data.draw(st.sampled_from(sorted(base)))
    terms = DRUGS[drug]
    choices = [drug, *terms.names, *(w for cls in terms.classes for w in (cls, *CLASS_WORDS[cls]))]
    name = data.draw(st.sampled_from(choices))
    substance = _spelled(data.draw, name)
    order_set = build(case_data(allergies=[{"substance": substance, "reaction": None}], **SEVERE))
    left = {o.id for o in order_set.orders}
    for order_id in base[drug]:
        assert order_id not in left, (substance, order_id)
        assert any(a.id == f"ALLERGY-{order_id}" for a in order_set.alerts), substance


def _orders_by_drug() -> dict[str, list[str]]:
    order_set = build(case_data(**SEVERE))
    by_drug: dict[str, list[str]] = {}
    for o in order_set.orders:
        if o.kind == "medication" and o.drug in DRUGS:
            by_drug.setdefault(o.drug, []).append(o.id)
    return by_drug


HOST_ORDERS = _orders_by_drug()
