"""`racesdsl compile`: the specs' environments as a Python package, byte for byte deterministic."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from racesdsl.cli.app import EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE, _fail, app, guard
from racesdsl.cli.specs import checked, spec_paths


@app.command(name="compile")
def compile_(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="`.races` files or folders.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder to write the package into.")],
    package: Annotated[str | None, typer.Option("--package", help="Package name (default: from the first PATH).")] = None,
    check_only: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if the package is stale.")] = False,
    path: Annotated[list[Path] | None, typer.Option("--path", "-p", metavar="DIR", help="Extra folder for `use`.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """Emit a Python package of the specs' environments (deterministic, byte for byte)."""
    with guard(debug):
        from racesdsl.codegen.pyexpr import py_name
        from racesdsl.codegen.writer import package_files, package_name_problem, stale_files, write_files
        from racesdsl.diagnostics import render_full

        paths = spec_paths(paths)
        first = paths[0].resolve()
        if package is None and not first.exists():
            raise _fail(f"{paths[0]}: no such file or folder", EXIT_USAGE)
        stem = first.stem if first.is_file() else first.name
        if package is None and not stem.isidentifier():
            raise _fail(f"cannot name the package after `{stem}`: give one with --package NAME", EXIT_USAGE)
        name = package if package is not None else py_name(stem)
        problem = package_name_problem(name)
        if problem is not None:
            how = "" if package is not None else " (taken from the first PATH; give one with --package NAME)"
            raise _fail(f"--package: {problem}{how}", EXIT_USAGE)
        result = checked(paths, path)
        if result.errors:
            sys.stderr.write("\n\n".join(render_full(d, result.sources) for d in result.errors) + "\n")
            raise _fail("the specs have errors; nothing was written", EXIT_SPEC_ERRORS)
        files = package_files(result.program, name)
        if check_only:
            stale = stale_files(files, out)
            for rel in stale:
                sys.stdout.write(f"stale: {out / rel}\n")
            code = EXIT_SPEC_ERRORS if stale else EXIT_OK
            if not stale:
                sys.stdout.write(f"up to date: {out / name}\n")
        else:
            try:
                written = write_files(files, out)
            except (OSError, FileExistsError) as exc:
                raise _fail(str(exc), EXIT_USAGE) from None
            sys.stdout.write(f"wrote {len(written)} of {len(files)} files to {out / name}\n")
            code = EXIT_OK
    raise typer.Exit(code)
