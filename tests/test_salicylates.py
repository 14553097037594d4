"""ALERT-1: no order of any kind names a salicylate for a child (red-team findings 2)."""

from __future__ import annotations

import pytest

from orderset.errors import PluginError
from orderset.model import Evidence, Order, Section
from orderset.plugin import hookimpl, units
from orderset.salicylates import SALICYLATE_NAMES, salicylate_in
from orderset.testing import build, case_data

SPELLINGS = [
    *SALICYLATE_NAMES,
    "ASA",
    "Aspirin 81 mg",
    "acetyl-salicylic acid",
    "Pepto Bismol",
    "BISMUTH SUBSALICYLATE",
    "\u0410spirin",  # Cyrillic capital A
    "asp\u200birin",  # zero-width space
    "as\u00adpirin",  # soft hyphen
    "\uff41\uff53\uff50\uff49\uff52\uff49\uff4e",  # fullwidth
    "magnesium salicylate",
]
NOT_SALICYLATES = ["methylprednisolone", "base", "tocilizumab", "oseltamivir", "basal rate"]


@pytest.mark.parametrize("text", SPELLINGS)
def test_every_listed_spelling_is_recognised(text):
    assert salicylate_in(text) is not None


@pytest.mark.parametrize("text", NOT_SALICYLATES)
def test_ordinary_words_are_not_salicylates(text):
    assert salicylate_in(text) is None


def _plugin(**fields):
    class Proposes:
        @hookimpl
        def orderset_orders(self, context):
            base = dict(
                id="SITE-1",
                rule_id="SITE-1",
                kind="nursing",
                section=Section.ADMISSION,
                selected=True,
                text="Site order",
                evidence=Evidence("partial", ("site",)),
            )
            base.update(fields)
            return [Order(**base)]

    return [("site", Proposes())]


MEDICATION = dict(
    kind="medication",
    text="",
    dose=units.Quantity(142, units.mg),
    dose_unit="mg",
    route="IV",
    frequency="once",
)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param(dict(text="aspirin 650 mg IV once"), id="nursing-text"),
        pytest.param(dict(kind="lab", text="Give ASA after the salicylate level"), id="lab-text"),
        pytest.param(dict(MEDICATION, drug="asa"), id="drug-abbreviation"),
        pytest.param(dict(MEDICATION, drug="diflunisal"), id="drug-diflunisal"),
        pytest.param(dict(MEDICATION, drug="x", drug_classes=("salicylates",)), id="class"),
        pytest.param(dict(MEDICATION, drug="x", instructions="with Pepto-Bismol"), id="instr"),
    ],
)
def test_a_child_never_gets_an_order_naming_a_salicylate(fields):
    with pytest.raises(PluginError, match=r"plugin 'site': order SITE-1: names .*ALERT-1"):
        build(case_data(), plugins=_plugin(**fields), builtins=False, profile={})


def test_an_adult_may_have_aspirin_in_a_nursing_note():
    order_set = build(
        case_data(age_months=12 * 40, weight="70 kg"),
        plugins=_plugin(text="Hold aspirin before the procedure"),
        builtins=False,
        profile={},
    )
    assert [o.id for o in order_set.orders] == ["SITE-1"]
