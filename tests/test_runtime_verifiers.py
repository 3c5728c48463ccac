"""Verifiers (language.md §4, §6): Score, the comparers, and `make_verifier` as a
total function `completion -> Score` on correct, wrong, malformed and hostile text.

The hostile inputs are built so that a quadratic scan would take minutes: a
regression shows up as a hung test, not as a timing assertion."""

from __future__ import annotations

import json
import math
import pickle
import random
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_runtime_answers import TRICKY, typed_values, types

from racesdsl.runtime.answers import render_answer
from racesdsl.runtime.checks import canonical
from racesdsl.runtime.extract import FORMATS
from racesdsl.runtime.score import Score, brief, mismatch
from racesdsl.runtime.types import (
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
    is_bounded,
)
from racesdsl.runtime.values import SamplingError, sampler_for
from racesdsl.runtime.verifiers import exact, make_verifier, tolerance, unordered

SMALL = TInt(Interval(1, 10000))
INTS = TList(TInt(Interval(-99, 99)), Interval(2, 12))
FLOATS = TList(TFloat(), Interval(0, 10))
REC = TRecord((("n", TInt()), ("xs", TList(TFloat())), ("tag", TEnum(("a", "b")))))


def in_unit(s: Score) -> bool:
    s.reason.encode("utf-8")  # a reason always encodes (no lone surrogates): JSONL, terminals
    return isinstance(s, Score) and 0.0 <= s.value <= 1.0 and isinstance(s.reason, str)


# ------------------------------------------------------------------ Score


def test_score_validates_and_clamps_rounding_noise() -> None:
    assert Score(1.0000000000000002, "x").value == 1.0
    assert Score(-1e-12, "x").value == 0.0
    assert Score(True, "x").value == 1.0
    for bad in (1.5, -0.1, math.nan, math.inf):
        with pytest.raises(ValueError):
            Score(bad, "x")
    with pytest.raises(TypeError):
        Score("1", "x")  # type: ignore[arg-type]


def test_score_ok_fail_and_json() -> None:
    assert Score.ok() is Score.ok() and Score.ok().correct
    assert Score.ok("fine") == Score(1.0, "fine")
    assert Score.fail("no") == Score(0.0, "no")
    s = Score(0.5, "half", [Score.ok(), Score.fail("b")])  # type: ignore[arg-type]
    assert s.parts == (Score.ok(), Score.fail("b"))
    d = s.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d == {"value": 0.5, "reason": "half", "parts": [{"value": 1.0, "reason": "correct", "parts": []},
                                                           {"value": 0.0, "reason": "b", "parts": []}]}
    assert Score.from_dict(d) == s


values = st.recursive(st.integers() | st.text(max_size=5) | st.floats(allow_nan=False),
                      lambda inner: st.lists(inner, max_size=4), max_leaves=12)


@given(values, values, st.sampled_from(["", " (in any order)", " (within 0.01)"]))
def test_a_mismatch_reads_like_an_eager_score(reference: Any, answer: Any, note: str) -> None:
    """The lazily written reason is the eager one, and the two scores are one value."""
    eager = Score(0.0, f"expected {brief(reference)}{note}, got {brief(answer)}")
    lazy = mismatch(reference, answer, note)
    assert hash(lazy) == hash(eager) and lazy == eager and lazy.reason == eager.reason
    assert pickle.loads(pickle.dumps(mismatch(reference, answer, note))) == eager
    assert lazy.to_dict() == eager.to_dict() and repr(lazy) == repr(eager)


def test_a_reason_is_plain_text() -> None:
    class Text(str):
        pass

    assert type(Score(0.0, Text("hello")).reason) is str and Score(0.0, Text("hello")).reason == "hello"
    assert Score(0.0, "x", []).parts == ()  # type: ignore[arg-type]
    for bad in (None, 3, ("expected", 1, "")):
        with pytest.raises(TypeError, match="reason must be text"):
            Score(0.0, bad)  # type: ignore[arg-type]


