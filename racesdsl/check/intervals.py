"""Interval arithmetic for the expression checker: bounds of `+ - * / // % **`,
`abs`, slices and `range`.

Every function here is *sound*: the interval it returns contains every value
Python can produce for operands inside the given intervals (a run-time error
such as `x // 0` produces no value, so it needs no room). Integer bounds are
clamped at `BIG` so that mixing them with floats cannot overflow.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from racesdsl.runtime.types import (
    INF,
    UNBOUNDED,
    Interval,
    Number,
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
)

__all__ = ["BIG", "abs_interval", "arith", "as_float", "ceil_div", "clamp", "clamp_type", "int_mod", "power",
           "range_type", "slice_length", "times"]

# Integer bounds beyond this are widened to infinity: `int + inf` raises
# OverflowError once the int no longer fits a float, and nobody needs 2**256.
BIG = 2**256


def clamp(iv: Interval) -> Interval:
    """Widen integer bounds too large to mix with floats (keeps soundness)."""
    lo, hi = iv.lo, iv.hi
    if isinstance(lo, int) and abs(lo) > BIG:
        lo = -INF if lo < 0 else BIG
    if isinstance(hi, int) and abs(hi) > BIG:
        hi = INF if hi > 0 else -BIG
    return Interval(lo, hi)


def clamp_type(t: TType) -> TType:
    """`clamp` every interval inside a type, so arithmetic on it cannot overflow."""
    match t:
        case TInt(r):
            return TInt(clamp(r))
        case TFloat(r):
            return TFloat(clamp(r))
        case TStr(n, chars, src):
            return TStr(clamp(n), chars, src)
        case TList(e, n):
            return TList(clamp_type(e), clamp(n))
        case TSet(e, n):
            return TSet(clamp_type(e), clamp(n))
        case TTuple(items):
            return TTuple(tuple(clamp_type(i) for i in items))
        case TRecord(fields):
            return TRecord(tuple((name, clamp_type(ft)) for name, ft in fields))
        case TMap(k, v, n):
            return TMap(clamp_type(k), clamp_type(v), clamp(n))
        case TOptional(inner):
            return TOptional(clamp_type(inner))
    return t


def as_float(iv: Interval) -> Interval:
    """Bounds as Python converts an int operand meeting a float (monotone rounding)."""
    return Interval(float(iv.lo), float(iv.hi))


def times(a: Number, b: Number) -> Number:
    """`a * b` for bounds, where a zero factor wins over an infinite one."""
    return 0 if a == 0 or b == 0 else a * b


def _corners(x: Interval, y: Interval, f: Callable[[Number, Number], Number]) -> Interval:
    vals = [f(a, b) for a in (x.lo, x.hi) for b in (y.lo, y.hi)]
    if any(isinstance(v, float) and math.isnan(v) for v in vals):
        return UNBOUNDED
    return Interval(min(vals), max(vals))


def _nonzero_parts(y: Interval, integral: bool) -> list[Interval] | None:
    """The divisor without zero (which raises, so yields no value); None if unboundable
    (or empty: an empty divisor, left by a reported error, yields no value either)."""
    if y.empty:
        return None
    if not y.contains_value(0):
        return [y]
    if not integral:
        return None
    parts = []
    if y.hi >= 1:
        parts.append(Interval(1, y.hi))
    if y.lo <= -1:
        parts.append(Interval(y.lo, -1))
    return parts or None


def _quot(a: Number, b: Number) -> Number:
    """The limit of a / b at a corner (b is never zero here)."""
    if math.isinf(b):
        return math.nan if math.isinf(a) else 0.0
    return a / b


def _floor_quot(a: Number, b: Number) -> Number:
    if math.isinf(a) or math.isinf(b):
        q = _quot(a, b)
        return q if math.isnan(q) or math.isinf(q) else 0
    return a // b  # exact for ints, unlike floor(a / b)


def _by_parts(x: Interval, y: Interval, integral: bool, f: Callable[[Number, Number], Number]) -> Interval:
    parts = _nonzero_parts(y, integral)
    if parts is None:
        return UNBOUNDED
    out = _corners(x, parts[0], f)
    for p in parts[1:]:
        out = out.hull(_corners(x, p, f))
    return out


def int_mod(x: Interval, y: Interval) -> Interval:
    """`x % y` on ints: the result takes the divisor's sign and is smaller in size."""
    parts = _nonzero_parts(y, True)
    if parts is None:
        return UNBOUNDED
    out: Interval | None = None
    for p in parts:
        if p.lo >= 1:
            r = x if 0 <= x.lo and x.hi < p.lo else Interval(0, p.hi - 1)
            if x.lo >= 0:
                r = Interval(r.lo, min(r.hi, x.hi))
        else:
            r = x if 0 >= x.hi and x.lo > p.hi else Interval(p.lo + 1, 0)
            if x.hi <= 0:
                r = Interval(max(r.lo, x.lo), r.hi)
        out = r if out is None else out.hull(r)
    assert out is not None
    return out


