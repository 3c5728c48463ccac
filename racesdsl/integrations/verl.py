"""A verl reward function: `reward.custom_reward_function.path` = this file,
`reward.custom_reward_function.name` = `compute_score` (verl >= 0.9; older
releases read the same keys at the top level, `custom_reward_function.*`).

verl imports this file by path (as a module of its own name), so it uses
absolute imports only. Each row of a `verl`-schema export carries its env,
seed and params in `extra_info`; `compute_score` rebuilds that instance with
the registry (RACESDSL_SPECS / RACESDSL_PACKAGES, or `specs` / `packages`
given through `reward.custom_reward_function.reward_kwargs`) and verifies the
response. It never raises: a broken row scores 0 with the reason in the
result, because one bad row must not stop a training run.

The result always has the same keys (verl collects every key into
`reward_extra_info` and needs one value a row for each): `score`, `acc`
(1.0 when fully correct), `reason`, and `part_1` .. `part_K` (a composite's
per-stage scores; NaN where an env has fewer parts, so per-source means stay
honest).

`compute_score_float` is the same score as a bare float, for callers that
average the return value (verl's offline `verl.trainer.main_eval`, which also
passes no `extra_info`: a composite is then scored from `ground_truth` alone,
see ground_truth.py)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from racesdsl.integrations.ground_truth import score_from_answer
from racesdsl.integrations.registry import Registry, default_registry, qualname_of
from racesdsl.runtime.composite import Composite
from racesdsl.runtime.score import Score, printable

__all__ = ["PART_KEYS", "compute_score", "compute_score_float", "make_compute_score", "result_dict"]

NO_ENV = "no environment: extra_info has no `env` and data_source is not a name"
PART_KEYS = 8  # part_1 .. part_8: a select composite has at most 8 steps; change with reward_kwargs part_keys


def compute_score(data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any = None,
                  **kwargs: Any) -> dict[str, Any]:
    """Score one response for verl. Keyword extras (verl's `reward_kwargs`): `specs`
    and `packages` (where the envs live; default: the environment variables) and
    `part_keys` (how many `part_i` keys to report); anything else is ignored."""
    parts = _part_keys(kwargs.get("part_keys", PART_KEYS))
    try:
        specs, packages = kwargs.get("specs"), kwargs.get("packages")
        registry = default_registry(specs, packages) if specs is not None or packages is not None \
            else default_registry()
        return result_dict(score_row(registry, data_source, solution_str, ground_truth, extra_info), parts)
    except Exception as exc:  # the registry and scorer never raise; this is the last guard of the loop
        return result_dict(Score(0.0, f"reward error: {type(exc).__name__}: {exc}"), parts)


def compute_score_float(data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any = None,
                        **kwargs: Any) -> float:
    """`compute_score`'s reward alone, a float in [0, 1]: verl's `main_eval` calls
    `reward_fn(data_source, response, ground_truth)` and averages what it returns."""
    return float(compute_score(data_source, solution_str, ground_truth, extra_info, **kwargs)["score"])


def make_compute_score(specs: Any = None, packages: Any = None, *, part_keys: int = PART_KEYS,
                       stdlib: bool = True) -> Callable[..., dict[str, Any]]:
    """A `compute_score` bound to its own registry, for a two-line reward file:
    `compute_score = make_compute_score(specs=["my_envs/"])`."""
    registry = Registry(specs or (), packages or (), stdlib=stdlib)
    parts = _part_keys(part_keys)

    def bound(data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any = None,
              **kwargs: Any) -> dict[str, Any]:
        try:
            return result_dict(score_row(registry, data_source, solution_str, ground_truth, extra_info), parts)
        except Exception as exc:
            return result_dict(Score(0.0, f"reward error: {type(exc).__name__}: {exc}"), parts)

    bound.__name__ = bound.__qualname__ = "compute_score"
    bound.__doc__ = compute_score.__doc__
    return bound


def score_row(registry: Registry, data_source: Any, solution_str: Any, ground_truth: Any,
              extra_info: Any) -> Score:
    """The Score of one verl row: its instance from extra_info (env, seed, params),
    else `ground_truth` with the env named by `data_source`."""
    info = _info(extra_info)
    env = info.get("env")
    if not isinstance(env, str) or not env:
        if not isinstance(data_source, str) or not data_source:
            registry.warn_once("no-env", NO_ENV)
            return Score(0.0, NO_ENV)
        env = qualname_of(data_source)
    if info.get("seed") is None:
        composite = _composite(registry, env)
        if composite is not None:  # no instance to rebuild: the steps' answers are in ground_truth
            return score_from_answer(composite, solution_str, ground_truth)
    return registry.score(env, info.get("seed"), info.get("params"), solution_str, ground_truth, info.get("input"))


def _composite(registry: Registry, name: str) -> Composite | None:
    """The composite `name` names, or None (a base env, or a lookup error that
    `registry.score` reports with its reason and warning)."""
    try:
        env = registry.get(name)
    except Exception:
        return None
    return env if isinstance(env, Composite) else None


def _info(extra_info: Any) -> dict[str, Any]:
    """extra_info as a dict: verl hands a dict; a JSON string or other mapping is accepted."""
    if isinstance(extra_info, Mapping):
        return dict(extra_info)
    if isinstance(extra_info, str | bytes):
        try:
            value = json.loads(extra_info)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def _part_keys(value: Any) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return PART_KEYS
    return max(0, min(n, 64))


def result_dict(score: Score, part_keys: int = PART_KEYS) -> dict[str, Any]:
    """verl's dict result: `score` is the reward, the other keys become reward_extra_info."""
    out: dict[str, Any] = {"score": float(score.value), "acc": float(score.value == 1.0),
                           "reason": printable(score.reason)}
    values: Iterable[float] = (p.value for p in score.parts)
    padded = [*values, *[math.nan] * part_keys][:part_keys]
    out.update({f"part_{i}": float(v) for i, v in enumerate(padded, 1)})
    return out