def test_scores_are_immutable() -> None:
    s = mismatch(1, 2)
    for name in ("value", "reason", "parts", "_reason"):
        with pytest.raises(AttributeError, match="immutable"):
            setattr(s, name, 1.0)
        with pytest.raises(AttributeError, match="immutable"):
            delattr(s, name)
    assert s.value == 0.0 and s.reason == "expected 1, got 2" and s != "expected 1, got 2"
    match s:
        case Score(value, reason, parts):
            assert (value, reason, parts) == (0.0, "expected 1, got 2", ())


def test_brief_is_short_on_huge_values() -> None:
    assert brief([1, (2, "a")]) == '[1, [2, "a"]]'
    assert brief({"a": True, "b": None}) == '{"a": true, "b": null}'
    assert len(brief(list(range(10**6)))) <= 200
    assert "bits" in brief(10**5000)
    nested: list[Any] = []
    for _ in range(10_000):
        nested = [nested]
    assert len(brief(nested)) <= 200


# --------------------------------------------------------------- comparers


def test_exact_compares_as_values_of_the_type() -> None:
    assert exact(3, 3, SMALL).correct
    assert exact(3.0, 3, TFloat()).correct
    assert exact([1, 2], [2, 1], TSet(TInt())).correct
    assert exact((1, "a"), [1, "a"], TTuple((TInt(), TStr()))).correct
    assert exact({"a": [[1, 2]]}, {"a": [[2, 1]]}, TRecord((("a", TList(TSet(TInt()))),))).correct
    s = exact(4, 3, SMALL)
    assert s.value == 0.0 and s.reason == "expected 3, got 4"
    assert not exact([1, 2], [2, 1], INTS).correct
    assert not exact(0.1 + 0.2, 0.3, TFloat()).correct


def test_tolerance_is_absolute_below_one_and_relative_above() -> None:
    close = tolerance(1e-3)
    assert close(0.3000001, 0.3, TFloat()).correct
    assert close(0.0005, 0.0, TFloat()).correct
    assert not close(0.002, 0.0, TFloat()).correct
    assert close(1000.9, 1000.0, TFloat()).correct  # 0.9 <= 1e-3 * 1000
    assert not close(1002.0, 1000.0, TFloat()).correct
    assert close([1.0, 2.0001], [1.0, 2.0], FLOATS).correct
    assert not close([1.0], [1.0, 2.0], FLOATS).correct
    assert close({"n": 3, "xs": [0.5], "tag": "a"}, {"n": 3, "xs": [0.5001], "tag": "a"}, REC).correct
    assert not close({"n": 3, "xs": [0.5], "tag": "b"}, {"n": 3, "xs": [0.5], "tag": "a"}, REC).correct
    assert close([2.0001, 1.0], [1.0, 2.0], TSet(TFloat())).correct
    assert close(10**400 + 1, 10**400 + 1, TInt()).correct  # beyond float range: exact
    assert "within 0.001" in close(5.0, 1.0, TFloat()).reason
    with pytest.raises(ValueError):
        tolerance(-1.0)


def test_unordered_compares_lists_as_multisets_at_every_depth() -> None:
    assert unordered([3, 1, 2], [1, 2, 3], INTS).correct
    assert not unordered([1, 1, 2], [1, 2, 2], INTS).correct
    t = TList(TList(TInt()))
    assert unordered([[2, 1], [3]], [[3], [1, 2]], t).correct  # unhashable elements
    pairs = TList(TTuple((TInt(), TInt())))
    assert unordered([(2, 1), (1, 2)], [(1, 2), (2, 1)], pairs).correct
    assert not unordered([(2, 1)], [(1, 2)], pairs).correct  # tuples stay positional
    recs = TList(TRecord((("a", TList(TInt())),)))
    assert unordered([{"a": [1, 2]}, {"a": []}], [{"a": []}, {"a": [2, 1]}], recs).correct
    assert "in any order" in unordered([1], [2], INTS).reason


# ----------------------------------------------------------------- pipeline


