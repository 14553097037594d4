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
import math
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, overload

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
    Provider,
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
#: `[sheet] page_size` choices as CSS @page sizes.
PAGE_SIZES = {"Letter": "letter", "A4": "A4"}
DECLINE_INSTRUCTION = "To decline a pre-ticked order: strike through the line and initial it."
SEVERITY_LABELS = {"critical": "CRITICAL", "warning": "Warning", "info": "Note"}


def tall_man(text: str) -> str:
    """Drug names in `text` with ISMP tall man letters; other words are left alone."""
    return _TALL_MAN_RE.sub(lambda m: TALL_MAN[m.group(1).lower()], text)


_SUPERSCRIPT_DIGITS = str.maketrans(
    "0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
)
#: "10^9/L" -> "10⁹/L"
_POWER_RE = re.compile(r"(?<=\d)\^(\d+)")
#: "1.73 m2" -> "1.73 m²", "/mm3" -> "/mm³": a length unit squared or cubed right after a
#: number (with or without a space) or a slash.
_AREA_VOLUME_RE = re.compile(r"(?:(?<=\d )|(?<=\d)|(?<=/))(c?m|mm)([23])\b")


def typeset(text: str) -> str:
    """Exponents in the engine's and plugins' text as real superscript characters
    ("x10^9/L" -> "x10⁹/L", "1.73 m2" -> "1.73 m²"). Patient free text is never changed."""
    text = _POWER_RE.sub(lambda m: m.group(1).translate(_SUPERSCRIPT_DIGITS), text)
    return _AREA_VOLUME_RE.sub(
        lambda m: m.group(1) + m.group(2).translate(_SUPERSCRIPT_DIGITS), text
    )


_RIGHT_TO_LEFT = frozenset({"R", "AL"})


@overload
def isolate(text: str) -> str: ...
@overload
def isolate(text: None) -> None: ...
def isolate(text: str | None) -> str | None:
    """Patient free text holding right-to-left letters (Arabic, Hebrew) wrapped in Unicode
    isolates (FSI ... PDI), so it keeps its place in the left-to-right sheet: without them
    "محمد, علي" (family, given) prints with the given name on the left, read as the family name.
    Other text is returned unchanged."""
    if text is None or text.isascii():
        return text
    if any(unicodedata.bidirectional(c) in _RIGHT_TO_LEFT for c in text):
        return f"\u2068{text}\u2069"
    return text


def printed(text: str) -> str:
    """Engine and plugin text as the sheet prints it: tall man lettering and superscripts."""
    return typeset(tall_man(text))


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
    # The weight as entered, every digit kept (31.30557 lb, not 31.306 lb), when it is not
    # exactly the dosing weight printed beside it.
    as_entered = units.exact_decimal(p.weight.magnitude)
    if p.weight.units != units.kg or as_entered != case.weight_kg:
        label = units.WEIGHT_LABELS.get(p.weight.units) or unit_label(p.weight.units)
        places = max(0, -int(as_entered.as_tuple().exponent))
        entered = f"{format_number(as_entered, places)} {label}"
    if p.allergies is None:
        allergies, allergy_state = ["Allergies not recorded"], "unknown"
    elif not p.allergies:
        allergies, allergy_state = ["No known allergies"], "none"
    else:
        allergies = [
            f"{isolate(a.substance)} ({isolate(a.reaction)})"
            if a.reaction
            else isolate(a.substance)
            for a in p.allergies
        ]
        allergy_state = "listed"
    return {
        "name": f"{isolate(p.family_name)}, {isolate(p.given_name)}",
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
        "header_allergies": _header_allergies(
            [tall_man(a) for a in allergies], allergy_state == "listed"
        ),
        "allergy_state": allergy_state,
        "renal": typeset(order_set.renal.summary) if order_set.renal else RENAL_NOT_CALCULATED,
        "dialysis": None if p.dialysis == "none" else p.dialysis,
        "influenza": case.clinical.influenza,
        "location": isolate(case.encounter.location),
        "attending": isolate(case.encounter.attending),
        "visit_number": isolate(case.encounter.visit_number),
        "ordering_provider": _provider(case.encounter.ordering_provider),
    }


def _provider(p: Provider | None) -> str | None:
    """ "Smith, Anna (NPI 1234567890)": the ordering provider as the HL7 messages name them."""
    if p is None:
        return None
    name = ", ".join(n for n in (p.family_name, p.given_name) if n)
    ident = f"{p.id_authority} {p.id}" if p.id_authority else f"id {p.id}"
    return isolate(f"{name} ({ident})" if name else ident)


def _timing(order_set: OrderSet) -> dict[str, Any]:
    case = order_set.case
    timing = order_set.timing
    return {
        "onset": _datetime(case.clinical.neuro_onset),
        "assessed_at": _datetime(case.assessed_at),
        "hours_since_onset": hours_text(case.assessed_at - case.clinical.neuro_onset),
        "within_window": bool(timing and timing.within_window),
        "window": printed(timing.text) if timing else "",
    }


def _severity(severity: Severity | None) -> dict[str, Any] | None:
    if severity is None:
        return None
    present = {True: "yes", False: "no", None: "not known"}
    return {
        "rule_id": severity.rule_id,
        "items": [
            {
                "name": typeset(i.name),
                "present": present[i.present],
                "points": i.points if i.present else 0,
                "possible": i.points,
            }
            for i in severity.items
        ],
        "score": severity.score,
        "maximum": sum(i.points for i in severity.items),
        "band": severity.band,
        "missing": [typeset(m) for m in severity.missing],
    }


