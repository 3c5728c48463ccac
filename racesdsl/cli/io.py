"""Output for the run-time commands: where files go, what they need, progress on a terminal.

Every way an output path can be wrong (a missing folder is created; a folder
where a file belongs, a file where a folder belongs, no permission, a full
disk) or an output format unavailable is a usage error, exit 2 with a message,
found before sampling where it can be."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from racesdsl.cli.app import EXIT_USAGE, _fail


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on a terminal; nothing when piped or under CI (logs stay clean).
    Yields `advance(to)`, which sets the bar to `to` completed units."""
    quiet = not sys.stderr.isatty() or bool(os.environ.get("CI"))
    if quiet:
        yield lambda to: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda to: bar.update(task, completed=to)


def need_pyarrow() -> None:
    """Parquet needs the `parquet` extra: say so before sampling, not after."""
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise _fail("parquet output needs pyarrow: pip install 'racesdsl[parquet]'", EXIT_USAGE) from None


def prepare_output(output: Path, folder: bool) -> None:
    """Make `-o` writable before sampling, not after: create missing parent folders (the
    folder itself for --split); a file where a folder belongs, or the reverse, is a usage error."""
    if not folder and output.is_dir():
        raise _fail(f"-o {output} is a folder: give a file name (or --split, to write one file per "
                    "split into a folder)", EXIT_USAGE)
    target = output if folder else output.parent
    try:
        target.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise _fail(f"cannot write {output}: {target} is a file, not a folder", EXIT_USAGE) from None
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE) from None


def write_atomic(path: Path, text: str) -> None:
    """Write `text` whole or not at all (racesdsl.atomic); an OS error is a usage error."""
    from racesdsl import atomic  # here: `racesdsl --help` stays fast

    try:
        atomic.write_atomic(path, lambda fh: fh.write(text.encode("utf-8")))
    except OSError as exc:
        raise _fail(f"cannot write {path}: {exc.strerror or exc}", EXIT_USAGE) from None
