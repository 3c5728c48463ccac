"""Semantic types (language.md §3): assignability rules, `show`, interval
arithmetic, and the algebra's laws as hypothesis properties.

The value-level helpers (`sample_value`, `inhabits`) live in `tests/values.py`."""

from __future__ import annotations

import itertools
import math
import random
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from values import all_values, count, inhabited, inhabits, sample_value

from racesdsl.runtime.types import (
    INF,
    NAT,
    UNBOUNDED,
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
    assignable,
    is_bounded,
    join,
    mismatch,
    overlaps,
    parse_char_class,
    show,
)
from racesdsl.syntax import ast as A
from racesdsl.syntax.parser import parse_text

PROPS = settings(max_examples=200, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def I(lo: float = -INF, hi: float = INF) -> Interval:  # noqa: E743 - reads like the notation
    """`Interval(lo, hi)`, short."""
    return Interval(lo, hi)


def az(src: str = "a-z") -> TStr:
    """`Str[chars=src]` built as the checker builds it."""
    return TStr(NAT, parse_char_class(src), src)


def rec(**fields: TType) -> TRecord:
    """A record type in keyword order."""
    return TRecord(tuple(fields.items()))


# ======================================================== assignability rules

OK = None  # "no mismatch expected" in the tables below

RULES: list[tuple[str, TType, TType, str | None]] = [
    # Int intervals: Int[a..b] <: Int[c..d] iff c <= a and b <= d
    ("int same", TInt(I(0, 5)), TInt(I(0, 5)), OK),
    ("int narrower", TInt(I(1, 4)), TInt(I(0, 5)), OK),
    ("int into unbounded", TInt(I(0, 5)), TInt(), OK),
    ("int half-open", TInt(I(3, INF)), TInt(I(0, INF)), OK),
    ("int lo below", TInt(I(0, 5)), TInt(I(1, 5)), "0..5 is not within 1..5"),
    ("int hi above", TInt(I(0, 6)), TInt(I(0, 5)), "0..6 is not within 0..5"),
    ("int unbounded into bounded", TInt(), TInt(I(0, 5)), "is not within 0..5"),
    ("int open hi into closed", TInt(I(0, INF)), TInt(I(0, 100)), "0.. is not within 0..100"),
    ("int open lo", TInt(I(-INF, 3)), TInt(I(0, INF)), "..3 is not within 0.."),
    # Int <: Float widening
    ("int widens to float", TInt(I(0, 5)), TFloat(I(0, 5)), OK),
    ("int widens to wider float", TInt(I(0, 5)), TFloat(I(-0.5, 5.5)), OK),
    ("int widens to unbounded float", TInt(), TFloat(), OK),
    ("int widening keeps bounds", TInt(I(0, 5)), TFloat(I(0.5, 5)), "0..5 is not within 0.5..5"),
    # Float
    ("float narrower", TFloat(I(0.25, 0.75)), TFloat(I(0.0, 1.0)), OK),
    ("float wider", TFloat(I(0.0, 1.0)), TFloat(I(0, 0.5)), "0.0..1.0 is not within 0..0.5"),
    ("float not int", TFloat(I(0, 1)), TInt(I(0, 1)), "a float is not an integer"),
    ("unbounded float not int", TFloat(), TInt(), "a float is not an integer"),
    # Bool
    ("bool", TBool(), TBool(), OK),
    ("bool not int", TBool(), TInt(I(0, 1)), "a boolean is not an integer"),
    ("int not bool", TInt(I(0, 1)), TBool(), "an integer is not a boolean"),
    ("bool not float", TBool(), TFloat(), "a boolean is not a float"),
    # Str: length within, characters within
    ("str same", TStr(), TStr(), OK),
    ("str len within", TStr(I(2, 3)), TStr(I(1, 5)), OK),
    ("str len into unconstrained", TStr(I(2, 3)), TStr(), OK),
    ("str len outside", TStr(I(0, 6)), TStr(I(1, 5)), "length 0..6 is not within 1..5"),
    ("str exact len", TStr(I(4, 4)), TStr(I(1, 3)), "length 4 is not within 1..3"),
    ("str unconstrained len", TStr(), TStr(I(1, 5)), "length 0.. is not within 1..5"),
    ("str chars within", TStr(I(1, 2), parse_char_class("a-c"), "a-c"), TStr(I(0, 5), parse_char_class("a-z"), "a-z"), OK),
    ("str chars into any", az(), TStr(), OK),
    ("str chars outside", az("a-z0-9"), az(), "characters"),
    ("str any chars into class", TStr(), az(), "characters"),
    ("str not int", TStr(), TInt(), "a string is not an integer"),
    # Enum: subset; Enum <: Str when every literal fits
    ("enum subset", TEnum(("red",)), TEnum(("red", "green")), OK),
    ("enum same set other order", TEnum(("green", "red")), TEnum(("red", "green")), OK),
    ("enum extra literal", TEnum(("red", "blue")), TEnum(("red", "green")), '"blue"'),
    ("enum into str", TEnum(("red", "green")), TStr(), OK),
    ("enum into str class", TEnum(("red", "green")), TStr(I(3, 5), parse_char_class("a-z"), "a-z"), OK),
    ("enum literal too long", TEnum(("red", "green")), TStr(I(1, 4)), '"green"'),
    ("enum literal too short", TEnum(("red", "")), TStr(I(1, 4)), '""'),
    ("enum literal bad chars", TEnum(("red", "Red")), az(), '"Red"'),
    ("str not enum", TStr(I(3, 3), parse_char_class("a-z"), "a-z"), TEnum(("red",)), "a string is not a string literal"),
    ("enum not int", TEnum(("1",)), TInt(), "a string literal is not an integer"),
    # List / Set: element-wise and length containment
    ("list", TList(TInt(I(0, 5)), I(1, 3)), TList(TInt(I(0, 9)), I(0, 4)), OK),
    ("list elem widening", TList(TInt(I(0, 5)), I(2, 2)), TList(TFloat(I(0, 5)), I(2, 2)), OK),
    ("list exact len", TList(TInt(), I(3, 3)), TList(TInt(), I(3, 3)), OK),
    ("list len outside", TList(TInt(I(0, 5)), I(1, 5)), TList(TInt(I(0, 9)), I(0, 4)), "length 1..5 is not within 0..4"),
    ("list len exact mismatch", TList(TInt(), I(3, 3)), TList(TInt(), I(2, 2)), "length 3 is not within 2"),
    ("list default len", TList(TInt()), TList(TInt(), I(0, 4)), "length 0.. is not within 0..4"),
    ("list elem outside", TList(TInt(I(0, 10)), I(1, 3)), TList(TInt(I(0, 9)), I(0, 4)), "elements: 0..10 is not within 0..9"),
    ("list elem kind", TList(TFloat()), TList(TInt()), "elements: a float is not an integer"),
    ("set", TSet(TEnum(("a",)), I(0, 1)), TSet(TEnum(("a", "b")), I(0, 2)), OK),
    ("set elem widening", TSet(TInt(I(0, 5)), I(2, 2)), TSet(TFloat(), I(0, 9)), OK),
    ("set len outside", TSet(TInt(I(0, 5)), I(0, 3)), TSet(TInt(I(0, 5)), I(1, 3)), "length 0..3 is not within 1..3"),
    ("set elem outside", TSet(TEnum(("a", "c"))), TSet(TEnum(("a", "b"))), 'elements: "c"'),
    ("no list into set", TList(TInt(I(0, 5)), I(0, 3)), TSet(TInt(I(0, 5)), I(0, 3)), "a list is not a set"),
    ("no set into list", TSet(TInt(I(0, 5)), I(0, 3)), TList(TInt(I(0, 5)), I(0, 3)), "a set is not a list"),
    # Tuples: pointwise, same arity; no Tuple <: List
    ("tuple", TTuple((TInt(I(0, 1)), TBool())), TTuple((TFloat(), TBool())), OK),
    ("tuple arity", TTuple((TInt(), TInt())), TTuple((TInt(), TInt(), TInt())), "2 items where 3 are expected"),
    ("tuple item", TTuple((TInt(), TStr(), TBool())), TTuple((TInt(), TStr(), TInt())), "item 2: a boolean is not an integer"),
    ("tuple item interval", TTuple((TInt(I(0, 9)),)), TTuple((TInt(I(0, 5)),)), "item 0: 0..9 is not within 0..5"),
    ("no tuple into list", TTuple((TInt(), TInt())), TList(TInt(), I(2, 2)), "a tuple is not a list"),
    ("no list into tuple", TList(TInt(), I(2, 2)), TTuple((TInt(), TInt())), "a list is not a tuple"),
    # Records: same field names (order-insensitive), fields pointwise
    ("record", rec(a=TInt(I(0, 1)), b=TBool()), rec(a=TFloat(), b=TBool()), OK),
    ("record field order", rec(a=TInt(I(0, 1)), b=TBool()), rec(b=TBool(), a=TInt()), OK),
    ("record other names", rec(a=TInt(), b=TBool()), rec(a=TInt(), c=TBool()), "{a, b} differ from {a, c}"),
    ("record extra field", rec(a=TInt(), b=TBool()), rec(a=TInt()), "{a, b} differ from {a}"),
    ("record missing field", rec(a=TInt()), rec(a=TInt(), b=TBool()), "{a} differ from {a, b}"),
    ("record field type", rec(b=TBool(), a=TInt(I(0, 9))), rec(a=TInt(I(0, 5)), b=TBool()), "field `a`: 0..9 is not within 0..5"),
    ("record not tuple", rec(a=TInt()), TTuple((TInt(),)), "a record is not a tuple"),
    # TAny fits both ways, also nested
    ("any into int", TAny(), TInt(I(0, 1)), OK),
    ("int into any", TInt(), TAny(), OK),
    ("any into record", TAny(), rec(a=TInt()), OK),
    ("nested any source", TList(TAny(), I(0, 2)), TList(TInt(I(0, 1)), I(0, 2)), OK),
    ("nested any target", TTuple((TStr(), TBool())), TTuple((TAny(), TBool())), OK),
    ("nested any keeps length", TList(TAny(), I(0, 9)), TList(TInt(), I(0, 2)), "length 0..9 is not within 0..2"),
]


@pytest.mark.parametrize(("s", "t", "note"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_assignability_rule(s: TType, t: TType, note: str | None) -> None:
    """Each §3 rule: the verdict, and a mismatch note naming the failing part."""
    got = mismatch(s, t)
    assert assignable(s, t) is (note is None)
    if note is None:
        assert got is None
    else:
        assert got is not None and note in got, got


def test_shortest_path_input_fits_wider_graph() -> None:
    """The §4 graph record is assignable to a record with wider ranges, field order aside."""
    edge = TTuple((TInt(I(0, 29)), TInt(I(0, 29)), TInt(I(1, 20))))
    g = rec(n=TInt(I(4, 30)), edges=TList(edge, I(3, 200)))
    wide_edge = TTuple((TInt(I(0, 99)), TFloat(I(0, 99)), TFloat()))
    assert assignable(g, rec(edges=TList(wide_edge, I(0, 500)), n=TInt(I(0, INF))))
    note = mismatch(g, rec(n=TInt(I(4, 30)), edges=TList(edge, I(3, 100))))
    assert note == "field `edges`: length 3..200 is not within 3..100"
    deep = mismatch(g, rec(n=TInt(I(4, 30)), edges=TList(TTuple((TInt(I(0, 29)), TInt(I(0, 29)), TInt(I(1, 9)))), I(3, 200))))
    assert deep == "field `edges`: elements: item 2: 1..20 is not within 1..9"


# ============================================================ show (goldens)

SHOW: list[tuple[TType, str]] = [
    (TInt(), "Int"),
    (TInt(I(-99, 99)), "Int[-99..99]"),
    (TInt(I(3, INF)), "Int[3..]"),
    (TInt(I(-INF, 5)), "Int[..5]"),
    (TInt(I(7, 7)), "Int[7..7]"),
    (TFloat(), "Float"),
    (TFloat(I(0.0, 1.0)), "Float[0.0..1.0]"),
    (TFloat(I(0.5, 2)), "Float[0.5..2]"),
    (TFloat(I(-1e-06, INF)), "Float[-1e-06..]"),
    (TBool(), "Bool"),
    (TStr(), "Str"),
    (TStr(I(1, 5), parse_char_class("a-z"), "a-z"), 'Str[len=1..5, chars="a-z"]'),
    (TStr(I(3, 3)), "Str[len=3]"),
    (TStr(I(2, INF)), "Str[len=2..]"),
    (TStr(NAT, frozenset("cab")), 'Str[chars="abc"]'),
    (az("a-z0-9_"), 'Str[chars="a-z0-9_"]'),
    (TEnum(("red", "green")), 'Enum["red", "green"]'),
    (TEnum(("x",)), 'Enum["x"]'),
    (TList(TInt(I(-99, 99)), I(2, 12)), "List[Int[-99..99], len=2..12]"),
    (TList(TInt(), I(3, 3)), "List[Int, len=3]"),
    (TList(TBool()), "List[Bool]"),
    (TList(TList(TInt(), I(2, 2)), I(1, INF)), "List[List[Int, len=2], len=1..]"),
    (TSet(TEnum(("a", "b")), I(0, 2)), 'Set[Enum["a", "b"], len=0..2]'),
    (TSet(TStr(I(1, 1))), "Set[Str[len=1]]"),
    (TTuple((TInt(), TStr(), TFloat(I(0, 1)))), "Tuple[Int, Str, Float[0..1]]"),
    (rec(a=TInt(), b=TList(TBool(), I(0, 3))), "{a: Int, b: List[Bool, len=0..3]}"),
    (rec(n=TInt(I(4, 30)),
         edges=TList(TTuple((TInt(I(0, 29)), TInt(I(0, 29)), TInt(I(1, 20)))), I(3, 200))),
     "{n: Int[4..30], edges: List[Tuple[Int[0..29], Int[0..29], Int[1..20]], len=3..200]}"),
    (TAny(), "?"),
]


@pytest.mark.parametrize(("t", "text"), SHOW, ids=[s for _, s in SHOW])
def test_show_golden(t: TType, text: str) -> None:
    """`show` renders the language's own notation."""
    assert show(t) == text


def test_show_rejects_non_types() -> None:
    """`show` of something that is not a type is a TypeError, not a repr."""
    with pytest.raises(TypeError):
        show(42)  # type: ignore[arg-type]


# =========================================================== small functions


@pytest.mark.parametrize(("spec", "expected"), [
    ("a-z", set("abcdefghijklmnopqrstuvwxyz")),
    ("abc", set("abc")),
    ("a-c0-2_", set("abc012_")),
    ("-a", {"-", "a"}),
    ("a-", {"a", "-"}),
    ("z-a", None),
    ("bz-a", None),
    ("", None),
    ("\u0000-\uffff", None),
])
def test_parse_char_class(spec: str, expected: set[str] | None) -> None:
    """Ranges expand; reversed or huge ranges and empty classes are malformed (None)."""
    got = parse_char_class(spec)
    assert (got is None) if expected is None else (got == frozenset(expected))


@pytest.mark.parametrize(("t", "bounded"), [
    (TInt(I(0, 5)), True), (TInt(), False), (TInt(I(0, INF)), False), (TFloat(I(0, 1)), True),
    (TFloat(I(-INF, 1)), False), (TBool(), True), (TEnum(("a",)), True), (TStr(), False),
    (TStr(I(0, 5)), True), (az(), False), (TList(TInt(I(0, 1))), False),
    (TList(TInt(I(0, 1)), I(0, 3)), True), (TList(TInt(), I(3, 3)), False),
    (TSet(TBool(), I(0, 2)), True), (TTuple((TBool(), TInt())), False), (TTuple((TBool(),)), True),
    (rec(a=TBool(), b=TInt(I(0, 1))), True), (rec(a=TBool(), b=TFloat()), False),
    (TAny(), True),  # `?` follows an earlier error: not reported again
])
def test_is_bounded(t: TType, bounded: bool) -> None:
    """Bounded means samplable from the declaration alone."""
    assert is_bounded(t) is bounded


@pytest.mark.parametrize(("a", "b", "expected"), [
    (TInt(I(0, 3)), TInt(I(5, 9)), TInt(I(0, 9))),
    (TInt(I(0, 3)), TFloat(I(0.5, 5)), TFloat(I(0, 5))),
    (TEnum(("a",)), TEnum(("b", "a")), TEnum(("a", "b"))),
    (TEnum(("ab",)), TStr(I(0, 1)), TStr(I(0, 2))),
    (TList(TInt(I(0, 1)), I(1, 2)), TList(TInt(I(5, 6)), I(3, 3)), TList(TInt(I(0, 6)), I(1, 3))),
    (TTuple((TInt(I(0, 1)), TBool())), TTuple((TInt(I(2, 3)), TBool())), TTuple((TInt(I(0, 3)), TBool()))),
    (rec(a=TInt(I(0, 1))), rec(a=TFloat(I(2, 3))), rec(a=TFloat(I(0, 3)))),
    (TAny(), TBool(), TBool()),
    (TBool(), TAny(), TBool()),
    (TInt(), TBool(), TAny()),
    (TList(TInt()), TSet(TInt()), TAny()),
    (TTuple((TInt(),)), TTuple((TInt(), TInt())), TAny()),
    (rec(a=TInt()), rec(b=TInt()), TAny()),
])
def test_join_examples(a: TType, b: TType, expected: TType) -> None:
    """Hull of intervals, union of enums, pointwise for containers, `?` when unrelated."""
    assert join(a, b) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    (TInt(I(0, 3)), TInt(I(4, 5)), False),
    (TInt(I(0, 3)), TInt(I(3, 5)), True),
    (TFloat(I(0, 1)), TInt(I(0, 1)), True),
    (TEnum(("a",)), TEnum(("b",)), False),
    (TEnum(("a",)), TStr(I(5, 5)), True),  # conservative: no proof of the contrary
    (TInt(), TBool(), False),
    (TList(TInt()), TSet(TInt()), False),
    (TList(TInt(I(0, 1)), I(0, 2)), TList(TInt(I(5, 6)), I(0, 3)), True),  # the empty list
    (TList(TInt(I(0, 1)), I(1, 2)), TList(TInt(I(5, 6)), I(0, 3)), False),
    (TList(TInt(), I(0, 2)), TList(TInt(), I(3, 4)), False),
    (TTuple((TInt(),)), TTuple((TInt(), TInt())), False),
    (rec(a=TInt(I(0, 1))), rec(a=TInt(I(2, 3))), False),
    (TAny(), TBool(), True),
])
def test_overlaps_examples(a: TType, b: TType, expected: bool) -> None:
    """`overlaps` is False only with a proof of disjointness."""
    assert overlaps(a, b) is expected


# ======================================================== values.py sanity


@pytest.mark.parametrize(("v", "t", "expected"), [
    (3, TInt(I(0, 5)), True),
    (6, TInt(I(0, 5)), False),
    (True, TInt(), False),
    (1.0, TInt(), False),
    (1, TFloat(I(0, 1)), True),
    (0.5, TFloat(I(0, 1)), True),
    (math.inf, TFloat(), False),
    (math.nan, TFloat(), False),
    (False, TBool(), True),
    (0, TBool(), False),
    ("red", TEnum(("red",)), True),
    ("Red", TEnum(("red",)), False),
    ("abc", az(), True),
    ("ab1", az(), False),
    ([1, 2], TList(TInt(), I(2, 2)), True),
    ((1, 2), TList(TInt(), I(2, 2)), False),
    ([2, 1], TSet(TInt(), I(0, 2)), True),
    ([1, 1], TSet(TInt(), I(0, 2)), False),
    ([1, 1.0], TSet(TFloat(), I(0, 2)), False),
    ({1, 2}, TSet(TInt(), I(0, 2)), False),  # sets are lists of distinct items
    ([[1, 2], [2, 1]], TSet(TSet(TInt())), False),  # inner sets compare unordered
    ([[1, 2], [2, 1]], TSet(TList(TInt())), True),
    ((1, "a"), TTuple((TInt(), TStr())), True),
    ([1, "a"], TTuple((TInt(), TStr())), False),
    ((1,), TTuple((TInt(), TStr())), False),
    ({"a": 1, "b": True}, rec(b=TBool(), a=TInt()), True),
    ({"a": 1}, rec(b=TBool(), a=TInt()), False),
    ({"a": 1, "b": True, "c": 0}, rec(b=TBool(), a=TInt()), False),
    (object(), TAny(), True),
])
def test_inhabits(v: Any, t: TType, expected: bool) -> None:
    """The membership relation the semantic properties rely on."""
    assert inhabits(v, t) is expected


def test_sample_value_caps_unreachable_set_lengths() -> None:
    """A set longer than its element type allows gets every element once."""
    t = TSet(TBool(), I(3, 5))
    v = sample_value(t, random.Random(1))
    assert sorted(v) == [False, True] and not inhabited(t) and not inhabits(v, t)


def test_sample_value_rejects_unbounded_and_empty() -> None:
    """Unbounded types cannot be sampled; nor can empty intervals."""
    with pytest.raises(ValueError):
        sample_value(TInt(), random.Random(0))
    with pytest.raises(ValueError):
        sample_value(TInt(I(5, 3)), random.Random(0))


def test_sample_value_is_deterministic_per_seed() -> None:
    """Same seed, same value."""
    t = rec(xs=TSet(TInt(I(0, 1000)), I(3, 9)), s=TStr(I(0, 8)), f=TFloat(I(-1, 1)))
    assert sample_value(t, random.Random(7)) == sample_value(t, random.Random(7))


def test_count_and_all_values_agree() -> None:
    """`count` matches enumeration on small types."""
    for t in [TSet(TEnum(("a", "b", "c")), I(1, 2)), TList(TBool(), I(0, 3)), TStr(I(0, 2), frozenset("xy")),
              rec(a=TInt(I(0, 2)), b=TTuple((TBool(), TEnum(("u",)))))]:
        assert count(t) == len(all_values(t))


# ================================================= interval arithmetic (hyp)

_BIG = 10**9


@st.composite
def interval_and_value(draw: st.DrawFn) -> tuple[Interval, int | float]:
    """A random interval (integer or float; sometimes open) and a value inside."""
    if draw(st.booleans()):
        pts = sorted(draw(st.lists(st.integers(-_BIG, _BIG), min_size=3, max_size=3)))
        x: int | float = pts[1]
    else:
        # |values| <= 1e6 keeps exact int corners (floor/ceil bounds times an int) below 2**53,
        # where a float product and an exact int product could round apart
        finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
        pts = sorted(draw(st.lists(finite, min_size=3, max_size=3)))
        x = pts[1]
        pts = [draw(st.sampled_from([p, math.floor(p)])) if i == 0 else p for i, p in enumerate(pts)]
        pts[2] = draw(st.sampled_from([pts[2], math.ceil(pts[2])]))
    lo = -INF if draw(st.integers(0, 5)) == 0 else pts[0]
    hi = INF if draw(st.integers(0, 5)) == 0 else pts[2]
    return Interval(lo, hi), x


@PROPS
@given(interval_and_value(), interval_and_value())
def test_interval_arithmetic_is_sound(a: tuple[Interval, float], b: tuple[Interval, float]) -> None:
    """x in A, y in B  =>  x+y in A+B, x-y in A-B, x*y in A*B, -x in -A."""
    (ia, x), (ib, y) = a, b
    assert ia.contains_value(x) and ib.contains_value(y)
    assert (ia + ib).contains_value(x + y), (ia, ib, x, y)
    assert (ia - ib).contains_value(x - y), (ia, ib, x, y)
    assert (ia * ib).contains_value(x * y), (ia, ib, x, y)
    assert (-ia).contains_value(-x)
    assert ia.hull(ib).contains_value(x) and ia.hull(ib).contains_value(y)
    if ib.contains_value(x):
        assert ia.intersect(ib).contains_value(x)


def test_interval_arithmetic_unbounded_cases() -> None:
    """Infinite bounds never produce NaN; zero times an open factor is zero."""
    assert I(-INF, 5) + I(3, INF) == I(-INF, INF)
    assert I(0, INF) * I(-INF, 0) == I(-INF, 0)
    assert I(0, 0) * UNBOUNDED == I(0, 0)
    assert I(1, 2) - I(1, INF) == I(-INF, 1)
    assert -I(3, INF) == I(-INF, -3)


# =============================================== random types (strategies)

LITERALS = ("a", "b", "ab", "ba", "red", "green", "", "x-y", "Zz", "é")
CLASSES = ("a-z", "abc", "a-c", "ab", "b", "0-9", "a-z0-9_", "xyz")
NAMES = ("a", "b", "c", "d")
_HALVES = [k / 2 for k in range(-8, 9)]


@st.composite
def int_intervals(draw: st.DrawFn, allow_empty: bool = True) -> Interval:
    """Small integer intervals, rarely empty."""
    lo = draw(st.integers(-4, 4))
    width = draw(st.integers(-1 if allow_empty else 0, 6))
    if width == -1 and draw(st.integers(0, 3)):  # keep empty intervals rare
        width = 0
    return Interval(lo, lo + width)


@st.composite
def float_intervals(draw: st.DrawFn) -> Interval:
    """Small float intervals, bounds on a half grid (some written as ints)."""
    a, b = sorted(draw(st.lists(st.sampled_from(_HALVES), min_size=2, max_size=2)))
    return Interval(int(a) if a.is_integer() and draw(st.booleans()) else a, b)


def lengths(max_hi: int = 4) -> st.SearchStrategy[Interval]:
    """Small length intervals starting at 0..3."""
    return st.integers(0, 3).flatmap(lambda lo: st.integers(lo, max(lo, max_hi)).map(lambda hi: Interval(lo, hi)))


@st.composite
def str_types(draw: st.DrawFn) -> TStr:
    """`Str[len=.., chars=..]` from a few classes (or any character)."""
    src = draw(st.none() | st.sampled_from(CLASSES))
    return TStr(draw(lengths(3)), None if src is None else parse_char_class(src), src)


def enum_types() -> st.SearchStrategy[TEnum]:
    """Enums over a small literal pool (non-empty, order kept)."""
    return st.lists(st.sampled_from(LITERALS), min_size=1, max_size=4, unique=True).map(lambda v: TEnum(tuple(v)))


def leaves(allow_empty: bool = True) -> st.SearchStrategy[TType]:
    """Bounded scalar types."""
    return st.one_of(
        int_intervals(allow_empty).map(TInt),
        float_intervals().map(TFloat),
        st.just(TBool()),
        str_types(),
        enum_types(),
    )


def records(sub: st.SearchStrategy[TType]) -> st.SearchStrategy[TType]:
    """Records with 1..3 distinct field names."""
    names = st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True)
    return names.flatmap(lambda ns: st.tuples(*(sub for _ in ns)).map(lambda ts: TRecord(tuple(zip(ns, ts, strict=True)))))


