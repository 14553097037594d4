"""docs/clinical-rules.md is generated from the rule records: it fails when they disagree."""

from __future__ import annotations

import attrs

from orderset import units
from orderset.rules import (
    DOCUMENT_END,
    DOCUMENT_START,
    RULES_VERSION,
    document_for_host,
    record_row,
    records_in,
    rules_document,
)
from orderset.testing import fresh_host
from tests.conftest import ROOT

DOCUMENT = ROOT / "docs" / "clinical-rules.md"


def _records(host):
    out = []
    for info in host.plugins:
        out += records_in(vars(host.pm.get_plugin(info.name)))
    return out


def test_document_matches_the_records():
    expected = document_for_host(fresh_host())
    assert DOCUMENT.read_text() == expected, (
        "docs/clinical-rules.md is stale: run `orderset rules --document > docs/clinical-rules.md`"
    )


def test_every_record_and_rule_is_in_the_document():
    host = fresh_host()
    text = DOCUMENT.read_text()
    products = {key: p.dose_unit for key, p in _formulary(host).items()}
    records = _records(host)
    assert len(records) >= 20
    for record in records:
        assert record_row(record, products.get(record.product)) in text, record.id
    for rule in host.rules():
        assert f"### {rule.id} {rule.title}" in text
        assert f"- Grade: `{rule.grade}`" in text.split(f"### {rule.id} ")[1]


def test_a_changed_record_changes_the_document():
    host = fresh_host()
    records = _records(host)
    changed = [
        attrs.evolve(r, maximum=units.Quantity(5, units.mg)) if r.id == "SEIZ-1-LORAZEPAM" else r
        for r in records
    ]
    rules = host.rules()
    assert rules_document(rules, changed) != rules_document(rules, records)


def test_document_says_what_version_it_encodes_and_that_it_is_generated():
    text = DOCUMENT.read_text()
    assert f"Rules version: **{RULES_VERSION}**" in text
    assert RULES_VERSION == "2026-11-24"
    assert "Changes from the previous version (2026-11)" in text
    assert DOCUMENT_START in text and text.rstrip().endswith(DOCUMENT_END)


def test_plugins_cite_the_projects_rules_document():
    for path in (ROOT / "plugins").glob("*.py"):
        assert "../shared/clinical-rules.md" not in path.read_text(), path.name


def _formulary(host):
    from orderset.engine import build_formulary, load_settings

    return build_formulary(host, load_settings(host, None))
