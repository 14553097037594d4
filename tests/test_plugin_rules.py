"""Rules as data: `order_from_rule` through a fresh plugin manager, and the plugin import rule
(a plugin imports only from `orderset.plugin`)."""

from __future__ import annotations

import ast
import types
from decimal import Decimal

import pytest

from orderset.plugin import (
    Band,
    DoseBand,
    MedicationRule,
    Product,
    Rule,
    Section,
    hookimpl,
    order_from_rule,
    units,
)
from orderset.testing import build, case_data, order
from tests.conftest import ROOT

PLUGINS = sorted((ROOT / "plugins").glob("*.py"))

SITE = Rule("SITE-9", "Test rule", "confirmed", sources=("test source",))
MG = units.mg


def _product(key: str, dose_unit: str = "mg", increment=None) -> Product:
    return Product(
        key=key,
        drug=f"drug {key.split('-')[-1]}",
        description=key,
        dose_unit=dose_unit,
        increment=increment or units.Quantity(1, units.drug_unit(dose_unit)),
        dosage_form="injection, solution",
        route="IV",
        # A test value: the engine refuses a dose with no maximum at all.
        maximum_dose=units.Quantity(100000, units.drug_unit(dose_unit)),
    )


def _record(**fields) -> MedicationRule:
    base = {
        "id": "SITE-9",
        "rule": SITE,
        "product": "site-a",
        "route": "IV",
        "frequency": "once daily",
        "section": Section.ADJUNCT,
    }
    return MedicationRule(**{**base, **fields})


def _plugin(*records: MedicationRule, products=None, **overrides):
    mod = types.ModuleType("siterules")

    @hookimpl
    def orderset_formulary(settings):
        return products or [_product("site-a")]

    @hookimpl
    def orderset_orders(context):
        return [order_from_rule(r, context, **overrides) for r in records]

    mod.orderset_formulary = orderset_formulary
    mod.orderset_orders = orderset_orders
    return mod


def _build(*records, weight="14.2 kg", products=None, **overrides):
    plugin = _plugin(*records, products=products, **overrides)
    return build(
        case_data(weight=weight), profile={}, plugins=[("siterules", plugin)], builtins=False
    )


def _mag(q) -> Decimal:
    return units.to_decimal(q, q.units)


def test_per_kg_dose_is_capped_rounded_and_traced_to_its_rule():
    record = _record(per_kg=units.Quantity(10, units.mg_per_kg), maximum=units.Quantity(100, MG))
    low = order(_build(record), "SITE-9")
    # 10 mg/kg x 14.2 kg = 142 mg -> capped at 100 mg
    assert _mag(low.dose) == 100 and low.calculation.capped
    assert (
        low.calculation.text
        == "10 mg/kg x 14.2 kg = 142 mg; max 100 mg; given 100 mg (capped at maximum)"
    )
    assert low.rule_id == "SITE-9" and low.evidence == SITE.evidence
    assert low.evidence.grade == "confirmed" and low.evidence.sources == ("test source",)
    assert low.dose_unit == "mg" and low.dosage_form == "injection, solution"
    assert low.text == "drug a 100 mg IV once daily"
    small = order(_build(record, weight="8 kg"), "SITE-9")
    assert _mag(small.dose) == 80 and not small.calculation.capped


def test_fixed_dose_has_its_reason_and_no_per_kg():
    record = _record(fixed=units.Quantity(75, MG), reason="adult")
    o = order(_build(record), "SITE-9")
    assert _mag(o.dose) == 75 and o.calculation.per_kg is None
    assert o.calculation.text == "adult: 75 mg"


def test_fixed_dose_over_its_maximum_is_refused():
    record = _record(fixed=units.Quantity(75, MG), maximum=units.Quantity(50, MG))
    with pytest.raises(Exception, match="over its maximum"):
        _build(record)


@pytest.mark.parametrize(
    ("weight", "dose", "band"),
    [("15 kg", 30, "15 kg or less"), ("15.1 kg", 45, "over 15 kg")],
)
def test_band_table_of_fixed_doses_has_exact_edges(weight, dose, band):
    record = _record(
        bands=(
            Band(DoseBand(units.Quantity(30, MG), "15 kg or less"), Decimal(15), inclusive=True),
            Band(DoseBand(units.Quantity(45, MG), "over 15 kg")),
        ),
        reason="child",
    )
    o = order(_build(record, weight=weight), "SITE-9")
    assert _mag(o.dose) == dose
    assert o.calculation.text.startswith(f"child, weight {weight.split()[0]} kg ({band})")