def bounded_types(depth: int = 3, allow_empty: bool = True) -> st.SearchStrategy[TType]:
    """Random bounded types, nesting depth <= `depth`."""
    leaf = leaves(allow_empty)
    if depth == 0:
        return leaf
    sub = bounded_types(depth - 1, allow_empty)
    hi = 3 if depth > 1 else 4
    return st.one_of(
        leaf,
        st.builds(TList, sub, lengths(hi)),
        st.builds(TSet, sub, lengths(hi)),
        st.lists(sub, min_size=1, max_size=3).map(lambda xs: TTuple(tuple(xs))),
        records(sub),
    )


TYPES = bounded_types()
INHABITED = bounded_types(allow_empty=False).filter(inhabited)
LOOSE_LEAVES = st.one_of(leaves(), st.sampled_from([TInt(), TFloat(), TStr(), TInt(I(0, INF)), TAny()]))


def loose_types(depth: int = 2) -> st.SearchStrategy[TType]:
    """Types that may be unbounded or contain `?` (for the laws of `<:` alone)."""
    if depth == 0:
        return LOOSE_LEAVES
    sub = loose_types(depth - 1)
    return st.one_of(
        LOOSE_LEAVES,
        st.builds(TList, sub, lengths() | st.just(NAT)),
        st.builds(TSet, sub, lengths() | st.just(NAT)),
        st.lists(sub, min_size=1, max_size=3).map(lambda xs: TTuple(tuple(xs))),
        records(sub),
    )


