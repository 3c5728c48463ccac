"""`help:` lines for a failed fusion assignment (E0310): a narrowed range of
one producer or consumer param under which the value would fit, written as
the stage the user could paste. Kept apart from the checker because it is a
search, not a decision (`racesdsl.compose.graph` skips it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from racesdsl.check.length_params import exact_len_param
from racesdsl.check.typeexpr import TypeContext, resolve_type
from racesdsl.ir import EnvInfo
from racesdsl.runtime import types as T
from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import print_comp

SUGGEST_LIMIT = 2000  # wider int ranges are searched at their ends, not enumerated


@dataclass
class Producer:
    """A base stage whose output feeds the next one: what `suggest_producer` may narrow."""

    env: EnvInfo
    ref: A.StageRef
    ranges: dict[str, T.Interval]
    free: list[str]


def _good_span(r: T.Interval, fits: Callable[[T.Interval], bool]) -> tuple[int, int] | None:
    """The values of an int param for which `fits` holds, when they form one interval.

    Small ranges are enumerated; large ones are searched at their ends, which is
    exact when `fits` is monotone along the range, as bounds over params are."""
    if not r.bounded or not isinstance(r.lo, int) or not isinstance(r.hi, int):
        return None
    if r.hi - r.lo <= SUGGEST_LIMIT:
        good = [v for v in range(r.lo, r.hi + 1) if fits(T.Interval.point(v))]
        return (good[0], good[-1]) if good and good[-1] - good[0] == len(good) - 1 else None
    lo_ok, hi_ok = fits(T.Interval.point(r.lo)), fits(T.Interval.point(r.hi))
    if lo_ok and hi_ok:
        return r.lo, r.hi
    if not lo_ok and not hi_ok:
        return None
    bad, good = (r.lo, r.hi) if hi_ok else (r.hi, r.lo)
    while abs(good - bad) > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if fits(T.Interval.point(mid)) else (good, mid)
    return (good, r.hi) if hi_ok else (r.lo, good)


def _with_arg(node: A.StageRef, name: str, lo: int, hi: int) -> str:
    value = A.IntLit(lo) if lo == hi else None
    arg = A.ParamArg((name,), A.IntLit(lo), None if value else A.IntLit(hi))
    args = tuple(a for a in node.args if a.name != (name,)) + (arg,)
    return print_comp(A.StageRef(node.name, args, node.port, True))


def suggest_producer(prod: Producer | None, expected: T.TType) -> str | None:
    """Find a narrowed range of one producer param that makes its output fit."""
    if prod is None or prod.env.output_texpr is None:
        return None
    for n in prod.free:
        def fits(r: T.Interval, n: str = n) -> bool:
            ctx = TypeContext(prod.env.module, {**prod.ranges, n: r}, frozenset(), None)
            return T.assignable(resolve_type(prod.env.output_texpr, ctx), expected)

        span = _good_span(prod.ranges.get(n, T.Interval()), fits)
        if span and fits(T.Interval(*span)):
            return f"narrow the range: `{_with_arg(prod.ref, n, *span)}`"
    return None


def suggest_consumer(consumer: tuple | None, node: A.StageRef, input_name: str, t: T.TType) -> str | None:
    """Find a narrowed range of one consumer param under which the value fits."""
    if consumer is None:
        return None
    env, ranges, free = consumer
    narrow = frozenset(m for m in free if m in ranges)
    for n in free:
        if exact_len_param(env, n):
            continue

        def fits(r: T.Interval, n: str = n) -> bool:
            ctx = TypeContext(env.module, {**ranges, n: r}, narrow, None)
            return T.assignable(t, resolve_type(env.input(input_name).texpr, ctx))

        span = _good_span(ranges.get(n, T.Interval()), fits)
        if span and fits(T.Interval(*span)):
            return f"narrow `{_with_arg(node, n, *span)}`"
    return None
