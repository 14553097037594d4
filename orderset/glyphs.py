"""Can the order sheet print this text? Checked at load, so an unprintable name is refused
with its field named (exit 2) instead of failing the PDF render (exit 1).

The sheet prints with the bundled DejaVu Sans (regular and bold) first, then whatever fonts the
machine has: pango, under weasyprint, falls back to any installed font that has a character
(the set-up installs Debian's fonts-noto-cjk, fonts-tlwg-loma-ttf and fonts-lohit-deva for CJK,
Thai and Devanagari; DejaVu itself covers Latin, Greek, Cyrillic, Arabic and Hebrew). A
character is printable when it is in both bundled faces (the table below) or in a font that
fontconfig lists on this machine.

Speed: the loader is on the hot path. ASCII text costs one `str.isascii()`; other text is looked
up in the bundled table by bisection; only a character outside DejaVu asks fontconfig, once per
process (`fc-list`, about 40 ms), and the answer is cached. weasyprint and fontTools are never
imported here.

Invisible characters are not checked: controls, format characters (zero-width joiners, bidi
marks) and line/paragraph separators print as nothing or as a space (the PDF renderer turns the
controls pango cannot draw into spaces).
"""

from __future__ import annotations

import bisect
import functools
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable, Iterator

from orderset.errors import InputError
from orderset.model import Encounter, Patient

#: Code points in both templates/fonts/DejaVuSans.ttf and DejaVuSans-Bold.ttf, as fontconfig
#: writes a charset (hex, ranges inclusive). Regenerate with `python -m orderset.glyphs` after
#: changing the bundled fonts; tests/test_sheet.py fails when this and the fonts disagree.
BUNDLED_COVERAGE = (
    "20-7e a0-2e9 2ec-2ee 2f3 2f7 300-34f 351-353 357-358 35a 35c-362 370-377 37a-37f "
    "384-38a 38c 38e-3a1 3a3-525 531-556 559-55f 561-587 589-58a 5b0-5c3 5c6-5c7 5d0-5ea "
    "5f0-5f4 606-607 609-60a 60c 615 61b 61f 621-63a 640-655 657 65a 660-670 674 679-6bf "
    "6c6-6c8 6cb-6cc 6ce 6d0 6d5 6f0-6f9 7c0-7e7 7eb-7f5 7f8-7fa e3f e81-e82 e84 e87-e88 "
    "e8a e8d e94-e97 e99-e9f ea1-ea3 ea5 ea7 eaa-eab ead-eb9 ebb-ebd ec0-ec4 ec6 ec8-ecd "
    "ed0-ed9 edc-edd 10a0-10c5 10d0-10fc 1401-1407 1409-141b 141d-1435 1437-144a 144c-1452 "
    "1454-14bd 14c0-14ea 14ec-1507 1510-153e 1540-1550 1552-156a 1574-1585 158a-1596 "
    "15a0-15af 15de 15e1 1646-1647 166e-1676 1680-169c 1d00-1d14 1d16-1d23 1d26-1d2e "
    "1d30-1d5b 1d5d-1d6a 1d77-1d78 1d7b 1d7d 1d85 1d9b-1dbf 1dc4-1dc9 1e00-1efb 1f00-1f15 "
    "1f18-1f1d 1f20-1f45 1f48-1f4d 1f50-1f57 1f59 1f5b 1f5d 1f5f-1f7d 1f80-1fb4 1fb6-1fc4 "
    "1fc6-1fd3 1fd6-1fdb 1fdd-1fef 1ff2-1ff4 1ff6-1ffe 2000-2064 206a-2071 2074-208e "
    "2090-209c 20a0-20b5 20b8-20ba 20bd 20d0-20d1 20d6-20d7 20db-20dc 20e1 2100-2109 "
    "210b-2149 214b 214e 2150-2185 2189 2190-2311 2318-2319 231c-2321 2324-2328 232b-232c "
    "2373-2375 237a 237d 2387 2394 239b-23ae 23ce-23cf 23e3 23e5 23e8 2422-2423 2460-2469 "
    "2500-269c 269e-26b8 26c0-26c3 26e2 2701-2704 2706-2709 270c-2727 2729-274b 274d "
    "274f-2752 2756 2758-275e 2761-2794 2798-27af 27b1-27be 27c5-27c6 27e0 27e6-27eb "
    "27f0-28ff 2906-2907 290a-290b 2940-2941 2983-2984 29ce-29d5 29eb 29fa-29fb 2a00-2a02 "
    "2a0c-2a1c 2a2f 2a6a-2a6b 2a7d-2aa0 2aae-2aba 2af9-2afa 2b00-2b1a 2b1f-2b24 2b53-2b54 "
    "2c60-2c77 2c79-2c7f 2d00-2d25 2d30-2d65 2d6f 2e18 2e1f 2e22-2e25 2e2e 4dc0-4dff "
    "a4d0-a4ff a644-a647 a64c-a64d a650-a651 a654-a657 a662-a66e a68a-a68d a694-a695 "
    "a698-a699 a708-a716 a71b-a71f a722-a72b a730-a741 a746-a74b a74e-a753 a756-a757 "
    "a764-a767 a780-a783 a789-a78e a790-a791 a7a0-a7aa a7f8-a7ff ef00-ef19 f400-f426 "
    "f428-f441 f6c5 fb00-fb06 fb13-fb17 fb1d-fb36 fb38-fb3c fb3e fb40-fb41 fb43-fb44 "
    "fb46-fb4f fb52-fba3 fbaa-fbad fbd3-fbdc fbde-fbdf fbe4-fbe9 fbfc-fbff fe00-fe0f "
    "fe20-fe23 fe70-fe74 fe76-fefc feff fff9-fffd 10300-1031e 10320-10323 1d300-1d356 "
    "1d538-1d539 1d53b-1d53e 1d540-1d544 1d546 1d54a-1d550 1d552-1d56b 1d7d8-1d7e1 "
    "1f030-1f093 1f0a0-1f0ae 1f0b1-1f0be 1f0c1-1f0cf 1f0d1-1f0df 1f311-1f318 1f42d-1f42e "
    "1f431 1f435 1f600-1f623 1f625-1f62b 1f62d-1f640 1f643 "
)