LOOSE = loose_types()


# ------------------------------------------------------------------ widening

_STEP_INT = st.sampled_from([0, 0, 1, 3, INF])
_STEP_FLOAT = st.sampled_from([0, 0, 0.5, 1, 3, INF])


def _wider(draw: st.DrawFn, r: Interval, step: st.SearchStrategy[float]) -> Interval:
    return Interval(r.lo - draw(step), r.hi + draw(step))


def _wider_len(draw: st.DrawFn, r: Interval) -> Interval:
    return Interval(max(0, r.lo - draw(_STEP_INT)), r.hi + draw(_STEP_INT))


def _wider_chars(draw: st.DrawFn, chars: frozenset[str] | None, src: str | None) -> tuple[frozenset[str] | None, str | None]:
    if chars is None:
        return None, None
    options: list[tuple[frozenset[str] | None, str | None]] = [(chars, src), (None, None)]
    options += [(c, s) for s in CLASSES if (c := parse_char_class(s)) is not None and chars <= c]
    extra = draw(st.sets(st.sampled_from("abxyz-0"), max_size=3))
    options.append((chars | extra, None))
    return draw(st.sampled_from(options))


@st.composite
def widen(draw: st.DrawFn, t: TType) -> TType:
    """A supertype of `t` by the §3 rules (every step may also stay put)."""
    if draw(st.integers(0, 24)) == 0:
        return TAny()
    match t:
        case TInt(r):
            wide = _wider(draw, r, _STEP_INT)
            return TFloat(wide) if draw(st.booleans()) else TInt(wide)
        case TFloat(r):
            return TFloat(_wider(draw, r, _STEP_FLOAT))
        case TStr(length, chars, src):
            return TStr(_wider_len(draw, length), *_wider_chars(draw, chars, src))
        case TEnum(values):
            if draw(st.booleans()):
                extra = draw(st.lists(st.sampled_from(LITERALS), max_size=3))
                return TEnum(tuple(draw(st.permutations(list(dict.fromkeys(values + tuple(extra)))))))
            sizes = [len(v) for v in values] or [0]
            used = frozenset("".join(values))
            length = _wider_len(draw, Interval(min(sizes), max(sizes)))
            return TStr(length, *_wider_chars(draw, used, None))
        case TList(elem, length):
            return TList(draw(widen(elem)), _wider_len(draw, length))
        case TSet(elem, length):
            return TSet(draw(widen(elem)), _wider_len(draw, length))
        case TTuple(items):
            return TTuple(tuple(draw(widen(i)) for i in items))
        case TRecord(fields):
            wide = [(n, draw(widen(ft))) for n, ft in fields]
            return TRecord(tuple(draw(st.permutations(wide))))
    return t  # TBool, TAny


