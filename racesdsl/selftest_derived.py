"""`racesdsl test`'s `inputs` check for envs with draws, lets or dependent shapes:
each draw inhabits its type, each dependent shape holds at the instance's earlier
values, and every `where` holds over the inputs, draws and lets derived again from
the instance (so an instance's stored data is enough to reproduce it)."""

from __future__ import annotations

from typing import Any

from racesdsl.runtime.checks import checker_for
from racesdsl.runtime.env import Environment, Instance
from racesdsl.runtime.score import brief
from racesdsl.runtime.types import show


def derived_problem(env: Environment, inst: Instance) -> str | None:
    """Why the instance's draws, dependent shapes or `where`s fail, if one does."""
    comp = env._compiled(env.resolve_params(inst.params))
    for name, t in comp.types.draws.items():
        why = checker_for(t)(inst.input.get(name))
        if why is not None:
            return f"draw `{name}` is outside {show(t)}: {why}"
    p: dict[str, Any] = dict(inst.params)
    for name in comp.plan.order:
        if name in env.shapes:
            t = env.shapes[name](p)
            why = checker_for(t)(inst.input[name])
            if why is not None:
                return f"`{name}` breaks its dependent type {show(t)}: {why}"
        p[name] = inst.input[name]
    values = env._with_lets(inst.input, comp)
    args = [values[n] for n in comp.plan.names] + list(comp.param_values)
    for src, holds in env.wheres:
        if not holds(*args):
            return f"`where {src}` does not hold for {brief(inst.input, 160)}"
    if env.solve_fn is not None and env._solve(values, dict(inst.params), comp, inst.seed) != inst.answer:
        return "the reference answer derived again from the instance's inputs and draws differs"
    return None
