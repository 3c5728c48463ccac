"""`racesdsl fmt`: rewrite `.races` files in the canonical layout (racesdsl/formatter.py).

Registered on the app by racesdsl.cli.commands; the formatter (Lark) is
imported inside the command so `racesdsl --help` stays fast. Exit codes:
0 nothing to do (or files rewritten), 1 with `--check`/`--diff` when a file
would change or when a file does not parse (it is left untouched), 2 for a
missing path or a file that is not `.races`. `fmt -` formats standard input
to standard output, as black and ruff do, for editors and pipes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from racesdsl.cli.app import EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE, _fail, app, guard, use_color


@app.command()
def fmt(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="`.races` files or folders (every "
                                                "*.races below a folder); `-` reads standard input "
                                                "and writes the formatted text to standard output.")],
    check: Annotated[bool, typer.Option("--check", help="Write nothing; list the files that would change "
                                        "and exit 1 if any would.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Write nothing; print a unified diff of the changes "
                                       "and exit 1 if any.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """Format specs: one canonical layout, comments and blank-line groups kept."""
    with guard(debug):
        import difflib

        from racesdsl.atomic import write_atomic
        from racesdsl.check.resolve import collect_files
        from racesdsl.diagnostics import render_full, visible
        from racesdsl.errors import InputError
        from racesdsl.formatter import FormatError, format_text

        if any(str(p) == "-" for p in paths):
            if len(paths) != 1:
                raise _fail("`-` (standard input) cannot be combined with other paths", EXIT_USAGE)
            raise typer.Exit(_format_stdin(check=check, diff=diff))
        try:
            files = collect_files(list(paths))
        except InputError as exc:
            raise _fail(str(exc), EXIT_USAGE) from None
        if not files:
            raise _fail(f"no .races files found in {', '.join(str(p) for p in paths)}", EXIT_USAGE)
        changed = broken = 0
        for file in files:
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise _fail(f"{file}: cannot read: {exc}", EXIT_USAGE) from None
            try:
                new = format_text(text, str(file))
            except FormatError as exc:
                broken += 1
                blocks = (render_full(d, {str(file): text}, color=use_color(sys.stderr)) for d in exc.diagnostics)
                sys.stderr.write("\n\n".join(blocks) + "\n")
                continue
            if new == text:
                continue
            changed += 1
            if diff:
                for line in difflib.unified_diff(text.splitlines(), new.splitlines(), str(file), str(file), lineterm=""):
                    sys.stdout.write(visible(line) + "\n")  # spec text must not steer the terminal
            if check:
                sys.stdout.write(f"would reformat {visible(str(file))}\n")
            elif not diff:
                data = new.encode("utf-8")
                try:
                    write_atomic(file, lambda fh, data=data: fh.write(data))
                except OSError as exc:
                    raise _fail(f"{file}: cannot write: {exc.strerror or exc}", EXIT_USAGE) from None
                sys.stdout.write(f"reformatted {visible(str(file))}\n")
        sys.stdout.write(_summary(len(files), changed, broken, dry=check or diff) + "\n")
        sys.stdout.flush()
        failed = broken or (changed and (check or diff))
    raise typer.Exit(EXIT_SPEC_ERRORS if failed else EXIT_OK)


def _format_stdin(check: bool, diff: bool) -> int:
    """Standard input to standard output; the exit code follows the file mode's rules."""
    from racesdsl.diagnostics import render_full, visible
    from racesdsl.formatter import FormatError, format_text

    name = "<stdin>"
    try:
        text = sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(f"{name}: cannot read: {exc}", EXIT_USAGE) from None
    try:
        new = format_text(text, name)
    except FormatError as exc:
        blocks = (render_full(d, {name: text}, color=use_color(sys.stderr)) for d in exc.diagnostics)
        sys.stderr.write("\n\n".join(blocks) + "\n")
        return EXIT_SPEC_ERRORS
    if diff:
        import difflib

        for line in difflib.unified_diff(text.splitlines(), new.splitlines(), name, name, lineterm=""):
            sys.stdout.write(visible(line) + "\n")
    elif not check:
        sys.stdout.write(new)
    sys.stdout.flush()
    return EXIT_SPEC_ERRORS if (check or diff) and new != text else EXIT_OK


def _summary(n_files: int, changed: int, broken: int, dry: bool) -> str:
    """black's closing line: how many files changed (or would), how many were already fine."""
    def files(n: int) -> str:
        return f"{n} file" if n == 1 else f"{n} files"

    parts = []
    if changed:
        parts.append(f"{files(changed)} {'would be ' if dry else ''}reformatted")
    unchanged = n_files - changed - broken
    if unchanged:
        parts.append(f"{files(unchanged)} {'would be ' if dry else ''}left unchanged")
    if broken:
        parts.append(f"{files(broken)} not formatted (syntax errors)")
    return ", ".join(parts)
