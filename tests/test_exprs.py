"""Expression typing: one test per rule, one per diagnostic, and property tests
that the inferred intervals contain every value Python computes (soundness)
and that `infer` never raises (totality)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from racesdsl.check.expr_names import free_names
from racesdsl.check.exprs import BUILTINS, constant_value, infer
from racesdsl.diagnostics import CODES, Diagnostic
from racesdsl.runtime.types import (
    INF,
    Interval,
    TAny,
    TBool,
    TEnum,
    TFloat,
    TInt,
    TList,
    TRecord,
    TSet,
    TStr,
    TTuple,
    TType,
    show,
)
from racesdsl.syntax import ast as A
from racesdsl.syntax.parser import parse_text

PREFIX = "env e { solve "
COL0 = len(PREFIX) + 1  # column of the first character of the expression

SMALL = TInt(Interval(-99, 99))
SCOPE: dict[str, TType] = {
    "a": TInt(Interval(-20, 20)),
    "b": TInt(Interval(1, 30)),
    "c": TInt(Interval(-9, 0)),
    "k": TInt(Interval(1, 5)),
    "f": TFloat(Interval(-2.5, 4.0)),
    "g": TFloat(Interval(0.5, 3.0)),
    "p": TBool(),
    "xs": TList(SMALL, Interval(2, 12)),
    "ys": TList(TInt(Interval(0, 9)), Interval(0, 5)),
    "fs": TList(TFloat(Interval(-1.0, 1.0)), Interval(0, 6)),
    "s": TStr(Interval(1, 5), frozenset("abc"), "a-c"),
    "col": TEnum(("red", "green")),
    "pairs": TList(TTuple((TInt(Interval(0, 9)), TBool())), Interval(0, 4)),
    "r": TRecord((("n", TInt(Interval(4, 30))), ("w", TList(TInt(Interval(1, 20)), Interval(1, 5))))),
    "t": TTuple((TInt(Interval(-3, 3)), TEnum(("x",)))),
    "st": TSet(TInt(Interval(0, 5)), Interval(0, 6)),
}


def parse_expr(src: str) -> A.Expr:
    module, diags = parse_text(f"{PREFIX}{src} }}", "e.races")
    assert module is not None and not diags, diags
    body = module.decls[0].clauses[0].body
    assert not isinstance(body, A.PythonRef)
    return body


def check(src: str, scope: dict[str, TType] | None = None) -> tuple[TType, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    return infer(parse_expr(src), SCOPE if scope is None else scope, diags), diags


def shown(src: str) -> str:
    t, diags = check(src)
    assert not diags, [d.message for d in diags]
    return show(t)


# ------------------------------------------------------------------ rules


def test_literals_have_point_types() -> None:
    assert check("7")[0] == TInt(Interval(7, 7))
    assert check("2.5")[0] == TFloat(Interval(2.5, 2.5))
    assert check("true")[0] == TBool()
    assert check('"hi"')[0] == TEnum(("hi",))


def test_builtins_are_the_documented_ones() -> None:
    assert set(BUILTINS) == set("len sum min max sorted reversed abs gcd lcm count unique range any all map_of".split())


@pytest.mark.parametrize(("src", "expected"), [
    # arithmetic
    ("a + b", "Int[-19..50]"), ("a - b", "Int[-50..19]"), ("a * c", "Int[-180..180]"),
    ("a + f", "Float[-22.5..24.0]"), ("a / b", "Float[-20.0..20.0]"), ("b / a", "Float[-30.0..30.0]"),
    ("f / g", "Float[-5.0..8.0]"), ("f / a", "Float"), ("a // k", "Int[-20..20]"), ("b // c", "Int[-30..-1]"),
    ("a % k", "Int[0..4]"), ("b % 100", "Int[1..30]"), ("a % c", "Int[-8..0]"), ("f % g", "Float[0.0..3.0]"),
    ("a ** 2", "Int[0..400]"), ("c ** 2", "Int[0..81]"), ("c ** 3", "Int[-729..0]"), ("a ** 0", "Int[1..1]"),
    ("b ** 3", "Int[1..27000]"), ("g ** 2", "Float[0.25..9.0]"), ("-a", "Int[-20..20]"), ("+c", "Int[-9..0]"),
    ("-f", "Float[-4.0..2.5]"), ("2 ** 3 ** 2", "Int[512..512]"),
    # sequences and strings
    ("xs + ys", "List[Int[-99..99], len=2..17]"), ("xs * k", "List[Int[-99..99], len=2..60]"),
    ("s + col", "Str[len=4..10, chars=\"abcdegnr\"]"), ('"ab" + "c"', 'Str[len=3, chars="abc"]'),
    ("(a, p) + t", 'Tuple[Int[-20..20], Bool, Int[-3..3], Enum["x"]]'),
    # booleans and comparisons
    ("a < b <= 7", "Bool"), ("a in xs", "Bool"), ("a not in st", "Bool"), ('"a" in s', "Bool"),
    ("col in (\"red\", 1)", "Bool"), ("p and not p or a == 1", "Bool"), ("s < col", "Bool"), ("xs < ys", "Bool"),
    # conditionals join their branches
    ("a if p else b", "Int[-20..30]"), ("a if p else f", "Float[-20.0..20.0]"),
    ('col if p else "blue"', 'Enum["red", "green", "blue"]'), ("xs if p else ys", "List[Int[-99..99], len=0..12]"),
    # access
    ("r.n", "Int[4..30]"), ("r.w[0]", "Int[1..20]"), ("xs[a]", "Int[-99..99]"), ("t[0]", "Int[-3..3]"),
    ("t[-1]", 'Enum["x"]'), ("s[0]", 'Str[len=1, chars="a-c"]'), ("col[1]", 'Str[len=1, chars="degnr"]'),
    ("(1, 2)[a]", "Int[1..2]"), ("pairs[0][1]", "Bool"),
    # slices
    ("xs[:k]", "List[Int[-99..99], len=1..5]"), ("xs[1:]", "List[Int[-99..99], len=1..11]"),
    ("xs[-k:]", "List[Int[-99..99], len=1..5]"), ("xs[:-1]", "List[Int[-99..99], len=1..11]"),
    ("xs[::-1]", "List[Int[-99..99], len=2..12]"), ("xs[::2]", "List[Int[-99..99], len=1..6]"),
    ("xs[a:b:k]", "List[Int[-99..99], len=0..12]"), ("s[1:]", 'Str[len=0..4, chars="a-c"]'),
    ("t[1:]", 'Tuple[Enum["x"]]'), ("t[::-1]", 'Tuple[Enum["x"], Int[-3..3]]'),
    # literals
    ("[1, 2, 3]", "List[Int[1..3], len=3]"), ("[1, 2.5]", "List[Float[1.0..2.5], len=2]"), ("[]", "List[?, len=0]"),
    ("[[1], []]", "List[List[Int[1..1], len=0..1], len=2]"), ("(1, \"a\")", 'Tuple[Int[1..1], Enum["a"]]'),
    ("{x: 1, y: col}", '{x: Int[1..1], y: Enum["red", "green"]}'),
    # comprehensions
    ("[v * 2 for v in xs]", "List[Int[-198..198], len=2..12]"),
    ("[v for v in xs if v > 0]", "List[Int[-99..99], len=0..12]"),
    ("[n for n, q in pairs if q]", "List[Int[0..9], len=0..4]"),
    ("[(n, m) for (n, q) in pairs for m in ys]", "List[Tuple[Int[0..9], Int[0..9]], len=0..20]"),
    ("[v + w for v in xs for w in xs]", "List[Int[-198..198], len=4..144]"),
    ("[v for v in st]", "List[Int[0..5], len=0..6]"), ("[ch for ch in s]", 'List[Str[len=1, chars="a-c"], len=1..5]'),
    ("[v for v in t[:1]]", "List[Int[-3..3], len=1]"),
    # builtins
    ("len(xs)", "Int[2..12]"), ("len(s)", "Int[1..5]"), ("len(t)", "Int[2..2]"), ("len(col)", "Int[3..5]"),
    ("sum(xs)", "Int[-1188..1188]"), ("sum(ys)", "Int[0..45]"), ("sum(r.w)", "Int[1..100]"),
    ("sum([v > 0 for v in xs])", "Int[0..12]"), ("sum([])", "Int[0..0]"), ("sum((1, a))", "Int[-19..21]"),
    ("sum([g, g])", "Float[1.0..6.0]"), ("min(xs)", "Int[-99..99]"), ("max(st)", "Int[0..5]"),
    ("min(a, b)", "Int[-20..20]"), ("max(a, c, 3)", "Int[3..20]"), ("max(a, f)", "Float[-2.5..20.0]"),
    ("min(col, s)", 'Str[len=1..5, chars="abcdegnr"]'), ("sorted(xs)", "List[Int[-99..99], len=2..12]"),
    ("sorted(st, reverse=true)", "List[Int[0..5], len=0..6]"), ("reversed(ys)", "List[Int[0..9], len=0..5]"),
    ("abs(a)", "Int[0..20]"), ("abs(c)", "Int[0..9]"), ("abs(b)", "Int[1..30]"), ("abs(f)", "Float[0.0..4.0]"),
    ("gcd(a, b)", "Int[1..30]"), ("gcd(a, c)", "Int[0..20]"), ("gcd(b, k, 12)", "Int[1..5]"),
    ("lcm(b, k)", "Int[1..150]"), ("lcm(a, b)", "Int[0..600]"), ("count(xs, 3)", "Int[0..12]"),
    ("count(s, \"a\")", "Int[0..6]"), ("count(t, 1)", "Int[0..2]"), ("unique(xs)", "List[Int[-99..99], len=1..12]"),
    ("unique(ys)", "List[Int[0..9], len=0..5]"), ("range(k)", "List[Int[0..4], len=1..5]"),
    ("range(1, b)", "List[Int[1..29], len=0..29]"), ("range(b, 0, -1)", "List[Int[1..30], len=1..30]"),
    ("range(0, 10, 3)", "List[Int[0..9], len=4]"), ("range(0, 10, k)", "List[Int[0..9], len=2..10]"),
    ("range(5, 0)", "List[Int[5..5], len=0]"), ("range(0, b, a)", "List[Int[0..29], len=0..30]"),
    ("any([v > 0 for v in xs])", "Bool"), ("all([q for n, q in pairs])", "Bool"),
])
def test_inferred_type(src: str, expected: str) -> None:
    assert shown(src) == expected


def test_gcd_into_declared_output_range() -> None:
    """The gcd2 env from the language reference infers its output range exactly."""
    scope = {"a": TInt(Interval(1, 100)), "b": TInt(Interval(1, 100))}
    assert show(check("gcd(a, b)", scope)[0]) == "Int[1..100]"


def test_total_env_from_reference() -> None:
    assert show(check("sum(xs)", {"xs": TList(SMALL, Interval(1, 12))})[0]) == "Int[-1188..1188]"


def test_comprehension_does_not_touch_the_callers_scope() -> None:
    scope = dict(SCOPE)
    before = dict(scope)
    diags: list[Diagnostic] = []
    infer(parse_expr("[a for a, q in pairs]"), scope, diags)
    assert not diags and scope == before


def test_comprehension_variable_shadows_outer_name() -> None:
    assert shown("[a for a in s]") == 'List[Str[len=1, chars="a-c"], len=1..5]'


def test_later_generator_sees_earlier_target() -> None:
    scope = {"m": TList(TList(TBool(), Interval(0, 3)), Interval(1, 2))}
    assert show(check("[q for row in m for q in row]", scope)[0]) == "List[Bool, len=0..6]"


def test_any_type_absorbs_errors_without_cascade() -> None:
    _, diags = check("len(zz) + sum([v + 1 for v in zz]) * 2")
    assert [d.code for d in diags] == ["E0501", "E0501"]  # two mistakes, two diagnostics
    _, diags = check("(zz + 1) * 2 - xs[zz]")
    assert len(diags) == 2


def test_built_ast_without_spans_is_typed() -> None:
    expr = A.BinOp("+", A.Name("a"), A.Call("len", (A.ListLit((A.IntLit(1), A.IntLit(2))),)))
    diags: list[Diagnostic] = []
    assert infer(expr, SCOPE, diags) == TInt(Interval(-18, 22)) and not diags


def test_unknown_expression_node_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        infer(A.Slice(None, None, None), SCOPE, [])  # type: ignore[arg-type]


# ------------------------------------------------------------------ diagnostics


@pytest.mark.parametrize(("src", "code", "col", "fragment"), [
    ("y + 1", "E0501", 0, "unknown name `y`"),
    ("foo(1)", "E0502", 0, "unknown function `foo`"),
    ("len(xs, ys)", "E0503", 0, "`len` takes 1 argument (2 given)"),
    ("range()", "E0503", 0, "`range` takes 1 to 3 arguments (0 given)"),
    ("gcd(a)", "E0503", 0, "`gcd` takes 2 or more arguments (1 given)"),
    ("min()", "E0503", 0, "`min` takes a list or two or more values (0 given)"),
    ("len(a)", "E0503", 4, "`len` needs a list, set, tuple, map or string, not an integer (Int[-20..20])"),
    ("sum(s)", "E0503", 4, "`sum` needs a list of numbers, not a string"),
    ("sum(pairs)", "E0503", 4, "`sum` needs a list of numbers"),
    ("reversed(st)", "E0503", 9, "`reversed` needs a list, not a set"),
    ("abs(s)", "E0503", 4, "`abs` needs a number"),
    ("gcd(a, f)", "E0503", 7, "`gcd` needs integers, not a float"),
    ("range(0, f)", "E0503", 9, "`range` needs integers"),
    ("range(0, 5, 0)", "E0503", 12, "`range` step must not be zero"),
    ("any(xs)", "E0503", 4, "`any` needs a list of booleans"),
    ("sorted(xs, key=a)", "E0503", 11, "`sorted` takes no keyword argument `key`"),
    ("len(xs, reverse=true)", "E0503", 8, "`len` takes no keyword argument `reverse`"),
    ("sorted(xs, reverse=1)", "E0503", 19, "`reverse` must be a boolean, not an integer"),
    ("sorted(xs, reverse=p, reverse=p)", "E0503", 22, "given twice"),
    ("sorted([r, r])", "E0503", 7, "`sorted` needs a list of comparable values"),
    ("max(a, s)", "E0503", 7, "`max` needs values comparable with Int[-20..20]"),
    ("xs + 1", "E0504", 0, "unsupported operand types for +: a list and an integer"),
    ("xs - ys", "E0504", 0, "unsupported operand types for -: a list and a list"),
    ("p + 1", "E0504", 0, "unsupported operand types for +: a boolean and an integer"),
    ("xs + [s]", "E0504", 0, "unsupported operand types for +"),
    ("s * f", "E0504", 0, "unsupported operand types for *: a string and a float"),
    ("-s", "E0504", 1, "bad operand type for unary -: a string"),
    ("not a", "E0504", 4, "the operand of `not` must be a boolean, not an integer (Int[-20..20])"),
    ("a and p", "E0504", 0, "an operand of `and` must be a boolean"),
    ("p or xs", "E0504", 5, "an operand of `or` must be a boolean, not a list"),
    ("a in b", "E0504", 5, "`in` needs a list, set, tuple, map or string on the right, not an integer"),
    ("a not in s", "E0504", 0, "`not in` a string needs a string on the left"),
    ("a < s", "E0504", 0, "`<` is not supported between an integer and a string"),
    ("a if b else a", "E0504", 5, "the condition of `if` must be a boolean"),
    ("a if p else xs", "E0504", 0, "the branches of `if` must have one type"),
    ("r.m", "E0506", 0, "has no field `m`"),
    ("a.n", "E0504", 0, "`.n` needs a record, not an integer"),
    ("xs[f]", "E0504", 3, "an index must be an integer, not a float"),
    ("xs[s:]", "E0504", 3, "a slice bound must be an integer"),
    ("a[0]", "E0504", 0, "an integer (Int[-20..20]) cannot be indexed"),
    ("st[0]", "E0504", 0, "a set (Set[Int[0..5], len=0..6]) cannot be indexed"),
    ("st[1:]", "E0504", 0, "cannot be sliced"),
    ("t[2]", "E0504", 2, "index 2 is out of range for Tuple[Int[-3..3], Enum[\"x\"]]"),
    ("t[a]", "E0504", 2, "indexed by a variable must have one type"),
    ("t[a:]", "E0504", 2, "slicing a tuple needs constant integer bounds"),
    ("()[a]", "E0504", 0, "an empty tuple cannot be indexed"),
    ("[1, s]", "E0504", 4, "list items must have one type: Str[len=1..5, chars=\"a-c\"] does not fit Int[1..1]"),
    ("{x: 1, x: 2}", "E0504", 7, "duplicate field `x` in record"),
    ("[v for v in a]", "E0504", 12, "cannot iterate over an integer"),
    ("[v for v in t]", "E0504", 12, "its items differ in type"),
    ("sorted(t)", "E0503", 7, "`sorted` needs a tuple whose items share one type"),
    ("[v for v, w in xs]", "E0504", 3, "cannot unpack an integer (Int[-99..99]) into 2 names"),
    ("[v for v, w, z in pairs]", "E0504", 3, "cannot unpack a tuple"),
    ("[v for v in xs if v]", "E0504", 18, "a comprehension filter must be a boolean"),
    ("a ** a", "E0505", 5, "the exponent of `**` must be an integer whose interval lies within 0..64"),
    ("a ** -1", "E0505", 5, "within 0..64, not an integer (Int[-1..-1])"),
    ("a ** 65", "E0505", 5, "within 0..64"),
    ("a ** 2.0", "E0505", 5, "must be an integer"),
    ("a ** c", "E0505", 5, "not an integer (Int[-9..0])"),
])
def test_diagnostic(src: str, code: str, col: int, fragment: str) -> None:
    _, diags = check(src)
    assert [d.code for d in diags] == [code], [d.message for d in diags]
    assert diags[0].code in CODES
    assert fragment in diags[0].message
    assert diags[0].span.col == COL0 + col
    assert diags[0].span.file == "e.races"


def test_folded_constant_exponent_is_accepted() -> None:
    assert shown("a ** (1 + 1)") == "Int[0..400]"


def test_exponent_with_unknown_name_reports_only_the_name() -> None:
    _, diags = check("a ** zz")
    assert [d.code for d in diags] == ["E0501"]


def test_unknown_name_suggests_a_close_one() -> None:
    _, diags = check("xss + ys")
    assert diags[0].help == "did you mean `xs`?"


def test_unknown_function_suggests_a_builtin_and_lists_them() -> None:
    _, diags = check("lenn(xs)")
    assert diags[0].help == "did you mean `len`?"
    assert diags[0].notes and diags[0].notes[0].startswith("only the builtins len, sum, min")


def test_unknown_field_suggests_a_close_one() -> None:
    _, diags = check("r.nn")
    assert diags[0].code == "E0506" and diags[0].help == "did you mean `n`?"


def test_type_error_notes_name_both_types_in_language_notation() -> None:
    _, diags = check("xs + 1")
    assert diags[0].notes == ("the left operand is List[Int[-99..99], len=2..12], the right operand Int[1..1]",)


def test_span_of_nested_subexpression() -> None:
    _, diags = check("len(xs) + sum([v for v in zork])")
    assert diags[0].span.col == COL0 + len("len(xs) + sum([v for v in ")
    assert diags[0].span.end_col == diags[0].span.col + 4


# ------------------------------------------------------------------ constants and names


@pytest.mark.parametrize(("src", "value"), [
    ("3", 3), ("-3", -3), ("2.5", 2.5), ("true", True), ('"x"', "x"), ("not false", True),
    ("2 + 3 * 4", 14), ("7 // 2", 3), ("-7 % 3", 2), ("2 ** 10", 1024), ("1 / 4", 0.25), ("+5 - 6", -1),
    ("a", None), ("1 // 0", None), ("2 ** 65", None), ("2 ** a", None), ("true + 1", None), ("[1]", None),
    ("1e308 * 10.0", None), ("2 ** 64 ** 64", None), ("-true", None), ("not 1", None), ('"a" + "b"', None),
])
def test_constant_value(src: str, value: object) -> None:
    got = constant_value(parse_expr(src))
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(("src", "names"), [
    ("a + b * k", {"a", "b", "k"}),
    ("len(xs[a:b:k])", {"xs", "a", "b", "k"}),
    ("[v + a for v in xs if v > b]", {"xs", "a", "b"}),
    ("[v for v in xs for w in v if w > v]", {"xs"}),
    ("[w for v in w]", {"w"}),  # the first iterable is read from the outer scope
    ("r.n if p else t[0]", {"r", "p", "t"}),
    ("sorted(xs, reverse=p)", {"xs", "p"}),
    ("{x: a, y: (b, [c])}", {"a", "b", "c"}),
    ("1 < a <= b", {"a", "b"}),
    ("not -a", {"a"}),
])
def test_free_names(src: str, names: set[str]) -> None:
    assert free_names(parse_expr(src)) == names


# ------------------------------------------------------------------ soundness of intervals


@st.composite
def int_interval_value(draw: st.DrawFn) -> tuple[Interval, int]:
    """A value and an interval around it; either side may be unbounded."""
    mag = draw(st.sampled_from([3, 30, 10**6, 10**15]))
    v = draw(st.integers(-mag, mag))
    lo = v - draw(st.integers(0, mag))
    hi = v + draw(st.integers(0, mag))
    return Interval(-INF if draw(st.booleans()) and mag > 3 else lo, INF if draw(st.booleans()) and mag > 3 else hi), v


def _typed(src: str, scope: dict[str, TType]) -> TType:
    diags: list[Diagnostic] = []
    t = infer(parse_expr(src), scope, diags)
    assert not diags, [d.message for d in diags]
    return t


@pytest.mark.parametrize("op", ["+", "-", "*", "//", "%", "/"])
@given(x=int_interval_value(), y=int_interval_value())
@settings(max_examples=300, deadline=None)
def test_int_binop_is_sound(op: str, x: tuple[Interval, int], y: tuple[Interval, int]) -> None:
    (ia, a), (ib, b) = x, y
    assume(b != 0 or op in "+-*")
    t = _typed(f"a {op} b", {"a": TInt(ia), "b": TInt(ib)})
    value = {"+": a + b, "-": a - b, "*": a * b, "//": a // b if b else 0, "%": a % b if b else 0,
             "/": a / b if b else 0}[op]
    assert isinstance(t, TFloat if op == "/" else TInt)
    assert t.range.contains_value(value), (show(t), a, b, value)


@given(x=int_interval_value(), k=st.integers(0, 64))
@settings(max_examples=300, deadline=None)
def test_int_power_is_sound(x: tuple[Interval, int], k: int) -> None:
    iv, a = x
    t = _typed(f"a ** {k}", {"a": TInt(iv)})
    assert isinstance(t, TInt) and t.range.contains_value(a**k)


@given(x=int_interval_value())
@settings(max_examples=200, deadline=None)
def test_abs_and_negation_are_sound(x: tuple[Interval, int]) -> None:
    iv, a = x
    for src, value in (("abs(a)", abs(a)), ("-a", -a)):
        t = _typed(src, {"a": TInt(iv)})
        assert isinstance(t, TInt) and t.range.contains_value(value)


@given(x=st.floats(-1e6, 1e6), y=st.floats(-1e6, 1e6), d=st.floats(0, 100), e=st.floats(0, 100),
       op=st.sampled_from(["+", "-", "*", "/", "%"]), k=st.integers(0, 9))
@settings(max_examples=300, deadline=None)
def test_float_ops_are_sound(x: float, y: float, d: float, e: float, op: str, k: int) -> None:
    scope: dict[str, TType] = {"a": TFloat(Interval(x - d, x + d)), "b": TFloat(Interval(y - e, y + e))}
    assume(y != 0 or op not in "/%")
    t = _typed(f"a {op} b", scope)
    value = {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else 0, "%": x % y if y else 0}[op]
    assert isinstance(t, TFloat) and t.range.contains_value(value), (show(t), value)
    try:
        power = x**k
    except OverflowError:
        return
    p = _typed(f"a ** {k}", scope)
    assert isinstance(p, TFloat) and p.range.contains_value(power)


@given(n=st.integers(0, 12), extra=st.integers(0, 6), data=st.data(),
       parts=st.tuples(*[st.none() | st.tuples(st.integers(-15, 15), st.integers(0, 6))] * 2),
       step=st.none() | st.sampled_from([1, 2, 3, -1, -2]))
@settings(max_examples=400, deadline=None)
def test_slice_length_is_sound(n: int, extra: int, data: st.DataObject,
                               parts: tuple[tuple[int, int] | None, ...], step: int | None) -> None:
    xs = list(range(n))
    scope: dict[str, TType] = {"xs": TList(TInt(Interval(0, 20)), Interval(max(0, n - extra), n + extra))}
    bounds: list[str] = []
    values: list[int | None] = []
    for i, part in enumerate(parts):
        if part is None:
            bounds.append("")
            values.append(None)
        else:
            lo, width = part
            scope[f"i{i}"] = TInt(Interval(lo, lo + width))
            bounds.append(f"i{i}")
            values.append(data.draw(st.integers(lo, lo + width)))
    src = f"xs[{bounds[0]}:{bounds[1]}" + ("" if step is None else f":{step}") + "]"
    t = _typed(src, scope)
    got = xs[values[0]:values[1]:step]
    assert isinstance(t, TList) and t.length.contains_value(len(got)), (src, values, show(t))


@given(args=st.lists(int_interval_value(), min_size=1, max_size=3))
@settings(max_examples=300, deadline=None)
def test_range_is_sound(args: list[tuple[Interval, int]]) -> None:
    values = [v for _, v in args]
    assume(len(values) < 3 or values[2] != 0)
    r = range(*values)
    assume(len(r) < 10**6)
    scope: dict[str, TType] = {f"x{i}": TInt(iv) for i, (iv, _) in enumerate(args)}
    t = _typed(f"range({', '.join(scope)})", scope)
    assert isinstance(t, TList) and isinstance(t.elem, TInt)
    assert t.length.contains_value(len(r)), (show(t), values)
    if len(r):
        assert t.elem.range.contains_value(r[0]) and t.elem.range.contains_value(r[-1])


# ------------------------------------------------------------------ totality


_NAMES = list(SCOPE) + ["v", "zz", "len"]
_FUNCS = list(BUILTINS) + ["foo", "print"]
_ALL_OPS = ("+", "-", "*", "/", "//", "%", "**")
_COMPARE = ("<", ">", "==", ">=", "<=", "!=", "in", "not in")

_atoms: st.SearchStrategy[A.Expr] = st.one_of(
    st.sampled_from(_NAMES).map(A.Name), st.integers(-(10**30), 10**30).map(A.IntLit),
    st.floats(allow_nan=True).map(A.FloatLit), st.text(max_size=4).map(A.StrLit), st.booleans().map(A.BoolLit),
)


def _any_exprs(sub: st.SearchStrategy[A.Expr]) -> st.SearchStrategy[A.Expr]:
    few = st.lists(sub, max_size=3).map(tuple)
    opt = st.none() | sub
    gen = st.builds(A.Comprehension, st.lists(st.sampled_from(["v", "w", "a"]), min_size=1, max_size=3).map(tuple),
                    sub, st.lists(sub, max_size=2).map(tuple))
    return st.one_of(
        st.builds(A.BinOp, st.sampled_from(_ALL_OPS), sub, sub),
        st.builds(A.UnaryOp, st.sampled_from(("+", "-", "not")), sub),
        st.builds(A.BoolOp, st.sampled_from(("and", "or")), sub, sub),
        st.builds(lambda left, rest: A.Compare(left, tuple(o for o, _ in rest), tuple(e for _, e in rest)),
                  sub, st.lists(st.tuples(st.sampled_from(_COMPARE), sub), min_size=1, max_size=3)),
        st.builds(A.IfExp, sub, sub, sub),
        st.builds(A.Attribute, sub, st.sampled_from(["n", "w", "x"])),
        st.builds(A.Subscript, sub, sub | st.builds(A.Slice, opt, opt, opt)),
        st.builds(A.Call, st.sampled_from(_FUNCS), few,
                  st.lists(st.builds(A.Keyword, st.sampled_from(["reverse", "key"]), sub), max_size=2).map(tuple)),
        st.builds(A.ListLit, few), st.builds(A.TupleLit, few),
        st.builds(A.RecordLit, st.lists(st.builds(A.RecordItem, st.sampled_from("xyz"), sub), min_size=1,
                                        max_size=3).map(tuple)),
        st.builds(A.ListComp, sub, st.lists(gen, min_size=1, max_size=2).map(tuple)),
    )


any_exprs = st.recursive(_atoms, _any_exprs, max_leaves=25)

_WILD_SCOPE: dict[str, TType] = {
    **SCOPE,
    "a": TInt(Interval(-(10**400), 10**400)),  # bounds beyond float range must not overflow
    "b": TInt(), "f": TFloat(), "xs": TList(TInt(Interval(0, 10**300)), Interval(0, 10**500)),
    "ys": TList(TAny()), "g": TFloat(Interval(-1e308, 1e308)), "p": TAny(),
    "c": TInt(Interval(5, 3)), "col": TEnum(()), "s": TStr(Interval(3, 1)),  # empty types (E0301 upstream)
    "k": TInt(Interval(0, 0)), "fs": TList(TFloat(Interval(-INF, 0.0)), Interval(0, INF)),
}
_TTYPES = (TInt, TFloat, TBool, TStr, TEnum, TList, TSet, TTuple, TRecord, TAny)


@given(expr=any_exprs, wild=st.booleans())
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_infer_is_total(expr: A.Expr, wild: bool) -> None:
    diags: list[Diagnostic] = []
    t = infer(expr, _WILD_SCOPE if wild else SCOPE, diags)
    assert isinstance(t, _TTYPES)
    show(t)
    assert all(d.code in CODES and d.span is not None for d in diags)
    constant_value(expr)
    free_names(expr)


# ------------------------------------------------------------------ typed random expressions


class _TooBig(Exception):
    """The expression would build a huge value; not a typing question."""


_LIMIT = 20_000


def _guard(n: int) -> int:
    if n > _LIMIT:
        raise _TooBig
    return n


def _range(*args: int) -> list[int]:
    _guard(len(range(*args)))
    return list(range(*args))


_FUNCS_PY: dict[str, Callable[..., Any]] = {
    "len": len, "sum": sum, "min": min, "max": max, "sorted": sorted, "reversed": lambda xs: list(reversed(xs)),
    "abs": abs, "gcd": math.gcd, "lcm": math.lcm, "count": lambda xs, v: xs.count(v),
    "unique": lambda xs: list(dict.fromkeys(xs)), "range": _range, "any": any, "all": all,
}
_BIN: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "//": lambda a, b: a // b, "%": lambda a, b: a % b, "**": lambda a, b: a**b,
}
_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


def evaluate(e: A.Expr, env: dict[str, Any]) -> Any:
    """A reference interpreter with Python semantics, as generated solvers behave."""
    match e:
        case A.IntLit(v) | A.FloatLit(v) | A.StrLit(v) | A.BoolLit(v):
            return v
        case A.Name(n):
            return env[n]
        case A.BinOp(op, left, right):
            a, b = evaluate(left, env), evaluate(right, env)
            if op == "*" and isinstance(a, (list, str)) and isinstance(b, int):
                _guard(len(a) * b)
            if op == "*" and isinstance(b, (list, str)) and isinstance(a, int):
                _guard(len(b) * a)
            return _BIN[op](a, b)
        case A.UnaryOp(op, operand):
            v = evaluate(operand, env)
            return not v if op == "not" else (-v if op == "-" else +v)
        case A.BoolOp(op, left, right):
            a = evaluate(left, env)
            return (a and evaluate(right, env)) if op == "and" else (a or evaluate(right, env))
        case A.Compare(left, ops, comparators):
            a = evaluate(left, env)
            for op, node in zip(ops, comparators, strict=True):
                b = evaluate(node, env)
                if not _CMP[op](a, b):
                    return False
                a = b
            return True
        case A.IfExp(body, test, orelse):
            return evaluate(body, env) if evaluate(test, env) else evaluate(orelse, env)
        case A.Attribute(value, attr):
            return evaluate(value, env)[attr]
        case A.Subscript(value, A.Slice(lo, hi, step)):
            parts = [None if p is None else evaluate(p, env) for p in (lo, hi, step)]
            return evaluate(value, env)[slice(*parts)]
        case A.Subscript(value, index):
            return evaluate(value, env)[evaluate(index, env)]  # type: ignore[arg-type]
        case A.Call(func, args, keywords):
            kws = {k.name: evaluate(k.value, env) for k in keywords}
            return _FUNCS_PY[func](*(evaluate(a, env) for a in args), **kws)
        case A.ListLit(items):
            return [evaluate(i, env) for i in items]
        case A.TupleLit(items):
            return tuple(evaluate(i, env) for i in items)
        case A.RecordLit(items):
            return {i.name: evaluate(i.value, env) for i in items}
        case A.ListComp(elt, gens):
            out: list[Any] = []
            _comprehend(elt, gens, dict(env), out)
            return out
    raise TypeError(e)


def _comprehend(elt: A.Expr, gens: tuple[A.Comprehension, ...], env: dict[str, Any], out: list[Any]) -> None:
    if not gens:
        out.append(evaluate(elt, env))
        _guard(len(out))
        return
    gen = gens[0]
    for item in list(evaluate(gen.iter, env)):
        if len(gen.targets) == 1:
            env[gen.targets[0]] = item
        else:
            env.update(zip(gen.targets, item, strict=True))
        if all(evaluate(c, env) for c in gen.ifs):
            _comprehend(elt, gens[1:], env, out)
        _guard(len(out) + 1)


def inhabits(v: Any, t: TType) -> bool:
    """Whether a Python value belongs to a semantic type (Int <: Float included)."""
    match t:
        case TAny():
            return True
        case TBool():
            return isinstance(v, bool)
        case TInt(r):
            return type(v) is int and r.contains_value(v)
        case TFloat(r):
            return type(v) in (int, float) and r.contains_value(v)
        case TEnum(values):
            return v in values
        case TStr(length, chars):
            return isinstance(v, str) and length.contains_value(len(v)) and (chars is None or set(v) <= chars)
        case TList(e, length):
            return isinstance(v, list) and length.contains_value(len(v)) and all(inhabits(x, e) for x in v)
        case TSet(e, length):
            return isinstance(v, set) and length.contains_value(len(v)) and all(inhabits(x, e) for x in v)
        case TTuple(items):
            return isinstance(v, tuple) and len(v) == len(items) and all(map(inhabits, v, items))
        case TRecord(fields):
            return isinstance(v, dict) and set(v) == {n for n, _ in fields} and all(
                inhabits(v[n], ft) for n, ft in fields)
    return False


def values_of(t: TType) -> st.SearchStrategy[Any]:
    match t:
        case TInt(r):
            return st.integers(int(r.lo), int(r.hi))
        case TFloat(r):
            return st.floats(r.lo, r.hi)
        case TBool():
            return st.booleans()
        case TEnum(values):
            return st.sampled_from(values)
        case TStr(length, chars):
            return st.text(sorted(chars or "ab"), min_size=int(length.lo), max_size=int(length.hi))
        case TList(e, length):
            return st.lists(values_of(e), min_size=int(length.lo), max_size=int(length.hi))
        case TSet(e, length):
            return st.sets(values_of(e), min_size=int(length.lo), max_size=int(length.hi))
        case TTuple(items):
            return st.tuples(*map(values_of, items))
        case TRecord(fields):
            return st.fixed_dictionaries({n: values_of(ft) for n, ft in fields})
    raise TypeError(t)


_ENVS = st.fixed_dictionaries({n: values_of(t) for n, t in SCOPE.items()})
_S = st.SearchStrategy


def _lit(n: int) -> A.Expr:
    return A.IntLit(n) if n >= 0 else A.UnaryOp("-", A.IntLit(-n))


def _call(name: str, *strategies: _S[A.Expr]) -> _S[A.Expr]:
    return st.tuples(*strategies).map(lambda args: A.Call(name, tuple(args)))


@functools.cache
def ints(d: int) -> _S[A.Expr]:
    base = st.one_of(st.sampled_from(["a", "b", "c", "k", "v", "w"]).map(A.Name), st.integers(-6, 6).map(_lit),
                     st.just(A.Attribute(A.Name("r"), "n")), st.just(A.Subscript(A.Name("t"), A.IntLit(0))))
    if d == 0:
        return base
    i, seq, b = ints(d - 1), lists(d - 1), bools(d - 1)
    return st.one_of(
        base,
        st.builds(A.BinOp, st.sampled_from(["+", "-", "*", "//", "%"]), i, i),
        st.builds(lambda x, n: A.BinOp("**", x, A.IntLit(n)), i, st.integers(0, 5)),
        st.builds(A.UnaryOp, st.sampled_from(["-", "+"]), i),
        st.sampled_from(["len", "sum", "min", "max"]).flatmap(lambda f: _call(f, seq)),
        _call("abs", i), _call("gcd", i, i), _call("lcm", i, i), _call("max", i, i), _call("min", i, i, i),
        _call("count", seq, i), st.builds(A.IfExp, i, b, i), st.builds(A.Subscript, seq, i),
    )


@functools.cache
def lists(d: int) -> _S[A.Expr]:
    base = st.one_of(st.sampled_from(["xs", "ys"]).map(A.Name), st.just(A.Attribute(A.Name("r"), "w")),
                     st.lists(st.integers(-5, 5).map(_lit), max_size=3).map(lambda xs: A.ListLit(tuple(xs))))
    if d == 0:
        return base
    i, seq, b = ints(d - 1), lists(d - 1), bools(d - 1)
    opt = st.none() | i
    return st.one_of(
        base, st.builds(lambda xs: A.ListLit(tuple(xs)), st.lists(i, min_size=1, max_size=3)),
        _call("sorted", seq), st.builds(lambda x, r: A.Call("sorted", (x,), (A.Keyword("reverse", r),)), seq, b),
        _call("sorted", st.just(A.Name("st"))), _call("reversed", seq), _call("unique", seq),
        _call("range", i), _call("range", i, i), _call("range", i, i, i),
        st.builds(lambda x, lo, hi, step: A.Subscript(x, A.Slice(lo, hi, step)), seq, opt, opt, opt),
        st.builds(A.BinOp, st.just("+"), seq, seq), st.builds(A.BinOp, st.just("*"), seq, i),
        st.builds(lambda elt, it, conds: A.ListComp(elt, (A.Comprehension(("v",), it, tuple(conds)),)),
                  i, seq, st.lists(b, max_size=1)),
        st.builds(lambda elt, it: A.ListComp(elt, (A.Comprehension(("v",), it), A.Comprehension(("w",), it))),
                  i, seq),
        st.builds(lambda elt: A.ListComp(elt, (A.Comprehension(("v", "q"), A.Name("pairs"), (A.Name("q"),)),)), i),
        st.builds(A.IfExp, seq, b, seq),
    )


@functools.cache
def bools(d: int) -> _S[A.Expr]:
    base = st.one_of(st.just(A.Name("p")), st.booleans().map(A.BoolLit))
    if d == 0:
        return base
    i, seq, b = ints(d - 1), lists(d - 1), bools(d - 1)
    comparison = st.tuples(i, st.lists(st.tuples(st.sampled_from(["<", ">", "==", "<=", ">=", "!="]), i),
                                       min_size=1, max_size=2))
    return st.one_of(
        base, comparison.map(lambda c: A.Compare(c[0], tuple(o for o, _ in c[1]), tuple(x for _, x in c[1]))),
        st.builds(lambda x, op, xs: A.Compare(x, (op,), (xs,)), i, st.sampled_from(["in", "not in"]), seq),
        st.builds(A.BoolOp, st.sampled_from(["and", "or"]), b, b), st.builds(A.UnaryOp, st.just("not"), b),
        st.builds(lambda f, x: A.Call(f, (A.ListComp(A.Compare(A.Name("v"), (">",), (x,)),
                                                      (A.Comprehension(("v",), A.Name("xs")),)),)),
                  st.sampled_from(["any", "all"]), i),
    )


@functools.cache
def floats(d: int) -> _S[A.Expr]:
    base = st.one_of(st.sampled_from(["f", "g"]).map(A.Name), st.floats(-3, 3).map(lambda x: A.FloatLit(abs(x))))
    if d == 0:
        return base
    x, i = floats(d - 1), ints(d - 1)
    num = x | i
    return st.one_of(
        base, st.builds(A.BinOp, st.sampled_from(["+", "-", "*", "/", "%"]), x, num),
        st.builds(A.BinOp, st.sampled_from(["+", "-", "*", "/"]), i, x), st.builds(A.BinOp, st.just("/"), i, i),
        st.builds(lambda y, n: A.BinOp("**", y, A.IntLit(n)), x, st.integers(0, 4)),
        _call("sum", st.just(A.Name("fs"))), _call("min", st.just(A.Name("fs"))), _call("abs", x),
        _call("max", x, i), st.builds(A.UnaryOp, st.just("-"), x), st.builds(A.IfExp, x, bools(d - 1), num),
    )


@functools.cache
def strs(d: int) -> _S[A.Expr]:
    base = st.one_of(st.sampled_from(["s", "col"]).map(A.Name), st.sampled_from(["", "ab", "zz"]).map(A.StrLit))
    if d == 0:
        return base
    x, i = strs(d - 1), ints(d - 1)
    opt = st.none() | i
    return st.one_of(
        base, st.builds(A.BinOp, st.just("+"), x, x), st.builds(A.Subscript, x, i),
        st.builds(lambda y, lo, hi: A.Subscript(y, A.Slice(lo, hi, None)), x, opt, opt),
        st.builds(A.IfExp, x, bools(d - 1), x), st.builds(A.BinOp, st.just("*"), x, i),
    )


typed_exprs = st.one_of(ints(3), lists(2), bools(2), floats(2), strs(2))


@given(expr=typed_exprs, env=_ENVS)
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_computed_value_inhabits_the_inferred_type(expr: A.Expr, env: dict[str, Any]) -> None:
    diags: list[Diagnostic] = []
    t = infer(expr, SCOPE, diags)
    if diags:
        return  # ill-typed (e.g. a comprehension variable outside its comprehension)
    try:
        value = evaluate(expr, env)
    except (ZeroDivisionError, ValueError, IndexError, OverflowError, _TooBig):
        return  # run-time errors are the solver's business (`racesdsl test`)
    assert inhabits(value, t), (expr, value, show(t))
