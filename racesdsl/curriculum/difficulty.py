"""The difficulty vector of an environment and the scalar level that walks it.

Why a vector: an env's difficulty lives in its numeric params (a base env) or
knobs (a composite), plus its structure (how deeply and widely it nests).
A curriculum needs one number to move, so `params_at_level` maps a level in
[0, 1] onto the numeric part, monotonically, and leaves structure fixed: a
deeper composite is a different env, which the `Adaptive` controller promotes
to, not a value of a knob."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

from racesdsl.runtime.composite import Composite, Stage
from racesdsl.runtime.env import Environment, Instance, ParamSpec

__all__ = ["Difficulty", "Knob", "difficulty", "params_at_level", "sample_at_level"]

Env = Environment | Composite
NUMERIC = ("int", "float")


@dataclass(frozen=True)
class Knob:
    """One numeric param or knob and the range the level map walks."""

    name: str
    kind: str  # int | float
    lo: int | float
    hi: int | float
    default: int | float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "lo": self.lo, "hi": self.hi, "default": self.default}


@dataclass(frozen=True)
class Difficulty:
    """Numeric knobs with their ranges, the non-numeric ones (kept at their
    defaults by the level map), and the structure of the env."""

    env: str
    knobs: tuple[Knob, ...]
    fixed: tuple[tuple[str, Any], ...]  # bool/enum params (and unbounded numeric ones) -> default
    depth: int  # 1 for a base env; 1 + the deepest stage for a composite
    width: int  # stages (or parts) at the top; 1 for a base env
    size: int  # base-env occurrences, distractors not counted (`racesdsl enumerate`'s "depth")
    operator: str | None  # None for a base env

    def to_dict(self) -> dict[str, Any]:
        return {"env": self.env, "knobs": [k.to_dict() for k in self.knobs], "fixed": dict(self.fixed),
                "depth": self.depth, "width": self.width, "size": self.size, "operator": self.operator}


def difficulty(env: Env) -> Difficulty:
    """The difficulty vector. A base env's ranges are evaluated at the defaults of
    its other params (a param's bounds may read another's); a composite's come
    from `knob_ranges`, or from the stage param's declared range when a knob has
    none."""
    if isinstance(env, Composite):
        knobs, fixed = [], []
        for name, default in env.knob_defaults.items():
            spec = _knob_range(env, name)
            if spec is None:
                fixed.append((name, default))
            else:
                knobs.append(Knob(name, spec[0], spec[1], spec[2], default))
        return Difficulty(env.qualname, tuple(knobs), tuple(fixed), _depth(env), len(env.stages), _size(env), env.op)
    defaults = {p.name: p.default for p in env.params}
    types = env.types(defaults)
    knobs, fixed = [], []
    for p in env.params:
        bounds = _bounds(p, types.params[p.name])
        if bounds is None:
            fixed.append((p.name, p.default))
        else:
            knobs.append(Knob(p.name, p.kind, bounds[0], bounds[1], p.default))
    return Difficulty(env.qualname, tuple(knobs), tuple(fixed), 1, 1, 1, None)


def _bounds(p: ParamSpec, ptype: Any) -> tuple[int | float, int | float] | None:
    """The finite range of a numeric param (ints shrunk to whole numbers), else None."""
    rng = getattr(ptype, "range", None)
    if p.kind not in NUMERIC or rng is None or not rng.bounded or rng.empty:
        return None
    if p.kind == "int":
        return math.ceil(rng.lo), math.floor(rng.hi)
    return rng.lo, rng.hi


def _depth(env: Env) -> int:
    if isinstance(env, Environment):
        return 1
    return 1 + max((_depth(s.env) for s in env.stages), default=0)


def _size(env: Env) -> int:
    if isinstance(env, Environment):
        return 1
    return sum(_size(s.env) for s in env.stages)


def _knob_source(comp: Composite, knob: str) -> tuple[Environment, str, Stage] | None:
    """The base env and param a composite knob sets (nested names are followed
    through `prefix.` for named composites; inline operators share names)."""
    for stage in [*comp.stages, *comp.distractors]:
        if isinstance(stage.env, Environment):
            for param, name in stage.knobs.items():
                if name == knob:
                    return stage.env, param, stage
        elif stage.prefix is None:
            found = _knob_source(stage.env, knob)
            if found is not None:
                return found
        elif knob.startswith(stage.prefix):
            found = _knob_source(stage.env, knob[len(stage.prefix):])
            if found is not None:
                return found
    return None


def _knob_range(comp: Composite, knob: str) -> tuple[str, int | float, int | float] | None:
    """(kind, lo, hi) of a numeric knob, or None for a bool/enum (or unbounded) one."""
    source = _knob_source(comp, knob)
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
        bounds = _bounds(spec, env.types(values).params[spec.name])
    if bounds is None:
        return None
    lo, hi = bounds
    return (kind, math.ceil(lo), math.floor(hi)) if kind == "int" else (kind, lo, hi)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


# ----------------------------------------------------------------- level map

_CACHE: weakref.WeakKeyDictionary[Any, dict[tuple, dict[str, Any]]] = weakref.WeakKeyDictionary()


def _point(kind: str, lo: float, hi: float, level: float) -> int | float:
    """`lo + level * (hi - lo)`, rounded half up for ints, clamped to [lo, hi]."""
    x = lo + level * (hi - lo)
    if kind == "int":
        return min(max(math.floor(x + 0.5), math.ceil(lo)), math.floor(hi))
    return min(max(x, lo), hi)


def params_at_level(env: Env, level: float, **overrides: Any) -> dict[str, Any]:
    """Every param/knob of `env` at a scalar level in [0, 1].

    Rule: each numeric param or knob is `lo + level * (hi - lo)` over its range
    (rounded half up for ints, clamped); bool and enum params keep their
    defaults; explicit overrides win. A param whose bounds read other params
    is interpolated over its range *at the other params' values at this level*
    (a fixed point over the acyclic param graph; identical to the difficulty
    vector's range when bounds are constant), so the result always validates
    and stays monotone whenever bounds grow with the params they read."""
    if not isinstance(level, (int, float)) or isinstance(level, bool) or not 0.0 <= level <= 1.0:
        raise ValueError(f"level must be a number in [0, 1], got {level!r}")
    try:
        key: tuple | None = (float(level), tuple(sorted(overrides.items())))
        hit = _CACHE.get(env, {}).get(key)
    except TypeError:  # an unhashable override: resolve_params will say what is wrong
        key, hit = None, None
    if hit is not None:
        return dict(hit)
    values = _composite_level(env, level, overrides) if isinstance(env, Composite) else \
        _env_level(env, level, overrides)
    values = env.resolve_params(values)
    if key is not None:
        per_env = _CACHE.setdefault(env, {})
        if len(per_env) < 1024:
            per_env[key] = values
    return dict(values)


def _composite_level(comp: Composite, level: float, overrides: dict[str, Any]) -> dict[str, Any]:
    values = dict(comp.knob_defaults)
    for knob in difficulty(comp).knobs:
        values[knob.name] = _point(knob.kind, knob.lo, knob.hi, level)
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
            bounds = _bounds(p, types.params[p.name])
            if bounds is None:
                continue
            x = _point(p.kind, bounds[0], bounds[1], level)
            if x != values[p.name]:
                values[p.name], changed = x, True
        if not changed:
            break
    return values


def sample_at_level(env: Env, seed: int, level: float, **overrides: Any) -> Instance:
    """`env.sample(seed, **params_at_level(env, level, **overrides))`."""
    return env.sample(seed, **params_at_level(env, level, **overrides))
