"""The plugin manager: built-ins, entry points (faked as pluggy's own tests do), disabling,
stamping, and failures that name the plugin."""

from __future__ import annotations

import decimal
import importlib.metadata
import threading
import time
import types
from decimal import Decimal

import attrs
import pytest

from orderset import PluginError, case_from_dict, hookimpl, units
from orderset.engine import build_order_set
from orderset.errors import InputError
from orderset.model import Calculation, Evidence, Order, Section
from orderset.plugin.host import BUILTIN_PLUGINS, make_host
from orderset.testing import build, case_data, fresh_host


def _plugin(name: str, orders=None, alerts=None, raises: Exception | None = None):
    """A plugin module object whose orderset_orders returns `orders` (or raises)."""
    mod = types.ModuleType(name)

    @hookimpl
    def orderset_orders(context):
        if raises:
            raise raises
        return orders if orders is not None else []

    mod.orderset_orders = orderset_orders
    if alerts is not None:

        @hookimpl
        def orderset_alerts(context, orders):
            return alerts

        mod.orderset_alerts = orderset_alerts
    return mod


def _nursing(order_id: str, text: str = "Weigh daily") -> Order:
    return Order(
        id=order_id,
        rule_id="SITE-1",
        kind="nursing",
        section=Section.ADMISSION,
        selected=True,
        text=text,
        evidence=Evidence("partial", ("site protocol",)),
    )


def _med(order_id: str, drug: str, dose, unit: str = "mg", maximum=None) -> Order:
    """A site medication order; its calculation's maximum is `maximum` (default: the dose)."""
    calc = None
    if isinstance(dose, units.Quantity) and dose.is_compatible_with(units.mg):
        calc = Calculation(
            text="site dose",
            calculated=dose,
            given=dose,
            maximum=dose if maximum is None else maximum,
        )
    return Order(
        id=order_id,
        rule_id="SITE-2",
        kind="medication",
        section=Section.ADJUNCT,
        selected=True,
        text="",
        evidence=Evidence("confirmed"),
        drug=drug,
        dose=dose,
        dose_unit=unit,
        route="IV",
        frequency="once",
        calculation=calc,
    )


class FakeDist:
    name = "orderset-site"
    version = "2.3.4"


class FakeEntryPoint:
    def __init__(self, name: str, target: object = None, error: Exception | None = None):
        self.name, self._target, self._error = name, target, error
        self.value = f"site_{name}:plugin"
        self.group = "orderset"
        self.dist = FakeDist()

    def load(self):
        if self._error:
            raise self._error
        return self._target


@pytest.fixture
def fake_entry_points(monkeypatch):
    def install(*eps):
        def entry_points(group=None, **kw):
            return [ep for ep in eps if group in (None, ep.group)]

        monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
        monkeypatch.delenv("ORDERSET_LOAD_PLUGINS", raising=False)

    return install


def test_builtins_register_in_the_declared_order():
    host = fresh_host()
    names = [p.name for p in host.plugins]
    assert names == [m.rsplit(".", 1)[-1] for m in BUILTIN_PLUGINS]
    steroids = host.info("steroids")
    assert steroids.source == "built-in"
    assert "orderset_orders" in steroids.hooks


def test_a_registered_plugin_contributes_stamped_orders():
    site = _plugin("site", orders=[_nursing("SITE-1")])
    order_set = build(case_data(), plugins=[("site", site)])
    order = next(o for o in order_set.orders if o.id == "SITE-1")
    assert order.plugin == "site"
    mp1 = next(o for o in order_set.orders if o.id == "MP-1")
    assert (mp1.plugin, mp1.plugin_version) == ("steroids", order_set.plugins[0].version)


def test_entry_point_plugins_load_after_builtins_and_are_stamped(fake_entry_points):
    site = _plugin("site", orders=[_nursing("SITE-1")])
    fake_entry_points(FakeEntryPoint("site", site))
    host = make_host()
    info = host.info("site")
    assert (info.version, info.source) == ("2.3.4", "entry point (orderset-site)")
    assert [p.name for p in host.plugins][-1] == "site"


