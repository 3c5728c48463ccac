"""Type flow (docs/language.md §5, "Types flow through a composition"): a stage hands
on its declared output met with what its `solve` makes of the types it receives."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl.check import flow
from racesdsl.check.flow import Flow, meet
from racesdsl.check.fusion import FusionChecker
from racesdsl.check.pipeline import check_paths, check_text
from racesdsl.compose.graph import _PairChecker, kinds_fit, seq_links
from racesdsl.loader import build_composite
from racesdsl.lsp.hover import stage_text
from racesdsl.runtime import types as T
from racesdsl.runtime.checks import checker_for
from racesdsl.syntax import ast as A

ROOT = Path(__file__).resolve().parent.parent
IV = T.Interval

POSITIVE_CHAIN = """use std.lists.{sort_list, take_first}

env doubled "Double every number of a list." {
    param n: Int[3..8] = 5
    input xs: List[Int[1..25], len=n]
    output List[Int[2..50], len=n]
    prompt \"\"\"Double every number of {{ xs }}.\"\"\"
    solve [2 * x for x in xs]
}

env gcd_of_two "Greatest common divisor of a pair of positive numbers." {
    input xs: List[Int[1..100], len=2]
    output Int[1..100]
    prompt \"\"\"What is the greatest common divisor of the two numbers in {{ xs }}?\"\"\"
    solve gcd(xs[0], xs[1])
}

compose c = seq(doubled, sort_list, take_first(k=2), gcd_of_two)
"""


def errors(text: str) -> list[str]:
    return [f"{d.code} {d.message}" for d in check_text(text).errors]


@pytest.fixture
def no_flow(monkeypatch):
    """The checker as it was before type flow: every stage hands on its declared output."""
    monkeypatch.setattr(flow.Flow, "handed_on", lambda self, env, declared, *rest: declared)


# ------------------------------------------------------------------ meet


def test_meet_takes_the_tighter_bounds_and_keeps_the_declared_constructor() -> None:
    small = T.TList(T.TInt(IV(-99, 99)), IV(2, 12))
    assert meet(small, T.TList(T.TInt(IV(1, 50)), IV(0, 3))) == T.TList(T.TInt(IV(1, 50)), IV(2, 3))
    assert meet(T.TFloat(IV(0, 10)), T.TInt(IV(2, 3))) == T.TFloat(IV(2, 3))  # a float stays a float
    word = T.TStr(IV(1, 8), frozenset("abcdefghijklmnopqrstuvwxyz"), "a-z")
    assert meet(word, T.TStr(IV(3, 20), frozenset("abc"), "a-c")) == T.TStr(IV(3, 8), frozenset("abc"), "a-c")
    assert meet(word, T.TEnum(("yes", "NO"))) == T.TEnum(("yes",))
    pair = T.TTuple((T.TInt(IV(0, 9)), T.TBool()))
    assert meet(pair, T.TTuple((T.TInt(IV(3, 20)), T.TBool()))) == T.TTuple((T.TInt(IV(3, 9)), T.TBool()))


def test_meet_never_narrows_to_nothing_or_across_kinds() -> None:
    assert meet(T.TInt(IV(0, 9)), T.TInt(IV(20, 30))) == T.TInt(IV(0, 9))  # disjoint: nothing to narrow to
    assert meet(T.TInt(IV(0, 9)), T.TFloat(IV(1, 2))) == T.TInt(IV(0, 9))
    assert meet(T.TInt(IV(0, 9)), T.TAny()) == T.TInt(IV(0, 9))
    assert meet(T.TList(T.TInt(IV(0, 9))), T.TTuple(())) == T.TList(T.TInt(IV(0, 9)))


_ints = st.builds(lambda a, b: T.TInt(IV(min(a, b), max(a, b))), st.integers(-50, 50), st.integers(-50, 50))
_lens = st.builds(lambda a, b: IV(min(a, b), max(a, b)), st.integers(0, 9), st.integers(0, 9))
_strs = st.builds(lambda n, c: T.TStr(n, frozenset(c) if c else None), _lens, st.sets(st.sampled_from("abcxyz")))
_leaves = st.one_of(_ints, _strs, st.just(T.TBool()), st.builds(
    lambda vs: T.TEnum(tuple(dict.fromkeys(vs))), st.lists(st.sampled_from(["a", "ab", "xyz", "Q"]), min_size=1)))
_types = st.recursive(_leaves, lambda inner: st.one_of(
    st.builds(T.TList, inner, _lens), st.builds(lambda xs: T.TTuple(tuple(xs)), st.lists(inner, max_size=3))),
    max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(declared=_types, inferred=_types)
def test_meet_is_a_subtype_of_the_declared_type(declared: T.TType, inferred: T.TType) -> None:
    out = meet(declared, inferred)
    assert T.assignable(out, declared), (T.show(declared), T.show(inferred), T.show(out))
    if T.assignable(declared, inferred):  # nothing to take away
        assert T.assignable(declared, out)


# ------------------------------------------------------------------ checking


# The same chain through a sort that is not generic: only type flow keeps the positives
# (generic `sort_list` and `take_first` keep them by instantiation as well).
PLAIN_SORT_CHAIN = POSITIVE_CHAIN.replace("use std.lists.{sort_list, take_first}", """use std.lists.{take_first}

