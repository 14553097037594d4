"""Several cases at once: one file per case, bad cases named and skipped, exit status kept."""

from __future__ import annotations

import json

from tests.conftest import EXAMPLES, ROOT, TODDLER, run_cli


def test_batch_writes_one_file_per_case_on_two_workers(tmp_path):
    result = run_cli("build", *map(str, EXAMPLES), "-o", str(tmp_path), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"{p.stem}.json" for p in EXAMPLES)
    single = run_cli("build", str(TODDLER)).stdout
    assert (tmp_path / "toddler-shock-brainstem.json").read_text() == single


def test_a_bad_case_in_a_batch_is_named_gets_no_file_and_exits_2(tmp_path):
    bad = ROOT / "tests" / "bad_inputs" / "zero-weight.json"
    result = run_cli("build", str(TODDLER), str(bad), "-o", str(tmp_path), "--format", "hl7")
    assert result.returncode == 2
    assert f"{bad}: patient.weight: 0 kg must be more than zero" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toddler-shock-brainstem.hl7"]


def test_several_cases_need_an_output_directory(tmp_path):
    result = run_cli("build", str(TODDLER), str(EXAMPLES[0]))
    assert result.returncode == 2
    assert "several cases need an output directory" in result.stderr
    target = tmp_path / "file.json"
    target.write_text("{}")
    result = run_cli("build", str(TODDLER), str(EXAMPLES[0]), "-o", str(target))
    assert result.returncode == 2 and "is not a directory" in result.stderr
    assert json.loads(target.read_text()) == {}
