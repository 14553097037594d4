"""Loading plugins and calling their hooks, one plugin at a time.

Built-in plugins and third-party plugins arrive through the same `register` path. Load order is
chosen, not accidental: built-ins in `BUILTIN_PLUGINS` order (the order therapies appear on the
sheet), then entry points sorted by name, so a site plugin's formulary product replaces a
built-in one. Entry points are loaded one by one (pluggy's `load_setuptools_entrypoints` aborts
on the first broken plugin), and every hook is called per plugin so each result is stamped with
its source and each failure names its plugin.
"""

from __future__ import annotations

import contextvars
import importlib
import importlib.metadata
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pluggy

from orderset._version import __version__
from orderset.errors import InputError, PluginError
from orderset.model import Alert, Order, PluginInfo
from orderset.plugin import hookspecs
from orderset.rules import Rule

if TYPE_CHECKING:
    from orderset.context import BuildContext
    from orderset.formulary import Product
    from orderset.renderers import Renderer
    from orderset.settings import Setting, Settings

T = TypeVar("T")

ENTRY_POINT_GROUP = "orderset"
#: Built-in plugins, registered exactly like third-party ones.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "orderset.plugins.steroids",
    "orderset.plugins.il6_blockade",
    "orderset.plugins.ivig",
    "orderset.plugins.antivirals",
    "orderset.plugins.supportive_care",
    "orderset.plugins.escalation",
)
#: Comma-separated names of the only third-party plugins to load ("" loads none), as
#: datasette's DATASETTE_LOAD_PLUGINS.
LOAD_PLUGINS_ENV = "ORDERSET_LOAD_PLUGINS"


#: Seconds a single plugin hook call may take before the build fails naming the plugin and the
#: hook (a warm build of all built-ins takes about 5 ms). `PluginHost.hook_time_limit` changes
#: it per host; None turns the limit off.
HOOK_TIME_LIMIT_SECONDS = 10.0


class _HookRunner:
    """One daemon thread that runs hook calls for the calling thread, which waits with a time
    limit. A Python thread cannot be killed: a hook past its limit is abandoned (it runs on
    with nothing waiting for it) and the next call gets a fresh thread. Daemon, so a stuck hook
    never keeps the process from exiting; the caller's context variables (the decimal context)
    are carried into the call; a forked child (batch workers) starts its own thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[Any] | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    def _worker(self, jobs: queue.SimpleQueue[Any]) -> None:
        while True:
            call, done, box = jobs.get()
            try:
                box.append((True, call()))
            except BaseException as exc:  # handed to the waiting caller
                box.append((False, exc))
            done.set()

    def _queue(self) -> queue.SimpleQueue[Any]:
        with self._lock:
            if self._jobs is None or self._pid != os.getpid():
                jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
                self._thread = threading.Thread(
                    target=self._worker, args=(jobs,), name="orderset-hooks", daemon=True
                )
                self._thread.start()
                self._jobs, self._pid = jobs, os.getpid()
            return self._jobs

    def run(
        self, function: Callable[[], T], limit: float | None, progress: _Progress
    ) -> tuple[bool, T]:
        """(True, result), or (False, None) once the step `progress` reports as running has
        run `limit` seconds; re-raises what `function` raised. `function` runs several hook
        calls in turn, marking each in `progress`: one thread hand-over per hook, not per
        plugin, keeps the cost per build small."""
        if limit is None or threading.current_thread() is self._thread:
            return True, function()
        jobs = self._queue()
        done = threading.Event()
        box: list[tuple[bool, Any]] = []
        jobs.put((_bound(contextvars.copy_context(), function), done, box))
        wait = limit
        while not done.wait(wait):
            wait = progress.started + limit - time.monotonic()
            if wait <= 0:
                with self._lock:  # abandon the stuck thread; the next call starts another
                    if self._jobs is jobs:
                        self._jobs = None
                return False, None  # type: ignore[return-value]  # only read when True
        ok, value = box[0]
        if not ok:
            raise value
        return True, value


class _Progress:
    """Which plugin's hook is running on the runner thread, and since when."""

    def __init__(self) -> None:
        self.plugin = ""
        self.started = time.monotonic()

    def start(self, plugin: str) -> None:
        self.plugin, self.started = plugin, time.monotonic()


def _bound(context: contextvars.Context, function: Callable[[], T]) -> Callable[[], T]:
    return lambda: context.run(function)


