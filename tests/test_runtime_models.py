"""Pydantic models of the language's types (racesdsl/runtime/models.py): the mapping
per type is pinned, pydantic accepts every sampled value and returns its canonical
form, pydantic and `checker_for` agree on broken values, and the `Input`/`Output`
models of the standard library validate real instances."""

from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from typegen import CLASS_SPECS, TRICKY, chars, rec, types
from values import loosen, perturb

import racesdsl
from racesdsl.runtime.checks import canonical, checker_for
from racesdsl.runtime.env import Environment
from racesdsl.runtime.models import (
    char_class_pattern,
    input_model,
    model_name,
    output_model,
    pydantic_type,
    type_adapter,
)
from racesdsl.runtime.types import (
    NAT,
    Interval,
    TAny,
    TBool,
    TEnum,
    TFloat,
    TInt,
    TList,
    TSet,
    TStr,
    TTuple,
    TType,
)
from racesdsl.runtime.values import SamplingError, sampler_for, to_json_value

ROOT = Path(__file__).resolve().parent.parent
PROPS = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def accepts(t: TType, v: Any) -> bool:
    try:
        type_adapter(t).validate_python(v)
    except ValidationError:
        return False
    return True


def validated(t: TType, v: Any) -> Any:
    """Validate, then back to the runtime representation (records as dicts)."""
    ta = type_adapter(t)
    return ta.dump_python(ta.validate_python(v))


def same(a: Any, b: Any) -> bool:
    """Exact identity: tells 1 from 1.0, a tuple from a list, and sees dict order."""
    return repr(a) == repr(b)


SMALL = TInt(Interval(0, 9))


# ------------------------------------------------------------------ golden


def test_int_is_strict_and_bounded() -> None:
    assert type_adapter(SMALL).json_schema() == {"type": "integer", "minimum": 0, "maximum": 9}
    assert type_adapter(TInt(Interval(0, math.inf))).json_schema() == {"type": "integer", "minimum": 0}
    assert type_adapter(TInt()).json_schema() == {"type": "integer"}
    assert type_adapter(TInt(Interval(0.5, 3.5))).json_schema() == {"type": "integer", "minimum": 1, "maximum": 3}
    assert validated(SMALL, 5) == 5
    for bad in (True, 5.0, "5", 10, -1, None):
        assert not accepts(SMALL, bad) and checker_for(SMALL)(bad) is not None
    assert type_adapter(SMALL).validate_json("5") == 5
    with pytest.raises(ValidationError):
        type_adapter(SMALL).validate_json("5.0")
    big = TInt(Interval(-10**30, 10**30))
    assert validated(big, 10**29) == 10**29 and not accepts(big, 10**31)


def test_float_takes_ints_but_not_bools_strings_or_non_finite() -> None:
    t = TFloat(Interval(0, 1))
    assert type_adapter(t).json_schema() == {"type": "number", "minimum": 0, "maximum": 1}
    assert same(validated(t, 1), 1.0) and same(validated(t, 0.25), 0.25)
    for bad in (True, "0.5", math.nan, math.inf, 1.5, -0.1, 10**400):
        assert not accepts(t, bad) and checker_for(t)(bad) is not None
    assert type_adapter(TFloat()).json_schema() == {"type": "number"}
    wide = TFloat(Interval(0, 2**53 + 3))  # beyond 2**53 the checker compares exactly; so must pydantic
    for v in (2**53 + 1, 2**53 + 3, float(2**53 + 4), 2**53 + 5, 2**60):
        assert accepts(wide, v) == (checker_for(wide)(v) is None), v
    assert not accepts(TFloat(), math.inf)


def test_bool_and_enum() -> None:
    assert validated(TBool(), True) is True
    assert not accepts(TBool(), 1) and not accepts(TBool(), "true")
    enum = TEnum(("red", "green", "red"))
    assert get_origin(pydantic_type(enum)) is Literal and get_args(pydantic_type(enum)) == ("red", "green")
    assert type_adapter(enum).json_schema() == {"type": "string", "enum": ["red", "green"]}
    assert validated(enum, "green") == "green" and not accepts(enum, "blue")
    assert not accepts(TEnum(()), "") and checker_for(TEnum(()))("") is not None


