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

from orderset.textnorm import normalise

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
