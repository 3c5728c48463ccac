"""The param assignments `racesdsl test` samples at: each param at each end of
its range (every value of a Bool or Enum), with the params whose ranges depend
on it moved along, so every assignment is one a user could pass."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from racesdsl.runtime.env import Environment, ParamError
from racesdsl.runtime.types import TBool, TEnum, TFloat, TInt, TType


def end_assignments(env: Environment) -> Iterator[dict[str, Any]]:
    """Valid assignments that put one param at an end of its range (at the defaults of the others)."""
    ranges = env.types(env.resolve_params()).params
    for p in env.params:
        for value in _ends(ranges[p.name], p.default):
            params = consistent(env, {p.name: value})
            try:
                env.resolve_params(params)
            except ParamError:  # no value of the others allows it: not an end
                continue
            yield params


def consistent(env: Environment, moved: dict[str, Any]) -> dict[str, Any]:
    """`moved` plus the other params it pushes out of their ranges, each moved to the
    nearest value its range now allows: `min_numbers` at its upper end takes
    `max_numbers: Int[min_numbers..5]` along, as a user setting both would."""
    defaults = {p.name: p.default for p in env.params}
    params = dict(moved)
    for _ in env.params:  # each round settles at least one more link of a dependency chain
        types = env.types({**defaults, **params}).params
        changed = False
        for p in env.params:
            if p.name in moved:
                continue
            current = params.get(p.name, p.default)
            fixed = _nearest(types[p.name], current)
            if fixed != current:
                params[p.name], changed = fixed, True
        if not changed:
            break
    return params


def _ends(t: TType, default: Any) -> list[Any]:
    """The extreme values of a param type other than its default (every value of Bool/Enum)."""
    ends: list[Any] = [False, True] if isinstance(t, TBool) else list(t.values) if isinstance(t, TEnum) else []
    if isinstance(t, TInt | TFloat) and t.range.bounded:
        lo, hi = t.range.lo, t.range.hi
        ends = [math.ceil(lo), math.floor(hi)] if isinstance(t, TInt) else [float(lo), float(hi)]
    return [v for v in dict.fromkeys(ends) if v != default or type(v) is not type(default)]


def _nearest(t: TType, value: Any) -> Any:
    """The value of param type `t` nearest to `value` (itself when it fits)."""
    if isinstance(t, TInt | TFloat) and t.range.bounded and not t.range.empty:
        lo, hi = (math.ceil(t.range.lo), math.floor(t.range.hi)) if isinstance(t, TInt) else (t.range.lo, t.range.hi)
        return min(max(value, lo), hi)
    if isinstance(t, TEnum) and t.values and value not in t.values:
        return t.values[0]
    return value
