"""The `racesdsl` command line: renders what the checker finds, and nothing more.

Stages never print; this module turns their diagnostics into text for people
(`full`, `concise`), tools (`json`) and CI annotations (`github`), and maps
outcomes to exit codes a shell script can branch on:

    0  no errors (warnings allowed)
    1  the specs have errors
    2  usage or I/O: a bad flag, a missing or unreadable path, not a `.races` file
    3  internal error: a bug in racesdsl itself (traceback with `--debug`)

(and, as shells report them, 130 when interrupted, 141 when the reader of
stdout went away, e.g. `racesdsl check specs | head`).

Only `typer` is imported at module level; the checker (Lark, the type system)
is imported inside the command so that `racesdsl --help` starts fast.

Test hook: when the environment variable `RACESDSL_FAULT_INJECTION` is
`internal`, a command raises an unexpected exception right after parsing its
arguments, so the exit-3 path can be exercised end to end without a real bug.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from racesdsl.check.pipeline import CheckResult
    from racesdsl.diagnostics import Diagnostic

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
    add_completion=False,
    # Our own handler prints one line for internal errors; no rich tracebacks.
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(StrEnum):
    """How `check` prints diagnostics."""

    full = "full"
    concise = "concise"
    json = "json"
    github = "github"


def _version_callback(value: bool) -> None:
    if value:
        from racesdsl import __version__

        typer.echo(f"racesdsl {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version and exit."),
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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(n_errors: int, n_warnings: int, n_files: int) -> str:
    """mypy's closing line, so a reader sees the verdict without scrolling."""
    files = _plural(n_files, "file")
    if n_errors == 0 and n_warnings == 0:
        return f"Success: no issues found in {files}"
    parts = [_plural(n, w) for n, w in ((n_errors, "error"), (n_warnings, "warning")) if n]
    return f"Found {' and '.join(parts)} in {files}"


def count_named_files(paths: list[Path]) -> int:
    """How many distinct `.races` files the user named (folders expanded), as mypy counts
    "source files": modules pulled in by `use`, the stdlib included, are checked but not counted."""
    from racesdsl.check.resolve import collect_files

    return len({f.resolve() for f in collect_files(list(paths))})


def render_report(result: CheckResult, fmt: OutputFormat, color: bool, n_files: int) -> str:
    """The whole stdout of `check` for one result (always newline-terminated unless empty)."""
    from racesdsl.diagnostics import render_concise, render_full, render_github, render_json

    diags: list[Diagnostic] = list(result.diagnostics)
    if fmt is OutputFormat.json:
        return render_json(diags) + "\n"
    if fmt is OutputFormat.github:
        return "".join(render_github(d) + "\n" for d in diags)
    n_errors = sum(1 for d in diags if d.is_error)
    summary = summary_line(n_errors, len(diags) - n_errors, n_files)
    if color:
        summary = ("\x1b[1;31m" if n_errors else "\x1b[1;32m") + summary + "\x1b[0m"
    if fmt is OutputFormat.concise:
        return "".join(render_concise(d) + "\n" for d in diags) + summary + "\n"
    blocks = [render_full(d, result.sources, color=color) for d in diags]
    return "".join(b + "\n\n" for b in blocks) + summary + "\n"


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
        _quiet_broken_pipe()
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    except KeyboardInterrupt:
        # Likewise: click would print "Aborted!" and exit 1.
        raise _fail("interrupted", EXIT_INTERRUPTED) from None
    except Exception as exc:  # the one place that turns bugs into exit 3
        raise _internal_error(exc, debug) from None


@app.command()
def check(
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATH", help="`.races` files or folders (every *.races below a folder is checked)."),
    ],
    path: Annotated[
        list[Path] | None,
        typer.Option(
            "--path", "-p", metavar="DIR", exists=True, file_okay=False, dir_okay=True,
            help="Extra folder to resolve `use` from, after the importing file's folder (repeatable).",
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", metavar="[full|concise|json|github]", case_sensitive=False, help="Diagnostic format."),
    ] = OutputFormat.full,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """Parse and type-check specs, including every composition's fusion.

    Exits 0 when there is no error (warnings allowed), 1 on spec errors,
    2 on usage or I/O errors, 3 on an internal error.
    """
    with guard(debug):
        from racesdsl.check.pipeline import check_paths
        from racesdsl.errors import InputError

        try:
            result = check_paths(paths, search_path=path or ())
            n_files = count_named_files(paths)
        except InputError as exc:
            raise _fail(str(exc), EXIT_USAGE) from None
        if not n_files:
            shown = ", ".join(str(p) for p in paths)
            raise _fail(f"no .races files found in {shown}", EXIT_USAGE)

        sys.stdout.write(render_report(result, fmt, use_color(sys.stdout), n_files))
        sys.stdout.flush()
        code = EXIT_SPEC_ERRORS if result.errors else EXIT_OK
    raise typer.Exit(code)


def _quiet_broken_pipe() -> None:
    """`racesdsl check specs | head` closed our stdout: stop quietly, as Unix tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


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
        _quiet_broken_pipe()
        sys.exit(EXIT_BROKEN_PIPE)
    except KeyboardInterrupt:
        sys.stderr.write("racesdsl: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)


from racesdsl import cli_lsp, cli_run, cli_serve  # noqa: E402,F401  (register sample/verify/..., serve and lsp on `app`)

if __name__ == "__main__":
    main()
