"""Build an order set: validate the profile, ask every plugin, check what they return.

The engine is where the safety rules that hold for every plugin live, so no plugin can forget
them: dose units and caps are checked, orders graded `analogue` or `unconfirmed` are never
pre-selected unless the profile says so, profile selection overrides are applied, duplicate
order ids fail the build, and two plugins ordering the same drug raise a conflict alert.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

import attrs

from orderset import allergies, hl7_settings, pharmacy, preparation, units
from orderset import governance as governance_settings
from orderset.context import BuildContext
from orderset.errors import InputError, PluginError
from orderset.formatting import format_quantity
from orderset.formulary import Formulary, Product
from orderset.lines import order_line
from orderset.model import (
    Alert,
    Calculation,
    Case,
    Evidence,
    Order,
    OrderKind,
    OrderSet,
    Preparation,
    Section,
    TitrationStep,
)
from orderset.plugin.host import PluginHost, make_host
from orderset.renal import renal_function
from orderset.rules import Rule
from orderset.salicylates import salicylate_in
from orderset.settings import (
    Setting,
    Settings,
    apply_formulary_overrides,
    profile_data,
    resolve_settings,
)
from orderset.severity import severity_score
from orderset.timing import timing
from orderset.vocab import FREQUENCIES, ROUTES

#: Settings the engine itself reads (declared like a plugin's, so profiles are checked alike).
ENGINE_SETTINGS = (
    Setting(
        "institution", "name", "", "Institution name printed on the sheet and sent in HL7.", str
    ),
    Setting(
        "institution",
        "weight_max_age_days",
        7,
        "A dosing weight measured longer ago than this raises an alert (not a clinical rule).",
        int,
        minimum=0,
        maximum=365,
    ),
    *hl7_settings.SETTINGS,
    Setting(
        "sheet",
        "page_size",
        "Letter",
        "Paper size of the printed order sheet.",
        str,
        choices=("Letter", "A4"),
    ),
    *governance_settings.SETTINGS,
    *pharmacy.SETTINGS,
    *preparation.SETTINGS,
)
#: ALERT-1: always on the sheet for children (Reye syndrome with influenza). An engine rule,
#: like the salicylate refusal below, so no disabled plugin can take it off the sheet.
ALERT_1_TEXT = (
    "Child: avoid aspirin and all salicylate-containing products (for example bismuth"
    " subsalicylate): Reye syndrome with influenza (ALERT-1)."
)


def is_salicylate(order: Order) -> bool:
    """ALERT-1: the order names a salicylate anywhere (drug, class, line or instructions)."""
    return _salicylate(order) is not None


def _salicylate(order: Order) -> str | None:
    for text in (order.drug or "", *order.drug_classes, order.text, order.instructions):
        found = salicylate_in(text)
        if found:
            return found
    return None


def engine_rules() -> list[Rule]:
    """Rules the engine itself applies to every plugin's orders."""
    return [
        Rule("SCORE-1", "ANE severity score (a guide)", "confirmed", plugin="engine"),
        Rule("ALERT-1", "Aspirin and salicylates alert for children", "confirmed", plugin="engine"),
    ]


def load_settings(
    host: PluginHost,
    profile: Mapping[str, Any] | str | None,
    *,
    profile_path: str | Path | None = None,
) -> Settings:
    """Validate a profile against every declared setting: a parsed mapping or a bundled
    profile name (never a file), or a TOML file as `profile_path`; neither means the bundled
    default profile. Every profile is layered over the default one unless it opts out
    (`[profile] base = "none"`, see `orderset.settings.profile_data`)."""
    declared = [*ENGINE_SETTINGS, *host.settings()]
    data = profile_data(profile, profile_path, {s.section for s in declared})
    return resolve_settings(declared, data)


