"""racesdsl environments as a Prime Intellect verifiers (v1) taskset.

verifiers 0.4 loads a taskset by id: the id is a module to import, which must
export exactly one `vf.Taskset` subclass through `__all__`
(verifiers/v1/utils/loaders.py). This module is that package: use the taskset
id `racesdsl.integrations.verifiers_v1` with `vf-eval`, `vf-validate` or
prime-rl, and configure it under `--env.taskset.*` (`specs`, `packages`,
`envs`, `num_tasks`, `seed`, `params`).

Each task is one sampled instance (task i of an env has seed `seed + i`, as in
`export.rows`); its data carries (env, seed, params) and the sources, so the
`@vf.reward` method `correct` re-samples the instance through the registry
wherever the task is scored and verifies `trace.last_reply` with the
environment's own verifier. `validate` is vf-validate's gold check: the
reference completion must score 1.0. Needs `pip install 'racesdsl[verifiers]'`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import verifiers.v1 as vf

from racesdsl.integrations.registry import default_registry
from racesdsl.runtime.score import Score

__all__ = ["RacesTaskset"]


class RacesData(vf.TaskData):
    """One instance: what the reward needs to rebuild and verify it."""

    env: str
    seed: int
    params: dict[str, Any] = {}
    answer: str = ""  # the reference completion (vf-validate's gold check)
    specs: list[str] = []
    packages: list[str] = []


def score(data: RacesData, completion: str) -> Score:
    """The Score of `completion` for the task's instance; never raises."""
    registry = default_registry(data.specs, data.packages)
    return registry.score(data.env, data.seed, data.params, completion)


class RacesTask(vf.Task[RacesData]):
    """A racesdsl instance; scored by the environment's verifier."""

    @vf.reward(weight=1.0)
    async def correct(self, trace: vf.Trace) -> float:
        return float(score(self.data, trace.last_reply).value)

    async def validate(self, runtime: Any) -> bool | None:
        return score(self.data, self.data.answer).value == 1.0


class RacesConfig(vf.TasksetConfig):
    specs: list[str] = []
    """Spec files or folders (default: RACESDSL_SPECS, then the stdlib by name)."""
    packages: list[str] = []
    """Packages written by `racesdsl compile`."""
    envs: list[str] = []
    """Qualified names (default: every environment the specs and packages declare)."""
    num_tasks: int = 100
    """Tasks per environment."""
    seed: int = 0
    params: dict[str, Any] = {}
    """Params for every environment."""


class RacesTaskset(vf.Taskset[RacesTask, RacesConfig]):
    def load(self) -> Iterator[RacesTask]:
        config = self.config
        registry = default_registry(config.specs, config.packages) if config.specs or config.packages \
            else default_registry()
        names = list(config.envs) or registry.names()
        if not names:
            raise ValueError("no environments: set --env.taskset.specs or --env.taskset.envs")
        for name in names:
            env = registry.get(name)
            for i in range(config.num_tasks):
                inst = env.sample(config.seed + i, **config.params)
                data = RacesData(prompt=inst.prompt, id=inst.id, name=f"{inst.env}/{inst.seed}", env=inst.env,
                                 seed=inst.seed, params=dict(inst.params),
                                 answer=env.render_answer(inst.answer, **inst.params),
                                 specs=list(registry.specs), packages=list(registry.packages))
                yield RacesTask(data, config.task)
