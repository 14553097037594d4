"""The printed admission order sheet as HTML: the template context, then jinja2.

Every number on the sheet is formatted here through `orderset.formatting`, so the template only
places text and never does arithmetic or unit handling. jinja2 runs with autoescape on (a
patient called `<b>Ann</b> & Co` prints literally) and `StrictUndefined` (a misspelt field is an
error, not a blank on a medication order). The clock is never read: the sheet is stamped with
the case's `assessed_at`, so the same input gives the same sheet.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib.resources
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pint
from markupsafe import Markup, escape

from orderset import units
from orderset._version import __version__
from orderset.formatting import format_number, format_quantity, unit_label
from orderset.model import (
    Calculation,
    Order,
    OrderSet,
    Preparation,
    Section,
    Severity,
)
from orderset.renal import RENAL_NOT_CALCULATED
from orderset.renderers.barcode import code128_svg
from orderset.rules import RULES_VERSION
from orderset.timing import hours_text

TITLE = "Acute necrotizing encephalopathy: admission orders"
TEMPLATE = "sheet.html.j2"
STYLESHEET = "sheet.css"

#: Tall man (mixed case) lettering from the FDA and ISMP "Lists of Look-Alike Drug Names with
#: Recommended Tall Man Letters" (ISMP 2023), only for generic names on those lists. Drugs not
#: on the lists (midazolam, tocilizumab, oseltamivir, ...) are printed as they are.
TALL_MAN: dict[str, str] = {
    "methylprednisolone": "methylPREDNISolone",
    "prednisone": "predniSONE",
    "prednisolone": "prednisoLONE",
    "lorazepam": "LORazepam",
    "alprazolam": "ALPRAZolam",
    "clonazepam": "clonazePAM",
    "levetiracetam": "levETIRAcetam",
    "levocarnitine": "levOCARNitine",
    "levofloxacin": "levoFLOXacin",
    "oxcarbazepine": "OXcarbazepine",
    "carbamazepine": "carBAMazepine",
    "lamotrigine": "lamoTRIgine",
    "pentobarbital": "PENTobarbital",
    "phenobarbital": "PHENobarbital",
    "cefazolin": "ceFAZolin",
    "ceftriaxone": "cefTRIAXone",
    "dopamine": "DOPamine",
    "dobutamine": "DOBUTamine",
    "epinephrine": "EPINEPHrine",
    "ephedrine": "ePHEDrine",
    "nifedipine": "NIFEdipine",
    "nimodipine": "niMODipine",
    "nicardipine": "niCARdipine",
    "fentanyl": "fentaNYL",
    "sufentanil": "SUFentanil",
    "hydromorphone": "HYDROmorphone",
    "oxycodone": "oxyCODONE",
    "hydralazine": "hydrALAZINE",
    "hydroxyzine": "hydrOXYzine",
    "acetazolamide": "acetaZOLAMIDE",
    "metronidazole": "metroNIDAZOLE",
    "valacyclovir": "valACYclovir",
    "valganciclovir": "valGANciclovir",
    "cyclosporine": "cycloSPORINE",
    "rituximab": "riTUXimab",
    "infliximab": "inFLIXimab",
}
#: Whole words only, and never inside an order id such as SEIZ-1-LORAZEPAM.
_TALL_MAN_RE = re.compile(
    r"(?<![\w-])(" + "|".join(sorted(TALL_MAN, key=len, reverse=True)) + r")(?![\w-])", re.I
)

CHECKED, UNCHECKED = "\u2611", "\u2610"
SEVERITY_LABELS = {"critical": "CRITICAL", "warning": "Warning", "info": "Note"}


def tall_man(text: str) -> str:
    """Drug names in `text` with ISMP tall man letters; other words are left alone."""
    return _TALL_MAN_RE.sub(lambda m: TALL_MAN[m.group(1).lower()], text)


# ---- formatting helpers ----------------------------------------------------------------------


def _datetime(value: dt.datetime) -> str:
    """ "2026-11-22 06:00 -05:00": 24-hour clock with its offset, never a bare local time."""
    text = value.strftime("%Y-%m-%d %H:%M")
    offset = value.strftime("%z")
    return f"{text} {offset[:3]}:{offset[3:]}" if offset else text


def _dose(q: pint.Quantity | None, label: str | None) -> str | None:
    return None if q is None else format_quantity(q, label)


def _per_kg_label(calc: Calculation, dose_unit: str | None) -> str | None:
    """ "mg PE/kg" when the dose label differs from the unit (mg PE); else pint's own label."""
    if dose_unit and dose_unit != unit_label(calc.given.units):
        return f"{dose_unit}/kg"
    return None


