"""Writing output files atomically: a temporary file in the same folder, renamed into place.

A failed build therefore never leaves a half-written file, and never touches an existing one.
Only a regular file (new or existing) is ever written: `-o /dev/null`, a FIFO, a directory or
`/dev/stdout` are refused (use `-` for standard output), because renaming over them would
replace a device node or write nothing while reporting success.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

from orderset.errors import InputError

#: Our temporary files: ".NAME.PID.RANDOM.tmp" (NAME cut short so the whole name fits in the
#: 255 bytes a Linux file name may have, whatever the target's length).
TEMP_SUFFIX = ".tmp"
_NAME_KEEP = 60
_TEMP = re.compile(r"^\.(?P<name>.{0,60})\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$", re.S)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Folders of devices and process files: nothing of ours is ever written there (as root,
#: renaming over /dev/stdout replaced the device symlink with a file).
SYSTEM_FOLDERS = (Path("/dev"), Path("/proc"), Path("/sys"))


def check_target(path: str | Path, field: str = "-o") -> Path:
    """The path to write, if it can be written atomically; else an InputError naming `field`.

    A symlink is followed to the file it names (the link stays a link); a device, FIFO,
    directory, or anything under /dev, /proc or /sys is refused.
    """
    target = Path(path)
    if len(os.fsencode(target.name)) > 255:
        raise InputError(field, f"the file name is longer than 255 bytes ({target.name[:40]}...)")
    if target.is_symlink() or any(_within(target.absolute(), f) for f in SYSTEM_FOLDERS):
        resolved = Path(os.path.realpath(target))
        if any(_within(p, f) for p in (resolved, target.absolute()) for f in SYSTEM_FOLDERS):
            raise InputError(
                field,
                f"{str(path)!r} is not a regular file; write to a regular file, or '-' for"
                " standard output",
            )
        target = resolved
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise InputError(field, f"{str(path)!r} cannot be used: {exc.strerror}") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise InputError(
            field,
            f"{str(path)!r} is {kind}; write to a regular file, or '-' for standard output",
        )
    parent = target.parent
    if not parent.is_dir():
        raise InputError(field, f"the folder {str(parent)!r} does not exist")
    return target


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` all at once. The file gets the mode a plain `open()` would give
    (an existing file keeps its own), not mkstemp's owner-only 0600, so a pharmacy service
    reading the output folder can still read it."""
    target = check_target(path)
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name[:_NAME_KEEP]}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=target.parent
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporary files of ours whose writing process is gone (a batch killed with
    SIGKILL cannot clean up after itself); files of live processes are left alone."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP.match(entry.name)
        if not match or not entry.is_file():
            continue
        if _alive(int(match.group("pid"))):
            continue
        entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