def test_str_constraints_and_pattern() -> None:
    t = chars("a-c", Interval(1, 3))
    assert type_adapter(t).json_schema() == {"type": "string", "minLength": 1, "maxLength": 3,
                                             "pattern": "^[a-c]*$"}
    assert type_adapter(TStr()).json_schema() == {"type": "string"}
    assert validated(t, "cab") == "cab"
    for bad in ("", "abcd", "abd", "ab\n", b"ab", 3):
        assert not accepts(t, bad) and checker_for(t)(bad) is not None


def test_char_class_pattern_escapes_whatever_the_class_holds() -> None:
    assert char_class_pattern(frozenset("0123456789_")) == "^[0-9_]*$"
    assert char_class_pattern(frozenset("]^-\\")) == "^[\\u002D\\u005C-\\u005E]*$"
    assert char_class_pattern(frozenset("ab")) == "^[ab]*$"
    assert char_class_pattern(frozenset("😀é")) == "^[\\u00E9😀]*$"
    assert char_class_pattern(frozenset("\ud800")) == "^$"


@PROPS
@given(CLASS_SPECS, st.lists(st.text(TRICKY + "b☃", max_size=5), max_size=8))
def test_char_class_pattern_matches_exactly_the_class(spec: tuple[str, frozenset[str]], words: list[str]) -> None:
    src, cs = spec
    pattern = char_class_pattern(cs)
    t = TStr(NAT, cs, src)
    for w in [*words, "".join(sorted(cs))]:
        inside = set(w) <= cs
        assert (re.fullmatch(pattern[1:-1], w) is not None) == inside
        assert accepts(t, w) == inside == (checker_for(t)(w) is None)


def test_list_and_set() -> None:
    lst = TList(SMALL, Interval(2, 3))
    assert type_adapter(lst).json_schema() == {"type": "array", "items": {"type": "integer", "minimum": 0,
                                               "maximum": 9}, "minItems": 2, "maxItems": 3}
    assert validated(lst, [3, 1]) == [3, 1]
    for bad in ((3, 1), {1, 3}, [1], [1, 2, 3, 4], [1, 10]):
        assert not accepts(lst, bad)
    st_ = TSet(SMALL, Interval(0, 3))
    assert type_adapter(st_).json_schema()["uniqueItems"] is True
    assert validated(st_, [3, 1, 2]) == [1, 2, 3]
    assert validated(st_, {3, 1}) == [1, 3] and validated(st_, frozenset({2})) == [2]
    assert not accepts(st_, [1, 1]) and not accepts(st_, (1, 2))
    pairs = TSet(TTuple((SMALL, TBool())), Interval(0, 3))
    assert validated(pairs, [[2, False], (1, True)]) == [(1, True), (2, False)]
    assert not accepts(pairs, [[1, True], (1, True)])


def test_tuple_takes_a_list_but_not_a_set() -> None:
    t = TTuple((SMALL, TStr()))
    assert validated(t, [1, "x"]) == (1, "x") and validated(t, (1, "x")) == (1, "x")
    assert not accepts(t, {1, "x"}) and not accepts(t, (1,)) and not accepts(t, (1, "x", 2))
    assert validated(TTuple(()), []) == ()
    assert type_adapter(t).json_schema()["prefixItems"] == [{"type": "integer", "minimum": 0, "maximum": 9},
                                                            {"type": "string"}]


def test_record_is_a_closed_model_with_aliases_where_needed() -> None:
    t = rec(x=SMALL, json=TBool(), model_config=TStr(), **{"_x": SMALL, "class": SMALL, "a b": SMALL,
                                                            "field0": SMALL})
    model = pydantic_type(t, "Point")
    assert isinstance(model, type) and issubclass(model, BaseModel) and model.__name__ == "Point"
    value = {"x": 1, "json": True, "model_config": "s", "_x": 2, "class": 3, "a b": 4, "field0": 5}
    m = model.model_validate(value)
    assert m.x == 1 and m.model_dump() == value
    schema = model.model_json_schema()
    assert list(schema["properties"]) == list(value) and schema["required"] == list(value)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["x"] == {"title": "X", "type": "integer", "minimum": 0, "maximum": 9}
    for bad in ({**value, "y": 1}, {k: v for k, v in value.items() if k != "x"}, {**value, 3: 4}, [1]):
        assert not accepts(t, bad) and checker_for(t)(bad) is not None
    from types import MappingProxyType
    assert not accepts(t, MappingProxyType(value))  # the checker (and JSON) takes dicts only
    assert type_adapter(t, "Point").validate_python(m) is m


