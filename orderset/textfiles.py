"""Reading an input file (a case or a profile) as bounded UTF-8 text, every failure an
InputError naming the file, so a directory, a huge file or a non-UTF-8 file is exit 2."""

from __future__ import annotations

from pathlib import Path

from orderset.errors import InputError


def read_text(path: str | Path, *, max_bytes: int, kind: str, missing: str) -> str:
    """The file's text; `kind` names it in messages ("case", "profile"), `missing` is the
    message when it does not exist."""
    try:
        with Path(path).open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError(str(path), missing) from None
    except IsADirectoryError:
        raise InputError(str(path), f"is a directory, not a {kind} file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror})") from None
    if len(raw) > max_bytes:
        raise InputError(str(path), f"is larger than {max_bytes:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(str(path), "is not UTF-8 text") from None