@st.composite
def vary(draw: st.DrawFn, t: TType) -> TType:
    """A type of the same shape with fresh leaves (Int/Float and Str/Enum may swap)."""
    match t:
        case TInt() | TFloat():
            return draw(st.one_of(int_intervals().map(TInt), float_intervals().map(TFloat)))
        case TStr() | TEnum():
            return draw(st.one_of(str_types(), enum_types()))
        case TList(elem, _):
            return TList(draw(vary(elem)), draw(lengths()))
        case TSet(elem, _):
            return TSet(draw(vary(elem)), draw(lengths()))
        case TTuple(items):
            return TTuple(tuple(draw(vary(i)) for i in items))
        case TRecord(fields):
            return TRecord(tuple(draw(st.permutations([(n, draw(vary(ft))) for n, ft in fields]))))
    return t


def _values(t: TType, seed: int, n: int = 4) -> list[Any]:
    rng = random.Random(seed)
    return [sample_value(t, rng) for _ in range(n)]


# ======================================================== laws of `<:` (hyp)


@PROPS
@given(LOOSE)
def test_assignability_is_reflexive(t: TType) -> None:
    """t <: t, bounded or not."""
    assert mismatch(t, t) is None


@PROPS
@given(TYPES)
def test_assignability_is_reflexive_on_bounded_types(t: TType) -> None:
    """t <: t for the deeper bounded types too."""
    assert assignable(t, t)