@pytest.mark.parametrize("fmt, completion, value, reason", [
    ("tags", "So the gcd is <answer>6</answer>", 1.0, "correct"),
    ("tags", "<answer> 6. </answer>", 1.0, "correct"),
    ("tags", "<answer>7</answer>", 0.0, "expected 6, got 7"),
    ("tags", "The answer is 6", 0.0, "no <answer> block found"),
    ("tags", "<answer>six</answer>", 0.0, 'could not parse "six": expected an integer, got six'),
    ("tags", "<answer>10001</answer>", 0.0, "10001 is not in Int[1..10000]"),
    ("tags", "<answer>6.5</answer>", 0.0, "6.5 is not an integer"),
    ("tags", "<answer>" + "9" * 5000 + "</answer>", 0.0, "number too large"),
    ("tags", "<answer>" + "9" * 20000 + "</answer>", 0.0, "the answer is too long"),
    ("boxed", "\\boxed{6}", 1.0, "correct"),
    ("boxed", "<answer>6</answer>", 0.0, "no \\boxed{...} found"),
    ("json", "I computed it: 6", 1.0, "correct"),
    ("json", "nothing", 0.0, "no JSON value found"),
])
def test_int_verifier_reasons(fmt: str, completion: str, value: float, reason: str) -> None:
    s = make_verifier("exact", SMALL, fmt)(completion, 6, {}, {})
    assert s.value == value
    assert reason in s.reason


def test_list_verifiers_end_to_end() -> None:
    v = make_verifier("exact", INTS, "tags")
    assert v("<answer>[1, 2, 3]</answer>", [1, 2, 3], {}, {}).correct
    assert v("<answer>1, 2, 3</answer>", [1, 2, 3], {}, {}).correct
    assert v("<answer>[3, 2, 1]</answer>", [1, 2, 3], {}, {}).reason == "expected [1, 2, 3], got [3, 2, 1]"
    assert "length 1" in v("<answer>[1]</answer>", [1, 2, 3], {}, {}).reason
    u = make_verifier("unordered", INTS, "tags")
    assert u("<answer>[3, 2, 1]</answer>", [1, 2, 3], {}, {}).correct
    f = make_verifier("tolerance", FLOATS, "json", eps=1e-6)
    assert f("result: [0.1, 0.30000000000000004]", [0.1, 0.3], {}, {}).correct
    long_ref = list(range(5000))
    s = make_verifier("exact", TList(TInt()), "tags")("<answer>[]</answer>", long_ref, {}, {})
    assert s.value == 0.0 and len(s.reason) < 300


def test_verifier_accepts_missing_inputs_and_non_text_completions() -> None:
    v = make_verifier("exact", SMALL, "tags")
    assert v("<answer>6</answer>", 6).correct
    for junk in (None, b"<answer>6</answer>", 6, ["<answer>6</answer>"]):
        s = v(junk, 6, {}, {})  # type: ignore[arg-type]
        assert s.value == 0.0 and "not text" in s.reason


def test_configuration_mistakes_raise_at_build_time() -> None:
    with pytest.raises(ValueError, match="unknown verifier"):
        make_verifier("fuzzy", SMALL, "tags")
    with pytest.raises(ValueError, match="unknown answer format"):
        make_verifier("exact", SMALL, "xml")
    with pytest.raises(ValueError, match="eps"):
        make_verifier("tolerance", SMALL, "tags")
    with pytest.raises(ValueError, match="python_fn"):
        make_verifier("python", SMALL, "tags")


# ---------------------------------------------------------- python verifiers


def _half_credit(answer: Any, *, reference: Any, inputs: dict, params: dict) -> float:
    return 1.0 if answer == reference else 0.5 if abs(answer - reference) <= params.get("slack", 1) else 0.0


class _Boom(Exception):
    def __str__(self) -> str:
        raise RuntimeError("even str() fails")


