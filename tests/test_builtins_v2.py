"""The v0.2 builtins and bounded loops (issue 14 §6): their types, their values,
the inferred types against actual values (hypothesis), the run-time limits, and
`load()` against the compiled package, byte for byte."""

from __future__ import annotations

import importlib
import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_exprs import SCOPE, check, parse_expr
from test_pyexpr import run

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.pyexpr import compile_function, to_python
from racesdsl.codegen.writer import package_files, write_files
from racesdsl.runtime.checks import checker_for
from racesdsl.runtime.loops import guard
from racesdsl.runtime.types import show
from racesdsl.runtime.values import sampler_for

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests" / "fixtures" / "language" / "builtins_v2.races"


@pytest.mark.parametrize(("src", "expected"), [
    ("str(a)", 'Str[len=1..3, chars="-0123456789"]'), ("str(p)", 'Enum["false", "true"]'),
    ("join([str(x) for x in ys], \",\")", 'Str[len=0..9, chars=",0123456789"]'),
    ("split(s)", 'List[Str[len=1..5, chars="abc"], len=0..3]'),
    ('split(s, "a")', 'List[Str[len=0..5, chars="abc"], len=1..6]'),
    ('replace(s, "a", "xy")', 'Str[len=1..10, chars="abcxy"]'), ("upper(s)", 'Str[len=1..5, chars="ABC"]'),
    ("ord(s[0])", "Int[97..99]"), ("chr(b + 64)", 'Str[len=1, chars="ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^"]'),
    ("zip(xs, ys)", "List[Tuple[Int[-99..99], Int[0..9]], len=0..5]"),
    ("enumerate(ys, 1)", "List[Tuple[Int[1..5], Int[0..9]], len=0..5]"),
    ("round(f)", "Int[-2..4]"), ("round(a, -1)", "Int[-40..40]"), ("isqrt(b)", "Int[1..5]"),
    ("comb(b, k)", "Int[0..142506]"), ("factorial(k)", "Int[1..120]"), ("prod(ys)", "Int[0..59049]"),
    ("prod(fs)", "Float[-1.0..1.0]"), ("permutations(ys)", "List[List[Int[0..9], len=0..5], len=0..120]"),
    ("combinations(xs, 2)", "List[List[Int[-99..99], len=2], len=0..66]"),
    ("to_base(b, 2)", 'Str[len=1..6, chars="01"]'), ('from_base("101", 2)', "Int[0..7]"),
    ("pow(a, b, 7)", "Int[0..6]"), ("2 ** k", "Int[2..32]"), ("f ** k", "Float[-97.65625..1024.0]"),
    ("fold(ys, 0, lambda acc, x: acc + x)", "Int[0..45]"),
    ("fold(xs, [], lambda acc, x: acc + [x])", "List[Int[-99..99], len=2..12]"),
    ("iterate(1, k, lambda v: v * 2)", "Int[2..32]"), ("iterate(1, b, lambda v: v * 2)", "Int[2..]"),
    ("until(b, lambda v: v % 2 == 1, lambda v: v // 2, max=10)", "Int[0..30]"),
    ("sorted(xs, key=lambda x: -x)", "List[Int[-99..99], len=2..12]"),
    ("max(a, b, key=lambda x: -x)", "Int[-20..30]"),
])
def test_inferred_type(src: str, expected: str) -> None:
    t, diags = check(src)
    assert not diags, [d.message for d in diags]
    assert show(t) == expected


@pytest.mark.parametrize(("src", "code", "fragment"), [
    ("len(lambda x: x)", "E0508", "a lambda can only be"),
    ("fold(xs, 0, 3)", "E0509", "must be a lambda"), ("fold(xs, 0, lambda a, a: a)", "E0509", "distinct"),
    ("iterate(1, b * 10000, lambda v: v)", "E0510", "at most 100000"),
    ("until(1, lambda v: v > 3, lambda v: v + 1)", "E0510", "max=N"),
    ("until(1, lambda v: v > 3, lambda v: v + 1, max=b)", "E0510", "literal"),
    ("fold(xs, 0, lambda acc, x: [acc])", "E0511", "does not fit the loop value"),
    ("permutations(xs)", "E0512", "more than 1000000"), ("chr(-5)", "E0513", "0..1114111"),
    ("to_base(a, b)", "E0513", "base in 2..36"), ("pow(a, b, 0)", "E0513", "nonzero modulus"),
    ("iterate(2, k, lambda v: 2 ** v)", "E0505", "Int[65536..65536]"),
    ("fold(xs, 0, lambda acc, x: acc + zz)", "E0501", "unknown name `zz`"),
    ("until(1, lambda v: v, lambda v: v + 1, max=3)", "E0504", "condition of `until`"),
    ("sorted(xs, key=lambda x: [x] if p else x)", "E0504", "branches"),
    ("join(xs, \",\")", "E0503", "a list of strings"), ("str(xs)", "E0503", "a number, boolean or string"),
])
def test_diagnostic(src: str, code: str, fragment: str) -> None:
    _, diags = check(src)
    assert [d.code for d in diags] == [code], [d.message for d in diags]
    assert fragment in diags[0].message


