"""ESC-1 plasma exchange and ESC-2 anakinra, through the public build API.

Expected values are worked out by hand in the tables from clinical-rules.md: ESC-1 estimated
plasma volume 0.07 L/kg x weight x (1 - hematocrit), 1 to 1.5 volumes per session; ESC-2
2 mg/kg every 6 hours, maximum 100 mg per dose and 400 mg per day.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from orderset import units
from orderset.formatting import ismp_violations, to_decimal
from orderset.testing import build, case_data, has_order, order

D = Decimal
EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.json"))


def mag(q, unit=units.mg) -> Decimal:
    return to_decimal(q.to(unit).magnitude).normalize()


def alert_ids(order_set) -> list[str]:
    return [a.id for a in order_set.alerts]


# ---- ESC-1 plasma volume --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_months", "weight", "hematocrit", "formula", "pv_ml", "low_ml", "high_ml"),
    [
        # 0.07 x 14.2 x (1 - 0.35) = 0.6461 L = 646.1 mL -> 646; x 1.5 = 969.15 -> 969
        (44, "14.2 kg", "35 %", "0.07 L/kg x 14.2 kg x (1 - 0.35", D(646), D(646), D(969)),
        # 0.07 x 32 x (1 - 0.30) = 1.568 L = 1,568 mL; x 1.5 = 2,352 mL
        (120, "32 kg", "30 %", "0.07 L/kg x 32 kg x (1 - 0.3", D(1568), D(1568), D(2352)),
        # 0.07 x 110 x (1 - 0.45) = 4.235 L = 4,235 mL; x 1.5 = 6,352.5 -> 6,353 (half up)
        (600, "110 kg", "45 %", "0.07 L/kg x 110 kg x (1 - 0.45", D(4235), D(4235), D(6353)),
        # hematocrit as a fraction: 0.07 x 8 x (1 - 0.33) = 0.3752 L = 375.2 -> 375;
        # x 1.5 = 562.8 -> 563
        (7, "8 kg", "0.33 L/L", "0.07 L/kg x 8 kg x (1 - 0.33", D(375), D(375), D(563)),
    ],
)
def test_plasma_exchange_volume(age_months, weight, hematocrit, formula, pv_ml, low_ml, high_ml):
    case = case_data(age_months=age_months, weight=weight, hematocrit=hematocrit)
    o = order(build(case), "ESC-1")
    assert o.kind == "procedure"

    def num(d: Decimal) -> str:
        return f"{d:,f}"

    assert f"estimated plasma volume {num(pv_ml)} mL" in o.text
    assert f"exchange {num(low_ml)} to {num(high_ml)} mL per session" in o.text
    note = next(n for n in o.notes if n.startswith("Estimated plasma volume"))
    assert formula in note and f"= {num(pv_ml)} mL" in note
    assert "Adult formula" in note
    assert "about 5 sessions over 7 to 10 days, per apheresis team" in o.text
    assert "1 to 1.5 plasma volumes per session" in o.text
    assert not ismp_violations(o.text) and not any(ismp_violations(n) for n in o.notes)


def test_missing_hematocrit_is_said_and_no_volume_is_guessed():
    order_set = build(case_data(hematocrit=None))
    o = order(order_set, "ESC-1")
    assert "no hematocrit recorded" in o.text
    assert "estimated plasma volume" not in o.text
    assert not any(n.startswith("Estimated plasma volume") for n in o.notes)
    assert "ESC-1-HEMATOCRIT" not in alert_ids(order_set)  # not refractory: no alert


def test_refractory_without_hematocrit_raises_an_alert():
    order_set = build(case_data(hematocrit=None, response="refractory"))
    assert order(order_set, "ESC-1").selected
    alert = next(a for a in order_set.alerts if a.id == "ESC-1-HEMATOCRIT")
    assert alert.severity == "warning" and "hematocrit" in alert.text


@pytest.mark.parametrize(
    ("response", "selected"), [("initial", False), ("responding", False), ("refractory", True)]
)
def test_plasma_exchange_pre_selected_only_when_refractory(response, selected):
    o = order(build(case_data(response=response, shock=True, brainstem_lesion=True)), "ESC-1")
    assert o.selected is selected
    assert o.evidence.grade == "partial"


def test_plasma_exchange_has_no_48_to_72_hour_trigger():
    # 72 hours after onset, not refractory: still only offered
    o = order(build(case_data(neuro_onset="2026-11-19T06:00:00-05:00")), "ESC-1")
    assert not o.selected


# ---- ESC-2 anakinra -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_months", "weight", "calculated", "given", "capped"),
    [
        # 3 kg: 2 x 3 = 6 mg; daily 4 x 6 = 24 mg
        (1, "3 kg", D(3) * 2, D(6), False),
        # 14.2 kg: 2 x 14.2 = 28.4 mg -> 28 mg (1 mg step, -1.4%); daily 112 mg
        (44, "14.2 kg", D("14.2") * 2, D(28), False),
        # 49.9 kg: 2 x 49.9 = 99.8 -> 100 mg, not over the cap; daily 400 mg
        (168, "49.9 kg", D("49.9") * 2, D(100), False),
        # 50 kg: 2 x 50 = 100 mg: the per-dose cap is reached exactly; daily 400 mg
        (168, "50 kg", D(50) * 2, D(100), False),
        # 50.1 kg: 2 x 50.1 = 100.2 -> capped at 100 mg
        (168, "50.1 kg", D("50.1") * 2, D(100), True),
        # 110 kg: 2 x 110 = 220 -> capped at 100 mg; daily 4 x 100 = 400 mg (the daily cap)
        (600, "110 kg", D(110) * 2, D(100), True),
    ],
)
def test_anakinra_dose_and_caps(age_months, weight, calculated, given, capped):
    o = order(build(case_data(age_months=age_months, weight=weight)), "ESC-2")
    assert mag(o.calculation.calculated) == calculated.normalize()
    assert mag(o.dose) == given
    assert mag(o.calculation.maximum) == 100
    assert o.calculation.capped is capped
    assert mag(o.daily_dose) == given * 4  # every 6 hours: 4 doses a day
    assert mag(o.daily_dose) <= 400
    assert (o.route, o.frequency) == ("IV", "every 6 hours")
    assert o.drug == "anakinra"
    assert not ismp_violations(o.text)


def test_no_anakinra_dose_over_100_mg_or_400_mg_a_day():
    for tenths in range(30, 1500, 53):  # 3 kg to 150 kg
        weight = D(tenths) / 10
        age = 1 if weight <= 20 else 120 if weight <= 120 else 600
        o = order(build(case_data(age_months=age, weight=f"{weight} kg")), "ESC-2")
        assert mag(o.dose) <= 100
        assert mag(o.daily_dose) <= 400


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"response": "refractory"},
        {"response": "refractory", "shock": True, "brainstem_lesion": True},
        {"rapid_deterioration": True, "hemorrhagic_lesions": True},
    ],
)
def test_anakinra_is_never_pre_selected(changes):
    o = order(build(case_data(**changes)), "ESC-2")
    assert not o.selected
    assert o.evidence.grade == "analogue"
    assert any("Analogue" in n for n in o.notes)


def test_profile_may_pre_select_anakinra():
    o = order(build(case_data(), profile={"selection": {"ESC-2": True}}), "ESC-2")
    assert o.selected


def test_anakinra_allergy():
    order_set = build(case_data(allergies=[{"substance": "Anakinra (Kineret)"}]))
    assert not has_order(order_set, "ESC-2")
    alert = next(a for a in order_set.alerts if a.id == "ALLERGY-ESC-2")
    assert "Anakinra (Kineret)" in alert.text and "anakinra" in alert.text
    assert has_order(order_set, "ESC-1")


def test_escalation_in_every_example():
    assert EXAMPLES
    for path in EXAMPLES:
        data = json.loads(path.read_text())
        order_set = build(data)
        pex = order(order_set, "ESC-1")
        assert pex.selected is (data["clinical"]["response"] == "refractory"), path.name
        if has_order(order_set, "ESC-2"):
            o = order(order_set, "ESC-2")
            assert not o.selected and mag(o.dose) <= 100 and mag(o.daily_dose) <= 400


def test_anakinra_cites_its_source_table():
    """ESC-2 (rules 2026-11-24): the CAR-T analogue is Blood Adv 2022;6:3398, Table 1."""
    o = order(build(case_data()), "ESC-2")
    assert o.evidence.grade == "analogue"
    assert any("Blood Adv 2022;6:3398, Table 1" in s for s in o.evidence.sources)
    assert any("Blood Adv 2022;6:3398" in n for n in o.notes)
