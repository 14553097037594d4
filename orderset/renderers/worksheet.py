"""The pharmacy preparation worksheet (PDF): one block per selected medication dose.

Renderers only render: every number here is the engine's (`Order.dose_preparation`, computed by
`orderset.preparation`), formatted through `orderset.formatting`, so the worksheet, the labels
and the JSON agree. The only thing added is the preparation time (the `prepared_at` option, the
CLI's `--prepared-at`), from which the beyond-use dates are counted; without it the case's
`assessed_at` is used and the page says so, so the same input always gives the same bytes (PDF
dates included: the template stamps them). The command line and the service always give one
(default: the time of the build or request; `orderset.preptime`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from markupsafe import Markup

from orderset import units
from orderset._version import __version__
from orderset.formatting import format_number, format_quantity
from orderset.model import DosePreparation, Order, OrderSet
from orderset.preparation import (
    PER_PHARMACY,
    SECTION,
    beyond_use_at,
    concentration_label,
    local_time,
)
from orderset.renderers import html as sheet
from orderset.rules import RULES_VERSION

TITLE = "Pharmacy preparation worksheet"
TEMPLATE = "worksheet.html.j2"
STYLESHEETS = ("sheet.css", "worksheet.css")


def preparation_time(order_set: OrderSet, when: dt.datetime | None) -> dt.datetime:
    """When the doses are prepared: `when` if given, else the order set's assessment time, on
    the site's clock when the profile names its time zone."""
    return local_time(when or order_set.case.assessed_at, order_set.settings)


def prepared_orders(order_set: OrderSet) -> list[tuple[Order, DosePreparation]]:
    """The selected medication doses that have a preparation, in sheet order."""
    return [
        (o, o.dose_preparation)
        for o in order_set.selected_medications
        if o.dose_preparation is not None
    ]


def _q(q: Any, label: str | None = None, places: int = 3) -> str:
    return PER_PHARMACY if q is None else format_quantity(q, label, max_places=places)


def _rate(dp: DosePreparation) -> str:
    if dp.rate is None or dp.rate_calculated is None:
        return "per the rate steps on the order" if dp.titrated else PER_PHARMACY
    deviation = dp.rate_deviation_percent or 0
    sign = "+" if deviation > 0 else ""
    return (
        f"{format_quantity(dp.rate, max_places=1)} (calculated"
        f" {format_quantity(dp.rate_calculated)}; pump step 0.1 mL/h, deviation"
        f" {sign}{format_number(deviation, 1)}%)"
    )


def _containers(dp: DosePreparation) -> str:
    if not dp.draws:
        return PER_PHARMACY
    counts: dict[str, int] = {}
    for d in dp.draws:
        counts[d.description] = counts.get(d.description, 0) + d.count
    parts = [f"{n} x {description}" for description, n in counts.items()]
    waste = f"; waste {format_quantity(dp.waste, dp.dose_unit)}" if dp.waste is not None else ""
    return f"{'; '.join(parts)} ({dp.containers} in all{waste})"


def _final(dp: DosePreparation) -> str:
    if dp.final_volume is None:
        return PER_PHARMACY
    text = format_quantity(dp.final_volume)
    if dp.final_concentration is not None:
        label = concentration_label(dp.dose_unit)
        text += f" at {format_quantity(dp.final_concentration, label)}"
    return text


def _fluid(dp: DosePreparation, order_set: OrderSet, prn: bool = False) -> str | None:
    if dp.fluid_per_day is None or dp.fluid_per_kg_per_day is None:
        return None
    text = (
        f"{format_quantity(dp.fluid_per_day)} a day{' if given as ordered' if prn else ''}"
        f" ({format_number(units.to_decimal(dp.fluid_per_kg_per_day, units.mL_per_kg), 1)}"
        " mL/kg a day)"
    )
    settings = order_set.settings
    keys = ("fluid_warning_ml_per_day", "fluid_warning_ml_per_kg_per_day")
    if settings is None or all(settings.get(SECTION, k) is None for k in keys):
        text += "; no fluid limit is set in the institution profile"
    return text


