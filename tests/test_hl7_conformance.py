"""docs/hl7-conformance.md cannot drift: it is what the generator prints, every field any
example sends is on it, and every field on it is sent by some example."""

from __future__ import annotations

from pathlib import Path

from orderset.renderers.hl7_conformance import FIELDS, batches, document, sent_fields

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "hl7-conformance.md"


def test_the_page_is_what_the_generator_prints() -> None:
    assert PAGE.read_text(encoding="utf-8") == document(), (
        "regenerate: python -m orderset.renderers.hl7_conformance > docs/hl7-conformance.md"
    )


def test_every_field_sent_is_documented_and_every_documented_field_is_sent() -> None:
    documented = {(segment, number) for segment, number, _, _ in FIELDS}
    assert len(documented) == len(FIELDS), "a field is listed twice"
    sent = {(name, number) for data in batches() for name, number, _ in sent_fields(data)}
    assert sent - documented == set(), "sent but not on docs/hl7-conformance.md"
    assert documented - sent == set(), "on the page but sent by no example"


def test_the_readme_links_the_page() -> None:
    assert "docs/hl7-conformance.md" in (ROOT / "README.md").read_text(encoding="utf-8")
