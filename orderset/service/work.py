"""Building and rendering for the service, without the web framework.

`build_and_render` runs in the event loop's threads (JSON, HL7, FHIR, HTML) with the app's one
plugin host, or in a worker process of the PDF pool (`render_in_worker`), which keeps its own
host: a burst of PDFs then costs other processes' CPU, not the JSON answers' interpreter.
Errors cross the process boundary as plain tuples (`Failure`), since InputError and PluginError
do not pickle with their fields.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from orderset.errors import InputError, PluginError
from orderset.plugin.host import PluginHost, make_host

#: PDF workers run at a lower CPU priority than the server, so on a small machine a burst of
#: PDFs yields the CPU to the short JSON answers first (os.nice adds to the niceness).
WORKER_NICENESS = 10


@attrs.frozen
class Failure:
    """An InputError ("input", field, reason) or a PluginError ("plugin", plugin, reason)."""

    kind: str
    where: str
    reason: str

    def raise_(self) -> None:
        if self.kind == "input":
            raise InputError(self.where, self.reason)
        raise PluginError(self.where, self.reason)


def build_and_render(
    case_data: Mapping[str, Any],
    selections: Mapping[str, bool] | None,
    profile: Mapping[str, Any],
    fmt: str,
    host: PluginHost,
    options: Mapping[str, Any] | None = None,
) -> bytes:
    """The bytes `orderset build CASE --format FMT [--profile P]` writes, with selections;
    `options` are `render`'s `prepared_at` and `label_layout`."""
    from orderset.engine import build_order_set
    from orderset.loader import case_from_dict
    from orderset.renderers import render, renderers

    extra = host.renderers()
    if fmt not in renderers(extra):
        raise InputError("format", f"unknown format {fmt!r} (known: {', '.join(renderers(extra))})")
    case = case_from_dict(case_data)
    order_set = build_order_set(case, **profile, selections=selections, host=host)
    return render(order_set, fmt, extra, **(options or {}))


_HOST: PluginHost | None = None
_DISABLE: tuple[str, ...] = ()


#: Seconds between a worker's checks that the server that started it is still running.
PARENT_CHECK_SECONDS = 1.0


def _exit_with_parent(parent: int) -> None:
    """A worker whose server is gone (killed, or stopped mid-render) exits, never an orphan."""
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(0)


def init_worker(disable: Sequence[str] = ()) -> None:
    """Pool initializer: lower the priority, load the plugins and weasyprint once."""
    global _HOST, _DISABLE
    threading.Thread(
        target=_exit_with_parent, args=(os.getppid(),), name="orderset-parent", daemon=True
    ).start()
    with contextlib.suppress(OSError, AttributeError):  # not permitted, or not Linux
        os.nice(WORKER_NICENESS)
        # Linux: run only when a core is otherwise idle, so the JSON answers always come first.
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    _DISABLE = tuple(disable)
    _HOST = make_host(disable=_DISABLE)
    import weasyprint  # noqa: F401  (the first PDF then costs no import)


def render_in_worker(
    case_data: Mapping[str, Any],
    selections: Mapping[str, bool] | None,
    profile: Mapping[str, Any],
    fmt: str,
    options: Mapping[str, Any] | None = None,
) -> bytes | Failure:
    """`build_and_render` in a pool process; errors come back as a Failure."""
    global _HOST
    if _HOST is None:
        _HOST = make_host(disable=_DISABLE)
    try:
        return build_and_render(case_data, selections, profile, fmt, _HOST, options)
    except InputError as exc:
        return Failure("input", exc.field, exc.reason)
    except PluginError as exc:
        return Failure("plugin", exc.plugin, exc.reason)
