"""The `orderset` command line.

Exit status: 0 on success, 2 on bad input (one line naming the field), 1 on an internal error
or a failing plugin. On any error no output file is created, and an existing one is untouched.
`send` exits 3 when a message was not acknowledged with AA or CA (the reason is printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.resources
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from orderset import _cache, hl7_cli, preptime
from orderset._version import __version__
from orderset.errors import InputError, PluginError
from orderset.renderers import BUILTIN_FORMATS, Renderer, check_options, renderers

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2
EXIT_NOT_ACCEPTED = 3
#: Ctrl-C: 128 + SIGINT, as a shell reports it.
EXIT_INTERRUPTED = 130
EXAMPLE_PREFIX = "example:"


def bundled_examples() -> dict[str, Path]:
    """Bundled example cases by name (file name without .json)."""
    root = importlib.resources.files("orderset.examples")
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in root.iterdir()
        if entry.name.endswith(".json")
    }


def resolve_case_path(arg: str) -> Path:
    """A path, or `example:NAME` for a bundled example case."""
    if arg.startswith(EXAMPLE_PREFIX):
        name = arg[len(EXAMPLE_PREFIX) :]
        examples = bundled_examples()
        if name not in examples:
            raise InputError(arg, f"no bundled example (known: {', '.join(sorted(examples))})")
        return examples[name]
    return Path(arg)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INPUT, f"orderset: error: {message}\n")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="orderset", description="ANE order sets from a patient case.")
    parser.add_argument("--version", action="version", version=f"orderset {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    build = sub.add_parser("build", help="build the order set for a case")
    build.add_argument(
        "cases",
        nargs="+",
        metavar="CASE",
        help="case JSON file, or example:NAME for a bundled example; several need -o DIR",
    )
    build.add_argument(
        "--profile", help="institution profile: a TOML file or a bundled name (default: default)"
    )
    build.add_argument(
        "--format",
        default="json",
        metavar="FORMAT",
        help=f"{', '.join(BUILTIN_FORMATS)}, or a format a plugin adds (default: json)",
    )
    build.add_argument(
        "-o",
        "--output",
        help="output file ('-' for stdout), or a directory for several cases (default: stdout)",
    )
    build.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=None,
        help=f"worker processes for several cases (1 to {MAX_JOBS})",
    )
    build.add_argument(
        "--disable", action="append", default=[], metavar="NAME", help="disable a plugin by name"
    )
    build.add_argument(
        "--prepared-at",
        type=_prepared_at,
        metavar="ISO",
        help="when the doses are prepared, with its UTC offset (2026-11-22T08:30-05:00);"
        " beyond-use times count from it (worksheet and labels default: now)",
    )
    build.add_argument(
        "--label-layout",
        choices=preptime.LABEL_LAYOUTS,
        default=None,
        help="labels: 'sheet' (10 labels of 4 x 2 inches on a Letter page) or 'single'"
        " (one label per page, for a label printer); default sheet",
    )
    build.add_argument(
        "--skip-broken-plugins",
        action="store_true",
        help="if a third-party plugin fails to load, continue without it (an alert says so)",
    )
    hl7_cli.add_build_arguments(build)

    plugins = sub.add_parser("plugins", help="list the loaded plugins and their hooks")
    plugins.add_argument("--json", action="store_true", help="print JSON instead of a table")

    sub.add_parser("examples", help="list the bundled example cases")
    rules = sub.add_parser(
        "rules", help="print the clinical rules the plugins encode (Markdown table)"
    )
    rules.add_argument(
        "--document",
        action="store_true",
        help="print docs/clinical-rules.md instead: every rule with its records' figures",
    )
    _add_send_parser(sub)
    _add_serve_parser(sub)

    definition = sub.add_parser(
        "definition",
        help="the order set itself (not a patient's) as a FHIR PlanDefinition",
    )
    definition.add_argument(
        "--format",
        default="fhir",
        choices=["fhir"],
        help="fhir: a Bundle with a"
        " PlanDefinition (type order-set) and its ActivityDefinitions (default: fhir)",
    )
    definition.add_argument(
        "--profile", help="institution profile: a TOML file or a bundled name (default: default)"
    )
    definition.add_argument("-o", "--output", help="output file ('-' for stdout; default: stdout)")
    return parser


def _add_send_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    send = sub.add_parser("send", help="send the order set as HL7 v2.5.1 over MLLP")
    send.add_argument("case", help="case JSON file, or example:NAME for a bundled example")
    send.add_argument("--host", help="receiver host name or address (both message types)")
    send.add_argument("--port", type=_port, help="receiver TCP port (both message types)")
    send.add_argument(
        "--timeout",
        type=_seconds,
        default=10.0,
        help="seconds to wait for each acknowledgement (default: 10)",
    )
    send.add_argument(
        "--retries",
        type=_retries,
        default=2,
        help="extra attempts after a connection failure or timeout, never after a rejection"
        " (default: 2)",
    )
    send.add_argument(
        "--profile", help="institution profile: a TOML file or a bundled name (default: default)"
    )
    send.add_argument(
        "--disable", action="append", default=[], metavar="NAME", help="disable a plugin by name"
    )
    hl7_cli.add_send_arguments(send)


def _add_serve_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    serve = sub.add_parser(
        "serve", help="the web form and HTTP API (needs: pip install 'orderset[service]')"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument("--port", type=_port, default=8080, help="TCP port (default: 8080)")
    serve.add_argument(
        "--profile", help="institution profile: a TOML file or a bundled name (default: default)"
    )
    serve.add_argument(
        "--workers",
        type=_jobs,
        default=None,
        help="processes that render PDFs (default: one less than the cores, at least 1)",
    )
    serve.add_argument(
        "--disable", action="append", default=[], metavar="NAME", help="disable a plugin by name"
    )


#: Numbers on the command line are ASCII digits only: `str.isdigit`, `int()` and `float()`
#: accept any Unicode digit (`--port ١` would be port 1).
_WHOLE = re.compile(r"[0-9]{1,6}")
_DECIMAL = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,6})?|\.[0-9]{1,6}")
MAX_JOBS = 64


#: The command-line flag of each render option (`orderset.renderers.Renderer.options`).
OPTION_FLAGS = {
    "prepared_at": "--prepared-at",
    "label_layout": "--label-layout",
    "message_time": "--message-time",
    "replaces": "--replaces",
}


def _prepared_at(text: str) -> dt.datetime:
    """`--prepared-at`: an ISO 8601 date and time with its UTC offset, never a bare local time."""
    try:
        return preptime.parse_prepared_at(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.reason) from None


def _port(text: str) -> int:
    if not _WHOLE.fullmatch(text) or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1 to 65535)")
    return int(text)


def _seconds(text: str) -> float:
    value = float(text) if _DECIMAL.fullmatch(text) else 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (over 0 to 3600)")
    return value


def _retries(text: str) -> int:
    if not _WHOLE.fullmatch(text) or int(text) > 10:
        raise argparse.ArgumentTypeError(f"{text!r} is not a retry count (0 to 10)")
    return int(text)


def _jobs(text: str) -> int:
    if not _WHOLE.fullmatch(text) or not 0 < int(text) <= MAX_JOBS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of worker processes (1 to {MAX_JOBS})"
        )
    return int(text)


def _cmd_build(args: argparse.Namespace) -> int:
    from orderset.engine import build_order_set
    from orderset.loader import load_case
    from orderset.output import check_target
    from orderset.plugin.host import make_host
    from orderset.renderers import render
    from orderset.settings import profile_arguments

    output = None if args.output in (None, "-") else args.output
    given = _given_options(args)
    if len(args.cases) > 1 or (output and os.path.isdir(output)):
        return _build_batch(args, given)
    if args.format in ("pdf", *preptime.PHARMACY_FORMATS) and not output and sys.stdout.isatty():
        raise InputError("-o", "a PDF cannot be shown on a terminal; give a file (-o sheet.pdf)")
    if output:
        check_target(output)  # before any work: a refused target costs nothing
    case = load_case(resolve_case_path(args.cases[0]))
    host = make_host(
        disable=args.disable,
        continue_on_error=args.skip_broken_plugins,
        disable_field="--disable",
    )
    extra = host.renderers()
    _check_format(args.format, extra)
    try:
        check_options(args.format, given, extra)
    except InputError as exc:
        raise InputError(OPTION_FLAGS.get(exc.field, exc.field), exc.reason) from None
    options = _option_values(args, given)
    order_set = build_order_set(case, **profile_arguments(args.profile), host=host)
    try:
        data = render(order_set, args.format, extra, **options)
    except InputError as exc:
        raise hl7_cli.named(exc, args.replaces) from None
    if options.get("replaces") is not None and b"\rMSH|" not in data:
        print(f"orderset: nothing changed since {args.replaces}: no message", file=sys.stderr)
    _emit(output, data)
    return EXIT_OK


def _emit(output: str | None, data: bytes) -> None:
    """`data` to the output file (written atomically), or to stdout when there is none."""
    if output:
        from orderset.output import write_atomic

        write_atomic(output, data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def _given_options(args: argparse.Namespace) -> list[str]:
    """The render options given on the command line, by option name."""
    values = {
        "prepared_at": args.prepared_at,
        "label_layout": args.label_layout,
        "message_time": args.message_time,
        "replaces": args.replaces,
    }
    return [name for name, value in values.items() if value is not None]


def _option_values(args: argparse.Namespace, given: Sequence[str]) -> dict[str, Any]:
    """The render options' values; a worksheet or labels without `--prepared-at` are prepared
    now (the build time)."""
    options: dict[str, Any] = {}
    if "prepared_at" in given:
        options["prepared_at"] = args.prepared_at
    elif args.format in preptime.PHARMACY_FORMATS:
        options["prepared_at"] = preptime.now()
    if "label_layout" in given:
        options["label_layout"] = args.label_layout
    if "message_time" in given:
        options["message_time"] = hl7_cli.message_time(args.message_time)
    if "replaces" in given:
        options["replaces"] = hl7_cli.previous(args.replaces)
    return options


def _check_format(fmt: str, extra: Sequence[Renderer] = ()) -> None:
    known = renderers(extra)
    if fmt not in known:
        raise InputError("--format", f"unknown format {fmt!r} (known: {', '.join(known)})")


def _build_batch(args: argparse.Namespace, given: Sequence[str]) -> int:
    """Several cases into a directory, one file each, on every core (built-in formats)."""
    from orderset import batch

    _check_format(args.format)
    if given:
        raise InputError(OPTION_FLAGS[given[0]], "applies to one case at a time, not a batch")
    if not args.output:
        raise InputError("-o", "several cases need an output directory (-o DIR)")
    jobs = batch.plan(
        [resolve_case_path(c) for c in args.cases],
        Path(args.output),
        args.format,
        profile=args.profile,
        disable=args.disable,
        skip_broken_plugins=args.skip_broken_plugins,
    )
    status = EXIT_OK
    failures = []
    for result in batch.run(jobs, workers=args.jobs, progress=batch.default_progress()):
        if result.status:
            failures.append(result)
            status = EXIT_INTERNAL if EXIT_INTERNAL in (status, result.status) else EXIT_INPUT
    for result in failures:
        print(f"orderset: error: {result.case}: {result.message}", file=sys.stderr)
    written = len(jobs) - len(failures)
    print(f"orderset: wrote {written} of {len(jobs)} to {args.output}", file=sys.stderr)
    return status


def _cmd_send(args: argparse.Namespace) -> int:
    """Build as `build --format hl7` does, then send each message to its receiver and wait for
    its ACK (`orderset.hl7_cli.send`). Only AA/CA acknowledgements count as accepted."""
    from orderset.engine import build_order_set
    from orderset.loader import load_case
    from orderset.plugin.host import make_host
    from orderset.settings import profile_arguments

    case = load_case(resolve_case_path(args.case))
    host = make_host(disable=args.disable, disable_field="--disable")
    order_set = build_order_set(case, **profile_arguments(args.profile), host=host)
    return hl7_cli.send(args, order_set)


def _cmd_plugins(args: argparse.Namespace) -> int:
    from orderset.plugin.host import make_host

    host = make_host(continue_on_error=True)
    if args.json:
        rows = [
            {"name": p.name, "version": p.version, "source": p.source, "hooks": list(p.hooks)}
            for p in host.plugins
        ]
        failed = [{"name": f.name, "error": f.error} for f in host.failures]
        print(json.dumps({"plugins": rows, "failed": failed}, indent=2))
        return EXIT_OK
    for p in host.plugins:
        print(f"{p.name}  {p.version}  {p.source}")
        print(f"    hooks: {', '.join(p.hooks)}")
    for f in host.failures:
        print(f"{f.name}  FAILED: {f.error}")
    return EXIT_OK


def _cmd_examples(_args: argparse.Namespace) -> int:
    for name in sorted(bundled_examples()):
        print(f"{EXAMPLE_PREFIX}{name}")
    return EXIT_OK


def _cmd_rules(args: argparse.Namespace) -> int:
    from orderset.engine import engine_rules
    from orderset.plugin.host import make_host
    from orderset.rules import document_for_host, rules_markdown

    if args.document:
        print(document_for_host(make_host()), end="")
        return EXIT_OK
    print(rules_markdown([*engine_rules(), *make_host().rules()]), end="")
    return EXIT_OK


def _cmd_definition(args: argparse.Namespace) -> int:
    from orderset.output import check_target
    from orderset.renderers.fhir_definition import render_definition
    from orderset.settings import profile_arguments

    output = None if args.output in (None, "-") else args.output
    if output:
        check_target(output)
    data = render_definition(**profile_arguments(args.profile))
    _emit(output, data)
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        from orderset.service.app import Config, default_workers, run
    except ImportError as exc:
        print(
            f"orderset: serve needs the service extra ({exc.name} is missing):"
            " pip install 'orderset[service]'",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    config = Config(
        profile=args.profile,
        disable=tuple(args.disable),
        workers=args.workers or default_workers(),
    )
    run(config, host=args.host, port=args.port)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "definition": _cmd_definition,
    "build": _cmd_build,
    "plugins": _cmd_plugins,
    "examples": _cmd_examples,
    "rules": _cmd_rules,
    "send": _cmd_send,
    "serve": _cmd_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    # The command is its own process: it may keep pint's definitions cache (cold start). A
    # library import never does (orderset._cache); this has no effect once units is imported.
    _cache.enable_for_command()
    args = make_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"orderset: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except PluginError as exc:
        print(f"orderset: plugin error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except BrokenPipeError:  # pragma: no cover - output piped into `head`
        return EXIT_OK
    except KeyboardInterrupt:
        print(
            "orderset: interrupted (no partial file is left; finished files are kept)",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("ORDERSET_DEBUG"):
            raise
        print(
            f"orderset: internal error: {type(exc).__name__}: {exc}"
            " (nothing was written; set ORDERSET_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
