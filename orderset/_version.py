"""The package version, in a leaf module so that nothing needs to import the package face."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("orderset")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