_RUNNER = _HookRunner()


@attrs.frozen
class LoadFailure:
    name: str
    error: str


class PluginHost:
    """A pluggy manager plus a typed method per hook; nothing else calls `pm.hook` directly."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("orderset")
        self.pm.add_hookspecs(hookspecs)
        self._infos: dict[str, PluginInfo] = {}
        self.failures: list[LoadFailure] = []
        self._disabled_builtins: dict[str, ModuleType] = {}
        #: Every plugin name seen while loading, blocked or not (for checking `--disable`).
        self.known_names: set[str] = set()
        #: Seconds one plugin's hook call may take (None: no limit).
        self.hook_time_limit: float | None = HOOK_TIME_LIMIT_SECONDS

    # ---- registration -----------------------------------------------------------------------

    def register(self, plugin: object, name: str, *, version: str, source: str) -> None:
        """Register a plugin module or object under `name`, unless that name is blocked."""
        if self.pm.is_blocked(name):
            return
        if name in self._infos:
            raise PluginError(name, "a plugin with this name is already registered")
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(name, f"does not match the hook specifications: {exc}") from exc
        try:
            _refuse_ordering_options(self.pm, plugin, name)
        except PluginError:
            self.pm.unregister(plugin, name=name)
            raise
        hooks = tuple(sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()))
        self._infos[name] = PluginInfo(name=name, version=version, source=source, hooks=hooks)

    def load_builtins(self, modules: Iterable[str] = BUILTIN_PLUGINS) -> None:
        for module_name in modules:
            module = importlib.import_module(module_name)
            name = module_name.rsplit(".", 1)[-1]
            self.known_names.add(name)
            if self.pm.is_blocked(name):
                # Still known, so a profile's settings for a disabled plugin are checked for
                # typos instead of being refused as an unknown section.
                self._disabled_builtins[name] = module
                continue
            self.register(module, name, version=__version__, source="built-in")

    def load_entry_points(self, *, continue_on_error: bool = False) -> None:
        """Load third-party plugins one by one; a broken one is reported by name."""
        allow = os.environ.get(LOAD_PLUGINS_ENV)
        allowed = None if allow is None else {n.strip() for n in allow.split(",") if n.strip()}
        eps = sorted(
            importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name
        )
        self.known_names.update(ep.name for ep in eps)
        for ep in eps:
            if allowed is not None and ep.name not in allowed:
                continue
            if self.pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                failure = LoadFailure(ep.name, f"failed to load ({type(exc).__name__}: {exc})")
                if not continue_on_error:
                    raise PluginError(ep.name, failure.error) from exc
                self.failures.append(failure)
                continue
            dist = getattr(ep, "dist", None)
            version = getattr(dist, "version", None) or "unknown"
            dist_name = getattr(dist, "name", None) or ep.value
            self.register(plugin, ep.name, version=version, source=f"entry point ({dist_name})")

    def block(self, names: Iterable[str]) -> None:
        for name in names:
            self.pm.set_blocked(name)

    @property
    def plugins(self) -> tuple[PluginInfo, ...]:
        return tuple(self._infos.values())

    def info(self, name: str) -> PluginInfo:
        return self._infos[name]

    # ---- hook calls -------------------------------------------------------------------------

    def _call(self, hook_name: str, **kwargs: Any) -> list[tuple[PluginInfo, list[Any]]]:
        """Call a collecting hook plugin by plugin, in load order; returns (plugin, results).
        Each plugin's call has `hook_time_limit` seconds; past it the build fails naming it."""
        caller = getattr(self.pm.hook, hook_name)
        rank = {name: i for i, name in enumerate(self._infos)}
        impls = sorted(caller.get_hookimpls(), key=lambda impl: rank[impl.plugin_name])
        progress = _Progress()

        def call_each() -> list[tuple[PluginInfo, list[Any]]]:
            out: list[tuple[PluginInfo, list[Any]]] = []
            for impl in impls:
                info = self._infos[impl.plugin_name]
                progress.start(info.name)
                try:
                    result = impl.function(*(kwargs[arg] for arg in impl.argnames))
                except (InputError, PluginError):
                    raise
                except Exception as exc:
                    raise PluginError(
                        info.name, f"hook {hook_name} raised {type(exc).__name__}: {exc}"
                    ) from exc
                if result is None:
                    result = []
                if not isinstance(result, list | tuple):
                    raise PluginError(
                        info.name,
                        f"hook {hook_name} returned {type(result).__name__}, not a list",
                    )
                out.append((info, list(result)))
            return out

        finished, results = _RUNNER.run(call_each, self.hook_time_limit, progress)
        if not finished:
            raise PluginError(
                progress.plugin,
                f"hook {hook_name} did not return within {self.hook_time_limit:g} s (the limit"
                " per hook call); the build was stopped",
            )
        return results

    def _typed(self, hook_name: str, cls: type[T], **kwargs: Any) -> list[tuple[PluginInfo, T]]:
        """As `_call`, with every result checked to be a `cls`; anything else fails the build
        naming the plugin."""
        items: list[tuple[PluginInfo, T]] = []
        for info, results in self._call(hook_name, **kwargs):
            for item in results:
                if not isinstance(item, cls):
                    raise PluginError(
                        info.name,
                        f"hook {hook_name} returned a {type(item).__name__}, not a {cls.__name__}",
                    )
                items.append((info, item))
        return items

    def rules(self) -> list[Rule]:
        return [
            attrs.evolve(rule, plugin=info.name)
            for info, rule in self._typed("orderset_rules", Rule)
        ]

    def settings(self) -> list[Setting]:
        from orderset.settings import Setting

        declared = [s for _, s in self._typed("orderset_settings", Setting)]
        for module in self._disabled_builtins.values():
            hook = getattr(module, "orderset_settings", None)
            declared.extend(hook() if hook else [])
        return declared

    def formulary(self, settings: Settings) -> list[tuple[PluginInfo, Product]]:
        from orderset.formulary import Product

        return self._typed("orderset_formulary", Product, settings=settings)

    def orders(self, context: BuildContext) -> list[Order]:
        return [
            attrs.evolve(order, plugin=info.name, plugin_version=info.version)
            for info, order in self._typed("orderset_orders", Order, context=context)
        ]

    def renderers(self) -> list[Renderer]:
        from orderset.renderers import Renderer

        return [r for _, r in self._typed("orderset_renderers", Renderer)]

    def alerts(self, context: BuildContext, orders: tuple[Order, ...]) -> list[Alert]:
        return [
            attrs.evolve(alert, plugin=info.name)
            for info, alert in self._typed("orderset_alerts", Alert, context=context, orders=orders)
        ]


