"""Error types. Each subclasses a builtin too (as pint's do), so callers can catch either."""

from __future__ import annotations


class OrdersetError(Exception):
    """Base of every error this package raises on purpose."""


class InputError(OrdersetError, ValueError):
    """The case or profile is wrong; `field` is the dotted path of the offending field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


class PluginError(OrdersetError, RuntimeError):
    """A plugin failed to load or its hook raised or returned something unusable."""

    def __init__(self, plugin: str, reason: str) -> None:
        super().__init__(f"plugin {plugin!r}: {reason}")
        self.plugin = plugin
        self.reason = reason
