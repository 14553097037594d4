"""Sending HL7 messages over MLLP and reading each acknowledgement.

A small blocking socket client rather than python-hl7's: its `MLLPClient` reads the reply with a
single `recv` and has no timeout, so an ACK split across TCP segments is cut short and a receiver
that never answers hangs the command for ever. Its asyncio streams would work, but for sending
two messages in sequence a socket with one deadline per reply is shorter, keeps asyncio and a
runtime dependency out of the CLI, and makes each failure easy to name.

Rules: one connection per message (servers such as hl7apy's close after each reply); a message
counts as accepted only when an ACK with MSA-1 `AA` or `CA` that names its MSH-10 came back;
only a connection failure or a timeout is retried, with the same bytes and the same MSH-10 so
the receiver can recognise a duplicate; a rejection (AE/AR/CE/CR) is final and stops the run,
and the messages after it are reported as not sent.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

from attrs import frozen

from orderset.errors import OrdersetError
from orderset.renderers.hl7 import HL7Message

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"
ACCEPT_CODES = ("AA", "CA")
#: An ACK is a few hundred bytes; refuse to buffer an endless reply.
MAX_REPLY_BYTES = 1 << 20


class TransportError(OrdersetError, ConnectionError):
    """No usable acknowledgement: connection refused or lost, timeout, or a cut-off reply."""


def frame(message: bytes) -> bytes:
    """MLLP framing: 0x0B, the message, 0x1C 0x0D."""
    return START_BLOCK + message + END_BLOCK


@frozen
class Ack:
    """The parts of an acknowledgement that decide the outcome (MSA-1, MSA-2, MSA-3 or ERR)."""

    code: str
    control_id: str
    text: str

    @property
    def accepted(self) -> bool:
        return self.code in ACCEPT_CODES


def _unescape(text: str, field: str, component: str, repetition: str, escape: str) -> str:
    if escape not in text:
        return text
    table = {"F": field, "S": component, "R": repetition, "E": escape, "T": "&"}
    out, i = [], 0
    while i < len(text):
        end = text.find(escape, i + 1) if text[i] == escape else -1
        if end > i and text[i + 1 : end] in table:
            out.append(table[text[i + 1 : end]])
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse_ack(payload: bytes) -> Ack:
    """Read MSA (and ERR-8 or ERR-3 text when MSA-3 is empty) from an ACK message.

    A reply with no MSH or MSA is returned as an Ack with an empty code: never accepted.
    """
    text = payload.decode("utf-8", errors="replace")
    segments = [s for s in text.replace("\n", "\r").split("\r") if s]
    if not segments or not segments[0].startswith("MSH") or len(segments[0]) < 8:
        return Ack("", "", "the reply is not an HL7 message")
    sep = segments[0][3]
    component, repetition, escape = segments[0][4], segments[0][5], segments[0][6]
    subcomponent = segments[0][7]

    def clean(value: str) -> str:
        value = value.replace(subcomponent, " ")
        return _unescape(value, sep, component, repetition, escape).strip()

    msa = next((s.split(sep) for s in segments if s.startswith("MSA" + sep)), None)
    if msa is None:
        return Ack("", "", "the reply has no MSA segment")
    msa += [""] * 4
    code, control_id, message = msa[1].strip(), clean(msa[2]), clean(msa[3])
    if not message:
        errors = [s.split(sep) + [""] * 9 for s in segments if s.startswith("ERR" + sep)]
        for err in errors:
            # ERR-8 user message, else the text (or code) of ERR-3, the HL7 error code.
            code_parts = [*err[3].split(component), ""]
            message = clean(err[8]) or clean(code_parts[1]) or clean(code_parts[0])
            if message:
                break
    return Ack(code, control_id, message)


def _read_frame(sock: socket.socket, timeout: float) -> bytes:
    """Read until a whole MLLP frame has arrived, or fail when `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    buffer = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TransportError(f"no acknowledgement within {timeout:g} seconds")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            raise TransportError(f"no acknowledgement within {timeout:g} seconds") from None
        except OSError as exc:
            raise TransportError(
                f"connection lost while waiting for the acknowledgement: {exc}"
            ) from None
        if not chunk:
            what = "an incomplete acknowledgement" if buffer else "no acknowledgement"
            raise TransportError(f"the receiver closed the connection after {what}")
        buffer += chunk
        start = buffer.find(START_BLOCK)
        if start >= 0:
            end = buffer.find(END_BLOCK, start + 1)
            if end >= 0:
                return bytes(buffer[start + 1 : end])
        if len(buffer) > MAX_REPLY_BYTES:
            raise TransportError("the reply is not an MLLP frame (no end block in 1 MiB)")


def _resolve(host: str, port: int, timeout: float) -> list[tuple[Any, ...]]:
    """getaddrinfo with a time limit: the system resolver has none of its own, and a DNS
    server that never answers held `send --timeout 1` for 10 s per attempt. The lookup runs in
    a daemon thread; past the limit it is abandoned and the attempt fails."""
    found: dict[str, Any] = {}

    def lookup() -> None:
        try:
            found["addresses"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            found["error"] = exc

    worker = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TransportError(f"cannot resolve {host}: no answer within {timeout:g} s")
    if "error" in found:
        exc = found["error"]
        raise TransportError(f"cannot resolve {host}: {exc.strerror or exc}")
    addresses: list[tuple[Any, ...]] = found["addresses"]
    return addresses


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    """A connection within `timeout` seconds in all, name resolution included."""
    deadline = time.monotonic() + timeout
    last: OSError | None = None
    for family, kind, proto, _, address in _resolve(host, port, timeout):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock = socket.socket(family, kind, proto)
        sock.settimeout(remaining)
        try:
            sock.connect(address)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        sock.settimeout(timeout)
        return sock
    if last is None or isinstance(last, TimeoutError):
        raise TimeoutError("timed out")
    raise last


def exchange(host: str, port: int, message: bytes, timeout: float) -> Ack:
    """Send one framed message on a new connection and return its acknowledgement."""
    try:
        sock = _connect(host, port, timeout)
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise TransportError(f"cannot connect to {host}:{port}: {reason}") from None
    with sock:
        try:
            sock.sendall(frame(message))
        except OSError as exc:
            raise TransportError(f"connection lost while sending: {exc}") from None
        return parse_ack(_read_frame(sock, timeout))


Status = Literal["accepted", "rejected", "no acknowledgement", "not sent"]


@frozen
class Outcome:
    """What happened to one message. Only `accepted` means the receiver took it."""

    message: HL7Message
    status: Status
    detail: str = ""
    ack: Ack | None = None
    attempts: int = 0

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


def send_messages(
    messages: Sequence[HL7Message],
    host: str,
    port: int,
    *,
    timeout: float = 10.0,
    retries: int = 2,
    backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Outcome]:
    """Send the messages in order, one outcome each; stop at the first that is not accepted.

    `retries` extra attempts are made only after a connection failure or a timeout, never after
    an acknowledgement that is not AA/CA.
    """
    outcomes: list[Outcome] = []
    for index, message in enumerate(messages):
        outcome = _send_one(message, host, port, timeout, retries, backoff, sleep)
        outcomes.append(outcome)
        if not outcome.accepted:
            outcomes.extend(
                Outcome(m, "not sent", "an earlier message was not accepted")
                for m in messages[index + 1 :]
            )
            break
    return outcomes


def _send_one(
    message: HL7Message,
    host: str,
    port: int,
    timeout: float,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None],
) -> Outcome:
    data = message.encode()
    failure = ""
    for attempt in range(1, retries + 2):
        try:
            ack = exchange(host, port, data, timeout)
        except TransportError as exc:
            failure = str(exc)
            if attempt <= retries:
                sleep(backoff * attempt)
            continue
        if ack.control_id != message.control_id:
            detail = (
                f"the acknowledgement names message {ack.control_id or '(none)'}, not"
                f" {message.control_id}"
            )
            return Outcome(message, "rejected", detail, ack, attempt)
        if ack.accepted:
            return Outcome(message, "accepted", ack.text, ack, attempt)
        return Outcome(message, "rejected", ack.text or "(no text)", ack, attempt)
    return Outcome(message, "no acknowledgement", failure, None, retries + 1)
