"""The plugin API as a site author meets it: one import, honest hook options, new formats."""

from __future__ import annotations

import importlib

import pytest

import orderset
import orderset.plugin
from orderset.errors import InputError, PluginError
from orderset.plugin import Renderer, hookimpl
from orderset.renderers import BUILTIN_FORMATS, render, renderers
from orderset.testing import build, case_data, fresh_host


def test_every_public_name_of_the_plugin_api_imports():
    for name in orderset.plugin.__all__:
        assert getattr(orderset.plugin, name) is not None, name
    # The hook markers are the same objects the host validates against.
    assert orderset.plugin.hookimpl is orderset.hookimpl


@pytest.mark.parametrize("option", ["tryfirst", "trylast", "wrapper"])
def test_the_host_refuses_ordering_options_it_does_not_honour(option):
    class Ordered:
        @hookimpl(**{option: True})
        def orderset_rules(self):
            return (yield) if option == "wrapper" else []

    with pytest.raises(PluginError, match=rf"plugin 'ordered': hook orderset_rules uses {option}"):
        fresh_host([("ordered", Ordered())], builtins=False)


def test_a_refused_plugin_is_not_left_registered():
    class Ordered:
        @hookimpl(tryfirst=True)
        def orderset_rules(self):
            return []

    host = fresh_host(builtins=False)
    with pytest.raises(PluginError):
        host.register(Ordered(), "ordered", version="1", source="test")
    assert [p.name for p in host.plugins] == []
    assert host.pm.get_plugin("ordered") is None


def _csv(order_set) -> bytes:
    rows = ["id,selected"] + [f"{o.id},{int(o.selected)}" for o in order_set.orders]
    return ("\n".join(rows) + "\n").encode()


class CsvFormat:
    @hookimpl
    def orderset_renderers(self):
        return [Renderer("csv", "text/csv", "csv", render=_csv, description="ids only")]


def test_a_site_adds_a_format_through_the_renderers_hook():
    host = fresh_host([("csvformat", CsvFormat())], builtins=False)
    extra = host.renderers()
    assert [r.name for r in extra] == ["csv"]
    order_set = build(case_data(), plugins=[("csvformat", CsvFormat())])
    data = render(order_set, "csv", extra)
    assert data.splitlines()[0] == b"id,selected"
    assert len(data.splitlines()) == len(order_set.orders) + 1


def test_a_site_format_may_not_replace_a_built_in_one():
    class FakePdf:
        @hookimpl
        def orderset_renderers(self):
            return [Renderer("pdf", "application/pdf", "pdf", render=lambda s: b"%PDF-fake")]

    extra = fresh_host([("fakepdf", FakePdf())], builtins=False).renderers()
    with pytest.raises(InputError, match="format 'pdf' is already defined"):
        renderers(extra)


def test_an_unknown_format_names_the_known_ones():
    order_set = build(case_data())
    with pytest.raises(
        InputError,
        match=(
            r"^format: unknown format 'docx'"
            r" \(known: .*hl7, html, json, labels, pdf, worksheet\)"
        ),
    ):
        orderset.render(order_set, "docx")


def test_built_in_renderers_share_one_contract():
    order_set = build(case_data())
    for fmt in BUILTIN_FORMATS:
        if fmt == "pdf":
            continue  # rendered in tests/test_pdf.py; weasyprint is slow to import
        module = importlib.import_module(f"orderset.renderers.{fmt}")
        assert module.render(order_set) == orderset.render(order_set, fmt)
        assert isinstance(orderset.render(order_set, fmt), bytes)
