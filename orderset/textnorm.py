"""Text normalisation for safety matching (ALERT-1 salicylates, allergy screening).

One function for both, so a spelling that hides a name from one check hides it from neither:
Unicode NFKC (fullwidth letters become ASCII), Cyrillic and Greek look-alike letters made Latin,
invisible characters (soft hyphen, zero-width space, joiners, direction marks) removed, case
folded, and hyphens, slashes, underscores and runs of spaces made one space.
"""

from __future__ import annotations

import re
import unicodedata

INVISIBLE = re.compile(
    r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_/]+")
#: Cyrillic and Greek letters that look like Latin ones ("аspirin" with a Cyrillic a).
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁԛԝАВЕКМНОРСТХІЈЅαβεικνοτυχΑΒΕΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdqwABEKMHOPCTXIJSabeiknotuxABEHIKMNOPTYX",
)
#: Scripts whose letters are refused when mixed with Latin ones in a single word.
_LOOKALIKE_SCRIPTS = ("CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE")


def normalise(text: str) -> str:
    """NFKC, look-alikes made Latin, invisible characters removed, case folded, and hyphens,
    slashes and runs of spaces made one space."""
    text = unicodedata.normalize("NFKC", text).translate(_CONFUSABLES)
    text = INVISIBLE.sub("", text).casefold()
    return _SEPARATORS.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """The normalised words of `text`: runs of letters and digits ("IL-6" is "il", "6")."""
    return re.findall(r"[^\W_]+", normalise(text))


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else ""


def mixed_script(text: str) -> tuple[str, str] | None:
    """The first word that mixes Latin letters with Cyrillic, Greek (or other look-alike)
    letters, and the first such foreign letter described ("Cyrillic 'о' U+043E"); else None.

    Checked after NFKC and removing invisible characters, so fullwidth letters count as Latin.
    A word written wholly in another script is not refused (it simply matches no drug name).
    """
    flat = INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    for word in re.findall(r"[^\W\d_]+", flat):
        scripts = {_script(c) for c in word}
        foreign = [c for c in word if _script(c) in _LOOKALIKE_SCRIPTS]
        if "LATIN" in scripts and foreign:
            c = foreign[0]
            return word, f"{_script(c).title()} {c!r} U+{ord(c):04X}"
    return None
