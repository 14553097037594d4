"""The preparation worksheet and the dose labels, through the CLI and the public API (issue 13)."""

from __future__ import annotations

import io
import json

import pypdf
import pytest

import orderset
from orderset.cli import main
from orderset.renderers import labels, worksheet
from orderset.testing import build, case_data

EXAMPLE = "example:toddler-shock-brainstem"
PREPARED = "2026-11-22T08:30:00-05:00"


def _pages(data: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def worksheet_pdf(tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("ws") / "prep.pdf"
    args = ["build", EXAMPLE, "--format", "worksheet", "-o", str(out), "--prepared-at", PREPARED]
    assert main(args) == 0
    return out.read_bytes()


def test_worksheet_is_byte_identical_for_the_same_input_and_preparation_time(
    worksheet_pdf, tmp_path
):
    out = tmp_path / "again.pdf"
    args = ["build", EXAMPLE, "--format", "worksheet", "-o", str(out), "--prepared-at", PREPARED]
    assert main(args) == 0
    assert out.read_bytes() == worksheet_pdf
    # The PDF's own dates are the preparation time, never the clock.
    reader = pypdf.PdfReader(io.BytesIO(worksheet_pdf))
    assert reader.metadata.get("/CreationDate", "").startswith("D:20261122083000")


def test_every_page_has_the_patient_and_page_x_of_y(worksheet_pdf):
    pages = _pages(worksheet_pdf)
    assert len(pages) > 1
    for n, text in enumerate(pages, start=1):
        assert "Doe, Jane" in text and "MRN A1234567" in text, n
        assert f"Page {n} of {len(pages)}" in text, n


def test_one_block_per_selected_dose_with_tall_man_and_sign_off(worksheet_pdf):
    text = " ".join(_pages(worksheet_pdf))
    order_set = orderset.build_order_set(
        orderset.load_case("examples/toddler-shock-brainstem.json")
    )
    selected = [o for o in order_set.selected_medications if o.dose is not None]
    assert text.count("Prepared by") == len(selected)
    for o in selected:
        assert f"({o.id})" in text, o.id
    assert "methylPREDNISolone 425 mg" in text
    assert "LORazepam" in text


def test_beyond_use_counts_from_the_preparation_time(worksheet_pdf):
    # Tocilizumab diluted in 0.45% sodium chloride keeps 4 hours at room temperature (label):
    # prepared 08:30, so 12:30; 24 hours: the next day at 08:30.
    text = " ".join(_pages(worksheet_pdf))
    assert "2026-11-22 12:30 -05:00 (diluted in 0.45% sodium chloride, room temperature" in text
    assert "2026-11-23 08:30 -05:00 (diluted in 0.9% sodium chloride" in text


def test_a_bad_preparation_time_is_refused_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "prep.pdf"
    for bad in ("2026-11-22T08:30", "yesterday"):
        with pytest.raises(SystemExit) as info:
            main(["build", EXAMPLE, "--format", "worksheet", "-o", str(out), "--prepared-at", bad])
        assert info.value.code == 2
        assert "--prepared-at" in capsys.readouterr().err
    assert not out.exists()


def test_json_gives_beyond_use_times_only_with_a_preparation_time(tmp_path, capsys):
    assert main(["build", EXAMPLE, "--prepared-at", PREPARED]) == 0
    doc = json.loads(capsys.readouterr().out)
    tcz = next(o for o in doc["orders"] if o["id"] == "TCZ-1")["preparation"]["pharmacy"]
    assert tcz["prepared_at"] == PREPARED
    assert {b["until"] for b in tcz["beyond_use"]} == {
        "2026-11-23T08:30:00-05:00",
        "2026-11-22T12:30:00-05:00",
    }


def test_a_high_alert_product_asks_for_an_independent_double_check():
    profile = {"formulary": {"lorazepam-iv": {"high_alert": True}}}
    order_set = build(case_data(), profile=profile)
    page = worksheet.render_html(order_set)
    lorazepam = page.split('data-order="SEIZ-1-LORAZEPAM"', 1)[1].split("</section>", 1)[0]
    assert "Independent double check (high-alert IV)" in lorazepam
    tcz = page.split('data-order="MP-1"', 1)[1].split("</section>", 1)[0]
    assert "Independent double check" not in tcz


def test_a_flagged_block_says_pharmacist_review_with_its_reasons():
    page = worksheet.render_html(build(case_data()))
    mp = page.split('data-order="MP-1"', 1)[1].split("</section>", 1)[0]
    assert "PHARMACIST REVIEW before preparing" in mp
    assert "Final volume per pharmacy procedure" in mp


# ---- labels ---------------------------------------------------------------------------------


def _decode_all(pdf: bytes) -> list[list[str]]:
    """Every barcode on every page, read back with zxing-cpp from a 300 dpi rendering."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(pdf)
    found = []
    for page in document:
        image = page.render(scale=300 / 72).to_pil()
        results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.DataMatrix)
        found.append(sorted(r.text for r in results))
    return found


@pytest.mark.parametrize("layout", ["sheet", "single"])
def test_every_label_barcode_reads_back_as_its_order(layout):
    order_set = orderset.build_order_set(
        orderset.load_case("examples/toddler-shock-brainstem.json")
    )
    pdf = orderset.render(order_set, "labels", label_layout=layout)
    decoded = _decode_all(pdf)
    expected = []
    for o, dp in worksheet.prepared_orders(order_set):
        text = labels.payload(order_set, o, dp, order_set.case.assessed_at)
        fields = dict(f.split("=", 1) for f in text.split("|")[1:])
        # The payload is the order's own identity, not text made up for the label.
        assert fields["MRN"] == order_set.case.patient.mrn
        assert fields["ORDER"] == o.id
        assert fields["DRUG"] == o.drug
        assert (
            fields["DOSE"]
            == json.loads(orderset.render(order_set, "json"))["orders"][
                [x.id for x in order_set.orders].index(o.id)
            ]["dose_text"]
        )
        expected.append(text)
    if layout == "single":
        assert [page for page in decoded] == [[t] for t in expected]
    else:
        assert sorted(t for page in decoded for t in page) == sorted(expected)
        assert len(decoded) == 1  # 5 labels fit one sheet of 10


def test_labels_print_patient_dose_final_and_beyond_use():
    order_set = orderset.build_order_set(
        orderset.load_case("examples/toddler-shock-brainstem.json")
    )
    import datetime as dt

    when = dt.datetime.fromisoformat(PREPARED)
    pages = _pages(orderset.render(order_set, "labels", prepared_at=when, label_layout="single"))
    tcz = next(p for p in pages if "tocilizumab" in p)
    assert "Doe, Jane" in tcz and "MRN A1234567" in tcz
    assert "tocilizumab 170 mg IV" in tcz
    assert "Final 50 mL (3.4 mg/mL)" in tcz
    assert "Rate 50 mL/h over 60 minutes" in tcz
    # The label has room for one beyond-use time: the earliest (0.45% at room temperature, 4 h).
    assert "2026-11-22 12:30 -05:00, diluted in 0.45% sodium chloride, room temperature" in tcz
    assert "(earliest of 3 storage conditions)" in tcz


def test_the_readme_profile_example_loads_and_prepares():
    import re
    import tomllib

    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Pharmacy preparation worksheet and dose labels", 1)[1]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block, "the worksheet section lost its profile example"
    order_set = build(case_data(weight="14.2 kg"), profile=tomllib.loads(block.group(1)))
    dp = next(o for o in order_set.orders if o.id == "MP-1").dose_preparation
    # 30 mg/kg x 14.2 kg = 426 -> 425 mg (5 mg steps); 125 + 125 + 125 + 125 = 500 mg wastes
    # 75 mg in 4 vials, one 500 mg vial wastes 75 mg too: the fewest containers win.
    assert [(d.description, d.count) for d in dp.draws] == [("500 mg/4 mL vial", 1)]
    assert not any("per pharmacy procedure" in r for r in dp.review)


def test_several_cases_with_a_preparation_time_are_refused(tmp_path, capsys):
    args = [
        "build",
        EXAMPLE,
        "example:school-age-26kg",
        "--format",
        "worksheet",
        "-o",
        str(tmp_path),
        "--prepared-at",
        PREPARED,
    ]
    assert main(args) == 2
    assert "--prepared-at" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