def build_formulary(host: PluginHost, settings: Settings) -> Formulary:
    products: dict[str, Product] = {}
    for info, product in host.formulary(settings):
        product = attrs.evolve(product, source=f"plugin:{info.name}")
        products[product.key] = product
    return Formulary(apply_formulary_overrides(products, settings.formulary_overrides))


def build_order_set(
    case: Case,
    *,
    profile: Mapping[str, Any] | str | None = None,
    profile_path: str | Path | None = None,
    selections: Mapping[str, bool] | None = None,
    host: PluginHost | None = None,
    disable: Sequence[str] = (),
) -> OrderSet:
    """The order set for one validated case (`orderset.load_case`, `case_from_dict`).

    `profile` is a bundled profile name or a mapping, `profile_path` a TOML file (never both).
    `selections` is the clinician's ticks, order id -> True/False, applied last (over the rule
    and the profile) and recorded as `Order.selected_by == "clinician"`; an id that is not an
    order of this set is an InputError naming `selections.<id>`. Raises InputError for bad
    input and PluginError (naming the plugin) when a plugin fails; never returns a partial set.
    """
    if not isinstance(case, Case):
        raise InputError(
            "case",
            f"is a {type(case).__name__}, not an orderset.Case: validate it first with"
            " orderset.case_from_dict(data) or orderset.load_case(path)",
        )
    _check_selections(selections)
    host = host or make_host(disable=disable)
    settings = load_settings(host, profile, profile_path=profile_path)
    approval = governance_settings.governance(settings, case.assessed_at.date())
    formulary = build_formulary(host, settings)
    context = BuildContext(
        case=case,
        settings=settings,
        formulary=formulary,
        severity=severity_score(case),
        renal=renal_function(case),
    )

    orders = [_with_line(_checked(order, context)) for order in host.orders(context)]
    _refuse_duplicate_ids(orders)
    proposed = {o.id: o for o in orders}
    rules = (*engine_rules(), *host.rules())
    _check_selection_keys(settings, {r.id for r in rules} | set(proposed))
    orders, allergy_alerts = allergies.screen(orders, case.patient.allergies)
    orders = _without_orphans(orders)
    removed = tuple(o for oid, o in proposed.items() if oid not in {x.id for x in orders})
    orders = [_apply_selection(attrs.evolve(o, selected_by="rule"), settings) for o in orders]
    orders = _clinician_selection(orders, selections or {}, removed)
    plugin_rank = {p.name: i for i, p in enumerate(host.plugins)}
    orders.sort(key=lambda o: (o.section.rank, plugin_rank[o.plugin]))
    ordered = tuple(_prepared(o, context) for o in orders)

    alerts = [*allergy_alerts, *_engine_alerts(context, ordered), *host.alerts(context, ordered)]
    if approval.review_overdue and approval.review_due is not None:
        alerts.append(
            Alert(
                id="GOVERNANCE-REVIEW-DUE",
                severity="warning",
                text=(
                    f"This order set's review was due on {approval.review_due.isoformat()}"
                    f" (profile {settings.profile_name}): check it against current practice"
                    " before use."
                ),
            )
        )
    alerts.extend(_conflict_alerts(ordered))
    alerts.extend(
        Alert(
            id=f"PLUGIN-LOAD-{f.name}",
            severity="warning",
            text=f"Plugin {f.name} was skipped: {f.error}. Its orders are missing from this set.",
        )
        for f in host.failures
    )
    return OrderSet(
        case=case,
        orders=ordered,
        alerts=tuple(sorted(alerts, key=_alert_rank)),
        plugins=host.plugins,
        profile_name=settings.profile_name,
        institution=settings.get("institution", "name"),
        severity=context.severity,
        renal=context.renal,
        settings=settings,
        rules=rules,
        timing=timing(case, ordered, removed),
        governance=approval,
    )


