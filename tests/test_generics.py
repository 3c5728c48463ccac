"""Generic environments (docs/language.md §4 "Type parameters"): checking under bounds,
instantiation at stage references, and instances that load() and compiled packages
sample byte for byte alike."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl.check.generics import satisfies, unify, written
from racesdsl.check.pipeline import check_paths, check_text
from racesdsl.check.resolve import ModuleScope
from racesdsl.check.typeexpr import TypeContext, resolve_type
from racesdsl.codegen.writer import package_files, write_files
from racesdsl.runtime import types as T
from racesdsl.syntax import ast as A
from racesdsl.syntax.parser import parse_text

WORDS = '''use std.lists.{sort_list, take_first, reverse_list, dedupe}
use std.aggregates.{list_max, count_distinct}

env sort_words "Sort a list of words alphabetically." {
    input ws: List[Str[len=1..8, chars="a-z"], len=3..8]
    output List[Str[len=1..8, chars="a-z"], len=3..8]
    prompt """Sort these words alphabetically: {{ ws }}"""
    step """sort the words {{ ws }} alphabetically"""
    solve sorted(ws)
}

env positives "Some positive numbers." {
    input xs: List[Int[1..50], len=5..8]
    output List[Int[1..50], len=5..8]
    prompt """Copy the list {{ xs }}."""
    step """copy the list {{ xs }}"""
    solve xs
}

env gcd_list "Greatest common divisor of three positive numbers." {
    input xs: List[Int[1..50], len=3]
    output Int[1..50]
    prompt """What is the greatest common divisor of {{ xs }}?"""
    solve gcd(xs[0], xs[1], xs[2])
}

compose first_words = seq(sort_words, take_first(k=3))
compose positive_gcd = seq(positives, sort_list, take_first(k=3), gcd_list)
compose words_alone = take_first[Str[len=1..8, chars="a-z"]](k=2)
compose last_word = seq(sort_words, reverse_list, list_max)
compose both = par(seq(sort_words, sort_list, take_first(k=2)), seq(positives, reverse_list, take_first(k=2)))
compose plan = select(sort_words, sort_list, reverse_list; distractors: dedupe)
compose distinct = seq(sort_words, count_distinct[Str[len=1..8, chars="a-z"]]()[xs])
compose ordered = sort(sort_words, dedupe, list_max)
compose named = seq(first_words, reverse_list)
'''


@pytest.fixture(scope="module")
def words(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("generics") / "words.races"
    path.write_text(WORDS, encoding="utf-8")
    return path


def test_words_through_take_first_check_sample_and_ask_for_strings(words: Path) -> None:
    result = check_paths([words])
    assert result.ok, result.diagnostics
    env = racesdsl.load(words)["first_words"]
    inst = env.sample(3)
    assert "a JSON list of strings" in inst.prompt
    assert all(isinstance(w, str) for w in inst.answer[-1]) and len(inst.answer[-1]) == 3
    assert env.verify(inst, env.render_answer(inst.answer)).value == 1.0


def test_positive_numbers_keep_their_type_through_every_stage(words: Path) -> None:
    comp = check_paths([words]).program.composites["words.positive_gcd"]
    outputs = [T.show(c.output) for c in comp.root.children]
    assert outputs[1:3] == ["List[Int[1..50], len=5..8]", "List[Int[1..50], len=3]"]


def test_an_explicit_instance_samples_its_type_and_parses_strings(words: Path) -> None:
    env = racesdsl.load(words)["words_alone"]
    inst = env.sample(0)
    assert len(inst.answer) == 2 and all(isinstance(w, str) and w.isalpha() for w in inst.answer)
    assert env.verify(inst, '<answer>["' + '", "'.join(inst.answer) + '"]</answer>').value == 1.0
    assert env.verify(inst, "<answer>[1, 2]</answer>").value == 0.0


def test_a_generic_env_heading_a_chain_samples_its_default(words: Path) -> None:
    env = racesdsl.load(words)["positive_gcd"]
    assert env.sample(1).prompt.startswith("Solve this task step by step.")
    spec = words.parent / "head.races"
    spec.write_text("use std.lists.{take_first, reverse_list}\ncompose c = seq(take_first(k=3), reverse_list)\n", encoding="utf-8")
    inst = racesdsl.load(spec)["c"].sample(2)
    assert all(isinstance(x, int) and -99 <= x <= 99 for x in inst.answer[0])


@pytest.mark.parametrize("name", ["both", "plan", "distinct", "ordered", "named", "last_word"])
def test_every_operator_instantiates_its_stages(words: Path, name: str) -> None:
    env = racesdsl.load(words)[name]
    for seed in range(5):
        inst = env.sample(seed)
        assert env.verify(inst, env.render_answer(inst.answer)).value == 1.0


def test_compiled_package_samples_generic_composites_as_load_does(words: Path, tmp_path: Path) -> None:
    program = check_paths([words]).program
    write_files(package_files(program, "generic_pkg"), tmp_path)
    loaded = racesdsl.load(words)
    sys.path.insert(0, str(tmp_path))
    try:
        built = importlib.import_module("generic_pkg")
        for name in ("first_words", "positive_gcd", "words_alone", "last_word", "both", "plan", "distinct",
                     "ordered", "named"):
            for seed in range(8):
                a, b = loaded[name].sample(seed), built.get(name).sample(seed)
                assert json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)
    finally:
        sys.path.remove(str(tmp_path))


def _codes(text: str) -> list[str]:
    return [d.code for d in check_text(text).errors]


GENERIC = '''env first[T: {bound}] "First element." {{
    input xs: List[T, len=1..5]
    output T
    prompt """First of {{{{ xs }}}}."""
    solve {solve}
}}
'''


@pytest.mark.parametrize(("bound", "solve", "codes"), [
    ("Any", "xs[0]", []), ("Any", "sorted(xs)[0]", ["E0323"]), ("Ord", "sorted(xs)[0]", []),
    ("Ord", "min(xs)", []), ("Eq", "max(xs)", ["E0323"]), ("Ord", "sum(xs)", ["E0323"]),
    ("Num", "sum(xs)", []), ("Any", "xs[0] + xs[1]", ["E0323"]), ("Eq", "xs[count(xs, xs[0]) - 1]", []),
    ("Any", "xs[count(xs, xs[0]) - 1]", ["E0323"]), ("Ord", "xs[0] if xs[0] < xs[1] else xs[1]", []),
])
def test_a_body_may_use_only_what_its_bound_promises(bound: str, solve: str, codes: list[str]) -> None:
    assert _codes(GENERIC.format(bound=bound, solve=solve)) == codes


def test_instances_are_checked_at_their_types() -> None:
    text = GENERIC.format(bound="Num", solve="xs[0]") + "compose a = first[Float[0.0..1.0]]\ncompose b = first[Str]\n"
    assert _codes(text) == ["E0322"]


_elem = st.one_of(
    st.tuples(st.integers(-50, 0), st.integers(0, 50)).map(lambda b: T.TInt(T.Interval(*b))),
    st.integers(1, 6).map(lambda n: T.TStr(T.Interval(1, n), frozenset("ab"), "ab")),
    st.just(T.TBool()),
    st.lists(st.sampled_from("xyz"), min_size=1, max_size=3, unique=True).map(lambda v: T.TEnum(tuple(v))),
)
_types = st.recursive(_elem, lambda inner: st.one_of(
    st.builds(lambda e, n: T.TList(e, T.Interval(0, n)), inner, st.integers(0, 4)),
    st.lists(inner, min_size=1, max_size=3).map(lambda items: T.TTuple(tuple(items)))), max_leaves=4)


def _ctx() -> TypeContext:
    return TypeContext(ModuleScope("m", Path("m.races"), "m.races", None))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_types)
def test_written_types_read_back_and_unify_with_themselves(t: T.TType) -> None:
    texpr = written(t)
    assert texpr is not None and resolve_type(texpr, _ctx()) == t
    module, _ = parse_text("env e { input x: List[T, len=0..9] }")
    pattern = module.decls[0].inputs[0].type
    found: dict[str, T.TType] = {}
    assert unify(pattern, T.TList(t, T.Interval(0, 3)), frozenset({"T"}), found) is None
    assert found == {"T": t}
    assert satisfies(t, "Eq") and satisfies(t, "Num") == isinstance(t, T.TInt)


def test_unify_reports_a_shape_mismatch() -> None:
    pattern = A.ListType(A.NamedType(("T",)))
    assert unify(pattern, T.TInt(T.Interval(0, 1)), frozenset({"T"}), {}) == "it is not a list"
