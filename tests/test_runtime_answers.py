"""Answers (language.md §6): extraction per format, lenient-but-strict parsing,
format instructions, and the round trip `render_answer -> extract -> parse`.

The hypothesis strategies for types and values at the top are reused by
tests/test_runtime_verifiers.py."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from racesdsl.runtime.answers import format_instruction, parser_for, render_answer
from racesdsl.runtime.checks import canonical, sort_key_for
from racesdsl.runtime.extract import FORMATS, MAX_ANSWER, MAX_COMPLETION, extract
from racesdsl.runtime.types import (
    INF,
    NAT,
    Interval,
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
)

# ------------------------------------------------------------- strategies

TRICKY = ["<answer>", "</answer>", "</ANSWER >", "\\boxed{", "{", "}", "[", "]", '"', "'", "\\", ",", ":",
          "true", "1e5", " ", "\n", "\x00", "é", "\u2028", "\x85", "\\text{", "."]

_texts = st.one_of(
    st.text(max_size=12),
    st.lists(st.sampled_from(TRICKY + ["a", "b", "1"]), max_size=6).map("".join),
)


def _length(max_lo: int = 3) -> st.SearchStrategy[Interval]:
    return st.one_of(st.just(NAT), st.builds(lambda lo, w: Interval(lo, lo + w),
                                             st.integers(0, max_lo), st.integers(0, 4)))


def _int_type() -> st.SearchStrategy[TType]:
    return st.one_of(
        st.just(TInt()),
        st.builds(lambda lo, w: TInt(Interval(lo, lo + w)), st.integers(-10**6, 10**6), st.integers(0, 10**6)),
        st.builds(lambda lo: TInt(Interval(lo, INF)), st.integers(-5, 5)),
    )


def _float_type() -> st.SearchStrategy[TType]:
    bound = st.floats(-1e9, 1e9, allow_nan=False)
    return st.one_of(st.just(TFloat()), st.builds(lambda a, b: TFloat(Interval(min(a, b), max(a, b))), bound, bound))


_scalar_types = st.one_of(
    _int_type(), _float_type(), st.just(TBool()),
    st.just(TStr()),
    st.builds(lambda n: TStr(Interval(0, n)), st.integers(0, 6)),
    st.builds(lambda cs: TStr(chars=frozenset(cs)), st.sets(st.sampled_from('ab <{}"\'\\,\n'), min_size=1)),
    st.lists(_texts, min_size=1, max_size=4, unique=True).map(lambda vs: TEnum(tuple(vs))),
)

_names = st.text("abcxyz_", min_size=1, max_size=3)

types: st.SearchStrategy[TType] = st.recursive(_scalar_types, lambda inner: st.one_of(
    st.builds(TList, inner, _length()),
    st.builds(TSet, inner, _length(max_lo=1)),
    st.lists(inner, min_size=1, max_size=3).map(lambda xs: TTuple(tuple(xs))),
    st.lists(st.tuples(_names, inner), min_size=1, max_size=3, unique_by=lambda p: p[0]).map(
        lambda fs: TRecord(tuple(fs))),
), max_leaves=6)


def _bound(x: float) -> float | None:
    return None if math.isinf(x) else x


def values_of(t: TType) -> st.SearchStrategy[Any]:
    """Canonical values of a type (sets sorted, floats as float), small but adversarial."""
    match t:
        case TInt(r):
            lo, hi = _bound(r.lo), _bound(r.hi)
            big = st.integers(10**100, 10**300) if hi is None and (lo is None or lo < 10**100) else st.nothing()
            return st.one_of(st.integers(lo, hi), big)
        case TFloat(r):
            return st.floats(_bound(r.lo), _bound(r.hi), allow_nan=False, allow_infinity=False)
        case TBool():
            return st.booleans()
        case TStr(length, chars):
            hi = int(min(length.hi, 8))
            if chars is not None:
                return st.text(alphabet=sorted(chars), min_size=int(length.lo), max_size=hi)
            return st.one_of(st.text(max_size=hi), _texts.filter(lambda s: len(s) <= hi))
        case TEnum(values):
            return st.sampled_from(values)
        case TList(e, length):
            return st.lists(values_of(e), min_size=int(length.lo), max_size=int(min(length.hi, 4)))
        case TSet(e, length):
            key = sort_key_for(e)
            return st.lists(values_of(e), min_size=int(length.lo), max_size=int(min(length.hi, 4)),
                            unique_by=key).map(lambda xs: sorted(xs, key=key))
        case TTuple(items):
            return st.tuples(*map(values_of, items))
        case TRecord(fields):
            return st.fixed_dictionaries({n: values_of(ft) for n, ft in fields})
    raise AssertionError(t)


typed_values = types.flatmap(lambda t: st.tuples(st.just(t), values_of(t)))

# ------------------------------------------------------------- extraction


@pytest.mark.parametrize("completion, expected", [
    ("Thinking... <answer>42</answer>", "42"),
    ("<answer>1</answer> then <answer>2</answer>", "2"),
    ("<ANSWER>7</Answer>", "7"),
    ("< answer >7</ answer >", "7"),
    ("<answer>\n 7 \n</answer>", "\n 7 \n"),
    ("<answer>a < b</answer>", "a < b"),
    ("<answer>1</answer> and later <answer>2", "1"),  # an unclosed block does not count
    ("<answer>1 <answer>2</answer>", "2"),
    ("no tags at all", None),
    ("<answer>unclosed", None),
    ("</answer><answer>", None),
])
def test_tags_take_the_last_complete_block(completion: str, expected: str | None) -> None:
    assert extract(completion, "tags") == expected


@pytest.mark.parametrize("completion, expected", [
    ("so \\boxed{42}.", "42"),
    ("\\boxed{1} or \\boxed{2}", "2"),
    ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
    ("\\boxed{\\text{red}}", "red"),
    ('\\boxed{{"a": [1, 2]}}', '{"a": [1, 2]}'),
    ("\\boxed{1} and then \\boxed{2", "1"),  # the last box is unbalanced: the one before
    ("\\boxed{1 \\boxed{2}", "2"),
    ("\\boxed{", None),
    ("boxed{3}", None),
])
def test_boxed_takes_the_last_balanced_box(completion: str, expected: str | None) -> None:
    assert extract(completion, "boxed") == expected


@pytest.mark.parametrize("completion, expected", [
    ("The answer is [1, 2, 3]", "[1, 2, 3]"),
    ('```json\n{"a": [1, "]"], "b": "x\\"}"}\n```', '{"a": [1, "]"], "b": "x\\"}"}'),
    ("So it is 42.", "42"),
    ("It is -1.5e-3", "-1.5e-3"),
    ('Answer: "red".', '"red"'),
    ("clearly true", "true"),
    ("[1] ]", "[1]"),
    ("[1, 2] :)", "[1, 2]"),
    ('["a\\\\"]', '["a\\\\"]'),
    ("nothing here", None),
    ("trueish", None),
])
def test_json_takes_the_last_complete_value(completion: str, expected: str | None) -> None:
    assert extract(completion, "json") == expected


def test_extraction_reads_only_the_tail_and_refuses_long_answers() -> None:
    early = "<answer>1</answer>" + "x" * MAX_COMPLETION
    assert extract(early, "tags") is None
    assert extract("<answer>" + "1" * (MAX_ANSWER + 1) + "</answer>", "tags") is None
    assert extract("<answer>" + "1" * MAX_ANSWER + "</answer>", "tags") == "1" * MAX_ANSWER


def test_unknown_format_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="unknown answer format"):
        extract("x", "xml")


# ---------------------------------------------------------------- parsing

SMALL = TInt(Interval(1, 10))
INTS = TList(TInt(Interval(-99, 99)), Interval(2, 12))
COLORS = TEnum(("red", "green"))
REC = TRecord((("a", TInt()), ("b", TList(TStr()))))
PAIR = TTuple((TInt(), TStr(), TBool()))


@pytest.mark.parametrize("t, text, value", [
    (SMALL, " 7 ", 7), (SMALL, "7.", 7), (SMALL, "+5", 5), (SMALL, "5.0", 5), (SMALL, "5.", 5),
    (TInt(), "1,000", 1000), (TInt(), "1_000", 1000), (TInt(), "\u22125", -5), (TInt(), "-0", 0),
    (TFloat(), "1e-3", 0.001), (TFloat(), ".5", 0.5), (TFloat(), "3", 3.0), (TFloat(), "1/4", 0.25),
    (TFloat(), "1,234.5", 1234.5),
    (TBool(), "true", True), (TBool(), "False", False), (TBool(), "YES", True), (TBool(), "no.", False),
    (TStr(), "  hello world  ", "hello world"), (TStr(), '"quoted"', "quoted"), (TStr(), "'single'", "single"),
    (TStr(), '"a\\nb"', "a\nb"), (TStr(), "it's", "it's"), (TStr(), "end.", "end."), (TStr(), "", ""),
    (COLORS, "red", "red"), (COLORS, '"green"', "green"), (COLORS, "Red.", "red"), (COLORS, "GREEN", "green"),
    (TEnum(("ab", "AB", "x")), "X", "x"), (TEnum(("ab", "AB")), "AB", "AB"),
    (INTS, "[1, 2, 3]", [1, 2, 3]), (INTS, "1,2,3", [1, 2, 3]), (INTS, "1 2 3", [1, 2, 3]),
    (INTS, "(1, 2)", [1, 2]), (INTS, "[1, 2, 3].", [1, 2, 3]), (INTS, "[1, 2,]", [1, 2]), (INTS, "[1, 2.0]", [1, 2]),
    (TList(TStr()), "[red, dark green]", ["red", "dark green"]), (TList(TStr()), "New York, Paris",
                                                                 ["New York", "Paris"]),
    (TList(TStr()), "['a', \"b\"]", ["a", "b"]), (TList(COLORS), "[Red, green]", ["red", "green"]),
    (TSet(TInt()), "[3, 1, 2]", [1, 2, 3]), (TSet(TInt()), "{3, 1}", [1, 3]), (TSet(TInt()), "{}", []),
    (PAIR, '[1, "a", true]', (1, "a", True)), (PAIR, "(1, a b, yes)", (1, "a b", True)),
    (REC, '{"a": 1, "b": ["x"]}', {"a": 1, "b": ["x"]}), (REC, "{'a': 1, 'b': []}", {"a": 1, "b": []}),
    (REC, "{a: 1, b: [x, y]}", {"a": 1, "b": ["x", "y"]}), (REC, '{"b": [], "a": 2}', {"a": 2, "b": []}),
    (TList(TList(TInt())), "[[1, 2], [3]]", [[1, 2], [3]]), (TList(TList(TInt())), "[1 2] [3]", [[1, 2], [3]]),
])
def test_lenient_where_the_meaning_is_clear(t: TType, text: str, value: Any) -> None:
    got, why = parser_for(t)(text)
    assert why is None
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("t, text, reason", [
    (SMALL, "11", "11 is not in Int[1..10]"),
    (SMALL, "0", "0 is not in Int[1..10]"),
    (SMALL, "5.5", "5.5 is not an integer"),
    (SMALL, "1e3", "1e3 is not an integer"),
    (SMALL, '"5"', "expected an integer"),
    (SMALL, "five", "expected an integer, got five"),
    (SMALL, "", "expected an integer"),
    (TInt(), "1" + "0" * 5000, "number too large"),
    (TFloat(), "nan", "not a finite number"),
    (TFloat(), "inf", "not a finite number"),
    (TFloat(), "1e999", "number too large"),
    (TFloat(), "1/0", "divides by zero"),
    (TFloat(Interval(0, 1)), "1.5", "1.5 is not in Float[0..1]"),
    (TBool(), "maybe", "expected true or false"),
    (TBool(), "1", "expected true or false"),
    (COLORS, "blue", 'is not one of "red", "green"'),
    (TEnum(("ab", "AB", "Ab")), "aB", "is not one of"),  # a case-insensitive match must be unique
    (TStr(Interval(0, 3)), "abcd", "has length 4"),
    (TStr(chars=frozenset("ab")), "abc", "character"),
    (INTS, "[1]", "length 1 is not in len=2..12"),
    (INTS, "[1, 100]", "element 1: 100 is not in Int[-99..99]"),
    (INTS, "[1, true]", "element 1: expected an integer, got true"),
    (INTS, '{"a": 1}', "expected a list, got an object"),
    (INTS, "[1, 2", "`]` is missing"),
    (INTS, "[1,, 2]", "an element is empty"),
    (INTS, "[1, 2)", "unbalanced"),
    (INTS, '[1, "2]', "not closed"),
    (TSet(TInt()), "[1, 2, 1]", "element 2 repeats element 0"),
    (PAIR, "[1, 2]", "expected 3 items, got 2"),
    (REC, '{"a": 1}', "missing field `b`"),
    (REC, '{"a": 1, "b": [], "c": 0}', "unexpected field `c`"),
    (REC, '{"a": "1", "b": []}', "field `a`: expected an integer"),
    (TList(TStr()), "[1, 2]", "expected a string"),
    (TList(TList(TInt())), "[[[1]]]", "expected an integer"),
    (TList(TInt()), "[" * 300 + "]" * 300, "nested too deeply"),
])
def test_strict_where_it_is_not(t: TType, text: str, reason: str) -> None:
    got, why = parser_for(t)(text)
    assert got is None
    assert why is not None and reason in why


@pytest.mark.parametrize("text", [
    "[" * 100_000, "[" * 10_000 + "]" * 10_000, "{" * 16_000, "(" * 16_000, "1" * 16_000, "1" + "0" * 100_000,
    '"' * 16_000, "\\" * 16_000, "\x00" * 1000, "[1, " * 4000, "a " * 8000, "'" * 16_000, ": " * 8000,
    "1e" + "9" * 5000, "0." + "0" * 10_000 + "1", "\u2212" * 5000, "[\"\\" * 5000,
], ids=lambda s: f"{s[:6]!r}x{len(s)}")
@pytest.mark.parametrize("t", [TInt(), TFloat(), TBool(), TStr(), COLORS, INTS, TList(TList(TStr())), REC, PAIR,
                               TSet(TFloat())])
def test_parsers_are_total_on_hostile_text(t: TType, text: str) -> None:
    got, why = parser_for(t)(text)
    assert (why is None) != (got is None)


@given(types, st.text())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_parsers_never_raise(t: TType, text: str) -> None:
    value, why = parser_for(t)(text)
    assert why is None or (value is None and isinstance(why, str) and why)


# ------------------------------------------------------- instructions, rendering


@pytest.mark.parametrize("t, fmt, sentence", [
    (INTS, "tags", "Give your final answer as a JSON list of integers inside <answer></answer>."),
    (SMALL, "tags", "Give your final answer as an integer inside <answer></answer>."),
    (TBool(), "tags", "Give your final answer as true or false inside <answer></answer>."),
    (TStr(), "tags", "Give your final answer as text inside <answer></answer>."),
    (COLORS, "tags", "Give your final answer as one of red, green inside <answer></answer>."),
    (SMALL, "boxed", "Give your final answer as an integer inside \\boxed{}."),
    (INTS, "json", "Give your final answer at the end of your reply as a JSON value: a list of integers."),
    (TList(TList(TFloat())), "tags", "Give your final answer as a JSON list of lists of numbers inside "
                                     "<answer></answer>."),
    (TSet(TInt()), "tags", "Give your final answer as a JSON list of distinct integers inside <answer></answer>."),
    (TTuple((TInt(), TInt())), "tags", "Give your final answer as a JSON list of 2 integers inside <answer></answer>."),
    (PAIR, "tags", "Give your final answer as a JSON list of 3 items (an integer, a string, true or false) "
                   "inside <answer></answer>."),
    (REC, "tags", 'Give your final answer as a JSON object with keys "a" (an integer) and "b" (a list of '
                  'strings) inside <answer></answer>.'),
    (REC, "json", 'Give your final answer at the end of your reply as a JSON value: an object with keys "a" '
                  '(an integer) and "b" (a list of strings).'),
    (TEnum(("New York", "a,b")), "tags", 'Give your final answer as one of "New York", "a,b" inside '
                                         '<answer></answer>.'),
])
def test_format_instruction_reads_naturally(t: TType, fmt: str, sentence: str) -> None:
    assert format_instruction(t, fmt) == sentence


@pytest.mark.parametrize("value, t, fmt, text", [
    ([1, 2, 3], INTS, "tags", "<answer>[1, 2, 3]</answer>"),
    (42, SMALL, "boxed", "\\boxed{42}"),
    (True, TBool(), "json", "true"),
    ("hello world", TStr(), "tags", "<answer>hello world</answer>"),
    (" padded", TStr(), "tags", '<answer>" padded"</answer>'),
    ("a<b", TStr(), "tags", '<answer>"a\\u003cb"</answer>'),
    ("{", TStr(), "boxed", '\\boxed{"\\u007b"}'),
    ((1, "x"), TTuple((TInt(), TStr())), "tags", '<answer>[1, "x"]</answer>'),
    ({"a": 1, "b": []}, REC, "boxed", '\\boxed{{"a": 1, "b": []}}'),
    (0.1, TFloat(), "tags", "<answer>0.1</answer>"),
])
def test_render_answer_follows_the_instruction(value: Any, t: TType, fmt: str, text: str) -> None:
    assert render_answer(value, t, fmt) == text


@given(typed_values, st.sampled_from(FORMATS))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_render_extract_parse_round_trips(tv: tuple[TType, Any], fmt: str) -> None:
    t, value = tv
    text = extract(render_answer(value, t, fmt), fmt)
    assert text is not None
    got = parser_for(t)(text)
    assert got == (canonical(value, t), None)
    assert repr(got[0]) == repr(canonical(value, t))  # same types too (tuples, floats)


@given(typed_values, st.sampled_from(FORMATS), _texts, _texts)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_round_trip_survives_surrounding_prose(tv: tuple[TType, Any], fmt: str, before: str, after: str) -> None:
    """Prose before the answer never matters; after it, only prose without answer-like text."""
    t, value = tv
    rendered = render_answer(value, t, fmt)
    assert parser_for(t)(extract(before + "\n" + rendered, fmt) or "") == (canonical(value, t), None)
    if fmt == "tags" and "<" not in after:
        assert parser_for(t)(extract(rendered + after, fmt) or "") == (canonical(value, t), None)


def test_a_large_enum_is_listed_by_its_first_literals() -> None:
    """Issue 12, finding 26: thousands of literals must not go into every prompt;
    a small Enum keeps its full listing (the stdlib's prompts are unchanged)."""
    from racesdsl.runtime.answers import format_instruction
    from racesdsl.runtime.types import TEnum

    words = tuple(f"word{i}" for i in range(2738))
    line = format_instruction(TEnum(words), "tags")
    assert len(line) < 300
    assert line.startswith("Give your final answer as one of word0, word1, ")
    assert "… (2,738 in all)" in line and "word2737" not in line
    assert format_instruction(TEnum(("red", "green", "blue")), "tags") == \
        "Give your final answer as one of red, green, blue inside <answer></answer>."
    assert len(format_instruction(TEnum(tuple("x" * 5000 + str(i) for i in range(3))), "json")) < 400
