"""Membership checks, canonical forms and the canonical order of run-time values.

The value representation these judge is the contract in values.py. Checkers judge
untrusted answers and hook outputs, so they never raise; like the samplers, every
function here is specialised once per type and the closure is called in a hot loop."""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from racesdsl.runtime.limits import MAX_INT_DIGITS
from racesdsl.runtime.types import (
    Interval,
    TAny,
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
    _show_len,
    kind_name,
    show,
)

__all__ = ["Checker", "canonical", "canonical_for", "checker_for", "preview", "sort_key_for"]

Checker = Callable[[Any], str | None]
Key = Callable[[Any], Any]

_FLOAT_MAX = sys.float_info.max
_INT_MAX = 10**MAX_INT_DIGITS - 1  # beyond it Python cannot print an int (4,300 digits) nor JSON carry it


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
        case TMap(_, value, _):  # keys are ints or strings: their own keys
            vk = _key(value) or _identity
            return lambda v: tuple(sorted([(k, vk(x)) for k, x in v.items()]))
        case TOptional(inner):  # none first
            ik = _key(inner) or _identity
            return lambda v: (0,) if v is None else (1, ik(v))
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


def preview(v: Any, limit: int = 200) -> str:
    """`repr(v)` cut to `limit` characters, for messages; a value Python refuses to
    print (an int of more than 4,300 digits, anywhere inside it) is named by its kind."""
    try:
        return repr(v)[:limit]
    except ValueError:
        return _show_value(v) if isinstance(v, int) else f"a {_type_name(v)} holding an integer too long to print"


def _is_int(v: Any) -> bool:
    return type(v) is int or (isinstance(v, int) and not isinstance(v, bool))


def _int_bounds(t: TInt) -> tuple[int | float, int | float]:
    """`t`'s interval cut to the integers of at most MAX_INT_DIGITS digits (an
    unbounded `Int` output would otherwise pass numbers no printer can write)."""
    return max(t.range.lo, -_INT_MAX), min(t.range.hi, _INT_MAX)


def _checker(t: TType) -> Checker:
    where = show(t)
    match t:
        case TInt(Interval(lo, hi)):
            small_lo, small_hi = _int_bounds(t)  # the same comparisons: no cost on the hot path

            def check_int(v: Any) -> str | None:
                if not _is_int(v):
                    return _expected(t, v)
                if small_lo <= v <= small_hi:
                    return None
                if lo <= v <= hi:
                    return f"{_show_value(v)} has more than {MAX_INT_DIGITS} digits"
                return f"{_show_value(v)} is not in {where}"
            return check_int
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
        case TList(elem, length, distinct):
            scan, bad_length = _scanner(elem), _length_checker(length)
            if distinct:
                return _distinct_checker(t, _key(elem) or _identity, bad_length, scan)
            return lambda v: (bad_length(len(v)) or scan(v)) if isinstance(v, list) else _expected(t, v)
        case TSet(elem, length):
            return _set_checker(t, elem, length)
        case TTuple(items):
            return _tuple_checker(t, items)
        case TRecord(fields):
            return _record_checker(t, fields)
        case TMap(key, value, length):
            return _map_checker(t, key, value, length)
        case TOptional(inner):
            sub = _checker(inner)
            return lambda v: None if v is None else sub(v)
    return _accept


def _distinct_checker(t: TType, key: Key, bad_length: Callable[[int], str | None], scan: Checker) -> Checker:
    """A `List[..., distinct]`: its elements are checked first, then that none repeats."""
    def check_distinct(v: Any) -> str | None:
        if not isinstance(v, list):
            return _expected(t, v)
        why = bad_length(len(v)) or scan(v)
        if why is None and len(set(map(key, v))) != len(v):
            return "its elements are not distinct"
        return why

    return check_distinct


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
    lo, hi = _int_bounds(elem)

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


def _map_checker(t: TType, key: TType, value: TType, length: Interval) -> Checker:
    check_key, check_value, bad_length = _checker(key), _checker(value), _length_checker(length)

    def check_map(v: Any) -> str | None:
        if not isinstance(v, dict):
            return _expected(t, v)
        why = bad_length(len(v))
        if why is not None:
            return why
        for k, x in sorted(v.items(), key=lambda kv: _any_key(kv[0])):  # a fixed order: reproducible messages
            why = check_key(k)
            if why is not None:
                return f"key {_show_value(k)}: {why}"
            why = check_value(x)
            if why is not None:
                return f"value at {_show_value(k)}: {why}"
        return None

    return check_map


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
        case TMap(key, value, _):
            ck, cv = canonical_for(key), canonical_for(value)
            return lambda v: {ck(k): cv(v[k]) for k in sorted(v)}
        case TOptional(inner):
            ci = canonical_for(inner)
            return lambda v: None if v is None else ci(v)
    return _identity  # Bool; `?` (an erroneous type) leaves the value alone

