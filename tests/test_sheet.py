"""The order sheet's HTML and template context: what is printed, escaping, tall man lettering,
the barcode, and that every field of every order (preparation, titration, notes) is shown."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import attrs
import pytest

import orderset
from orderset import glyphs, hookimpl, units
from orderset.dosing import weight_based_dose
from orderset.errors import PluginError
from orderset.formatting import ismp_violations
from orderset.model import Evidence, Order, Preparation, Section, TitrationStep
from orderset.renderers import barcode
from orderset.renderers import html as sheet
from orderset.testing import build, case_data, fresh_host
from tests.conftest import EXAMPLES


def _text(markup: str) -> str:
    """Visible text of an HTML document, whitespace collapsed (style block dropped)."""
    body = re.sub(r"<style>.*?</style>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _example(path):
    return orderset.build_order_set(orderset.load_case(path), host=fresh_host())


# ---- a plugin that uses every order field the sheet can print --------------------------------
# Test-only numbers for a made-up drug: nothing here is a clinical rule.


class EveryField:
    @hookimpl
    def orderset_orders(self, context):
        calc = weight_based_dose(
            units.Quantity(2, units.mg_per_kg),
            context.weight_kg,
            unit=units.mg,
            increment=units.Quantity(5, units.mg),
            maximum=units.Quantity(20, units.mg),
        )
        evidence = Evidence(grade="analogue", sources=("test",))
        infusion = Order(
            id="TEST-INFUSION",
            rule_id="TEST-1",
            kind="medication",
            section=Section.ADJUNCT,
            selected=True,
            text="",
            instructions="testdrug infusion",
            evidence=evidence,
            drug="testdrug",
            dose=calc.given,
            dose_unit="mg",
            route="IV",
            frequency="every 6 hours",
            duration="2 days",
            calculation=calc,
            preparation=Preparation(
                concentration=units.Quantity(2, units.mg_per_mL),
                drug_volume=units.Quantity(10, units.mL),
                diluent="0.9% sodium chloride",
                final_volume=units.Quantity(50, units.mL),
                rate=units.Quantity(25, units.mL_per_h),
                infuse_over=units.Quantity(2, units.h),
                text="Filter 0.2 micron",
            ),
            titration=(
                TitrationStep(
                    units.Quantity(0.5, units.mg_per_kg_per_min),
                    units.Quantity(4.3, units.mL_per_h),
                    "start",
                ),
                TitrationStep(
                    units.Quantity(1, units.mg_per_kg_per_min),
                    units.Quantity(8.5, units.mL_per_h),
                    "after 30 minutes if tolerated",
                ),
            ),
            notes=("A note printed under the order.",),
        )
        rescue = Order(
            id="TEST-PRN",
            rule_id="TEST-2",
            kind="medication",
            section=Section.SEIZURE,
            selected=False,
            text="",
            evidence=Evidence(grade="confirmed"),
            drug="lorazepam",
            dose=units.Quantity(1.4, units.mg),
            dose_unit="mg",
            route="IV",
            frequency="as needed",
            prn="seizure lasting 5 minutes or longer",
        )
        complete = attrs.evolve(rescue, id="TEST-COMPLETE", instructions="(second choice)")
        return [infusion, rescue, complete]


@pytest.fixture(scope="module")
def every_field():
    return build(case_data(), plugins=[("everyfield", EveryField())])


def test_every_order_field_is_printed(every_field):
    text = _text(sheet.render_html(every_field))
    assert "testdrug 20 mg IV every 6 hours for 2 days" in text
    assert (
        "Preparation: concentration 2 mg/mL; drug volume 10 mL; diluent 0.9% sodium chloride;"
        " final volume 50 mL; rate 25 mL/h; infuse over 2 hours. Filter 0.2 micron"
    ) in text
    # 2 mg/kg x 14.2 kg = 28.4 mg, capped at 20 mg, rounded to a 5 mg step: 20 mg.
    assert (
        "Calculation: 2 mg/kg x 14.2 kg = 28.4 mg; maximum 20 mg (capped);"
        " rounded to 20 mg (deviation 0%, ROUND-1)"
    ) in text
    assert "1 0.5 mg/kg/min 4.3 mL/h start" in text
    assert "2 1 mg/kg/min 8.5 mL/h after 30 minutes if tolerated" in text
    assert "A note printed under the order." in text
    assert "LORazepam 1.4 mg IV, as needed for seizure lasting 5 minutes or longer" in text


def test_the_line_is_composed_from_the_fields_then_the_instructions(every_field):
    lines = {
        o["id"]: o["line"]
        for s in sheet.sheet_context(every_field)["sections"]
        for o in s["orders"]
    }
    assert lines["TEST-COMPLETE"] == (
        "LORazepam 1.4 mg IV, as needed for seizure lasting 5 minutes or longer (second choice)"
    )
    assert lines["TEST-INFUSION"] == "testdrug 20 mg IV every 6 hours for 2 days, testdrug infusion"
    assert (
        lines["TEST-PRN"]
        == "LORazepam 1.4 mg IV, as needed for seizure lasting 5 minutes or longer"
    )
    # The sheet prints the same line as the JSON `text` (one function for every format).
    texts = {o.id: o.text for o in every_field.orders}
    assert {k: texts[k] for k in lines if k.startswith("TEST")} == {
        k: v.replace("LORazepam", "lorazepam") for k, v in lines.items() if k.startswith("TEST")
    }


def test_a_plugin_sentence_with_a_dose_of_its_own_is_refused():
    class OwnSentence:
        @hookimpl
        def orderset_orders(self, context):
            return [
                Order(
                    id="TEST-OWN",
                    rule_id="TEST-1",
                    kind="medication",
                    section=Section.SEIZURE,
                    selected=False,
                    text="lorazepam 2 mg IV as needed",
                    evidence=Evidence(grade="confirmed"),
                    drug="lorazepam",
                    dose=units.Quantity(1.4, units.mg),
                    dose_unit="mg",
                    route="IV",
                    frequency="as needed",
                    prn="seizure",
                )
            ]

    with pytest.raises(PluginError, match=r"TEST-OWN: a medication's line is composed"):
        build(case_data(), plugins=[("own", OwnSentence())])


def test_drug_and_dose_are_bold_and_escaped(every_field):
    markup = sheet.render_html(every_field)
    assert "<strong>LORazepam</strong> <strong>1.4 mg</strong> IV, as needed for seizure" in markup


def test_checkbox_follows_selection(every_field):
    context = sheet.sheet_context(every_field)
    boxes = {o["id"]: o["box"] for s in context["sections"] for o in s["orders"]}
    selected = {o.id: o.selected for o in every_field.orders}
    assert set(boxes) == set(selected)
    for order_id, box in boxes.items():
        assert box == (sheet.CHECKED if selected[order_id] else sheet.UNCHECKED)
    # Analogue-graded orders are never pre-selected by the engine: printed empty.
    assert boxes["TEST-INFUSION"] == sheet.UNCHECKED


def test_sections_print_in_section_order(every_field):
    titles = [s["title"] for s in sheet.sheet_context(every_field)["sections"]]
    ranks = [next(sec for sec in Section if sec.title == t).rank for t in titles]
    assert ranks == sorted(ranks)
    assert len(titles) == len(set(titles))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_sheet_text_follows_ismp(path):
    order_set = _example(path)
    context = sheet.sheet_context(order_set)
    lines = [
        value
        for section in context["sections"]
        for order in section["orders"]
        for value in (order["line"], order["preparation"], order["calculation"], *order["notes"])
        if value
    ]
    lines += [a["text"] for a in context["alerts"]]
    lines += [context["timing"]["window"], context["patient"]["renal"]]
    assert lines
    for line in lines:
        assert ismp_violations(line) == [], line


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_html_is_deterministic_and_complete(path):
    order_set = _example(path)
    first = sheet.render_html(order_set)
    assert first == sheet.render_html(_example(path))
    text = _text(first)
    doc = orderset.to_json_dict(order_set)
    for order in doc["orders"]:
        if order["kind"] == "medication" and order["selected"] and order["dose_text"]:
            assert order["dose_text"] in text, order["id"]
    assert doc["assessed_at"][:10] in text


def test_html_in_patient_name_is_escaped():
    order_set = build(case_data(family_name="<b>Ann</b> & Co"))
    markup = sheet.render_html(order_set)
    assert "<b>Ann</b>" not in markup
    assert "&lt;b&gt;Ann&lt;/b&gt; &amp; Co, Patient" in markup
    assert "<b>Ann</b> & Co, Patient" in _text(markup)


def test_tall_man_only_for_listed_drugs():
    assert sheet.tall_man("methylprednisolone 425 mg") == "methylPREDNISolone 425 mg"
    assert sheet.tall_man("Give lorazepam, then levetiracetam") == (
        "Give LORazepam, then levETIRAcetam"
    )
    for name in ("midazolam", "tocilizumab", "oseltamivir", "immune globulin"):
        assert sheet.tall_man(name) == name
    assert sheet.tall_man("methylprednisolones") == "methylprednisolones"  # whole words only
    for generic, lettered in sheet.TALL_MAN.items():
        assert lettered.lower() == generic
        assert lettered != generic


def test_methylprednisolone_is_printed_in_tall_man():
    text = _text(sheet.render_html(build(case_data())))
    assert "methylPREDNISolone" in text
    assert "methylprednisolone" not in text


@pytest.mark.parametrize(
    ("allergies", "printed", "absent"),
    [
        ([], "No known allergies", "Allergies not recorded"),
        (None, "Allergies not recorded", "No known allergies"),
    ],
)
def test_allergy_wording(allergies, printed, absent):
    text = _text(sheet.render_html(build(case_data(allergies=allergies))))
    assert printed in text
    assert absent not in text


def test_listed_allergies_print_with_reactions():
    data = case_data(allergies=[{"substance": "latex", "reaction": "anaphylaxis"}])
    text = _text(sheet.render_html(build(data)))
    assert "latex (anaphylaxis)" in text
    assert "No known allergies" not in text
    assert "Allergies not recorded" not in text


def test_weight_in_pounds_shows_the_entered_weight():
    text = _text(sheet.render_html(build(case_data(weight="31.3 lb"))))
    # 31.3 lb = 14.197 kg; the dosing weight is kg to the gram.
    assert "14.197 kg (entered as 31.3 lb), measured 2026-11-22" in text
    kg_text = _text(sheet.render_html(build(case_data(weight="14.2 kg"))))
    assert "entered as" not in kg_text


@pytest.mark.parametrize(
    ("weight", "printed"),
    [
        # examples/weight-in-lb.json: 31.30557 lb is 14.2 kg; every entered digit is printed.
        ("31.30557 lb", "14.2 kg (entered as 31.30557 lb)"),
        ({"value": 31.30557, "unit": "lb"}, "14.2 kg (entered as 31.30557 lb)"),
        ("14200 g", "14.2 kg (entered as 14,200 g)"),
        # kg with more digits than the gram: the dosing weight is rounded, so both are shown.
        ("14.2004 kg", "14.2 kg (entered as 14.2004 kg)"),
    ],
)
def test_the_weight_is_shown_as_entered(weight, printed):
    text = _text(sheet.render_html(build(case_data(weight=weight))))
    assert printed in text


def test_weight_in_lb_example_shows_every_entered_digit():
    text = _text(sheet.render_html(_example(EXAMPLES[0].parent / "weight-in-lb.json")))
    assert "14.2 kg (entered as 31.30557 lb)" in text
    assert "31.306 lb" not in text


@pytest.mark.parametrize(
    ("onset", "expected"),
    [
        ("2026-11-21T20:00:00-05:00", "Within the 24-hour window: 14 hours left"),
        ("2026-11-21T06:00:00-05:00", "Within the 24-hour window: 0 minutes left"),
        ("2026-11-20T14:00:00-05:00", "Past the 24-hour window by 16 hours"),
        ("2026-11-21T05:59:00-05:00", "Past the 24-hour window by 1 minute"),
    ],
)
def test_timing_window(onset, expected):
    text = _text(sheet.render_html(build(case_data(neuro_onset=onset))))
    assert expected in text


def test_severity_and_renal_may_be_missing():
    order_set = attrs.evolve(build(case_data()), severity=None, renal=None)
    text = _text(sheet.render_html(order_set))
    assert "Not scored for this order set." in text
    assert "Not calculated" in text


def test_severity_box_lists_items_and_missing():
    order_set = build(case_data(platelets=None))
    context = sheet.sheet_context(order_set)["severity"]
    assert context["missing"] == [sheet.typeset(m) for m in order_set.severity.missing]
    assert context["missing"] == ["platelets under 100 x10\u2079/L"]
    assert context["missing"]
    text = _text(sheet.render_html(order_set))
    assert f"Total {order_set.severity.score} of 9: {order_set.severity.band}" in text
    assert "Missing:" in text


def test_aspirin_alert_is_always_on_a_childs_sheet():
    child = sheet.sheet_context(build(case_data()))
    assert [a for a in child["alerts"] if a["rule_id"] == "ALERT-1"]
    adult = sheet.sheet_context(build(case_data(birth_date="1980-01-01", weight="70 kg")))
    assert not [
        a for a in adult["alerts"] if a["rule_id"] == "ALERT-1" and a["text"] == sheet.ALERT_1_TEXT
    ]


def test_undefined_template_variable_is_an_error(tmp_path):
    import jinja2

    env = sheet._environment(str(tmp_path))
    (tmp_path / "t.j2").write_text("{{ patient.nmae }}")
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("t.j2").render(patient={"name": "x"})


# ---- Code 128 --------------------------------------------------------------------------------

START = {103: "A", 104: "B", 105: "C"}
STOP_PATTERN = "1100011101011"


def _decode_code128(modules: str) -> str:
    """A small independent Code 128 decoder: symbols of 11 modules, start, data, check, stop.
    The pattern table is python-barcode's; code-set logic and the checksum are checked here."""
    from barcode.charsets.code128 import CODES

    assert modules.endswith(STOP_PATTERN)
    body = modules[: -len(STOP_PATTERN)]
    assert len(body) % 11 == 0
    values = [CODES.index(body[i : i + 11]) for i in range(0, len(body), 11)]
    start, *data, check = values
    assert check == (start + sum(i * v for i, v in enumerate(data, start=1))) % 103
    codeset, out = START[start], []
    for v in data:
        if v == 99:
            codeset = "C"
        elif v == 100:
            codeset = "B"
        elif v == 101:
            codeset = "A"
        elif codeset == "C":
            out.append(f"{v:02d}")
        elif codeset == "B":
            out.append(chr(v + 32))
        else:
            out.append(chr(v + 32) if v < 64 else chr(v - 64))
    return "".join(out)


