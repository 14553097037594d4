"""`orderset send` against two listeners on 127.0.0.1: hl7apy's MLLPServer for the OMP^O09 and
python-hl7's asyncio MLLP server (which decodes ASCII unless told otherwise) for the OMG^O19.
Routing per message type, `--only`, profile addresses, the acknowledged-message log, and the
send time in MSH-7 (findings 6, 7 and 8 over the wire)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hl7
import hl7.mllp
import pytest

from orderset.cli import EXIT_INPUT, EXIT_NOT_ACCEPTED, EXIT_OK, main
from tests.test_mllp import TODDLER, Receiver, ack


class PythonHL7Receiver:
    """python-hl7's asyncio MLLP server in its own thread and event loop; answers each
    message with `create_ack(code)` (MSA-2 = the message's MSH-10) and records it."""

    def __init__(self, code: str = "AA") -> None:
        self.code = code
        self.received: list[str] = []
        self.errors: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    async def _handle(
        self, reader: hl7.mllp.HL7StreamReader, writer: hl7.mllp.HL7StreamWriter
    ) -> None:
        try:
            while not reader.at_eof():
                message = await reader.readmessage()
                self.received.append(str(message))
                writer.writemessage(message.create_ack(self.code))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        except Exception as exc:  # a receiver that cannot decode the message drops it
            self.errors.append(repr(exc))
        finally:
            writer.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> Any:
            return await hl7.mllp.start_hl7_server(self._handle, "127.0.0.1", 0)

        self.server = self.loop.run_until_complete(start())
        self.port = self.server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> PythonHL7Receiver:
        self.thread.start()
        assert self.ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def ascii_profile(tmp_path: Path) -> Path:
    path = tmp_path / "site.toml"
    path.write_text('[hl7]\ncharacter_set = "ASCII"\nomg_receiving_application = "ORDERS"\n')
    return path


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, PythonHL7Receiver]]:
    with Receiver(lambda m: ack(m, "AA")) as omp, PythonHL7Receiver() as omg:
        yield omp, omg


def _structures(texts: list[str]) -> list[str]:
    return [t.split("\r", 1)[0].split("|")[8] for t in texts]


def test_omp_and_omg_go_to_their_own_receivers(
    receivers: Any, ascii_profile: Path, capsys: Any
) -> None:
    omp, omg = receivers
    argv = ["send", str(TODDLER), "--profile", str(ascii_profile)]
    argv += ["--omp", f"127.0.0.1:{omp.port}", "--omg", f"127.0.0.1:{omg.port}"]
    assert main(argv) == EXIT_OK, capsys.readouterr().err
    assert _structures(omp.received) == ["OMP^O09^OMP_O09"]
    assert _structures(omg.received) == ["OMG^O19^OMG_O19"]
    assert "|ORDERS|" in omg.received[0].split("\r", 1)[0]
    assert "36 C" in omg.received[0] and not omg.errors
    out = capsys.readouterr().out
    assert f"by 127.0.0.1:{omp.port}" in out and f"by 127.0.0.1:{omg.port}" in out


def test_a_utf_8_degree_sign_is_dropped_by_an_ascii_receiver_and_reported(
    receivers: Any, capsys: Any
) -> None:
    """Finding 8 over the wire: without the ASCII profile python-hl7's server cannot decode
    the OMG^O19; `send` reports it as not acknowledged (exit 3), never as accepted."""
    _, omg = receivers
    argv = ["send", str(TODDLER), "--only", "omg", "--omg", f"127.0.0.1:{omg.port}"]
    assert main([*argv, "--retries", "0", "--timeout", "2"]) == EXIT_NOT_ACCEPTED
    assert omg.errors and "Unicode" in omg.errors[0]
    assert "not acknowledged" in capsys.readouterr().err


