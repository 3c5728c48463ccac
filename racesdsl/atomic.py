"""Atomic file writes: a reader never sees half a file, a killed writer leaves
nothing that lasts.

Data goes to a temporary file beside the target, which is then `os.replace`d
over it (same folder, so the rename is atomic). The temporary file is created
0666 minus the umask, as `open()` would create the target (`mkstemp` would
force 0600). A process killed mid-write (kill -9) cannot clean up, so
temporary files carry a recognisable name, `.<target>.<pid>.<random>.racesdsl-tmp`,
and the next write into the same folder removes those whose process is gone;
a live writer's files are left alone (where processes cannot be probed, files
over an hour old count as left over). Used by the exporters, `sample -o`,
`enumerate -o` and `compile`."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

__all__ = ["TEMP_SUFFIX", "clean_leftovers", "write_atomic", "write_temp"]

TEMP_SUFFIX = ".racesdsl-tmp"


def write_temp(target: Path, fill: Callable[[IO[bytes]], object]) -> Path:
    """A new temporary file next to `target`, written by `fill`; removed again if `fill` fails."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_atomic(path: Path, fill: Callable[[IO[bytes]], int]) -> int:
    """Create `path`'s missing parent folders, write through `fill` into a temporary
    file beside it and rename that over `path`; returns what `fill` returns."""
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    clean_leftovers(folder)
    result: list[int] = []
    tmp = write_temp(path, lambda fh: result.append(fill(fh)))
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result[0]


def clean_leftovers(folder: Path) -> None:
    """Delete the temporary files in `folder` that writers killed mid-write left behind."""
    for tmp in folder.glob(f".*{TEMP_SUFFIX}"):
        try:
            if _is_leftover(tmp):
                tmp.unlink()
        except OSError:
            pass  # another writer removed it first, or it is not ours to remove


def _is_leftover(tmp: Path) -> bool:
    parts = tmp.name[: -len(TEMP_SUFFIX)].rsplit(".", 2)
    if os.name != "posix" or len(parts) != 3 or not parts[1].isdigit():
        return time.time() - tmp.stat().st_mtime > 3600
    pid = int(parts[1])
    if pid == os.getpid():
        return False  # another thread of this process may be writing
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):  # another user's process, or a pid this system cannot have
        return False
    return False