def _modules_from_svg(svg: str) -> str:
    width = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))
    cells = ["0"] * width
    for x, w in re.findall(r'<rect x="(\d+)" y="0" width="(\d+)"', svg):
        for i in range(int(x), int(x) + int(w)):
            cells[i] = "1"
    modules = "".join(cells)
    quiet = "0" * barcode.QUIET_ZONE
    assert modules.startswith(quiet) and modules.endswith(quiet)
    return modules[barcode.QUIET_ZONE : -barcode.QUIET_ZONE]


@pytest.mark.parametrize("mrn", ["A1234567", "00012345", "MRN-42/x", "7"])
def test_barcode_svg_decodes_to_the_mrn(mrn):
    assert _decode_code128(_modules_from_svg(str(barcode.code128_svg(mrn)))) == mrn


def test_known_code128_symbol():
    # Start B (104), "A" (33), check (104 + 33) % 103 = 34, stop.
    assert barcode.code128_modules("A") == "11010010000" + "10100011000" + "10001011000" + (
        STOP_PATTERN
    )


def test_barcode_bars_keep_their_width_for_long_mrns():
    short, long = str(barcode.code128_svg("A1")), str(barcode.code128_svg("A1B2C3D4E5F6G7H8"))
    mm = [Decimal(re.search(r'width="([\d.]+)mm"', s).group(1)) for s in (short, long)]
    modules = [int(re.search(r'viewBox="0 0 (\d+) ', s).group(1)) for s in (short, long)]
    assert mm[0] / modules[0] == mm[1] / modules[1] == barcode.MODULE_MM