def _prepared(order: Order, context: BuildContext) -> Order:
    """The order with its pharmacy preparation (`orderset.preparation`), computed here once so
    every format prints the same numbers."""
    if order.kind != "medication" or order.dose is None:
        return order
    products = _products_of(order, context)
    product = products[0] if products else None
    prep = preparation.prepare(order, product, context.case, context.settings)
    return attrs.evolve(order, dose_preparation=prep)


def _alert_rank(alert: Alert) -> int:
    return ("critical", "warning", "info").index(alert.severity)


def _checked(order: Order, context: BuildContext) -> Order:
    """Refuse an order that breaks the plugin contract (a field of the wrong type), has no rule
    id, names a salicylate for a child (ALERT-1), has an unknown route or frequency, or a dose
    that is missing its unit, in the wrong dimension, not a positive finite number, over its
    calculation's or its product's maximum, or without any maximum at all."""
    _check_fields(order)
    if not order.rule_id or not order.id:
        raise PluginError(order.plugin, f"order {order.text!r} has no rule id")
    if context.case.is_child:
        found = _salicylate(order)
        if found:
            raise PluginError(
                order.plugin,
                f"order {order.id}: names {found!r}, a salicylate, never for a child (ALERT-1)",
            )
    if order.kind != "medication":
        return order
    if not order.drug or order.drug != order.drug.lower():
        raise PluginError(order.plugin, f"order {order.id}: drug must be a lowercase generic name")
    if order.route is not None and order.route not in ROUTES:
        raise PluginError(order.plugin, f"order {order.id}: route {order.route!r} is not known")
    if order.frequency is not None and order.frequency not in FREQUENCIES:
        raise PluginError(
            order.plugin, f"order {order.id}: frequency {order.frequency!r} is not known"
        )
    if order.dose is None and order.calculation is None:
        return order  # e.g. "taper per clinician": no number to check
    if order.dose is None or order.dose_unit is None:
        raise PluginError(order.plugin, f"order {order.id}: a dose needs its unit label")
    try:
        expected = units.drug_unit(order.dose_unit)
    except ValueError as exc:
        raise PluginError(order.plugin, f"order {order.id}: {exc}") from None
    dose = _amount(order, "dose", order.dose, expected)
    calc = order.calculation
    if calc is not None:
        given = _amount(order, "calculation given dose", calc.given, expected)
        if given != dose:
            raise PluginError(
                order.plugin,
                f"order {order.id}: dose {_show(dose, order)} is not its calculation's given"
                f" dose {_show(given, order)}",
            )
    if order.daily_maximum is not None and order.daily_dose is not None:
        daily = _amount(order, "daily dose", order.daily_dose, expected)
        daily_cap = _amount(order, "daily maximum", order.daily_maximum, expected)
        if daily > daily_cap:
            raise PluginError(
                order.plugin,
                f"order {order.id}: daily dose {daily} exceeds its daily maximum {daily_cap}",
            )
    maxima: list[tuple[Decimal, Decimal, str]] = []
    if calc is not None and calc.maximum is not None:
        maxima.append((dose, _amount(order, "calculation maximum", calc.maximum, expected), ""))
    product = _product_maximum(order, context, expected)
    if product is not None:
        cap, where, per_kg = product
        checked = dose
        if per_kg and calc is not None and calc.per_kg is not None:
            # A per-kg maximum bounds the weight-based dose before ROUND-1, which may round it
            # up by less than one increment and 10% when the calculation itself has no cap.
            checked = _amount(order, "calculated dose", calc.calculated, expected)
        maxima.append((checked, cap, where))
    if not maxima:
        raise PluginError(
            order.plugin,
            f"order {order.id}: dose {_show(dose, order)} has no maximum: its calculation has"
            f" none and no formulary product of {order.drug} has a maximum_dose; every"
            " medication dose needs one from its rule",
        )
    for checked, cap, where in maxima:
        if checked > cap:
            raise PluginError(
                order.plugin, f"order {order.id}: dose {checked} exceeds its{where} maximum {cap}"
            )
    return order


