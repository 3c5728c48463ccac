"""Run-time values (racesdsl/runtime/values.py): every sampled value passes its
checker and is already canonical, draws are reproducible from a seed (pinned by
golden values), and checkers reject broken values with a reason naming the
problem. `tests/values.py` serves as an independent membership oracle."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typegen import chars, rec, types
from values import count, inhabits, loosen, perturb

from racesdsl.runtime.checks import canonical, checker_for, sort_key_for
from racesdsl.runtime.types import (
    INF,
    NAT,
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
from racesdsl.runtime.values import SamplingError, sampler_for, to_json_value

PROPS = settings(max_examples=300, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

SMALL = TInt(Interval(-99, 99))
LIST_OF_SMALL = TList(SMALL, Interval(2, 12))


def draws(t: TType, seed: int, n: int = 5) -> list[Any]:
    sample, rng = sampler_for(t), random.Random(seed)
    return [sample(rng) for _ in range(n)]


def dumps(v: Any) -> str:
    """Exact identity of a value: tells 1 from 1.0 and sees dict order."""
    return json.dumps(to_json_value(v), ensure_ascii=False)


# --------------------------------------------------------------- samplability


def parts(t: TType) -> list[TType]:
    """`t` and every type inside it."""
    match t:
        case TList(elem, _) | TSet(elem, _):
            return [t, *parts(elem)]
        case TTuple(items):
            return [t, *(p for i in items for p in parts(i))]
        case TRecord(fields):
            return [t, *(p for _, ft in fields for p in parts(ft))]
    return [t]


def samplable(t: TType) -> bool:
    """What the oracle says: every part of `t` has a value (a Set's length is reachable)."""
    return all(count(p) > 0 for p in parts(t))


# ------------------------------------------------------------------ properties


@PROPS
@given(types(), st.integers(0, 2**32))
def test_sampled_values_pass_the_checker_and_are_canonical(t: TType, seed: int) -> None:
    if not samplable(t):
        with pytest.raises(SamplingError, match="cannot sample"):
            sampler_for(t)
        return
    check = checker_for(t)
    for v in draws(t, seed):
        assert check(v) is None, (show(t), v, check(v))
        assert inhabits(v, t), (show(t), v)
        assert dumps(canonical(v, t)) == dumps(v)


@PROPS
@given(types(), st.integers(0, 2**32))
def test_canonical_is_idempotent_and_undoes_loose_spellings(t: TType, seed: int) -> None:
    if not samplable(t):
        return
    rng = random.Random(seed)
    for v in draws(t, seed):
        loose = loosen(v, t, rng)
        assert checker_for(t)(loose) is None, (show(t), loose)
        once = canonical(loose, t)
        assert dumps(once) == dumps(v)
        assert dumps(canonical(once, t)) == dumps(once)
        back = json.loads(json.dumps(to_json_value(once)))  # JSON export and re-import
        assert checker_for(t)(back) is None and dumps(canonical(back, t)) == dumps(v)


@PROPS
@given(types(), st.integers(0, 2**32))
def test_same_seed_same_values(t: TType, seed: int) -> None:
    if samplable(t):
        assert dumps(draws(t, seed, 8)) == dumps(draws(t, seed, 8))


@PROPS
@given(types(), st.integers(0, 2**32), st.data())
def test_checker_rejects_a_value_broken_in_one_place(t: TType, seed: int, data: st.DataObject) -> None:
    if not samplable(t):
        return
    v = draws(t, seed, 1)[0]
    bad = perturb(v, t, data, sure=True)
    assert not inhabits(bad, t), (show(t), bad)
    why = checker_for(t)(bad)
    assert isinstance(why, str) and why, (show(t), bad)


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.sampled_from(["a", "b", "xs", 1]), inner, max_size=3)
    | st.frozensets(st.integers(0, 3) | st.text(max_size=2), max_size=3),
    max_leaves=12,
)


@PROPS
@given(types(), JUNK)
def test_checker_is_total_and_agrees_with_the_oracle(t: TType, v: Any) -> None:
    why = checker_for(t)(v)
    assert why is None or isinstance(why, str)
    if why is not None:
        assert not inhabits(v, t), (show(t), v, why)
    elif not any(isinstance(p, TTuple | TSet) for p in parts(t)):  # the oracle wants tuples, list sets
        assert inhabits(v, t), (show(t), v)


# ---------------------------------------------------------------- golden draws

