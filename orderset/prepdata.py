"""Preparation data of a formulary product: how the pharmacy makes a dose of it.

Data, not code: presentations (vial, bag or bottle sizes with their content and volume),
reconstitution, allowed diluents, final-volume rules, concentration and infusion-time limits,
filter, light protection, storage and beyond-use time after preparation, handling notes. A
plugin bundles the facts seen in a product's US label, naming the label (`source`); anything
the labels were not checked for has no default and comes from the institution profile's
`[formulary.KEY]` table (`override`), else the worksheet says "per pharmacy procedure" and flags
the dose for pharmacist review. Profile values are checked as strictly as the rest of the
product: an unknown field, a wrong unit or an implausible number is refused naming its path.

The arithmetic that uses these data is in `orderset.preparation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import pint
from attrs import frozen

from orderset import units
from orderset.errors import InputError

#: Kinds of container a presentation can be.
CONTAINER_KINDS = ("vial", "bag", "bottle", "syringe", "ampule")


@frozen
class Presentation:
    """One stocked container: its drug content and volume (after reconstitution for a powder:
    `reconstitute_with` names the diluent and `reconstitution_volume`, when the label gives
    it, how much to add)."""

    content: pint.Quantity
    volume: pint.Quantity
    kind: str = "vial"
    reconstitute_with: str = ""
    reconstitution_volume: pint.Quantity | None = None

    @property
    def concentration(self) -> pint.Quantity:
        """Content over volume, exact Decimal (mg/mL for mg, g/mL for g)."""
        return units.exact(self.content) / units.exact(self.volume)


def containers(
    unit: units.UnitLike, *pairs: tuple[float, float], kind: str = "vial"
) -> tuple[Presentation, ...]:
    """Presentations of one kind from (content in `unit`, volume in mL) pairs, as a plugin
    writes a label's sizes: `containers(units.mg, (80, 4), (200, 10))`."""
    return tuple(
        Presentation(units.Quantity(amount, unit), units.Quantity(ml, units.mL), kind)
        for amount, ml in pairs
    )


@frozen
class Storage:
    """How long a prepared dose keeps under one storage condition (beyond-use time)."""

    condition: str
    hours: Decimal


@frozen
class PrepData:
    """Preparation facts of one product. None means "not known here": the profile gives it or
    the worksheet says "per pharmacy procedure" and flags the dose. An empty `diluents` tuple
    means the product is given undiluted."""

    #: Where the bundled defaults come from (a label and its date or section).
    source: str = ""
    presentations: tuple[Presentation, ...] | None = None
    diluents: tuple[str, ...] | None = None
    #: The most containers one dose may take (a site's choice: no rule or label gives one):
    #: above it the least waste among choices of at most that many (11 x 40 mg vials for
    #: 425 mg of methylprednisolone become one 500 mg vial at a limit of 3).
    containers_max: int | None = None
    #: A fixed final volume when the order's rule gives none (the rule's wins).
    final_volume: pint.Quantity | None = None
    #: Or a fixed volume of diluent the drug is added to (final = drug + diluent), as a label
    #: says "dilute in 100 mL"; used when neither the rule nor `final_volume` gives a final.
    diluent_volume: pint.Quantity | None = None
    #: Or diluted with an equal volume just before use (final = twice the drug volume).
    equal_volume_dilution: bool | None = None
    #: The largest volume given as one intramuscular injection (a site's choice: no rule or
    #: label gives one); an IM dose over it is flagged.
    im_volume_max: pint.Quantity | None = None
    final_volume_max: pint.Quantity | None = None
    #: Limits of the final (diluted) concentration, in mg/mL.
    concentration_min: pint.Quantity | None = None
    concentration_max: pint.Quantity | None = None
    infusion_minutes_min: int | None = None
    infusion_minutes_max: int | None = None
    #: Fastest dose rates: per minute (every patient), and per kg per minute (children under
    #: 18, as a label's "whichever is slower"); in the dose unit per minute.
    dose_rate_max: pint.Quantity | None = None
    dose_rate_max_per_kg_child: pint.Quantity | None = None
    filter: str | None = None
    protect_from_light: bool | None = None
    storage: tuple[Storage, ...] | None = None
    handling: tuple[str, ...] = ()
    #: Under this age in months the diluent must be preservative-free (no benzyl alcohol).
    preservative_free_under_months: int | None = None
    #: A premature infant (born before 37 weeks, under 12 months) also gets the preservative-free
    #: step, as a label contraindicates its benzyl alcohol in premature infants.
    preservative_free_preterm: bool | None = None
    #: High-alert medication: an independent double check before it leaves the pharmacy.
    high_alert: bool | None = None
    #: The label says the product must be diluted: a dose given undiluted is flagged.
    must_dilute: bool | None = None
    #: A reason every dose of this product goes to pharmacist review (an off-label route).
    review_reason: str | None = None
    #: Why the bundled presentations need checking (some sizes were not seen in a label); a
    #: review reason until the profile gives its own `presentations`.
    presentations_check: str | None = None
    #: Fields the institution profile set (their source is the profile, not `source`).
    from_profile: tuple[str, ...] = ()


