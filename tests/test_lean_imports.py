"""The hot path stays lean: JSON and HL7 never import weasyprint, and the pint registry cache
is an optimisation only (switching it off or pointing it at a bad folder changes nothing)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import TODDLER


def _importtime(fmt: str, env_extra: dict[str, str] | None = None) -> tuple[str, str]:
    exe = os.path.join(os.path.dirname(sys.executable), "orderset")
    code = f"import sys; sys.argv = ['orderset', 'build', {str(TODDLER)!r}, '--format', {fmt!r}]; "
    code += "from orderset.cli import main; sys.exit(main())"
    env = {**os.environ, "ORDERSET_LOAD_PLUGINS": "", **(env_extra or {})}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert exe  # the console script exists beside the interpreter
    return result.stdout, result.stderr


@pytest.mark.parametrize("fmt", ["json", "hl7"])
def test_json_and_hl7_never_import_weasyprint(fmt):
    _, imports = _importtime(fmt)
    imported = {line.split("|")[-1].strip() for line in imports.splitlines() if "|" in line}
    assert "orderset.engine" in imported  # the measurement really saw our imports
    assert not {m for m in imported if m.split(".")[0] == "weasyprint"}


@pytest.mark.parametrize("cache", ["", "/proc/no-such-dir/cache"], ids=["off", "unwritable"])
def test_pint_cache_off_or_unusable_gives_the_same_output(cache, tmp_path):
    normal, _ = _importtime("json", {"ORDERSET_CACHE_DIR": str(tmp_path)})
    other, _ = _importtime("json", {"ORDERSET_CACHE_DIR": cache})
    assert normal == other
