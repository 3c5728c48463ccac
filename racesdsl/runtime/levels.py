"""The level map: one scalar in [0, 1] -> every numeric param or knob of an env.

It lives in the runtime because `sample(seed, level=...)` needs it and the
runtime must import nothing above it; racesdsl.curriculum re-exports it and
builds the difficulty vector on `knob_range` (docs/curriculum.md). It imports
neither env nor composite (both import it): a composite is told from a base
env by having stages."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from racesdsl.runtime.composite import Composite, Stage
    from racesdsl.runtime.env import Environment, ParamSpec

NUMERIC = ("int", "float")
MAX_CACHED = 1024  # level maps remembered per env (bounded: a level sweep must not grow memory)


def param_bounds(p: ParamSpec, ptype: Any) -> tuple[int | float, int | float] | None:
    """The finite range of a numeric param (ints shrunk to whole numbers), else None."""
    rng = getattr(ptype, "range", None)
    if p.kind not in NUMERIC or rng is None or not rng.bounded or rng.empty:
        return None
    if p.kind == "int":
        return math.ceil(rng.lo), math.floor(rng.hi)
    return rng.lo, rng.hi


def knob_source(comp: Composite, knob: str) -> tuple[Environment, str, Stage] | None:
    """The base env and param a composite knob sets (nested names are followed
    through `prefix.` for named composites; inline operators share names)."""
    for stage in [*comp.stages, *comp.distractors]:
        if not _is_composite(stage.env):
            for param, name in stage.knobs.items():
                if name == knob:
                    return stage.env, param, stage
        elif stage.prefix is None:
            found = knob_source(stage.env, knob)
            if found is not None:
                return found
        elif knob.startswith(stage.prefix):
            found = knob_source(stage.env, knob[len(stage.prefix):])
            if found is not None:
                return found
    return None


def knob_range(comp: Composite, knob: str) -> tuple[str, int | float, int | float] | None:
    """(kind, lo, hi) of a numeric knob, or None for a bool/enum (or unbounded) one."""
    source = knob_source(comp, knob)
    default = comp.knob_defaults[knob]
    if source is None:
        kind = "float" if isinstance(default, float) else "int" if _is_int(default) else "other"
        spec = None
    else:
        env, param, stage = source
        spec = next(p for p in env.params if p.name == param)
        kind = spec.kind
    if kind not in NUMERIC:
        return None
    bounds = comp.knob_ranges.get(knob)
    if bounds is None and source is not None and spec is not None:
        env, _, stage = source
        values = {p.name: p.default for p in env.params} | stage.fixed
        bounds = param_bounds(spec, env.types(values).params[spec.name])
    if bounds is None:
        return None
    lo, hi = bounds
    return (kind, math.ceil(lo), math.floor(hi)) if kind == "int" else (kind, lo, hi)


def _is_composite(env: Environment | Composite) -> bool:
    return hasattr(env, "stages")


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _point(kind: str, lo: float, hi: float, level: float) -> int | float:
    """`lo + level * (hi - lo)`, rounded half up for ints, clamped to [lo, hi]."""
    x = lo + level * (hi - lo)
    if kind == "int":
        return min(max(math.floor(x + 0.5), math.ceil(lo)), math.floor(hi))
    return min(max(x, lo), hi)


def params_at_level(env: Environment | Composite, level: float, **overrides: Any) -> dict[str, Any]:
    """Every param/knob of `env` at a scalar level in [0, 1].

    Rule: each numeric param or knob is `lo + level * (hi - lo)` over its range
    (rounded half up for ints, clamped); bool and enum params keep their
    defaults; explicit overrides win. A param whose bounds read other params
    is interpolated over its range *at the other params' values at this level*
    (a fixed point over the acyclic param graph; identical to the difficulty
    vector's range when bounds are constant), so the result always validates
    and stays monotone whenever bounds grow with the params they read.
    Results are remembered on the env itself (no module-level state)."""
    if not isinstance(level, (int, float)) or isinstance(level, bool) or not 0.0 <= level <= 1.0:
        raise ValueError(f"level must be a number in [0, 1], got {level!r}")
    cache = env._lazy.setdefault("levels", {})
    try:
        key: tuple | None = (float(level), tuple(sorted(overrides.items())))
        hit = cache.get(key)
    except TypeError:  # an unhashable override: resolve_params will say what is wrong
        key, hit = None, None
    if hit is not None:
        return dict(hit)
    values = _composite_level(env, level, overrides) if _is_composite(env) else _env_level(env, level, overrides)
    values = env.resolve_params(values)
    if key is not None and len(cache) < MAX_CACHED:
        cache[key] = values
    return dict(values)


def _composite_level(comp: Composite, level: float, overrides: dict[str, Any]) -> dict[str, Any]:
    values = dict(comp.knob_defaults)
    for name in comp.knob_defaults:
        spec = knob_range(comp, name)
        if spec is not None:
            values[name] = _point(spec[0], spec[1], spec[2], level)
    values.update(overrides)
    return values


def _env_level(env: Environment, level: float, overrides: dict[str, Any]) -> dict[str, Any]:
    values = {p.name: p.default for p in env.params}
    values.update(overrides)
    free = [p for p in env.params if p.kind in NUMERIC and p.name not in overrides]
    for _ in range(len(free) + 1):  # each pass settles one more layer of the param graph
        types = env.types(values)
        changed = False
        for p in free:
            bounds = param_bounds(p, types.params[p.name])
            if bounds is None:
                continue
            x = _point(p.kind, bounds[0], bounds[1], level)
            if x != values[p.name]:
                values[p.name], changed = x, True
        if not changed:
            break
    return values