# ---- profile overrides ----------------------------------------------------------------------

_MASS = {"mg": units.mg, "g": units.g, "mcg": units.mcg}
_VOLUME = {"ml": units.mL, "l": units.L}
_CONCENTRATION = {"mg/ml": units.mg_per_mL, "g/l": units.g_per_L}
#: Plausibility ranges (input sanity, not clinical rules): values outside are typing errors.
_RANGES: dict[str, tuple[Decimal, Decimal, str]] = {
    "content_mg": (Decimal("0.01"), Decimal(500_000), "0.01 mg to 500 g"),
    "volume_ml": (Decimal("0.05"), Decimal(5000), "0.05 mL to 5,000 mL"),
    "concentration": (Decimal("0.001"), Decimal(1000), "0.001 mg/mL to 1,000 mg/mL"),
    "minutes": (Decimal(1), Decimal(24 * 60), "1 to 1,440 minutes"),
    "hours": (Decimal("0.25"), Decimal(24 * 90), "0.25 to 2,160 hours"),
    "months": (Decimal(0), Decimal(240), "0 to 240 months"),
    "containers": (Decimal(1), Decimal(50), "1 to 50 containers"),
}
MAX_PRESENTATIONS = 12
MAX_TEXT_ITEMS = 12

#: Fields a profile may set in `[formulary.KEY]` for preparation, and how each is read.
FIELDS = (
    "presentations",
    "containers_max",
    "diluents",
    "final_volume",
    "diluent_volume",
    "equal_volume_dilution",
    "im_volume_max",
    "final_volume_max",
    "concentration_min",
    "concentration_max",
    "infusion_minutes_min",
    "infusion_minutes_max",
    "dose_rate_max",
    "dose_rate_max_per_kg_child",
    "filter",
    "protect_from_light",
    "storage",
    "handling",
    "preservative_free_under_months",
    "preservative_free_preterm",
    "high_alert",
    "must_dilute",
    "review_reason",
)


def _quantity(path: str, raw: Any, allowed: Mapping[str, pint.Unit], what: str) -> pint.Quantity:
    q = units.parse_measurement(path, raw, units.spellings(allowed), what)
    value = units.exact_decimal(q.magnitude)
    if what == "content":
        value, kind = units.to_decimal(units.exact(q), units.mg), "content_mg"
    elif what == "volume":
        value, kind = units.to_decimal(units.exact(q), units.mL), "volume_ml"
    else:
        value, kind = units.to_decimal(units.exact(q), units.mg_per_mL), "concentration"
    low, high, shown = _RANGES[kind]
    if not low <= value <= high:
        raise InputError(path, f"{raw!r} is outside the plausible range {shown}")
    return units.exact(q)


def _rate(path: str, raw: Any, allowed: Mapping[str, Any]) -> pint.Quantity:
    q = units.parse_measurement(path, raw, units.spellings(allowed), "dose rate")
    value = units.exact_decimal(q.magnitude)
    if not Decimal("0.001") <= value <= Decimal(100_000):
        raise InputError(path, f"{raw!r} is outside the plausible range 0.001 to 100,000")
    return units.exact(q)


