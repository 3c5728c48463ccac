"""`verify check EXPR` (docs/language.md §4 `verify`): a predicate over the parsed answer,
inputs and params scores completions; malformed answers and failing predicates score 0 with
a reason; `load()` and the compiled package agree; `racesdsl test` counts alternatives."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.writer import package_files, write_files
from racesdsl.selftest import run_selftest

SPEC = '''
env any_member "Name any element of a list." {
    param lo: Int[0..5] = 0
    input xs: List[Int[0..9], len=1..6]
    output Int[0..9]
    prompt """Name any element of {{ xs }} that is at least {{ lo }}, or the largest."""
    solve max(xs)
    verify check answer in xs and (answer >= lo or answer == max(xs))
}

env cover "Pick numbers adding up to a target; partial credit below it." {
    input xs: List[Int[1..9], len=2..6]
    input target: Int[1..12]
    output List[Int[1..9], len=0..6]
    where sum(xs) >= target
    prompt """Pick numbers from {{ xs }} adding up to at least {{ target }}."""
    solve xs
    verify check min(1.0, sum(answer) / target) if all([x in xs for x in answer]) else 0.0
}

env lookup "A value of a map." {
    input m: Map[Enum["a", "b", "c"], Int[0..9], len=1..3]
    output Enum["a", "b", "c"]
    prompt """Name a key of {{ m | json }}."""
    solve [k for k in m][0]
    verify check m[answer] >= 0
}

env vacuous "A check that hardly reads the answer." {
    input x: Int[0..9]
    output Int[0..99]
    prompt """Any number near {{ x }}."""
    solve x
    verify check answer >= 0
}

env too_much "A score outside [0, 1]." {
    input x: Int[0..9]
    output Int[0..9]
    prompt """{{ x }}?"""
    solve x
    verify check answer / 4
}
'''


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("check") / "checks.races"
    path.write_text(SPEC, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def loaded(spec_path):
    return racesdsl.load(spec_path)


def _tags(text: str) -> str:
    return f"<answer>{text}</answer>"


def test_the_envs_check_clean_and_are_not_exact(spec_path) -> None:
    result = check_paths([spec_path])
    assert [d.code for d in result.diagnostics] == []
    assert {e.verify for e in result.program.envs.values()} == {"check"}
    assert not any(e.exact for e in result.program.envs.values())


def test_a_predicate_accepts_every_right_answer(loaded) -> None:
    env = loaded["any_member"]
    inst = env.sample(4, lo=0)
    for x in inst.input["xs"]:
        assert env.verify(inst, _tags(str(x))).value == 1.0
    wrong = next(x for x in range(10) if x not in inst.input["xs"])
    score = env.verify(inst, _tags(str(wrong)))
    assert score.value == 0.0 and "fails the check" in score.reason


def test_params_are_in_scope(loaded) -> None:
    env = loaded["any_member"]
    inst = next(i for s in range(50) if min((i := env.sample(s, lo=5)).input["xs"]) < 5 < max(i.input["xs"]))
    small = min(inst.input["xs"])
    assert env.verify(inst, _tags(str(small))).value == 0.0
    assert env.verify(inst, _tags(str(max(inst.input["xs"])))).value == 1.0


def test_partial_credit(loaded) -> None:
    env = loaded["cover"]
    inst = next(i for s in range(50) if (i := env.sample(s)).input["target"] >= 4 and 1 in i.input["xs"])
    score = env.verify(inst, _tags("[1]"))
    assert score.value == pytest.approx(1 / inst.input["target"]) and "scored" in score.reason
    assert env.verify(inst, env.render_answer(inst.answer)).value == 1.0
    assert env.verify(inst, _tags("[0]")).value == 0.0  # outside the output type: not parsed


@pytest.mark.parametrize("completion, why", [
    ("no tags here", "no <answer>"),
    (_tags("[1, x]"), "could not parse"),
    (_tags("{}"), "could not parse"),
])
def test_malformed_answers_score_zero_with_a_reason(loaded, completion: str, why: str) -> None:
    env = loaded["cover"]
    score = env.verify(env.sample(0), completion)
    assert score.value == 0.0 and why in score.reason


def test_a_failing_predicate_is_a_zero_not_an_exception(loaded) -> None:
    env = loaded["lookup"]
    inst = next(i for s in range(50) if len((i := env.sample(s)).input["m"]) < 3)
    missing = next(k for k in "abc" if k not in inst.input["m"])
    score = env.verify(inst, _tags(missing))
    assert score.value == 0.0 and "KeyError" in score.reason
    assert env.verify(inst, _tags(inst.answer)).value == 1.0


def test_a_score_outside_the_unit_interval_is_a_zero(loaded) -> None:
    env = loaded["too_much"]
    inst = env.sample(0)
    assert env.verify(inst, _tags("8")).value == 0.0
    assert "not a number in [0, 1]" in env.verify(inst, _tags("8")).reason
    assert env.verify(inst, _tags("2")).value == 0.5


def test_compiled_package_agrees(spec_path, loaded, tmp_path) -> None:
    write_files(package_files(check_paths([spec_path]).program, "checks_pkg"), tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        pkg = importlib.import_module("checks_pkg")
        for name in ("any_member", "cover", "lookup"):
            a, b = loaded[name], pkg.get(name)
            for seed in range(15):
                x, y = a.sample(seed), b.sample(seed)
                assert (x.id, x.prompt, x.answer) == (y.id, y.prompt, y.answer)
                for text in ("1", "[1, 2]", "a", "b", "[9]", "junk"):
                    assert a.verify(x, _tags(text)) == b.verify(y, _tags(text))
    finally:
        sys.path.remove(str(tmp_path))


def test_selftest_counts_alternatives_and_warns_on_a_vacuous_check(loaded) -> None:
    report = run_selftest(loaded, seeds=8, names=["any_member", "vacuous", "cover"])
    by_env = {e.env.rsplit(".", 1)[-1]: e for e in report.envs}
    assert report.ok, [f.message for e in report.envs for f in e.failures]
    assert by_env["any_member"].alternatives > 0  # a near miss that is in the list passes
    assert by_env["any_member"].to_json()["alternatives"] == by_env["any_member"].alternatives
    assert any("accepted all" in w.message for w in by_env["vacuous"].warnings)
    assert not any("accepted all" in w.message for w in by_env["any_member"].warnings)


def test_a_check_env_cannot_feed_a_later_stage(tmp_path: Path) -> None:
    path = tmp_path / "pipe.races"
    path.write_text(SPEC + '''
env double "Double a number." {
    input x: Int[0..9]
    output Int[0..18]
    prompt """Double {{ x }}."""
    solve 2 * x
}

compose pick_then_double = seq(any_member, double)
''', encoding="utf-8")
    assert "E0313" in [d.code for d in check_paths([path]).diagnostics]


def test_a_check_env_may_be_the_last_stage(tmp_path: Path) -> None:
    path = tmp_path / "last.races"
    path.write_text(SPEC + '''
env halve "Halve a number, rounding down." {
    input x: Int[0..18]
    output Int[0..9]
    prompt """Halve {{ x }}."""
    solve x // 2
}

env near "Any number within one of a number." {
    input x: Int[0..9]
    output Int[0..10]
    prompt """Name a number within one of {{ x }}."""
    solve x
    verify check answer - x <= 1 and x - answer <= 1
}

compose halve_then_near = seq(halve, near)
''', encoding="utf-8")
    comp = racesdsl.load(path)["halve_then_near"]
    inst = comp.sample(3)
    assert comp.verify(inst, comp.render_answer(inst.answer, **inst.params)).value == 1.0
    *steps, last = inst.answer  # one answer per step; the last is the check env's

    def with_last(x: int) -> str:
        return comp.render_answer([*steps, x], **inst.params)

    assert comp.verify(inst, with_last(last + 1 if last < 10 else last - 1)).value == 1.0
    assert comp.verify(inst, with_last((last + 5) % 11)).value < 1.0


def test_a_check_reads_draws_and_lets_as_solve_does(tmp_path) -> None:
    import racesdsl

    spec = tmp_path / "lc.races"
    spec.write_text('''env multiple "Name a multiple." {
    input n: Int[2..20]
    draw k: Int[2..3]
    let m = n * k
    prompt """Name a multiple of {{ m }} below 200."""
    output Int[1..200]
    solve m
    verify check answer % m == 0
}
''', encoding="utf-8")
    env = racesdsl.load(spec)["multiple"]
    for seed in range(5):
        inst = env.sample(seed)
        m = inst.input["n"] * inst.input["k"]
        assert env.verify(inst, f"<answer>{2 * m}</answer>").value == 1.0
        assert env.verify(inst, f"<answer>{m + 1}</answer>").value == 0.0