@PROPS
@given(st.data())
def test_widening_chain_is_transitive(data: st.DataObject) -> None:
    """S <: widen(S) = T <: widen(T) = U, and S <: U."""
    s = data.draw(TYPES, "S")
    t = data.draw(widen(s), "T")
    u = data.draw(widen(t), "U")
    assert mismatch(s, t) is None
    assert mismatch(t, u) is None
    assert mismatch(s, u) is None


def _without_any(t: TType) -> bool:
    match t:
        case TAny():
            return False
        case TList(e, _) | TSet(e, _):
            return _without_any(e)
        case TTuple(items):
            return all(_without_any(i) for i in items)
        case TRecord(fields):
            return all(_without_any(ft) for _, ft in fields)
    return True


@PROPS
@given(st.data())
def test_transitivity_on_arbitrary_triples(data: st.DataObject) -> None:
    """S <: T and T <: U imply S <: U (T free of `?`, which fits everything both ways)."""
    s = data.draw(LOOSE, "S")
    t = data.draw(LOOSE.filter(_without_any) | vary(s) | widen(s), "T")
    u = data.draw(LOOSE | vary(t) | widen(t), "U")
    if _without_any(t) and assignable(s, t) and assignable(t, u):
        assert assignable(s, u), (show(s), show(t), show(u))