def test_a_broken_entry_point_names_itself_and_others_still_load_when_asked(fake_entry_points):
    good = _plugin("good", orders=[_nursing("SITE-1")])
    fake_entry_points(
        FakeEntryPoint("broken", error=ImportError("No module named 'site_broken'")),
        FakeEntryPoint("good", good),
    )
    with pytest.raises(PluginError, match=r"plugin 'broken': failed to load \(ImportError"):
        make_host()
    host = make_host(continue_on_error=True)
    assert "good" in [p.name for p in host.plugins]
    assert [f.name for f in host.failures] == ["broken"]


def test_allow_list_environment_variable_limits_third_party_plugins(fake_entry_points, monkeypatch):
    fake_entry_points(FakeEntryPoint("a", _plugin("a")), FakeEntryPoint("b", _plugin("b")))
    monkeypatch.setenv("ORDERSET_LOAD_PLUGINS", "b")
    names = [p.name for p in make_host().plugins]
    assert "b" in names and "a" not in names


def test_disable_by_name_removes_a_plugin_and_a_typo_is_an_error():
    order_set = build(case_data(), disable=["steroids"])
    assert not any(o.plugin == "steroids" for o in order_set.orders)
    with pytest.raises(InputError, match="no plugin named 'steriods'"):
        fresh_host(disable=["steriods"])


def test_a_hook_that_raises_fails_the_build_naming_the_plugin():
    bad = _plugin("flaky", raises=ZeroDivisionError("division by zero"))
    with pytest.raises(PluginError, match=r"plugin 'flaky': hook orderset_orders raised Zero"):
        build(case_data(), plugins=[("flaky", bad)])


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ("MP-1", "returned str, not a list"),
        ([{"id": "X"}], "returned a dict, not a Order"),
    ],
)
def test_a_hook_returning_the_wrong_type_fails_naming_the_plugin(returned, message):
    bad = _plugin("wrong", orders=returned)
    with pytest.raises(PluginError, match=message) as info:
        build(case_data(), plugins=[("wrong", bad)])
    assert info.value.plugin == "wrong"


def test_a_dose_in_the_wrong_dimension_fails_naming_the_plugin():
    bad = _plugin("metres", orders=[_med("SITE-2", "sitedrug", units.Quantity(5, units.m))])
    with pytest.raises(PluginError, match=r"plugin 'metres': order SITE-2: dose 5 meter"):
        build(case_data(), plugins=[("metres", bad)])


def test_a_drug_unit_outside_the_vocabulary_fails():
    bad = _plugin("iu", orders=[_med("SITE-2", "sitedrug", units.Quantity(5, units.mg), "IU")])
    with pytest.raises(PluginError, match="not in the closed vocabulary"):
        build(case_data(), plugins=[("iu", bad)])


@pytest.mark.parametrize(
    "drug", ["aspirin", "magnesium salicylate", "choline magnesium trisalicylate", "salsalate"]
)
def test_a_salicylate_for_a_child_can_never_be_ordered(drug):
    bad = _plugin("asa", orders=[_med("SITE-2", drug, units.Quantity(100, units.mg))])
    with pytest.raises(PluginError, match="salicylate, never for a child"):
        build(case_data(), plugins=[("asa", bad)])
    adult = build(case_data(age_months=40 * 12, weight="70 kg"), plugins=[("asa", bad)])
    assert any(o.drug == drug for o in adult.orders)


def test_two_plugins_ordering_the_same_drug_is_a_reported_conflict():
    other = _plugin(
        "other", orders=[_med("SITE-MP", "methylprednisolone", units.Quantity(100, units.mg))]
    )
    order_set = build(case_data(), plugins=[("other", other)])
    conflict = [a for a in order_set.alerts if a.id == "CONFLICT-methylprednisolone"]
    assert conflict and "other, steroids" in conflict[0].text
    assert {"MP-1", "SITE-MP"} <= {o.id for o in order_set.orders}  # both kept, nothing merged


def test_duplicate_order_ids_fail_the_build():
    dup = _plugin("dup", orders=[_nursing("MP-1")])
    with pytest.raises(PluginError, match="order id 'MP-1' was already used by plugin 'steroids'"):
        build(case_data(), plugins=[("dup", dup)])


