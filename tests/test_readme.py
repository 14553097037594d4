"""Docs that cannot drift: the README's rule table and hook list follow the code."""

from __future__ import annotations

import inspect
import re

from orderset.engine import engine_rules
from orderset.plugin import hookspecs
from orderset.rules import rules_markdown
from orderset.testing import fresh_host
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_rule_table_matches_the_plugins():
    table = re.search(r"<!-- rules:start -->\n(.*?)<!-- rules:end -->", README, re.S)
    assert table, "README lacks the rules markers"
    expected = rules_markdown([*engine_rules(), *fresh_host().rules()])
    assert table.group(1) == expected, "README rule table is stale: run `make readme`"


def test_every_hook_is_documented_in_the_readme_and_has_a_docstring():
    hooks = [
        n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("orderset_")
    ]
    assert hooks
    for name in hooks:
        assert f"`{name}`" in README, name
        assert ":return:" in (getattr(hookspecs, name).__doc__ or ""), name


def test_every_declared_rule_id_is_cited_in_its_plugin_source():
    for rule in fresh_host().rules():
        source = (ROOT / "plugins" / f"{rule.plugin}.py").read_text()
        assert rule.id in source, (rule.id, rule.plugin)
