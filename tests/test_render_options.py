"""Render options: what a format needs beyond the order set (`orderset.render(..., **options)`).

One way in for every caller: the CLI's `--prepared-at`, `--label-layout`, `--message-time` and
`--replaces` are the options `prepared_at`, `layout`, `message_time` and `replaces` of
`orderset.render`, and an option a format does not take is refused, never ignored.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import orderset
from orderset.cli import main
from orderset.plugin import Renderer, hookimpl
from orderset.renderers.hl7 import render_batch
from orderset.testing import build, case_data

EXAMPLE = "examples/toddler-shock-brainstem.json"
PREPARED = "2026-11-22T08:30:00-05:00"


@pytest.fixture(scope="module")
def toddler() -> orderset.OrderSet:
    return orderset.build_order_set(orderset.load_case(EXAMPLE))


def test_an_option_a_format_does_not_take_is_refused_naming_it_and_who_takes_it(toddler):
    with pytest.raises(orderset.InputError) as info:
        orderset.render(toddler, "pdf", prepared_at=dt.datetime.fromisoformat(PREPARED))
    assert info.value.field == "prepared_at"
    assert "'pdf'" in info.value.reason and "json, labels, worksheet" in info.value.reason
    with pytest.raises(orderset.InputError) as info:
        orderset.render(toddler, "json", label_layout="single")
    assert info.value.field == "label_layout" and "labels" in info.value.reason
    with pytest.raises(orderset.InputError) as info:
        orderset.render(toddler, "hl7", preparedat=1)
    assert info.value.field == "preparedat"


def test_the_json_beyond_use_times_count_from_prepared_at(toddler):
    plain = json.loads(orderset.render(toddler, "json"))
    timed = json.loads(
        orderset.render(toddler, "json", prepared_at=dt.datetime.fromisoformat(PREPARED))
    )
    tcz = next(o for o in timed["orders"] if o["id"] == "TCZ-1")["preparation"]["pharmacy"]
    assert tcz["prepared_at"] == PREPARED
    # TCZ-1 in 0.45% sodium chloride at room temperature: 4 hours (label), so 12:30.
    assert {"hours": 4, "until": "2026-11-22T12:30:00-05:00"}.items() <= tcz["beyond_use"][
        2
    ].items()
    untimed = next(o for o in plain["orders"] if o["id"] == "TCZ-1")["preparation"]["pharmacy"]
    assert untimed["prepared_at"] is None and untimed["beyond_use"][2]["until"] is None


def test_the_api_and_the_cli_give_the_same_worksheet_and_labels(toddler, tmp_path: Path):
    when = dt.datetime.fromisoformat(PREPARED)
    for fmt, extra, options in (
        ("worksheet", [], {"prepared_at": when}),
        ("labels", ["--label-layout", "single"], {"prepared_at": when, "label_layout": "single"}),
    ):
        out = tmp_path / f"{fmt}.pdf"
        argv = ["build", EXAMPLE, "--format", fmt, "--prepared-at", PREPARED, *extra]
        assert main([*argv, "-o", str(out)]) == 0
        assert out.read_bytes() == orderset.render(toddler, fmt, **options)


def test_hl7_options_through_render_are_the_batch_renderers(toddler):
    previous = json.loads(orderset.render(build(case_data(weight="14.2 kg")), "json"))
    heavier = build(case_data(weight="16 kg"))
    when = dt.datetime.fromisoformat("2026-11-22T07:15:00-05:00")
    given = orderset.render(heavier, "hl7", replaces=previous, message_time=when)
    assert given == render_batch(heavier, replaces=previous, message_time=when)
    assert b"|XO|" in given.replace(b"\r", b"|") and b"20261122071500-0500" in given


@pytest.mark.parametrize(
    ("fmt", "option"),
    [
        ("pdf", ["--prepared-at", PREPARED]),
        ("worksheet", ["--label-layout", "single"]),
        ("json", ["--message-time", "2026-11-22T06:30:00-05:00"]),
    ],
)
def test_the_cli_refuses_an_option_the_format_does_not_take(fmt, option, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", EXAMPLE, "--format", fmt, *option, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{option[0]}: does not apply to format '{fmt}'" in err
    assert not out.exists()


def test_a_site_format_declares_its_options(toddler):
    seen = {}

    def render_csv(order_set, *, delimiter=","):
        seen["delimiter"] = delimiter
        return delimiter.join(o.id for o in order_set.selected_medications).encode()

    class Site:
        @hookimpl
        def orderset_renderers(self):
            return [Renderer("csv", "text/csv", "csv", render=render_csv, options=("delimiter",))]

    extra = Site().orderset_renderers()
    assert orderset.render(toddler, "csv", extra, delimiter=";").count(b";") >= 1
    assert seen == {"delimiter": ";"}
    with pytest.raises(orderset.InputError, match="does not apply to format 'csv'"):
        orderset.render(toddler, "csv", extra, prepared_at=None)
