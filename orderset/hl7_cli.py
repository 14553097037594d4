"""The HL7 parts of the command line: `build --format hl7 --replaces/--message-time` and
`orderset send` (routing per message type, `--only`, and the acknowledged-message log).

Kept out of `orderset.cli` so that module only wires arguments to commands.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orderset.errors import InputError
from orderset.textfiles import read_text

#: A previous JSON order set is at most this size (the JSON of one case is about 30 kB).
MAX_PREVIOUS_BYTES = 5_000_000
#: The acknowledged-message log is at most this size (one line per accepted message).
MAX_LOG_BYTES = 10_000_000
STRUCTURES = {"omp": "OMP_O09", "omg": "OMG_O19"}


# ---- arguments --------------------------------------------------------------------------------


def add_build_arguments(build: argparse.ArgumentParser) -> None:
    build.add_argument(
        "--replaces",
        metavar="PREVIOUS.json",
        help="hl7 only: the JSON order set sent before for this patient; send only what"
        " changed (NW new, XO changed, DC/CA removed, nothing for unchanged orders)",
    )
    build.add_argument(
        "--message-time",
        metavar="TIME",
        help="hl7 only: MSH-7/ORC-9/TQ1-7, e.g. 2026-11-22T06:30:00-05:00 (default: assessed_at)",
    )


def add_send_arguments(send: argparse.ArgumentParser) -> None:
    send.add_argument("--omp", metavar="HOST:PORT", help="receiver of the OMP^O09 (medications)")
    send.add_argument(
        "--omg", metavar="HOST:PORT", help="receiver of the OMG^O19 (nursing, labs, consults)"
    )
    send.add_argument(
        "--only", choices=sorted(STRUCTURES), help="send only the OMP^O09 or only the OMG^O19"
    )
    send.add_argument(
        "--skip-acknowledged",
        metavar="LOG",
        help="a log of accepted messages: those in it are not resent, and each newly accepted"
        " message is added (so a re-run after a partial failure resends only the rest)",
    )
    send.add_argument(
        "--replaces",
        metavar="PREVIOUS.json",
        help="the JSON order set sent before: send only what changed (as build --replaces)",
    )
    send.add_argument(
        "--message-time",
        metavar="TIME",
        help="MSH-7/ORC-9/TQ1-7 (default: now, when the messages are sent)",
    )


# ---- values -----------------------------------------------------------------------------------


def message_time(text: str | None) -> dt.datetime | None:
    """`--message-time`: an ISO date and time with its UTC offset, as `assessed_at`."""
    if text is None:
        return None
    from orderset.loader import parse_datetime

    return parse_datetime(text, "--message-time")


def now() -> dt.datetime:
    """The send time, to the second, in the machine's UTC offset."""
    return dt.datetime.now(dt.UTC).astimezone().replace(microsecond=0)


NOT_AN_ORDER_SET = (
    "not the order set that was sent: give the JSON order set built then"
    " (orderset build CASE --format json -o sent.json)"
)


def previous(path: str | None) -> Mapping[str, Any] | None:
    """`--replaces`: the previous JSON order set, parsed."""
    if path is None:
        return None
    try:
        text = read_text(
            path, max_bytes=MAX_PREVIOUS_BYTES, kind="JSON order set", missing="file not found"
        )
    except InputError as exc:  # named as the option the user typed, as the other errors are
        raise InputError("--replaces", f"{path}: {exc.reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            "--replaces",
            f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
        ) from None
    except RecursionError:
        raise InputError("--replaces", f"{path}: is nested too deeply") from None
    if not isinstance(data, dict):
        raise InputError("--replaces", f"{path}: {NOT_AN_ORDER_SET}")
    if "schema" not in data and "patient" in data and "clinical" in data:
        raise InputError("--replaces", f"{path}: is a patient case, {NOT_AN_ORDER_SET}")
    return data


def named(exc: InputError, path: str | None) -> InputError:
    """An error in the previous order set, as the command line names it (`--replaces FILE`)."""
    if not exc.field.startswith("replaces") or path is None:
        return exc
    inner = exc.field[len("replaces") :].lstrip(".")
    return InputError("--replaces", f"{path}: {inner + ': ' if inner else ''}{exc.reason}")


# ---- send -------------------------------------------------------------------------------------


