"""`Map[K, V, len=..]` and `Optional[T]` (docs/language.md §3 "`Map` and `Optional`"): types,
sampling, canonical values, answers both ways, pydantic models, expressions, and `load()`
agreeing with the compiled package byte for byte."""

from __future__ import annotations

import importlib
import json
import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.writer import package_files, write_files
from racesdsl.runtime import types as T
from racesdsl.runtime.answers import format_instruction, parser_for, render_answer
from racesdsl.runtime.checks import canonical, checker_for
from racesdsl.runtime.models import type_adapter
from racesdsl.runtime.values import sampler_for
from racesdsl.syntax.parser import parse_text
from racesdsl.syntax.printer import print_module

SPEC = '''
env tally "Count each number." {
    input xs: List[Int[1..4], len=1..8]
    output Map[Int[1..4], Int[1..8], len=1..4]
    prompt """Count each number in {{ xs }}."""
    solve map_of([(x, count(xs, x)) for x in unique(xs)])
}

env stock "The stock of an item, if listed." {
    input shelf: Map[Enum["apple", "pear", "plum"], Optional[Int[0..20]], len=0..3]
    input item: Enum["apple", "pear", "plum"]
    output Optional[Int[0..20]]
    prompt """Stock {{ shelf | json }}: how many {{ item }}s?"""
    solve shelf[item] if item in shelf else none
}

env next_level "One more than a level, if any." {
    input level: Optional[Int[0..9]]
    input names: Map[Str[len=1..3, chars="a-c"], Bool, len=1..3]
    output Int[0..13]
    prompt """{{ level | json }} {{ names | json }}"""
    solve level + len(names) if level != none else len([k for k in names if names[k]])
}
'''

DIGIT = T.TInt(T.Interval(0, 9))
M = T.TMap(T.TInt(T.Interval(1, 4)), T.TOptional(DIGIT), T.Interval(0, 4))


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("mapopt") / "mapopt.races"
    path.write_text(SPEC, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def loaded(spec_path):
    return racesdsl.load(spec_path)


@pytest.fixture(scope="module")
def compiled(spec_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("pkg")
    write_files(package_files(check_paths([spec_path]).program, "mapopt_pkg"), out)
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("mapopt_pkg")
    finally:
        sys.path.remove(str(out))


def test_the_spec_checks_clean(spec_path) -> None:
    assert [d.code for d in check_paths([spec_path]).diagnostics] == []


def test_types_print_and_reparse_unchanged() -> None:
    module, diags = parse_text(SPEC)
    assert not diags
    again, diags = parse_text(print_module(module))
    assert not diags and again == module
    assert "Map[Int[1..4], Int[1..8], len=1..4]" in print_module(module)
    assert "else none" in print_module(module)


def test_assignability() -> None:
    assert T.assignable(DIGIT, T.TOptional(DIGIT))
    assert not T.assignable(T.TOptional(DIGIT), DIGIT)
    assert T.assignable(T.TMap(T.TEnum(("a",)), DIGIT, T.Interval(1, 1)), T.TMap(T.TStr(), T.TInt(), T.Interval(0, 3)))
    assert "length" in T.mismatch(T.TMap(T.TStr(), DIGIT), T.TMap(T.TStr(), DIGIT, T.Interval(0, 3)))
    assert "values" in T.mismatch(T.TMap(T.TStr(), T.TFloat()), T.TMap(T.TStr(), DIGIT))
    assert T.show(M) == "Map[Int[1..4], Optional[Int[0..9]], len=0..4]"
    assert T.join(T.TOptional(T.TAny()), DIGIT) == T.TOptional(DIGIT)


def test_sampling_is_deterministic_canonical_and_in_type() -> None:
    draw, check = sampler_for(M), checker_for(M)
    values = [draw(random.Random(s)) for s in range(200)]
    assert values == [draw(random.Random(s)) for s in range(200)]
    assert all(check(v) is None and list(v) == sorted(v) for v in values)
    assert {len(v) for v in values} == {0, 1, 2, 3, 4}
    inner = [x for v in values for x in v.values()]
    assert None in inner and any(x is not None for x in inner)


def test_checker_reasons() -> None:
    check = checker_for(M)
    assert check({1: None, 4: 9}) is None
    assert "key 5" in check({5: 1})
    assert "value at 2" in check({2: 10})
    assert "expected a map" in check([1])
    assert checker_for(T.TOptional(DIGIT))(None) is None
    assert checker_for(DIGIT)(None) is not None
    assert canonical({3: 1, 1: None}, M) == {1: None, 3: 1} and list(canonical({3: 1, 1: 2}, M)) == [1, 3]


@pytest.mark.parametrize("text, value", [
    ('{"1": 2, "3": null}', {1: 2, 3: None}),
    ("{3: 1, 1: none}", {1: None, 3: 1}),
    ("{}", {}),
])
def test_map_answers_parse(text: str, value: dict) -> None:
    assert parser_for(M)(text) == (value, None)


@pytest.mark.parametrize("text, why", [
    ('{"1": 2, "01": 3}', "repeats a key"),
    ('{"x": 2}', "key"),
    ('{"1": 10}', "value at"),
    ("[1, 2]", "expected an object"),
    ('{"1": 1, "2": 1, "3": 1, "4": 1, "5": 1}', "keys, not in len="),
])
def test_malformed_map_answers_are_refused_with_a_reason(text: str, why: str) -> None:
    value, reason = parser_for(M)(text)
    assert value is None and why in reason


def test_optional_answers() -> None:
    parse = parser_for(T.TOptional(DIGIT))
    assert parse("null") == (None, None) and parse(" None. ") == (None, None) and parse("7") == (7, None)
    assert parse("10")[1] is not None
    opt_str = T.TOptional(T.TStr())
    assert parser_for(opt_str)(render_answer("null", opt_str, "json")) == ("null", None)
    assert "or null" in format_instruction(T.TOptional(DIGIT), "tags")
    assert "object mapping keys (integers)" in format_instruction(M, "tags")


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["tags", "boxed", "json"]))
def test_rendered_answers_read_back(seed: int, fmt: str) -> None:
    for t in (M, T.TOptional(T.TStr(T.Interval(0, 3), frozenset("ab{}<"), "ab{}<")),
              T.TMap(T.TStr(T.Interval(1, 2), frozenset("n<{"), "n<{"), T.TOptional(T.TBool()), T.Interval(0, 3))):
        v = sampler_for(t)(random.Random(seed))
        rendered = render_answer(v, t, fmt)
        body = rendered if fmt == "json" else rendered.removeprefix("<answer>").removesuffix("</answer>") \
            if fmt == "tags" else rendered[len("\\boxed{"):-1]
        assert parser_for(t)(body) == (v, None), (t, v, rendered)


