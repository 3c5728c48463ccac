"""Run-time values of the language's types: samplers, membership checks, canonical forms.

Value representation (a contract shared by the runtime, generated code and the
python hooks: custom samplers, solvers and verifiers):

=========  ==================================================================
type       Python value
=========  ==================================================================
Int        `int`, never `bool`
Float      finite `float`; an `int` is accepted where a Float is expected
           (`canonical` turns it into a float)
Bool       `bool`
Str, Enum  `str`
List       `list`
Set        `list` of distinct elements; canonical form is sorted by
           `sort_key_for(elem)` (numbers and strings in their natural order,
           lists/tuples/records lexicographically, fields in declaration
           order). Checkers accept any order, and Python `set`/`frozenset`.
Tuple      `tuple`; checkers accept a `list` too (JSON has no tuples)
Record     `dict` with exactly the field names, in declaration order when produced
=========  ==================================================================

Each function here is specialised once per type (`sampler_for(t)` returns a
closure) because the per-instance path is a hot loop in RL training.

Sampling is deterministic for a given `random.Random` state on any machine
and Python >= 3.11: it uses `rng.random()`, `rng.randrange` and `rng.sample`
only, and never iterates over an unsorted set. A component with a single
possible value draws nothing. An integer in a range of `size` values is
`lo + int(rng.random() * size)`: uniform up to a relative bias of
`size / 2**53`; ranges above 2**26 values use the exact `rng.randrange`.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import random
import string
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from racesdsl.runtime.types import (
    Interval,
    TAny,
    TBool,
    TEnum,
    TFloat,
    TInt,
    TList,
    TRecord,
    TSet,
    TStr,
    TTuple,
    TType,
    _show_len,
    kind_name,
    show,
)

__all__ = ["Sampler", "Checker", "SamplingError", "sampler_for", "checker_for", "canonical",
           "canonical_for", "sort_key_for", "to_json_value"]

Sampler = Callable[[random.Random], Any]
Checker = Callable[[Any], "str | None"]
Key = Callable[[Any], Any]

DEFAULT_CHARS = string.digits + string.ascii_uppercase + string.ascii_lowercase  # sorted
_FAST_RANGE = 1 << 26  # above this, `random() * size` is too coarse: use randrange
_CAP = 1 << 62  # domain sizes saturate here ("effectively infinite")
_ENUMERATE = 4096  # Set elements from a domain this small are drawn by index, no rejection
_FLOAT_MAX = sys.float_info.max


class SamplingError(ValueError):
    """A type that cannot be sampled from its declaration: unbounded, empty, or a
    Set longer than the number of distinct elements its element type has."""


# ------------------------------------------------------------------ sampling


def sampler_for(t: TType) -> Sampler:
    """A closure drawing a uniform value of `t` from an `rng` (build once, call often)."""
    try:
        return _sampler(t)
    except SamplingError as e:
        inner = str(e)
        if inner.startswith(f"cannot sample {show(t)}:"):
            raise
        raise SamplingError(f"{inner} (inside {show(t)})") from None


def _sampler(t: TType) -> Sampler:
    match t:
        case TInt(r):
            return _uniform_int(*_int_range(t, r))
        case TFloat(r):
            return _float_sampler(t, r)
        case TBool():
            return _draw_bool
        case TEnum(values):
            if not values:
                raise SamplingError(f"cannot sample {show(t)}: it has no values")
            return _choice(tuple(dict.fromkeys(values)))
        case TStr(length, chars, _):
            return _str_sampler(t, length, chars)
        case TList(elem, length):
            return _list_sampler(t, elem, length)
        case TSet(elem, length):
            return _set_sampler(t, elem, length)
        case TTuple(items):
            subs = [_sampler(i) for i in items]
            return lambda rng: tuple([s(rng) for s in subs])
        case TRecord(fields):
            pairs = [(n, _sampler(ft)) for n, ft in fields]
            return lambda rng: {n: s(rng) for n, s in pairs}
    raise SamplingError(f"cannot sample {show(t)}: its type is unknown")


def _int_range(t: TType, r: Interval) -> tuple[int, int]:
    if not r.bounded:
        raise SamplingError(f"cannot sample {show(t)}: it needs both bounds")
    lo, hi = math.ceil(r.lo), math.floor(r.hi)
    if lo > hi:
        raise SamplingError(f"cannot sample {show(t)}: no integer is in {r.show()}")
    return lo, hi


def _len_range(t: TType, r: Interval) -> tuple[int, int]:
    if not r.bounded:
        raise SamplingError(f"cannot sample {show(t)}: it needs a length bound (len=a..b)")
    lo, hi = max(math.ceil(r.lo), 0), math.floor(r.hi)
    if lo > hi:
        raise SamplingError(f"cannot sample {show(t)}: no length is in {r.show()}")
    return lo, hi


def _uniform_int(lo: int, hi: int) -> Callable[[random.Random], int]:
    size = hi - lo + 1
    if size == 1:
        return lambda rng: lo
    if size <= _FAST_RANGE:
        return lambda rng: lo + int(rng.random() * size)
    return lambda rng: rng.randrange(lo, hi + 1)


def _draw_bool(rng: random.Random) -> bool:
    return rng.random() < 0.5


def _choice(values: Sequence[Any]) -> Sampler:
    n = len(values)
    if n == 1:
        only = values[0]
        return lambda rng: only
    return lambda rng: values[int(rng.random() * n)]


def _float_sampler(t: TType, r: Interval) -> Sampler:
    if not r.bounded:
        raise SamplingError(f"cannot sample {show(t)}: it needs both bounds")
    if r.empty:
        raise SamplingError(f"cannot sample {show(t)}: {r.show()} is empty")
    lo, hi = float(r.lo), float(r.hi)
    width = hi - lo
    if width == 0.0:
        return lambda rng: lo
    if math.isinf(width):  # wider than the largest float: interpolate instead
        return lambda rng: (x := rng.random()) * hi + (1.0 - x) * lo

    def draw(rng: random.Random) -> float:
        x = lo + rng.random() * width
        return x if x <= hi else hi  # rounding may overshoot by an ulp

    return draw


def _alphabet(chars: frozenset[str] | None) -> str:
    return DEFAULT_CHARS if chars is None else "".join(sorted(chars))


def _str_sampler(t: TType, length: Interval, chars: frozenset[str] | None) -> Sampler:
    lo, hi = _len_range(t, length)
    alphabet = _alphabet(chars)
    m = len(alphabet)
    if m == 0:
        if lo > 0:
            raise SamplingError(f"cannot sample {show(t)}: no character is allowed")
        return lambda rng: ""
    n = _uniform_int(lo, hi)
    if m == 1:
        return lambda rng: alphabet * n(rng)

    def draw(rng: random.Random) -> str:
        rnd = rng.random
        return "".join([alphabet[int(rnd() * m)] for _ in range(n(rng))])

    return draw


def _list_sampler(t: TType, elem: TType, length: Interval) -> Sampler:
    sub = _sampler(elem)
    n = _uniform_int(*_len_range(t, length))
    # Fast paths inline the element draw; they consume the rng exactly as `sub` would.
    if isinstance(elem, TInt):
        lo, hi = _int_range(elem, elem.range)
        size = hi - lo + 1
        if 1 < size <= _FAST_RANGE:
            def draw_ints(rng: random.Random) -> list[int]:
                rnd = rng.random
                return [lo + int(rnd() * size) for _ in range(n(rng))]
            return draw_ints
    elif isinstance(elem, TBool):
        def draw_bools(rng: random.Random) -> list[bool]:
            rnd = rng.random
            return [rnd() < 0.5 for _ in range(n(rng))]
        return draw_bools
    return lambda rng: [sub(rng) for _ in range(n(rng))]


def _set_sampler(t: TType, elem: TType, length: Interval) -> Sampler:
    sub = _sampler(elem)
    lo, hi = _len_range(t, length)
    size = _domain_size(elem)
    if size < lo:
        raise SamplingError(f"cannot sample {show(t)}: {show(elem)} has only {size} distinct "
                            f"value{'s' * (size != 1)}, fewer than the minimum length {lo}")
    n = _uniform_int(lo, min(hi, size))
    domain: Sequence[Any] | None = None
    if isinstance(elem, TInt):
        a, b = _int_range(elem, elem.range)
        domain = range(a, b + 1)
    elif size <= _ENUMERATE:
        domain = _enumerate(elem)
    if domain is not None:
        index = range(len(domain))
        copy = None if _is_scalar(elem) else canonical_for(elem)  # enumerated values are shared

        def draw_indexed(rng: random.Random) -> list[Any]:
            picked = rng.sample(index, n(rng))
            picked.sort()  # the domain is in key order, so this sorts the set
            if copy is None:
                return [domain[i] for i in picked]
            return [copy(domain[i]) for i in picked]

        return draw_indexed

    key = sort_key_for(elem)
    patience = 10_000

    def draw_rejecting(rng: random.Random) -> list[Any]:
        k = n(rng)
        seen: dict[Any, Any] = {}
        for _ in range(1000 * k + patience):
            if len(seen) == k:
                return [seen[x] for x in sorted(seen)]
            v = sub(rng)
            seen.setdefault(key(v), v)
        if len(seen) == k:
            return [seen[x] for x in sorted(seen)]
        raise SamplingError(f"cannot sample {show(t)}: found only {len(seen)} distinct elements, needed {k}")

    return draw_rejecting


def _is_scalar(t: TType) -> bool:
    return isinstance(t, TInt | TFloat | TBool | TStr | TEnum)


def _domain_size(t: TType) -> int:
    """How many distinct values the sampler of `t` can draw, saturating at `_CAP`."""
    match t:
        case TInt(r):
            return min(max(math.floor(r.hi) - math.ceil(r.lo) + 1, 0), _CAP)
        case TFloat(r):
            return 1 if r.lo == r.hi else _CAP
        case TBool():
            return 2
        case TEnum(values):
            return len(set(values))
        case TStr(length, chars, _):
            return _sequences(len(_alphabet(chars)), length)
        case TList(elem, length):
            return _sequences(_domain_size(elem), length)
        case TSet(elem, length):
            return _subsets(_domain_size(elem), length)
        case TTuple(items):
            return _product(_domain_size(i) for i in items)
        case TRecord(fields):
            return _product(_domain_size(ft) for _, ft in fields)
    return _CAP


def _product(sizes: Iterable[int]) -> int:
    total = 1
    for s in sizes:
        total = min(total * s, _CAP)
    return total


def _sequences(m: int, length: Interval) -> int:
    lo, hi = max(math.ceil(length.lo), 0), math.floor(length.hi)
    if lo > hi:
        return 0
    if m == 0:
        return 1 if lo == 0 else 0
    if m == 1:
        return min(hi - lo + 1, _CAP)
    total = 0
    for k in range(lo, min(hi, lo + 64) + 1):  # m**64 already saturates
        total += m**k
    return min(total, _CAP)


def _subsets(m: int, length: Interval) -> int:
    lo, hi = max(math.ceil(length.lo), 0), min(math.floor(length.hi), m)
    total = 0
    for k in range(lo, hi + 1):
        if m >= 128 and 64 <= k <= m - 64:  # comb(m, k) >= comb(128, 64) > _CAP: skip the bignum
            return _CAP
        total += math.comb(m, k)
        if total >= _CAP:
            return _CAP
    return total
