"""Shared fixtures. No test scans entry points unless it fakes them itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# `make test` keeps example counts modest; `make test-deep` sets HYPOTHESIS_PROFILE=deep.
settings.register_profile("default", max_examples=50, deadline=None)
settings.register_profile(
    "deep", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
TODDLER = ROOT / "examples" / "toddler-shock-brainstem.json"


@pytest.fixture(autouse=True)
def _no_third_party_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's installed plugins must not leak into the project's tests."""
    monkeypatch.setenv("ORDERSET_LOAD_PLUGINS", "")


@pytest.fixture
def toddler_data() -> dict:
    return json.loads(TODDLER.read_text())


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `orderset` command as a user would."""
    exe = Path(sys.executable).parent / "orderset"
    env = {**os.environ, "ORDERSET_LOAD_PLUGINS": ""}
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=120
    )


# `orderset serve` on a loopback port, shared by the service's API and browser tests.
from tests.service_server import live_server  # noqa: E402, F401