def test_low_grade_orders_are_never_preselected_unless_the_profile_says_so():
    analogue = Order(
        id="SITE-3",
        rule_id="SITE-3",
        kind="nursing",
        section=Section.ADMISSION,
        selected=True,
        text="Analogue thing",
        evidence=Evidence("analogue"),
    )
    site = _plugin("site", orders=[analogue])
    unselected = build(case_data(), plugins=[("site", site)])
    assert not next(o for o in unselected.orders if o.id == "SITE-3").selected
    chosen = build(case_data(), plugins=[("site", site)], profile={"selection": {"SITE-3": True}})
    assert next(o for o in chosen.orders if o.id == "SITE-3").selected


def test_plugins_command_lists_name_version_source_and_hooks():
    from tests.conftest import run_cli

    result = run_cli("plugins", "--json")
    assert result.returncode == 0, result.stderr
    import json

    rows = json.loads(result.stdout)["plugins"]
    steroids = next(r for r in rows if r["name"] == "steroids")
    assert steroids["source"] == "built-in"
    assert "orderset_orders" in steroids["hooks"]


def test_a_daily_dose_over_the_daily_maximum_fails_naming_the_plugin():
    import attrs

    over = attrs.evolve(
        _med("SITE-2", "sitedrug", units.Quantity(100, units.mg)),
        daily_dose=units.Quantity(500, units.mg),
        daily_maximum=units.Quantity(400, units.mg),
    )
    with pytest.raises(PluginError, match="SITE-2: daily dose 500 exceeds its daily maximum 400"):
        build(case_data(), plugins=[("daily", _plugin("daily", orders=[over]))])


# ---- Safety hardening 2: doses, maxima, contract breaks, hooks that hang ----------------------


@pytest.mark.parametrize(
    ("magnitude", "shown"),
    [
        (-500, "-500 milligram"),
        (0, "0 milligram"),
        (Decimal("-0.5"), "-0.5 milligram"),
        (float("nan"), "nan milligram"),
        (Decimal("NaN"), "NaN milligram"),
        (float("inf"), "inf milligram"),
        (Decimal("Infinity"), "Infinity milligram"),
    ],
)
def test_a_dose_that_is_not_a_positive_finite_number_is_refused(magnitude, shown):
    dose = units.Quantity(magnitude, units.mg)
    bad = _plugin(
        "site", orders=[_med("SITE-2", "sitedrug", dose, maximum=units.Quantity(5, units.mg))]
    )
    with pytest.raises(PluginError) as info:
        build(case_data(), plugins=[("site", bad)])
    assert info.value.plugin == "site"
    assert str(info.value) == (
        f"plugin 'site': order SITE-2: dose {shown} is not a positive finite number; a"
        " medication dose must be more than zero"
    )


def test_a_maximum_of_infinity_is_no_maximum():
    order = _med(
        "SITE-2",
        "sitedrug",
        units.Quantity(5, units.mg),
        maximum=units.Quantity(float("inf"), units.mg),
    )
    with pytest.raises(PluginError, match="SITE-2: calculation maximum inf milligram is not a"):
        build(case_data(), plugins=[("site", _plugin("site", orders=[order]))])


def test_a_medication_with_no_calculation_needs_its_products_maximum():
    # 50,000 mg of methylprednisolone with no calculation: over MP-1's 1,000 mg per dose.
    huge = attrs.evolve(
        _med("SITE-MP", "methylprednisolone", units.Quantity(50000, units.mg)), calculation=None
    )
    with pytest.raises(
        PluginError,
        match=r"plugin 'site': order SITE-MP: dose 50000 exceeds its product"
        r" methylprednisolone-iv's maximum 1000",
    ):
        build(case_data(), plugins=[("site", _plugin("site", orders=[huge]))])
    # a drug no product has a maximum for, and no calculation: refused, never assumed safe
    bare = attrs.evolve(_med("SITE-2", "sitedrug", units.Quantity(5, units.mg)), calculation=None)
    with pytest.raises(PluginError) as info:
        build(case_data(), plugins=[("site", _plugin("site", orders=[bare]))])
    assert str(info.value) == (
        "plugin 'site': order SITE-2: dose 5 mg has no maximum: its calculation has none and no"
        " formulary product of sitedrug has a maximum_dose; every medication dose needs one from"
        " its rule"
    )