def test_lambda_is_still_an_ordinary_name_outside_a_lambda() -> None:
    assert run("lambda + 1", **{"lambda": 2}) == 3
    assert run("fold(xs, 0, lambda acc, lambda: acc + lambda)", xs=[1, 2]) == 3
    assert run("max(lambda, 1)", **{"lambda": 2}) == 2


CASES: list[tuple[str, dict[str, Any], Any]] = [
    ("str(n) + str(t) + str(f)", {"n": -12, "t": False, "f": 0.5}, "-12false0.5"),
    ('join(["a", "b"], "-")', {}, "a-b"), ('split(" a  b ")', {}, ["a", "b"]), ('split("a,,b", ",")', {}, ["a", "", "b"]),
    ('replace("aaa", "a", "bc")', {}, "bcbcbc"), ('lower("AbC") + upper("ß")', {}, "abcSS"),
    ('ord("A")', {}, 65), ("chr(955)", {}, "λ"), ("zip([1, 2, 3], \"ab\")", {}, [(1, "a"), (2, "b")]),
    ("enumerate([5, 6], 1)", {}, [(1, 5), (2, 6)]), ("round(2.5) + round(3.5)", {}, 6),
    ("round(1234, -2)", {}, 1200), ("round(5, -1000000000)", {}, 0), ("round(n, -400)", {"n": 10**999 + 4 * 10**399}, 10**999), ("round(2.675, 2)", {}, 2.67), ("isqrt(99)", {}, 9), ("comb(5, 2)", {}, 10),
    ("factorial(5)", {}, 120), ("prod([2, 3, 4])", {}, 24), ("prod([])", {}, 1),
    ("permutations([1, 2, 3], 2)", {}, [[1, 2], [1, 3], [2, 1], [2, 3], [3, 1], [3, 2]]),
    ("combinations([1, 2, 3], 2)", {}, [[1, 2], [1, 3], [2, 3]]), ("to_base(-255, 16)", {}, "-ff"),
    ("to_base(0, 2)", {}, "0"), ('from_base("-FF", 16)', {}, -255), ("pow(3, 200, 7)", {}, pow(3, 200, 7)),
    ("2 ** k", {"k": 10}, 1024), ("fold([1, 2, 3], 0, lambda acc, x: acc * 10 + x)", {}, 123),
    ('fold("abc", "", lambda acc, c: c + acc)', {}, "cba"), ("iterate(3, 4, lambda v: v * 2)", {}, 48),
    ("iterate(3, -1, lambda v: v * 2)", {}, 3), ("until(40, lambda v: v % 2 == 1, lambda v: v // 2, max=10)", {}, 5),
    ("sorted([13, 21, 5], key=lambda x: x % 10)", {}, [21, 13, 5]),
    ("max([13, 21, 5], key=lambda x: x % 10)", {}, 5), ("min([3, 13], key=lambda x: x % 10)", {}, 3),
    ("sorted(xs, key=lambda x: -x, reverse=true)", {"xs": [2, 1, 3]}, [1, 2, 3]),
    ("fold(xs, 0, lambda xs, x: xs + x)", {"xs": [1, 2]}, 3),  # the parameter shadows the input inside only
    ("[fold(ys, y, lambda a, b: a + b) for y in ys]", {"ys": [1, 2]}, [4, 5]),
]


@pytest.mark.parametrize(("src", "env", "expected"), CASES)
def test_compiled_value(src: str, env: dict[str, Any], expected: Any) -> None:
    got = run(src, **env)
    assert got == expected and type(got) is type(expected), to_python(parse_expr(src))


