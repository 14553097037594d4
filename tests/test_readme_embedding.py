"""The README's "Embedding (Python API)" example runs as written, against a local receiver."""

from __future__ import annotations

import contextlib
import io
import re

from tests.conftest import ROOT
from tests.test_mllp import Receiver, ack

README = (ROOT / "README.md").read_text()
PORT_LINE = 'PHARMACY = ("127.0.0.1", 2575)'


def _example() -> str:
    section = README.split("## Embedding (Python API)", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block, "the Embedding section lost its example"
    assert PORT_LINE in block.group(1)
    return block.group(1)


def test_the_embedding_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    with Receiver(lambda message: ack(message, "AA")) as receiver:
        code = _example().replace(PORT_LINE, f'PHARMACY = ("127.0.0.1", {receiver.port})')
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md:Embedding", "exec"), {"__name__": "readme"})
    printed = out.getvalue().splitlines()
    assert "IVIG-1 selected by the clinician" in printed
    assert "TCZ-1 not selected by the clinician" in printed
    assert len(receiver.received) == 2  # OMP^O09 and OMG^O19, each acknowledged
    assert sum(line.endswith(" accepted") for line in printed) == 2
    fields = [line.split(" -> ")[0] for line in printed if " -> " in line]
    assert fields == ["selections.IVIG-9", "profile", "disable", "case", "patient.weight"]
