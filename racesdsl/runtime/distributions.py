"""Sampling distributions other than uniform (docs/language.md §4): `~ weights(...)`,
`~ bernoulli(p)` and `~ loguniform` on an input.

A distribution is data (evaluated at the instance's params, as types are), turned
into a sampler once per params value by `dist_sampler`. Like runtime/values.py it
calls only `rng.random()`, so draws are a pure function of the instance's stream:
`load()` and a compiled package (which build the same `Dist` from the same source)
agree byte for byte. Log-uniform draws go through `math.log`/`math.exp`, which
CPython takes from the platform's C library (correctly rounded in practice on the
platforms racesdsl supports)."""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

from racesdsl.runtime.checks import canonical_for
from racesdsl.runtime.types import TBool, TEnum, TFloat, TInt, TType, show
from racesdsl.runtime.values import Sampler, SamplingError

__all__ = ["Bernoulli", "Choice", "Dist", "LogUniform", "Weights", "dist_sampler"]


@dataclass(frozen=True)
class Weights:
    """One weight per value of an Int range (lowest first) or an Enum (in declared order)."""

    weights: tuple[float, ...]


@dataclass(frozen=True)
class Bernoulli:
    """`true` with probability `p`."""

    p: float


@dataclass(frozen=True)
class LogUniform:
    """Magnitudes spread evenly over orders of magnitude: log(x) is uniform."""


@dataclass(frozen=True)
class Choice:
    """`OneOf[data]`: one of a data file's values, uniformly."""

    values: tuple


Dist = Weights | Bernoulli | LogUniform | Choice


def dist_sampler(t: TType, dist: Dist) -> Sampler:
    """A sampler drawing a value of `t` from `dist` (the checker made sure they fit: E0340-E0342)."""
    match dist, t:
        case Choice(values), _ if values:
            n, fresh = len(values), canonical_for(t)  # a fresh copy: an instance's input may be changed
            if isinstance(values[0], str | int | float | bool):
                return lambda rng: values[int(rng.random() * n)]
            return lambda rng: fresh(values[int(rng.random() * n)])
        case Weights(weights), TInt(r) if r.bounded:
            return _weighted(tuple(range(math.ceil(r.lo), math.floor(r.hi) + 1)), weights, t)
        case Weights(weights), TEnum(values):
            return _weighted(tuple(dict.fromkeys(values)), weights, t)
        case Bernoulli(p), TBool():
            if not 0.0 <= p <= 1.0:
                raise SamplingError(f"cannot sample {show(t)} ~ bernoulli({p}): p must be in [0, 1]")
            return lambda rng: rng.random() < p
        case LogUniform(), TInt(r) if r.bounded and r.lo >= 1:
            return _log_int(math.ceil(r.lo), math.floor(r.hi))
        case LogUniform(), TFloat(r) if r.bounded and r.lo > 0:
            return _log_float(float(r.lo), float(r.hi))
    raise SamplingError(f"cannot sample {show(t)} from {dist}")


def _weighted(values: tuple, weights: tuple[float, ...], t: TType) -> Sampler:
    if len(values) != len(weights) or any(w < 0 for w in weights) or not sum(weights) > 0:
        raise SamplingError(f"cannot sample {show(t)}: {len(weights)} weights (>= 0, not all 0) "
                            f"are given for {len(values)} values")
    cumulative = list(accumulate(float(w) for w in weights))
    total, last = cumulative[-1], len(values) - 1
    # bisect_right skips zero-weight values: their cumulative sum equals the previous one.
    return lambda rng: values[min(bisect_right(cumulative, rng.random() * total), last)]


def _log_int(lo: int, hi: int) -> Sampler:
    if lo == hi:
        return lambda rng: lo
    base, width = math.log(lo), math.log(hi + 1) - math.log(lo)  # [lo, hi + 1) on the log scale
    return lambda rng: min(max(int(math.exp(base + rng.random() * width)), lo), hi)


def _log_float(lo: float, hi: float) -> Sampler:
    if lo == hi:
        return lambda rng: lo
    base, width = math.log(lo), math.log(hi) - math.log(lo)
    return lambda rng: min(max(math.exp(base + rng.random() * width), lo), hi)