def make_host(
    *,
    builtins: bool = True,
    entry_points: bool = True,
    disable: Sequence[str] = (),
    extra: Iterable[tuple[str, object]] = (),
    continue_on_error: bool = False,
    loaders: Sequence[Callable[[PluginHost], None]] = (),
    disable_field: str = "disable",
) -> PluginHost:
    """Build a plugin host: built-ins, then `extra` (name, plugin) pairs, then entry points.

    `disable` blocks plugins by name; a name that matches no plugin is an error naming
    `disable_field` ("disable" from Python; the command line passes "--disable"), so a typo
    cannot leave a plugin silently active.
    """
    host = PluginHost()
    host.block(disable)
    if builtins:
        host.load_builtins()
    for name, plugin in extra:
        host.register(plugin, name, version=_module_version(plugin), source="registered")
    if entry_points:
        host.load_entry_points(continue_on_error=continue_on_error)
    for loader in loaders:
        loader(host)
    known = host.known_names | {n for n, _ in extra}
    for name in disable:
        if name not in known:
            raise InputError(
                disable_field, f"no plugin named {name!r} (known: {', '.join(sorted(known))})"
            )
    return host


#: pluggy options that order or wrap implementations. The host calls every plugin itself, in
#: load order, so these would be silently ignored: they are refused instead.
ORDERING_OPTIONS = ("tryfirst", "trylast", "wrapper", "hookwrapper")


def _refuse_ordering_options(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    for caller in pm.get_hookcallers(plugin) or ():
        for impl in caller.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            used = [opt for opt in ORDERING_OPTIONS if getattr(impl, opt, False)]
            if used:
                raise PluginError(
                    name,
                    f"hook {caller.name} uses {', '.join(used)}, which orderset does not honour:"
                    " every plugin's hook is called once, in load order (built-ins, then entry"
                    " points by name)",
                )


def _module_version(plugin: object) -> str:
    version = getattr(plugin, "__version__", None)
    if isinstance(version, str):
        return version
    return __version__ if isinstance(plugin, ModuleType) else "unknown"