@pytest.mark.parametrize(("src", "env"), [
    ("factorial(n)", {"n": 5000}), ("comb(n, n // 2)", {"n": 100_000}), ("prod([n, n, n, n, n])", {"n": 10**3000}),
    ("iterate(2, 40, lambda v: v * v)", {}), ('iterate("ab", 30, lambda v: v + v)', {}),
    ('replace(s, "", s)', {"s": "x" * 1000}), ('join([s, s], "")', {"s": "x" * 60_000}),
    ("until(1, lambda v: v < 0, lambda v: v + 1, max=50)", {}), ("chr(55296)", {}),
    ('from_base("1_0", 10)', {}), ("to_base(5, 37)", {}), ("permutations(range(n))", {"n": 100_000}),
    ("combinations(range(n), n // 2)", {"n": 100_000}), ("to_base(x ** 64, 3)", {"x": 10**300}),
])
def test_run_time_limits_refuse_instead_of_running_away(src: str, env: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        run(src, **env)


# Expressions whose inferred type is checked against the values they produce.
TYPED = [
    "str(a)", "join([str(x) for x in ys], \",\")", "split(s)", 'split(s, "a")', 'replace(s, "a", "xy")',
    "upper(s)", "lower(col)", "ord(s[0])", "chr(b + 64)", "zip(xs, ys)", "enumerate(ys, a)", "round(f)",
    "round(f, k)", "round(a, -k)", "isqrt(b)", "comb(b, k)", "factorial(k)", "prod(ys)", "prod(fs)",
    "permutations(ys)", "combinations(xs, 2)", "to_base(a, k + 1)", "from_base(to_base(b, 3), 3)",
    "pow(a, b, c - 1)", "a ** k", "f ** k", "fold(ys, 0, lambda acc, x: acc + x)",
    "fold(xs, [], lambda acc, x: acc + [x])", "fold(xs, 1, lambda acc, x: acc * 2 if x > 0 else acc - 3)",
    "iterate(a, k, lambda v: v * 3 - 1)", "iterate(f, b, lambda v: v / 2 + 1)",
    "until(b, lambda v: v % 2 == 1, lambda v: v // 2, max=10)", "sorted(xs, key=lambda x: abs(x))",
    "min(xs, key=lambda x: abs(x - a))", "fold(s, \"\", lambda acc, ch: ch + acc)",
    "fold(pairs, 0, lambda acc, pq: acc + pq[0] if pq[1] else acc)",
]


@pytest.fixture(scope="module")
def typed() -> list[tuple[str, Any, Any]]:
    out = []
    for src in TYPED:
        t, diags = check(src)
        assert not diags, (src, [d.message for d in diags])
        out.append((src, checker_for(t), compile_function("f", list(SCOPE), parse_expr(src))))
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32))
def test_inferred_types_contain_the_values(typed: list[tuple[str, Any, Any]], seed: int) -> None:
    rng = random.Random(seed)
    values = {name: sampler_for(t)(rng) for name, t in SCOPE.items()}
    for src, fits, fn in typed:
        got = fn(**values)
        assert fits(got) is None, (src, values, got, fits(got))


def test_guard_walks_nested_values_with_a_budget() -> None:
    assert guard([[1, 2], ("a", {"k": 3})]) == [[1, 2], ("a", {"k": 3})]
    with pytest.raises(ValueError):
        guard([[1], [2**20000]])


# ---------------------------------------------------------------- load() ≡ compiled


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    out = tmp_path_factory.mktemp("v2pkg")
    write_files(package_files(check_paths([SPEC]).program, "v2_envs"), out)
    sys.path.insert(0, str(out))
    try:
        yield racesdsl.load(SPEC), importlib.import_module("v2_envs").environments()
    finally:
        sys.path.remove(str(out))


def test_load_and_compiled_package_agree_byte_for_byte(both) -> None:
    loaded, built = both
    assert set(built) == set(loaded) and len(loaded) >= 5
    for name, env in loaded.items():
        for seed in range(50):
            a, b = env.sample(seed), built[name].sample(seed)
            assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True), (name, seed)
            assert env.verify(a, env.render_answer(a.answer, **a.params)).value == 1.0


# ---------------------------------------------------------------- editors


def test_highlighters_mark_lambda_only_where_it_opens_a_lambda() -> None:
    from pygments.token import Keyword, Name
    from test_highlight import TOKENIZER, tokens

    toks = tokens("solve fold(xs, 0, lambda acc, x: acc + x) + lambda")
    kinds = [t for t, v in toks if v == "lambda"]
    assert kinds[0] in Keyword and kinds[1] in Name and kinds[1] not in Keyword
    assert any(t in Name.Builtin for t, v in toks if v == "fold")
    scopes = TOKENIZER.scopes("fold(xs, 0, lambda acc, x: acc)")
    assert any(s and "lambda" in s[-1] for s in scopes), scopes


def test_lexer_highlights_every_builtin() -> None:
    from racesdsl.check.builtins_more import ALL_BUILTINS
    from racesdsl.lexer import _BUILTINS

    assert set(_BUILTINS) == set(ALL_BUILTINS)


def test_a_lambda_outside_a_call_argument_is_a_syntax_error_with_a_hint() -> None:
    from racesdsl.syntax.parser import parse_text

    _, diags = parse_text('env e "d." {\n    solve lambda v: v\n}\n')
    assert [d.code for d in diags] == ["E0101"] and "fold(" in (diags[0].help or "")
    _, diags = parse_text('env e "d." {\n    solve fold(xs, 0, lamda a, x: a)\n}\n')
    assert [d.code for d in diags] == ["E0101"] and "lambda x" in (diags[0].help or "")