def _show(value: Decimal, order: Order) -> str:
    return f"{format_quantity(units.Quantity(value, units.drug_unit(order.dose_unit or '')))}"


def _positive_finite(magnitude: object) -> bool:
    if isinstance(magnitude, bool):
        return False
    if isinstance(magnitude, Decimal):
        return magnitude.is_finite() and magnitude > 0
    if isinstance(magnitude, int | float):
        return math.isfinite(magnitude) and magnitude > 0
    return False


def _amount(order: Order, what: str, value: object, unit: units.UnitLike) -> Decimal:
    """`value` in `unit` as a Decimal: a Quantity of the dose's dimension with a positive,
    finite number, or the order is refused naming the plugin and the order."""
    if not isinstance(value, units.Quantity) or not value.is_compatible_with(unit):
        raise PluginError(
            order.plugin,
            f"order {order.id}: {what} {value!s} is not in {order.dose_unit}"
            f" ({unit.dimensionality})",
        )
    if not _positive_finite(value.magnitude):
        raise PluginError(
            order.plugin,
            f"order {order.id}: {what} {value!s} is not a positive finite number; a medication"
            " dose must be more than zero",
        )
    amount = units.to_decimal(value, unit)
    if not amount.is_finite() or amount <= 0:  # e.g. a float that overflowed in conversion
        raise PluginError(
            order.plugin, f"order {order.id}: {what} {value!s} is not a positive finite number"
        )
    return amount


def _products_of(order: Order, context: BuildContext) -> list[Product]:
    """The formulary products an order is made of: by its product code when a product has it,
    else every product of its drug."""
    products = list(context.formulary.values())
    if order.product_code:
        by_code = [p for p in products if p.local_code == order.product_code]
        if by_code:
            return by_code
    return [p for p in products if p.drug == order.drug]


def _product_maximum(
    order: Order, context: BuildContext, unit: units.UnitLike
) -> tuple[Decimal, str, bool] | None:
    """The strictest `maximum_dose` of the order's products, for this patient (a per-kg maximum
    times the dosing weight), words naming the product, and whether it is per kg; None when
    no product has one."""
    best: tuple[Decimal, Product, bool] | None = None
    per_kg = unit / units.kg
    for product in _products_of(order, context):
        maximum = product.maximum_dose
        if not isinstance(maximum, units.Quantity):
            continue
        if maximum.is_compatible_with(per_kg):
            what = f"product {product.key} maximum"
            cap = _amount(order, what, maximum, per_kg) * context.weight_kg
        elif maximum.is_compatible_with(unit):
            cap = _amount(order, f"product {product.key} maximum", maximum, unit)
        else:
            continue
        if best is None or cap < best[0]:
            best = (cap, product, maximum.is_compatible_with(per_kg))
    if best is None:
        return None
    cap, product, scaled = best
    where = f" product {product.key}'s"
    if scaled and product.maximum_dose is not None:
        weight = format_quantity(units.Quantity(context.weight_kg, units.kg))
        where += f" {format_quantity(product.maximum_dose)} x {weight}"
    return cap, where, scaled


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_optional(kind: type | tuple[type, ...]) -> Callable[[object], bool]:
    return lambda value: value is None or isinstance(value, kind)


def _is_texts(value: object) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, str) for v in value)