def _alerts(order_set: OrderSet) -> list[dict[str, Any]]:
    return [
        {
            "severity": a.severity,
            "label": SEVERITY_LABELS[a.severity],
            "text": printed(a.text),
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
    return printed(text) if text else None


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
    return printed(text)


def _emphasised(line: str, order: Order, dose: str | None) -> Markup:
    """The line as HTML with the drug name and the dose in bold (escaped like all text)."""
    markup = escape(line)
    for phrase in (dose, tall_man(order.drug) if order.drug else None):
        if phrase:
            markup = markup.replace(escape(phrase), Markup("<strong>%s</strong>") % phrase, 1)
    return Markup(markup)


def _order(order: Order) -> dict[str, Any]:
    medication = order.kind == "medication"
    dose = typeset(format_quantity(order.dose, order.dose_unit)) if order.dose is not None else None
    line = printed(order.text)
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
                "after": printed(s.after),
            }
            for n, s in enumerate(order.titration, start=1)
        ],
        "rule_id": order.rule_id,
        "grade": order.evidence.grade,
        "low_grade": not order.evidence.preselectable,
        "notes": [printed(n) for n in order.notes],
    }


def _sections(order_set: OrderSet) -> list[dict[str, Any]]:
    sections = []
    for section in Section:
        orders = [_order(o) for o in order_set.orders if o.section == section]
        if orders:
            sections.append({"key": section.value, "title": section.title, "orders": orders})
    return sections


# ---- the running header ----------------------------------------------------------------------
# The header (name, MRN, birth date, weight, allergies) repeats in every page's top margin, which
# cannot grow with its content: the margin is sized here from a deliberately generous estimate of
# the header's lines (too much leaves blank paper above the header, too little would push the
# patient's name off the page).

#: Top margin holding a header with a one-line name and one line of allergies (sheet.css).
BASE_TOP_MARGIN_MM = 27
#: Characters per line, rounded down for word wrap: 9pt bold allergies across an A4 page (the
#: narrower size), 12pt bold name beside the barcode. A wide (CJK) character counts 1.5.
_ALLERGY_CHARS_PER_LINE = 75
_NAME_CHARS_PER_LINE = 45
_ALLERGY_LINE_MM = 4.0  # 9pt x 1.25 line height, rounded up
_NAME_LINE_MM = 5.3  # 12pt x 1.25
#: At most this many lines of allergies in the header; the rest are counted and the Patient box
#: on page 1 lists them all.
HEADER_ALLERGY_LINES = 6
_HEADER_NAME_LINES = 4


def _width(text: str) -> float:
    return sum(1.5 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _lines(text: str, per_line: int) -> int:
    return max(1, math.ceil(_width(text) / per_line))


def _header_allergies(allergies: list[str], listed: bool) -> str:
    """The header's allergy line: every allergy when they fit in HEADER_ALLERGY_LINES, otherwise
    those that fit and how many more the Patient box lists."""
    prefix = "Allergies: " if listed else ""
    budget = HEADER_ALLERGY_LINES * _ALLERGY_CHARS_PER_LINE
    full = prefix + "; ".join(allergies)
    if _width(full) <= budget:
        return full
    shown: list[str] = []
    for allergy in allergies:
        rest = len(allergies) - len(shown) - 1
        tail = f"; and {rest} more, all listed in the Patient box on page 1"
        if _width(prefix + "; ".join([*shown, allergy]) + tail) > budget:
            break
        shown.append(allergy)
    rest = len(allergies) - len(shown)
    if not shown:  # one allergy longer than the whole budget
        first = allergies[0]
        tail = " ... (in full in the Patient box on page 1)"
        cut = budget - len(prefix) - len(tail) - 10
        while _width(first[:cut]) > budget - len(prefix) - len(tail):
            cut -= 1
        more = f"; and {rest - 1} more" if rest > 1 else ""
        return f"{prefix}{first[:cut]}{tail}{more}"
    return f"{prefix}{'; '.join(shown)}; and {rest} more, all listed in the Patient box on page 1"


def _top_margin_mm(name: str, header_allergies: str) -> float:
    name_lines = min(_lines(name, _NAME_CHARS_PER_LINE), _HEADER_NAME_LINES)
    allergy_lines = _lines(header_allergies, _ALLERGY_CHARS_PER_LINE)
    extra = (name_lines - 1) * _NAME_LINE_MM + (allergy_lines - 1) * _ALLERGY_LINE_MM
    return round(BASE_TOP_MARGIN_MM + extra, 1)


def page_size(order_set: OrderSet) -> str:
    """The profile's `[sheet] page_size` ("Letter" or "A4", declared by the engine) as a CSS
    page size; Letter for an order set built without settings."""
    size = order_set.settings.get("sheet", "page_size") if order_set.settings else "Letter"
    return PAGE_SIZES[size]


def sheet_context(order_set: OrderSet) -> dict[str, Any]:
    """Everything the template prints, as formatted text (no numbers left to format)."""
    case = order_set.case
    patient = _patient(order_set)
    return {
        "title": TITLE,
        "decline_instruction": DECLINE_INSTRUCTION,
        "institution": order_set.institution,
        "generated_at": _datetime(case.assessed_at),
        "generated_iso": case.assessed_at.isoformat(),
        "orderset_version": __version__,
        "rules_version": RULES_VERSION,
        "profile_name": order_set.profile_name,
        "governance": order_set.governance.text,
        "plugins": [{"name": p.name, "version": p.version} for p in order_set.plugins],
        "patient": patient,
        "timing": _timing(order_set),
        "severity": _severity(order_set.severity),
        "alerts": _alerts(order_set),
        "sections": _sections(order_set),
        "page_size": page_size(order_set),
        "top_margin_mm": _top_margin_mm(patient["name"], patient["header_allergies"]),
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
