"""The straight-line plan of an outermost composite draws, solves and describes exactly
as the general runner does: same runs, same instances, byte for byte."""

from __future__ import annotations

import pytest
from test_composite_verify import COMPOSITES, NAMES

from racesdsl.runtime.composite import Composite


def _shape(run) -> tuple:
    return (run.label, run.tag, run.params, run.inputs, run.bound, run.output, run.shown,
            [_shape(c) for c in run.children])


def test_some_fixtures_have_a_plan_and_some_do_not() -> None:
    planned = {n for n, c in COMPOSITES.items() if c._plan(c.resolve_params({})) is not None}
    assert planned and planned != set(NAMES)
    assert {COMPOSITES[n].op for n in planned} >= {"seq", "par", "sort", "select"}


@pytest.mark.parametrize("name", NAMES)
def test_the_plan_runs_as_the_general_runner(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    comp = COMPOSITES[name]
    knobs = comp.resolve_params({})
    planned = [comp.sample(seed) for seed in range(8)]
    runs = [comp._chain(seed, knobs)[0] for seed in range(8)]
    monkeypatch.setattr(Composite, "_plan", lambda self, knobs: None)  # the general runner only
    assert [comp.sample(seed) for seed in range(8)] == planned
    assert [_shape(comp._chain(seed, knobs)[0]) for seed in range(8)] == [_shape(r) for r in runs]