GOLDEN_TYPES: list[TType] = [
    LIST_OF_SMALL,
    TSet(TInt(Interval(1, 20)), Interval(3, 5)),
    rec(a=chars("a-c", Interval(1, 4)), b=TTuple((TBool(), TFloat(Interval(0, 1)), TEnum(("x", "y"))))),
]
GOLDEN: list[list[Any]] = [
    [[-69, 30, -85, 7, -27], [1, -92], [-86, -81, -15, 65, -75, -55]],
    [[2, 4, 14], [1, 2, 8, 11], [2, 3, 9, 17]],
    [{"a": "ab", "b": (True, 0.5358820043066892, "x")},
     {"a": "b", "b": (True, 0.4336456836623859, "x")},
     {"a": "b", "b": (False, 0.12380196114964559, "x")}],
]


@pytest.mark.parametrize("t, expected", list(zip(GOLDEN_TYPES, GOLDEN, strict=True)), ids=["list", "set", "record"])
def test_draws_from_seed_7_are_pinned(t: TType, expected: list[Any]) -> None:
    """A change here changes every dataset generated from a seed: make it on purpose."""
    assert dumps(draws(t, 7, 3)) == dumps(expected)


def test_fast_list_path_draws_as_the_general_path() -> None:
    direct = draws(LIST_OF_SMALL, 3, 20)
    boxed = draws(TList(TTuple((SMALL,)), Interval(2, 12)), 3, 20)
    assert direct == [[x for (x,) in xs] for xs in boxed]


def test_draws_are_spread_over_the_whole_range() -> None:
    seen = [x for xs in draws(TList(TInt(Interval(0, 2)), Interval(1, 1)), 0, 3000) for x in xs]
    assert all(900 < seen.count(k) < 1100 for k in range(3))
    lengths = {len(v) for v in draws(LIST_OF_SMALL, 0, 500)}
    assert lengths == set(range(2, 13))
    members = [x for xs in draws(TSet(TInt(Interval(0, 9)), Interval(3, 3)), 0, 2000) for x in xs]
    assert all(500 < members.count(k) < 700 for k in range(10))  # 2000 * 3/10 each
    floats = draws(TFloat(Interval(-1, 1)), 0, 500)
    assert min(floats) < -0.9 and max(floats) > 0.9


def test_set_length_is_capped_by_the_element_domain() -> None:
    t = TSet(TBool(), Interval(0, 5))
    assert {len(v) for v in draws(t, 0, 200)} == {0, 1, 2}
    assert draws(TSet(TEnum(("b", "a", "c")), Interval(3, 3)), 1, 1) == [["a", "b", "c"]]


def test_one_possible_value_draws_nothing() -> None:
    rng = random.Random(5)
    state = rng.getstate()
    t = rec(k=TInt(Interval(4, 4)), e=TEnum(("only",)), f=TFloat(Interval(0.5, 0.5)), s=chars("x", Interval(2, 2)))
    assert sampler_for(t)(rng) == {"k": 4, "e": "only", "f": 0.5, "s": "xx"}
    assert rng.getstate() == state


# ------------------------------------------------------------- sampling errors


def test_set_longer_than_its_domain_cannot_be_sampled() -> None:
    with pytest.raises(SamplingError) as err:
        sampler_for(TSet(TBool(), Interval(3, 3)))
    assert str(err.value) == ("cannot sample Set[Bool, len=3]: Bool has only 2 distinct values, "
                              "fewer than the minimum length 3")


@pytest.mark.parametrize("t, message", [
    (TInt(), "cannot sample Int: it needs both bounds"),
    (TInt(Interval(0, INF)), "cannot sample Int[0..]: it needs both bounds"),
    (TFloat(Interval(-INF, 1)), "cannot sample Float[..1]: it needs both bounds"),
    (TStr(), "cannot sample Str: it needs a length bound"),
    (TList(SMALL), "cannot sample List[Int[-99..99]]: it needs a length bound"),
    (rec(xs=TList(TInt(), Interval(1, 3))), "cannot sample Int: it needs both bounds (inside {xs: List[Int, len=1..3]})"),
    (TAny(), "cannot sample ?"),
    (TEnum(()), "cannot sample Enum[]: it has no values"),
    (TInt(Interval(3, 1)), "cannot sample Int[3..1]: no integer is in 3..1"),
], ids=lambda x: x if isinstance(x, str) else show(x))
def test_unsamplable_types_raise_sampling_error(t: TType, message: str) -> None:
    with pytest.raises(SamplingError) as err:
        sampler_for(t)
    assert str(err.value).startswith(message)
    assert isinstance(err.value, ValueError)


# ------------------------------------------------------------ checker messages

POINT = rec(x=TInt(Interval(0, 9)), tags=TSet(TEnum(("a", "b")), Interval(0, 2)))