def test_mrn_outside_code128_is_refused():
    with pytest.raises(ValueError, match="Code 128"):
        barcode.code128_modules("A12é")


# ---- the running header, the decline instruction, superscripts, page size ----------------------


def test_allergies_are_in_the_running_header():
    listed = sheet.render_html(build(case_data(allergies=[{"substance": "latex"}])))
    header = listed.split('<header class="page-header">')[1].split("</header>")[0]
    assert "Weight 14.2 kg" in header
    assert '<div class="ph-allergies allergies-listed">Allergies: latex</div>' in header
    none = sheet.sheet_context(build(case_data(allergies=[])))["patient"]
    assert none["header_allergies"] == "No known allergies"
    unknown = sheet.sheet_context(build(case_data(allergies=None)))["patient"]
    assert unknown["header_allergies"] == "Allergies not recorded"


def test_a_long_allergy_list_is_counted_in_the_header_and_grows_the_margin():
    short = sheet.sheet_context(build(case_data(allergies=[{"substance": "latex"}])))
    many = [{"substance": f"allergen {n}", "reaction": "urticaria"} for n in range(1, 31)]
    long = sheet.sheet_context(build(case_data(allergies=many)))
    header = long["patient"]["header_allergies"]
    assert header.startswith("Allergies: allergen 1 (urticaria); allergen 2 (urticaria);")
    shown = header.count("(urticaria)")
    assert 10 <= shown < 30
    assert header.endswith(f"; and {30 - shown} more, all listed in the Patient box on page 1")
    assert short["top_margin_mm"] == sheet.BASE_TOP_MARGIN_MM
    assert long["top_margin_mm"] > short["top_margin_mm"] + 15


