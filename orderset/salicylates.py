"""ALERT-1: an order set must never contain a salicylate for a child (Reye syndrome).

A maintained list, not a guess from word shapes alone: generic names, abbreviations, brands
and classes, matched in every order of every kind (drug, classes, line, instructions), after
the text is normalised so that look-alike letters, invisible characters and odd spacing cannot
hide a name. Any word containing "salicyl" matches as well (trisalicylate, subsalicylate).

Sources for the names: the FDA/NIH DailyMed labels of the products named, and the Reye
syndrome guidance that names aspirin and "salicylate-containing products" (bismuth
subsalicylate, methyl salicylate). Extend the list, never shorten it.
"""

from __future__ import annotations

import re
import unicodedata

#: Names matched as whole words (after normalisation): generics, abbreviations and brands.
SALICYLATE_NAMES: tuple[str, ...] = (
    # generics and chemical names
    "aspirin",
    "acetylsalicylic acid",
    "acetylsalicylate",
    "salsalate",
    "diflunisal",
    "choline magnesium trisalicylate",
    "choline salicylate",
    "magnesium salicylate",
    "sodium salicylate",
    "bismuth subsalicylate",
    "methyl salicylate",
    "trolamine salicylate",
    "salicylamide",
    "salicylic acid",
    "oil of wintergreen",
    "wintergreen oil",
    # abbreviations
    "asa",
    "a.s.a.",
    # brands (US) whose active ingredient is a salicylate
    "bayer aspirin",
    "ecotrin",
    "bufferin",
    "excedrin",
    "alka-seltzer",
    "anacin",
    "disalcid",
    "dolobid",
    "trilisate",
    "doan's",
    "pepto-bismol",
    "kaopectate",
)
#: Any word containing this is a salicylate (salicylate, trisalicylate, subsalicylate, ...).
SALICYL_STEM = "salicyl"

_INVISIBLE = re.compile(
    r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_/]+")
#: Cyrillic and Greek letters that look like Latin ones ("аspirin" with a Cyrillic a).
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁԛԝАВЕКМНОРСТХІЈЅαβεικνοτυχΑΒΕΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdqwABEKMHOPCTXIJSabeiknotuxABEHIKMNOPTYX",
)


def normalise(text: str) -> str:
    """NFKC (fullwidth letters become ASCII), Cyrillic and Greek look-alikes made Latin,
    invisible characters removed, case folded, and hyphens, slashes and runs of spaces made one
    space."""
    text = unicodedata.normalize("NFKC", text).translate(_CONFUSABLES)
    text = _INVISIBLE.sub("", text).casefold()
    return _SEPARATORS.sub(" ", text).strip()


_NAME_PATTERN = re.compile(
    r"(?<![\w])("
    + "|".join(re.escape(normalise(n)) for n in sorted(SALICYLATE_NAMES, key=len, reverse=True))
    + r")(?![\w])"
)


def salicylate_in(text: str) -> str | None:
    """The salicylate `text` names (normalised), or None."""
    flat = normalise(text)
    if SALICYL_STEM in flat.replace(" ", ""):
        match = re.search(r"\w*salicyl\w*", flat)
        return match.group() if match else SALICYL_STEM
    match = _NAME_PATTERN.search(flat)
    return match.group(1) if match else None
