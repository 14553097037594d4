"""Rule descriptions, as plugins declare them through `orderset_rules`."""

from __future__ import annotations

from attrs import frozen

from orderset.model import Grade

#: Version of ../shared/clinical-rules.md these plugins encode; printed on the sheet and in JSON.
RULES_VERSION = "2026-11"


@frozen
class Rule:
    id: str
    title: str
    grade: Grade
    #: Who encodes it; filled in by the engine from the plugin that declared the rule.
    plugin: str = ""


def rules_markdown(rules: list[Rule]) -> str:
    """The README's rule table, generated from what the loaded plugins declare."""
    lines = ["| rule | what | grade | plugin |", "|---|---|---|---|"]
    lines += [f"| {r.id} | {r.title} | {r.grade} | {r.plugin} |" for r in rules]
    return "\n".join(lines) + "\n"
