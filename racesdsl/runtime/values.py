"""Run-time values of the language's types: samplers, membership checks, canonical forms.

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

Everything is specialised once per type (`sampler_for(t)` returns a closure):
the per-instance path is a hot loop in RL training.

Sampling is deterministic for a given `random.Random` state on any machine and
Python >= 3.11: it calls only `rng.random()`, `rng.randrange` and `rng.sample`,
and never iterates over an unsorted set. A component with one possible value
draws nothing. An integer among `size` values is `lo + int(rng.random() * size)`,
uniform up to a relative bias of `size / 2**53`; above 2**26 values it is the
exact `rng.randrange`.
"""

from __future__ import annotations

import functools
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

__all__ = ["DEFAULT_CHARS", "Checker", "Sampler", "SamplingError", "canonical", "canonical_for",
           "checker_for", "sampler_for", "sort_key_for", "to_json_value"]

Sampler = Callable[[random.Random], Any]
Checker = Callable[[Any], str | None]
Key = Callable[[Any], Any]

DEFAULT_CHARS = string.digits + string.ascii_uppercase + string.ascii_lowercase
"""The alphabet of a `Str` without `chars` (sorted, so draws are reproducible)."""

_FAST_RANGE = 1 << 26  # above this many values `random() * size` gets coarse: use randrange
_CAP = 1 << 62  # domain sizes saturate here ("effectively infinite")
_FLOAT_MAX = sys.float_info.max


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


def _set_sampler(t: TType, elem: TType, length: Interval) -> Sampler:
    sub = _sampler(elem)
    lo, hi = _bounds(t, length, length=True)
    size = _domain_size(elem)
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

        return draw_sparse_ints
    if isinstance(elem, TInt):
        a, b = _bounds(elem, elem.range)
        domain = range(a, b + 1)

        def draw_dense_ints(rng: random.Random) -> list[int]:
            picked = rng.sample(domain, n(rng))
            picked.sort()
            return picked

        return draw_dense_ints
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
        return [seen[x] for x in sorted(seen)]

    return draw_distinct


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
    if lo > hi or m == 0:
        return int(lo <= 0 <= hi)
    if m == 1:
        return min(hi - lo + 1, _CAP)
    if lo >= 64:  # m**64 already saturates: skip the bignums
        return _CAP
    return min(sum(m**k for k in range(lo, min(hi, 64) + 1)), _CAP)


def _subsets(m: int, length: Interval) -> int:
    total = 0
    for k in range(max(math.ceil(length.lo), 0), min(math.floor(length.hi), m) + 1):
        if m >= 128 and 64 <= k <= m - 64:  # comb(m, k) >= comb(128, 64) > _CAP: skip the bignum
            return _CAP
        total += math.comb(m, k)
        if total >= _CAP:
            return _CAP
    return total


# ------------------------------------------------------------------- ordering


def sort_key_for(t: TType) -> Key:
    """The order of Set elements in canonical form (equal keys iff equal values)."""
    return _key(t) or _identity


def _identity(v: Any) -> Any:
    return v


def _any_key(v: Any) -> tuple[str, str]:
    return type(v).__name__, repr(v)


def _key(t: TType) -> Key | None:
    """A hashable, totally ordered key for values of `t`; None when a value is its own key."""
    match t:
        case TList(elem, _):
            k = _key(elem)
            return tuple if k is None else (lambda v: tuple(map(k, v)))
        case TSet(elem, _):
            k = _key(elem)
            return (lambda v: tuple(sorted(v))) if k is None else (lambda v: tuple(sorted(map(k, v))))
        case TTuple(items):
            keys = [_key(i) or _identity for i in items]
            return lambda v: tuple([k(x) for k, x in zip(keys, v, strict=True)])
        case TRecord(fields):
            pairs = [(n, _key(ft) or _identity) for n, ft in fields]
            return lambda v: tuple([k(v[n]) for n, k in pairs])
        case TAny():
            return _any_key
    return None


# ------------------------------------------------------------------ checking


