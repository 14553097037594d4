"""A real `orderset serve` on a free loopback port, for the API and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import httpx
import pytest


@attrs.frozen
class LiveServer:
    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(log: Path, *args: str) -> LiveServer:
    pytest.importorskip("uvicorn", reason="the service extra is not installed")
    port = free_port()
    env = {**os.environ, "ORDERSET_LOAD_PLUGINS": ""}
    with log.open("wb") as out:  # the child keeps its own copy of the file
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "orderset.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                "1",
                *args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"orderset serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return LiveServer(url, log, process)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("orderset serve did not answer within 60 s")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:  # pragma: no cover
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("serve") / "serve.log")
    yield server
    stop_server(server)
