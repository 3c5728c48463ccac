"""Verifying a composite re-samples nothing, and scores exactly as re-sampling did.

Three ways to score one (instance, completion): the instance as `sample` returned
it (it remembers its run), the same instance as plain data (as rebuilt from an
exported row: the chain is re-run without its prompt), and the old path, which
re-sampled the whole instance, prompt included, and scored against that run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl.runtime.composite import Composite
from racesdsl.runtime.composite_prompts import score
from racesdsl.runtime.env import Instance

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = [ROOT / "tests" / "fixtures" / "language" / "compositions.races",
            ROOT / "tests" / "fixtures" / "composition" / "showcase.races",
            ROOT / "tests" / "fixtures" / "composition" / "known_issues.races"]


def _composites() -> dict[str, Composite]:
    out = {}
    for path in FIXTURES:
        program = racesdsl.load(path)
        out.update({f"{path.stem}:{name}": env for name, env in program.items() if isinstance(env, Composite)})
    return out


COMPOSITES = _composites()
NAMES = sorted(COMPOSITES)


def old_verify(comp: Composite, inst: Instance, completion: str):
    """Today's path before the change: re-sample the whole instance, then score against it."""
    run, _, _, _, pool, _ = comp._sample_run(inst.seed, inst.params)
    comp._verifiers = {("run", inst.id): (run, pool)}
    return score(comp, Instance._make(inst), completion)


def _completions(comp: Composite, inst: Instance) -> list[str]:
    right = comp.render_answer(inst.answer)
    out = [right, "no idea", "", right.replace("1", "2"), right[: len(right) // 2]]
    if comp.op in ("seq", "par") and isinstance(inst.answer, list):
        for i in range(len(inst.answer)):  # one part wrong at a time
            broken = list(inst.answer)
            broken[i] = [999] if isinstance(broken[i], list) else "x"
            out.append(comp.render_answer(broken))
    return out


def test_the_fixtures_cover_every_operator() -> None:
    ops = {c.op for c in COMPOSITES.values()}
    nested = [n for n, c in COMPOSITES.items() if any(isinstance(s.env, Composite) for s in c.stages)]
    assert {"seq", "par", "sort", "select"} <= ops and nested


@pytest.mark.parametrize("name", NAMES)
def test_scores_are_identical_to_resampling(name: str) -> None:
    comp = COMPOSITES[name]
    for seed in range(6):
        inst = comp.sample(seed)
        assert "run" in inst.__dict__  # a fresh instance carries its run ...
        plain = Instance._make(inst)
        assert plain == inst and not hasattr(plain, "__dict__")  # ... which is no part of its data
        for completion in _completions(comp, inst):
            expected = old_verify(comp, inst, completion)
            assert comp.verify(inst, completion) == expected, (seed, completion)
            comp._verifiers.clear()  # nothing cached: the plain instance re-runs its chain
            assert comp.verify(plain, completion) == expected, (seed, completion)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), seed=st.integers(0, 10_000), data=st.data())
def test_scores_are_identical_on_arbitrary_completions(name: str, seed: int, data) -> None:
    comp = COMPOSITES[name]
    inst = comp.sample(seed)
    tags = [f"step{i}" for i in range(1, 4)] + [f"part{i}" for i in range(1, 4)] + ["answer"]
    pieces = data.draw(st.lists(st.tuples(st.sampled_from(tags), st.one_of(
        st.text(max_size=12), st.integers(-200, 200).map(str),
        st.sampled_from([json.dumps(a) for a in (inst.answer if isinstance(inst.answer, list) else [inst.answer])])))))
    completion = "".join(f"<{t}>{v}</{t}>" for t, v in pieces)
    expected = old_verify(comp, inst, completion)
    assert comp.verify(inst, completion) == expected
    comp._verifiers.clear()
    assert comp.verify(Instance._make(inst), completion) == expected


def test_a_sampled_instance_pickles_and_prints_as_a_plain_one() -> None:
    import pickle

    comp = COMPOSITES[NAMES[0]]
    inst = comp.sample(3)
    back = pickle.loads(pickle.dumps(inst))
    assert type(back) is Instance and back == inst
    assert repr(inst) == repr(Instance._make(inst)) and repr(inst).startswith("Instance(")


def test_verifying_a_sampled_instance_does_not_sample(monkeypatch) -> None:
    comp = COMPOSITES[NAMES[0]]
    inst = comp.sample(4)

    def fail(*args, **kwargs):
        raise AssertionError("verify re-sampled")

    monkeypatch.setattr(comp, "_chain", fail)
    monkeypatch.setattr(comp, "_sample_run", fail)
    assert comp.verify(inst, comp.render_answer(inst.answer)).value == 1.0