@pytest.mark.parametrize("only", ["omp", "omg"])
def test_only_sends_one_message_type(
    only: str, receivers: Any, ascii_profile: Path, capsys: Any
) -> None:
    omp, omg = receivers
    argv = ["send", str(TODDLER), "--profile", str(ascii_profile), "--only", only]
    argv += ["--omp", f"127.0.0.1:{omp.port}", "--omg", f"127.0.0.1:{omg.port}"]
    assert main(argv) == EXIT_OK
    assert bool(omp.received) == (only == "omp")
    assert bool(omg.received) == (only == "omg")


def test_receivers_can_come_from_the_profile(receivers: Any, tmp_path: Path) -> None:
    omp, omg = receivers
    profile = tmp_path / "routes.toml"
    profile.write_text(
        '[hl7]\ncharacter_set = "ASCII"\n'
        f'omp_address = "127.0.0.1:{omp.port}"\nomg_address = "127.0.0.1:{omg.port}"\n'
    )
    assert main(["send", str(TODDLER), "--profile", str(profile)]) == EXIT_OK
    assert len(omp.received) == len(omg.received) == 1


def test_a_rerun_with_the_log_does_not_resend_what_was_accepted(
    ascii_profile: Path, tmp_path: Path, capsys: Any
) -> None:
    log = tmp_path / "sent.log"
    with Receiver(lambda m: ack(m, "AA")) as omp, PythonHL7Receiver("AR") as omg:
        argv = ["send", str(TODDLER), "--profile", str(ascii_profile), "--skip-acknowledged"]
        argv += [str(log), "--omp", f"127.0.0.1:{omp.port}", "--omg", f"127.0.0.1:{omg.port}"]
        assert main(argv) == EXIT_NOT_ACCEPTED
        assert "rejected (AR)" in capsys.readouterr().err
        (entry,) = [json.loads(line) for line in log.read_text().splitlines()]
        assert entry["structure"] == "OMP_O09" and entry["ack"] == "AA"
        omg.code = "AA"
        assert main(argv) == EXIT_OK
        assert len(omp.received) == 1, "the accepted OMP^O09 was not sent again"
        assert len(omg.received) == 2
        assert "not resent" in capsys.readouterr().out
        assert len(log.read_text().splitlines()) == 2
        assert main(argv) == EXIT_OK
        assert (len(omp.received), len(omg.received)) == (1, 2), "all done: nothing resent"


def test_send_stamps_the_send_time_in_msh_7_and_keeps_msh_10(receivers: Any) -> None:
    omp, _ = receivers
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    argv = ["send", str(TODDLER), "--only", "omp", "--omp", f"127.0.0.1:{omp.port}"]
    assert main(argv) == EXIT_OK
    msh = omp.received[0].split("\r", 1)[0].split("|")
    sent = dt.datetime.strptime(msh[6], "%Y%m%d%H%M%S%z")
    assert sent >= before, "MSH-7 is when it was sent, not assessed_at (2026-11-22 06:00)"
    assert "|20261122060000-0500|" not in omp.received[0]
    given = "2026-11-22T08:00:00-05:00"
    assert main([*argv, "--message-time", given]) == EXIT_OK
    second = omp.received[1].split("\r", 1)[0].split("|")
    assert second[6] == "20261122080000-0500"
    assert second[9] == msh[9], "MSH-10 follows the content, not the time"


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--omp", "127.0.0.1:1"], "--omg"),
        (["--omp", "no-port", "--omg", "127.0.0.1:1"], "--omp"),
        (["--host", "127.0.0.1"], "--port"),
        (["--omp", "127.0.0.1:1", "--omg", "127.0.0.1:99999"], "--omg"),
    ],
)
def test_routing_errors_exit_2_naming_the_option(extra: list[str], named: str, capsys: Any) -> None:
    assert main(["send", str(TODDLER), *extra]) == EXIT_INPUT
    assert named in capsys.readouterr().err


def test_a_bad_address_in_the_profile_is_refused_naming_it(tmp_path: Path, capsys: Any) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_text('[hl7]\nomp_address = "pharmacy"\n')
    assert main(["send", str(TODDLER), "--profile", str(profile)]) == EXIT_INPUT
    assert "hl7.omp_address" in capsys.readouterr().err