def test_decline_instruction_is_printed():
    text = _text(sheet.render_html(build(case_data())))
    assert "To decline a pre-ticked order: strike through the line and initial it." in text


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        (
            "eGFR 90 mL/min/1.73 m2 (bedside Schwartz)",
            "eGFR 90 mL/min/1.73 m\u00b2 (bedside Schwartz)",
        ),
        ("platelets under 100 x10^9/L", "platelets under 100 x10\u2079/L"),
        ("150 /mm3", "150 /mm\u00b3"),
        ("MP-2 and SUP-1: m2 alone, room2, 2 mm", "MP-2 and SUP-1: m2 alone, room2, 2 mm"),
    ],
)
def test_superscripts(text, printed):
    assert sheet.typeset(text) == printed


def test_patient_free_text_is_never_typeset():
    text = _text(sheet.render_html(build(case_data(location="Room 1.73 m2 x10^9"))))
    assert "Room 1.73 m2 x10^9" in text


def test_right_to_left_names_are_isolated_and_others_unchanged():
    assert sheet.isolate("Doe") == "Doe"
    assert sheet.isolate("佐藤") == "佐藤"
    assert sheet.isolate(None) is None
    assert sheet.isolate("محمد") == "\u2068محمد\u2069"
    context = sheet.sheet_context(build(case_data(family_name="כהן", given_name="Ann")))
    assert context["patient"]["name"] == "\u2068כהן\u2069, Ann"


