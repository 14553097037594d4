"""`--replaces` file problems read as the command line's other errors: the option named, then
the file, then what is wrong with it, exit 2 and no output file (found in the user
walkthrough: a missing or malformed file was named without the option, and a patient case
given by mistake said only "orders: is not a list of orders")."""

from __future__ import annotations

import pytest

from orderset.cli import main
from tests.conftest import TODDLER


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "file not found"),
        ('{"schema": ', "not valid JSON at line 1"),
        ("[1, 2]", "not the order set that was sent"),
        (TODDLER.read_text(), "is a patient case, not the order set that was sent"),
    ],
    ids=["missing", "malformed", "not-an-object", "a-case"],
)
def test_replaces_file_errors_name_the_option(tmp_path, capsys, content, expected):
    previous = tmp_path / "sent.json"
    if content is not None:
        previous.write_text(content)
    out = tmp_path / "fix.hl7"
    args = ["build", str(TODDLER), "--format", "hl7", "--replaces", str(previous), "-o", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"orderset: error: --replaces: {previous}: "), err
    assert expected in err
    assert not out.exists()
