"""The CLI as a user meets it: exit codes, one-line messages, no partial output files."""

from __future__ import annotations

import json

import pytest

from orderset.testing import case_data
from tests.conftest import TODDLER, run_cli


def test_build_prints_json_to_stdout():
    result = run_cli("build", str(TODDLER))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema"] == "orderset/1"
    assert doc["patient"]["mrn"] == "A1234567"


def test_build_writes_the_output_file(tmp_path):
    out = tmp_path / "set.json"
    result = run_cli("build", str(TODDLER), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["orders"]
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_bundled_example_by_name():
    result = run_cli("build", "example:toddler-shock-brainstem", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["patient"]["family_name"] == "Doe"
    listing = run_cli("examples")
    assert "example:toddler-shock-brainstem" in listing.stdout.split()


def _write(tmp_path, data) -> str:
    path = tmp_path / "case.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (case_data(weight="14.2"), "patient.weight: '14.2' has no unit (e.g. \"14.2 kg\")"),
        (case_data(weight="14.2 m"), "patient.weight: unit 'm' is not accepted for weight"),
        (case_data(birth_date="2030-01-01"), "patient.birth_date: 2030-01-01 is in the future"),
        ("{not json", "not valid JSON at line 1 column 2"),
        ("", "file is empty"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_leaves_output_alone(tmp_path, data, message):
    out = tmp_path / "out.json"
    out.write_text("previous contents")
    result = run_cli("build", _write(tmp_path, data), "-o", str(out))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
    assert out.read_text() == "previous contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.json", "out.json"]


def test_bad_input_creates_no_output_file(tmp_path):
    out = tmp_path / "new.json"
    result = run_cli("build", _write(tmp_path, case_data(weight="0 kg")), "-o", str(out))
    assert result.returncode == 2
    assert not out.exists()


def test_missing_file_and_unknown_disable_exit_2(tmp_path):
    result = run_cli("build", str(tmp_path / "nope.json"))
    assert result.returncode == 2 and "nope.json: file not found" in result.stderr
    result = run_cli("build", str(TODDLER), "--disable", "steriods")
    assert result.returncode == 2 and "--disable: no plugin named 'steriods'" in result.stderr


def test_disable_removes_the_plugin_orders():
    result = run_cli("build", str(TODDLER), "--disable", "steroids")
    assert result.returncode == 0, result.stderr
    assert not [o for o in json.loads(result.stdout)["orders"] if o["plugin"] == "steroids"]


def test_profile_with_unknown_key_exits_2(tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text("[steroids]\nmethylprednisolone_dyas = 5\n")
    result = run_cli("build", str(TODDLER), "--profile", str(profile))
    assert result.returncode == 2
    assert "steroids.methylprednisolone_dyas: unknown profile key" in result.stderr


def test_usage_errors_exit_2():
    assert run_cli("build").returncode == 2
    assert run_cli("build", str(TODDLER), "--format", "docx").returncode == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "\u0661"], "argument --port: '\u0661' is not a TCP port (1 to 65535)"),
        (["--port", "\uff18\uff10"], "argument --port: '\uff18\uff10' is not a TCP port"),
        (["--port", "1", "--timeout", "\u0967\u0966"], "argument --timeout: '\u0967\u0966' is not"),
        (["--port", "1", "--timeout", "nan"], "argument --timeout: 'nan' is not"),
        (["--port", "1", "--timeout", "1e3"], "argument --timeout: '1e3' is not"),
        (["--port", "1", "--retries", "\u09e8"], "argument --retries: '\u09e8' is not a retry"),
    ],
)
def test_send_options_are_ascii_numbers(args, message):
    result = run_cli("send", str(TODDLER), "--host", "127.0.0.1", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("jobs", ["\uff14", "\U0001d7d2", "0", "-1", "65"])
def test_jobs_is_an_ascii_number_from_1_to_64(tmp_path, jobs):
    result = run_cli("build", str(TODDLER), str(TODDLER), "-o", str(tmp_path), "-j", jobs)
    assert result.returncode == 2
    assert f"argument -j/--jobs: {jobs!r} is not a number of worker processes (1 to 64)" in (
        result.stderr
    )
    assert list(tmp_path.iterdir()) == []


def test_cli_option_parsers_accept_ascii_numbers():
    from orderset.cli import make_parser

    args = make_parser().parse_args(
        ["send", "c.json", "--host", "h", "--port", "2575", "--timeout", "0.5", "--retries", "3"]
    )
    assert (args.port, args.timeout, args.retries) == (2575, 0.5, 3)
    assert make_parser().parse_args(["build", "c.json", "-j", "2"]).jobs == 2
