"""Reading HL7 back in tests with two independent parsers.

hl7apy parses each message strictly and validates it against the v2.5.1 structures; python-hl7
reads the FHS/BHS batch and unescapes text (hl7apy 1.3.5 has no unescape).
"""

from __future__ import annotations

import hl7
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message
from hl7apy.parser import parse_message


def strict(text: str) -> Message:
    """Strict parse plus validate(); any error fails the test with the offending message."""
    try:
        message = parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
        message.validate()
    except Exception as exc:  # ValueError from parsing, ValidationError from validate()
        shown = text.replace("\r", "\n")
        raise AssertionError(f"hl7apy rejected the message: {exc!r}\n{shown}") from exc
    return message


def batch_messages(data: bytes) -> list[str]:
    """The ER7 text of each message in an HL7 batch file, after checking its envelope:
    FHS, BHS, the messages, BTS with the message count, FTS with the batch count."""
    text = data.decode("utf-8")
    assert "\n" not in text, "segments must end with a carriage return only"
    assert text.endswith("\r"), "the last segment must end with a carriage return"
    file = hl7.parse_file(text)
    assert str(file.header).startswith("FHS|^~\\&|")
    assert str(file.trailer) == f"FTS|{len(file)}"
    assert len(file) == 1, "one batch per file"
    batch = file[0]
    assert str(batch.header).startswith("BHS|^~\\&|")
    assert str(batch.trailer) == f"BTS|{len(batch)}"
    return [str(m) for m in batch]


def segments(text: str, name: str) -> list[str]:
    return [s for s in text.split("\r") if s.startswith(name + "|")]


def unescape(message_text: str, value: str) -> str:
    """python-hl7's unescape with the message's own encoding characters."""
    return hl7.parse(message_text).unescape(value)