def arith(op: str, x: TInt | TFloat, y: TInt | TFloat) -> TInt | TFloat:
    """`x op y` for op in + - * / // %: Int when both are Int (except `/`)."""
    ints = isinstance(x, TInt) and isinstance(y, TInt)
    a, b = clamp(x.range), clamp(y.range)
    if not ints:
        a, b = as_float(a), as_float(b)  # mirror Python: the int operand is converted first
    if op == "/":
        return TFloat(as_float(clamp(_by_parts(a, b, ints, _quot))))
    if op == "+":
        r = a + b
    elif op == "-":
        r = a - b
    elif op == "*":
        r = a * b
    elif op == "//":
        r = _by_parts(a, b, True, _floor_quot) if ints else UNBOUNDED
    else:  # "%": a float remainder lies between zero and the divisor
        r = int_mod(a, b) if ints else Interval(min(0.0, b.lo), max(0.0, b.hi))
    return TInt(clamp(r)) if ints else TFloat(as_float(r))


def _pow_bound(v: Number, k: int, up: bool) -> Number:
    """`v ** k`; float results move one ulp outward unless exact (libm pow may be 1 ulp off)."""
    try:
        r = v**k
    except OverflowError:
        return INF if v > 0 or k % 2 == 0 else -INF
    if isinstance(r, float) and math.isfinite(r) and math.isfinite(v) and Fraction(r) != Fraction(v) ** k:
        r = math.nextafter(r, INF if up else -INF)
    return r


def power(t: TInt | TFloat, k: int) -> TInt | TFloat:
    """`t ** k` for a constant 0 <= k <= 64, minding negative bases and parity."""
    iv = clamp(t.range)
    if isinstance(t, TFloat):
        iv = as_float(iv)
    if k == 0:
        r = Interval(1, 1)
    elif k % 2 == 1 or iv.lo >= 0:
        r = Interval(_pow_bound(iv.lo, k, False), _pow_bound(iv.hi, k, True))
    elif iv.hi <= 0:
        r = Interval(_pow_bound(iv.hi, k, False), _pow_bound(iv.lo, k, True))
    else:
        r = Interval(0, max(_pow_bound(iv.lo, k, True), _pow_bound(iv.hi, k, True)))
    return TInt(clamp(r)) if isinstance(t, TInt) else TFloat(as_float(r))


def power_range(t: TInt | TFloat, ks: Interval) -> TInt | TFloat:
    """`t ** k` for every integer k in `ks` (within 0..64): the hull of each power."""
    out = power(t, int(ks.lo))
    for k in range(int(ks.lo) + 1, int(ks.hi) + 1):
        r = power(t, k).range
        out = type(out)(out.range.hull(r))
    return out


def abs_interval(iv: Interval) -> Interval:
    """|x| over an interval: the lower bound is 0 only when the interval straddles 0."""
    if iv.lo >= 0:
        return iv
    if iv.hi <= 0:
        return -iv
    return Interval(0, max(-iv.lo, iv.hi))


def _nn(x: Number) -> Number:
    """max(0, x), with NaN (inf - inf) read as 0 for a lower bound."""
    return 0 if math.isnan(x) else max(0, x)


def _position(i: Interval, n: Interval) -> Interval:
    """Where Python puts a slice bound `i` in a sequence of length n."""
    if i.lo >= 0:
        return Interval(min(n.lo, i.lo), min(n.hi, i.hi))
    if i.hi < 0:
        return Interval(_nn(n.lo + i.lo), _nn(n.hi + i.hi))
    return Interval(0, n.hi)


def ceil_div(a: Number, s: Number) -> Number:
    """ceil(a / s) for a >= 0 and s >= 1 (limits for infinite bounds)."""
    if a <= 0:
        return 0
    if math.isinf(a):
        return INF
    if math.isinf(s):
        return 1
    return -(-a // s)


def slice_length(n: Interval, lower: Interval | None, upper: Interval | None, step: Interval | None) -> Interval:
    """A sound length for `xs[lower:upper:step]` when len(xs) is in n (None: omitted)."""
    full = Interval(0, n.hi)
    if step is not None and step != Interval(1, 1):
        s = step.lo
        if lower is None and upper is None and s == step.hi and isinstance(s, int) and s != 0:
            return Interval(ceil_div(n.lo, abs(s)), ceil_div(n.hi, abs(s)))
        return full
    if upper is None and lower is not None and lower.hi < 0:  # xs[-k:] keeps min(len, k)
        return Interval(min(n.lo, -lower.hi), min(n.hi, -lower.lo))
    start = Interval(0, 0) if lower is None else _position(lower, n)
    stop = n if upper is None else _position(upper, n)
    hi = stop.hi - start.lo
    return Interval(_nn(stop.lo - start.hi), min(n.hi, INF if math.isnan(hi) else max(0, hi)))


def range_type(start: Interval, stop: Interval, step: Interval) -> TList:
    """`range(start, stop, step)`: element bounds from the half-open interval, length by ceil."""
    if step.lo >= 1:
        elem, d, s = Interval(start.lo, stop.hi - 1), stop - start, step
    elif step.hi <= -1:
        elem, d, s = Interval(stop.lo + 1, start.hi), start - stop, -step
    else:
        d = stop - start
        elem = Interval(min(start.lo, stop.lo + 1), max(start.hi, stop.hi - 1))
        return TList(TInt(clamp(elem)), Interval(0, max(abs(d.lo), abs(d.hi))))
    length = Interval(ceil_div(d.lo, s.hi), ceil_div(d.hi, s.lo))
    if elem.empty:  # never yields an element; any element type is sound
        return TList(TInt(Interval.point(start.lo if math.isfinite(start.lo) else 0)), Interval(0, 0))
    return TList(TInt(clamp(elem)), clamp(length))
