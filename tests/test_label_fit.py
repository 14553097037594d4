"""A dose label never hides what it must print. Found in the user walkthrough: a 60-character
name pushed the beyond-use time, PROTECT FROM LIGHT and the Prep/Check line off the bottom of
the 4 x 2 inch label (clipped without a word) and ran under the Data Matrix. Now a long name is
printed smaller on at most three lines, ending in an ellipsis, the barcode keeps its own column,
and a label whose text would still not fit is an error naming the order, never clipped."""

from __future__ import annotations

import datetime as dt
import io
import json

import pypdf
import pytest

import orderset
from orderset.renderers import html as sheet
from orderset.renderers import labels
from orderset.renderers.pdf import html_to_pdf
from orderset.testing import build, case_data
from tests.conftest import TODDLER

TODDLER_CASE = json.loads(TODDLER.read_text())  # tocilizumab, lorazepam, levetiracetam ...
PREPARED = dt.datetime.fromisoformat("2026-11-22T08:30:00-05:00")
FAMILY = "Wolfeschlegelsteinhausenbergerdorff-Montgomery-Featherstonehaugh"[:60]
LONGEST = ("Abcdefghij" * 10, "Klmnopqrs " * 9 + "Tuvwxyzabc")  # the loader's 100-character limit


def _label_pages(order_set) -> list[str]:
    pdf = orderset.render(order_set, "labels", prepared_at=PREPARED, label_layout="single")
    return [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize(
    ("family", "given"),
    [(FAMILY, "Maximiliana Alexandrina Konstantina Evangelina Bartholomea"), LONGEST],
    ids=["60-characters", "100-characters-each"],
)
def test_a_long_name_leaves_every_safety_line_on_the_label(family, given):
    order_set = build(
        case_data(TODDLER_CASE, family_name=family, given_name=given, mrn="MRN-0123456789-ABCDE")
    )
    pages = _label_pages(order_set)
    assert len(pages) == len(order_set.selected_medications) > 1
    for text in pages:
        assert "MRN MRN-0123456789-ABCDE" in text and "Born 2023-03-04" in text
        assert "Use by: " in text
        assert "Prep ____" in text and "Check ____" in text
        assert "…" in text  # the name is visibly shortened, not silently cut
    tcz = next(p for p in pages if "tocilizumab" in p)
    assert "PROTECT FROM LIGHT" in tcz
    assert "(earliest of 3 storage conditions)" in tcz


def test_a_short_name_is_printed_whole():
    pages = _label_pages(build(case_data(TODDLER_CASE)))
    assert all("Doe, Jane" in p and "…" not in p for p in pages)


def test_cjk_name_prints_on_the_label():
    pages = _label_pages(build(case_data(TODDLER_CASE, family_name="山田", given_name="太郎")))
    assert all("山田, 太郎" in p for p in pages)


def test_a_label_that_would_be_clipped_is_refused_naming_its_order():
    # What check_fit guards against, forced: text too large for any label.
    order_set = build(case_data(TODDLER_CASE))
    html = labels.render_html(orderset.build_order_set(order_set.case))
    html = html.replace("</style>", ".l-final { font-size: 40pt; }</style>", 1)
    with sheet.template_dir() as root, pytest.raises(labels.LabelRenderError) as caught:
        html_to_pdf(html, root, check=labels.check_fit)
    assert "does not fit 4 x 2 inches" in str(caught.value)
    assert "MP-1" in str(caught.value)
