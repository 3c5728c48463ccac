"""Difficulty, curricula and held-out splits (docs/curriculum.md).

- `difficulty(env)`: the difficulty vector (numeric params/knobs with ranges,
  plus depth, width and operator).
- `params_at_level(env, level)`, `sample_at_level(env, seed, level)`: one
  scalar in [0, 1] walks the vector monotonically.
- `Adaptive`: per-env levels kept in an accuracy band; mastery promotes
  deeper composites. `iter_instances`, `InstanceStream`: a stream from it.
- `split_compositions`, `lineage`, `check_leakage`: compositional held-out splits.
- `spec_hash`, `instance_key`, `stage_seed`, `replay_stage`: identity.

Imports only the runtime, so generated packages can use it without the parser."""

from __future__ import annotations

from racesdsl.curriculum.adaptive import Adaptive, Event, PoolEntry, make_pool
from racesdsl.curriculum.difficulty import Difficulty, Knob, difficulty, params_at_level, sample_at_level
from racesdsl.curriculum.ids import instance_key, replay_stage, spec_hash, stage_seed, step_seed
from racesdsl.curriculum.splits import (
    Holdout,
    Leak,
    LeakageError,
    Split,
    check_leakage,
    lineage,
    split_compositions,
)
from racesdsl.curriculum.stream import InstanceStream, iter_instances

__all__ = [
    "Adaptive",
    "Difficulty",
    "Event",
    "Holdout",
    "InstanceStream",
    "Knob",
    "Leak",
    "LeakageError",
    "PoolEntry",
    "Split",
    "check_leakage",
    "difficulty",
    "instance_key",
    "iter_instances",
    "lineage",
    "make_pool",
    "params_at_level",
    "replay_stage",
    "sample_at_level",
    "spec_hash",
    "split_compositions",
    "stage_seed",
    "step_seed",
]
