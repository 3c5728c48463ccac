"""Run-time helpers for the expression-language builtins that are not plain Python.

Generated solvers call these as `_rt.gcd(...)` and so on; `len sum min max abs
any all` stay Python's own. Every helper is pure and returns plain values
(lists, never iterators), because a solver's result is compared, serialised
and type-checked as data. A `Set` arrives as a sorted list of distinct items,
so the helpers need nothing special for sets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from racesdsl.runtime.builtins_more import (  # generated code reaches these as `_rt.name`
    MORE_HELPERS,
    chr_,
    comb,
    combinations,
    enumerate_,
    factorial,
    from_base,
    isqrt,
    join,
    lower,
    ord_,
    permutations,
    pow_,
    prod,
    replace,
    round_,
    split,
    to_base,
    to_str,
    upper,
    zip_,
)
from racesdsl.runtime.loops import LOOP_HELPERS, fold, iterate, until

__all__ = [
    "gcd", "lcm", "count", "unique", "rev", "srt", "rng", "HELPERS", "chr_", "comb", "combinations",
    "enumerate_", "factorial", "fold", "from_base", "isqrt", "iterate", "join", "lower", "ord_", "permutations",
    "pow_", "prod", "replace", "round_", "split", "to_base", "to_str", "until", "upper", "zip_",
]


def gcd(*xs: int) -> int:
    """`gcd(a, b, ...)`: Python's math.gcd (non-negative; gcd(0, 0) == 0)."""
    return math.gcd(*xs)


def lcm(*xs: int) -> int:
    """`lcm(a, b, ...)`: Python's math.lcm (non-negative; 0 if any argument is 0)."""
    return math.lcm(*xs)


def count(xs: Sequence[Any] | str, v: Any) -> int:
    """`count(xs, v)`: occurrences by `==`, so unhashable items (lists, records) work.

    On a string this is `str.count`, i.e. non-overlapping substrings, as the
    checker's typing of `count` assumes.
    """
    return xs.count(v)


def unique(xs: Iterable[Any]) -> list[Any]:
    """`unique(xs)`: the first occurrence of each item, in order.

    Hashable items go through a dict (linear time); a list of lists or records
    falls back to a quadratic `==` scan, which is what Python's `in` does.
    """
    items = list(xs)
    try:
        return list(dict.fromkeys(items))
    except TypeError:
        out: list[Any] = []
        for item in items:
            if item not in out:
                out.append(item)
        return out


def rev(xs: Iterable[Any]) -> list[Any]:
    """`reversed(xs)` as a list (Python's `reversed` is a one-shot iterator)."""
    return list(reversed(list(xs)))


def srt(xs: Iterable[Any], reverse: bool = False, key: Any = None) -> list[Any]:
    """`sorted(xs, reverse=r, key=f)`; sets are lists at run time, so they sort the same way."""
    return sorted(xs, key=key, reverse=bool(reverse))


def rng(*args: int) -> list[int]:
    """`range(stop)`, `range(start, stop)` or `range(start, stop, step)` as a list."""
    return list(range(*args))


HELPERS: dict[str, Any] = {
    "gcd": gcd, "lcm": lcm, "count": count, "unique": unique, "rev": rev, "srt": srt, "rng": rng,
    **MORE_HELPERS, **LOOP_HELPERS,
}
"""The helpers by attribute name, for a namespace that exposes nothing else."""
