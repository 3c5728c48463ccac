"""Atomic file writes for exports: a reader never sees half a file.

The data goes to a temporary file beside the target, then `os.replace`s it
(same folder, so the rename is atomic). A process killed mid-write (kill -9)
cannot clean up, so temporary files carry a recognisable name,
`.<target>.<pid>.<random>.racesdsl-tmp`, and the next write of the same target
removes those whose writing process is gone. Files of a live process (another
writer of the same target) are left alone."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

__all__ = ["TEMP_SUFFIX", "write_atomic"]

TEMP_SUFFIX = ".racesdsl-tmp"


def write_atomic(path: Path, fill: Callable[[IO[bytes]], int]) -> int:
    """Create `path`'s missing parent folders, write through `fill` into a temporary
    file beside it and rename that over `path`; returns what `fill` returns."""
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder, path.name)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.{os.getpid()}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            count = fill(fh)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _remove_stale(folder: Path, name: str) -> None:
    """Delete temporary files of `name` left by writers that no longer run."""
    prefix = f".{name}."
    for entry in folder.glob(f".{_glob_escape(name)}.*{TEMP_SUFFIX}"):
        pid_text = entry.name[len(prefix):].split(".", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            entry.unlink(missing_ok=True)


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process may be writing the same target
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # another user's process, or a pid this system cannot have
        return True  # unknowable: leave its file
    return True