@pytest.mark.parametrize("fn, value, reason", [
    (_half_credit, 0.5, "_half_credit scored 0.5"),
    (lambda a, **k: a == k["reference"], 0.0, "scored 0"),
    (lambda a, **k: True, 1.0, "correct"),
    (lambda a, **k: Score(0.25, "custom"), 0.25, "custom"),
    (lambda a, **k: 1 / 0, 0.0, "verifier error: <lambda> raised ZeroDivisionError: division by zero"),
    (lambda a, **k: math.nan, 0.0, "verifier error: <lambda> returned nan"),
    (lambda a, **k: 2, 0.0, "not a number in [0, 1]"),
    (lambda a, **k: -0.5, 0.0, "not a number in [0, 1]"),
    (lambda a, **k: "1", 0.0, 'returned "1"'),
    (lambda a, **k: None, 0.0, "returned null"),
    (lambda a, **k: 10**400, 0.0, "not a number in [0, 1]"),
    (lambda a, **k: (_ for _ in ()).throw(_Boom()), 0.0, "raised _Boom"),
    (lambda a, **k: sys.exit(3), 0.0, "raised SystemExit"),
    (lambda a: 1.0, 0.0, "raised TypeError"),
])
def test_python_verifier_is_made_total(fn: Any, value: float, reason: str) -> None:
    s = make_verifier("python", SMALL, "tags", python_fn=fn)("<answer>5</answer>", 6, {"a": 1}, {"slack": 2})
    assert s.value == value
    assert reason in s.reason


def test_python_verifier_gets_the_parsed_answer_and_keywords() -> None:
    seen: dict[str, Any] = {}

    def spy(answer: Any, *, reference: Any, inputs: dict, params: dict) -> float:
        seen.update(answer=answer, reference=reference, inputs=inputs, params=params)
        return 1.0

    v = make_verifier("python", TTuple((TInt(), TStr())), "tags", python_fn=spy)
    assert v("<answer>(1, x)</answer>", (1, "x"), {"xs": [1]}, {"n": 2}).correct
    assert seen == {"answer": (1, "x"), "reference": (1, "x"), "inputs": {"xs": [1]}, "params": {"n": 2}}
    assert make_verifier("python", SMALL, "tags", python_fn=spy)("nothing", 1, {}, {}).value == 0.0


# ------------------------------------------------------------- totality


VERIFIERS = [(kind, t, fmt) for fmt in FORMATS for kind, t in [
    ("exact", SMALL), ("exact", INTS), ("unordered", INTS), ("tolerance", FLOATS), ("exact", REC),
    ("exact", TStr()), ("exact", TBool()), ("exact", TSet(TStr())), ("tolerance", TFloat()),
    ("exact", TList(TList(TList(TInt())))), ("exact", TTuple((TInt(), TEnum(("x", "y")))))]]
REFERENCES = {SMALL: 6, INTS: [1, 2], FLOATS: [0.5], REC: {"n": 1, "xs": [], "tag": "a"}, TStr(): "a b",
              TBool(): False, TSet(TStr()): ["a", "b"], TFloat(): 0.0, TList(TList(TList(TInt()))): [[[1]]],
              TTuple((TInt(), TEnum(("x", "y")))): (1, "x")}


def _verify_all(completion: str) -> None:
    for kind, t, fmt in VERIFIERS:
        s = make_verifier(kind, t, fmt, eps=1e-6 if kind == "tolerance" else None)(
            completion, REFERENCES[t], {}, {})
        assert in_unit(s), (kind, t, fmt, s)


_sprinkled = st.lists(st.one_of(st.sampled_from(TRICKY + ["<answer>[1, 2]</answer>", "\\boxed{6}", "[[", "]]",
                                                          "{\"n\": 1", "\\\"", "-", "0"]), st.text(max_size=5)),
                      max_size=30).map("".join)


@given(st.one_of(st.text(), _sprinkled, st.text(st.characters(categories=("Cs", "Cc", "Ps", "Pe", "Nd")))))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_verifier_is_total_on_any_text(completion: str) -> None:
    _verify_all(completion)


