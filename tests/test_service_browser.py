"""The clinicians' page, driven as a person would in Debian's Chromium (headless, Playwright
with the system browser): fill the form for the 14.2 kg toddler, read the score and the
orders, untick tocilizumab, print, and read the PDF; a weight without a unit is refused beside
the weight field. Skipped only when no Chromium is installed (the Makefile installs it)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest

import orderset
from orderset.service.fields import case_fields, case_to_form
from tests.conftest import TODDLER

pytest.importorskip("fastapi", reason="the service extra is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).exists()),
    None,
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium: apt-get install chromium (make install does it as root)"
)
#: A headless browser that calls nowhere but the test server.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Set ORDERSET_SCREENSHOTS=docs to refresh the README's pictures.
SHOTS = os.environ.get("ORDERSET_SCREENSHOTS")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    yield context.new_page()
    context.close()


def fill_form(page, values: dict[str, str]) -> None:
    """Type every value into its field as a user would: text boxes filled, lists chosen."""
    for name, value in values.items():
        box = page.locator(f'[name="{name}"]')
        if box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)


def toddler_values() -> dict[str, str]:
    return case_to_form(json.loads(TODDLER.read_text()))


def screenshot(page, name: str, tmp_path: Path) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    page.screenshot(path=str(folder / name))


def test_every_field_of_the_contract_is_on_the_form(page, live_server):
    page.goto(live_server.url + "/")
    names = set(page.eval_on_selector_all("[name]", "els => els.map(e => e.name)"))
    for group in case_fields():
        for field in group.children or (group,):
            if field.kind == "list":
                assert f"{field.path}.status" in names
                assert f"{field.path}[0].substance" in names
            elif field.kind != "group":
                assert field.path in names, field.path
            if field.kind == "measure":
                units = page.eval_on_selector_all(
                    f'[name="{field.path}.unit"] option', "els => els.map(e => e.value)"
                )
                assert units == ["", *field.units]
    weight = page.locator('[data-field="patient.weight"] label')
    assert "*" in weight.inner_text()  # required, marked
    assert "*" not in page.locator('[data-field="patient.height"] label').inner_text()


def test_toddler_form_score_orders_untick_and_print(page, live_server, tmp_path):
    page.goto(live_server.url + "/")
    fill_form(page, toddler_values())
    screenshot(page, "service-form.png", tmp_path)
    page.get_by_role("button", name="Build order set").click()

    page.wait_for_selector("#severity")
    assert page.locator("[data-score]").inner_text() == "7"
    assert "high" in page.locator("#severity .score").inner_text()
    tocilizumab = page.locator("#o-TCZ-1")
    assert tocilizumab.is_checked()  # pre-selected by the engine (TCZ-1)
    assert "tocilizumab 170 mg IV" in page.locator('label[for="o-TCZ-1"]').inner_text()
    assert not page.locator("#o-IVIG-1").is_checked()
    screenshot(page, "service-result.png", tmp_path)

    tocilizumab.uncheck()
    page.locator("#o-MP-1").scroll_into_view_if_needed()
    screenshot(page, "service-orders.png", tmp_path)
    with page.expect_download() as download:
        page.get_by_role("button", name="Print PDF sheet").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")

    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    line = next(line for line in text.splitlines() if "tocilizumab 170 mg" in line)
    assert line.lstrip().startswith("☐")  # printed with an empty box
    assert re.search(r"unticked by the\s+clinician", text)
    assert not re.search(r"☑\s*tocilizumab", text)
    # The very sheet the library prints with the same tick.
    case = orderset.load_case(TODDLER)
    expected = orderset.build_order_set(case, selections={"TCZ-1": False})
    assert pdf == orderset.render(expected, "pdf")


def test_ticks_survive_an_update(page, live_server):
    page.goto(live_server.url + "/?example=toddler-shock-brainstem")
    page.get_by_role("button", name="Build order set").click()
    page.locator("#o-TCZ-1").uncheck()
    page.locator("#o-IVIG-1").check()
    page.get_by_role("button", name="Update with my ticks").click()
    page.wait_for_selector("#severity")
    assert not page.locator("#o-TCZ-1").is_checked()
    assert page.locator("#o-IVIG-1").is_checked()
    assert "unticked by the clinician" in page.locator('label[for="o-TCZ-1"]').inner_text()
    assert "ticked by the clinician" in page.locator('label[for="o-IVIG-1"]').inner_text()
    assert "clinician" not in page.locator('label[for="o-MP-1"]').inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON").click()
    data = json.loads(Path(download.value.path()).read_bytes())
    orders = {o["id"]: o for o in data["orders"]}
    assert (orders["TCZ-1"]["selected"], orders["TCZ-1"]["selected_by"]) == (False, "clinician")
    assert orders["MP-1"]["selected_by"] == "rule"
    page.get_by_role("button", name="Edit the case").click()  # back to the filled form
    assert page.locator('[name="patient.weight"]').input_value() == "14.2"
    assert page.locator('[name="patient.weight.unit"]').input_value() == "kg"
    assert page.locator('[name="patient.allergies[0].substance"]').input_value() == "penicillin"


def test_a_weight_without_a_unit_is_refused_beside_the_weight(page, live_server, tmp_path):
    page.goto(live_server.url + "/")
    values = toddler_values()
    values["patient.weight.unit"] = ""
    fill_form(page, values)
    page.get_by_role("button", name="Build order set").click()
    message = page.locator('[data-field="patient.weight"] [data-error-for="patient.weight"]')
    message.wait_for()
    assert "has no unit" in message.inner_text()
    page.locator('[data-field="patient.weight"]').scroll_into_view_if_needed()
    screenshot(page, "service-error.png", tmp_path)
    with pytest.raises(orderset.InputError) as caught:
        data = json.loads(TODDLER.read_text())
        data["patient"]["weight"] = "14.2"
        orderset.case_from_dict(data)
    assert message.inner_text() == caught.value.reason  # the CLI's own words
    assert page.locator('[name="patient.weight"]').input_value() == "14.2"  # nothing lost
    assert page.locator("[data-error-for]").count() == 1


def test_send_to_pharmacy_only_with_a_receiver_and_the_ack_is_shown(page, live_server, tmp_path):
    from tests.service_server import start_server, stop_server
    from tests.test_mllp import Receiver, ack

    page.goto(live_server.url + "/?example=toddler-shock-brainstem")
    page.get_by_role("button", name="Build order set").click()
    page.wait_for_selector("#severity")
    assert page.get_by_role("button", name=re.compile("Send to pharmacy")).count() == 0

    with Receiver(lambda message: ack(message, "AA")) as receiver:
        profile = tmp_path / "site.toml"
        profile.write_text(
            f'[profile]\nname = "site"\n\n[pharmacy]\nreceiver_host = "127.0.0.1"\n'
            f"receiver_port = {receiver.port}\n"
        )
        server = start_server(tmp_path / "site.log", "--profile", str(profile))
        try:
            page.goto(server.url + "/?example=toddler-shock-brainstem")
            page.get_by_role("button", name="Build order set").click()
            page.locator("#o-TCZ-1").uncheck()
            page.get_by_role("button", name=re.compile("Send to pharmacy")).click()
            page.wait_for_selector("#ack")
            lines = page.locator("#ack li").all_inner_texts()
        finally:
            stop_server(server)
    assert len(lines) == 2 and all(line.startswith("accepted (AA): ") for line in lines)
    assert [line.split()[2] for line in lines] == ["OMP^O09", "OMG^O19"]
    sent = "\n".join(receiver.received)
    assert "methylprednisolone" in sent.lower()
    assert "methylPREDNISolone 425 mg" in page.locator('label[for="o-MP-1"]').inner_text()
    assert "tocilizumab" not in sent.lower()  # unticked, so not sent
    assert not page.locator("#o-TCZ-1").is_checked()  # the page keeps the tick


def test_a_blank_form_names_every_required_field_beside_it(page, live_server):
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Build order set").click()
    for path in ("patient.mrn", "patient.weight", "patient.allergies", "clinical.neuro_onset"):
        message = page.locator(f'[data-error-for="{path}"]')
        assert message.inner_text() == "is required"
    assert page.locator('[data-error-for^="encounter."]').count() == 0
