"""`orderset serve`'s HTTP API (issue 15) against a real server on a loopback port: the same
bytes as `orderset build`, content negotiation, selections, 400 with the field path, 413, a
failing plugin as 500 naming it, the read-only endpoints, security headers, and logs that
never hold a name or an MRN."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import types
from pathlib import Path

import httpx
import pytest

import orderset
from orderset import InputError, hookimpl
from orderset.cli import bundled_examples, main, make_parser
from orderset.engine import engine_rules
from orderset.plugin.host import make_host
from orderset.renderers import BUILTIN_RENDERERS
from tests.conftest import EXAMPLES, ROOT, TODDLER
from tests.service_server import LiveServer

pytest.importorskip("fastapi", reason="the service extra is not installed")

TEXT_FORMATS = ["json", "hl7", "fhir", "html"]


def cli_output(case: Path, fmt: str, tmp_path: Path, *extra: str) -> bytes:
    out = tmp_path / f"{case.stem}.{fmt}"
    assert main(["build", str(case), "--format", fmt, "-o", str(out), *extra]) == 0
    return out.read_bytes()


def post(server: LiveServer, body: bytes | dict, **kwargs) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{server.url}/api/order-sets", content=content, timeout=60, **kwargs)


# ---- the same bytes as the command line ----------------------------------------------------


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("case", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_api_output_is_the_cli_output(live_server, tmp_path, case, fmt):
    answer = post(live_server, case.read_bytes(), params={"format": fmt})
    assert answer.status_code == 200, answer.text
    assert answer.content == cli_output(case, fmt, tmp_path)


def test_api_pdf_is_the_cli_pdf(live_server, tmp_path):
    answer = post(live_server, TODDLER.read_bytes(), params={"format": "pdf"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content == cli_output(TODDLER, "pdf", tmp_path)


def test_a_bundled_profile_by_name(live_server, tmp_path):
    answer = post(live_server, TODDLER.read_bytes(), params={"profile": "ivig-first-line"})
    assert answer.status_code == 200
    expected = cli_output(TODDLER, "json", tmp_path, "--profile", "ivig-first-line")
    assert answer.content == expected
    assert answer.content != cli_output(TODDLER, "json", tmp_path)


def test_a_profile_is_a_name_never_a_file(live_server):
    answer = post(live_server, TODDLER.read_bytes(), params={"profile": str(TODDLER)})
    assert answer.status_code == 400
    assert answer.json()["field"] == "profile"


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        (None, "json"),
        ("*/*", "json"),
        ("application/hl7-v2", "hl7"),
        ("application/fhir+json", "fhir"),
        ("text/html", "html"),
        ("application/pdf;q=0.5, application/hl7-v2", "hl7"),
        ("application/pdf, application/hl7-v2;q=0.2", "pdf"),
    ],
)
def test_content_negotiation(live_server, tmp_path, accept, fmt):
    headers = {"accept": accept} if accept else {}
    answer = post(live_server, TODDLER.read_bytes(), headers=headers)
    assert answer.status_code == 200
    media = {r.name: r.media_type for r in BUILTIN_RENDERERS}[fmt]
    assert answer.headers["content-type"].split(";")[0] == media
    assert answer.content == cli_output(TODDLER, fmt, tmp_path)


def test_an_unknown_media_type_is_406(live_server):
    answer = post(live_server, TODDLER.read_bytes(), headers={"accept": "text/csv"})
    assert answer.status_code == 406
    assert "application/hl7-v2" in answer.json()["message"]


def test_selections_are_the_clinicians_ticks(live_server, toddler_data):
    answer = post(live_server, {**toddler_data, "selections": {"TCZ-1": False, "IVIG-1": True}})
    assert answer.status_code == 200
    orders = {o["id"]: o for o in answer.json()["orders"]}
    assert (orders["TCZ-1"]["selected"], orders["TCZ-1"]["selected_by"]) == (False, "clinician")
    assert (orders["IVIG-1"]["selected"], orders["IVIG-1"]["selected_by"]) == (True, "clinician")
    expected = orderset.render(
        orderset.build_order_set(
            orderset.case_from_dict(toddler_data), selections={"TCZ-1": False, "IVIG-1": True}
        ),
        "json",
    )
    assert answer.content == expected


# ---- bad input -----------------------------------------------------------------------------


def _library_error(data) -> InputError:
    with pytest.raises(InputError) as caught:
        orderset.build_order_set(orderset.case_from_dict(data))
    return caught.value


@pytest.mark.parametrize("fmt", ["json", "pdf"])
def test_bad_input_is_400_with_the_field_and_the_cli_message(live_server, toddler_data, fmt):
    toddler_data["patient"]["weight"] = "14.2"
    answer = post(live_server, toddler_data, params={"format": fmt})
    assert answer.status_code == 400
    expected = _library_error(toddler_data)
    assert answer.json() == {
        "error": "invalid input",
        "field": "patient.weight",
        "message": expected.reason,
    }
    assert "no unit" in expected.reason


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b"", "body"),
        (b"[1, 2]", ""),
        (b"\xff\xfe", "body"),
    ],
)
def test_malformed_bodies_name_the_body(live_server, body, field):
    answer = post(live_server, body)
    assert answer.status_code == 400
    assert answer.json()["field"] == field


def test_a_key_given_twice_is_refused_as_in_a_case_file(live_server):
    text = TODDLER.read_text().replace(
        '"weight": "14.2 kg",', '"weight": "14.2 kg", "weight": "1.42 kg",'
    )
    assert text.count('"weight":') == 2
    answer = post(live_server, text.encode())
    assert answer.status_code == 400
    assert answer.json()["field"] == "patient.weight"
    assert "given 2 times" in answer.json()["message"]


def test_unknown_selection_and_format(live_server, toddler_data):
    answer = post(live_server, {**toddler_data, "selections": {"IVIG-9": True}})
    assert (answer.status_code, answer.json()["field"]) == (400, "selections.IVIG-9")
    answer = post(live_server, toddler_data, params={"format": "docx"})
    assert (answer.status_code, answer.json()["field"]) == (400, "format")


def test_a_body_over_the_limit_is_413_and_the_server_goes_on(live_server):
    answer = post(live_server, b"{" + b" " * 1_100_000 + b"}")
    assert answer.status_code == 413
    assert "larger than" in answer.json()["message"]
    assert httpx.get(f"{live_server.url}/healthz").status_code == 200


# ---- a failing plugin ----------------------------------------------------------------------


def _broken_plugin() -> types.ModuleType:
    module = types.ModuleType("broken_site_plugin")

    @hookimpl
    def orderset_orders(context):
        raise RuntimeError("formulary table missing")

    module.orderset_orders = orderset_orders  # type: ignore[attr-defined]
    return module


@pytest.mark.parametrize("fmt", ["json", "hl7", "pdf"])
def test_a_plugin_fault_is_500_naming_the_plugin_with_no_partial_body(fmt):
    from orderset.service.app import Config, create_app

    app = create_app(Config(workers=1, extra_plugins=(("broken-site", _broken_plugin()),)))

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(
                "/api/order-sets", content=TODDLER.read_bytes(), params={"format": fmt}
            )

    answer = asyncio.run(ask())
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["plugin"] == "broken-site"
    assert "formulary table missing" in body["message"]
    assert set(body) == {"error", "plugin", "message"}  # nothing of an order set


# ---- read-only endpoints -------------------------------------------------------------------


def test_examples_endpoints(live_server):
    listed = httpx.get(f"{live_server.url}/api/examples").json()["examples"]
    assert listed == sorted(bundled_examples())
    one = httpx.get(f"{live_server.url}/api/examples/toddler-shock-brainstem")
    assert one.content == TODDLER.read_bytes()
    assert httpx.get(f"{live_server.url}/api/examples/nope").status_code == 404


def test_plugins_and_rules_endpoints(live_server):
    host = make_host()
    plugins = httpx.get(f"{live_server.url}/api/plugins").json()
    assert [p["name"] for p in plugins["plugins"]] == [p.name for p in host.plugins]
    rules = httpx.get(f"{live_server.url}/api/rules").json()["rules"]
    assert [r["id"] for r in rules] == [r.id for r in [*engine_rules(), *host.rules()]]
    assert {"TCZ-1", "IVIG-1", "SCORE-1"} <= {r["id"] for r in rules}


def test_healthz_and_formats(live_server):
    assert httpx.get(f"{live_server.url}/healthz").json() == {
        "status": "ok",
        "version": orderset.__version__,
    }
    names = [f["name"] for f in httpx.get(f"{live_server.url}/api/formats").json()["formats"]]
    assert names == [r.name for r in BUILTIN_RENDERERS]


def test_openapi_document_describes_the_case_and_every_format(live_server):
    doc = httpx.get(f"{live_server.url}/openapi.json").json()
    operation = doc["paths"]["/api/order-sets"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    weight = schema["properties"]["patient"]["properties"]["weight"]
    assert weight["oneOf"][1]["properties"]["unit"]["enum"] == ["kg", "g", "lb", "oz"]
    assert "weight" in schema["properties"]["patient"]["required"]
    assert "height" not in schema["properties"]["patient"]["required"]
    assert "selections" in schema["properties"]
    fmt = next(p for p in operation["parameters"] if p["name"] == "format")
    assert fmt["schema"]["enum"] == [r.name for r in BUILTIN_RENDERERS]
    media = operation["responses"]["200"]["content"]
    assert set(media) == {r.media_type for r in BUILTIN_RENDERERS}
    for path in ("/api/examples", "/api/plugins", "/api/rules", "/healthz"):
        assert path in doc["paths"]


# ---- security ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/order-sets"])
def test_security_headers(live_server, path):
    if path == "/api/order-sets":
        answer = post(live_server, TODDLER.read_bytes())
    else:
        answer = httpx.get(f"{live_server.url}{path}")
    headers = answer.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    assert len(headers["x-request-id"]) == 12
    assert "server" not in headers


def test_binds_to_loopback_by_default():
    args = make_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 8080)


def test_logs_hold_ids_sizes_and_times_never_names_or_mrns(live_server, toddler_data):
    family, given, mrn = "Quilliamson", "Zebedee", "QX99887766"
    toddler_data["patient"].update(family_name=family, given_name=given, mrn=mrn)
    for params in ({"format": "json"}, {"format": "pdf"}, {"format": "hl7"}):
        assert post(live_server, toddler_data, params=params).status_code == 200
    bad = json.loads(json.dumps(toddler_data))
    bad["patient"]["weight"] = f"{family} kg"
    assert post(live_server, bad).status_code == 400
    bad["patient"]["given_name"] = given * 20  # too long: the message quotes a length only
    assert post(live_server, bad).status_code == 400
    httpx.get(f"{live_server.url}/{family}/{mrn}")  # a name in a URL
    httpx.post(f"{live_server.url}/", data={"patient.family_name": family, "patient.mrn": mrn})
    answer = post(live_server, toddler_data)
    line = f"request_id={answer.headers['x-request-id']} method=POST path=/api/order-sets"
    for _ in range(100):  # the line is written just after the answer is sent
        log = live_server.log_text()
        if line in log:
            break
        time.sleep(0.05)
    assert f"{line} status=200 in_bytes={len(json.dumps(toddler_data))} out_bytes=" in log
    for secret in (family, given, mrn, "Doe", "A1234567"):
        assert secret not in log


def test_the_library_import_path_stays_lean():
    code = (
        "import sys, orderset, orderset.cli;"
        f"c = orderset.load_case({str(TODDLER)!r});"
        "orderset.render(orderset.build_order_set(c), 'json');"
        "print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in {'fastapi', 'starlette', 'uvicorn', 'pydantic', 'jinja2'}"
        " or m.startswith('orderset.service')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_a_format_a_plugin_adds_is_served_offered_and_documented():
    from orderset.plugin import Renderer
    from orderset.service.app import Config, create_app

    module = types.ModuleType("site_formats")

    def render_count(order_set) -> bytes:
        return f"{sum(o.selected for o in order_set.orders)} selected\n".encode()

    @hookimpl
    def orderset_renderers():
        return [Renderer("count", "text/x-count", "txt", render=render_count)]

    module.orderset_renderers = orderset_renderers  # type: ignore[attr-defined]
    app = create_app(Config(workers=1, extra_plugins=(("site-formats", module),)))

    async def ask() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [
                await client.post(
                    "/api/order-sets", content=TODDLER.read_bytes(), params={"format": "count"}
                ),
                await client.post(
                    "/api/order-sets",
                    content=TODDLER.read_bytes(),
                    headers={"accept": "text/x-count"},
                ),
                await client.get("/openapi.json"),
                await client.get("/api/formats"),
            ]

    by_name, by_accept, openapi, formats = asyncio.run(ask())
    expected = render_count(orderset.build_order_set(orderset.load_case(TODDLER)))
    assert by_name.content == by_accept.content == expected
    assert by_accept.headers["content-type"].startswith("text/x-count")
    operation = openapi.json()["paths"]["/api/order-sets"]["post"]
    assert (
        "count"
        in next(p for p in operation["parameters"] if p["name"] == "format")["schema"]["enum"]
    )
    assert [f["name"] for f in formats.json()["formats"]][-1] == "count"


def test_the_pharmacy_receiver_comes_only_from_the_profile():
    from orderset import pharmacy

    case = orderset.load_case(TODDLER)
    assert pharmacy.receiver(orderset.build_order_set(case).settings) is None  # no default
    site = {"pharmacy": {"receiver_host": "10.1.2.3", "receiver_port": 2575}}
    built = orderset.build_order_set(case, profile=site)
    assert pharmacy.receiver(built.settings) == ("10.1.2.3", 2575)
    with pytest.raises(InputError) as caught:
        orderset.build_order_set(case, profile={"pharmacy": {"receiver_port": 70000}})
    assert caught.value.field == "pharmacy.receiver_port"
