"""`racesdsl check`: renders what the checker finds, and nothing more.

Stages never print; this module turns their diagnostics into text for people
(`full`, `concise`), tools (`json`) and CI annotations (`github`)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from racesdsl.cli.app import EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE, _fail, app, guard, use_color
from racesdsl.cli.specs import spec_paths

if TYPE_CHECKING:
    from racesdsl.check.pipeline import CheckResult
    from racesdsl.diagnostics import Diagnostic


class OutputFormat(StrEnum):
    """How `check` prints diagnostics."""

    full = "full"
    concise = "concise"
    json = "json"
    github = "github"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(n_errors: int, n_warnings: int, n_files: int) -> str:
    """mypy's closing line, so a reader sees the verdict without scrolling."""
    files = _plural(n_files, "file")
    if n_errors == 0 and n_warnings == 0:
        return f"Success: no issues found in {files}"
    parts = [_plural(n, w) for n, w in ((n_errors, "error"), (n_warnings, "warning")) if n]
    return f"Found {' and '.join(parts)} in {files}"


def explain_hint(error_codes: list[str]) -> str | None:
    """One line under the summary pointing at `racesdsl explain`, as rustc points at `--explain`."""
    if not error_codes:
        return None
    which = "this error" if len(set(error_codes)) == 1 else "an error"
    return f"For more information about {which}, try `racesdsl explain {error_codes[0]}`."


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
    hint = explain_hint([d.code for d in diags if d.is_error])
    if hint:
        summary += "\n" + hint
    if fmt is OutputFormat.concise:
        return "".join(render_concise(d) + "\n" for d in diags) + summary + "\n"
    blocks = [render_full(d, result.sources, color=color) for d in diags]
    return "".join(b + "\n\n" for b in blocks) + summary + "\n"


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

        paths = spec_paths(paths)
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
