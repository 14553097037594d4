"""`make bench`: medians over repeated runs, each against a reference measured in the same run,
so every figure is a ratio that does not drift with the machine.

1. CLI cold start (`orderset build example --format hl7`) vs `import pint; pint.UnitRegistry()`.
2. Warm in-process build of one case with every plugin vs 100 pint Quantity multiplications.
3. Warm PDF render of the example sheet vs weasyprint rendering the same HTML string alone,
   plus first and warm absolute times and the cost of font subsetting; the same for the
   pharmacy preparation worksheet.
4. Batch: 200 cases to PDF on every core vs 200 warm single renders in one process.
5. Peak memory (max RSS) of the batch run.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXAMPLE = ROOT / "examples" / "toddler-shock-brainstem.json"
TARGETS = {
    "cold start": 1.3,
    "warm build": 10.0,
    "pdf render": 1.15,
    "worksheet render": 1.15,
    "batch": 0.6,
}


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(
    a: Callable[[], object], b: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Medians of a and b run alternately, so background load hits both alike."""
    ta, tb = [], []
    for _ in range(repeat):
        for fn, out in ((a, ta), (b, tb)):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb)


#: Commands run as on an installed machine, where pip wrote the bytecode at install time: a
#: shell with PYTHONDONTWRITEBYTECODE set would make every run compile the package from source
#: (about 70 ms of a 370 ms cold start, measured 2026-12-01), which no user pays.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENV)


def bench_cold_start(repeat: int) -> dict:
    ours = [str(BIN / "orderset"), "build", "example:toddler-shock-brainstem", "--format", "hl7"]
    ref = [sys.executable, "-c", "import pint; pint.UnitRegistry()"]
    run(ours)  # fill pint's definitions cache once, as any installed machine has
    t_ours, t_ref = interleaved(lambda: run(ours), lambda: run(ref), repeat)
    return {"name": "cold start", "ours": t_ours, "reference": t_ref}


def bench_warm_build(repeat: int) -> dict:
    import orderset
    from orderset import units
    from orderset.plugin.host import make_host

    case = orderset.load_case(EXAMPLE)
    host = make_host(entry_points=False)
    orderset.build_order_set(case, host=host)
    a, b = units.Quantity(30, units.mg_per_kg), units.Quantity(14.2, units.kg)

    def multiply_100() -> None:
        for _ in range(100):
            a * b

    def build() -> None:
        orderset.build_order_set(case, host=host)

    t_ours, t_ref = interleaved(build, multiply_100, repeat)
    plugins = ", ".join(p.name for p in host.plugins)
    return {"name": "warm build", "ours": t_ours, "reference": t_ref, "note": plugins}