@given(types, st.sampled_from(FORMATS), st.sampled_from(["exact", "unordered", "tolerance"]), _sprinkled)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_verifiers_of_random_types_are_total(t: TType, fmt: str, kind: str, completion: str) -> None:
    v = make_verifier(kind, t, fmt, eps=1e-9 if kind == "tolerance" else None)
    assert in_unit(v(completion, None, {}, {}))
    assert in_unit(v("<answer>" + completion + "</answer>", [1, "x"], {}, {}))


MB = 1 << 20
HOSTILE = {
    "answer openings": "<answer>" * (MB // 8),
    "answer closings": "</answer>" * (MB // 9),
    "spaced openings": "< answer " * (MB // 9),
    "open then spaces": "<" + " " * MB,
    "alternating tags": "<answer></answer" * (MB // 16),
    "deep brackets": "<answer>" + "[" * 100_000 + "</answer>",
    "deep brackets, closed": "<answer>" + "[" * 8000 + "]" * 8000 + "</answer>",
    "huge number": "<answer>1" + "0" * 100_000 + "</answer>",
    "number that fits": "<answer>1" + "0" * 3000 + "</answer>",
    "boxed openings": "\\boxed{" * (MB // 7),
    "box of braces": "\\boxed{" + "{" * MB,
    "closing braces": "}" * MB,
    "opening braces": "{" * MB,
    "quotes": '"' * MB,
    "backslashes then quote": "\\" * MB + '"',
    "escaped quotes": '\\"' * (MB // 2),
    "json brackets": "[" * (MB // 2) + "]" * (MB // 2),
    "closing brackets": "]" * MB,
    "quoted brackets": '"]' * (MB // 2),
    "digits": "1" * MB,
    "exponents": "1e" * (MB // 2),
    "true words": "true " * (MB // 5),
    "list of a thousand": "<answer>" + "1, " * 5000 + "</answer>",
    "unclosed string": "<answer>[\"" + "x" * 15_000 + "</answer>",
    "colons": "<answer>{" + "a: " * 5000 + "}</answer>",
    "nul and unicode": ("\x00é\u2028😀<answer>\x00</answer>" * (MB // 30)),
    "random-ish": "".join(chr((i * 7919) % 0x2FFF + 32) for i in range(MB)),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_completions_finish_quickly(name: str) -> None:
    _verify_all(HOSTILE[name])


# -------------------------------------------------------------- round trip


@given(typed_values, st.sampled_from(FORMATS), st.sampled_from(["exact", "unordered", "tolerance"]))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_rendered_reference_scores_one(tv: tuple[TType, Any], fmt: str, kind: str) -> None:
    t, value = tv
    reference = canonical(value, t)
    v = make_verifier(kind, t, fmt, eps=0.0 if kind == "tolerance" else None)
    s = v("Let me think.\n" + render_answer(reference, t, fmt), reference, {}, {})
    assert s == Score.ok(), s.reason


@given(types.filter(is_bounded), st.integers(0, 2**32), st.sampled_from(FORMATS))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_sampled_references_score_one(t: TType, seed: int, fmt: str) -> None:
    """The runtime's own sampler (what `env.sample` produces) round-trips too."""
    try:
        reference = canonical(sampler_for(t)(random.Random(seed)), t)
    except SamplingError:  # e.g. a Set longer than its element type allows
        assume(False)
    assert make_verifier("exact", t, fmt)(render_answer(reference, t, fmt), reference, {}, {}) == Score.ok()


@pytest.mark.parametrize("t, good, bad", [
    (TBool(), True, False),
    (TStr(), "x", "y"),
    (TList(TFloat()), [0.5, 1.5], [0.5, 1.25]),
    (TSet(TInt()), [1, 2], [1, 3]),
])
def test_a_different_value_scores_zero(t: TType, good: Any, bad: Any) -> None:
    for fmt in FORMATS:
        assert make_verifier("exact", t, fmt)(render_answer(bad, t, fmt), good, {}, {}).value == 0.0