def _pool() -> list[TType]:
    """Small types over few ingredients, so that `<:` relates many pairs."""
    ints = [TInt(I(0, 1)), TInt(I(0, 2)), TInt(I(1, 2)), TInt(I(2, 1)), TInt()]
    floats = [TFloat(I(0, 1)), TFloat(I(0.5, 2)), TFloat(), TFloat(I(1.0, 1.0)), TFloat(I(0.5, 0.5))]
    strs = [TStr(I(0, 2)), TStr(I(0, 1)), TStr(I(1, 1), parse_char_class("ab"), "ab"), TStr(I(0, 3), parse_char_class("a-c"), "a-c"),
            TStr(I(1, 2), parse_char_class("a"), "a"), TStr()]
    enums = [TEnum(("a",)), TEnum(("b", "a")), TEnum(("a", "ab", "b")), TEnum(("",))]
    leaves_ = [*ints, *floats, TBool(), *strs, *enums]
    inner = [TInt(I(0, 1)), TFloat(I(0, 1)), TEnum(("a",)), TStr(I(1, 1), parse_char_class("ab"), "ab"), TBool()]
    lens = [I(0, 2), I(1, 1), I(0, 3)]
    conts = [k(e, n) for k in (TList, TSet) for e in inner for n in lens]
    tuples = [TTuple(p) for p in itertools.product(inner[:3], repeat=2)] + [TTuple((TInt(I(0, 1)),))]
    recs = [rec(a=x, b=y) for x, y in itertools.product(inner[:3], repeat=2)]
    recs += [rec(b=TFloat(), a=TFloat()), rec(a=TInt(I(0, 1)))]
    return leaves_ + conts + tuples + recs


