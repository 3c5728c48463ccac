"""The one typer app every command registers on, and how commands end.

Maps outcomes to exit codes a shell script can branch on:

    0  no errors (warnings allowed)
    1  the specs have errors
    2  usage or I/O: a bad flag, a missing or unreadable path, not a `.races` file
    3  internal error: a bug in racesdsl itself (traceback with `--debug`)

(and, as shells report them, 130 when interrupted, 141 when the reader of
stdout went away, e.g. `racesdsl check specs | head`).

This module imports no other command module: they import it (racesdsl.cli.commands
imports them all), so the command modules form no import circle. Only `typer` is
imported at module level; the checker (Lark, the type system) is imported inside
the commands so that `racesdsl --help` starts fast.

Test hook: when the environment variable `RACESDSL_FAULT_INJECTION` is
`internal`, a command raises an unexpected exception right after parsing its
arguments, so the exit-3 path can be exercised end to end without a real bug.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

EXIT_OK = 0
EXIT_SPEC_ERRORS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_BROKEN_PIPE = 141  # what a shell reports for a process ended by SIGPIPE

FAULT_INJECTION_VAR = "RACESDSL_FAULT_INJECTION"

app = typer.Typer(
    name="racesdsl",
    help="Typed specs of composable verifiable RL environments: check them before you train on them.",
    no_args_is_help=True,
    # --install-completion / --show-completion for bash, zsh, fish and PowerShell (typer's).
    add_completion=True,
    # Our own handler prints one line for internal errors; no rich tracebacks.
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        from racesdsl import __version__

        typer.echo(f"racesdsl {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version_callback, is_eager=True,
                     help="Print the version and exit."),
    ] = False,
) -> None:
    """Typed specs of composable verifiable RL environments: check them before you train on them."""


def use_color(stream: object) -> bool:
    """Color only for a person at a terminal: honour https://no-color.org and TERM=dumb."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _fail(message: str, code: int) -> typer.Exit:
    from racesdsl.diagnostics import visible  # a path or spec text quoted here must not steer the terminal

    sys.stderr.write(f"racesdsl: {visible(message)}\n")
    sys.stderr.flush()
    return typer.Exit(code)


def _internal_error(exc: BaseException, debug: bool) -> typer.Exit:
    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    return _fail(f"internal error: {exc}; this is a bug, please report it", EXIT_INTERNAL)


@contextmanager
def guard(debug: bool) -> Iterator[None]:
    """Map every way a command can end to its exit code; bugs become exit 3."""
    try:
        if os.environ.get(FAULT_INJECTION_VAR) == "internal":
            raise RuntimeError(f"fault injected by {FAULT_INJECTION_VAR}=internal")
        yield
    except typer.Exit:
        raise
    except BrokenPipeError:
        # Raised here, it would reach click, which exits 1 ("spec errors").
        quiet_broken_pipe()
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    except KeyboardInterrupt:
        # Likewise: click would print "Aborted!" and exit 1.
        raise _fail("interrupted", EXIT_INTERRUPTED) from None
    except Exception as exc:  # the one place that turns bugs into exit 3
        raise _internal_error(exc, debug) from None


def quiet_broken_pipe() -> None:
    """`racesdsl check specs | head` closed our stdout: stop quietly, as Unix tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