@pytest.mark.parametrize("t, value, reason", [
    (LIST_OF_SMALL, [1, 2, 3, 120], "element 3: 120 is not in Int[-99..99]"),
    (LIST_OF_SMALL, [1], "length 1 is not in len=2..12"),
    (LIST_OF_SMALL, "1, 2", "expected a list, got str"),
    (LIST_OF_SMALL, (1, 2), "expected a list, got tuple"),
    (LIST_OF_SMALL, [1, True], "element 1: expected an integer, got bool"),
    (LIST_OF_SMALL, [1, 2.0], "element 1: expected an integer, got float"),
    (TSet(SMALL, Interval(0, 5)), [3, 1, 3], "element 2 repeats element 0: 3"),
    (TSet(TFloat(Interval(0, 5)), Interval(0, 5)), [1, 1.0], "element 1 repeats element 0: 1.0"),
    (TSet(TList(TBool(), Interval(0, 2)), Interval(0, 3)), [[True], [], [True]], "element 2 repeats element 0"),
    (POINT, {"tags": []}, "missing field `x`"),
    (POINT, {"x": 1, "tags": [], "y": 2}, "unexpected field `y`"),
    (POINT, {"x": 1, "tags": ["c"]}, 'field `tags`: element 0: "c" is not in Enum["a", "b"]'),
    (POINT, [1, []], "expected a record, got list"),
    (TTuple((TBool(), SMALL)), [True], "expected 2 items, got 1"),
    (TTuple((TBool(), SMALL)), (1, 1), "item 0: expected a boolean, got int"),
    (TFloat(Interval(0, 1)), math.nan, "nan is not a finite float"),
    (TFloat(), 10**400, "an integer of 1329 bits is too large for a float"),
    (TFloat(Interval(0, 1)), 2, "2 is not in Float[0..1]"),
    (chars("a-z", Interval(1, 3)), "abcd", '"abcd": length 4 is not in len=1..3'),
    (chars("a-z", Interval(1, 3)), "aB", '"aB": character "B" is not allowed in Str[len=1..3, chars="a-z"]'),
    (TEnum(("red", "green")), "blue", '"blue" is not in Enum["red", "green"]'),
    (TBool(), 0, "expected a boolean, got int"),
    (TInt(Interval(0, 9)), None, "expected an integer, got None"),
])
def test_checker_names_the_problem(t: TType, value: Any, reason: str) -> None:
    assert checker_for(t)(value) == reason


def test_checker_accepts_loose_but_valid_spellings() -> None:
    pair = TTuple((TBool(), SMALL))
    assert checker_for(pair)([True, 5]) is None
    assert checker_for(TSet(SMALL, Interval(0, 3)))({3, 1}) is None
    assert checker_for(TFloat(Interval(0, 1)))(1) is None
    assert checker_for(POINT)({"tags": ["b", "a"], "x": 0}) is None
    assert checker_for(TAny())(object()) is None


class Hostile:
    """Collides with the field name `x` and refuses to be compared."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no")

    def __hash__(self) -> int:
        return hash("x")


def test_checker_never_raises() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    t = TSet(TList(TList(SMALL, Interval(0, 3)), Interval(0, 3)), Interval(0, 3))
    assert checker_for(t)(deep) is not None
    assert checker_for(TSet(TAny(), Interval(0, 3)))([deep]) is not None  # too deep to key
    assert checker_for(POINT)({Hostile(): 1}) is not None
    assert checker_for(TEnum(("a",)))(Hostile()) is not None
    assert checker_for(TInt(Interval(0, 9)))(10**100_000) == "an integer of 332193 bits is not in Int[0..9]"


# ------------------------------------------------------------------- canonical


def test_canonical_forms() -> None:
    assert canonical([1, 2], TTuple((TFloat(), SMALL))) == (1.0, 2)
    assert dumps(canonical(3, TFloat())) == "3.0"
    assert canonical({3, -1, 2}, TSet(SMALL, NAT)) == [-1, 2, 3]
    assert list(canonical({"b": "x", "a": 1}, rec(a=SMALL, b=TEnum(("x",))))) == ["a", "b"]
    nested = TSet(TSet(SMALL, NAT), NAT)
    assert canonical([[2, 1], [0], []], nested) == [[], [0], [1, 2]]
    ordered = sorted([{"k": 2, "v": "a"}, {"k": 1, "v": "b"}], key=sort_key_for(rec(k=SMALL, v=TStr())))
    assert ordered == [{"k": 1, "v": "b"}, {"k": 2, "v": "a"}]


def test_canonical_builds_fresh_containers() -> None:
    t = TList(TList(SMALL, NAT), NAT)
    v = [[1], [2]]
    out = canonical(v, t)
    out[0].append(9)
    assert v == [[1], [2]]


def test_to_json_value_turns_tuples_into_lists() -> None:
    v = {"g": (1, [(2.5, "a")]), "s": [True]}
    assert to_json_value(v) == {"g": [1, [[2.5, "a"]]], "s": [True]}
    assert json.loads(json.dumps(to_json_value(v))) == to_json_value(v)
