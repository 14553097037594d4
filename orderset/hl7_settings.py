"""The institution profile's `[hl7]` table: who receives what, in which character set, under
which codes. Declared here (like `[governance]`) so that any key the engine does not know is an
error naming it; read by `orderset.renderers.hl7` and by `orderset send`.

None of these values is clinical: they describe the site's interface engine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from orderset.errors import InputError
from orderset.settings import Setting

SECTION = "hl7"
#: MSH-11 processing id (HL7 table 0103): production, training, debugging.
PROCESSING_IDS = ("P", "T", "D")
#: MSH-18 (HL7 table 0211): UTF-8, or ASCII with every other character transliterated.
CHARACTER_SETS = ("UNICODE UTF-8", "ASCII")
#: What to do with an order the `orderables` map does not name.
UNMAPPED = ("local", "refuse")
#: How "no known allergies" is sent: an AL1 segment (AL1-3 `NKA`), or an NTE only.
NKA_STYLES = ("al1", "nte")
#: AL1-2 allergen type (HL7 table 0127).
ALLERGEN_TYPES = ("DA", "FA", "MA", "MC", "EA", "AA", "PA", "LA")
#: HL7 IS/ID values (namespaces, applications, codes) are at most 20 characters; a coding
#: system is an HL7 table 0396 mnemonic (`L`, `99ABC`, `LN`, `SCT` ...).
_IS = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,18}[\x21-\x7e])?")
_CODE_SYSTEM = re.compile(r"[A-Z0-9]{1,12}")
#: HOST:PORT of a receiver (`[hl7] omp_address`), or empty.
_ADDRESS = re.compile(
    r"(?P<host>[A-Za-z0-9.\-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):(?P<port>[0-9]{1,5})"
)


def parse_address(text: str, field: str) -> tuple[str, int]:
    """`HOST:PORT` (an IPv6 host in brackets) as (host, port); anything else names `field`."""
    match = _ADDRESS.fullmatch(text)
    port = int(match.group("port")) if match else 0
    if match is None or not 0 < port < 65536:
        raise InputError(field, f"{text!r} is not HOST:PORT (port 1 to 65535)")
    return match.group("host").strip("[]"), port


def _address(value: Any) -> str:
    if not isinstance(value, str):
        raise InputError("", f"{value!r} is not text")
    if value:
        parse_address(value, "")
    return value


@frozen
class Orderable:
    """A site's orderable code for one order or rule (OBR-4 / RXO-1 coded element)."""

    code: str
    system: str
    text: str | None = None


_ORDERABLE_KEYS = {"code", "system", "text"}


def _orderables(value: Any) -> dict[str, Orderable]:
    """`[hl7.orderables]`: order id or rule id -> {code, system, text}."""
    if not isinstance(value, Mapping):
        raise InputError("", "must be a table of order or rule ids")
    out: dict[str, Orderable] = {}
    for key, entry in value.items():
        if not isinstance(entry, Mapping):
            raise InputError(key, "must be a table {code, system, text}")
        unknown = sorted(set(entry) - _ORDERABLE_KEYS)
        if unknown:
            raise InputError(f"{key}.{unknown[0]}", "unknown field (code, system, text)")
        for name in ("code", "system"):
            if name not in entry:
                raise InputError(f"{key}.{name}", "is required")
        code, system, text = entry["code"], entry["system"], entry.get("text")
        if not isinstance(code, str) or not _IS.fullmatch(code):
            raise InputError(f"{key}.code", f"{code!r} is not a code (1 to 20 ASCII characters)")
        if not isinstance(system, str) or not _CODE_SYSTEM.fullmatch(system):
            raise InputError(
                f"{key}.system",
                f"{system!r} is not a coding system (HL7 table 0396, e.g. L or 99XYZ)",
            )
        if text is not None and (not isinstance(text, str) or not 0 < len(text) <= 199):
            raise InputError(f"{key}.text", "must be text of 1 to 199 characters")
        out[key] = Orderable(code, system, text)
    return out


def _is_value(value: Any) -> str:
    if not isinstance(value, str):
        raise InputError("", f"{value!r} is not text")
    if value and not _IS.fullmatch(value):
        raise InputError("", f"{value!r} is not an HL7 identifier (1 to 20 ASCII characters)")
    return value


def _s(key: str, default: Any, help: str, **kw: Any) -> Setting:
    return Setting(SECTION, key, default, help, kw.pop("type", str), **kw)


SETTINGS: tuple[Setting, ...] = (
    _s("sending_application", "ORDERSET", "MSH-3 sending application."),
    _s("sending_facility", "", "MSH-4 sending facility (also the MRN's assigning authority)."),
    _s("receiving_application", "PHARMACY", "MSH-5 receiving application of every message."),
    _s("receiving_facility", "", "MSH-6 receiving facility of every message."),
    _s(
        "omp_receiving_application",
        "",
        "MSH-5 of the OMP^O09 (medications); empty: receiving_application.",
        check=_is_value,
    ),
    _s(
        "omp_receiving_facility",
        "",
        "MSH-6 of the OMP^O09; empty: receiving_facility.",
        check=_is_value,
    ),
    _s(
        "omg_receiving_application",
        "",
        "MSH-5 of the OMG^O19 (nursing, lab, consults); empty: receiving_application.",
        check=_is_value,
    ),
    _s(
        "omg_receiving_facility",
        "",
        "MSH-6 of the OMG^O19; empty: receiving_facility.",
        check=_is_value,
    ),
    _s("omp_address", "", "`orderset send`: HOST:PORT for the OMP^O09.", check=_address),
    _s("omg_address", "", "`orderset send`: HOST:PORT for the OMG^O19.", check=_address),
    _s(
        "processing_id",
        "P",
        "MSH-11: P production, T training, D debugging.",
        choices=PROCESSING_IDS,
    ),
    _s(
        "character_set",
        "UNICODE UTF-8",
        "MSH-18: UNICODE UTF-8, or ASCII (every other character transliterated: 36 °C -> 36 C).",
        choices=CHARACTER_SETS,
    ),
    _s("placer_namespace", "", "EI-2 namespace of ORC-2, ORC-4 and OBR-2.", check=_is_value),
    _s(
        "unmapped_orderables",
        "local",
        "An order `orderables` does not name: local (sent with its order id, coding system L)"
        " or refuse (the build fails naming the order).",
        choices=UNMAPPED,
    ),
    _s(
        "orderables",
        {},
        "Order or rule id -> {code, system, text}: the site's orderable codes (OBR-4, RXO-1).",
        type=dict,
        check=_orderables,
    ),
    _s(
        "removed_order_control",
        "DC",
        "ORC-1 for an order a correction (`--replaces`) removes: DC discontinue (safe when a"
        " dose may have been given) or CA cancel.",
        choices=("DC", "CA"),
    ),
    _s(
        "no_known_allergies",
        "al1",
        "al1: an AL1 segment with AL1-3 NKA; nte: an NTE only.",
        choices=NKA_STYLES,
    ),
    _s(
        "nka_allergen_type",
        "DA",
        "AL1-2 of the no-known-allergies AL1 (HL7 table 0127).",
        choices=ALLERGEN_TYPES,
    ),
    _s(
        "weight_in_every_order",
        False,
        "The weight (and height) OBX in every medication order group instead of the first only.",
        type=bool,
    ),
)
