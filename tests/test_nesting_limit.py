"""Deep nesting is E0110 at check time (docs/language.md "Limits"): every place the
grammar nests an expression or a composition accepts exactly MAX_EXPR_DEPTH levels,
and what `check` accepts then loads, samples, compiles and imports. Before the limit,
~200 levels passed `check` and the generated Python did not compile (exit 3)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest

import racesdsl
from racesdsl.check.pipeline import check_paths, check_text
from racesdsl.codegen.writer import package_files, write_files
from racesdsl.runtime.limits import MAX_EXPR_DEPTH


def env(*, solve: str = "x", inp: str = "Int[1..9]", output: str = "Int", extra: str = "") -> str:
    return (f'env e "A task." {{\n{extra}    input x: {inp}\n    output {output}\n'
            f'    prompt """{{{{ x }}}}"""\n    solve {solve}\n}}\n')


def nest(k: int, open_: str, inner: str, close: str) -> str:
    return open_ * k + inner + close * k


def comprehensions(k: int) -> str:
    text = "x"
    for i in range(k):
        text = f"[{text} for y{i} in [1]]"
    return text


# Each builder makes a spec whose deepest expression or composition nests exactly `depth` levels.
BUILDERS: dict[str, Callable[[int], str]] = {
    "binop": lambda d: env(solve=nest(d, "(1-", "x", ")")),
    "chain": lambda d: env(solve="+".join(["x"] * (d + 1))),
    "unary": lambda d: env(solve="-" * d + "x"),
    "not": lambda d: env(solve="not " * d + "true", output="Bool"),
    "if": lambda d: env(solve="x if true else " * d + "2"),
    "call": lambda d: env(solve=nest(d, "abs(", "x", ")")),
    "list": lambda d: env(solve="len(" + nest(d - 1, "[", "x", "]") + ")"),
    "subscript": lambda d: env(solve=nest(d - d // 2, "[", "x", "]") + "[0]" * (d // 2),
                               output="Int" if d % 2 == 0 else "List[Int]"),
    "record": lambda d: env(solve="len([" + nest(d - 2, "{a: ", "x", "}") + "])"),
    "comprehension": lambda d: env(solve=f"len({comprehensions(d - 2)})"),  # and `[1]` in the innermost
    "where": lambda d: env(extra=f"    where {nest(d - 1, '(x-', 'x', ')')} < 99\n"),
    "param": lambda d: env(extra=f"    param p: Int[0..9] = {nest(d, '(1-', '1', ')')}\n"),
    "bound": lambda d: env(inp=f"Int[1..{nest(d, '(10-', '9', ')')}]"),
    "composition": lambda d: "use std.lists.{sort_list}\ncompose c = "
                             + nest(d, "seq(sort_list, ", "sort_list", ")") + "\n",
}


@pytest.mark.parametrize("depth", [MAX_EXPR_DEPTH - 1, MAX_EXPR_DEPTH])
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_the_limit_itself_checks_loads_samples_compiles_and_imports(kind: str, depth: int, tmp_path: Path,
                                                                     importer: Path) -> None:
    spec = tmp_path / "deep.races"
    spec.write_text(BUILDERS[kind](depth), encoding="utf-8")
    result = check_paths([spec])
    assert not result.errors, [d.message for d in result.errors]
    loaded = racesdsl.load(spec)
    samples = {q: [e.sample(s).to_dict() for s in range(2)] for q, e in loaded.items()}
    write_files(package_files(result.program, f"deep_{kind}_{depth}"), importer)
    importlib.invalidate_caches()
    pkg = importlib.import_module(f"deep_{kind}_{depth}")
    compiled = pkg.environments()
    assert sorted(compiled) == sorted(loaded)
    assert {q: [e.sample(s).to_dict() for s in range(2)] for q, e in compiled.items()} == samples


@pytest.mark.parametrize("depth", [MAX_EXPR_DEPTH + 1, 210, 450])
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_one_level_more_is_E0110_on_a_bracket_or_an_operand(kind: str, depth: int) -> None:
    text = BUILDERS[kind](depth)
    errors = check_text(text).errors
    if depth > 400 and [d.code for d in errors] == ["E0101"]:  # the parser's own recursion may come first
        return
    assert [d.code for d in errors] == ["E0110"], [d.message for d in errors]
    [d] = errors
    assert str(MAX_EXPR_DEPTH) in d.message
    start = d.span.start_pos
    assert d.span.end_pos == start + 1
    lines = text.split("\n")
    assert lines[d.span.line - 1][d.span.col - 1] == text[start]  # line and column agree with the offset
    assert text[start] in "([{" or kind in ("chain", "unary", "not", "if"), text[start - 5:start + 5]
    if kind in ("binop", "call", "composition"):  # one bracket a level: the caret is on the 65th
        assert text_prefix_depth(text, start) == MAX_EXPR_DEPTH


def test_the_issue_examples_are_diagnostics_not_internal_errors() -> None:
    """210 nested brackets in `solve` and 250 nested list literals."""
    binop = env(solve=nest(210, "(1-", "x", ")"))
    lists = env(solve="len(" + nest(250, "[", "x", "]") + ")")
    for text in (binop, lists):
        [d] = check_text(text).errors
        assert d.code == "E0110"
        assert text[d.span.start_pos] in "(["
    [d] = check_text(binop).errors
    assert text_prefix_depth(binop, d.span.start_pos) == MAX_EXPR_DEPTH  # the bracket that opens level 65 (64 open before it)


def text_prefix_depth(text: str, pos: int) -> int:
    """How many brackets are open in `solve ...` just before `pos`."""
    line_start = text.rfind("\n", 0, pos) + 1
    prefix = text[line_start:pos]
    return prefix.count("(") - prefix.count(")")
