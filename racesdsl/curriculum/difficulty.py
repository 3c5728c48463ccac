"""The difficulty vector of an environment and the scalar level that walks it.

Why a vector: an env's difficulty lives in its numeric params (a base env) or
knobs (a composite), plus its structure (how deeply and widely it nests).
A curriculum needs one number to move, so `params_at_level` maps a level in
[0, 1] onto the numeric part, monotonically, and leaves structure fixed: a
deeper composite is a different env, which the `Adaptive` controller promotes
to, not a value of a knob."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from racesdsl.runtime.composite import Composite
from racesdsl.runtime.env import Environment, Instance
from racesdsl.runtime.levels import knob_range, param_bounds, params_at_level

__all__ = ["Difficulty", "Knob", "difficulty", "params_at_level", "sample_at_level"]

Env = Environment | Composite


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
            spec = knob_range(env, name)
            if spec is None:
                fixed.append((name, default))
            else:
                knobs.append(Knob(name, spec[0], spec[1], spec[2], default))
        return Difficulty(env.qualname, tuple(knobs), tuple(fixed), _depth(env), len(env.stages), _size(env), env.op)
    defaults = {p.name: p.default for p in env.params}
    types = env.types(defaults)
    knobs, fixed = [], []
    for p in env.params:
        bounds = param_bounds(p, types.params[p.name])
        if bounds is None:
            fixed.append((p.name, p.default))
        else:
            knobs.append(Knob(p.name, p.kind, bounds[0], bounds[1], p.default))
    return Difficulty(env.qualname, tuple(knobs), tuple(fixed), 1, 1, 1, None)


def _depth(env: Env) -> int:
    if isinstance(env, Environment):
        return 1
    return 1 + max((_depth(s.env) for s in env.stages), default=0)


def _size(env: Env) -> int:
    if isinstance(env, Environment):
        return 1
    return sum(_size(s.env) for s in env.stages)


# ----------------------------------------------------------------- level map
# (the map itself is runtime.levels.params_at_level: `sample(level=...)` needs it)


def sample_at_level(env: Env, seed: int, level: float, **overrides: Any) -> Instance:
    """`env.sample(seed, **params_at_level(env, level, **overrides))`."""
    return env.sample(seed, **params_at_level(env, level, **overrides))
