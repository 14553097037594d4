"""MLLP sending against real listeners on 127.0.0.1: hl7apy's MLLPServer that accepts or
rejects, one that never answers, and raw sockets that close mid-message or split the ACK."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hl7apy.mllp import AbstractHandler, MLLPServer

from orderset.cli import EXIT_NOT_ACCEPTED, main
from orderset.renderers.hl7 import build_messages
from orderset.renderers.mllp import frame, parse_ack, send_messages
from orderset.testing import build

ROOT = Path(__file__).resolve().parent.parent
TODDLER = ROOT / "examples" / "toddler-shock-brainstem.json"
MESSAGE_TYPES = ("OMP^O09^OMP_O09", "OMG^O19^OMG_O19")


def _control_id(message: str) -> str:
    return message.split("\r", 1)[0].split("|")[9]


def ack(message: str, code: str, text: str = "") -> str:
    """An ACK for `message` (MSH-10 echoed in MSA-2), MLLP-framed as hl7apy's server expects."""
    msh = (
        "MSH|^~\\&|PHARMACY|EXAMPLE-CH|ORDERSET|EXAMPLE-CH|20261122060001||ACK^O09^ACK|"
        f"ACK{_control_id(message)[:17]}|P|2.5.1"
    )
    msa = f"MSA|{code}|{_control_id(message)}" + (f"|{text}" if text else "")
    return frame(f"{msh}\r{msa}\r".encode()).decode()


