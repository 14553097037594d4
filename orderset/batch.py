"""Build many cases at once on every core: `orderset build a.json b.json ... -o DIR`.

Each case is built, rendered and written atomically on its own, so one bad case gets a message
naming it and no file, while the others are still written. Workers are forked after the
renderer is imported, so each starts warm (weasyprint's import alone is about 0.5 s).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from attrs import frozen

from orderset.errors import InputError, PluginError
from orderset.output import remove_stale_temporaries
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
    from orderset.settings import profile_arguments

    try:
        if _host is None:
            _host = make_host(
                disable=job.disable,
                continue_on_error=job.skip_broken_plugins,
                disable_field="--disable",
            )
        profile = profile_arguments(job.profile)
        order_set = build_order_set(load_case(job.case), **profile, host=_host)
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
    for folder in {job.output.parent for job in jobs}:
        remove_stale_temporaries(folder)
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    bar = _Progress(len(jobs), progress)
    if workers == 1:
        for job in jobs:
            result = _build_one(job)
            bar.step(job.case.name)
            yield result
    else:
        ctx = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_worker_init,
            initargs=(os.getpid(),),
        )
        try:
            chunk = max(1, len(jobs) // (workers * 8))
            for job, result in zip(jobs, pool.map(_build_one, jobs, chunksize=chunk), strict=True):
                bar.step(job.case.name)
                yield result
        except BaseException:
            # Ctrl-C or an error in the parent: stop the workers now, not after the queue.
            _stop(pool)
            bar.done()
            raise
        pool.shutdown(wait=True)
    bar.done()


def _worker_init(parent: int) -> None:
    """In each worker: leave Ctrl-C to the parent (one message, not one traceback per
    worker) and die with the parent, even when it is killed with SIGKILL."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    watchdog = threading.Thread(target=_watch_parent, args=(parent,), daemon=True)
    watchdog.start()


def _die_with_parent() -> None:
    """Linux: the kernel sends SIGKILL to this process when its parent exits."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _watch_parent(parent: int) -> None:
    """Elsewhere (and as a second guard): exit once the parent is gone."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _stop(pool: ProcessPoolExecutor) -> None:
    # The executor forgets its processes on shutdown, so take them first. (`_processes` is
    # private: concurrent.futures has no public way to stop running workers at once.)
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.kill()
    for process in processes:
        process.join(timeout=2)


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