POOL = _pool()
REL = [[assignable(s, t) for t in POOL] for s in POOL]


def test_transitivity_exhaustive_on_pool() -> None:
    """Every triple of the pool: S <: T <: U  =>  S <: U."""
    n = len(POOL)
    assert sum(map(sum, REL)) > 2 * n  # the pool relates plenty of pairs
    for i, j, k in itertools.product(range(n), repeat=3):
        if REL[i][j] and REL[j][k]:
            assert REL[i][k], (show(POOL[i]), show(POOL[j]), show(POOL[k]))


def test_soundness_exhaustive_on_pool() -> None:
    """S <: T  =>  every value of S (enumerated) inhabits T."""
    for s, row in zip(POOL, REL, strict=True):
        if not is_bounded(s) or count(s) > 256:
            continue
        values = all_values(s)
        for t, ok in zip(POOL, row, strict=True):
            if ok:
                bad = [v for v in values if not inhabits(v, t)]
                assert not bad, (show(s), show(t), bad[:3])


def test_int_and_enum_assignability_is_exact() -> None:
    """For non-empty Int ranges and Enums, `<:` is exactly inclusion of the value sets."""
    scalars = [TInt(I(a, b)) for a in range(-2, 3) for b in range(a, 3)]
    scalars += [TFloat(I(a, b)) for a in range(-2, 3) for b in range(a, 3)]
    for s, t in itertools.product(scalars, repeat=2):
        if isinstance(s, TInt):
            assert assignable(s, t) == all(inhabits(v, t) for v in all_values(s)), (show(s), show(t))
    enums = [TEnum(tuple(c)) for k in (1, 2, 3) for c in itertools.permutations(("a", "b", "c"), k)]
    for s, t in itertools.product(enums, repeat=2):
        assert assignable(s, t) == all(inhabits(v, t) for v in all_values(s))


# ============================================================ semantics (hyp)


@PROPS
@given(INHABITED, st.integers(0, 2**32))
def test_samples_inhabit_their_type(t: TType, seed: int) -> None:
    """inhabits(sample_value(S), S) always."""
    for v in _values(t, seed):
        assert inhabits(v, t), (show(t), v)


@PROPS
@given(st.data(), st.integers(0, 2**32))
def test_samples_inhabit_every_supertype(data: st.DataObject, seed: int) -> None:
    """S <: T  =>  every sampled value of S inhabits T."""
    s = data.draw(INHABITED, "S")
    t = data.draw(widen(s) | vary(s), "T")
    if assignable(s, t):
        for v in _values(s, seed):
            assert inhabits(v, t), (show(s), show(t), v)


@PROPS
@given(st.data())
def test_overlaps_whenever_assignable_and_inhabited(data: st.DataObject) -> None:
    """S <: T with S inhabited  =>  overlaps(S, T)."""
    s = data.draw(INHABITED, "S")
    t = data.draw(widen(s) | vary(s) | st.just(s), "T")
    if assignable(s, t):
        assert overlaps(s, t), (show(s), show(t))