# ---- context ---------------------------------------------------------------------------------


def _patient(order_set: OrderSet) -> dict[str, Any]:
    case = order_set.case
    p = case.patient
    weight = f"{format_number(case.weight_kg)} kg"
    entered = None
    if p.weight.units != units.kg:
        label = units.WEIGHT_LABELS.get(p.weight.units) or unit_label(p.weight.units)
        entered = f"{format_number(p.weight.magnitude)} {label}"
    if p.allergies is None:
        allergies, allergy_state = ["Allergies not recorded"], "unknown"
    elif not p.allergies:
        allergies, allergy_state = ["No known allergies"], "none"
    else:
        allergies = [
            f"{a.substance} ({a.reaction})" if a.reaction else a.substance for a in p.allergies
        ]
        allergy_state = "listed"
    return {
        "name": f"{p.family_name}, {p.given_name}",
        "mrn": p.mrn,
        "barcode": code128_svg(p.mrn),
        "birth_date": p.birth_date.isoformat(),
        "age": case.age.text,
        "sex": p.sex,
        "weight": weight,
        "weight_entered": entered,
        "weight_measured_at": p.weight_measured_at.isoformat(),
        "height": format_quantity(p.height, unit=units.cm, max_places=1) if p.height else None,
        "allergies": [tall_man(a) for a in allergies],
        "allergy_state": allergy_state,
        "renal": order_set.renal.summary if order_set.renal else RENAL_NOT_CALCULATED,
        "dialysis": None if p.dialysis == "none" else p.dialysis,
        "influenza": case.clinical.influenza,
        "location": case.encounter.location,
        "attending": case.encounter.attending,
    }


def _timing(order_set: OrderSet) -> dict[str, Any]:
    case = order_set.case
    timing = order_set.timing
    return {
        "onset": _datetime(case.clinical.neuro_onset),
        "assessed_at": _datetime(case.assessed_at),
        "hours_since_onset": hours_text(case.assessed_at - case.clinical.neuro_onset),
        "within_window": bool(timing and timing.within_window),
        "window": tall_man(timing.text) if timing else "",
    }


def _severity(severity: Severity | None) -> dict[str, Any] | None:
    if severity is None:
        return None
    present = {True: "yes", False: "no", None: "not known"}
    return {
        "rule_id": severity.rule_id,
        "items": [
            {
                "name": i.name,
                "present": present[i.present],
                "points": i.points if i.present else 0,
                "possible": i.points,
            }
            for i in severity.items
        ],
        "score": severity.score,
        "maximum": sum(i.points for i in severity.items),
        "band": severity.band,
        "missing": list(severity.missing),
    }


def _alerts(order_set: OrderSet) -> list[dict[str, Any]]:
    return [
        {
            "severity": a.severity,
            "label": SEVERITY_LABELS[a.severity],
            "text": tall_man(a.text),
            "rule_id": a.rule_id,
            #: Printed after the text unless the text names the rule already.
            "show_rule": a.rule_id is not None and a.rule_id not in a.text,
        }
        for a in order_set.alerts
    ]


def _preparation(prep: Preparation | None) -> str | None:
    if prep is None:
        return None
    parts = []
    if prep.concentration is not None:
        parts.append(f"concentration {format_quantity(prep.concentration)}")
    if prep.drug_volume is not None:
        parts.append(f"drug volume {format_quantity(prep.drug_volume)}")
    if prep.diluent:
        parts.append(f"diluent {prep.diluent}")
    if prep.final_volume is not None:
        parts.append(f"final volume {format_quantity(prep.final_volume)}")
    if prep.rate is not None:
        parts.append(f"rate {format_quantity(prep.rate, unit=units.mL_per_h, max_places=1)}")
    if prep.infuse_over is not None:
        over = format_quantity(prep.infuse_over)
        if over not in prep.text:
            parts.append(f"infuse over {over}")
    text = "; ".join(parts)
    if prep.text:
        text = f"{text}. {prep.text}" if text else prep.text
    return tall_man(text) if text else None


