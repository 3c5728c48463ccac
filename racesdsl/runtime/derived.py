"""Draws, lets and dependent shapes at run time (docs/language.md §4).

An env with any of them samples its inputs and draws in declaration order, each
drawn from its type evaluated at the values before it (a dependent shape), then
derives its lets once. A fed value must fit the type its shape gives at the
earlier values: the dependency is an implicit `where`, so a value that breaks it
is redrawn (bounded, like `where`). Envs without them never come here, so their
bytes are unchanged.

Shape functions are generated (racesdsl.codegen) and read `p`: the params and
the earlier values by name. Given the earlier values' *types* instead, the same
function gives the signature type widened over their ranges (`Span` carries an
interval through the bound arithmetic)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from racesdsl.runtime.checks import checker_for
from racesdsl.runtime.distributions import dist_sampler
from racesdsl.runtime.types import Interval, TList, TSet, TStr, TType
from racesdsl.runtime.values import SamplingError, sampler_for

if TYPE_CHECKING:
    from racesdsl.runtime.env import Environment, _Compiled

MAX_TRIES = 1000


class Span:
    """An interval standing for a value in a bound, while the signature type is widened."""

    __slots__ = ("iv",)

    def __init__(self, iv: Interval) -> None:
        self.iv = iv

    @staticmethod
    def of(x: Any) -> Interval:
        return x.iv if isinstance(x, Span) else Interval.point(x)

    def __add__(self, o: Any) -> Span:
        return Span(self.iv + Span.of(o))

    def __radd__(self, o: Any) -> Span:
        return Span(Span.of(o) + self.iv)

    def __sub__(self, o: Any) -> Span:
        return Span(self.iv - Span.of(o))

    def __rsub__(self, o: Any) -> Span:
        return Span(Span.of(o) - self.iv)

    def __mul__(self, o: Any) -> Span:
        return Span(self.iv * Span.of(o))

    __rmul__ = __mul__

    def __neg__(self) -> Span:
        return Span(-self.iv)

    def __pos__(self) -> Span:
        return self


def num(x: Any) -> Any:
    """An earlier number in a bound: itself, or its type's range while widening."""
    return Span(x.range) if isinstance(x, TType) else x


def size(x: Any) -> Any:
    """`len(xs)` in a bound: the value's length, or its type's length range while widening."""
    return Span(x.length) if isinstance(x, (TList, TSet, TStr)) else len(x)


def interval(lo: Any, hi: Any) -> Interval:
    """A numeric range whose ends may be widened (`Span`): the widest it takes."""
    return Interval(lo.iv.lo if isinstance(lo, Span) else lo, hi.iv.hi if isinstance(hi, Span) else hi)


def length(lo: Any, hi: Any) -> Interval:
    out = interval(lo, hi)
    return Interval(max(0, out.lo), out.hi)


def widened(params: Mapping[str, Any], fixed: Mapping[str, TType],
            shapes: Mapping[str, Callable[[Mapping[str, Any]], TType]], order: list[str]) -> dict[str, TType]:
    """Every input's and draw's signature type at these params, in declaration order."""
    p: dict[str, Any] = dict(params)
    for name in order:
        p[name] = shapes[name](p) if name in shapes else fixed[name]
    return {n: p[n] for n in order}


@dataclass
class Plan:
    """What sampling an env with draws, lets or shapes needs at one params value."""

    order: list[str]  # inputs and draws in declaration order
    stored: list[str]  # inputs then draws: what an instance keeps (`Instance.input`)
    names: list[str]  # inputs, draws, lets: what solve and `where` take before the params
    samplers: dict[str, Callable[[random.Random], Any]]  # the unshaped ones
    by_type: dict = field(default_factory=dict)  # shaped: concrete type -> (sampler, checker)


def make_plan(env: Environment, types: Any, order: list[str]) -> Plan:
    every = {**types.inputs, **types.draws}
    custom = set(env.input_names) if env.sample_ref is not None else set()  # a custom sampler draws the inputs
    samplers = {n: dist_sampler(every[n], types.dists[n]) if n in types.dists else sampler_for(every[n])
                for n in order if n not in env.shapes and n not in custom}
    stored = env.input_names + env.draw_names
    return Plan(order, stored, stored + [n for n, _ in env.lets], samplers)


def _shaped(plan: Plan, t: TType) -> tuple[Callable[[random.Random], Any] | None, Callable[[Any], str | None]]:
    hit = plan.by_type.get(t)
    if hit is None:
        try:
            sampler = sampler_for(t)
        except (SamplingError, ValueError):  # an empty range at these earlier values: redraw them
            sampler = None
        if len(plan.by_type) >= 4096:  # bounded: shapes read values, which can take many
            plan.by_type.clear()
        hit = plan.by_type[t] = (sampler, checker_for(t))
    return hit


def draw_values(env: Environment, rng: random.Random, params: dict[str, Any], comp: _Compiled,
                fed: Mapping[str, Any], seed: int) -> dict[str, Any] | None:
    """One attempt: inputs (fed ones kept), draws and lets; None if a shape or `where` fails."""
    plan: Plan = comp.plan
    custom = env._draw_once(rng, params, comp, seed) if env.sample_ref is not None else None
    p: dict[str, Any] = dict(params)
    for name in plan.order:
        shape = env.shapes.get(name)
        if name in fed or custom is not None and name in custom:
            value = fed[name] if name in fed else custom[name]
            check = _shaped(plan, shape(p))[1] if shape is not None else comp.input_checks[name]
            if check(value) is not None:
                return None
        elif shape is None:
            value = plan.samplers[name](rng)
        else:
            sampler = _shaped(plan, shape(p))[0]
            if sampler is None:
                return None
            value = sampler(rng)
        p[name] = value
    values = {n: p[n] for n in plan.stored}
    add_lets(env, values, comp)
    if env.wheres:
        args = [values[n] for n in plan.names] + list(comp.param_values)
        if not all(holds(*args) for _, holds in env.wheres):
            return None
    return values


def add_lets(env: Environment, values: dict[str, Any], comp: _Compiled) -> None:
    """Derive each let once, in order, from the inputs, draws and the lets before it."""
    stored = len(comp.plan.stored)
    for k, (name, fn) in enumerate(env.lets):
        values[name] = fn(*[values[n] for n in comp.plan.names[:stored + k]], *comp.param_values)


def draw_until(env: Environment, rng: random.Random, params: dict[str, Any], comp: _Compiled,
               fed: Mapping[str, Any], seed: int) -> dict[str, Any] | None:
    """Attempts until one holds (None after MAX_TRIES: the caller says why)."""
    for _ in range(MAX_TRIES):
        values = draw_values(env, rng, params, comp, fed, seed)
        if values is not None:
            return values
    return None
