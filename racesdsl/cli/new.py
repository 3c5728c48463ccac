"""`racesdsl new NAME`: a spec module that checks and self-tests green out of the box.

Writes NAME/NAME.races (one env), NAME/test_NAME.py (pytest, through the Python API:
the spec checks clean, every env passes the self-test, the reference answer scores 1)
and NAME/.pre-commit-config.yaml (the hooks of this repository's .pre-commit-hooks.yaml).
Never overwrites a file: if one exists, nothing is written and the command exits 2; a
write that fails midway removes what it wrote."""

from __future__ import annotations

import keyword
import sys
from pathlib import Path
from typing import Annotated

import typer

from racesdsl.cli.app import EXIT_OK, EXIT_USAGE, _fail, app, guard

ENV = "count_vowels"

SPEC = '''\
# {name}: racesdsl environments. `racesdsl check {name}.races` type-checks them,
# `racesdsl test {name}.races` self-tests them, `racesdsl list {name}.races` lists them.
# `racesdsl list` shows the stdlib (`use std.lists.{{sort_list}}` imports from it).

env {env} "Count the vowels in a lowercase word." {{
    param n: Int[1..12] = 8
    input word: Str[len=n, chars="a-z"]
    output Int[0..12]
    prompt """How many vowels (a, e, i, o, u) does the word "{{{{ word }}}}" have? Answer with the count."""
    solve len([c for c in word if c in "aeiou"])
}}
'''

TEST = '''\
"""The specs of {name}.races check clean and pass racesdsl's self-test (`pytest`)."""

from pathlib import Path

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.selftest import run_selftest

SPEC = Path(__file__).with_name({spec!r})


def test_spec_checks_without_errors_or_warnings():
    result = check_paths([SPEC])
    assert not result.diagnostics, [f"{{d.code}}: {{d.message}}" for d in result.diagnostics]


def test_every_env_passes_the_self_test():
    report = run_selftest(racesdsl.load(SPEC), seeds=20)
    assert report.ok and not report.n_warnings, report.to_json()


def test_the_reference_answer_scores_1():
    env = racesdsl.load(SPEC)[{env!r}]
    for seed in range(10):
        instance = env.sample(seed)
        completion = env.render_answer(instance.answer, **instance.params)
        assert env.verify(instance, completion).value == 1.0, (seed, completion)
'''

PRE_COMMIT = '''\
# pre-commit (https://pre-commit.com): `pre-commit install` once, then every commit
# that changes a .races file is checked. Set `repo` to where your racesdsl comes from
# and `rev` to the version you use (racesdsl's docs/ci.md, "pre-commit").
repos:
  - repo: https://github.com/OWNER/racesdsl
    rev: v{version}
    hooks:
      - id: racesdsl-check
'''


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a spec module (its file name is the module's name)."""
    from racesdsl.syntax.reserved import RESERVED

    if not name.isidentifier() or not name.isascii():
        return "is not an identifier (letters, digits and `_`, not starting with a digit)"
    if name in RESERVED or keyword.iskeyword(name) or name == "std":
        return "is a reserved word"
    return None


def scaffold(folder: Path) -> dict[Path, str]:
    """The files `new` writes for the module named after `folder`."""
    from racesdsl import __version__

    name = folder.name
    spec = f"{name}.races"
    return {
        folder / spec: SPEC.format(name=name, env=ENV),
        folder / f"test_{name}.py": TEST.format(name=name, spec=spec, env=ENV),
        folder / ".pre-commit-config.yaml": PRE_COMMIT.format(version=__version__),
    }


@app.command()
def new(
    target: Annotated[Path, typer.Argument(metavar="NAME", help="The module's name; its folder is created "
                                           "(a path: the last part names the module).")],
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """Start a spec module: NAME/NAME.races with one env, a pytest file and a pre-commit config."""
    with guard(debug):
        problem = name_problem(target.name)
        if problem is not None:
            raise _fail(f"cannot name a module `{target.name}`: it {problem}", EXIT_USAGE)
        files = scaffold(target)
        existing = [str(p) for p in files if p.exists() or p.is_symlink()]
        if existing:
            verb = "exists" if len(existing) == 1 else "exist"
            raise _fail(f"{', '.join(existing)} already {verb}; nothing was written", EXIT_USAGE)
        if target.exists() and not target.is_dir():
            raise _fail(f"{target} is a file, not a folder", EXIT_USAGE)
        written: list[Path] = []
        try:
            target.mkdir(parents=True, exist_ok=True)
            for path, text in files.items():
                with path.open("x", encoding="utf-8", newline="\n") as fh:  # "x": never overwrite
                    written.append(path)
                    fh.write(text)
        except OSError as exc:
            for path in written:  # all or nothing, as `compile` does
                path.unlink(missing_ok=True)
            raise _fail(f"cannot write {target}: {exc.strerror or exc}", EXIT_USAGE) from None
        sys.stdout.write("".join(f"created {p}\n" for p in files))
        sys.stdout.write(f"next: racesdsl check {target} && racesdsl test {target} && pytest {target}\n")
    raise typer.Exit(EXIT_OK)
