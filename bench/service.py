"""`make bench` (also alone: `python bench/service.py`): `orderset serve` under load, on loopback.

8 concurrent clients for 30 s against a real server (`orderset serve --workers N`): 2 clients
print PDF sheets back to back (a burst that never stops), 6 clients post cases for JSON, each
sending its next case 100 ms after the previous one started (an integrator's steady stream;
`--closed-loop` sends back to back instead). Every answer is compared byte for byte with what
`orderset build` writes for the same case. Targets: JSON p95 under 50 ms, 0 errors, 0
mismatches. Bounded: the server listens on 127.0.0.1 only and is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
TODDLER = ROOT / "examples" / "toddler-shock-brainstem.json"
P95_TARGET_MS = 50.0
#: The integrator's scenario: JSON answers while 4 PDFs are being rendered.
PDF_CLIENTS, JSON_CLIENTS = 4, 4
#: Seconds from one JSON request's start to the next's, per client (10 a second each).
PACE = 0.1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cli_outputs(folder: Path) -> dict[tuple[str, str], bytes]:
    """What `orderset build` writes for every example as JSON, and the toddler as PDF."""
    from orderset.cli import main

    out = {}
    jobs = [(case, "json") for case in EXAMPLES] + [(TODDLER, "pdf")]
    for case, fmt in jobs:
        target = folder / f"{case.stem}.{fmt}"
        if main(["build", str(case), "--format", fmt, "-o", str(target)]) != 0:
            raise SystemExit(f"orderset build {case.name} --format {fmt} failed")
        out[(case.name, fmt)] = target.read_bytes()
    return out


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ORDERSET_LOAD_PLUGINS": ""}
    cmd = [sys.executable, "-m", "orderset.cli", "serve", "--port", str(port)]
    cmd += ["--workers", str(workers)]
    process = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("orderset serve did not start within 60 s")


class Client(threading.Thread):
    """One client on one keep-alive connection; records (format, seconds, ok, matched)."""

    def __init__(
        self,
        port: int,
        fmt: str,
        cases: list[Path],
        expected: dict[tuple[str, str], bytes],
        until: float,
        pace: float,
    ) -> None:
        super().__init__(daemon=True)
        self.port, self.fmt, self.cases, self.expected = port, fmt, cases, expected
        self.until, self.pace = until, pace
        self.bodies = {c.name: c.read_bytes() for c in cases}
        self.records: list[tuple[str, float, bool, bool]] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        i = 0
        while time.monotonic() < self.until:
            case = self.cases[i % len(self.cases)]
            i += 1
            started = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    f"/api/order-sets?format={self.fmt}",
                    body=self.bodies[case.name],
                    headers={"content-type": "application/json"},
                )
                answer = conn.getresponse()
                body = answer.read()
                ok = answer.status == 200
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                body, ok = b"", False
            elapsed = time.perf_counter() - started
            matched = ok and body == self.expected[(case.name, self.fmt)]
            self.records.append((self.fmt, elapsed, ok, matched))
            if self.pace:
                time.sleep(max(0.0, self.pace - elapsed))
        conn.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(
    port: int, expected: dict, seconds: float, json_clients: int, pdf_clients: int, pace: float
) -> dict:
    until = time.monotonic() + seconds
    clients = [Client(port, "pdf", [TODDLER], expected, until, 0.0) for _ in range(pdf_clients)]
    clients += [
        Client(port, "json", EXAMPLES[i:] + EXAMPLES[:i], expected, until, pace)
        for i in range(json_clients)
    ]
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    records = [r for c in clients for r in c.records]
    out: dict = {"seconds": seconds, "clients": len(clients)}
    for fmt in ("json", "pdf"):
        times = [r[1] * 1000 for r in records if r[0] == fmt]
        out[fmt] = {
            "requests": len(times),
            "p50_ms": statistics.median(times) if times else 0.0,
            "p95_ms": percentile(times, 95) if times else 0.0,
            "max_ms": max(times, default=0.0),
        }
    out["errors"] = sum(1 for r in records if not r[2])
    out["mismatches"] = sum(1 for r in records if r[2] and not r[3])
    return out


def baseline(port: int, count: int = 60) -> float:
    """JSON p95 with nothing else running, for comparison."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    for i in range(count):
        body = EXAMPLES[i % len(EXAMPLES)].read_bytes()
        started = time.perf_counter()
        conn.request("POST", "/api/order-sets?format=json", body=body)
        conn.getresponse().read()
        times.append((time.perf_counter() - started) * 1000)
    conn.close()
    return percentile(times, 95)


def run(seconds: float, workers: int, closed_loop: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        expected = cli_outputs(Path(tmp))
        port = free_port()
        server = start_server(port, workers, Path(tmp) / "serve.log")
        try:
            # Warm every path (plugins, the pool's weasyprint) before measuring.
            measure(port, expected, 3, json_clients=2, pdf_clients=1, pace=0.0)
            idle = baseline(port)
            result = measure(
                port, expected, seconds, JSON_CLIENTS, PDF_CLIENTS, 0.0 if closed_loop else PACE
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    result["json_idle_p95_ms"] = idle
    result["load_average"] = os.getloadavg()[0]
    result["workers"] = workers
    result["closed_loop"] = closed_loop
    return result


def report(r: dict) -> bool:
    met = r["json"]["p95_ms"] < P95_TARGET_MS and r["errors"] == 0 and r["mismatches"] == 0
    mode = "closed loop" if r["closed_loop"] else "JSON clients paced at one request per 100 ms"
    print(
        f"orderset serve, {r['clients']} clients for {r['seconds']:g} s on"
        f" {os.cpu_count()} cores, {r['workers']} PDF worker(s), {mode}:"
    )
    print("| answers | requests | p50 | p95 | max |")
    print("|---|---|---|---|---|")
    for fmt in ("json", "pdf"):
        f = r[fmt]
        print(
            f"| {fmt} | {f['requests']} | {f['p50_ms']:.1f} ms | {f['p95_ms']:.1f} ms"
            f" | {f['max_ms']:.1f} ms |"
        )
    print(
        f"- machine load average (1 min) at the end: {r['load_average']:.1f} on"
        f" {os.cpu_count()} cores (other work on the machine slows every figure)"
    )
    print(
        f"- JSON p95 with no PDFs running: {r['json_idle_p95_ms']:.1f} ms;"
        f" errors {r['errors']}, mismatches with `orderset build` {r['mismatches']}"
    )
    print(
        f"- target: JSON p95 under {P95_TARGET_MS:g} ms while PDFs render, 0 errors,"
        f" 0 mismatches: {'met' if met else 'NOT MET'}"
    )
    return met


def main() -> int:
    from orderset.service.app import default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--closed-loop", action="store_true", help="JSON clients do not pace")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    result = run(args.seconds, args.workers, args.closed_loop)
    met = report(result)
    if args.json:
        print(json.dumps(result, indent=2))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