#: The type every Order field must have, checked for every plugin's order before anything
#: reads it (a section given as a string, a list of classes, a number for a text, ...).
_ORDER_FIELDS: tuple[tuple[str, Callable[[object], bool], str], ...] = (
    ("id", _is_text, "text"),
    ("rule_id", _is_text, "text"),
    ("kind", lambda v: v in get_args(OrderKind), f"one of {', '.join(get_args(OrderKind))}"),
    ("section", lambda v: isinstance(v, Section), "an orderset.plugin.Section"),
    ("selected", lambda v: isinstance(v, bool), "true or false"),
    ("text", _is_text, "text"),
    ("evidence", lambda v: isinstance(v, Evidence), "an Evidence"),
    ("drug", _is_optional(str), "text or None"),
    ("drug_classes", _is_texts, "a tuple of text"),
    ("product_code", _is_optional(str), "text or None"),
    ("dose", _is_optional(units.Quantity), "a Quantity or None"),
    ("dose_unit", _is_optional(str), "text or None"),
    ("route", _is_optional(str), "text or None"),
    ("frequency", _is_optional(str), "text or None"),
    ("duration", _is_optional(str), "text or None"),
    ("prn", _is_optional(str), "text or None"),
    ("dosage_form", _is_optional(str), "text or None"),
    ("calculation", _is_optional(Calculation), "a Calculation or None"),
    ("preparation", _is_optional(Preparation), "a Preparation or None"),
    (
        "titration",
        lambda v: isinstance(v, tuple) and all(isinstance(s, TitrationStep) for s in v),
        "a tuple of TitrationStep",
    ),
    ("daily_dose", _is_optional(units.Quantity), "a Quantity or None"),
    ("daily_maximum", _is_optional(units.Quantity), "a Quantity or None"),
    ("notes", _is_texts, "a tuple of text"),
    ("instructions", _is_text, "text"),
    ("start_within_hours", _is_optional(Decimal), "a Decimal or None"),
    ("depends_on", _is_optional(str), "text or None"),
    ("strength", _is_text, "text"),
    ("dose_detail", _is_text, "text"),
)


def _check_fields(order: Order) -> None:
    name = order.id if isinstance(order.id, str) and order.id else repr(order.id)
    for field, ok, expected in _ORDER_FIELDS:
        value = getattr(order, field)
        if not ok(value):
            raise PluginError(
                order.plugin,
                f"order {name}: {field} must be {expected}, not {type(value).__name__}"
                f" {value!r:.60}",
            )


def _with_line(order: Order) -> Order:
    """A medication's `text` is its composed line (one function for every format). A plugin
    that writes its own sentence for a dosed medication is refused: a dose written into words
    could disagree with the dose sent to the pharmacy."""
    try:
        line = order_line(order)
    except Exception as exc:
        raise PluginError(
            order.plugin,
            f"order {order.id}: its line cannot be composed ({type(exc).__name__}: {exc})",
        ) from exc
    if line == order.text:
        return order
    if order.text:
        raise PluginError(
            order.plugin,
            f"order {order.id}: a medication's line is composed from its fields ({line!r});"
            " leave `text` empty and put any extra words in `instructions`",
        )
    return attrs.evolve(order, text=line)


def _without_orphans(orders: list[Order]) -> list[Order]:
    """Orders that exist for another order (`depends_on`) go when that order is not in the
    set: no glucose checks "during the methylprednisolone pulse" without the pulse."""
    kept = list(orders)
    while True:
        ids = {o.id for o in kept}
        still = [o for o in kept if o.depends_on is None or o.depends_on in ids]
        if len(still) == len(kept):
            return kept
        kept = still


def _refuse_duplicate_ids(orders: list[Order]) -> None:
    seen: dict[str, str] = {}
    for order in orders:
        if order.id in seen:
            raise PluginError(
                order.plugin,
                f"order id {order.id!r} was already used by plugin {seen[order.id]!r}",
            )
        seen[order.id] = order.plugin


