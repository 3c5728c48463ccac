"""Run-time values of the language's types: the representation, samplers, JSON export.
Membership checks, canonical forms and the canonical order are in checks.py.

Value representation, a contract between the runtime, generated code and the
python hooks (custom samplers, solvers, verifiers):

- Int -> `int`, never `bool`.
- Float -> finite `float`; an `int` is accepted where a Float is expected
  (`canonical` makes it a float).
- Bool -> `bool`; Str and Enum -> `str`; List -> `list`.
- Set -> `list` of distinct elements. The canonical form is sorted by
  `sort_key_for(elem)` (numbers and strings in their natural order, lists,
  tuples and records lexicographically, fields in declaration order); checkers
  accept any order, and a Python `set`/`frozenset` too.
- Tuple -> `tuple`; checkers accept a `list` (JSON has no tuples).
- Record -> `dict` with exactly the field names, in declaration order when produced.
- Map -> `dict` of distinct keys (`int` or `str`) to values; canonical form in key order.
  JSON writes integer keys as strings; answers read them back as integers.
- Optional -> `None` or a value of the inner type. Sampled as one `rng.random() < 0.5`
  (None) and, when that fails, a value of the inner type.

Everything is specialised once per type (`sampler_for(t)` returns a closure):
the per-instance path is a hot loop in RL training.

Sampling is deterministic for a given generator state (instances use
runtime/rng.py's `InstanceRandom`; any `random.Random` works) on any machine and
Python >= 3.11: it calls only `rng.random()`, `rng.randrange` and `rng.sample`,
and never iterates over an unsorted set. A component with one possible value
draws nothing. An integer among `size` values is `lo + int(rng.random() * size)`,
uniform up to a relative bias of `size / 2**52` (the instance generator's floats
carry 52 random bits); above 2**26 values it is the
exact `rng.randrange`.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Callable, Iterable
from typing import Any

from racesdsl.runtime.checks import sort_key_for
from racesdsl.runtime.types import (
    Interval,
    TBool,
    TEnum,
    TFloat,
    TInt,
    TList,
    TMap,
    TOptional,
    TRecord,
    TSet,
    TStr,
    TTuple,
    TType,
    show,
)

__all__ = ["DEFAULT_CHARS", "Sampler", "SamplingError", "domain_size", "sampler_for", "to_json_value"]

Sampler = Callable[[random.Random], Any]

DEFAULT_CHARS = string.digits + string.ascii_uppercase + string.ascii_lowercase
"""The alphabet of a `Str` without `chars` (sorted, so draws are reproducible)."""

_FAST_RANGE = 1 << 26  # above this many values `random() * size` gets coarse: use randrange
_CAP = 1 << 62  # domain sizes saturate here ("effectively infinite")


class SamplingError(ValueError):
    """A type that cannot be sampled from its declaration: unbounded, empty, or a
    Set longer than the number of distinct values its element type has."""


# ------------------------------------------------------------------ sampling


def sampler_for(t: TType) -> Sampler:
    """A closure drawing a value of `t` (each component uniform) from an `rng`: build once, call often."""
    try:
        return _sampler(t)
    except SamplingError as e:
        if str(e).startswith(f"cannot sample {show(t)}:"):
            raise
        raise SamplingError(f"{e} (inside {show(t)})") from None


def _sampler(t: TType) -> Sampler:
    match t:
        case TInt(r):
            return _uniform_int(*_bounds(t, r))
        case TFloat(r):
            return _float_sampler(t, r)
        case TBool():
            return lambda rng: rng.random() < 0.5
        case TEnum(values):
            if not values:
                raise SamplingError(f"cannot sample {show(t)}: it has no values")
            choices = tuple(dict.fromkeys(values))
            n, only = len(choices), choices[0]
            return (lambda rng: only) if n == 1 else (lambda rng: choices[int(rng.random() * n)])
        case TStr(length, chars, _):
            return _str_sampler(t, length, chars)
        case TList(elem, length, distinct):
            return _set_sampler(t, elem, length, ordered=True) if distinct else _list_sampler(t, elem, length)
        case TSet(elem, length):
            return _set_sampler(t, elem, length)
        case TTuple(items):
            subs = [_sampler(i) for i in items]
            return lambda rng: tuple([s(rng) for s in subs])
        case TRecord(fields):
            pairs = [(n, _sampler(ft)) for n, ft in fields]
            return lambda rng: {n: s(rng) for n, s in pairs}
        case TMap(key, value, length):
            keys, val = _set_sampler(t, key, length), _sampler(value)
            return lambda rng: {k: val(rng) for k in keys(rng)}  # keys sorted, then values in key order
        case TOptional(inner):
            sub = _sampler(inner)
            return lambda rng: None if rng.random() < 0.5 else sub(rng)
    raise SamplingError(f"cannot sample {show(t)}: its type is unknown")


def _bounds(t: TType, r: Interval, length: bool = False) -> tuple[int, int]:
    """The integers (or lengths) a sampler may draw; they must be finite and non-empty."""
    if not r.bounded:
        need = "a length bound (len=a..b)" if length else "both bounds"
        raise SamplingError(f"cannot sample {show(t)}: it needs {need}")
    lo, hi = math.ceil(r.lo), math.floor(r.hi)
    lo = max(lo, 0) if length else lo
    if lo > hi:
        raise SamplingError(f"cannot sample {show(t)}: no {'length' if length else 'integer'} is in {r.show()}")
    return lo, hi


def _uniform_int(lo: int, hi: int) -> Callable[[random.Random], int]:
    size = hi - lo + 1
    if size == 1:
        return lambda rng: lo
    if size <= _FAST_RANGE:
        return lambda rng: lo + int(rng.random() * size)
    return lambda rng: rng.randrange(lo, hi + 1)


def _float_sampler(t: TType, r: Interval) -> Sampler:
    if not r.bounded or r.empty:
        raise SamplingError(f"cannot sample {show(t)}: it needs both bounds, lowest first")
    lo, hi = float(r.lo), float(r.hi)
    width = hi - lo
    if width == 0.0:
        return lambda rng: lo
    if math.isinf(width):  # wider than the largest float: interpolate instead
        return lambda rng: (x := rng.random()) * hi + (1.0 - x) * lo
    return lambda rng: min(lo + rng.random() * width, hi)  # rounding may overshoot by an ulp


def _alphabet(chars: frozenset[str] | None) -> str:
    return DEFAULT_CHARS if chars is None else "".join(sorted(chars))


def _str_sampler(t: TType, length: Interval, chars: frozenset[str] | None) -> Sampler:
    lo, hi = _bounds(t, length, length=True)
    alphabet = _alphabet(chars)
    m = len(alphabet)
    if m == 0:
        if lo > 0:
            raise SamplingError(f"cannot sample {show(t)}: no character is allowed")
        return lambda rng: ""
    n = _uniform_int(lo, hi)
    if m == 1:
        return lambda rng: alphabet * n(rng)

    def draw_str(rng: random.Random) -> str:
        rnd = rng.random
        return "".join([alphabet[int(rnd() * m)] for _ in range(n(rng))])

    return draw_str


def _list_sampler(t: TType, elem: TType, length: Interval) -> Sampler:
    sub = _sampler(elem)
    n = _uniform_int(*_bounds(t, length, length=True))
    # The fast path inlines the element draw; it consumes the rng exactly as `sub` does.
    if isinstance(elem, TInt):
        lo, hi = _bounds(elem, elem.range)
        size = hi - lo + 1
        if 1 < size <= _FAST_RANGE:
            def draw_ints(rng: random.Random) -> list[int]:
                rnd = rng.random
                return [lo + int(rnd() * size) for _ in range(n(rng))]
            return draw_ints
    return lambda rng: [sub(rng) for _ in range(n(rng))]


def _set_sampler(t: TType, elem: TType, length: Interval, ordered: bool = False) -> Sampler:
    """Distinct elements: sorted for a Set; in draw order (a random arrangement) when `ordered`,
    for `List[..., distinct]`. Both consume the rng alike."""
    sub = _sampler(elem)
    lo, hi = _bounds(t, length, length=True)
    size = domain_size(elem)
    if size < lo:
        raise SamplingError(f"cannot sample {show(t)}: {show(elem)} has only {size} distinct "
                            f"value{'s' * (size != 1)}, fewer than the minimum length {lo}")
    n = _uniform_int(lo, min(hi, size))
    if isinstance(elem, TInt) and 2 * min(hi, size) <= size <= _FAST_RANGE:
        a = _bounds(elem, elem.range)[0]

        def draw_sparse_ints(rng: random.Random) -> list[int]:
            k, rnd, seen = n(rng), rng.random, set()
            while len(seen) < k:  # fewer than 2k draws on average: k is at most half the range
                seen.add(a + int(rnd() * size))
            return sorted(seen)

        def draw_sparse_arrangement(rng: random.Random) -> list[int]:
            k, rnd, seen = n(rng), rng.random, {}
            while len(seen) < k:
                seen[a + int(rnd() * size)] = None
            return list(seen)

        return draw_sparse_arrangement if ordered else draw_sparse_ints
    if isinstance(elem, TInt):
        a, b = _bounds(elem, elem.range)
        domain = range(a, b + 1)

        def draw_dense_ints(rng: random.Random) -> list[int]:
            picked = rng.sample(domain, n(rng))
            picked.sort()
            return picked

        return (lambda rng: rng.sample(domain, n(rng))) if ordered else draw_dense_ints
    key = sort_key_for(elem)

    def draw_distinct(rng: random.Random) -> list[Any]:
        k = n(rng)
        seen: dict[Any, Any] = {}
        budget = 1000 * k + 10_000  # ample whenever k <= size; guards a miscounted domain
        while len(seen) < k:
            budget -= 1
            if budget < 0:
                raise SamplingError(f"cannot sample {show(t)}: found only {len(seen)} distinct elements")
            v = sub(rng)
            seen.setdefault(key(v), v)
        return list(seen.values()) if ordered else [seen[x] for x in sorted(seen)]

    return draw_distinct


def domain_size(t: TType, any_chars: bool = False) -> int:
    """How many distinct values the sampler of `t` can draw, saturating at `_CAP`. With
    `any_chars`, how many values `t` has: a `Str` without `chars=` may hold any character,
    not only the sampler's alphabet (the checker's count, for outputs too)."""
    match t:
        case TInt(r):
            if not r.bounded:  # only an output or an alias is unbounded; inputs are checked bounded
                return _CAP
            return min(max(math.floor(r.hi) - math.ceil(r.lo) + 1, 0), _CAP)
        case TFloat(r):
            return 1 if r.lo == r.hi else _CAP
        case TBool():
            return 2
        case TEnum(values):
            return len(set(values))
        case TStr(length, chars, _):
            return _CAP if any_chars and chars is None and length.hi > 0 else _sequences(len(_alphabet(chars)), length)
        case TList(elem, length, True):
            return _arrangements(domain_size(elem, any_chars), length)
        case TList(elem, length):
            return _sequences(domain_size(elem, any_chars), length)
        case TSet(elem, length):
            return _subsets(domain_size(elem, any_chars), length)
        case TTuple(items):
            return _product(domain_size(i, any_chars) for i in items)
        case TRecord(fields):
            return _product(domain_size(ft, any_chars) for _, ft in fields)
        case TMap(key, value, length):
            m, v = domain_size(key, any_chars), domain_size(value, any_chars)
            return _product([_subsets(m, length), _sequences(v, Interval(0, min(length.hi, m)))])
        case TOptional(inner):
            return min(domain_size(inner, any_chars) + 1, _CAP)
    return _CAP


def _product(sizes: Iterable[int]) -> int:
    total = 1
    for s in sizes:
        total = min(total * s, _CAP)
    return total


def _sequences(m: int, length: Interval) -> int:
    if length.hi == math.inf:
        return _CAP if m else int(length.lo <= 0)
    lo, hi = max(math.ceil(length.lo), 0), math.floor(length.hi)
    if lo > hi or m == 0:
        return int(lo <= 0 <= hi)
    if m == 1:
        return min(hi - lo + 1, _CAP)
    if lo >= 64:  # m**64 already saturates: skip the bignums
        return _CAP
    return min(sum(m**k for k in range(lo, min(hi, 64) + 1)), _CAP)


def _arrangements(m: int, length: Interval) -> int:
    """Sequences of k distinct elements out of m, summed over the lengths k."""
    total = 0
    for k in range(max(math.ceil(length.lo), 0), min(length.hi, m) + 1):
        if k >= 64:  # m!/(m-k)! >= 64! > _CAP
            return _CAP
        total += math.perm(m, k)
        if total >= _CAP:
            return _CAP
    return total


def _subsets(m: int, length: Interval) -> int:
    total = 0
    for k in range(max(math.ceil(length.lo), 0), min(length.hi, m) + 1):  # hi may be inf: m stops it
        if m >= 128 and 64 <= k <= m - 64:  # comb(m, k) >= comb(128, 64) > _CAP: skip the bignum
            return _CAP
        total += math.comb(m, k)
        if total >= _CAP:
            return _CAP
    return total


# -------------------------------------------------------------------- export


def to_json_value(value: Any) -> Any:
    """Tuples become lists for JSON export; canonical values hold nothing else JSON lacks."""
    kind = type(value)
    if kind is list or kind is tuple:
        return [to_json_value(x) for x in value]
    if kind is dict:
        return {k: to_json_value(x) for k, x in value.items()}
    return value
