"""Sampling distributions (docs/language.md §4 "Sampling distributions"): weighted choices,
bernoulli, log-uniform magnitudes and distinct lists; load() and a compiled package agree."""

from __future__ import annotations

import importlib
import math
import random
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.writer import package_files, write_files
from racesdsl.runtime.checks import checker_for
from racesdsl.runtime.distributions import Bernoulli, LogUniform, Weights, dist_sampler
from racesdsl.runtime.types import Interval, TBool, TEnum, TFloat, TInt, TList, assignable, show
from racesdsl.runtime.values import domain_size, sampler_for
from racesdsl.syntax.parser import parse_text
from racesdsl.syntax.printer import print_module

SPEC = '''env mix "Every distribution." {
    param q: Float[0.0..1.0] = 0.25
    input a: Int[0..2] ~ weights(3, 1, 0)
    input b: Bool ~ bernoulli(q)
    input c: Int[1..1000000] ~ loguniform
    input d: List[Int[1..9], len=9, distinct]
    input o: Enum["+", "-", "*"] ~ weights(1, 0, 2.5)
    input f: Float[0.001..1000.0] ~ loguniform
    output Int
    prompt """{{ a }} {{ b }} {{ c }} {{ d }} {{ o }} {{ f }}"""
    solve a + c + sum(d)
}
'''
N = 3000


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dist") / "mix.races"
    path.write_text(SPEC, encoding="utf-8")
    return path


def _z(count: int, n: int, p: float) -> float:
    """How many standard deviations `count` lies from a binomial(n, p)'s mean."""
    return abs(count - n * p) / math.sqrt(n * p * (1 - p))


def test_frequencies_follow_the_declared_distributions(spec: Path) -> None:
    env = racesdsl.load(spec)["mix"]
    inputs = [env.sample(s).input for s in range(N)]
    a, o = Counter(i["a"] for i in inputs), Counter(i["o"] for i in inputs)
    assert a[2] == 0 and o["-"] == 0  # weight 0: never drawn
    assert _z(a[0], N, 0.75) < 4 and _z(o["*"], N, 2.5 / 3.5) < 4
    assert _z(sum(i["b"] for i in inputs), N, 0.25) < 4
    assert _z(sum(env.sample(s, q=0.9).input["b"] for s in range(N)), N, 0.9) < 4
    # log-uniform over 1..10**6: each of the six decades gets about a sixth (uniform would give 90 % to the last)
    decades = Counter(len(str(i["c"])) for i in inputs)
    assert all(_z(decades[k], N, 1 / 6) < 4 for k in range(1, 7)), decades
    assert all(0.001 <= i["f"] <= 1000.0 for i in inputs)
    assert _z(sum(i["f"] < 1.0 for i in inputs), N, 0.5) < 4
    assert all(sorted(i["d"]) == list(range(1, 10)) for i in inputs)
    assert len({tuple(i["d"]) for i in inputs}) > N * 0.95  # permutations, not one order


def test_load_and_compiled_agree_byte_for_byte(spec: Path, tmp_path: Path) -> None:
    files = package_files(check_paths([spec]).program, "distpkg")
    write_files(files, tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        compiled = importlib.import_module("distpkg").get("mix")
        loaded = racesdsl.load(spec)["mix"]
        for seed in range(50):
            assert compiled.sample(seed).to_dict() == loaded.sample(seed).to_dict()
            assert compiled.sample(seed, q=0.5).to_dict() == loaded.sample(seed, q=0.5).to_dict()
    finally:
        sys.path.remove(str(tmp_path))


def test_a_distinct_list_is_checked_as_distinct_when_fed() -> None:
    t = TList(TInt(Interval(1, 9)), Interval(3, 3), True)
    check = checker_for(t)
    assert check([1, 2, 3]) is None and check([1, 2, 2]) == "its elements are not distinct"
    assert show(t) == "List[Int[1..9], len=3, distinct]"
    assert assignable(t, TList(TInt(Interval(0, 9)), Interval(0, 5)))
    assert not assignable(TList(TInt(Interval(1, 9)), Interval(3, 3)), t)  # a plain list may repeat
    assert domain_size(t) == 9 * 8 * 7


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 30), st.integers(0, 12), st.integers(0, 2**32))
def test_distinct_lists_never_repeat(size: int, extra: int, seed: int) -> None:
    n = min(size, extra)
    for elem in (TInt(Interval(0, size - 1)), TEnum(tuple(f"w{i}" for i in range(size)))):
        if size == 0:
            continue
        xs = sampler_for(TList(elem, Interval(0, n), True))(random.Random(seed))
        assert len(xs) == len(set(xs)) <= n