def test_a_product_maximum_per_kg_is_times_the_dosing_weight():
    # IVIG-1: 1 g/kg per dose at 14.2 kg is 14.2 g; 15 g of immune globulin is refused.
    over = attrs.evolve(
        _med("SITE-IG", "immune globulin", units.Quantity(15, units.g), "g"), calculation=None
    )
    with pytest.raises(
        PluginError,
        match=r"SITE-IG: dose 15 exceeds its product"
        r" immune-globulin-iv-10's 1 g/kg x 14.2 kg maximum 14.2",
    ):
        build(case_data(), plugins=[("site", _plugin("site", orders=[over]))])
    within = attrs.evolve(over, id="SITE-IG", dose=units.Quantity(14, units.g))
    order_set = build(case_data(), plugins=[("site", _plugin("site", orders=[within]))])
    assert any(o.id == "SITE-IG" for o in order_set.orders)


def test_a_dose_that_disagrees_with_its_calculation_is_refused():
    order = attrs.evolve(
        _med("SITE-2", "sitedrug", units.Quantity(5, units.mg)), dose=units.Quantity(4, units.mg)
    )
    with pytest.raises(
        PluginError, match="SITE-2: dose 4 mg is not its calculation's given dose 5 mg"
    ):
        build(case_data(), plugins=[("site", _plugin("site", orders=[order]))])


@pytest.mark.parametrize("max_daily_dose", ["-5 g", "0 g"])
def test_a_profile_cannot_make_a_negative_or_zero_ivig_dose(max_daily_dose):
    profile = {"selection": {"IVIG-1": True}, "ivig": {"max_daily_dose": max_daily_dose}}
    with pytest.raises((PluginError, InputError)) as info:
        build(case_data(), profile=profile)
    # the engine names the plugin and order; a profile bound (if present) names the key
    assert "IVIG-1" in str(info.value) or "ivig.max_daily_dose" in str(info.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "section",
            "medications_first_line",
            "section must be an orderset.plugin.Section, not str",
        ),
        ("drug_classes", "corticosteroid", "drug_classes must be a tuple of text, not str"),
        ("evidence", "confirmed", "evidence must be an Evidence, not str"),
        ("selected", "yes", "selected must be true or false, not str"),
        ("kind", "drug", "kind must be one of medication, nursing"),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_naming_plugin_and_order(field, value, message):
    order = attrs.evolve(_nursing("SITE-1"), **{field: value})
    with pytest.raises(PluginError) as info:
        build(case_data(), plugins=[("site", _plugin("site", orders=[order]))])
    assert info.value.plugin == "site"
    assert str(info.value).startswith(f"plugin 'site': order SITE-1: {message}")


def test_a_hook_that_hangs_fails_the_build_naming_plugin_and_hook():
    release = threading.Event()
    mod = types.ModuleType("sleepy")

    @hookimpl
    def orderset_orders(context):
        release.wait(30)
        return []

    mod.orderset_orders = orderset_orders
    host = fresh_host([("sleepy", mod)])
    host.hook_time_limit = 0.2
    started = time.monotonic()
    try:
        with pytest.raises(PluginError) as info:
            build_order_set(case_from_dict(case_data()), host=host)
    finally:
        release.set()
    assert time.monotonic() - started < 5
    assert str(info.value) == (
        "plugin 'sleepy': hook orderset_orders did not return within 0.2 s (the limit per hook"
        " call); the build was stopped"
    )
    # the next build on a fresh runner thread works
    assert build(case_data()).orders


def test_hooks_see_the_callers_decimal_context():
    seen = []
    mod = types.ModuleType("ctx")

    @hookimpl
    def orderset_orders(context):
        seen.append(decimal.getcontext().prec)
        return []

    mod.orderset_orders = orderset_orders
    with decimal.localcontext() as ctx:
        ctx.prec = 13
        build(case_data(), plugins=[("ctx", mod)])
    assert seen == [13]
