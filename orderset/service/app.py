"""`orderset serve`: the clinicians' web form and the HTTP API, one FastAPI app.

The only module that imports the web framework (`pip install orderset[service]`); the library
never imports it. Nothing a user enters is stored: the result page carries the case in a
hidden field, and a printout or download is the only record.

JSON, HL7, FHIR and HTML are built in threads with the app's one plugin host; any PDF format
is built in a process pool (`workers`), so a burst of PDFs does not slow the other answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import importlib.resources
import json
import multiprocessing
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import attrs
import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from orderset import pharmacy, preptime
from orderset._version import __version__
from orderset.errors import InputError, PluginError
from orderset.formatting import format_number
from orderset.loader import MAX_CASE_BYTES, check_structure, parse_json
from orderset.model import OrderSet
from orderset.plugin.host import PluginHost, make_host
from orderset.renderers import Renderer, renderers
from orderset.renderers.html import tall_man
from orderset.service import fields as form_fields
from orderset.service import schema, work
from orderset.service.guard import Guard
from orderset.settings import bundled_profiles, profile_arguments

#: The request body limit: a case file's limit plus room for selections and form encoding.
MAX_BODY_BYTES = MAX_CASE_BYTES + 64_000
PDF_MEDIA_TYPE = "application/pdf"
T = TypeVar("T")


def default_workers() -> int:
    """PDF worker processes: one core is left to the server (at least one worker)."""
    return max(1, (os.cpu_count() or 2) - 1)


@attrs.frozen
class Config:
    """How the service builds: the operator's profile (a bundled name or a TOML path, given
    once at start), plugins to disable, PDF workers. Requests may choose bundled profiles
    by name only."""

    profile: str | None = None
    disable: tuple[str, ...] = ()
    workers: int = attrs.field(factory=default_workers)
    #: (name, plugin) pairs registered after the built-ins (tests, embedding).
    extra_plugins: tuple[tuple[str, object], ...] = ()
    max_body: int = MAX_BODY_BYTES
    #: Threads that build JSON, HL7, FHIR and HTML answers. One keeps them first come, first
    #: served: several threads share one interpreter lock, so each answer would take as long
    #: as all of them together.
    build_threads: int = 1


class Service:
    """The state one app holds: its config, plugin host, formats and PDF pool."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.profile_args: dict[str, Any] = profile_arguments(config.profile)
        self.host: PluginHost = make_host(
            disable=config.disable, extra=config.extra_plugins, disable_field="--disable"
        )
        self.formats: Mapping[str, Renderer] = renderers(self.host.renderers())
        # The operator's profile is checked now: a mistake stops the start, naming the key,
        # instead of failing every request.
        from orderset.engine import load_settings

        load_settings(self.host, self.profile_args.get("profile"), **self._path())
        self.pool: ProcessPoolExecutor | None = None
        self.builder = ThreadPoolExecutor(config.build_threads, "orderset-build")

    def _path(self) -> dict[str, Any]:
        path = self.profile_args.get("profile_path")
        return {"profile_path": path} if path else {}

    def start(self) -> None:
        self.pool = ProcessPoolExecutor(
            max_workers=self.config.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=work.init_worker,
            initargs=(self.config.disable,),
        )

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        self.builder.shutdown(wait=True, cancel_futures=True)

    def profile_for(self, name: str | None) -> dict[str, Any]:
        """A request's `profile`: a bundled name only, never a file."""
        if name is None or name == "":
            return self.profile_args
        if name not in bundled_profiles():
            raise InputError(
                "profile",
                f"{name!r} is not a bundled profile ({', '.join(sorted(bundled_profiles()))})",
            )
        return {"profile": name}

    async def render(
        self,
        case_data: Mapping[str, Any],
        selections: Mapping[str, bool] | None,
        fmt: str,
        profile: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> bytes:
        """The output bytes; a PDF format in the pool, anything else in a thread. `options`:
        `prepared_at` and `label_layout` (`preparation_options`)."""
        profile = self.profile_args if profile is None else profile
        options = dict(options or {})
        renderer = self.formats.get(fmt)
        in_pool = (
            renderer is not None
            and renderer.media_type == PDF_MEDIA_TYPE
            and not self.config.extra_plugins
        )
        if in_pool and self.pool is not None:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(
                self.pool, work.render_in_worker, dict(case_data), selections, profile, fmt, options
            )
            if isinstance(result, work.Failure):
                result.raise_()
            assert isinstance(result, bytes)
            return result
        return await self.in_builder(
            work.build_and_render, case_data, selections, profile, fmt, self.host, options
        )

    async def in_builder(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` on the build thread, the event loop left free meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self.builder, function, *args)

    async def build(
        self, case_data: Mapping[str, Any], selections: Mapping[str, bool] | None
    ) -> OrderSet:
        """The OrderSet itself (for the result page), in a thread."""
        from orderset.engine import build_order_set
        from orderset.loader import case_from_dict

        def run() -> OrderSet:
            case = case_from_dict(case_data)
            return build_order_set(case, **self.profile_args, selections=selections, host=self.host)

        return await self.in_builder(run)


# ---- errors -------------------------------------------------------------------------------


def input_error(exc: InputError) -> JSONResponse:
    return JSONResponse(
        {"error": "invalid input", "field": exc.field, "message": exc.reason}, status_code=400
    )


def plugin_error(exc: PluginError) -> JSONResponse:
    return JSONResponse(
        {"error": "plugin failed", "plugin": exc.plugin, "message": exc.reason},
        status_code=500,
    )


def _parse_json(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("body", "is not UTF-8 text") from None
    if not text.strip():
        raise InputError("body", "is empty; send the case as JSON")
    return parse_json(text, source="body")  # the loader's rules: a key twice is refused


def split_request(data: Any) -> tuple[dict[str, Any], dict[str, bool] | None]:
    """A request body: the case, with the clinician's `selections` beside its fields. The
    whole body is checked as a case file is (duplicate keys, depth, sizes) before it is split."""
    if not isinstance(data, dict):
        raise InputError("", "the case must be a JSON object")
    check_structure(data)
    case = dict(data)
    selections = case.pop("selections", None)
    return case, selections


def negotiate(accept: str | None, formats: Mapping[str, Renderer]) -> str | None:
    """The format an Accept header asks for (highest q first); json for */* or none."""
    if not accept:
        return "json"
    wanted: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                with contextlib.suppress(ValueError):
                    q = float(param[2:])
        if q > 0:
            wanted.append((-q, i, media.lower()))
    for _, _, media in sorted(wanted):
        if media in ("*/*", "application/*"):
            return "json"
        for name, renderer in formats.items():
            if renderer.media_type == media:
                return name
    return None


# ---- the page -----------------------------------------------------------------------------


def _templates() -> jinja2.Environment:
    root = importlib.resources.files("orderset.templates")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = format_number
    env.filters["tall_man"] = tall_man  # as the printed sheet writes drug names
    return env


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


#: The query parameters of `POST /api/order-sets`.
QUERY_PARAMETERS = ("format", "profile", "prepared_at", "label_layout")


def check_query(names: Iterable[str]) -> None:
    """Refuse a query parameter the API does not know, as the loader refuses an unknown key:
    a typo (`?prepared-at=`) would otherwise be ignored and the default used in silence."""
    import difflib

    for name in names:
        if name not in QUERY_PARAMETERS:
            close = difflib.get_close_matches(name, QUERY_PARAMETERS, n=1)
            hint = (
                f"did you mean {close[0]!r}?" if close else f"known: {', '.join(QUERY_PARAMETERS)}"
            )
            raise InputError(name, f"unknown query parameter ({hint})")


def preparation_options(
    fmt: str, prepared_at: str | None, label_layout: str | None
) -> dict[str, Any]:
    """`render`'s preparation options for a request: `prepared_at` as given (ISO 8601 with
    its UTC offset), else, for the worksheet and labels, the time of the request, as
    `orderset build` uses the time of the build; `label_layout` for labels only. An option
    the format ignores is refused, naming it (`orderset.preptime`)."""
    given = prepared_at if prepared_at not in (None, "") else None
    layout = label_layout if label_layout not in (None, "") else None
    preptime.check_options(fmt, given, layout)
    options: dict[str, Any] = {}
    if given is not None:
        options["prepared_at"] = preptime.parse_prepared_at(given)
    elif fmt in preptime.PHARMACY_FORMATS:
        options["prepared_at"] = preptime.now()
    if layout is not None:
        options["label_layout"] = preptime.check_label_layout(layout)
    return options


def _form_values(items: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {k: v for k, v in items if isinstance(v, str)}


#: Download names of the PDFs that are not the order sheet, so a pharmacist's folder does not
#: hold three "order-set.pdf" files (the worksheet and labels used to be named so).
_DOWNLOAD_NAMES = {"worksheet": "preparation-worksheet", "labels": "dose-labels"}


def _filename(fmt: str, renderer: Renderer) -> str:
    """`order-set.json`, `order-set.pdf` ...; a second format with the same extension (a
    plugin's, the worksheet, the labels) is named after its format."""
    if fmt in _DOWNLOAD_NAMES:
        return f"{_DOWNLOAD_NAMES[fmt]}.{renderer.extension}"
    if fmt == renderer.extension.split(".")[0]:
        return f"order-set.{renderer.extension}"
    return f"order-set-{fmt}.{renderer.extension}"


def create_app(config: Config | None = None) -> Guard:
    """The ASGI app for `config`: FastAPI inside the Guard (`.app` is the FastAPI app)."""
    config = config or Config()
    service = Service(config)
    env = _templates()
    css = (importlib.resources.files("orderset.templates") / "service.css").read_bytes()
    examples = _examples()

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service.start()
        # Everything loaded so far (plugins, pint's registry) lives as long as the server: kept
        # out of the garbage collector's scans, so no request pays for a full collection of it.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(
        title="orderset",
        version=__version__,
        description="Patient-specific order sets for acute necrotizing encephalopathy (ANE).",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service
    media: dict[str, Any] = {r.media_type: {} for r in service.formats.values()}

    @app.exception_handler(InputError)
    async def _on_input(_request: Request, exc: InputError) -> Response:
        return input_error(exc)

    @app.exception_handler(PluginError)
    async def _on_plugin(_request: Request, exc: PluginError) -> Response:
        return plugin_error(exc)

    @app.exception_handler(Exception)
    async def _on_crash(_request: Request, exc: Exception) -> Response:
        # The log gets the type only: a message may quote patient data.
        import logging

        logging.getLogger("orderset.service").error("internal error: %s", type(exc).__name__)
        return JSONResponse({"error": "internal error"}, status_code=500)

    # ---- API ------------------------------------------------------------------------------

    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.post(
        "/api/order-sets",
        tags=["order sets"],
        summary="Build the order set for one case",
        description=(
            "The body is the case (input format 1) with the clinician's optional `selections`"
            " (order id -> true/false). The answer is the file `orderset build --format FORMAT`"
            " writes: `format` chooses it, else the Accept header, else JSON. Bad input: 400"
            " with the field path. A failing plugin: 500 naming the plugin, no partial body."
        ),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": schema.request_schema()}},
            },
            "parameters": [
                {
                    "name": "format",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": list(service.formats)},
                },
                {
                    "name": "prepared_at",
                    "in": "query",
                    "required": False,
                    "description": "worksheet, labels, JSON: when the doses are prepared, ISO 8601"
                    " with its UTC offset (2026-11-22T08:30-05:00); beyond-use times count from"
                    " it. Default for the worksheet and labels: the time of the request",
                    "schema": {"type": "string", "format": "date-time"},
                },
                {
                    "name": "label_layout",
                    "in": "query",
                    "required": False,
                    "description": "labels only: 10 per Letter page (sheet, the default) or"
                    " one per 4 x 2 inch page (single)",
                    "schema": {"type": "string", "enum": list(preptime.LABEL_LAYOUTS)},
                },
                {
                    "name": "profile",
                    "in": "query",
                    "required": False,
                    "description": "a bundled profile name (default: the server's profile)",
                    "schema": {"type": "string", "enum": sorted(bundled_profiles())},
                },
            ],
            "responses": {
                "200": {"description": "the order set", "content": media},
                "400": {"description": "bad input: `field` and `message`"},
                "406": {"description": "no format matches the Accept header"},
                "413": {"description": "the body is too large"},
                "500": {"description": "a plugin failed: `plugin` and `message`"},
            },
        },
    )
    async def order_sets(request: Request) -> Response:
        check_query(request.query_params.keys())
        fmt = request.query_params.get("format")
        if fmt is None:
            fmt = negotiate(request.headers.get("accept"), service.formats)
            if fmt is None:
                return JSONResponse(
                    {
                        "error": "not acceptable",
                        "message": "no format matches the Accept header (known: "
                        + ", ".join(r.media_type for r in service.formats.values())
                        + ")",
                    },
                    status_code=406,
                )
        if fmt not in service.formats:
            raise InputError(
                "format", f"unknown format {fmt!r} (known: {', '.join(service.formats)})"
            )
        profile = service.profile_for(request.query_params.get("profile"))
        options = preparation_options(
            fmt,
            request.query_params.get("prepared_at"),
            request.query_params.get("label_layout"),
        )
        case, selections = split_request(_parse_json(await request.body()))
        data = await service.render(case, selections, fmt, profile, options)
        return Response(data, media_type=service.formats[fmt].media_type)

    @app.get("/api/formats", tags=["service"])
    async def formats() -> dict[str, Any]:
        return {
            "formats": [
                {
                    "name": r.name,
                    "media_type": r.media_type,
                    "extension": r.extension,
                    "description": r.description,
                }
                for r in service.formats.values()
            ]
        }

    @app.get("/api/examples", tags=["examples"])
    async def list_examples() -> dict[str, list[str]]:
        return {"examples": sorted(examples)}

    @app.get("/api/examples/{name}", tags=["examples"])
    async def get_example(name: str) -> Response:
        if name not in examples:
            return JSONResponse(
                {"error": "not found", "message": f"no bundled example {name!r}"},
                status_code=404,
            )
        return Response(examples[name].read_bytes(), media_type="application/json")

    @app.get("/api/plugins", tags=["service"])
    async def plugins() -> dict[str, Any]:
        host = service.host
        return {
            "plugins": [
                {"name": p.name, "version": p.version, "source": p.source, "hooks": list(p.hooks)}
                for p in host.plugins
            ],
            "failed": [{"name": f.name, "error": f.error} for f in host.failures],
        }

    @app.get("/api/rules", tags=["service"])
    async def rules() -> dict[str, Any]:
        from orderset.engine import engine_rules
        from orderset.rules import RULES_VERSION

        return {
            "rules_version": RULES_VERSION,
            "rules": [
                {
                    "id": r.id,
                    "title": r.title,
                    "grade": r.grade,
                    "sources": list(r.sources),
                    "plugin": r.plugin,
                    "description": r.description,
                }
                for r in [*engine_rules(), *service.host.rules()]
            ],
        }

    # ---- the page -------------------------------------------------------------------------

    def page(template: str, status: int = 200, **context: Any) -> Response:
        html = env.get_template(template).render(version=__version__, **context)
        return Response(html, status_code=status, media_type="text/html; charset=utf-8")

    def form_page(
        values: Mapping[str, str], errors: Mapping[str, str] | None = None, status: int = 200
    ) -> Response:
        errors = dict(errors or {})
        general = errors.pop("", None)
        return page(
            "service_form.html.j2",
            status,
            fields=form_fields.case_fields(),
            heading=form_fields.heading,
            list_status=form_fields.LIST_STATUS,
            values=values,
            errors=errors,
            general=general,
            examples=sorted(examples),
        )

    def error_map(field: str, reason: str) -> dict[str, str]:
        anchor = form_fields.error_anchor(field)
        message = f"{field}: {reason}" if field and not anchor else reason
        return {anchor: message}

    @app.get("/", include_in_schema=False)
    async def form(request: Request) -> Response:
        name = request.query_params.get("example")
        values: dict[str, str] = {}
        if name:
            if name not in examples:
                return form_page({}, {"": f"example: no bundled example {name!r}"}, 404)
            values = form_fields.case_to_form(json.loads(examples[name].read_text()))
        return form_page(values)

    @app.post("/", include_in_schema=False)
    async def submit(request: Request) -> Response:
        values = _form_values((await request.form()).multi_items())
        try:
            case = form_fields.form_to_case(values)
        except form_fields.FormError as exc:
            return form_page(values, error_map(exc.field, exc.reason), 400)
        blank = form_fields.missing(values)
        if blank:  # every one at once, in the loader's words
            return form_page(values, dict.fromkeys(blank, "is required"), 400)
        if not case.get("assessed_at"):
            # Fixed now, so the result, its printout and every download agree.
            case = {"assessed_at": _now_iso(), **case}
        try:
            order_set = await service.build(case, None)
        except InputError as exc:
            return form_page(values, error_map(exc.field, exc.reason), 400)
        return result_page(case, order_set)

    def result_page(
        case: Mapping[str, Any],
        order_set: Any,
        ack: Sequence[str] = (),
        status: int = 200,
    ) -> Response:
        from orderset.model import SECTION_TITLES

        sections = [
            (title, [o for o in order_set.orders if o.section == section])
            for section, title in SECTION_TITLES.items()
        ]
        return page(
            "service_result.html.j2",
            status,
            order_set=order_set,
            sections=[(t, orders) for t, orders in sections if orders],
            case_json=json.dumps(case, ensure_ascii=False, separators=(",", ":")),
            formats=list(service.formats.values()),
            pharmacy=pharmacy.receiver(order_set.settings),
            ack=ack,
        )

    async def ticked(
        form: Mapping[str, str], items: Sequence[tuple[str, Any]]
    ) -> tuple[dict[str, Any], dict[str, bool]]:
        """The case from the hidden field and the clinician's ticks that differ from the
        engine's own selection (so an untouched order stays "selected by the rule")."""
        case, _ = split_request(_parse_json(form.get("case_json", "").encode()))
        shown = [v for k, v in items if k == "shown" and isinstance(v, str)]
        checked = {v for k, v in items if k == "select" and isinstance(v, str)}
        engine = await service.build(case, None)
        default = {o.id: o.selected for o in engine.orders}
        selections = {
            oid: oid in checked
            for oid in shown
            if oid in default and default[oid] != (oid in checked)
        }
        return case, selections

    @app.post("/order-set", include_in_schema=False)
    async def update(request: Request) -> Response:
        posted = await request.form()
        items = posted.multi_items()
        form = _form_values(items)
        case, selections = await ticked(form, items)
        if "edit" in form:
            return form_page(form_fields.case_to_form(case))
        order_set = await service.build(case, selections)
        return result_page(case, order_set)

    @app.post("/order-set/download", include_in_schema=False)
    async def download(request: Request) -> Response:
        posted = await request.form()
        items = posted.multi_items()
        form = _form_values(items)
        fmt = form.get("format", "")
        if fmt not in service.formats:
            raise InputError("format", f"unknown format {fmt!r}")
        options = preparation_options(fmt, None, None)  # the worksheet: prepared now
        case, selections = await ticked(form, items)
        data = await service.render(case, selections, fmt, options=options)
        renderer = service.formats[fmt]
        return Response(
            data,
            media_type=renderer.media_type,
            headers={"content-disposition": f'attachment; filename="{_filename(fmt, renderer)}"'},
        )

    @app.post("/order-set/send", include_in_schema=False)
    async def send(request: Request) -> Response:
        posted = await request.form()
        items = posted.multi_items()
        case, selections = await ticked(_form_values(items), items)
        order_set = await service.build(case, selections)
        target = pharmacy.receiver(order_set.settings)
        if target is None:
            raise InputError("pharmacy", "this profile configures no pharmacy receiver")
        ack = await run_in_threadpool(send_to_pharmacy, order_set, target)
        return result_page(case, order_set, ack=ack)

    @app.get("/static/service.css", include_in_schema=False)
    async def stylesheet() -> Response:
        return Response(css, media_type="text/css")

    return Guard(app, max_body=config.max_body)


def send_to_pharmacy(order_set: OrderSet, target: tuple[str, int]) -> list[str]:
    """Send as `orderset send` does and describe each acknowledgement in its words."""
    from orderset.renderers.hl7 import build_messages
    from orderset.renderers.mllp import send_messages

    messages = build_messages(order_set)
    if not messages:
        return ["no selected orders, nothing sent"]
    lines = []
    for outcome in send_messages(messages, *target, timeout=10, retries=2):
        m = outcome.message
        what = f"{m.structure.replace('_', '^')} {m.control_id} ({len(m.order_ids)} orders)"
        if outcome.accepted and outcome.ack is not None:
            lines.append(f"accepted ({outcome.ack.code}): {what}")
        elif outcome.status == "rejected":
            code = outcome.ack.code if outcome.ack and outcome.ack.code else "no MSA-1"
            lines.append(f"REJECTED ({code}): {what}: {outcome.detail}")
        elif outcome.status == "no acknowledgement":
            lines.append(
                f"NOT ACKNOWLEDGED after {outcome.attempts} attempt(s): {what}: {outcome.detail};"
                " the pharmacy may still have it"
            )
        else:
            lines.append(f"NOT SENT: {what}: {outcome.detail}")
    return lines


def _examples() -> dict[str, Path]:
    from orderset.cli import bundled_examples

    return bundled_examples()


def run(config: Config, *, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve until interrupted. The access log is off: the Guard logs each request's id,
    route, status, sizes and time, and nothing else."""
    import logging

    import uvicorn

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("orderset.service")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        access_log=False,
        server_header=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
