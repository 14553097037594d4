"""Institution profiles after the red-team run: read-only settings, [selection] keys checked,
file limits, ASCII digits, and a plausible range for every profile quantity."""

from __future__ import annotations

import datetime as dt
import types
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderset import InputError, PluginError, units
from orderset.engine import build_order_set, load_settings
from orderset.formulary import Product
from orderset.loader import case_from_dict
from orderset.plugin import hookimpl
from orderset.settings import Setting, read_profile, resolve_settings
from orderset.testing import build, case_data, fresh_host, order


def input_error(profile, data=None) -> InputError:
    with pytest.raises(InputError) as info:
        build(data or case_data(), profile=profile)
    return info.value


# ---- 3. duplicate keys: TOML refuses them itself ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "[steroids]\nmethylprednisolone_days = 3\nmethylprednisolone_days = 5\n",
        "[steroids]\nmethylprednisolone_days = 3\n[steroids]\nmethylprednisolone_days = 5\n",
        "[selection]\nIVIG-1 = true\nIVIG-1 = false\n",
        'steroids = {methylprednisolone_days = 3}\n[steroids]\ntaper_drug = "x"\n',
    ],
)
def test_a_duplicate_key_in_a_profile_file_is_refused(tmp_path, text):
    path = tmp_path / "dup.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=r"not valid TOML: Cannot"):
        read_profile(path)


# ---- 5. look-alike digits ---------------------------------------------------------------------

LOOKALIKE_FOURTEEN = ["1\u09ea", "\uff11\uff14", "\u0661\u0664", "\u0967\u096a", "\u07c1\u07c4"]
LOOKALIKE_FOURTEEN += ["\u1811\u1814", "\U0001d7cf\U0001d7d2"]


@pytest.mark.parametrize("digits", LOOKALIKE_FOURTEEN)
def test_profile_quantities_and_numbers_refuse_non_ascii_digits(digits):
    err = input_error({"formulary": {"methylprednisolone-iv": {"increment": f"{digits} mg"}}})
    assert err.field == "formulary.methylprednisolone-iv.increment"
    assert "has a digit that is not 0-9" in err.reason
    err = input_error({"ivig": {"max_daily_dose": f"{digits} g"}})
    assert (err.field, "not 0-9" in err.reason) == ("ivig.max_daily_dose", True)
    decimal = Setting("site", "factor", None, "a number", Decimal)
    with pytest.raises(InputError, match=r"site.factor: .* has a digit that is not 0-9"):
        decimal.coerce(digits)
    assert decimal.coerce("14") == Decimal(14)


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", float("inf"), float("nan"), "1e3x"])
def test_decimal_settings_are_finite_numbers(value):
    with pytest.raises(InputError, match=r"site.factor: .* is not a number"):
        Setting("site", "factor", None, "a number", Decimal).coerce(value)


# ---- 7. [selection] typos ---------------------------------------------------------------------


def test_a_typo_in_selection_is_an_error_with_a_suggestion():
    err = input_error({"selection": {"IVIG1": True}})
    assert (err.field, err.reason) == (
        "selection.IVIG1",
        "no order or rule with this id (did you mean 'IVIG-1'?)",
    )
    err = input_error({"selection": {"NOT-A-RULE": False}})
    assert (err.field, err.reason) == ("selection.NOT-A-RULE", "no order or rule with this id")


def test_selection_by_rule_id_and_by_proposed_order_id_still_works():
    assert order(build(case_data(), profile={"selection": {"IVIG-1": True}}), "IVIG-1").selected
    # A rule whose order is not proposed for this case is still a known key.
    plain = build(case_data(), profile={"selection": {"ESC-2": False}})
    assert plain is not None
    ids = [o.id for o in build(case_data()).orders]
    chosen = build(case_data(), profile={"selection": {oid: False for oid in ids}})
    assert not any(o.selected for o in chosen.orders)


def test_selection_of_an_order_removed_for_an_allergy_is_not_an_error():
    data = case_data(allergies=[{"substance": "tocilizumab", "reaction": "anaphylaxis"}])
    build(data, profile={"selection": {"TCZ-1": True}})