env sort_plain "Sort a list of numbers." {
    param n: Int[2..12] = 5
    input xs: List[Int[-99..99], len=n]
    output List[Int[-99..99], len=n]
    prompt \"\"\"Sort {{ xs }}.\"\"\"
    solve sorted(xs)
}""").replace("seq(doubled, sort_list,", "seq(doubled, sort_plain,")


def test_positives_keep_their_range_through_a_plain_sort_only_by_flow(no_flow) -> None:
    assert any(e.startswith("E0310") and "gcd_of_two" in e for e in errors(PLAIN_SORT_CHAIN))


def test_positives_flow_through_a_plain_sort() -> None:
    assert errors(PLAIN_SORT_CHAIN) == []


def test_positives_flow_through_sort_and_take_into_a_gcd() -> None:
    result = check_text(POSITIVE_CHAIN)
    assert result.errors == []
    (comp,) = result.program.composites.values()
    handed = [T.show(s.output) for s in comp.root.children]
    assert handed == ["List[Int[2..50], len=3..8]", "List[Int[2..50], len=3..8]",
                      "List[Int[2..50], len=2]", "Int[1..50]"]
    assert T.show(comp.signature.output) == "Int[1..100]"  # the contract stays declared


def test_hover_shows_what_a_stage_hands_on() -> None:
    (comp,) = check_text(POSITIVE_CHAIN).program.composites.values()
    take, gcd = comp.root.children[2], comp.root.children[3]
    assert "- produces: `List[Int[2..50], len=2]`" in stage_text(take, comp.root.children[1].output)
    assert "- receives: `List[Int[2..50], len=2]` from the previous stage" in stage_text(gcd, take.output)


STDLIB_CHAINS = [
    "seq(logic.flip_bits, lists.sort_desc, logic.xor_bits)",  # bits stay bits through a sort
    "seq(logic.flip_bits, lists.rotate_left, numbers.from_binary)",
    "seq(graphs.degree_sequence, lists.double_all, lists.total)",  # doubled degrees stay small
    "seq(aggregates.count_distinct, combinatorics.triangular_number, numbers.is_prime)",
]


def _stdlib_text(chain: str) -> str:
    modules = sorted({part.strip().split(".")[0] for part in chain[4:-1].split(",")})
    return "".join(f"use std.{m}\n" for m in modules) + f"compose c = {chain}\n"


@pytest.mark.parametrize("chain", STDLIB_CHAINS)
def test_stdlib_chains_that_fuse_through_type_flow(chain: str) -> None:
    assert errors(_stdlib_text(chain)) == []


# The first two also fuse without flow now: `sort_desc` and `rotate_left` are generic, so
# their instances hand on the bits they receive.
@pytest.mark.parametrize("chain", STDLIB_CHAINS[2:])
def test_the_same_stdlib_chains_were_rejected_before(chain: str, no_flow) -> None:
    assert [e[:5] for e in errors(_stdlib_text(chain))] == ["E0310"]


def test_python_solvers_hand_on_their_declared_output() -> None:
    wide = POSITIVE_CHAIN.replace("output List[Int[2..50], len=n]", "output List[Int[-99..99], len=n]")
    assert errors(wide) == []  # `[2 * x for x in xs]` of Int[1..25] is within 2..50 whatever is declared
    opaque = wide.replace("solve [2 * x for x in xs]", 'solve python "racesdsl_std.lists:double"')
    assert [e[:5] for e in errors(opaque)] == ["E0310"]
    assert "Int[-99..99]" in errors(opaque)[0]


def test_the_runtime_is_unchanged_by_type_flow(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "c.races"
    path.write_text("use std.lists.{sort_list, abs_all, total}\ncompose c = seq(sort_list, abs_all, total)\n",
                    encoding="utf-8")
    flowing = [racesdsl.load(path)["c.c"].sample(seed) for seed in range(5)]
    monkeypatch.setattr(flow.Flow, "handed_on", lambda self, env, declared, *rest: declared)
    assert [racesdsl.load(path)["c.c"].sample(seed) for seed in range(5)] == flowing


def test_reinference_is_cached_per_env_and_incoming_types(monkeypatch) -> None:
    calls: list[str] = []
    real = flow._handed_on
    monkeypatch.setattr(flow, "_handed_on", lambda env, *a: calls.append(env.name) or real(env, *a))
    text = POSITIVE_CHAIN + "".join(f"compose c{i} = seq(doubled, sort_list, take_first(k=2), gcd_of_two)\n"
                                    for i in range(5))
    assert check_text(text).errors == []
    assert sorted(calls) == ["doubled", "gcd_of_two", "sort_list", "take_first"]


# ------------------------------------------------------------------ graph and soundness

_PROGRAM = check_paths([ROOT / "specs"]).program
_STDLIB = racesdsl.load(ROOT / "specs")


def test_graph_finds_links_through_type_flow() -> None:
    links = {(lk.a, lk.b): lk for lk in seq_links(_PROGRAM, firsts=["lists.top_k"])}
    assert ("lists.top_k", "lists.sort_list") in links  # top_k(n=8, k=3) hands on len=3, not len=1..3
    assert links["lists.top_k", "lists.sort_list"].fix_a


def _checked(checker: _PairChecker, chain: list[str]):
    """The composite `seq(*chain)` checked against the stdlib, or None if it has errors."""
    diags: list = []
    checker.count += 1
    decl = A.ComposeDecl(f"_flow_{checker.count}", None, A.OpExpr("seq", tuple(A.StageRef((q,)) for q in chain)))
    info = FusionChecker(_PROGRAM.envs, diags, checker.flow).composite(decl, checker.scope)
    return None if info is None or any(d.is_error for d in diags) else info


_CHECKER = _PairChecker(_PROGRAM)
_CHECKER.flow = Flow()


def _random_chain(seed: int, depth: int):
    """A random chain the checker accepts, grown one stage at a time among kind-compatible envs."""
    rng = random.Random(seed)
    envs = _PROGRAM.envs
    chain = [rng.choice(sorted(envs))]
    info = None
    while len(chain) < depth:
        last = envs[chain[-1]]
        nexts = [q for q in sorted(envs) if len(envs[q].inputs) == 1 and kinds_fit(last.output, envs[q].inputs[0].type)]
        rng.shuffle(nexts)
        for q in nexts[:12]:
            info = _checked(_CHECKER, [*chain, q])
            if info is not None:
                chain.append(q)
                break
        else:
            return None
    return chain, info


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), depth=st.integers(2, 4))
def test_chains_accepted_through_flow_sample_and_hand_on_what_flow_says(seed: int, depth: int) -> None:
    found = _random_chain(seed, depth)
    if found is None:
        return
    chain, info = found
    env = build_composite(info, dict(_STDLIB._envs), {})
    for s in range(3):
        inst = env.sample(seed % 1000 + s)  # no SamplingError, no SolverError
        assert env.sample(seed % 1000 + s) == inst
        run, _ = env.run_of(inst)
        for stage, child in zip(info.root.children, run.children, strict=True):
            assert checker_for(stage.output)(child.output) is None, (chain, stage.label, T.show(stage.output))
        assert env.verify(inst, env.render_answer(inst.answer)).value == 1.0
        k = len(chain)
        wrong = random.Random(seed + s).randrange(k)
        steps = [json.dumps(v) for v in inst.answer]
        steps[wrong] = json.dumps({"wrong": True})
        text = "".join(f"<step{i}>{x}</step{i}>" for i, x in enumerate(steps, 1))
        assert env.verify(inst, text).value == pytest.approx(wrong / k)
