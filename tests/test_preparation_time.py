"""When the doses are prepared, the same way for the command line, the service and the Python
API (orderset.preptime): `orderset build` and `orderset serve` count beyond-use times from the
time of the build or request unless given one; the Python API from the given `prepared_at`, else
from `assessed_at`, and the worksheet says which; an option a format would ignore is refused
naming it, with no output file."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest

import orderset
from orderset.cli import main
from tests.conftest import TODDLER

PREPARED = dt.datetime.fromisoformat("2026-11-22T08:30:00-05:00")


def _text(data: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(p.extract_text().split()) for p in pages)


@pytest.fixture(scope="module")
def order_set():
    return orderset.build_order_set(orderset.load_case(TODDLER))


# ---- Python API -----------------------------------------------------------------------------


def test_python_render_takes_the_preparation_time(order_set):
    text = _text(orderset.render(order_set, "worksheet", prepared_at=PREPARED))
    assert "Preparation time 2026-11-22 08:30 -05:00" in text
    assert "no preparation time was given" not in text
    labels = _text(orderset.render(order_set, "labels", prepared_at=PREPARED))
    # tocilizumab: 24 hours diluted in the fridge, 4 at room temperature; the earliest is printed
    assert "2026-11-22 12:30 -05:00" in labels


def test_python_render_without_a_time_says_it_used_the_assessment(order_set):
    text = _text(orderset.render(order_set, "worksheet"))
    assert "Preparation time 2026-11-22 06:00 -05:00" in text
    assert "no preparation time was given, so this is the assessment time" in text


def test_python_render_label_layout_single_is_one_label_per_page(order_set):
    single = orderset.render(order_set, "labels", prepared_at=PREPARED, label_layout="single")
    doses = [o for o in order_set.selected_medications if o.dose_preparation is not None]
    assert len(pypdf.PdfReader(io.BytesIO(single)).pages) == len(doses) > 1


@pytest.mark.parametrize(
    ("fmt", "options", "field"),
    [
        ("json", {"label_layout": "single"}, "label_layout"),
        ("pdf", {"prepared_at": PREPARED}, "prepared_at"),
        ("hl7", {"prepared_at": PREPARED}, "prepared_at"),
        ("labels", {"label_layout": "roll"}, "label_layout"),
        ("worksheet", {"prepared_at": dt.datetime(2026, 11, 22, 8, 30)}, "prepared_at"),
    ],
)
def test_python_render_refuses_an_option_naming_it(order_set, fmt, options, field):
    with pytest.raises(orderset.InputError) as caught:
        orderset.render(order_set, fmt, **options)
    assert caught.value.field == field


# ---- command line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "option", "value"),
    [
        ("json", "--label-layout", "single"),
        ("worksheet", "--label-layout", "single"),
        ("pdf", "--prepared-at", "2026-11-22T08:30-05:00"),
        ("hl7", "--prepared-at", "2026-11-22T08:30-05:00"),
    ],
)
def test_cli_refuses_an_option_the_format_ignores(tmp_path, capsys, fmt, option, value):
    out = tmp_path / "out.file"
    assert main(["build", str(TODDLER), "--format", fmt, "-o", str(out), option, value]) == 2
    err = capsys.readouterr().err
    assert f"orderset: error: {option}:" in err, err
    assert not out.exists()


def test_cli_default_preparation_time_is_the_build_time(tmp_path):
    out = tmp_path / "prep.pdf"
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    assert main(["build", str(TODDLER), "--format", "worksheet", "-o", str(out)]) == 0
    after = dt.datetime.now(dt.UTC)
    text = _text(out.read_bytes())
    assert "no preparation time was given" not in text
    stamp = text.split("Preparation time ", 1)[1][:23]  # "2026-12-01 10:47 +00:00"
    printed = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M %z")
    assert before - dt.timedelta(minutes=1) <= printed <= after


# ---- service --------------------------------------------------------------------------------


def _post(server, **params):
    import httpx

    return httpx.post(
        f"{server.url}/api/order-sets", content=TODDLER.read_bytes(), params=params, timeout=60
    )


def test_service_worksheet_counts_from_the_given_time(live_server):
    answer = _post(live_server, format="worksheet", prepared_at="2026-11-22T08:30-05:00")
    assert answer.status_code == 200, answer.text
    assert "Preparation time 2026-11-22 08:30 -05:00" in _text(answer.content)


def test_service_worksheet_defaults_to_the_time_of_the_request(live_server):
    before = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    answer = _post(live_server, format="worksheet")
    after = dt.datetime.now(dt.UTC)
    assert answer.status_code == 200, answer.text
    text = _text(answer.content)
    assert "no preparation time was given" not in text
    stamp = text.split("Preparation time ", 1)[1][:23]
    assert before <= dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M %z") <= after


def test_service_labels_layout(live_server, order_set):
    answer = _post(live_server, format="labels", label_layout="single")
    assert answer.status_code == 200, answer.text
    doses = [o for o in order_set.selected_medications if o.dose_preparation is not None]
    assert len(pypdf.PdfReader(io.BytesIO(answer.content)).pages) == len(doses)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"format": "worksheet", "prepared_at": "2026-11-22T08:30"}, "prepared_at"),
        ({"format": "worksheet", "prepared_at": "tomorrow"}, "prepared_at"),
        ({"format": "json", "label_layout": "single"}, "label_layout"),
        ({"format": "labels", "label_layout": "roll"}, "label_layout"),
        ({"format": "pdf", "prepared_at": "2026-11-22T08:30-05:00"}, "prepared_at"),
    ],
)
def test_service_refuses_a_bad_preparation_option(live_server, params, field):
    answer = _post(live_server, **params)
    assert answer.status_code == 400
    assert answer.json()["field"] == field, answer.text


def test_openapi_documents_the_preparation_options(live_server):
    import httpx

    document = httpx.get(f"{live_server.url}/openapi.json", timeout=30).json()
    names = {p["name"] for p in document["paths"]["/api/order-sets"]["post"]["parameters"]}
    assert {"prepared_at", "label_layout"} <= names


@pytest.mark.parametrize(
    ("fmt", "filename"),
    [
        ("worksheet", "preparation-worksheet.pdf"),
        ("labels", "dose-labels.pdf"),
        ("pdf", "order-set.pdf"),
        ("fhir", "order-set.fhir.json"),
    ],
)
def test_page_downloads_are_named_apart_and_prepared_now(live_server, fmt, filename):
    """The result page's buttons: three PDFs used to download as "order-set.pdf" each, and the
    worksheet counted from the assessment time."""
    import httpx

    before = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    answer = httpx.post(
        f"{live_server.url}/order-set/download",
        data={"format": fmt, "case_json": TODDLER.read_text()},
        timeout=60,
    )
    after = dt.datetime.now(dt.UTC)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == f'attachment; filename="{filename}"'
    if fmt == "worksheet":
        stamp = _text(answer.content).split("Preparation time ", 1)[1][:23]
        assert before <= dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M %z") <= after


@pytest.mark.parametrize(
    ("param", "hint"),
    [("prepared-at", "did you mean 'prepared_at'?"), ("fromat", "did you mean 'format'?")],
)
def test_service_refuses_an_unknown_query_parameter(live_server, param, hint):
    """A typo'd `?prepared-at=` used to be ignored: the worksheet then counted from the time
    of the request without a word."""
    answer = _post(live_server, **{param: "2026-11-22T08:30-05:00"})
    assert answer.status_code == 400
    assert answer.json()["field"] == param
    assert hint in answer.json()["message"]