def _beyond_use(dp: DosePreparation, when: dt.datetime) -> list[str]:
    if not dp.beyond_use:
        return [f"{PER_PHARMACY} (no storage data in the formulary)"]
    return [
        f"{sheet._datetime(until)} ({condition}; {format_number(b.hours)} hours)"
        for (condition, until), b in zip(beyond_use_at(dp, when), dp.beyond_use, strict=True)
    ]


def block(
    order: Order, dp: DosePreparation, when: dt.datetime, order_set: OrderSet
) -> dict[str, Any]:
    """One dose's block, as printed text."""
    dose = format_quantity(order.dose, order.dose_unit) if order.dose is not None else ""
    drug = sheet.tall_man(order.drug or "")
    strength = f" {order.strength}" if order.strength else ""
    light = {True: "yes", False: "no", None: "not stated in the formulary"}[dp.protect_from_light]
    return {
        "id": order.id,
        "rule_id": order.rule_id,
        "drug": drug + strength,
        "dose": dose,
        "line": sheet.printed(order.text),
        "route": dp.route,
        "frequency": order.frequency or "",
        "product": sheet.printed(dp.product),
        "containers": _containers(dp),
        "drug_volume": _q(dp.drug_volume),
        "diluent": (
            f"{_q(dp.diluent_volume)} of {dp.diluent}"
            if dp.diluent_volume is not None and dp.diluent
            else (dp.diluent or "none (given undiluted)")
        ),
        "final": _final(dp),
        "rate": _rate(dp) if dp.route == "IV" else "not an infusion",
        "infuse_over": _q(dp.infuse_over) if dp.route == "IV" else "not an infusion",
        "fluid": _fluid(dp, order_set, prn=order.prn is not None),
        "beyond_use": _beyond_use(dp, when),
        "light": light,
        "filter": dp.filter or "none stated in the formulary",
        "handling": [sheet.printed(h) for h in dp.handling],
        "steps": [sheet.printed(s) for s in dp.steps],
        "review": [sheet.printed(r) for r in dp.review],
        "double_check": dp.double_check,
        "sources": "; ".join(dp.sources) or "none",
    }


def worksheet_context(
    order_set: OrderSet, when: dt.datetime, *, given: bool = True
) -> dict[str, Any]:
    """Everything the template prints, as formatted text (`when`: the preparation time;
    `given`: False when it is the assessment time because none was given)."""
    case = order_set.case
    patient = sheet._patient(order_set)
    return {
        "title": TITLE,
        "institution": order_set.institution,
        "prepared_at": sheet._datetime(when),
        "prepared_given": given,
        "prepared_iso": when.isoformat(),
        "assessed_at": sheet._datetime(case.assessed_at),
        "orderset_version": __version__,
        "rules_version": RULES_VERSION,
        "profile_name": order_set.profile_name,
        "patient": patient,
        "blocks": [block(o, dp, when, order_set) for o, dp in prepared_orders(order_set)],
        "page_size": sheet.page_size(order_set),
        "top_margin_mm": sheet._top_margin_mm(patient["name"], patient["header_allergies"]),
    }


def render_html(order_set: OrderSet, *, prepared_at: dt.datetime | None = None) -> str:
    when = preparation_time(order_set, prepared_at)
    with sheet.template_dir() as root:
        env = sheet._environment(str(root))
        css = "\n".join((root / name).read_text(encoding="utf-8") for name in STYLESHEETS)
        template = env.get_template(TEMPLATE)
        context = worksheet_context(order_set, when, given=prepared_at is not None)
        return template.render(css=Markup(css), **context)


def render(order_set: OrderSet, *, prepared_at: dt.datetime | None = None) -> bytes:
    """The `worksheet` output format (PDF); beyond-use times count from `prepared_at`."""
    from orderset.renderers.pdf import _UNDRAWABLE, html_to_pdf

    html = _UNDRAWABLE.sub(" ", render_html(order_set, prepared_at=prepared_at))
    with sheet.template_dir() as root:
        return html_to_pdf(html, root)
