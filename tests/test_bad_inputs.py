"""The bad-input corpus (tests/bad_inputs/expected.toml), run through the CLI as a user would."""

from __future__ import annotations

import tomllib

import pytest

from tests.conftest import ROOT, run_cli

CORPUS = ROOT / "tests" / "bad_inputs"
EXPECTED = tomllib.loads((CORPUS / "expected.toml").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("existing_output", [False, True], ids=["no-output", "existing-output"])
def test_bad_input_exits_2_naming_the_field_and_writes_nothing(name, existing_output, tmp_path):
    entry = EXPECTED[name]
    out = tmp_path / "order-set.json"
    if existing_output:
        out.write_text("earlier order set")
    args = ["build", str(CORPUS / entry["case"]), "-o", str(out)]
    if "profile" in entry:
        args += ["--profile", str(CORPUS / entry["profile"])]
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr == "orderset: error: " + entry["error"].format(dir=CORPUS) + "\n"
    assert result.stdout == ""
    if existing_output:
        assert out.read_text() == "earlier order set"
    else:
        assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == (["order-set.json"] if existing_output else [])


def test_the_valid_case_in_the_corpus_builds():
    result = run_cli("build", str(CORPUS / "valid-case.json"))
    assert result.returncode == 0, result.stderr