class Receiver:
    """An hl7apy MLLPServer in a thread; records every message it receives."""

    def __init__(self, reply: Callable[[str], str | None]) -> None:
        self.received: list[str] = []
        self.release = threading.Event()
        receiver = self

        class Handler(AbstractHandler):
            def reply(self) -> str:
                receiver.received.append(self.incoming_message)
                answer = reply(self.incoming_message)
                if answer is None:  # never answer: hold the connection until the test ends
                    receiver.release.wait(30)
                    raise ConnectionAbortedError("test over")
                return answer

        self.server = MLLPServer("127.0.0.1", 0, {t: (Handler,) for t in MESSAGE_TYPES})
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class RawListener:
    """A plain TCP listener whose per-connection behaviour the test writes itself."""

    def __init__(self, handle: Callable[[socket.socket, int], None]) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.handle = handle
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.sock.settimeout(0.05)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with conn:
                self.handle(conn, self.connections)

    def __enter__(self) -> RawListener:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def read_message(conn: socket.socket) -> str:
    data = b""
    conn.settimeout(5)
    while not data.endswith(b"\x1c\r"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data[1:-2].decode()


#: `send` stamps MSH-7 with the send time; these tests fix it to compare the bytes built.
AT_ASSESSMENT = ["--message-time", "2026-11-22T06:00:00-05:00"]


def _send_cli(port: int, *extra: str) -> int:
    argv = ["send", str(TODDLER), "--host", "127.0.0.1", "--port", str(port), *AT_ASSESSMENT]
    return main([*argv, *extra])


@pytest.fixture
def messages() -> Any:
    return build_messages(build(json.loads(TODDLER.read_text())))


# ---- accepted ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["AA", "CA"])
def test_every_message_acknowledged_exits_0(code: str, capsys: Any, messages: Any) -> None:
    with Receiver(lambda m: ack(m, code)) as receiver:
        assert _send_cli(receiver.port) == 0
    assert receiver.received == [m.text for m in messages], "the bytes built, unchanged"
    out = capsys.readouterr().out
    assert out.count(f"accepted ({code})") == len(messages) == 2
    for message in messages:
        assert message.control_id in out


def test_an_ack_split_across_tcp_segments_is_read_whole(messages: Any) -> None:
    def slow_ack(conn: socket.socket, _n: int) -> None:
        reply = ack(read_message(conn), "AA", "accepted after a pause").encode()
        for i in range(0, len(reply), 7):
            conn.sendall(reply[i : i + 7])
            time.sleep(0.01)

    with RawListener(slow_ack) as listener:
        outcomes = send_messages(messages, "127.0.0.1", listener.port, timeout=5, retries=0)
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    assert outcomes[0].ack is not None and outcomes[0].ack.text == "accepted after a pause"


# ---- rejected -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["AE", "AR", "CE", "CR"])
def test_a_rejection_exits_nonzero_with_the_msa_text_and_is_never_resent(
    code: str, capsys: Any
) -> None:
    reason = "Unknown drug code MPRED-INJ & no formulary match"
    with Receiver(lambda m: ack(m, code, reason.replace("&", "\\T\\"))) as receiver:
        status = _send_cli(receiver.port, "--retries", "3")
    assert status == EXIT_NOT_ACCEPTED
    assert len(receiver.received) == 1, "no resend after a rejection, nothing sent after it"
    captured = capsys.readouterr()
    assert f"rejected ({code})" in captured.err
    assert reason in captured.err
    assert "not sent: OMG^O19" in captured.err
    assert "accepted" not in captured.out


def test_an_ack_for_another_message_is_not_an_acceptance(messages: Any) -> None:
    def wrong_id(message: str) -> str:
        return ack(message.replace(_control_id(message), "SOMETHING-ELSE"), "AA")

    with Receiver(wrong_id) as receiver:
        outcomes = send_messages(messages, "127.0.0.1", receiver.port, timeout=5, retries=2)
    assert outcomes[0].status == "rejected"
    assert "SOMETHING-ELSE" in outcomes[0].detail
    assert len(receiver.received) == 1


def test_err_segment_text_is_reported_when_msa_has_none() -> None:
    reply = (
        b"MSH|^~\\&|RX|F|OS|F|20261122||ACK|1|P|2.5.1\rMSA|AE|ABC\r"
        b"ERR||PID^1^5|103^Table value not found^HL70357|E||||Sex code Q \\F\\ unknown\r"
    )
    parsed = parse_ack(reply)
    assert (parsed.code, parsed.control_id, parsed.accepted) == ("AE", "ABC", False)
    assert parsed.text == "Sex code Q | unknown"
    assert parse_ack(b"not hl7").accepted is False
    assert parse_ack(b"MSH|^~\\&|RX\rZZZ|x\r").text == "the reply has no MSA segment"


# ---- no acknowledgement ---------------------------------------------------------------------


def test_a_receiver_that_never_answers_times_out_and_is_retried(capsys: Any) -> None:
    with Receiver(lambda m: None) as receiver:
        started = time.monotonic()
        status = _send_cli(receiver.port, "--timeout", "0.3", "--retries", "1")
        elapsed = time.monotonic() - started
    assert status == EXIT_NOT_ACCEPTED
    assert len(receiver.received) == 2, "one retry of the same message after the timeout"
    assert receiver.received[0] == receiver.received[1]
    assert elapsed < 5
    err = capsys.readouterr().err
    assert "no acknowledgement within 0.3 seconds" in err
    assert "not sent: OMG^O19" in err


def test_a_receiver_that_closes_mid_ack_is_not_an_acceptance(messages: Any) -> None:
    def half_ack(conn: socket.socket, _n: int) -> None:
        reply = ack(read_message(conn), "AA").encode()
        conn.sendall(reply[: len(reply) // 2])

    with RawListener(half_ack) as listener:
        outcomes = send_messages(
            messages, "127.0.0.1", listener.port, timeout=5, retries=1, backoff=0
        )
    assert [o.status for o in outcomes] == ["no acknowledgement", "not sent"]
    assert "incomplete acknowledgement" in outcomes[0].detail
    assert outcomes[0].attempts == 2
    assert listener.connections == 2


def test_a_receiver_that_closes_while_the_message_arrives(capsys: Any) -> None:
    def hang_up(conn: socket.socket, _n: int) -> None:
        conn.recv(16)

    with RawListener(hang_up) as listener:
        status = _send_cli(listener.port, "--retries", "0")
    assert status == EXIT_NOT_ACCEPTED
    assert listener.connections == 1
    err = capsys.readouterr().err
    assert "not acknowledged by 127.0.0.1:" in err
    assert "after 1 attempt(s): OMP^O09" in err
    assert "accepted" not in capsys.readouterr().out


def test_a_server_error_without_reply_from_hl7apy_is_not_an_acceptance(messages: Any) -> None:
    def broken(message: str) -> str:
        raise RuntimeError("receiver crashed")

    with Receiver(broken) as receiver:
        outcomes = send_messages(messages, "127.0.0.1", receiver.port, timeout=5, retries=0)
    assert outcomes[0].status == "no acknowledgement"
    assert "closed the connection after no acknowledgement" in outcomes[0].detail


def test_connection_refused_is_retried_then_reported(messages: Any) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    waits: list[float] = []
    outcomes = send_messages(
        messages, "127.0.0.1", port, timeout=1, retries=2, backoff=0.5, sleep=waits.append
    )
    assert [o.status for o in outcomes] == ["no acknowledgement", "not sent"]
    assert outcomes[0].attempts == 3
    assert waits == [0.5, 1.0]
    assert "cannot connect to 127.0.0.1" in outcomes[0].detail


def test_a_dropped_first_attempt_then_an_ack_is_accepted(messages: Any) -> None:
    def flaky(conn: socket.socket, n: int) -> None:
        message = read_message(conn)
        if n > 1:
            conn.sendall(ack(message, "AA").encode())

    with RawListener(flaky) as listener:
        outcomes = send_messages(messages, "127.0.0.1", listener.port, timeout=5, backoff=0)
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    assert [o.attempts for o in outcomes] == [2, 1]
    assert listener.connections == 3


@pytest.mark.parametrize(
    "extra",
    [["--port", "0"], ["--port", "1", "--timeout", "-1"], ["--port", "1", "--retries", "x"]],
)
def test_send_argument_errors_exit_2(extra: list[str], capsys: Any) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["send", str(TODDLER), "--host", "127.0.0.1", *extra])
    assert exit_info.value.code == 2
    assert "orderset: error:" in capsys.readouterr().err
