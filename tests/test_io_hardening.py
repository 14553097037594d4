"""Red-team findings on outputs, sending and batches (issue 12): only regular files are
written, temporary names always fit, name resolution is inside --timeout, Ctrl-C and killed
batches leave no workers and no temporary files, Unicode line breaks never split HL7."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import hl7
import pytest

from orderset.cli import main
from orderset.output import remove_stale_temporaries
from orderset.renderers import mllp
from orderset.renderers.hl7 import build_messages
from orderset.renderers.hl7 import render as render_hl7
from orderset.testing import build, case_data

EXAMPLE = "example:toddler-shock-brainstem"


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_a_device_is_never_replaced_or_written(device, capsys):
    before = os.stat(device, follow_symlinks=True)
    assert main(["build", EXAMPLE, "-o", device]) == 2
    err = capsys.readouterr().err
    assert "-o:" in err and "not a regular file" in err and "'-' for standard output" in err
    after = os.stat(device, follow_symlinks=True)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_dev_stdout_is_refused_even_when_it_points_at_a_regular_file(capsys):
    # Under pytest's capture, fd 1 is a regular file: the old check let it through and, as
    # root, renamed the output over the /dev/stdout symlink itself.
    before = os.lstat("/dev/stdout")
    assert main(["build", EXAMPLE, "-o", "/dev/stdout"]) == 2
    after = os.lstat("/dev/stdout")
    assert stat.S_ISLNK(after.st_mode) and after.st_ino == before.st_ino
    assert "'-' for standard output" in capsys.readouterr().err


def test_a_symlink_to_a_file_is_written_through_and_stays_a_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert main(["build", EXAMPLE, "-o", str(link)]) == 0
    assert link.is_symlink() and real.read_bytes().startswith(b"{")


def test_dev_stdout_on_a_pipe_is_refused_with_a_hint():
    proc = subprocess.run(
        [sys.executable, "-m", "orderset.cli", "build", EXAMPLE, "-o", "/dev/stdout"],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert b"'-' for standard output" in proc.stderr


def test_a_fifo_is_refused_and_kept(tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert main(["build", EXAMPLE, "-o", str(fifo)]) == 2
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert "not a regular file" in capsys.readouterr().err


def test_dash_writes_to_standard_output(capsysbinary):
    assert main(["build", EXAMPLE, "-o", "-"]) == 0
    assert capsysbinary.readouterr().out.startswith(b"{")


def test_a_long_but_valid_name_is_written(tmp_path):
    target = tmp_path / ("x" * 244 + ".json")  # 249 characters
    assert main(["build", EXAMPLE, "-o", str(target)]) == 0
    assert target.read_bytes().startswith(b"{")
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


@pytest.mark.parametrize(
    ("name", "message"),
    [("y" * 256, "longer than 255 bytes"), ("missing/set.json", "does not exist")],
)
def test_an_impossible_target_is_refused_before_any_work(tmp_path, capsys, name, message):
    assert main(["build", EXAMPLE, "-o", str(tmp_path / name)]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("breaker", ["\u2028", "\u2029", "\x85"])
def test_unicode_line_breaks_in_profile_values_never_split_the_batch(breaker):
    profile = {"hl7": {"sending_facility": f"CH{breaker}NTE|x", "receiving_facility": "RX"}}
    order_set = build(case_data(), profile=profile)
    text = render_hl7(order_set).decode()
    assert breaker not in text
    parsed = hl7.parse_file(text)
    assert str(parsed.header).startswith("FHS|^~\\&|ORDERSET|CH NTE\\F\\x|")
    assert len(parsed[0]) == len(build_messages(order_set))


def test_name_resolution_is_inside_the_timeout(monkeypatch):
    def never_answers(*args, **kwargs):
        time.sleep(30)

    monkeypatch.setattr(socket, "getaddrinfo", never_answers)
    order_set = build(case_data())
    started = time.monotonic()
    outcomes = mllp.send_messages(
        build_messages(order_set), "rx.invalid", 2575, timeout=0.5, retries=1, backoff=0.1
    )
    took = time.monotonic() - started
    assert took < 3, took  # was 10 s per attempt: the resolver has no limit of its own
    assert outcomes[0].status == "no acknowledgement"
    assert "cannot resolve rx.invalid: no answer within 0.5 s" in outcomes[0].detail
    assert outcomes[0].attempts == 2


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".set.json.{dead.pid}.abc123.tmp"
    live = tmp_path / f".set.json.{os.getpid()}.def456.tmp"
    foreign = tmp_path / ".set.json.tmp"
    for p in (stale, live, foreign):
        p.write_text("partial")
    assert remove_stale_temporaries(tmp_path) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, foreign.name])


def _batch(tmp_path: Path, count: int) -> subprocess.Popen:
    source = Path(__file__).parent.parent / "examples" / "toddler-shock-brainstem.json"
    cases = []
    for i in range(count):
        case = tmp_path / f"case{i:03}.json"
        case.write_bytes(source.read_bytes())
        cases.append(str(case))
    out = tmp_path / "out"
    out.mkdir()
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orderset.cli",
            "build",
            *cases,
            "--format",
            "pdf",
            "-j",
            "2",
            "-o",
            str(out),
        ],
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry.name))
    return kids


def _wait_for_workers(proc: subprocess.Popen) -> list[int]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        kids = _children(proc.pid)
        if len(kids) >= 2:
            return kids
        time.sleep(0.2)
    raise AssertionError("the batch never started its workers")


def _gone(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_ctrl_c_stops_a_batch_within_a_second_with_one_line(tmp_path):
    proc = _batch(tmp_path, 60)
    workers = _wait_for_workers(proc)
    os.kill(proc.pid, signal.SIGINT)
    started = time.monotonic()
    _, err = proc.communicate(timeout=10)
    took = time.monotonic() - started
    assert proc.returncode == 130
    assert took < 2, took
    lines = err.decode().strip().splitlines()
    assert lines[-1].startswith("orderset: interrupted")
    assert "Traceback" not in err.decode()
    time.sleep(0.5)
    assert all(_gone(w) for w in workers)
    assert not list((tmp_path / "out").glob(".*.tmp"))


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_killing_the_batch_parent_kills_its_workers(tmp_path):
    proc = _batch(tmp_path, 60)
    workers = _wait_for_workers(proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not all(_gone(w) for w in workers):
        time.sleep(0.1)
    assert all(_gone(w) for w in workers)