@PROPS
@given(st.data(), st.integers(0, 2**32))
def test_overlaps_false_means_disjoint(data: st.DataObject, seed: int) -> None:
    """not overlaps(S, T)  =>  no sampled value of S inhabits T."""
    s = data.draw(INHABITED, "S")
    t = data.draw(vary(s), "T")
    if not overlaps(s, t):
        for v in _values(s, seed):
            assert not inhabits(v, t), (show(s), show(t), v)


@PROPS
@given(st.data())
def test_join_is_an_upper_bound(data: st.DataObject) -> None:
    """join(a, b) is a supertype of both, unless it gives up with `?`."""
    a = data.draw(TYPES, "a")
    b = data.draw(vary(a) | widen(a) | TYPES, "b")
    j = join(a, b)
    if not isinstance(j, TAny):
        assert mismatch(a, j) is None, (show(a), show(b), show(j))
        assert mismatch(b, j) is None, (show(a), show(b), show(j))


@PROPS
@given(st.data())
def test_join_of_same_shape_is_named(data: st.DataObject) -> None:
    """Types of the same shape always have a nameable join (never a top-level `?`)."""
    a = data.draw(TYPES, "a")
    b = data.draw(vary(a), "b")
    assert not isinstance(join(a, b), TAny), (show(a), show(b))


def test_join_is_least_on_pool() -> None:
    """Every common upper bound c of a and b in the pool is above join(a, b)."""
    n = len(POOL)
    for i, k in itertools.product(range(n), repeat=2):
        j = join(POOL[i], POOL[k])
        for c in range(n):
            if REL[i][c] and REL[k][c]:
                assert assignable(j, POOL[c]), (show(POOL[i]), show(POOL[k]), show(j), show(POOL[c]))


def test_join_keeps_character_classes() -> None:
    """A string join keeps the union of the character classes (an Enum's are its literals')."""
    ab, ac = TStr(I(1, 1), parse_char_class("ab"), "ab"), TStr(I(0, 3), parse_char_class("a-c"), "a-c")
    assert join(ab, ab) == ab
    assert join(TEnum(("ab",)), ac) == ac


_REPR = re.compile(r"\bT(Int|Float|Bool|Str|Enum|List|Set|Tuple|Record|Any)\(|Interval\(|frozenset|\binf\b")


@PROPS
@given(LOOSE, LOOSE)
def test_mismatch_notes_use_language_notation(s: TType, t: TType) -> None:
    """Mismatch notes never leak Python reprs."""
    note = mismatch(s, t)
    assert note is None or not _REPR.search(note), note


# ====================================================== show round trip (hyp)


def _num(e: A.Expr) -> float:
    match e:
        case A.IntLit(v) | A.FloatLit(v):
            return v
        case A.UnaryOp("-", x):
            return -_num(x)
    raise AssertionError(f"not a literal bound: {e!r}")


def _from_ast(e: Any) -> TType:
    """The semantic type of a parsed type expression with literal bounds."""
    def bounds(lo: A.Expr | None, hi: A.Expr | None) -> Interval:
        return Interval(-INF if lo is None else _num(lo), INF if hi is None else _num(hi))

    def length(spec: A.LenSpec | None) -> Interval:
        return NAT if spec is None else bounds(spec.lo, spec.hi)

    match e:
        case A.IntType(lo, hi):
            return TInt(bounds(lo, hi))
        case A.FloatType(lo, hi):
            return TFloat(bounds(lo, hi))
        case A.BoolType():
            return TBool()
        case A.StrType(spec, chars):
            return TStr(length(spec), None if chars is None else parse_char_class(chars), chars)
        case A.EnumType(values):
            return TEnum(values)
        case A.ListType(elem, spec):
            return TList(_from_ast(elem), length(spec))
        case A.SetType(elem, spec):
            return TSet(_from_ast(elem), length(spec))
        case A.TupleType(items):
            return TTuple(tuple(_from_ast(i) for i in items))
        case A.RecordType(fields):
            return TRecord(tuple((f.name, _from_ast(f.type)) for f in fields))
    raise AssertionError(f"unexpected type syntax: {e!r}")


def _reparse(t: TType) -> TType:
    mod, diags = parse_text(f"type T = {show(t)}\n")
    assert mod is not None and not diags, (show(t), diags)
    decl = mod.decls[0]
    assert isinstance(decl, A.TypeDecl)
    return _from_ast(decl.type)


def _same(a: TType, b: TType) -> bool:
    """Equal up to how a character class is written."""
    return assignable(a, b) and assignable(b, a) and show(a) == show(b)


@PROPS
@given(bounded_types(depth=2))
def test_show_round_trips_through_the_parser(t: TType) -> None:
    """`show` output parses back (as `type T = ...`) to the same type."""
    assert _same(_reparse(t), t), show(t)


@pytest.mark.parametrize("t", [
    TEnum(('say "hi"', "back\\slash", "tab\there")),
    TStr(NAT, frozenset('a"\\')),
    TStr(NAT, frozenset("+-/")),
    TStr(NAT, frozenset("a-z")),
    TStr(NAT, parse_char_class('a-z"'), 'a-z"'),
], ids=["enum-escapes", "chars-escapes", "chars-dash-between", "chars-dash-literal", "chars-src-quote"])
def test_show_quotes_literals_so_they_parse_back(t: TType) -> None:
    """Quotes, backslashes and a literal `-` survive `show` and re-parsing."""
    assert _same(_reparse(t), t), show(t)
