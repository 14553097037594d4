"""Atomic output files keep ordinary permissions."""

from __future__ import annotations

import os
import stat

from orderset.output import write_atomic


def test_new_file_gets_umask_permissions_and_existing_file_keeps_its_mode(tmp_path):
    old = os.umask(0o022)
    try:
        new = tmp_path / "new.json"
        write_atomic(new, b"{}")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        kept = tmp_path / "kept.json"
        kept.write_bytes(b"old")
        kept.chmod(0o640)
        write_atomic(kept, b"new")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
        assert kept.read_bytes() == b"new"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.json", "new.json"]
    finally:
        os.umask(old)