def bench_pdf(repeat: int) -> dict:
    import orderset
    from orderset.renderers import html as sheet
    from orderset.renderers import pdf

    order_set = orderset.build_order_set(orderset.load_case(EXAMPLE))
    start = time.perf_counter()
    pdf.render(order_set)
    first = time.perf_counter() - start

    import weasyprint

    html = sheet.render_html(order_set)
    with sheet.template_dir() as root:
        base_url = root.resolve().as_uri() + "/"

    def weasy_alone() -> None:
        weasyprint.HTML(string=html, base_url=base_url).write_pdf()

    def weasy_full_fonts() -> None:
        weasyprint.HTML(string=html, base_url=base_url).write_pdf(full_fonts=True)

    t_ours, t_ref = interleaved(lambda: pdf.render(order_set), weasy_alone, repeat)
    t_full = median_time(weasy_full_fonts, max(3, repeat // 2))
    return {
        "name": "pdf render",
        "ours": t_ours,
        "reference": t_ref,
        "first": first,
        "full_fonts": t_full,
    }


def bench_worksheet(repeat: int) -> dict:
    """The preparation worksheet (PDF) vs weasyprint alone on the same HTML string."""
    import weasyprint

    import orderset
    from orderset.renderers import html as sheet
    from orderset.renderers import worksheet

    order_set = orderset.build_order_set(orderset.load_case(EXAMPLE))
    worksheet.render(order_set)  # warm
    html = worksheet.render_html(order_set)
    with sheet.template_dir() as root:
        base_url = root.resolve().as_uri() + "/"

    def weasy_alone() -> None:
        weasyprint.HTML(string=html, base_url=base_url).write_pdf()

    t_ours, t_ref = interleaved(lambda: worksheet.render(order_set), weasy_alone, repeat)
    return {"name": "worksheet render", "ours": t_ours, "reference": t_ref}


def make_cases(folder: Path, count: int) -> list[Path]:
    examples = sorted((ROOT / "examples").glob("*.json"))
    paths = []
    for i in range(count):
        src = examples[i % len(examples)]
        data = json.loads(src.read_text())
        data["patient"]["mrn"] = f"B{i:07d}"
        path = folder / f"case-{i:03d}-{src.stem}.json"
        path.write_text(json.dumps(data))
        paths.append(path)
    return paths


def bench_batch(count: int) -> dict:
    import orderset
    from orderset.plugin.host import make_host
    from orderset.renderers import pdf

    with tempfile.TemporaryDirectory() as tmp:
        cases = make_cases(Path(tmp), count)
        out = Path(tmp) / "out"
        out.mkdir()
        cmd = [str(BIN / "orderset"), "build", *map(str, cases), "--format", "pdf", "-o", str(out)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        run(cmd)
        t_batch = time.perf_counter() - start
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        assert len(list(out.iterdir())) == count

        host = make_host(entry_points=False)
        loaded = [orderset.load_case(c) for c in cases]
        pdf.render(orderset.build_order_set(loaded[0], host=host))  # warm
        start = time.perf_counter()
        for case in loaded:
            pdf.render(orderset.build_order_set(case, host=host))
        t_single = time.perf_counter() - start
    return {
        "name": "batch",
        "ours": t_batch,
        "reference": t_single,
        "peak_mb": max(peak_kb, before) / 1024,
        "count": count,
    }


def versions() -> str:
    names = ["pint", "attrs", "cattrs", "pluggy", "jinja2", "weasyprint", "fonttools", "pydyf"]
    found = []
    for name in names:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found.append(f"{name} {importlib.metadata.version(name)}")
    subset = "yes" if shutil.which("dpkg") and _has_hb_subset() else "no"
    return ", ".join(found) + f"; libharfbuzz-subset0: {subset}"


def _has_hb_subset() -> bool:
    result = subprocess.run(
        ["dpkg", "-s", "libharfbuzz-subset0"], capture_output=True, text=True, check=False
    )
    return result.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()

    results = [
        bench_cold_start(args.repeat),
        bench_warm_build(args.repeat * 20),
        bench_pdf(args.repeat),
        bench_worksheet(args.repeat),
        bench_batch(args.batch),
    ]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"libraries: {versions()}")
    print()
    print("| benchmark | ours | reference | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for r in results:
        ratio = r["ours"] / r["reference"]
        target = TARGETS[r["name"]]
        print(
            f"| {r['name']} | {_ms(r['ours'])} | {_ms(r['reference'])} | {ratio:.2f}x"
            f" | {target}x | {'yes' if ratio <= target else 'NO'} |"
        )
    pdf_r = next(r for r in results if r["name"] == "pdf render")
    batch_r = next(r for r in results if r["name"] == "batch")
    build_r = next(r for r in results if r["name"] == "warm build")
    print()
    print(f"- warm build plugins: {build_r['note']}")
    print(
        f"- PDF first render {_ms(pdf_r['first'])}, warm {_ms(pdf_r['ours'])};"
        f" weasyprint without font subsetting (full_fonts) {_ms(pdf_r['full_fonts'])}"
    )
    print(
        f"- batch of {batch_r['count']} PDFs: {_ms(batch_r['ours'])} on {os.cpu_count()} cores"
        f" vs {_ms(batch_r['reference'])} one by one; peak memory {batch_r['peak_mb']:.0f} MB"
        " (largest process)"
    )
    return 0


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


if __name__ == "__main__":
    sys.exit(main())
