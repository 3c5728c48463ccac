"""Score reasons are bounded and always encode as UTF-8 (issue 12, finding 16):
a failed `select` plan used to copy up to 64 KB of the model's text, lone
surrogates included, into its reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl.runtime.score import MAX_REASON, Score, clip, error_score
from racesdsl.runtime.types import Interval, TInt
from racesdsl.runtime.verifiers import make_verifier

ROOT = Path(__file__).resolve().parent.parent
LANG = ROOT / "tests" / "fixtures" / "language" / "compositions.races"
ENVS = ["planner", "top3_sum", "two_tasks", "shuffled", "nested", "gcd_pair", "lists.sort_list", "numbers.gcd2"]


@pytest.fixture(scope="module")
def program():
    return racesdsl.load(LANG)


def reasons(score: Score) -> list[str]:
    return [score.reason, *(r for part in score.parts for r in reasons(part))]


def assert_sound(score: Score) -> None:
    for reason in reasons(score):
        reason.encode("utf-8")  # raises on a lone surrogate
        assert len(reason) <= MAX_REASON, len(reason)


def test_a_huge_unknown_select_label_is_not_copied_into_the_reason(program) -> None:
    env = program["planner"]
    inst = env.sample(3)
    label = "\ud800" + "Z" * 60_000
    score = env.verify(inst, f'<answer>["{label}"]</answer>')
    assert score.value == 0.0 and score.reason.startswith("there is no step ")
    assert len(score.reason) < 100 and score.reason.endswith("...")
    score.reason.encode("utf-8")
    assert env.verify(inst, '<answer>["Z"]</answer>').reason == "there is no step Z"


def pieces() -> st.SearchStrategy[str]:
    """Text that lands in reasons: labels, answers, values, with surrogates and huge runs."""
    base = st.text(alphabet=st.characters(codec=None), max_size=40)  # lone surrogates included
    return st.one_of(base, st.builds(lambda s, k: s * k, base, st.integers(1, 3000)))


def completions() -> st.SearchStrategy[str]:
    wrap = st.sampled_from(['<answer>["{}"]</answer>', "<answer>{}</answer>", '<answer>["A", "{}"]</answer>',
                            "<step1>{}</step1><step2>{}</step2>", "<part1>{}</part1><part2>[{}]</part2>",
                            "{}", "<answer>[{}]</answer>"])
    return st.builds(lambda w, s: w.replace("{}", s), wrap, pieces())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(name=st.sampled_from(ENVS), seed=st.integers(0, 50), completion=completions())
def test_every_reason_encodes_and_is_bounded(program, name: str, seed: int, completion: str) -> None:
    env = program[name]
    assert_sound(env.verify(env.sample(seed), completion))


@given(reason=st.text(alphabet=st.characters(codec=None), max_size=50), k=st.integers(1, 5000))
def test_any_score_reason_is_bounded_and_encodes(reason: str, k: int) -> None:
    score = Score(0.5, reason * k)
    assert_sound(score)
    assert Score.from_dict(json.loads(json.dumps(score.to_dict()))) == score  # sanitising is idempotent
    if len(reason * k) <= MAX_REASON and (reason * k).isascii():
        assert score.reason == reason * k  # ordinary reasons are kept as given


def test_a_python_verifier_raising_on_model_text_gives_a_short_reason() -> None:
    def hook(answer, *, reference, inputs, params):
        raise ValueError("bad answer " + "\udcff" * 50_000)

    verify = make_verifier("python", TInt(Interval(0, 9)), "tags", python_fn=hook)
    score = verify("<answer>3</answer>", 3, {}, {})
    assert score.value == 0.0 and score.reason.startswith("verifier error: ")
    assert_sound(score)
    head, _, quoted = score.reason.partition("ValueError: ")
    assert head.endswith(" raised ") and len(quoted) == 200 and quoted.endswith("...")


def test_clip_and_error_score() -> None:
    assert clip("short") == "short"
    assert clip("x" * 500) == "x" * 197 + "..."
    assert clip("\ud800") == "\\ud800"

    class Hostile(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert error_score(Hostile()).reason == "verifier error: Hostile"
