"""The whole command line: imports every command module so each registers on the
one app (racesdsl.cli.app), and runs it.

Command modules import racesdsl.cli.app and racesdsl.cli.specs, never this module
nor each other, so there is no import circle; a new command is a module imported here."""

from __future__ import annotations

import sys

from racesdsl.cli import (  # noqa: F401  (each registers its commands)
    build,
    check,
    compose,
    explain,
    fmt,
    listing,
    lsp,
    new,
    run,
    selftest,
    serve,
)
from racesdsl.cli.app import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, app, quiet_broken_pipe

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point (`racesdsl`, `python -m racesdsl`)."""
    for stream in (sys.stdout, sys.stderr):
        # A diagnostic quoting non-ASCII source must not become an internal error
        # on a terminal whose encoding cannot show it.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        app(prog_name="racesdsl")
    except BrokenPipeError:
        quiet_broken_pipe()
        sys.exit(EXIT_BROKEN_PIPE)
    except KeyboardInterrupt:
        sys.stderr.write("racesdsl: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
