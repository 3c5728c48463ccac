"""`racesdsl test`'s `distribution` check: sampled inputs follow their declared distributions.

For every input with `~ weights(...)`, `~ bernoulli(p)`, `~ loguniform` or `OneOf[data]`
(a data set of at most `MAX_CATEGORIES` values), `DRAWS` instances at default params are
sampled and each value's frequency compared with its probability: a binomial count more
than `Z_LIMIT` standard deviations from its mean (about 1 in 1.7 million by chance, so no
flaky failures), or a value of weight 0 that appears, is a problem. `where` clauses redraw,
which legitimately skews frequencies: then a problem is only a warning naming them."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from racesdsl.runtime.distributions import Bernoulli, Choice, LogUniform, Weights
from racesdsl.runtime.env import Environment
from racesdsl.runtime.types import TInt, TType, show

DRAWS = 600
Z_LIMIT = 5.0
MAX_CATEGORIES = 50


def distribution_problems(env: Environment) -> tuple[int, list[str]]:
    """How many inputs were checked, and what is wrong with their frequencies."""
    params = env.resolve_params({})
    types = env.types(params)
    dists = {n: d for n, d in types.dists.items() if not (isinstance(d, Choice) and len(d.values) > MAX_CATEGORIES)}
    if not dists or env.sample_ref is not None:
        return 0, []
    drawn = [env.sample(seed).input for seed in range(DRAWS)]
    problems = []
    for name, dist in dists.items():
        values = [i[name] for i in drawn]
        for value, p in _expected(types.inputs[name], dist):
            count = sum(1 for v in values if _hit(v, value, dist))
            bad = count > 0 if p == 0 else p < 1 and abs(count - DRAWS * p) > Z_LIMIT * math.sqrt(DRAWS * p * (1 - p))
            if bad:
                problems.append(f"input `{name}` ({show(types.inputs[name])} ~ {_name(dist)}): "
                                f"{_what(value, dist)} came {count} times in {DRAWS} draws, "
                                f"expected about {DRAWS * p:.0f}")
                break
    return len(dists), problems


def _expected(t: TType, dist: Any) -> Iterator[tuple[Any, float]]:
    """(value or threshold, probability) pairs the draws are held to."""
    match dist:
        case Weights(weights):
            total = sum(weights)
            domain = range(int(t.range.lo), int(t.range.hi) + 1) if isinstance(t, TInt) else dict.fromkeys(t.values)
            yield from ((v, w / total) for v, w in zip(domain, weights, strict=True))
        case Bernoulli(p):
            yield True, p
        case LogUniform():  # the share below the log-scale midpoint
            lo, hi = t.range.lo, t.range.hi + (1 if isinstance(t, TInt) else 0)
            mid = math.sqrt(lo * hi)
            if isinstance(t, TInt):
                below = math.floor(mid)
                yield below, math.log((below + 1) / lo) / math.log(hi / lo)
            else:
                yield mid, 0.5
        case Choice(values):
            yield from ((v, 1 / len(values)) for v in values)


def _hit(v: Any, value: Any, dist: Any) -> bool:
    return v <= value if isinstance(dist, LogUniform) else v == value


def _what(value: Any, dist: Any) -> str:
    return f"a value <= {value:g}" if isinstance(dist, LogUniform) else f"{value!r:.60}"


def _name(dist: Any) -> str:
    return {Weights: "weights", Bernoulli: "bernoulli", LogUniform: "loguniform", Choice: "OneOf"}[type(dist)]