def test_uniform_stays_the_default_draws() -> None:
    """Without `distinct` a list samples as before (the stdlib byte goldens check the rest)."""
    plain = TList(TInt(Interval(0, 9)), Interval(5, 5))
    assert sampler_for(plain)(random.Random(3)) == sampler_for(plain)(random.Random(3))
    assert TList(TInt(), Interval()) == TList(TInt(), Interval(), False)


@given(st.lists(st.integers(0, 5), min_size=2, max_size=6).filter(any), st.integers(0, 2**32))
def test_a_weighted_draw_never_picks_a_zero_weight(weights: list[int], seed: int) -> None:
    draw = dist_sampler(TInt(Interval(0, len(weights) - 1)), Weights(tuple(weights)))
    rng = random.Random(seed)
    assert all(weights[draw(rng)] > 0 for _ in range(20))


def test_distributions_reject_types_they_do_not_fit() -> None:
    from racesdsl.runtime.values import SamplingError

    for t, d in [(TBool(), Bernoulli(1.5)), (TInt(Interval(0, 9)), LogUniform()),
                 (TFloat(Interval(0.0, 1.0)), LogUniform()), (TInt(Interval(0, 1)), Weights((1.0,)))]:
        with pytest.raises(SamplingError):
            dist_sampler(t, d)


def test_the_printer_round_trips_distributions() -> None:
    module, diags = parse_text(SPEC, "mix.races")
    assert not diags
    again, _ = parse_text(print_module(module), "mix.races")
    assert again == module
    assert "~ weights(3, 1, 0)" in print_module(module) and "len=9, distinct]" in print_module(module)


@pytest.mark.parametrize(("clause", "code"), [
    ("input x: Int[0..3] ~ weights(1, 2)", "E0340"),
    ("input x: Int[0..1] ~ weights(1, -2)", "E0340"),
    ("input x: Int[0..1] ~ weights(0, 0)", "E0340"),
    ("input x: Int[0..n] ~ weights(1, 2)", "E0340"),
    ("input x: Bool ~ bernoulli(n)", "E0341"),
    ("input x: Float[-1.0..1.0] ~ loguniform", "E0342"),
    ("input x: List[Int[1..3], len=1..4, distinct]", "E0343"),
    ("input x: Bool ~ weights(1, 1)", "E0344"),
    ("input x: Int[1..9] ~ bernoulli(0.5)", "E0344"),
])
def test_checker_codes(tmp_path: Path, clause: str, code: str) -> None:
    path = tmp_path / "bad.races"
    path.write_text(f'env bad {{\n    param n: Int[1..4] = 1\n    {clause}\n    output Int\n'
                    f'    prompt """{{{{ x }}}} {{{{ n }}}}"""\n    solve 1\n}}\n', encoding="utf-8")
    codes = [d.code for d in check_paths([path]).diagnostics if d.is_error]
    assert codes == [code]


def test_racesdsl_test_checks_the_frequencies(spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from racesdsl import selftest
    from racesdsl.runtime import env as env_module

    (report,) = selftest.run_selftest(racesdsl.load(spec), seeds=5).envs
    assert report.ok and report.checks["distribution"] == 5  # a, b, c, o and f (`d` is distinct: the inputs check)
    # A sampler that ignores the declared weights is caught (here: every input drawn uniformly).
    monkeypatch.setattr(env_module, "dist_sampler", lambda t, d: sampler_for(t))
    (broken,) = selftest.run_selftest(racesdsl.load(spec), seeds=5).envs
    assert [f.check for f in broken.failures] and {f.check for f in broken.failures} == {"distribution"}
    monkeypatch.undo()
    skewed = tmp_path / "skewed.races"
    skewed.write_text('env s {\n    input b: Bool ~ bernoulli(0.5)\n    input x: Int[0..9]\n    where b or x > 8\n'
                      '    output Int\n    prompt """{{ b }} {{ x }}"""\n    solve x\n}\n', encoding="utf-8")
    (warned,) = selftest.run_selftest(racesdsl.load(skewed), seeds=5).envs
    assert warned.ok and any("skew" in w.message for w in warned.warnings)
