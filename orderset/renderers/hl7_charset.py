"""ASCII for receivers that read HL7 as ASCII (`[hl7] character_set = "ASCII"`, MSH-18 ASCII).

Every non-ASCII character becomes ASCII: a small table for the signs order text uses (°, µ, ×,
dashes, quotes, ½ ...), else Unicode NFKD (é -> e, ﬁ -> fi, ² -> 2) when what it leaves is
ASCII letters, digits or signs with only accents dropped, else "?". So "36 °C" -> "36 C".

Why not `unidecode`: it is GPL-licensed (this package is Apache-2.0), its output for one
character can be a whole word (CJK -> pinyin), which can push a field past its HL7 length, and
it may produce the HL7 delimiters | ^ & ~ \\ as plain text. Here each replacement is escaped
like any other value, at most 4 characters, and a sign is never turned into a different sign
("≠" is "!=", never "="; "½" is "1/2", never "12").
"""

from __future__ import annotations

import functools
import unicodedata

from orderset.renderers.hl7_encoding import escape

#: Replacements for characters NFKD would drop or misread.
TABLE: dict[str, str] = {
    "°": "",
    "º": "",
    "µ": "u",
    "μ": "u",
    "×": "x",
    "÷": "/",
    "⁄": "/",
    "∕": "/",
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "‘": "'",
    "’": "'",
    "‚": ",",
    "“": '"',
    "”": '"',
    "„": '"',
    "«": '"',
    "»": '"',
    "…": "...",
    "·": ".",
    "•": "*",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "±": "+/-",
    "→": "->",
    "ß": "ss",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "ı": "i",
    "\u00a0": " ",
    "\u202f": " ",
}
UNKNOWN = "?"
MAX_REPLACEMENT = 4


@functools.lru_cache(maxsize=4096)
def to_ascii(char: str) -> str:
    """The ASCII replacement of one non-ASCII character (see the module docstring)."""
    if char in TABLE:
        return TABLE[char]
    out: list[str] = []
    for part in unicodedata.normalize("NFKD", char):
        if part.isascii():
            out.append(part)
        elif part in TABLE:
            out.append(TABLE[part])
        elif unicodedata.category(part) == "Mn" and out and out[-1][-1:].isalpha():
            continue  # an accent on a letter: é -> e
        else:
            return UNKNOWN
    text = "".join(out)
    return text if 0 < len(text) <= MAX_REPLACEMENT else UNKNOWN


def transliterate_message(text: str) -> str:
    """ER7 text (already escaped) in ASCII: each non-ASCII character, which can only come from
    a value, is replaced and the replacement escaped, as if done before encoding."""
    if text.isascii():
        return text
    return "".join(c if c.isascii() else escape(to_ascii(c)) for c in text)


def ascii_length(text: str) -> int:
    """The escaped length of `text` once transliterated (the loader checks it fits HL7)."""
    return len(escape("".join(c if c.isascii() else to_ascii(c) for c in text)))
