"""The pharmacy's HL7 receiver, from the institution profile's `[pharmacy]` table.

`orderset serve` offers "Send to pharmacy" only when the profile names a receiver; there is no
default, so no build ever sends anywhere a site did not choose.
"""

from __future__ import annotations

from typing import Any

from orderset.settings import Setting

SETTINGS = (
    Setting(
        "pharmacy",
        "receiver_host",
        "",
        "HL7 MLLP receiver (host name or address) that `orderset serve` sends to; empty: none.",
        str,
    ),
    Setting(
        "pharmacy",
        "receiver_port",
        0,
        "TCP port of that receiver (1 to 65535); 0: none.",
        int,
        minimum=0,
        maximum=65535,
    ),
)


def receiver(settings: Any) -> tuple[str, int] | None:
    """(host, port) when the profile configures both, else None."""
    if settings is None:
        return None
    host = settings.get("pharmacy", "receiver_host")
    port = settings.get("pharmacy", "receiver_port")
    return (host, port) if host and port else None
