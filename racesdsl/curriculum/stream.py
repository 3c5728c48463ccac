"""Streaming instances from an `Adaptive` controller.

Why a stream: an adaptive curriculum has no fixed dataset to write out in
advance; what comes next depends on the rewards reported so far. Trainers
that take an iterable (TRL, verl, plain loops) can consume `InstanceStream`
directly; no torch import is needed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from racesdsl.curriculum.adaptive import Adaptive
from racesdsl.curriculum.difficulty import sample_at_level
from racesdsl.curriculum.ids import step_seed
from racesdsl.runtime.env import Instance

__all__ = ["InstanceStream", "iter_instances"]


def iter_instances(program: Mapping[str, Any], controller: Adaptive, seed: int = 0) -> Iterator[Instance]:
    """Instances without end: the controller picks (env, level) with `next(seed)`,
    and the instance seed is `step_seed(seed, controller.steps)`. Both read the
    controller's step counter, which its state saves, so a resumed controller
    continues the stream instead of repeating it."""
    while True:
        name, level = controller.next(seed)
        yield sample_at_level(program[name], step_seed(seed, controller.steps), level)


class InstanceStream:
    """An iterable-dataset-style wrapper: `for inst in stream`, then
    `stream.report(inst, reward)` to feed the controller.

    Each `iter()` continues from the controller's current state. With a torch
    DataLoader keep `num_workers=0` (or report from the same process that
    iterates): a worker process holds a copy of the controller that the
    training loop's reports never reach."""

    def __init__(self, program: Mapping[str, Any], controller: Adaptive, seed: int = 0,
                 limit: int | None = None) -> None:
        self.program = program
        self.controller = controller
        self.seed = seed
        self.limit = limit
        self._names: dict[str, str] = {}  # instance env (qualname) -> the controller's name

    def __iter__(self) -> Iterator[Instance]:
        count = 0
        while self.limit is None or count < self.limit:
            name, level = self.controller.next(self.seed)
            inst = sample_at_level(self.program[name], step_seed(self.seed, self.controller.steps), level)
            self._names[inst.env] = name
            count += 1
            yield inst

    def report(self, instance: Instance, reward: float) -> Any:
        """Report a reward for an instance this stream produced."""
        return self.controller.report(self._names.get(instance.env, instance.env), reward)

    def state_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "controller": self.controller.state_dict()}
