"""The PDF order sheet, read back page by page with pypdf: running header and footer on every
page, every selected dose printed, ISMP-clean text, clean pagination of a long case, and a
render that fails (leaving no file) when weasyprint reports a problem."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys

import pytest
from pypdf import PdfReader

import orderset
from orderset import cli, hookimpl
from orderset.formatting import ismp_violations
from orderset.model import Evidence, Order, Section
from orderset.renderers import html as sheet
from orderset.renderers import pdf
from orderset.testing import build, case_data, fresh_host
from tests.conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.slow


def _pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _flat(text: str) -> str:
    """Whitespace collapsed, and a word broken after its hyphen at a line end joined again
    (pypdf reads "pre-" and "selected" on two lines as "pre- selected")."""
    return re.sub(r"(?<=\w-) (?=\w)", "", " ".join(text.split()))


def _example(path):
    return orderset.build_order_set(orderset.load_case(path), host=fresh_host())


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.stem)
def example_pdf(request):
    order_set = _example(request.param)
    return order_set, _pages(pdf.render(order_set))


def test_every_page_carries_patient_mrn_and_page_count(example_pdf):
    order_set, pages = example_pdf
    patient = order_set.case.patient
    name = f"{patient.family_name}, {patient.given_name}"
    for number, text in enumerate(pages, start=1):
        flat = _flat(text)
        assert name in flat, number
        assert f"MRN {patient.mrn}" in flat, number
        assert f"Born {patient.birth_date.isoformat()}" in flat, number
        assert f"Page {number} of {len(pages)}" in flat, number
        allergies = sheet.sheet_context(order_set)["patient"]["header_allergies"]
        assert _flat(allergies) in flat, number


def test_every_selected_dose_from_the_json_is_printed(example_pdf):
    order_set, pages = example_pdf
    flat = _flat(" ".join(pages))
    doses = [
        o["dose_text"]
        for o in orderset.to_json_dict(order_set)["orders"]
        if o["kind"] == "medication" and o["selected"] and o["dose_text"]
    ]
    for dose in doses:
        assert dose in flat


def test_no_line_breaks_ismp_rules(example_pdf):
    _order_set, pages = example_pdf
    for number, text in enumerate(pages, start=1):
        for line in text.splitlines():
            assert ismp_violations(line) == [], (number, line)


def test_last_page_has_the_signature_lines(example_pdf):
    _order_set, pages = example_pdf
    last = _flat(pages[-1])
    for label in ("Prescriber name", "Signature", "Pharmacist verification", "Date", "Time"):
        assert label in last
    assert all("Pharmacist verification" not in page for page in pages[:-1])


def test_pdf_is_byte_identical_for_the_same_case():
    order_set = _example(EXAMPLES[0])
    assert pdf.render(order_set) == pdf.render(_example(EXAMPLES[0]))


def test_html_in_patient_name_prints_literally():
    pages = _pages(pdf.render(build(case_data(family_name="<b>Ann</b> & Co"))))
    for text in pages:
        assert "<b>Ann</b> & Co, Patient" in _flat(text)


# ---- a long case: every order offered, many allergies, and a plugin adding many orders ------
# Test-only orders for made-up tests and a made-up drug: nothing here is a clinical rule.


class ManyOrders:
    @hookimpl
    def orderset_orders(self, context):
        labs = [
            Order(
                id=f"TEST-LAB-{n:02d}",
                rule_id="TEST-LAB",
                kind="lab",
                section=Section.LABS,
                selected=True,
                text=f"Test panel number {n} with a long description so the line wraps a little"
                f" on the printed page, repeated to make the table span pages ({n})",
                evidence=Evidence(grade="partial"),
            )
            for n in range(1, 41)
        ]
        meds = [
            Order(
                id=f"TEST-MED-{n:02d}",
                rule_id="TEST-MED",
                kind="medication",
                section=Section.ADJUNCT,
                selected=True,
                text=f"testdrug{n}",
                evidence=Evidence(grade="partial"),
                drug=f"testdrug{n}",
                notes=tuple(f"Note {k} of 8 for testdrug{n}." for k in range(1, 9)),
            )
            for n in range(1, 13)
        ]
        return [*labs, *meds]


LONG_CASE = case_data(
    allergies=[{"substance": f"allergen {n}", "reaction": "urticaria"} for n in range(1, 31)],
    shock=True,
    brainstem_lesion=True,
    hemorrhagic_lesions=True,
    rapid_deterioration=True,
    response="refractory",
    influenza="pending",
)


@pytest.fixture(scope="module")
def long_sheet():
    plugins = [("many", ManyOrders())]
    offered = build(LONG_CASE, plugins=plugins)
    profile = {"selection": {o.id: False for o in offered.orders}}
    order_set = build(LONG_CASE, plugins=plugins, profile=profile)
    assert not any(o.selected for o in order_set.orders)
    return order_set, _pages(pdf.render(order_set))


def _row_parts(order: dict) -> list[str]:
    parts = [order["line"]]
    if order["preparation"]:
        parts.append(f"Preparation: {order['preparation']}")
    if order["calculation"]:
        parts.append(f"Calculation: {order['calculation']}")
    parts += order["notes"]
    parts += [step["pump_rate"] for step in order["titration"]]
    return [_flat(p) for p in parts]


def test_long_case_spans_several_pages(long_sheet):
    _order_set, pages = long_sheet
    assert len(pages) >= 3


def test_long_case_prints_every_order_offered_and_unticked(long_sheet):
    order_set, pages = long_sheet
    flat = _flat(" ".join(pages))
    assert sheet.CHECKED not in flat.replace(f"{sheet.CHECKED} selected (ordered)", "")
    assert flat.count(sheet.UNCHECKED) >= len(order_set.orders)
    for n in range(1, 31):
        assert f"allergen {n} (urticaria)" in flat


def test_long_case_never_splits_an_order_across_pages(long_sheet):
    order_set, pages = long_sheet
    flats = [_flat(p) for p in pages]
    for section in sheet.sheet_context(order_set)["sections"]:
        for order in section["orders"]:
            parts = _row_parts(order)
            homes = [i for i, page in enumerate(flats) if all(p in page for p in parts)]
            assert homes, f"order {order['id']} is split across pages or missing"


def test_long_case_repeats_section_headers_on_every_page(long_sheet):
    order_set, pages = long_sheet
    flats = [_flat(p) for p in pages]
    spanning = set()
    for section in sheet.sheet_context(order_set)["sections"]:
        header = f"{section['title']} Order Rule, evidence"
        on_pages = {
            i for i, page in enumerate(flats) for o in section["orders"] if o["line"] in page
        }
        for i in on_pages:
            assert header in flats[i], (section["title"], i + 1)
        if len(on_pages) > 1:
            spanning.add(section["title"])
    assert "Labs" in spanning  # the 40 test labs cross a page break


def test_long_case_signatures_share_a_page_with_an_order(long_sheet):
    order_set, pages = long_sheet
    last_section = sheet.sheet_context(order_set)["sections"][-1]
    last_line = last_section["orders"][-1]["line"]
    assert last_line in _flat(pages[-1])
    assert "Prescriber name" in pages[-1]


# ---- weasyprint problems fail the render -----------------------------------------------------


def test_missing_image_fails_the_render():
    with sheet.template_dir() as root, pytest.raises(pdf.SheetRenderError, match=r"missing\.png"):
        pdf.html_to_pdf('<p>x</p><img src="missing.png">', root)


def test_remote_resources_are_refused():
    html = '<link rel="stylesheet" href="https://example.org/x.css"><p>x</p>'
    with sheet.template_dir() as root, pytest.raises(pdf.SheetRenderError, match="refusing"):
        pdf.html_to_pdf(html, root)


def test_clean_html_renders_and_the_log_handler_is_removed():
    logger = logging.getLogger("weasyprint")
    handlers = list(logger.handlers)
    with sheet.template_dir() as root:
        assert pdf.html_to_pdf("<p>plain</p>", root).startswith(b"%PDF-")
        with pytest.raises(pdf.SheetRenderError):
            pdf.html_to_pdf('<img src="nothing-here.png">', root)
    assert logger.handlers == handlers


def test_failed_render_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    order_set = build(case_data())
    real = sheet.render_html

    def broken(order_set):
        return real(order_set).replace("</body>", '<img src="gone.png"></body>')

    monkeypatch.setattr(sheet, "render_html", broken)
    target = tmp_path / "sheet.pdf"
    target.write_bytes(b"old sheet")
    with pytest.raises(pdf.SheetRenderError):
        pdf.write_pdf(order_set, target)
    assert target.read_bytes() == b"old sheet"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet.pdf"]


# ---- CLI -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "magic"), [("pdf", b"%PDF-"), ("html", b"<!DOCTYPE html>")])
def test_cli_writes_the_sheet(tmp_path, fmt, magic):
    out = tmp_path / f"sheet.{fmt}"
    code = cli.main(["build", "example:toddler-shock-brainstem", "--format", fmt, "-o", str(out)])
    assert code == 0
    assert out.read_bytes().startswith(magic)
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_json_and_html_paths_never_import_weasyprint():
    code = (
        "import sys\n"
        "from orderset import renderers, testing\n"
        "s = testing.build(testing.case_data())\n"
        "renderers.render(s, 'json'); renderers.render(s, 'html')\n"
        "assert 'weasyprint' not in sys.modules\n"
        "renderers.render(s, 'pdf')\n"
        "assert 'weasyprint' in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_sheet_uses_only_the_bundled_fonts():
    reader = PdfReader(io.BytesIO(pdf.render(build(case_data()))))
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        names |= {str(fonts[key].get_object()["/BaseFont"]).split("+")[-1] for key in fonts}
    # Fonts loaded through @font-face are named after the family, so a system font that slipped
    # in (a fallback) would show up under its own name here.
    assert names == {"Sheet-Sans", "Sheet-Sans-Bold"}


def test_missing_font_file_fails_the_render():
    html = (
        '<style>@font-face { font-family: "X"; src: url("fonts/not-there.ttf") }'
        ' p { font-family: "X" }</style><p>x</p>'
    )
    with (
        sheet.template_dir() as root,
        pytest.raises(pdf.SheetRenderError, match="cannot be loaded"),
    ):
        pdf.html_to_pdf(html, root)


def test_cli_render_failure_exits_1_and_writes_nothing(tmp_path, monkeypatch, capsys):
    real = sheet.render_html
    monkeypatch.setattr(
        sheet, "render_html", lambda s: real(s).replace("</body>", '<img src="gone.png"></body>')
    )
    out = tmp_path / "sheet.pdf"
    code = cli.main(["build", "example:toddler-shock-brainstem", "--format", "pdf", "-o", str(out)])
    assert code == 1
    assert "gone.png" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_machine_without_harfbuzz_subset_still_renders(monkeypatch):
    """weasyprint falls back to fontTools and warns; that warning is not a defect of the sheet."""
    import weasyprint.pdf.fonts

    from orderset.renderers import pdf

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    order_set = orderset.build_order_set(orderset.load_case(EXAMPLES[0]))
    assert pdf.render(order_set).startswith(b"%PDF-")


# ---- names in any script, allergies on every page, type sizes, superscripts, paper --------------
# The set-up (Makefile) installs fonts-noto-cjk, fonts-tlwg-loma-ttf and fonts-lohit-deva; DejaVu
# (bundled) covers Latin, Greek, Cyrillic, Arabic and Hebrew.

SCRIPT_NAMES = {
    "cjk": ("佐藤", "陽菜"),
    "cyrillic": ("Иванова", "Анна"),
    "greek": ("Παπαδοπούλου", "Ελένη"),
    "arabic": ("محمد", "علي"),
    "hebrew": ("כהן", "דוד"),
    "thai": ("สมชาย", "ใจดี"),
    "devanagari": ("देवी", "सीता"),
}


@pytest.mark.parametrize("script", sorted(SCRIPT_NAMES))
def test_a_name_in_any_script_prints(script, tmp_path):
    """Exit 0 through the CLI (a weasyprint warning such as a .notdef glyph fails the render)
    and the name is in the PDF text of every page."""
    family, given = SCRIPT_NAMES[script]
    case = tmp_path / "case.json"
    data = case_data(family_name=family, given_name=given)
    data["patient"]["allergies"] = [{"substance": given, "reaction": family}]
    case.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "sheet.pdf"
    assert cli.main(["build", str(case), "--format", "pdf", "-o", str(out)]) == 0
    pages = _pages(out.read_bytes())
    for number, text in enumerate(pages, start=1):
        assert family in text, number
        assert given in text, number


def test_a_right_to_left_name_prints_family_name_first(tmp_path):
    """Without Unicode isolates the Arabic "family, given" run is laid out right to left and
    the given name lands where the family name belongs."""
    out = tmp_path / "sheet.pdf"
    out.write_bytes(pdf.render(build(case_data(family_name="محمد", given_name="علي"))))
    words = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(out), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    first = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', words)
    assert first is not None
    # pdftotext writes right-to-left words in visual order (reversed): the family name, first.
    assert first.group(3).strip(",") == "محمد"[::-1]


def test_control_characters_in_a_name_print_as_spaces():
    pages = _pages(pdf.render(build(case_data(family_name="Ann\x1cMarie\x0b\u2028Lee"))))
    assert "Ann Marie" in _flat(pages[0])


def _layout(order_set):
    import weasyprint

    html = sheet.render_html(order_set)
    with sheet.template_dir() as root:
        return weasyprint.HTML(string=html, base_url=root.resolve().as_uri() + "/").render()


def _text_boxes(box, classes=frozenset()):
    """(text box, classes of it and its ancestors) for every piece of text on a page."""
    from weasyprint.formatting_structure import boxes

    element = getattr(box, "element", None)
    if element is not None and hasattr(element, "get"):
        classes = classes | set((element.get("class") or "").split())
    if isinstance(box, boxes.TextBox) and box.text.strip():
        yield box, classes
    for child in box.all_children():
        yield from _text_boxes(child, classes)


#: Text allowed under 9pt: the page footer (software versions, profile, generated) and the
#: digits under the barcode (the MRN is in the header line above at 9pt).
SMALL_PRINT = {"page-footer", "ph-barcode-text"}
NINE_POINTS_IN_PX = 12  # weasyprint's computed sizes are CSS px (96 per inch); 9pt = 12px


@pytest.mark.parametrize("name", ["toddler-shock-brainstem", "refractory-response"])
def test_no_clinical_text_under_9pt(name):
    document = _layout(_example(ROOT / "examples" / f"{name}.json"))
    seen = set()
    for number, page in enumerate(document.pages, start=1):
        for box, classes in _text_boxes(page._page_box):
            if classes & SMALL_PRINT:
                continue
            seen.add(box.text.strip())
            assert box.style["font_size"] >= NINE_POINTS_IN_PX, (number, box.text, classes)
    assert any(t.startswith("Calculation:") for t in seen)  # the walk reached the orders


def test_header_fits_on_the_paper_with_a_long_allergy_list_and_name(long_sheet):
    order_set, _pages_text = long_sheet
    # The longest name the loader accepts (100 characters).
    long_name = build(case_data(family_name=("Wolfeschlegelsteinhausenbergerdorff " * 3)[:100]))
    for built in (order_set, long_name):
        for number, page in enumerate(_layout(built).pages, start=1):
            headers = [b for b, classes in _text_boxes(page._page_box) if "ph-name" in classes]
            assert headers, number
            # At least 5 mm from the paper's top edge (1 mm = 96 / 25.4 px).
            assert min(b.position_y for b in headers) >= 5 * 96 / 25.4, number


def test_long_allergy_list_in_the_header_counts_the_rest(long_sheet):
    _order_set, pages = long_sheet
    for number, text in enumerate(pages, start=1):
        flat = _flat(text)
        assert "Allergies: allergen 1 (urticaria); allergen 2 (urticaria)" in flat, number
        assert "more, all listed in the Patient box on page 1" in flat, number


def test_decline_instruction_and_superscripts_are_printed():
    pages = _pages(pdf.render(_example(ROOT / "examples" / "toddler-shock-brainstem.json")))
    flat = _flat(" ".join(pages))
    assert "To decline a pre-ticked order: strike through the line and initial it." in flat
    assert "mL/min/1.73 m\u00b2" in flat
    assert "platelets under 100 x10\u2079/L" in flat
    assert "1.73 m2" not in flat
    assert "^9" not in flat


@pytest.mark.parametrize(
    ("profile", "size"),
    [
        ({}, (612, 792)),
        ({"sheet": {"page_size": "Letter"}}, (612, 792)),
        ({"sheet": {"page_size": "A4"}}, (595.28, 841.89)),
    ],
)
def test_page_size_comes_from_the_profile(profile, size):
    reader = PdfReader(io.BytesIO(pdf.render(build(case_data(), profile=profile))))
    for page in reader.pages:
        box = page.mediabox
        assert (round(float(box.width), 2), round(float(box.height), 2)) == size
