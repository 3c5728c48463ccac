"""Keep a command's data on stdout apart from what python hooks print.

`racesdsl sample` writes JSON lines to stdout, and a spec's python sampler,
solver or verifier runs inside it and may `print()`. Rather than redirect
around every hook call (on the hot path), the command sends stdout to stderr
for its whole run, at the file-descriptor level too, so C extensions and
worker processes (forked or spawned) inherit it; the data is written to a
duplicate of the original stdout."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import TextIO


@contextlib.contextmanager
def data_stdout() -> Iterator[TextIO]:
    """A stream onto the real stdout, while `sys.stdout` and fd 1 point at stderr."""
    real = sys.stdout
    real.flush()
    try:
        fd, err = real.fileno(), sys.stderr.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):  # not backed by files: redirect in Python only
        fd = err = None
    if fd is None or err is None:
        sys.stdout = sys.stderr
        try:
            yield real
        finally:
            sys.stdout = real
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    os.dup2(err, fd)
    sys.stdout = sys.stderr
    data = os.fdopen(os.dup(saved), "w", encoding=real.encoding or "utf-8", errors=real.errors or "strict",
                     newline="\n")
    try:
        yield data
        data.flush()
    finally:
        sys.stdout = real
        with contextlib.suppress(OSError):  # a broken pipe is reported by the caller, not here
            data.close()
        sys.stderr.flush()
        os.dup2(saved, fd)
        os.close(saved)
