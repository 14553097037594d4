"""Institution profiles (TOML) checked against the settings the plugins declare.

A profile may only set what some plugin declared through `orderset_settings`, plus the engine's
own tables (`[profile]`, `[selection]`, `[formulary.KEY]`). Any other key is an error naming it,
so a misspelt `methylprednisolone_dyas = 5` can never be silently ignored.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pint
from attrs import frozen

from orderset import units
from orderset.errors import InputError
from orderset.formulary import Product

#: Unit spellings accepted in `[formulary.KEY]` tables.
AMOUNT_UNITS = {"mg": units.mg, "g": units.g, "mcg": units.mcg, "ml": units.mL}
CONCENTRATION_UNITS = {"mg/ml": units.mg_per_mL, "g/l": units.g_per_L, "mg/dl": units.mg_per_dL}


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

    @property
    def path(self) -> str:
        return f"{self.section}.{self.key}"

    def coerce(self, value: Any) -> Any:
        """Check a profile value against this declaration and return it typed."""
        if self.type == "quantity":
            q = units.parse_measurement(self.path, value, self.units or {}, self.key)
            return self._bounded(q)
        if self.type is bool:
            if not isinstance(value, bool):
                raise InputError(self.path, f"{value!r} is not true or false")
            return value
        if self.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError(self.path, f"{value!r} is not a whole number")
        elif self.type is Decimal:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InputError(self.path, f"{value!r} is not a number")
            try:
                value = Decimal(str(value))
            except ArithmeticError:
                raise InputError(self.path, f"{value!r} is not a number") from None
        elif self.type is str and not isinstance(value, str):
            raise InputError(self.path, f"{value!r} is not text")
        if self.choices is not None and value not in self.choices:
            raise InputError(
                self.path, f"{value!r} is not one of: {', '.join(map(str, self.choices))}"
            )
        return self._bounded(value)

    def _bounded(self, value: Any) -> Any:
        if self.minimum is not None and value < self.minimum:
            raise InputError(self.path, f"{value} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise InputError(self.path, f"{value} is above the maximum {self.maximum}")
        return value


@frozen
class Settings:
    """Validated settings: declared defaults overlaid with the profile's values."""

    profile_name: str
    values: Mapping[tuple[str, str], Any]
    from_profile: frozenset[tuple[str, str]]
    selection: Mapping[str, bool]
    formulary_overrides: Mapping[str, Mapping[str, Any]]
    declared: Mapping[tuple[str, str], Setting]

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
    if name_or_path is None or name_or_path in bundled_profiles():
        return {"profile": name_or_path}
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
    p = Path(path)
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(str(path), "profile file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), f"not valid TOML: {exc}") from None


def resolve_settings(
    declared: Iterable[Setting], profile: Mapping[str, Any] | None, *, source: str = "profile"
) -> Settings:
    """Overlay a parsed profile on the declared defaults, refusing anything undeclared."""
    table: dict[tuple[str, str], Setting] = {}
    for s in declared:
        table[(s.section, s.key)] = s
    values = {k: s.default for k, s in table.items()}
    from_profile: set[tuple[str, str]] = set()
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
        selection=dict(selection),
        formulary_overrides={k: dict(v) for k, v in formulary.items()},
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
    """Apply `[formulary.KEY]` tables; unknown products, fields or units are errors."""
    result = dict(products)
    for key, fields in overrides.items():
        if key not in result:
            raise InputError(f"formulary.{key}", "no plugin supplies this product")
        if not isinstance(fields, Mapping):
            raise InputError(f"formulary.{key}", "must be a table")
        changes: dict[str, Any] = {}
        for name, raw in fields.items():
            path = f"formulary.{key}.{name}"
            kind = _PRODUCT_FIELDS.get(name)
            if kind is None:
                raise InputError(path, "unknown product field")
            if kind is str:
                if not isinstance(raw, str):
                    raise InputError(path, f"{raw!r} is not text")
                changes[name] = raw
            elif kind == "amount":
                changes[name] = _positive(path, raw, AMOUNT_UNITS)
            elif kind == "concentration":
                changes[name] = _positive(path, raw, CONCENTRATION_UNITS)
            else:
                if not isinstance(raw, list) or not raw:
                    raise InputError(path, "must be a list of amounts")
                changes[name] = tuple(
                    _positive(f"{path}[{i}]", r, AMOUNT_UNITS) for i, r in enumerate(raw)
                )
        product = result[key]
        if "increment" in changes and not changes["increment"].is_compatible_with(
            product.increment
        ):
            raise InputError(f"formulary.{key}.increment", "has the wrong dimension")
        result[key] = attrs.evolve(product, source="profile", **changes)
    return result


def _positive(path: str, raw: Any, allowed: Mapping[str, pint.Unit]) -> pint.Quantity:
    q = units.parse_measurement(path, raw, units.spellings(allowed), "this field")
    if q.magnitude <= 0:
        raise InputError(path, f"{raw!r} must be more than zero")
    return q
