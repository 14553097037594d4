"""Whether this process may keep pint's parsed-definitions cache on disk.

Only the `orderset` command, being its own process, does (`orderset.cli.main` calls
`enable_for_command()` before anything builds the unit registry): its cold start is a
benchmark target. A library import (`import orderset` in an EHR or a service) never writes a
file, so it never depends on a writable home directory.
"""

from __future__ import annotations

_enabled = False


def enable_for_command() -> None:
    """Called by the `orderset` command before the unit registry is built."""
    global _enabled
    _enabled = True


def enabled() -> bool:
    return _enabled
