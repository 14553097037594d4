"""Build many cases at once on every core: `orderset build a.json b.json ... -o DIR`.

Each case is built, rendered and written atomically on its own, so one bad case gets a message
naming it and no file, while the others are still written. Workers are forked after the
renderer is imported, so each starts warm (weasyprint's import alone is about 0.5 s).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from attrs import frozen

from orderset.errors import InputError, PluginError
from orderset.renderers import renderers

if TYPE_CHECKING:
    from orderset.plugin.host import PluginHost


@frozen
class BatchJob:
    case: Path
    output: Path
    fmt: str
    profile: str | None
    disable: tuple[str, ...]
    skip_broken_plugins: bool


@frozen
class BatchResult:
    case: Path
    output: Path | None
    #: 0 written, 2 bad input, 1 internal or plugin error.
    status: int
    message: str = ""


#: One plugin host per worker process, made by its first job and reused by the next ones.
_host: PluginHost | None = None


def _build_one(job: BatchJob) -> BatchResult:
    """Run one job in a worker; every error becomes a result, never a crashed pool."""
    global _host
    from orderset.engine import build_order_set
    from orderset.loader import load_case
    from orderset.output import write_atomic
    from orderset.plugin.host import make_host
    from orderset.renderers import render

    try:
        if _host is None:
            _host = make_host(disable=job.disable, continue_on_error=job.skip_broken_plugins)
        order_set = build_order_set(load_case(job.case), profile=job.profile, host=_host)
        write_atomic(job.output, render(order_set, job.fmt))
        return BatchResult(job.case, job.output, 0)
    except InputError as exc:
        return BatchResult(job.case, None, 2, str(exc))
    except PluginError as exc:
        return BatchResult(job.case, None, 1, f"plugin error: {exc}")
    except Exception as exc:
        return BatchResult(job.case, None, 1, f"internal error: {type(exc).__name__}: {exc}")


def plan(
    cases: Sequence[Path],
    out_dir: Path,
    fmt: str,
    *,
    profile: str | None = None,
    disable: Sequence[str] = (),
    skip_broken_plugins: bool = False,
) -> list[BatchJob]:
    """One job per case, output named after the case and given the extension its renderer
    declares; two cases with one name is an error."""
    formats = renderers()
    if fmt not in formats:
        raise InputError("--format", f"unknown format {fmt!r} (known: {', '.join(formats)})")
    extension = formats[fmt].extension
    if not out_dir.is_dir():
        raise InputError(str(out_dir), "is not a directory (several cases need -o DIR)")
    seen: dict[str, Path] = {}
    jobs = []
    for case in cases:
        if case.stem in seen:
            raise InputError(str(case), f"has the same name as {seen[case.stem]}")
        seen[case.stem] = case
        jobs.append(
            BatchJob(
                case=case,
                output=out_dir / f"{case.stem}.{extension}",
                fmt=fmt,
                profile=profile,
                disable=tuple(disable),
                skip_broken_plugins=skip_broken_plugins,
            )
        )
    return jobs


def run(
    jobs: Sequence[BatchJob], *, workers: int | None = None, progress: TextIO | None = None
) -> Iterator[BatchResult]:
    """Run the jobs on `workers` processes (default: every core); yields results in order."""
    from orderset.renderers import renderer

    if jobs:
        renderer(jobs[0].fmt)  # import the renderer before forking: warm workers
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    bar = _Progress(len(jobs), progress)
    if workers == 1:
        for job in jobs:
            result = _build_one(job)
            bar.step(job.case.name)
            yield result
    else:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            chunk = max(1, len(jobs) // (workers * 8))
            for job, result in zip(jobs, pool.map(_build_one, jobs, chunksize=chunk), strict=True):
                bar.step(job.case.name)
                yield result
    bar.done()


class _Progress:
    """A one-line progress bar on a terminal; silent when output is redirected. Hand-written
    (a dozen lines) rather than adding tqdm as a runtime dependency for one line of output."""

    def __init__(self, total: int, stream: TextIO | None) -> None:
        self.total, self.count = total, 0
        self.stream = stream if stream is not None and stream.isatty() else None

    def step(self, name: str) -> None:
        self.count += 1
        if self.stream:
            width = 30
            filled = width * self.count // max(self.total, 1)
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {self.count}/{self.total} {name[:40]:<40}")
            self.stream.flush()

    def done(self) -> None:
        if self.stream:
            self.stream.write("\n")
            self.stream.flush()


def default_progress() -> TextIO:
    return sys.stderr
