"""Reading the specs a command names: `SPEC[:ENV]`, `--param NAME=VALUE`, and how
loading fails (a missing file exits 2; spec errors print as diagnostics and exit 1).

A SPEC or PATH is a `.races` file or a folder, or a stdlib module written as a `use`
writes it: `std.lists` (`std` alone: the whole stdlib), so `std.lists:sort_list`
works wherever `specs/lists.races:sort_list` does.

Shared by every command that runs environments, so each command module imports
this and racesdsl.cli.app only."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from racesdsl.cli.app import EXIT_SPEC_ERRORS, EXIT_USAGE, _fail, use_color

if TYPE_CHECKING:
    from racesdsl.check.pipeline import CheckResult
    from racesdsl.loader import Program

STD_MODULE = re.compile(r"std(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def parse_param(text: str) -> tuple[str, Any]:
    """`k=v` with v read as JSON when it is JSON (`8`, `0.5`, `true`, `"a"`), else as text."""
    if "=" not in text:
        raise _fail(f"--param takes NAME=VALUE, got `{text}`", EXIT_USAGE)
    name, raw = text.split("=", 1)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name.strip(), value


def spec_path(text: str | Path) -> Path:
    """The file or folder a SPEC names: the path itself, or the stdlib module `std.a.b` (a path
    that exists wins, so a file called `std.lists` still means that file)."""
    path = Path(text)
    if path.exists() or not STD_MODULE.fullmatch(str(text)):
        return path
    from racesdsl.resources import stdlib_dir

    parts = str(text).split(".")[1:]
    if not parts:
        return stdlib_dir()
    target = stdlib_dir().joinpath(*parts[:-1], parts[-1] + ".races")
    if not target.is_file():
        from racesdsl.diagnostics import did_you_mean

        known = sorted("std." + p.relative_to(stdlib_dir()).with_suffix("").as_posix().replace("/", ".")
                       for p in stdlib_dir().rglob("*.races"))
        hint = did_you_mean(str(text), known)
        raise _fail(f"no stdlib module `{text}`" + (f"; {hint}" if hint else "; `racesdsl list` shows them"),
                    EXIT_USAGE)
    return target


def spec_paths(paths: list[Path] | list[str]) -> list[Path]:
    return [spec_path(p) for p in paths]


def split_spec(spec: str) -> tuple[Path, str | None]:
    """`SPEC[:ENV]` -> (the file or folder, the env name or None)."""
    path, _, env = spec.partition(":")
    return spec_path(path), env or None


def load_spec(spec: str, search_path: list[Path] | None) -> tuple[Program, str | None]:
    """Load `SPEC[:ENV]`; spec errors print as diagnostics and exit 1."""
    path, env = split_spec(spec)
    return load_many([path], search_path), env


def load_many(paths: list[Path], search_path: list[Path] | None) -> Program:
    """Load spec files or folders; a missing file exits 2, spec errors print as diagnostics and exit 1."""
    from racesdsl.diagnostics import render_full
    from racesdsl.errors import BindingError, InputError, SpecError
    from racesdsl.loader import load

    try:
        return load(paths, search_path or ())
    except InputError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    except SpecError as exc:
        text = "\n\n".join(render_full(d, {}, color=use_color(sys.stderr)) for d in exc.diagnostics)
        sys.stderr.write(text + "\n")
        where = " ".join(map(str, paths))
        raise _fail(f"{where} has errors; run `racesdsl check {where}`", EXIT_SPEC_ERRORS) from None
    except BindingError as exc:
        raise _fail(str(exc), EXIT_SPEC_ERRORS) from None


def checked(paths: list[Path], search_path: list[Path] | None) -> CheckResult:
    """Check spec files or folders (for commands that need the checked program, not envs)."""
    from racesdsl.check.pipeline import check_paths
    from racesdsl.errors import InputError

    try:
        return check_paths(paths, search_path or ())
    except InputError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None


def pick(program: Program, env: str | None, spec: str) -> list[str]:
    if env is None:
        return program.roots
    try:
        return [program[env].qualname]
    except KeyError as exc:
        from racesdsl.diagnostics import did_you_mean

        names = [q.rsplit(".", 1)[-1] for q in program.roots]
        hint = did_you_mean(env, names)
        msg = exc.args[0] if exc.args and exc.args[0] != env else f"{spec}: no environment `{env}`"
        raise _fail(msg + (f"; {hint}" if hint else ""), EXIT_USAGE) from None