def test_nested_records_get_derived_names() -> None:
    t = rec(pos=rec(x=SMALL), items=TList(rec(k=TBool()), NAT))
    defs = pydantic_type(t, "Shape").model_json_schema()["$defs"]
    assert set(defs) == {"ShapePos", "ShapeItemsItem"}


def test_any_unbounded_and_cached() -> None:
    assert pydantic_type(TAny()) is Any
    assert validated(TList(TAny(), NAT), [1, "a", None]) == [1, "a", None]
    t = TList(rec(a=SMALL), Interval(0, 2))
    assert pydantic_type(t) is pydantic_type(TList(rec(a=SMALL), Interval(0, 2)))
    assert not accepts(TList(SMALL, Interval(0, -1)), [])  # no length at all
    assert not accepts(TStr(Interval(3, 2)), "abc")


# ----------------------------------------------------------- properties


def draw_value(t: TType, seed: int) -> Any:
    try:
        return sampler_for(t)(random.Random(seed))
    except SamplingError:  # a Set longer than its element domain
        assume(False)


@PROPS
@given(types(), st.integers(0, 2**32))
def test_pydantic_accepts_sampled_values_and_returns_the_canonical_form(t: TType, seed: int) -> None:
    v = draw_value(t, seed)
    want = canonical(v, t)
    assert same(validated(t, v), want)
    assert same(validated(t, loosen(v, t, random.Random(seed), int_odds=1.0)), want)
    ta = type_adapter(t)
    assert same(ta.dump_python(ta.validate_json(json.dumps(to_json_value(v)))), want)


@PROPS
@given(types(), st.integers(0, 2**32), st.data())
def test_pydantic_and_the_checker_agree_on_broken_values(t: TType, seed: int, data: st.DataObject) -> None:
    bad = perturb(draw_value(t, seed), t, data)
    assert (checker_for(t)(bad) is None) == accepts(t, bad), (t, bad, checker_for(t)(bad))


# ------------------------------------------------------------ environments


@pytest.fixture(scope="module")
def stdlib() -> Any:
    return racesdsl.load(ROOT / "specs")


def test_sort_list_models() -> None:
    env = racesdsl.load(ROOT / "specs" / "lists.races")["sort_list"]
    inp, out = input_model(env), output_model(env)
    assert (inp.__name__, out.__name__) == ("SortListInput", "SortListOutput")
    assert list(inp.model_fields) == ["xs"] and list(out.model_fields) == ["value"]
    inst = env.sample(3)
    assert inp.model_validate(inst.input).model_dump() == inst.input
    assert out.model_validate({"value": inst.answer}).value == inst.answer
    for bad in ([100] * 6, [1] * 5, tuple(inst.input["xs"]), [True] * 6):
        with pytest.raises(ValidationError):
            inp.model_validate({"xs": bad})
    with pytest.raises(ValidationError):
        inp.model_validate({**inst.input, "ys": []})
    nine = input_model(env, n=9)
    xs = nine.model_json_schema()["properties"]["xs"]
    assert (xs["minItems"], xs["maxItems"]) == (9, 9)
    assert nine.model_validate(env.sample(0, n=9).input)
    with pytest.raises(ValidationError):
        nine.model_validate(inst.input)
    assert output_model(env, n=9).model_validate({"value": env.sample(0, n=9).answer})


def test_inputs_keep_their_order(stdlib: Any) -> None:
    env = stdlib["dates.hms_to_seconds"]
    assert list(input_model(env).model_fields) == ["h", "m", "s"] == env.input_names
    date = input_model(stdlib["dates.add_days"]).model_json_schema()
    assert date["title"] == "AddDaysInput" and set(date["$defs"]) == {"AddDaysInputDate"}


def test_every_stdlib_env_validates_its_own_instances(stdlib: Any) -> None:
    envs = [e for e in stdlib.values() if isinstance(e, Environment)]
    assert len(envs) > 100
    for env in envs:
        inp, out = input_model(env), output_model(env)
        for seed in range(3):
            inst = env.sample(seed)
            assert same(inp.model_validate(inst.input).model_dump(), inst.input), env.qualname
            assert same(out.model_validate({"value": inst.answer}).model_dump()["value"], inst.answer)
            answer = json.dumps({"value": to_json_value(inst.answer)})
            assert same(out.model_validate_json(answer).model_dump()["value"], inst.answer)
        inp.model_json_schema()
        out.model_json_schema()


def test_model_name() -> None:
    assert model_name("lists.sort_list", "Input") == "SortListInput"
    assert model_name("m.a__b2", "Output") == "AB2Output"