@pytest.mark.parametrize(
    ("profile", "css"), [({}, "letter"), ({"sheet": {"page_size": "A4"}}, "A4")]
)
def test_page_size_setting(profile, css):
    html_text = sheet.render_html(build(case_data(), profile=profile))
    assert f"@page {{ size: {css}; margin-top: 27.0mm; }}" in html_text


def test_unknown_page_size_is_refused():
    with pytest.raises(orderset.InputError, match=r"sheet\.page_size: 'Legal' is not one of"):
        build(case_data(), profile={"sheet": {"page_size": "Legal"}})


# ---- printable characters (orderset.glyphs), checked at load -----------------------------------


def test_bundled_coverage_table_matches_the_bundled_fonts():
    assert glyphs._bundled_charset_from_fonts() == " ".join(glyphs.BUNDLED_COVERAGE.split())


@pytest.mark.parametrize(
    "name",
    [
        "佐藤 陽菜",
        "Иванова Анна",
        "Παπαδοπούλου",
        "محمد",
        "כהן",
        "สมชาย",
        "देवी",
        "Zoë O'Brien",
        "Ann\x1cMarie\u200d\u202e",
    ],
)
def test_names_in_the_installed_scripts_load(name):
    case = orderset.case_from_dict(case_data(family_name=name, attending=name, location=name))
    assert case.patient.family_name == name


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("family_name", "Test\U00010000", "patient.family_name: character U+10000 (LINEAR B"),
        ("given_name", "\ue000", "patient.given_name: character U+E000 (private use)"),
        ("attending", "Dr \U0001f1ef", "encounter.attending: character U+1F1EF"),
        ("location", "\u0378", "encounter.location: character U+0378 (unassigned)"),
    ],
)
def test_a_character_no_font_has_is_refused_at_load(field, value, message):
    with pytest.raises(orderset.InputError) as info:
        orderset.case_from_dict(case_data(**{field: value}))
    assert str(info.value).startswith(message)
    assert str(info.value).endswith(
        "cannot be printed on the order sheet: no font on this machine has it"
    )


