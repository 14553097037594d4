"""The package face and its metadata: every exported name exists, and the licence is declared
in the metadata and shipped with the wheel."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from email.parser import HeaderParser

import pytest

import orderset
import orderset.plugin
import orderset.renderers
from tests.conftest import ROOT


@pytest.mark.parametrize("module", [orderset, orderset.plugin], ids=lambda m: m.__name__)
def test_every_name_in_all_exists(module):
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_render_is_the_one_renderers_entry_point():
    assert orderset.render is orderset.renderers.render


def test_license_is_declared_and_every_license_file_exists():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    for name in project["license-files"]:
        assert (ROOT / name).is_file(), name
    license_text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in license_text
    # The bundled fonts are not Apache-licensed: the NOTICE says so and names their licence.
    assert "templates/fonts/LICENSE-DejaVu.txt" in (ROOT / "NOTICE").read_text()


@pytest.mark.slow
def test_wheel_metadata_has_the_license_expression_and_files(tmp_path):
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path)]
    result = subprocess.run(
        [*command, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    wheel = zipfile.ZipFile(next(tmp_path.glob("orderset-*.whl")))
    info = next(n.split("/")[0] for n in wheel.namelist() if n.split("/")[0].endswith(".dist-info"))
    metadata = HeaderParser().parsestr(wheel.read(f"{info}/METADATA").decode())
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == [
        "LICENSE",
        "NOTICE",
        "templates/fonts/LICENSE-DejaVu.txt",
    ]
    names = wheel.namelist()
    assert f"{info}/licenses/LICENSE" in names
    assert f"{info}/licenses/NOTICE" in names