def test_band_table_of_per_kg_doses_is_capped():
    record = _record(
        bands=(
            Band(DoseBand(units.Quantity(12, units.mg_per_kg), "under 30 kg"), Decimal(30)),
            Band(DoseBand(units.Quantity(8, units.mg_per_kg), "30 kg or more")),
        ),
        maximum=units.Quantity(800, MG),
    )
    assert _mag(order(_build(record, weight="29.9 kg"), "SITE-9").dose) == 359
    assert _mag(order(_build(record, weight="30 kg"), "SITE-9").dose) == 240
    o = order(_build(record, weight="70 kg"), "SITE-9")
    assert _mag(o.dose) == 560 and not o.calculation.capped
    capped = _record(bands=record.bands, maximum=units.Quantity(300, MG))
    o = order(_build(capped, weight="29.9 kg"), "SITE-9")
    # 12 mg/kg x 29.9 kg = 358.8 mg -> capped at 300 mg
    assert _mag(o.dose) == 300 and o.calculation.capped


def test_mg_pe_is_labelled_in_the_dose_the_calculation_and_the_line():
    record = _record(
        product="site-pe",
        per_kg=units.Quantity(20, units.mg_per_kg),
        maximum=units.Quantity(1500, MG),
        frequency="once",
    )
    products = [_product("site-pe", "mg PE", units.Quantity(5, MG))]
    o = order(_build(record, products=products), "SITE-9")
    assert o.dose_unit == "mg PE" and _mag(o.dose) == 285
    assert (
        o.calculation.text == "20 mg PE/kg x 14.2 kg = 284 mg PE; max 1,500 mg PE; given 285 mg PE"
    )
    assert o.text == "drug pe 285 mg PE IV once"


def test_daily_maximum_caps_each_dose_and_the_day():
    record = _record(
        per_kg=units.Quantity(2, units.mg_per_kg),
        maximum=units.Quantity(100, MG),
        daily_maximum=units.Quantity(300, MG),
        frequency="every 6 hours",
    )
    o = order(_build(record, weight="70 kg"), "SITE-9")
    # 2 mg/kg x 70 kg = 140 mg; per dose the lower of 100 mg and 300 mg / 4 = 75 mg
    assert _mag(o.dose) == 75 and o.calculation.capped
    assert _mag(o.daily_dose) == 300 and _mag(o.daily_maximum) == 300
    assert o.text == "drug a 75 mg IV every 6 hours (300 mg per day)"


def test_overrides_replace_record_fields_for_this_case():
    record = _record(per_kg=units.Quantity(10, units.mg_per_kg), duration="3 days")
    o = order(_build(record, duration="5 days", instructions="start now"), "SITE-9")
    assert o.duration == "5 days" and o.text == "drug a 142 mg IV once daily for 5 days, start now"


def test_a_record_gives_one_dose_form_only():
    with pytest.raises(ValueError, match="not more than one"):
        _record(per_kg=units.Quantity(1, units.mg_per_kg), fixed=units.Quantity(5, MG))


def test_the_built_in_plugins_declare_their_medication_rules_as_records():
    from orderset.rules import records_in
    from orderset.testing import fresh_host

    host = fresh_host()
    names = {info.name for info in host.plugins}
    assert names == {
        "steroids",
        "antivirals",
        "ivig",
        "il6_blockade",
        "supportive_care",
        "escalation",
    }
    for name in names:
        module = host.pm.get_plugin(name)
        for record in records_in(vars(module)):
            assert record.rule in module.orderset_rules(), (name, record.id)


@pytest.mark.parametrize("path", PLUGINS, ids=lambda p: p.name)
def test_plugins_import_only_from_the_plugin_api(path):
    """A plugin may import the standard library and third-party packages, but from orderset
    only `orderset.plugin`, the stable API."""
    bad = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [("." * node.level) + (node.module or "")]
        else:
            continue
        for name in names:
            if name.startswith(".") or (
                (name == "orderset" or name.startswith("orderset.")) and name != "orderset.plugin"
            ):
                bad.append(name)
    assert bad == [], f"{path.name} imports {bad}; use `from orderset.plugin import ...`"
