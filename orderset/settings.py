"""Institution profiles (TOML) checked against the settings the plugins declare.

A profile may only set what some plugin declared through `orderset_settings`, plus the engine's
own tables (`[profile]`, `[selection]`, `[formulary.KEY]`). Any other key is an error naming it,
so a misspelt `methylprednisolone_dyas = 5` can never be silently ignored.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import types
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs
import pint
from attrs import field, frozen

from orderset import prepdata, units
from orderset.errors import InputError
from orderset.formatting import format_number
from orderset.formulary import Product
from orderset.loader import check_structure
from orderset.textfiles import read_text

#: Unit spellings accepted in `[formulary.KEY]` tables. A concentration is written as a product
#: label writes it (mg/mL, or g/L, the same number): mg/dL is a lab unit, and "100 mg/dL" for a
#: 10% IVIG (100 mg/mL) would be read as a hundredth of it.
AMOUNT_UNITS = {"mg": units.mg, "g": units.g, "mcg": units.mcg, "ml": units.mL}
CONCENTRATION_UNITS = {"mg/ml": units.mg_per_mL, "g/l": units.g_per_L}

#: Input sanity ranges for `[formulary.KEY]` values, not clinical rules: values outside them are
#: typing or unit errors ("1e-9 mg", "6 mg/dL"), refused naming the field rather than dosed.
#: (reference unit, lowest, highest, shown)
PRODUCT_RANGES: dict[str, tuple[tuple[pint.Quantity, pint.Quantity, str], ...]] = {
    "increment": (
        (units.Quantity(0.01, units.mg), units.Quantity(50, units.g), "0.01 mg to 50 g"),
        (units.Quantity(0.01, units.mL), units.Quantity(100, units.mL), "0.01 mL to 100 mL"),
    ),
    "container_sizes": (
        (units.Quantity(0.1, units.mg), units.Quantity(500, units.g), "0.1 mg to 500 g"),
        (units.Quantity(0.1, units.mL), units.Quantity(5000, units.mL), "0.1 mL to 5,000 mL"),
    ),
    "concentration": (
        (
            units.Quantity(0.01, units.mg_per_mL),
            units.Quantity(1000, units.mg_per_mL),
            "0.01 mg/mL to 1,000 mg/mL",
        ),
    ),
}
#: A profile's concentration for a product is within this factor of the concentration the
#: plugin supplies: a unit slip (x100 for mg/dL, x1000 for g vs mg) is refused.
CONCENTRATION_FACTOR = 10

#: Sanity ceilings for a quantity setting whose plugin declares no maximum (not clinical rules;
#: "1e9 mg/kg" is a typing error). (ceiling, shown); the first compatible one applies, and a
#: setting of any other dimension may not exceed 1,000,000 in the unit given.
QUANTITY_CEILINGS: tuple[tuple[pint.Quantity, str], ...] = (
    (units.Quantity(2000, units.mg_per_kg), "2 g/kg"),
    (units.Quantity(1000, units.g), "1 kg"),
    (units.Quantity(10, units.L), "10 L"),
    (units.Quantity(365, units.ureg.day), "365 days"),
)
OTHER_QUANTITY_CEILING = 1_000_000

#: A profile file is at most this size, nested at most this deep, strings at most this long.
MAX_PROFILE_BYTES = 1_000_000
MAX_PROFILE_DEPTH = 8
MAX_PROFILE_STRING = 500

_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


@frozen
class Setting:
    """One profile setting a plugin reads: `[section] key = value`."""

    section: str
    key: str
    default: Any
    help: str
    #: int, bool, str, Decimal, or "quantity" (then `units` is the allow-list of spellings).
    type: Any = int
    units: Mapping[str, pint.Unit] | None = None
    minimum: Any = None
    maximum: Any = None
    choices: tuple[Any, ...] | None = None
    #: A function that checks (and may convert) the value, raising InputError; for a table
    #: setting (type dict) it is the only check. Its error's field is relative to this setting.
    check: Any = None

    @property
    def path(self) -> str:
        return f"{self.section}.{self.key}"

    def coerce(self, value: Any) -> Any:
        """Check a profile value against this declaration and return it typed."""
        if self.check is not None:
            try:
                value = self.check(value)
            except InputError as exc:
                field = f"{self.path}.{exc.field}" if exc.field else self.path
                raise InputError(field, exc.reason) from None
            if self.type is dict:
                return value
        if self.type == "quantity":
            q = units.parse_measurement(self.path, value, self.units or {}, self.key)
            return self._sane(value, self._bounded(q))
        if self.type is bool:
            if not isinstance(value, bool):
                raise InputError(self.path, f"{value!r} is not true or false")
            return value
        if self.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError(self.path, f"{value!r} is not a whole number")
        elif self.type is Decimal:
            # ASCII digits only (Decimal() reads any Unicode digit); finite (TOML has inf, nan).
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float | str)
                or not _DECIMAL.fullmatch(str(value))
            ):
                units.check_ascii_digits(self.path, str(value))
                raise InputError(self.path, f"{value!r} is not a number")
            try:
                value = Decimal(str(value))
            except (ArithmeticError, InvalidOperation):
                raise InputError(self.path, f"{value!r} is not a number") from None
        elif self.type is dt.date:
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
                raise InputError(self.path, f"{value!r} is not a date (write 2026-11-24)")
        elif self.type is str and not isinstance(value, str):
            raise InputError(self.path, f"{value!r} is not text")
        if self.choices is not None and value not in self.choices:
            raise InputError(
                self.path, f"{value!r} is not one of: {', '.join(map(str, self.choices))}"
            )
        return self._bounded(value)

    def _sane(self, raw: Any, q: pint.Quantity) -> pint.Quantity:
        """A quantity setting with no declared minimum must be more than zero, and one with no
        declared maximum must be under a sanity ceiling (QUANTITY_CEILINGS)."""
        if self.minimum is None and not q.magnitude > 0:
            raise InputError(self.path, f"{raw!r} must be more than zero")
        if self.maximum is None:
            for ceiling, shown in QUANTITY_CEILINGS:
                if q.is_compatible_with(ceiling):
                    if q > ceiling:
                        raise InputError(
                            self.path,
                            f"{raw!r} is above the sanity ceiling {shown} (the setting declares"
                            " no maximum)",
                        )
                    return q
            if q.magnitude > OTHER_QUANTITY_CEILING:
                raise InputError(self.path, f"{raw!r} is implausibly large")
        return q

    def _bounded(self, value: Any) -> Any:
        if self.minimum is not None and value < self.minimum:
            raise InputError(self.path, f"{value} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise InputError(self.path, f"{value} is above the maximum {self.maximum}")
        return value


def _read_only(value: Any) -> Any:
    """A read-only copy: mappings become MappingProxyType, lists tuples, all the way down."""
    if isinstance(value, Mapping):
        return types.MappingProxyType({k: _read_only(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_read_only(v) for v in value)
    return value


@frozen
class Settings:
    """Validated settings: declared defaults overlaid with the profile's values.

    Read-only all the way down (MappingProxyType): the engine passes the same Settings to every
    plugin, so a plugin cannot change a value, a selection or a formulary override for the
    plugins after it (make MP-1 "30 days", pre-select ESC-2).
    """

    profile_name: str
    values: Mapping[tuple[str, str], Any] = field(converter=_read_only)
    from_profile: frozenset[tuple[str, str]]
    selection: Mapping[str, bool] = field(converter=_read_only)
    formulary_overrides: Mapping[str, Mapping[str, Any]] = field(converter=_read_only)
    declared: Mapping[tuple[str, str], Setting] = field(converter=_read_only)

    def get(self, section: str, key: str) -> Any:
        try:
            return self.values[(section, key)]
        except KeyError:
            raise KeyError(f"setting {section}.{key} was never declared by a plugin") from None

    def is_from_profile(self, section: str, key: str) -> bool:
        """True when the institution profile set this value (the sheet then says so)."""
        return (section, key) in self.from_profile


ENGINE_TABLES = ("profile", "selection", "formulary")


def bundled_profiles() -> dict[str, Path]:
    """Profiles shipped with the package, by name (file name without .toml)."""
    import importlib.resources

    root = importlib.resources.files("orderset.profiles")
    return {Path(e.name).stem: Path(str(e)) for e in root.iterdir() if e.name.endswith(".toml")}


def profile_path(name_or_path: str | Path | None) -> Path:
    """For a person at a terminal (`--profile NAME_OR_PATH`): None means the bundled default
    profile; a bare bundled name ("ivig-first-line") means that profile; anything else is a
    file path. The Python API never guesses: see `profile_arguments` and `profile_data`."""
    bundled = bundled_profiles()
    if name_or_path is None:
        return bundled["default"]
    if isinstance(name_or_path, str) and name_or_path in bundled:
        return bundled[name_or_path]
    return Path(name_or_path)


def profile_arguments(name_or_path: str | None) -> dict[str, Any]:
    """`--profile NAME_OR_PATH` as `build_order_set` keywords: a bundled name is `profile=`,
    anything else `profile_path=` (only the command line reads a name as a possible file)."""
    bundled = bundled_profiles()
    if name_or_path is None or name_or_path in bundled:
        return {"profile": name_or_path}
    if not Path(name_or_path).exists():
        raise InputError(
            "--profile",
            f"{name_or_path!r} is neither a bundled profile ({', '.join(sorted(bundled))})"
            " nor a file",
        )
    return {"profile_path": Path(name_or_path)}


#: The profile every other profile is layered over, unless it says `[profile] base = "none"`.
BASE_PROFILE = "default"
#: `[profile] base`: "default" (the bundled default profile underneath; the default) or "none"
#: (only this profile's values over the declared defaults).
PROFILE_BASES = ("default", "none")
#: The name reported for a profile that does not give `[profile] name`.
UNNAMED_PROFILE = "custom"


def profile_data(
    profile: Mapping[str, Any] | str | None,
    path: str | Path | None,
    sections: Iterable[str],
) -> dict[str, Any]:
    """The parsed profile to validate: `profile` is a bundled name or a mapping (a string is
    never read as a file), `path` a TOML file; at most one of them (neither: the default).

    Unless it says `[profile] base = "none"`, the profile is layered over the bundled default
    profile, table by table (its values win; `[profile]` is its own), so a site profile that
    only pre-selects IVIG-1 keeps the institution name and the HL7 facilities. Tables of the
    default profile for plugins this host does not know (`sections`) are left out of the base.
    """
    if profile is not None and path is not None:
        raise InputError("profile_path", "give either profile (a bundled name) or profile_path")
    bundled = bundled_profiles()
    if path is not None:
        if not isinstance(path, str | Path):
            raise InputError("profile_path", f"{path!r} is not a file path")
        data = read_profile(path)
    elif profile is None:
        return read_profile(bundled[BASE_PROFILE])
    elif isinstance(profile, Mapping):
        data = dict(profile)
    elif isinstance(profile, str) and profile in bundled:
        data = read_profile(bundled[profile])
    else:
        raise InputError(
            "profile",
            f"{profile!r} is not a bundled profile (known: {', '.join(sorted(bundled))}); give a"
            " mapping, or a file as profile_path=",
        )
    meta = data.get("profile", {})
    base = meta.get("base", BASE_PROFILE) if isinstance(meta, Mapping) else BASE_PROFILE
    if base not in PROFILE_BASES:
        raise InputError("profile.base", f"{base!r} is not one of: {', '.join(PROFILE_BASES)}")
    if base == "none":
        return data
    known = set(sections) | set(ENGINE_TABLES)
    underneath = {k: v for k, v in read_profile(bundled[BASE_PROFILE]).items() if k in known}
    underneath.pop("profile", None)
    return _layered(underneath, data)


def _layered(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on `base`: tables are merged key by key, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        below = out.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            out[key] = _layered(below, value)
        else:
            out[key] = value
    return out


def read_profile(path: str | Path) -> dict[str, Any]:
    """Read a profile TOML file; a missing file or bad TOML names the file."""
    text = read_text(
        path, max_bytes=MAX_PROFILE_BYTES, kind="profile", missing="profile file not found"
    )
    try:
        # TOML itself refuses a key given twice ("Cannot overwrite a value").
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), f"not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(
            str(path), f"is nested more than {MAX_PROFILE_DEPTH} levels deep"
        ) from None


def resolve_settings(
    declared: Iterable[Setting], profile: Mapping[str, Any] | None, *, source: str = "profile"
) -> Settings:
    """Overlay a parsed profile on the declared defaults, refusing anything undeclared."""
    table: dict[tuple[str, str], Setting] = {}
    for s in declared:
        table[(s.section, s.key)] = s
    values = {k: s.default for k, s in table.items()}
    from_profile: set[tuple[str, str]] = set()
    check_structure(profile or {}, max_depth=MAX_PROFILE_DEPTH, max_string=MAX_PROFILE_STRING)
    profile = dict(profile or {})
    meta = profile.pop("profile", {})
    if not isinstance(meta, Mapping):
        raise InputError("profile", "must be a table")
    unknown_meta = set(meta) - {"name", "description", "base"}
    if unknown_meta:
        raise InputError(f"profile.{sorted(unknown_meta)[0]}", "unknown profile key")
    if meta.get("base", BASE_PROFILE) not in PROFILE_BASES:
        raise InputError(
            "profile.base", f"{meta['base']!r} is not one of: {', '.join(PROFILE_BASES)}"
        )
    name = meta.get("name", UNNAMED_PROFILE)
    if not isinstance(name, str):
        raise InputError("profile.name", f"{name!r} is not text")

    selection = profile.pop("selection", {})
    if not isinstance(selection, Mapping) or not all(
        isinstance(v, bool) for v in selection.values()
    ):
        raise InputError("selection", "must map order or rule ids to true or false")

    formulary = profile.pop("formulary", {})
    if not isinstance(formulary, Mapping):
        raise InputError("formulary", "must be a table of products")

    sections = {s for s, _ in table}
    for section, entries in profile.items():
        if section not in sections:
            raise InputError(section, "unknown profile section")
        if not isinstance(entries, Mapping):
            raise InputError(section, "must be a table")
        for key, raw in entries.items():
            setting = table.get((section, key))
            if setting is None:
                raise InputError(f"{section}.{key}", "unknown profile key")
            values[(section, key)] = setting.coerce(raw)
            from_profile.add((section, key))
    return Settings(
        profile_name=name,
        values=values,
        from_profile=frozenset(from_profile),
        selection=selection,
        formulary_overrides=formulary,
        declared=table,
    )


_PRODUCT_FIELDS = {
    "description": str,
    "local_code": str,
    "dosage_form": str,
    "increment": "amount",
    "concentration": "concentration",
    "container_sizes": "amounts",
}


def apply_formulary_overrides(
    products: Mapping[str, Product], overrides: Mapping[str, Mapping[str, Any]]
) -> dict[str, Product]:
    """Apply `[formulary.KEY]` tables; unknown products, fields or units, and values outside
    their plausible range (PRODUCT_RANGES, CONCENTRATION_FACTOR), are errors naming the field."""
    result = dict(products)
    for key, fields in overrides.items():
        if key not in result:
            raise InputError(f"formulary.{key}", "no plugin supplies this product")
        if not isinstance(fields, Mapping):
            raise InputError(f"formulary.{key}", "must be a table")
        product = result[key]
        changes: dict[str, Any] = {}
        prep_fields = {n: v for n, v in fields.items() if n in prepdata.FIELDS}
        if prep_fields:
            unit = units.drug_unit(product.dose_unit)
            changes["preparation"] = prepdata.override(key, product.preparation, prep_fields, unit)
        for name, raw in fields.items():
            path = f"formulary.{key}.{name}"
            if name in prepdata.FIELDS:
                continue
            kind = _PRODUCT_FIELDS.get(name)
            if kind is None:
                raise InputError(path, "unknown product field")
            if kind is str:
                if not isinstance(raw, str):
                    raise InputError(path, f"{raw!r} is not text")
                changes[name] = raw
            elif kind == "amount":
                changes[name] = _plausible(path, raw, AMOUNT_UNITS, name)
            elif kind == "concentration":
                conc = _plausible(path, raw, CONCENTRATION_UNITS, name)
                _near_supplied(path, raw, conc, product)
                changes[name] = conc
            else:
                if not isinstance(raw, list | tuple) or not raw:
                    raise InputError(path, "must be a list of amounts")
                changes[name] = tuple(
                    _plausible(f"{path}[{i}]", r, AMOUNT_UNITS, name) for i, r in enumerate(raw)
                )
        if "increment" in changes and not changes["increment"].is_compatible_with(
            product.increment
        ):
            raise InputError(f"formulary.{key}.increment", "has the wrong dimension")
        result[key] = attrs.evolve(product, source="profile", **changes)
    return result


def _positive(path: str, raw: Any, allowed: Mapping[str, pint.Unit]) -> pint.Quantity:
    q = units.parse_measurement(path, raw, units.spellings(allowed), "this field")
    if not q.magnitude > 0:
        raise InputError(path, f"{raw!r} must be more than zero")
    return q


def _plausible(path: str, raw: Any, allowed: Mapping[str, pint.Unit], name: str) -> pint.Quantity:
    q = _positive(path, raw, allowed)
    for low, high, shown in PRODUCT_RANGES[name]:
        if q.is_compatible_with(low):
            if not low <= q <= high:
                raise InputError(path, f"{raw!r} is outside the plausible range {shown}")
            return q
    raise InputError(path, f"{raw!r} has the wrong dimension")  # pragma: no cover - unit lists


def _near_supplied(path: str, raw: Any, conc: pint.Quantity, product: Product) -> None:
    """A profile's concentration within CONCENTRATION_FACTOR of the plugin's product."""
    if product.concentration is None or not product.concentration.is_compatible_with(conc):
        return
    supplied = units.to_decimal(product.concentration, units.mg_per_mL)
    given = units.to_decimal(conc, units.mg_per_mL)
    if not supplied / CONCENTRATION_FACTOR <= given <= supplied * CONCENTRATION_FACTOR:
        raise InputError(
            path,
            f"{raw!r} is not within a factor of {CONCENTRATION_FACTOR} of the plugin's product"
            f" ({format_number(supplied)} mg/mL); check the unit",
        )
