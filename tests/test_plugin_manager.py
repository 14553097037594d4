"""The plugin manager: built-ins, entry points (faked as pluggy's own tests do), disabling,
stamping, and failures that name the plugin."""

from __future__ import annotations

import importlib.metadata
import types

import pytest

from orderset import PluginError, hookimpl, units
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
            text="site dose", calculated=dose, given=dose, maximum=dose if maximum is None else maximum
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