def test_pydantic_models_validate_and_sort() -> None:
    adapter = type_adapter(M)
    assert adapter.validate_json('{"3": 1, "1": null}') == {1: None, 3: 1}
    assert list(adapter.validate_python({3: 1, 1: 2})) == [1, 3]
    with pytest.raises(ValueError):
        adapter.validate_json('{"1": 1, "2": 1, "3": 1, "4": 1, "5": 1}')
    assert type_adapter(T.TOptional(DIGIT)).validate_json("null") is None


def test_expressions_run_and_instances_verify(loaded) -> None:
    for name in ("tally", "stock", "next_level"):
        env = loaded[name]
        for seed in range(30):
            inst = env.sample(seed)
            assert env.verify(inst, env.render_answer(inst.answer)).value == 1.0
    inst = loaded["tally"].sample(3)
    assert inst.answer == {x: inst.input["xs"].count(x) for x in sorted(set(inst.input["xs"]))}
    stock = loaded["stock"]
    answers = {json.dumps(stock.sample(s).answer) for s in range(40)}
    assert "null" in answers and len(answers) > 3


def test_load_and_compiled_agree_byte_for_byte(loaded, compiled) -> None:
    for name in ("tally", "stock", "next_level"):
        a, b = loaded[name], compiled.get(name)
        for seed in range(25):
            x, y = a.sample(seed), b.sample(seed)
            assert (x.id, x.prompt, x.input, x.answer) == (y.id, y.prompt, y.input, y.answer)
            assert json.dumps(x.input) == json.dumps(y.input)


@pytest.mark.parametrize("src, py", [
    ("x == none", "x is None"), ("x != none and y == none", "x is not None and y is None"),
    ("1 == none", "1 == None"), ("true == none", "True is None"),
])
def test_none_comparisons_compile_to_identity_without_warnings(src: str, py: str) -> None:
    import warnings

    from racesdsl.codegen.pyexpr import to_python

    module, _ = parse_text(f"env e {{ solve {src} }}")
    out = to_python(module.decls[0].clauses[0].body, free={"x": "x", "y": "y"})
    assert out == py
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(out, "<none>", "eval")