def _destinations(args: argparse.Namespace, settings: Any) -> dict[str, tuple[str, int] | None]:
    """Structure -> (host, port): `--omp`/`--omg`, else `[hl7] omp_address`/`omg_address`, else
    `--host`/`--port`; None when no receiver is known."""
    from orderset.hl7_settings import parse_address

    if (args.host is None) != (args.port is None):
        raise InputError(
            "--host" if args.host is None else "--port", "give --host and --port together"
        )
    default = (args.host, args.port) if args.host and args.port else None
    out: dict[str, tuple[str, int] | None] = {}
    for key, structure in STRUCTURES.items():
        given = getattr(args, key)
        if given:
            out[structure] = parse_address(given, f"--{key}")
        elif settings is not None and settings.get("hl7", f"{key}_address"):
            out[structure] = parse_address(
                settings.get("hl7", f"{key}_address"), f"hl7.{key}_address"
            )
        else:
            out[structure] = default
    return out


def read_log(path: str) -> set[str]:
    """MSH-10s of the messages a log records as accepted (absent file: none)."""
    if not Path(path).exists():
        return set()
    text = read_text(path, max_bytes=MAX_LOG_BYTES, kind="log", missing="file not found")
    accepted = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            accepted.add(str(entry["control_id"]))
        except (json.JSONDecodeError, KeyError, TypeError):
            raise InputError(path, f"line {number} is not a log entry") from None
    return accepted


def append_log(path: str, entry: Mapping[str, Any]) -> None:
    """One line per accepted message, on disk before the next message is sent."""
    line = json.dumps(entry, sort_keys=True, ensure_ascii=True) + "\n"
    with open(path, "a", encoding="ascii") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def send(args: argparse.Namespace, order_set: Any) -> int:
    """Send each message to its receiver and wait for its ACK; exit 3 unless all accepted.
    Messages the log records as accepted are skipped; after the first message that is not
    accepted the rest are not sent (a re-run with the log sends only those)."""
    from orderset.cli import EXIT_NOT_ACCEPTED, EXIT_OK
    from orderset.renderers.hl7 import build_messages
    from orderset.renderers.mllp import send_messages

    when = message_time(args.message_time) or now()
    try:
        messages = build_messages(order_set, message_time=when, replaces=previous(args.replaces))
    except InputError as exc:
        raise named(exc, args.replaces) from None
    if args.only:
        messages = tuple(m for m in messages if m.structure == STRUCTURES[args.only])
    routes = _destinations(args, order_set.settings)
    for m in messages:
        if routes[m.structure] is None:
            key = "omp" if m.structure == "OMP_O09" else "omg"
            raise InputError(
                f"--{key}",
                f"no receiver for the {m.structure.replace('_', '^')}: give --{key} HOST:PORT,"
                f" --host and --port, or [hl7] {key}_address in the profile",
            )
    done = read_log(args.skip_acknowledged) if args.skip_acknowledged else set()
    if not messages:
        why = f"nothing changed since {args.replaces}" if args.replaces else "no selected orders"
        print(f"orderset: {why}, nothing to send", file=sys.stderr)
        return EXIT_OK
    failed = False
    for m in messages:
        what = f"{m.structure.replace('_', '^')} {m.control_id} ({len(m.order_ids)} orders)"
        if m.control_id in done:
            print(f"already accepted (in {args.skip_acknowledged}), not resent: {what}")
            continue
        if failed:
            print(
                f"orderset: not sent: {what}: an earlier message was not accepted", file=sys.stderr
            )
            continue
        host, port = routes[m.structure]  # type: ignore[misc]
        (outcome,) = send_messages([m], host, port, timeout=args.timeout, retries=args.retries)
        where = f"{host}:{port}"
        if outcome.accepted and outcome.ack is not None:
            print(f"accepted ({outcome.ack.code}) by {where}: {what}")
            if args.skip_acknowledged:
                append_log(
                    args.skip_acknowledged,
                    {
                        "control_id": m.control_id,
                        "structure": m.structure,
                        "receiver": where,
                        "ack": outcome.ack.code,
                        "orders": list(m.order_ids),
                        "sent_at": when.isoformat(),
                    },
                )
            continue
        failed = True
        if outcome.status == "rejected":
            code = outcome.ack.code if outcome.ack and outcome.ack.code else "no MSA-1"
            print(
                f"orderset: rejected ({code}) by {where}: {what}: {outcome.detail}", file=sys.stderr
            )
        else:
            print(
                f"orderset: not acknowledged by {where} after {outcome.attempts} attempt(s):"
                f" {what}: {outcome.detail}; the receiver may still have it (a resend keeps"
                " MSH-10)",
                file=sys.stderr,
            )
    return EXIT_NOT_ACCEPTED if failed else EXIT_OK
