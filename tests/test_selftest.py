"""The soundness self-test (`racesdsl.selftest`): the stdlib passes it, and every
deliberately broken env in tests/fixtures/broken is caught by the check meant for
it, with a message that says what is wrong and the seed that shows it."""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import racesdsl
from racesdsl.runtime.env import SolverError
from racesdsl.runtime.score import Score
from racesdsl.selftest import CHECKS, EnvReport, Report, render_table, run_selftest

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "tests" / "fixtures" / "broken"


@pytest.fixture(scope="module")
def broken() -> Report:
    return run_selftest(racesdsl.load(BROKEN), seeds=10)


def env_report(report: Report, name: str) -> EnvReport:
    return next(e for e in report.envs if e.env.rsplit(".", 1)[-1] == name)


def test_stdlib_passes() -> None:
    program = racesdsl.load(ROOT / "specs")
    report = run_selftest(program, seeds=10)
    assert [e.env for e in report.envs] == program.roots
    assert report.ok, render_table(report)
    for e in report.envs:  # every check ran on every env (param_ends needs a param)
        assert set(e.checks) >= set(CHECKS) - {"param_ends"}, e.env
        assert e.checks["reference"] == 10


@pytest.mark.parametrize(("name", "check", "fragments"), [
    ("wrong_solver", "output_type", ["the solver's answer", "is outside the output type", "not in Int[0..9]"]),
    ("bad_sampler", "inputs", ["the custom sampler's `x` is outside its type", "not in Int[0..9]"]),
    ("reject_all", "reference", ["the reference completion", "scored 0", "reject_everything"]),
    ("where_at_end", "param_ends", ["at n=1", "no input satisfied `where len(xs) >= 2`"]),
    ("solver_raises", "output_type", ["the solver raised ZeroDivisionError", "'x': 0"]),
    ("nondeterministic", "deterministic", ["sampling the seed twice gave a different input"]),
])
def test_broken_env_is_caught(broken: Report, name: str, check: str, fragments: list[str]) -> None:
    e = env_report(broken, name)
    assert not e.ok
    assert {f.check for f in e.failures} == {check}, e.failures
    hits = [f for f in e.failures if all(x in f.message for x in fragments)]
    assert hits, e.failures
    assert all(f.seed is not None for f in hits)


def test_failures_name_a_seed_that_reproduces_them(broken: Report) -> None:
    program = racesdsl.load(BROKEN)
    failure = env_report(broken, "wrong_solver").failures[0]
    with pytest.raises(SolverError, match="outside the output type"):
        program["wrong_solver"].sample(failure.seed)
    failure = env_report(broken, "solver_raises").failures[0]
    with pytest.raises(SolverError, match="ZeroDivisionError"):
        program["solver_raises"].sample(failure.seed)


def test_prompt_leak_is_a_warning(broken: Report) -> None:
    e = env_report(broken, "leaky_prompt")
    assert e.ok
    assert [w.check for w in e.warnings] == ["prompt_leak"]
    assert "the prompt contains the answer" in e.warnings[0].message


def test_python_verifier_accepting_near_misses_is_a_warning(broken: Report) -> None:
    e = env_report(broken, "accept_all")
    assert e.ok
    assert {w.check for w in e.warnings} == {"perturbed"}
    assert any("near miss `+1`" in w.message and "scored 1.0" in w.message for w in e.warnings)


def test_lenient_builtin_verifier_fails_perturbed(monkeypatch: pytest.MonkeyPatch) -> None:
    program = racesdsl.load(ROOT / "specs" / "lists.races")
    monkeypatch.setattr(program["sort_list"], "verify", lambda inst, completion: Score.ok())
    report = run_selftest(program, seeds=3, names=["sort_list"])
    e = report.envs[0]
    assert {f.check for f in e.failures} == {"perturbed"}
    labels = {re.search(r"`([^`]*)`", f.message).group(1) for f in e.failures}
    assert {"swapped two elements", "dropped the last element", "empty list", "wrong type",
            "empty completion", "first element: +1"} <= labels
    assert len(labels) == len(e.failures)  # one failure per kind of near miss, not per seed


def test_a_check_that_raises_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    program = racesdsl.load(ROOT / "specs" / "lists.races")

    def boom(*args: object, **kwargs: object) -> str:
        raise RuntimeError("render failed")

    monkeypatch.setattr(program["total"], "render_answer", boom)
    e = run_selftest(program, seeds=2, names=["total"]).envs[0]
    assert [(f.check, f.seed) for f in e.failures] == [("reference", 0), ("reference", 1)]
    assert "the check raised RuntimeError: render failed" in e.failures[0].message