def _calculation(order: Order) -> str | None:
    calc = order.calculation
    if calc is None:
        return None
    label = order.dose_unit
    if calc.per_kg is not None and calc.weight_kg is not None:
        text = (
            f"{format_quantity(calc.per_kg, _per_kg_label(calc, label))}"
            f" x {format_number(calc.weight_kg)} kg = {_dose(calc.calculated, label)}"
        )
    else:
        text = calc.text
    if calc.maximum is not None:
        text += f"; maximum {_dose(calc.maximum, label)}"
        if calc.capped:
            text += " (capped)"
    if calc.pharmacist_review:
        text += f"; not rounded, given {_dose(calc.given, label)}: PHARMACIST REVIEW"
    elif calc.per_kg is not None:
        sign = "+" if calc.deviation_percent > 0 else ""
        text += (
            f"; rounded to {_dose(calc.given, label)}"
            f" (deviation {sign}{format_number(calc.deviation_percent, 1)}%, {calc.rounding_rule})"
        )
    return tall_man(text)


def _emphasised(line: str, order: Order, dose: str | None) -> Markup:
    """The line as HTML with the drug name and the dose in bold (escaped like all text)."""
    markup = escape(line)
    for phrase in (dose, tall_man(order.drug) if order.drug else None):
        if phrase:
            markup = markup.replace(escape(phrase), Markup("<strong>%s</strong>") % phrase, 1)
    return Markup(markup)


def _order(order: Order) -> dict[str, Any]:
    medication = order.kind == "medication"
    dose = format_quantity(order.dose, order.dose_unit) if order.dose is not None else None
    line = tall_man(order.text)
    return {
        "id": order.id,
        "selected": order.selected,
        "box": CHECKED if order.selected else UNCHECKED,
        "by_clinician": order.selected_by == "clinician",
        "kind": order.kind,
        "medication": medication,
        "line": line,
        "line_html": _emphasised(line, order, dose) if medication else escape(line),
        "dose_text": dose if medication else None,
        "preparation": _preparation(order.preparation) if medication else None,
        "calculation": _calculation(order) if medication else None,
        "review": bool(order.calculation and order.calculation.pharmacist_review),
        "titration": [
            {
                "step": n,
                "dose_rate": format_quantity(s.dose_rate),
                "pump_rate": format_quantity(s.pump_rate, unit=units.mL_per_h, max_places=1),
                "after": s.after,
            }
            for n, s in enumerate(order.titration, start=1)
        ],
        "rule_id": order.rule_id,
        "grade": order.evidence.grade,
        "low_grade": not order.evidence.preselectable,
        "notes": [tall_man(n) for n in order.notes],
    }


def _sections(order_set: OrderSet) -> list[dict[str, Any]]:
    sections = []
    for section in Section:
        orders = [_order(o) for o in order_set.orders if o.section == section]
        if orders:
            sections.append({"key": section.value, "title": section.title, "orders": orders})
    return sections


def sheet_context(order_set: OrderSet) -> dict[str, Any]:
    """Everything the template prints, as formatted text (no numbers left to format)."""
    case = order_set.case
    return {
        "title": TITLE,
        "institution": order_set.institution,
        "generated_at": _datetime(case.assessed_at),
        "generated_iso": case.assessed_at.isoformat(),
        "orderset_version": __version__,
        "rules_version": RULES_VERSION,
        "profile_name": order_set.profile_name,
        "governance": order_set.governance.text,
        "plugins": [{"name": p.name, "version": p.version} for p in order_set.plugins],
        "patient": _patient(order_set),
        "timing": _timing(order_set),
        "severity": _severity(order_set.severity),
        "alerts": _alerts(order_set),
        "sections": _sections(order_set),
    }


# ---- rendering -------------------------------------------------------------------------------


@contextlib.contextmanager
def template_dir() -> Iterator[Path]:
    """The folder holding the templates, CSS and fonts, as a real path (for weasyprint)."""
    with importlib.resources.as_file(importlib.resources.files("orderset.templates")) as path:
        yield Path(path)


@functools.cache
def _environment(root: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(root),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(order_set: OrderSet) -> str:
    """The sheet as one self-contained HTML document (CSS inlined; fonts are relative to the
    template folder, which the PDF renderer passes as base URL)."""
    with template_dir() as root:
        env = _environment(str(root))
        css = (root / STYLESHEET).read_text(encoding="utf-8")
        return env.get_template(TEMPLATE).render(css=Markup(css), **sheet_context(order_set))


def render(order_set: OrderSet) -> bytes:
    """The `html` output format."""
    return render_html(order_set).encode("utf-8")