def checker_for(t: TType) -> Checker:
    """A closure returning None when a value inhabits `t`, else a short reason in the
    language's notation. It never raises: it judges untrusted answers and hook outputs."""
    inner = _checker(t)

    def check(v: Any) -> str | None:
        try:
            return inner(v)
        except Exception as e:  # a hostile __eq__/__hash__/__len__, a value too deep to print
            return f"cannot check the value ({type(e).__name__})"

    return check


def _accept(v: Any) -> None:
    return None


def _type_name(v: Any) -> str:
    return "None" if v is None else type(v).__name__


def _expected(t: TType, v: Any) -> str:
    return f"expected {'a string' if isinstance(t, TEnum) else kind_name(t)}, got {_type_name(v)}"


def _show_value(v: Any) -> str:
    """A scalar as the language writes it, cut short; any other value by its kind."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(int(v)) if v.bit_length() <= 128 else f"an integer of {v.bit_length()} bits"
    if isinstance(v, float):
        return repr(float(v))
    if isinstance(v, str):
        return json.dumps(v if len(v) <= 40 else v[:40] + "…", ensure_ascii=False)
    return _type_name(v)


def _is_int(v: Any) -> bool:
    return type(v) is int or (isinstance(v, int) and not isinstance(v, bool))


def _checker(t: TType) -> Checker:
    where = show(t)
    match t:
        case TInt(Interval(lo, hi)):
            return lambda v: (_expected(t, v) if not _is_int(v)
                              else None if lo <= v <= hi else f"{_show_value(v)} is not in {where}")
        case TFloat(Interval(lo, hi)):
            def check_float(v: Any) -> str | None:
                if isinstance(v, float):
                    if not math.isfinite(v):
                        return f"{_show_value(v)} is not a finite float"
                elif not _is_int(v):
                    return _expected(t, v)
                elif not -_FLOAT_MAX <= v <= _FLOAT_MAX:
                    return f"{_show_value(v)} is too large for a float"
                return None if lo <= v <= hi else f"{_show_value(v)} is not in {where}"
            return check_float
        case TBool():
            return lambda v: None if type(v) is bool else _expected(t, v)
        case TEnum(values):
            allowed = frozenset(values)
            return lambda v: (_expected(t, v) if not isinstance(v, str)
                              else None if v in allowed else f"{_show_value(v)} is not in {where}")
        case TStr(length, chars, _):
            return _str_checker(t, length, chars)
        case TList(elem, length):
            scan, bad_length = _scanner(elem), _length_checker(length)
            return lambda v: (bad_length(len(v)) or scan(v)) if isinstance(v, list) else _expected(t, v)
        case TSet(elem, length):
            return _set_checker(t, elem, length)
        case TTuple(items):
            return _tuple_checker(t, items)
        case TRecord(fields):
            return _record_checker(t, fields)
    return _accept


def _length_checker(length: Interval) -> Callable[[int], str | None]:
    lo, hi, text = length.lo, length.hi, _show_len(length)
    return lambda n: None if lo <= n <= hi else f"length {n} is not in len={text}"


def _str_checker(t: TType, length: Interval, chars: frozenset[str] | None) -> Checker:
    bad_length, where = _length_checker(length), show(t)

    def check_str(v: Any) -> str | None:
        if not isinstance(v, str):
            return _expected(t, v)
        why = bad_length(len(v))
        if why is not None:
            return f"{_show_value(v)}: {why}"
        if chars is None or chars.issuperset(v):
            return None
        bad = next(c for c in v if c not in chars)
        return f"{_show_value(v)}: character {_show_value(bad)} is not allowed in {where}"

    return check_str


def _scanner(elem: TType) -> Callable[[Sequence[Any]], str | None]:
    """Checks the elements of a list, with an inlined loop for the common Int elements."""
    if isinstance(elem, TAny):
        return _accept
    sub = _checker(elem)

    def scan(items: Sequence[Any]) -> str | None:
        for i, x in enumerate(items):
            why = sub(x)
            if why is not None:
                return f"element {i}: {why}"
        return None

    if not isinstance(elem, TInt):
        return scan
    lo, hi = elem.range.lo, elem.range.hi

    def scan_ints(items: Sequence[Any]) -> str | None:
        for x in items:
            if type(x) is not int or not lo <= x <= hi:
                return scan(items)  # (or an int subclass, which `scan` accepts)
        return None

    return scan_ints


def _set_checker(t: TType, elem: TType, length: Interval) -> Checker:
    scan, bad_length, key = _scanner(elem), _length_checker(length), _key(elem)

    def check_set(v: Any) -> str | None:
        if isinstance(v, list):
            items = v
        elif isinstance(v, set | frozenset):
            items = sorted(v, key=_any_key)  # a fixed order, so messages are reproducible
        else:
            return _expected(t, v)
        why = bad_length(len(items)) or scan(items)
        if why is not None:
            return why
        keys = items if key is None else list(map(key, items))
        if len(set(keys)) == len(keys):
            return None
        first: dict[Any, int] = {}
        for i, k in enumerate(keys):
            j = first.setdefault(k, i)
            if j != i:
                return f"element {i} repeats element {j}" + (f": {_show_value(items[i])}" if key is None else "")
        return None  # unreachable: some key repeats

    return check_set


def _tuple_checker(t: TType, items: tuple[TType, ...]) -> Checker:
    subs = [_checker(i) for i in items]
    n = len(subs)

    def check_tuple(v: Any) -> str | None:
        if not isinstance(v, tuple | list):
            return _expected(t, v)
        if len(v) != n:
            return f"expected {n} item{'s' * (n != 1)}, got {len(v)}"
        for i, (sub, x) in enumerate(zip(subs, v, strict=True)):
            why = sub(x)
            if why is not None:
                return f"item {i}: {why}"
        return None

    return check_tuple


def _record_checker(t: TType, fields: tuple[tuple[str, TType], ...]) -> Checker:
    pairs = [(n, _checker(ft)) for n, ft in fields]
    names = frozenset(n for n, _ in fields)

    def check_record(v: Any) -> str | None:
        if not isinstance(v, dict):
            return _expected(t, v)
        for n, sub in pairs:
            if n not in v:
                return f"missing field `{n}`"
            why = sub(v[n])
            if why is not None:
                return f"field `{n}`: {why}"
        if len(v) != len(pairs):
            extra = next(k for k in v if k not in names)
            return f"unexpected field `{extra}`" if isinstance(extra, str) else f"unexpected key {_show_value(extra)}"
        return None

    return check_record


# ----------------------------------------------------------------- canonical


def canonical(value: Any, t: TType) -> Any:
    """The canonical form of a value `checker_for(t)` accepts: compare and export only these."""
    return canonical_for(t)(value)


@functools.lru_cache(maxsize=1024)
def canonical_for(t: TType) -> Callable[[Any], Any]:
    """`canonical` specialised to `t` (tuples from lists, sorted sets, floats for ints,
    declared field order). It builds fresh containers, so callers may mutate the result."""
    match t:
        case TInt():
            return int
        case TFloat():
            return float
        case TStr() | TEnum():
            return str
        case TList(elem, _):
            c = canonical_for(elem)
            return lambda v: list(map(c, v))
        case TSet(elem, _):
            c, k = canonical_for(elem), _key(elem)
            return lambda v: sorted(map(c, v), key=k)
        case TTuple(items):
            cs = [canonical_for(i) for i in items]
            return lambda v: tuple([c(x) for c, x in zip(cs, v, strict=True)])
        case TRecord(fields):
            pairs = [(n, canonical_for(ft)) for n, ft in fields]
            return lambda v: {n: c(v[n]) for n, c in pairs}
    return _identity  # Bool; `?` (an erroneous type) leaves the value alone


def to_json_value(value: Any) -> Any:
    """Tuples become lists for JSON export; canonical values hold nothing else JSON lacks."""
    kind = type(value)
    if kind is list or kind is tuple:
        return [to_json_value(x) for x in value]
    if kind is dict:
        return {k: to_json_value(x) for k, x in value.items()}
    return value