def _check_selection_keys(settings: Settings, known: Collection[str]) -> None:
    """A `[selection]` key names a rule some plugin declares or an order proposed in this build
    (before allergy screening); a typo (`IVIG1`) is an error, never silently ignored."""
    for key in settings.selection:
        if key not in known:
            hint = difflib.get_close_matches(key, sorted(known), n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise InputError(f"selection.{key}", f"no order or rule with this id{suggestion}")


def _apply_selection(order: Order, settings: Settings) -> Order:
    """Profile overrides by order id, then rule id; otherwise low grades are never pre-checked."""
    for key in (order.id, order.rule_id):
        if key in settings.selection:
            return attrs.evolve(order, selected=settings.selection[key], selected_by="profile")
    if order.selected and not order.evidence.preselectable:
        return attrs.evolve(order, selected=False)
    return order


def _check_selections(selections: Mapping[str, bool] | None) -> None:
    if selections is None:
        return
    if not isinstance(selections, Mapping):
        raise InputError("selections", "must map order ids to true or false")
    for oid, value in selections.items():
        if not isinstance(oid, str):
            raise InputError("selections", f"{oid!r} is not an order id")
        if not isinstance(value, bool):
            raise InputError(f"selections.{oid}", f"{value!r} is not true or false")


def _clinician_selection(
    orders: list[Order], selections: Mapping[str, bool], removed: tuple[Order, ...]
) -> list[Order]:
    """The clinician's ticks, by order id, over the rule's and the profile's choice. Only an
    order in the set can be ticked: one the engine removed (allergy, missing parent) or never
    made cannot be put back by a selection."""
    ids = {o.id for o in orders}
    gone = {o.id for o in removed}
    for oid in selections:
        if oid in gone:
            raise InputError(
                f"selections.{oid}",
                "this order was removed from the set (allergy, or the order it depends on is"
                " missing) and cannot be selected",
            )
        if oid not in ids:
            raise InputError(
                f"selections.{oid}",
                f"no such order in this order set (orders: {', '.join(sorted(ids))})",
            )
    return [
        attrs.evolve(o, selected=selections[o.id], selected_by="clinician")
        if o.id in selections
        else o
        for o in orders
    ]


def _conflict_alerts(orders: tuple[Order, ...]) -> list[Alert]:
    by_drug: dict[str, list[Order]] = {}
    for order in orders:
        if order.kind == "medication" and order.drug:
            by_drug.setdefault(order.drug, []).append(order)
    alerts = []
    for drug, group in by_drug.items():
        plugins = sorted({o.plugin for o in group})
        if len(plugins) > 1:
            ids = ", ".join(o.id for o in group)
            alerts.append(
                Alert(
                    id=f"CONFLICT-{drug}",
                    severity="critical",
                    text=(
                        f"{drug} is ordered by more than one plugin ({', '.join(plugins)}:"
                        f" orders {ids}). Choose one; nothing was merged."
                    ),
                )
            )
    return alerts


def _engine_alerts(context: BuildContext, orders: tuple[Order, ...]) -> list[Alert]:
    case = context.case
    alerts = []
    if case.is_child:
        alerts.append(Alert(id="ALERT-1", severity="warning", rule_id="ALERT-1", text=ALERT_1_TEXT))
    max_age = context.setting("institution", "weight_max_age_days")
    weight_age = (case.assessed_at.date() - case.patient.weight_measured_at).days
    if weight_age > max_age:
        alerts.append(
            Alert(
                id="WEIGHT-DATE",
                severity="warning",
                text=(
                    f"Dosing weight was measured {weight_age} days ago"
                    f" ({case.patient.weight_measured_at.isoformat()}); weigh the patient and"
                    " recheck every dose."
                ),
            )
        )
    for order in orders:
        calc = order.calculation
        if calc is None or not calc.pharmacist_review:
            continue
        dose = format_quantity(calc.given, order.dose_unit)
        step = format_quantity(calc.increment, order.dose_unit) if calc.increment else "step"
        alerts.append(
            Alert(
                id=f"REVIEW-{order.id}",
                severity="warning",
                order_id=order.id,
                rule_id="ROUND-1",
                text=(
                    f"Pharmacist review: {order.drug} {dose} ({order.rule_id}) could not be"
                    f" rounded to a {step} step within 10% and is given unrounded (ROUND-1)."
                ),
            )
        )
    return alerts