# ---- 8 (part). settings are read-only to plugins ----------------------------------------------


class _Tamper:
    """A plugin that tries to change the settings every later plugin reads."""

    def __init__(self, attack):
        self.attack = attack

    @hookimpl
    def orderset_orders(self, context):
        self.attack(context.settings)
        return []


ATTACKS = {
    "values": lambda s: s.values.__setitem__(("steroids", "methylprednisolone_days"), 30),
    "selection": lambda s: s.selection.__setitem__("ESC-2", True),
    "overrides": lambda s: s.formulary_overrides.__setitem__("x", {}),
    "override": lambda s: s.formulary_overrides["methylprednisolone-iv"].__setitem__(
        "increment", "1 g"
    ),
    "override-list": lambda s: s.formulary_overrides["methylprednisolone-iv"][
        "container_sizes"
    ].append("1 g"),
    "declared": lambda s: s.declared.pop(("steroids", "methylprednisolone_days")),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_a_plugin_cannot_change_the_settings(name):
    profile = {
        "formulary": {"methylprednisolone-iv": {"container_sizes": ["500 mg"]}},
        "selection": {"IVIG-1": False},
    }
    with pytest.raises(PluginError) as info:
        build(case_data(), profile=profile, plugins=[("tamper", _Tamper(ATTACKS[name]))])
    assert info.value.plugin == "tamper"


def test_settings_mappings_are_read_only_proxies():
    s = load_settings(fresh_host(), {"selection": {"IVIG-1": True}})
    for mapping in (s.values, s.selection, s.formulary_overrides, s.declared):
        assert isinstance(mapping, types.MappingProxyType)


def _snapshot(s):
    return (
        s.profile_name,
        dict(s.values),
        s.from_profile,
        dict(s.selection),
        {k: dict(v) for k, v in s.formulary_overrides.items()},
        dict(s.declared),
    )


PROFILES = [
    None,
    "ivig-first-line",
    {"steroids": {"methylprednisolone_days": 5}, "selection": {"ESC-2": False}},
]


@settings(max_examples=15, deadline=None)
@given(
    weight=st.decimals(Decimal(8), Decimal(40), places=1),
    shock=st.booleans(),
    response=st.sampled_from(["initial", "responding", "refractory"]),
    enteral=st.booleans(),
    profile=st.sampled_from(PROFILES),
)
def test_settings_are_unchanged_after_any_build(weight, shock, response, enteral, profile):
    host = fresh_host()
    case = case_from_dict(
        case_data(
            weight=f"{weight} kg", shock=shock, response=response, enteral_route_available=enteral
        )
    )
    before = _snapshot(load_settings(host, profile))
    order_set = build_order_set(case, profile=profile, host=host)
    assert _snapshot(order_set.settings) == before
    assert _snapshot(load_settings(host, profile)) == before


# ---- contract breaks: profile files -----------------------------------------------------------


def test_profile_file_problems_are_input_errors(tmp_path):
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'[institution]\nname = "H\xf4pital"\n')
    with pytest.raises(InputError, match=r"latin.toml: is not UTF-8 text"):
        read_profile(latin)
    deep = tmp_path / "deep.toml"
    deep.write_text("[institution]\nname = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(InputError, match=r"deep.toml: is nested more than 8 levels deep"):
        read_profile(deep)
    with pytest.raises(InputError, match=r"is a directory, not a profile file"):
        read_profile(tmp_path)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 1_000_000 + "\n")
    with pytest.raises(InputError, match=r"big.toml: is larger than 1,000,000 bytes"):
        read_profile(big)


def test_profile_given_as_a_dict_is_checked_for_shape():
    deep: object = "x"
    for _ in range(20):
        deep = [deep]
    with pytest.raises(InputError, match=r"institution.name\[0\].*nested more than 8"):
        resolve_settings([], {"institution": {"name": deep}})
    with pytest.raises(InputError, match=r"institution.name: is 501 characters long"):
        resolve_settings([], {"institution": {"name": "x" * 501}})