#: Categories that draw no glyph of their own (controls, format characters, separators).
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})
_UNNAMED = {"Co": "private use", "Cn": "unassigned", "Cs": "lone surrogate"}
_FC_TIMEOUT_SECONDS = 10


def parse_charset(text: str) -> list[tuple[int, int]]:
    """ "20-7e a0 ..." (fontconfig's charset notation) as sorted, merged (first, last) pairs."""
    pairs = []
    for token in text.split():
        first, _, last = token.partition("-")
        pairs.append((int(first, 16), int(last or first, 16)))
    return _merge(pairs)


def _merge(pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(pairs):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


class Coverage:
    """A set of code points held as sorted ranges."""

    def __init__(self, pairs: Iterable[tuple[int, int]]) -> None:
        self._pairs = _merge(pairs)
        self._firsts = [first for first, _ in self._pairs]

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, int):
            return False
        i = bisect.bisect_right(self._firsts, code) - 1
        return i >= 0 and code <= self._pairs[i][1]

    def __len__(self) -> int:
        return sum(last - first + 1 for first, last in self._pairs)

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return list(self._pairs)


BUNDLED = Coverage(parse_charset(BUNDLED_COVERAGE))


@functools.cache
def installed_coverage() -> Coverage:
    """Every character of every TrueType/OpenType font fontconfig lists here (empty when
    fontconfig's tools are missing: then only the bundled fonts count)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return Coverage(())
    try:
        out = subprocess.run(
            [fc_list, "--format", "%{fontformat}|%{charset}\\n"],
            capture_output=True,
            text=True,
            timeout=_FC_TIMEOUT_SECONDS,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return Coverage(())
    pairs: list[tuple[int, int]] = []
    for line in out.splitlines():
        fmt, _, charset = line.partition("|")
        if fmt in ("TrueType", "CFF"):
            pairs += parse_charset(charset)
    return Coverage(pairs)


def unprintable(text: str) -> Iterator[str]:
    """The characters of `text` no available font can print, in order."""
    if text.isascii():  # the bundled fonts have all of printable ASCII; controls are skipped
        return
    for char in text:
        code = ord(char)
        if code in BUNDLED or unicodedata.category(char) in _INVISIBLE:
            continue
        if code not in installed_coverage():
            yield char


def check_printable(field: str, text: str | None) -> None:
    """Raise InputError naming `field` and the first character no font can print."""
    if text is None:
        return
    for char in unprintable(text):
        name = unicodedata.name(char, "") or _UNNAMED.get(unicodedata.category(char), "unnamed")
        raise InputError(
            field,
            f"character U+{ord(char):04X} ({name}) cannot be printed on the order sheet:"
            " no font on this machine has it",
        )


def printed_fields(patient: Patient, encounter: Encounter) -> Iterator[tuple[str, str | None]]:
    """(field path, text) of every free-text input the sheet prints."""
    for name in ("mrn", "family_name", "given_name"):
        yield f"patient.{name}", getattr(patient, name)
    for i, allergy in enumerate(patient.allergies or ()):
        yield f"patient.allergies[{i}].substance", allergy.substance
        yield f"patient.allergies[{i}].reaction", allergy.reaction
    for name in ("location", "attending"):
        yield f"encounter.{name}", getattr(encounter, name)


def check_case_text(patient: Patient, encounter: Encounter) -> None:
    """The load-time check: every printed free-text field of the case can be printed."""
    for field, text in printed_fields(patient, encounter):
        check_printable(field, text)


def _bundled_charset_from_fonts() -> str:
    """The BUNDLED_COVERAGE text recomputed from the bundled fonts (needs fontTools)."""
    import importlib.resources

    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # no stubs; tool only

    fonts = importlib.resources.files("orderset.templates") / "fonts"
    cmaps = []
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        with importlib.resources.as_file(fonts / name) as path:
            cmaps.append(set(TTFont(path).getBestCmap()))
    common = sorted(set.intersection(*cmaps))
    pairs = _merge((c, c) for c in common)
    return " ".join(f"{a:x}" if a == b else f"{a:x}-{b:x}" for a, b in pairs)


if __name__ == "__main__":  # pragma: no cover - a maintenance tool
    print(_bundled_charset_from_fonts())