ACCEPTING = '''
env mean "Mean of a list." {
    input xs: List[Int[0..10], len=1..10]
    output Float[0.0..10.0]
    verify tolerance(1e-6)
    prompt """What is the mean of {{ xs }}?"""
    solve sum(xs) / len(xs)
}

env evens "The even numbers of a list, in any order." {
    input xs: List[Int[0..50], len=2..10]
    output List[Int[0..50], len=0..10]
    verify unordered
    prompt """List the even numbers in {{ xs }}, in any order."""
    solve [x for x in xs if x % 2 == 0]
}

env cube "Cube of a small number." {
    input x: Int[-20..20]
    output Int[-8000..8000]
    answer boxed
    prompt """Compute {{ x }}^3."""
    solve x ** 3
}

env swap "Swap a pair." {
    input p: Tuple[Int[0..9], Str[len=1..4, chars="a-c"]]
    output Tuple[Str[len=1..4, chars="a-c"], Int[0..9]]
    answer json
    prompt """Swap the pair {{ p | json }}."""
    solve (p[1], p[0])
}

env scaled "Scale each number." {
    param n: Int[1..6] = 3
    param scale: Float[0.5..2.0] = 1.0
    param flip: Bool = false
    param mode: Enum["up", "down"] = "up"
    input xs: List[Int[0..99], len=n]
    output List[Float[-200.0..200.0], len=n]
    verify tolerance(0.01)
    prompt """Multiply each of {{ xs }} by {{ scale }}{% if flip %} and negate{% endif %} ({{ mode }})."""
    solve [(-1 if flip else 1) * x * scale for x in xs]
}

env tally "Count a word." {
    input w: Enum["red", "green", "blue"]
    input k: Int[1..3]
    output {word: Enum["red", "green", "blue"], times: Int[1..3], many: Bool}
    prompt """Say {{ w }} {{ k }} times."""
    solve {word: w, times: k, many: k > 1}
}
'''


def test_verifiers_that_rightly_accept_pass(tmp_path: Path) -> None:
    """Reorderings under `unordered` and small errors under `tolerance` are not near misses;
    the other formats and output types raise no false alarm either."""
    spec = tmp_path / "accepting.races"
    spec.write_text(ACCEPTING, encoding="utf-8")
    report = run_selftest(racesdsl.load(spec), seeds=15)
    assert report.ok and report.n_warnings == 0, render_table(report)
    scaled = env_report(report, "scaled")
    assert scaled.checks["param_ends"] == 6  # n=1, n=6, scale=0.5, scale=2.0, flip=true, mode="down"


def test_report_json_and_table(broken: Report) -> None:
    data = json.loads(json.dumps(broken.to_json()))
    assert data["ok"] is False and data["seeds"] == 10
    assert data["summary"] == {"envs": 8, "checks": broken.n_checks, "failures": broken.n_failures,
                               "warnings": broken.n_warnings}
    first = next(e for e in data["envs"] if e["failures"])
    assert set(first["failures"][0]) == {"check", "seed", "message"}
    table = render_table(broken)
    for e in broken.envs:
        assert e.env in table
    for e in broken.envs:
        if not e.ok:
            row = next(line for line in table.splitlines() if line.startswith(e.env + " "))
            assert f"{e.failures[0].check} (seed {e.failures[0].seed})" in row
    assert table.splitlines()[-1] == (f"8 envs, {broken.n_checks} checks, {broken.n_failures} failures, "
                                      f"{broken.n_warnings} warnings")


def test_names_and_progress() -> None:
    lines: list[str] = []
    report = run_selftest(racesdsl.load(BROKEN), seeds=2, names=["wrong_solver", "leaky_prompt"],
                          progress=lines.append)
    assert [e.env for e in report.envs] == ["wrong_solver.wrong_solver", "leaky_prompt.leaky_prompt"]
    assert len(lines) == 2 and lines[1].startswith("leaky_prompt.leaky_prompt: ok")
    with pytest.raises(KeyError):
        run_selftest(racesdsl.load(BROKEN), seeds=1, names=["no_such_env"])


HANGING = ROOT / "tests" / "fixtures" / "hanging" / "hanging.races"


def test_a_hanging_solver_fails_with_timeout_and_the_rest_still_runs() -> None:
    report = run_selftest(racesdsl.load(HANGING), seeds=20, timeout=0.5)
    stuck, fine = report.envs
    assert [f.check for f in stuck.failures] == ["timeout"], render_table(report)
    failure = stuck.failures[0]
    assert failure.seed is not None and stuck.checks["reference"] == failure.seed  # the seeds before it ran
    assert "no result after 0.5 s, during sampling" in failure.message
    assert fine.ok and fine.n_checks > 0 and not report.ok


def test_cli_timeout(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "racesdsl", "test", str(HANGING), "--seeds", "20", "--timeout", "0.5"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "timeout (seed" in run.stdout and "hanging.fine" in run.stdout


def test_timeout_works_in_worker_processes() -> None:
    from racesdsl.parallel import selftest

    names = ["hanging.stuck", "hanging.fine"] * 4  # 8 envs: two processes get a share each
    report = selftest([HANGING], names, seeds=20, workers=2, timeout=0.5)
    assert [[f.check for f in e.failures] for e in report.envs] == [["timeout"], []] * 4


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="SIGALRM timers are Unix-only")
def test_deadline_rings_again_and_restores_what_was_there() -> None:
    from racesdsl.selftest import _deadline, _Timeout

    def outer_handler(signum: int, frame: object) -> None:
        raise AssertionError("the outer timer went off during the test")

    old = signal.signal(signal.SIGALRM, outer_handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        with pytest.raises(_Timeout), _deadline(0.1):
            try:
                _spin(10)
            except BaseException:  # a hook that swallows the first alarm meets the next one
                pass
            _spin(10)
        assert signal.getsignal(signal.SIGALRM) is outer_handler
        assert 25.0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30.0  # the outer timer runs on
        for unbounded in (None, 0, math.inf, 1e12):
            with _deadline(unbounded):
                _spin(0.01)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_cli_rejects_a_timeout_that_is_not_a_number_of_seconds(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "racesdsl", "test", str(HANGING), "--timeout", "inf"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2 and "--timeout" in run.stderr