def test_a_lone_surrogate_is_refused_before_the_glyph_check():
    with pytest.raises(orderset.InputError, match=r"^patient.mrn: contains an unpaired surrogate"):
        orderset.case_from_dict(case_data(mrn="A\ud800"))


def test_an_unprintable_allergy_names_its_place_in_the_list():
    data = case_data(
        allergies=[{"substance": "latex"}, {"substance": "egg", "reaction": "hives \U00010000"}]
    )
    with pytest.raises(orderset.InputError) as info:
        orderset.case_from_dict(data)
    assert info.value.field == "patient.allergies[1].reaction"


def test_without_system_fonts_latin_greek_cyrillic_arabic_hebrew_still_load(monkeypatch):
    """A machine where the set-up could not install fonts (or without fontconfig's tools):
    the bundled DejaVu still prints these; CJK is then refused at load, not at render."""
    monkeypatch.setattr(glyphs.shutil, "which", lambda _name: None)
    glyphs.installed_coverage.cache_clear()
    try:
        for name in ("Doe", "Zoë", "Иванова", "Παπαδοπούλου", "محمد", "כהן"):
            orderset.case_from_dict(case_data(family_name=name))
        with pytest.raises(orderset.InputError, match=r"U\+4F50 \(CJK UNIFIED IDEOGRAPH-4F50\)"):
            orderset.case_from_dict(case_data(family_name="佐藤"))
    finally:
        glyphs.installed_coverage.cache_clear()


def test_ascii_text_never_asks_fontconfig(monkeypatch):
    glyphs.installed_coverage.cache_clear()
    calls = []
    monkeypatch.setattr(glyphs.subprocess, "run", lambda *a, **k: calls.append(a))
    try:
        orderset.case_from_dict(case_data(family_name="Doe", given_name="Jane"))
        orderset.case_from_dict(case_data(family_name="Zoë", given_name="Иванова"))
        assert calls == []
    finally:
        glyphs.installed_coverage.cache_clear()