# ---- plausibility: formulary overrides --------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "field", "value", "reason"),
    [
        ("methylprednisolone-iv", "increment", "1e-9 mg", "outside the plausible range"),
        ("methylprednisolone-iv", "increment", "0 mg", "must be more than zero"),
        ("methylprednisolone-iv", "increment", "100 g", "outside the plausible range"),
        ("methylprednisolone-iv", "container_sizes", ["1e-6 mg"], "outside the plausible"),
        ("methylprednisolone-iv", "container_sizes", ["1000 g"], "outside the plausible"),
        ("immune-globulin-iv-10", "concentration", "100 mg/dL", "unit 'mg/dL' is not accepted"),
        ("immune-globulin-iv-10", "concentration", "1 mg/mL", "not within a factor of 10"),
        ("immune-globulin-iv-10", "concentration", "2000 mg/mL", "outside the plausible range"),
        ("oseltamivir-suspension", "concentration", "6 mg/dL", "unit 'mg/dL' is not accepted"),
        ("oseltamivir-suspension", "concentration", "0.06 mg/mL", "not within a factor of 10"),
    ],
)
def test_implausible_formulary_overrides_are_refused_by_name(key, field, value, reason):
    err = input_error({"formulary": {key: {field: value}}})
    assert err.field.startswith(f"formulary.{key}.{field}"), str(err)
    assert reason in err.reason


def test_plausible_formulary_overrides_still_build():
    profile = {
        "formulary": {
            "immune-globulin-iv-10": {"concentration": "50 mg/mL", "increment": "5 g"},
            "oseltamivir-suspension": {"concentration": "6 g/L"},
            "methylprednisolone-iv": {"increment": "10 mg", "container_sizes": ["500 mg", "1 g"]},
        }
    }
    build(case_data(), profile=profile)


class _SiteProduct:
    """A third-party plugin replacing the steroids product with an increment of 0."""

    @hookimpl
    def orderset_formulary(self, settings):
        return [
            Product(
                key="methylprednisolone-iv",
                drug="methylprednisolone",
                description="site methylprednisolone",
                dose_unit="mg",
                increment=units.Quantity(0, units.mg),
            )
        ]


def test_a_third_party_product_with_increment_zero_is_blamed_on_that_plugin():
    with pytest.raises(PluginError) as info:
        build(case_data(), plugins=[("mysite", _SiteProduct())])
    assert info.value.plugin == "mysite"
    assert "increment 0 milligram must be more than zero" in info.value.reason


# ---- plausibility: quantity settings without declared bounds ----------------------------------


@pytest.mark.parametrize(
    ("section", "key", "value", "reason"),
    [
        ("steroids", "taper_mg_per_kg", "1e9 mg/kg", "above the sanity ceiling 2 g/kg"),
        ("steroids", "taper_mg_per_kg", "0 mg/kg", "must be more than zero"),
        ("steroids", "taper_mg_per_kg", "-2 mg/kg", "must be more than zero"),
        ("steroids", "taper_max_dose", "2e6 mg", "above the sanity ceiling 1 kg"),
        ("ivig", "max_daily_dose", "0 g", "must be more than zero"),
    ],
)
def test_unbounded_quantity_settings_get_a_sanity_range(section, key, value, reason):
    err = input_error({section: {key: value}})
    assert err.field == f"{section}.{key}"
    assert reason in err.reason


def test_a_plausible_unbounded_quantity_setting_is_accepted():
    setting = Setting(
        "steroids", "taper_mg_per_kg", None, "", "quantity", units={"mg/kg": units.mg_per_kg}
    )
    assert setting.coerce("2 mg/kg") == units.Quantity(2, units.mg_per_kg)
    minutes = Setting(
        "site", "minutes", None, "", "quantity", units={"min": units.minute}, minimum=None
    )
    with pytest.raises(InputError, match=r"above the sanity ceiling 365 days"):
        minutes.coerce("1e7 min")


def test_date_settings_must_be_dates():
    setting = Setting("governance", "review_due", None, "", dt.date)
    assert setting.coerce(dt.date(2027, 1, 1)) == dt.date(2027, 1, 1)
    with pytest.raises(InputError, match=r"governance.review_due: 20270101 is not a date"):
        setting.coerce(20270101)
