"""The built wheel installs into a fresh virtual environment and works there, with no generic
top-level `plugins` or `templates` package, and a third-party plugin arrives by entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _run(*cmd, **kw) -> subprocess.CompletedProcess[str]:
    # A user's environment: third-party plugins are not filtered out here.
    env = {k: v for k, v in os.environ.items() if k != "ORDERSET_LOAD_PLUGINS"}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, **kw)
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(ROOT))
    return next(dist.glob("orderset-*.whl"))


def test_wheel_ships_plugins_and_templates_inside_orderset(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {n.split("/")[0] for n in names if not n.endswith(".dist-info/")}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"orderset"}
    assert "orderset/plugins/steroids.py" in names
    assert "orderset/templates/__init__.py" in names
    assert any(n.startswith("orderset/examples/") and n.endswith(".json") for n in names)
    assert any(n.startswith("orderset/profiles/") and n.endswith(".toml") for n in names)


def test_wheel_installs_into_a_clean_venv_and_runs_the_bundled_example(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", str(venv))
    py = venv / "bin" / "python"
    _run(str(py), "-m", "pip", "install", "--quiet", str(wheel))
    site = _run(str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    purelib = Path(site.stdout.strip())
    assert not (purelib / "plugins").exists() and not (purelib / "templates").exists()

    out = tmp_path / "set.json"
    cli = venv / "bin" / "orderset"
    _run(str(cli), "build", "example:toddler-shock-brainstem", "-o", str(out), cwd=tmp_path)
    doc = json.loads(out.read_text())
    assert doc["schema"] == "orderset/1"
    assert any(o["id"] == "MP-1" for o in doc["orders"])

    # A third-party plugin, installed for real, is found through the entry-point group.
    plugin_src = ROOT / "tests" / "fixtures" / "site_plugin"
    _run(str(py), "-m", "pip", "install", "--quiet", "--no-deps", str(plugin_src))
    listing = json.loads(_run(str(cli), "plugins", "--json", cwd=tmp_path).stdout)
    site_plugin = next(p for p in listing["plugins"] if p["name"] == "site_example")
    assert site_plugin["version"] == "1.2.0"
    assert site_plugin["source"] == "entry point (orderset-site-example)"
    doc = json.loads(
        _run(str(cli), "build", "example:toddler-shock-brainstem", cwd=tmp_path).stdout
    )
    site_order = next(o for o in doc["orders"] if o["id"] == "SITE-1")
    assert (site_order["plugin"], site_order["plugin_version"]) == ("site_example", "1.2.0")
    disabled = _run(
        str(cli),
        "build",
        "example:toddler-shock-brainstem",
        "--disable",
        "site_example",
        cwd=tmp_path,
    )
    assert not any(o["id"] == "SITE-1" for o in json.loads(disabled.stdout)["orders"])