def _number(path: str, raw: Any, kind: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InputError(path, f"{raw!r} is not a number")
    value = units.exact_decimal(raw)
    low, high, shown = _RANGES[kind]
    if not low <= value <= high:
        raise InputError(path, f"{raw!r} is outside the plausible range {shown}")
    return value


def _whole(path: str, raw: Any, kind: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InputError(path, f"{raw!r} is not a whole number")
    return int(_number(path, raw, kind))


def _text(path: str, raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InputError(path, f"{raw!r} is not text")
    return raw.strip()


def _texts(path: str, raw: Any, *, allow_empty: bool) -> tuple[str, ...]:
    if not isinstance(raw, list | tuple) or (not raw and not allow_empty):
        raise InputError(path, "must be a list of text")
    if len(raw) > MAX_TEXT_ITEMS:
        raise InputError(path, f"has more than {MAX_TEXT_ITEMS} entries")
    return tuple(_text(f"{path}[{i}]", r) for i, r in enumerate(raw))


def _table(path: str, raw: Any, keys: set[str], required: set[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise InputError(path, "must be a table")
    for key in raw:
        if key not in keys:
            raise InputError(f"{path}.{key}", "unknown field")
    for key in sorted(required - set(raw)):
        raise InputError(f"{path}.{key}", "is required")
    return raw


def _presentation(path: str, raw: Any, dose_unit: pint.Unit) -> Presentation:
    keys = {"content", "volume", "kind", "reconstitute_with", "reconstitution_volume"}
    table = _table(path, raw, keys, {"content", "volume"})
    allowed = {"ml": units.mL} if dose_unit == units.mL else _MASS
    content = _quantity(f"{path}.content", table["content"], allowed, "content")
    if not content.is_compatible_with(dose_unit):
        raise InputError(f"{path}.content", "is not in the product's dose unit")
    volume = _quantity(f"{path}.volume", table["volume"], _VOLUME, "volume")
    kind = table.get("kind", "vial")
    if kind not in CONTAINER_KINDS:
        raise InputError(f"{path}.kind", f"{kind!r} is not one of: {', '.join(CONTAINER_KINDS)}")
    recon_with = table.get("reconstitute_with", "")
    recon_volume = None
    if recon_with:
        recon_with = _text(f"{path}.reconstitute_with", recon_with)
    if "reconstitution_volume" in table:
        if not recon_with:
            raise InputError(f"{path}.reconstitute_with", "is required with reconstitution_volume")
        recon_volume = _quantity(
            f"{path}.reconstitution_volume", table["reconstitution_volume"], _VOLUME, "volume"
        )
    return Presentation(content, volume, kind, recon_with, recon_volume)


def _storage(path: str, raw: Any) -> Storage:
    table = _table(path, raw, {"condition", "hours"}, {"condition", "hours"})
    return Storage(_text(f"{path}.condition", table["condition"]), _hours(path, table["hours"]))


def _hours(path: str, raw: Any) -> Decimal:
    return _number(f"{path}.hours", raw, "hours")


def _list(path: str, raw: Any, limit: int) -> list[Any]:
    if not isinstance(raw, list | tuple) or not raw:
        raise InputError(path, "must be a non-empty list of tables")
    if len(raw) > limit:
        raise InputError(path, f"has more than {limit} entries")
    return list(raw)


def _bool(path: str, raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise InputError(path, f"{raw!r} is not true or false")
    return raw


def parse_field(path: str, name: str, raw: Any, dose_unit: pint.Unit) -> Any:
    """One `[formulary.KEY]` preparation field from the profile, checked, or InputError."""
    if name == "presentations":
        items = _list(path, raw, MAX_PRESENTATIONS)
        return tuple(_presentation(f"{path}[{i}]", r, dose_unit) for i, r in enumerate(items))
    if name == "storage":
        items = _list(path, raw, MAX_TEXT_ITEMS)
        return tuple(_storage(f"{path}[{i}]", r) for i, r in enumerate(items))
    if name == "diluents":
        return _texts(path, raw, allow_empty=True)
    if name == "handling":
        return _texts(path, raw, allow_empty=True)
    if name in ("final_volume", "final_volume_max", "diluent_volume", "im_volume_max"):
        return _quantity(path, raw, _VOLUME, "volume")
    if name in ("concentration_min", "concentration_max"):
        return _quantity(path, raw, _CONCENTRATION, "concentration")
    if name == "dose_rate_max":
        return _rate(path, raw, {f"{k}/min": u / units.minute for k, u in _MASS.items()})
    if name == "dose_rate_max_per_kg_child":
        allowed = {f"{k}/kg/min": u / units.kg / units.minute for k, u in _MASS.items()}
        return _rate(path, raw, allowed)
    if name in ("infusion_minutes_min", "infusion_minutes_max"):
        return _whole(path, raw, "minutes")
    if name == "containers_max":
        return _whole(path, raw, "containers")
    if name == "preservative_free_under_months":
        return _whole(path, raw, "months")
    if name in (
        "protect_from_light",
        "high_alert",
        "must_dilute",
        "equal_volume_dilution",
        "preservative_free_preterm",
    ):
        return _bool(path, raw)
    if name in ("filter", "review_reason"):
        return _text(path, raw)
    raise InputError(path, "unknown product field")  # pragma: no cover - FIELDS guards


def override(
    key: str, data: PrepData | None, fields: Mapping[str, Any], dose_unit: pint.Unit
) -> PrepData:
    """`data` with the profile's preparation `fields` applied and checked as a whole (a minimum
    over its maximum is refused naming the field)."""
    changes = {
        name: parse_field(f"formulary.{key}.{name}", name, raw, dose_unit)
        for name, raw in fields.items()
    }
    base = data or PrepData()
    if "presentations" in changes:
        changes["presentations_check"] = None
    result = attrs.evolve(
        base,
        from_profile=tuple(sorted({*base.from_profile, *(c for c in changes if c in FIELDS)})),
        **changes,
    )
    for low, high in (
        ("concentration_min", "concentration_max"),
        ("infusion_minutes_min", "infusion_minutes_max"),
    ):
        a, b = getattr(result, low), getattr(result, high)
        if a is not None and b is not None and a > b:
            raise InputError(f"formulary.{key}.{low}", f"is more than {high}")
    if (
        result.final_volume is not None
        and result.final_volume_max is not None
        and result.final_volume > result.final_volume_max
    ):
        raise InputError(f"formulary.{key}.final_volume", "is more than final_volume_max")
    return result
