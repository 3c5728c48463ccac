"""Interval arithmetic and builtin-call typing for the expression language.

Kept apart from `exprs` so the expression walker stays a readable dispatch over
AST nodes. Every function here is *sound*: the interval it returns contains
every value Python can produce for operands inside the given intervals (a
run-time error such as `x // 0` produces no value, so it needs no room).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction

from racesdsl.diagnostics import Diagnostic, error
from racesdsl.runtime.types import (
    INF,
    NAT,
    UNBOUNDED,
    Interval,
    Number,
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
    join,
    kind_name,
    show,
)
from racesdsl.syntax import ast as A

BUILTINS: tuple[str, ...] = (
    "len", "sum", "min", "max", "sorted", "reversed", "abs", "gcd", "lcm",
    "count", "unique", "range", "any", "all",
)

# Integer bounds beyond this are widened to infinity: `int + inf` raises
# OverflowError once the int no longer fits a float, and nobody needs 2**256.
BIG = 2**256

# (min, max) positional arguments per builtin; None means "no upper limit".
ARITY: dict[str, tuple[int, int | None]] = {
    "len": (1, 1), "sum": (1, 1), "min": (1, None), "max": (1, None),
    "sorted": (1, 1), "reversed": (1, 1), "abs": (1, 1), "gcd": (2, None),
    "lcm": (2, None), "count": (2, 2), "unique": (1, 1), "range": (1, 3),
    "any": (1, 1), "all": (1, 1),
}


# ------------------------------------------------------------------ intervals


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
    """The divisor without zero (which raises, so yields no value); None if unboundable."""
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


# ------------------------------------------------------------------ types


def is_num(t: TType) -> bool:
    """Int or Float: the types arithmetic accepts (Bool is not a number here)."""
    return isinstance(t, (TInt, TFloat))


def is_strlike(t: TType) -> bool:
    """Str or Enum: an enum value is a string at run time."""
    return isinstance(t, (TStr, TEnum))


def str_parts(t: TStr | TEnum) -> tuple[Interval, frozenset[str] | None]:
    """Length interval and character set of a string type (enums know both)."""
    if isinstance(t, TEnum):
        lens = [len(v) for v in t.values] or [0]
        return Interval(min(lens), max(lens)), frozenset("".join(t.values))
    return t.length, t.chars


def char_type(t: TStr | TEnum) -> TStr:
    """The type of one character of a string."""
    chars = str_parts(t)[1]
    return TStr(Interval(1, 1), chars, t.chars_src if isinstance(t, TStr) else None)


def compatible(a: TType, b: TType) -> bool:
    """Whether `join(a, b)` names a real type (no silent `?` anywhere inside)."""
    if isinstance(a, TAny) or isinstance(b, TAny):
        return True
    if (is_num(a) and is_num(b)) or (is_strlike(a) and is_strlike(b)):
        return True
    match a, b:
        case (TList(x, _), TList(y, _)) | (TSet(x, _), TSet(y, _)):
            return compatible(x, y)
        case TTuple(x), TTuple(y):
            return len(x) == len(y) and all(map(compatible, x, y))
        case TRecord(), TRecord():
            return sorted(a.names) == sorted(b.names) and all(
                compatible(t, b.field(n) or TAny()) for n, t in a.fields)
        case TBool(), TBool():
            return True
    return False


def orderable(a: TType, b: TType) -> bool:
    """Whether Python's `<` works between values of these types."""
    if isinstance(a, TAny) or isinstance(b, TAny):
        return True
    if (is_num(a) and is_num(b)) or (is_strlike(a) and is_strlike(b)):
        return True
    match a, b:
        case (TList(x, _), TList(y, _)):
            return orderable(x, y)
        case TTuple(x), TTuple(y):
            return all(map(orderable, x, y))
        case (TSet(), TSet()) | (TBool(), TBool()):
            return True
    return False


def iter_elem(t: TType) -> tuple[TType, Interval] | None:
    """Element type and count when iterating `t` (None: not iterable)."""
    match t:
        case TAny():
            return TAny(), NAT
        case TList(e, n) | TSet(e, n):
            return e, n
        case TTuple(items):
            elem: TType = TAny()
            for item in items:
                if not compatible(elem, item):
                    return None
                elem = join(elem, item)
            return elem, Interval.point(len(items))
        case TStr() | TEnum():
            return char_type(t), str_parts(t)[0]
    return None


# ------------------------------------------------------------------ builtins


class _Call:
    """One builtin call under check: argument types plus where to report."""

    def __init__(self, call: A.Call, args: Sequence[TType], diags: list[Diagnostic]) -> None:
        self.call, self.args, self.diags = call, list(args), diags

    def bad(self, i: int, what: str) -> TAny:
        t = self.args[i]
        self.diags.append(error(
            "E0503", f"`{self.call.func}` needs {what}, not {kind_name(t)} ({show(t)})",
            self.call.args[i].span))
        return TAny()

    def seq(self, i: int, kinds: tuple[type, ...], what: str) -> tuple[TType, Interval] | None:
        """The element and length of argument i when it is one of `kinds`, else a diagnostic."""
        t = self.args[i]
        found = iter_elem(t) if isinstance(t, kinds + (TAny,)) else None
        if found is None:
            self.bad(i, "a tuple whose items share one type" if isinstance(t, TTuple) and TTuple in kinds else what)
        return found


_SEQS = (TList, TSet, TTuple)


def _len(c: _Call) -> TType:
    if isinstance(c.args[0], TTuple):  # items may differ in type; the count is known
        return TInt(Interval.point(len(c.args[0].items)))
    found = c.seq(0, _SEQS + (TStr, TEnum), "a list, set, tuple or string")
    return TAny() if found is None else TInt(found[1])


def _sum(c: _Call) -> TType:
    found = c.seq(0, _SEQS, "a list of numbers")
    if found is None:
        return TAny()
    elem, n = found
    if isinstance(elem, TAny):
        return TInt(Interval(0, 0)) if n.hi == 0 else TAny()
    if isinstance(elem, TBool):
        return TInt(Interval(0, n.hi))  # sum of booleans counts the true ones
    items = c.args[0].items if isinstance(c.args[0], TTuple) else ()
    if items and all(isinstance(i, TInt) for i in items):
        total = Interval(0, 0)
        for item in items:
            total = clamp(total + item.range)  # type: ignore[union-attr]
        return TInt(total)
    if not is_num(elem):
        return c.bad(0, "a list of numbers")
    e = clamp(elem.range)  # type: ignore[union-attr]
    n_lo, n_hi = (n.lo if e.lo >= 0 else n.hi), (n.hi if e.hi >= 0 else n.lo)
    lo, hi = times(n_lo, e.lo), times(n_hi, e.hi)  # the sum is linear in the count
    if isinstance(elem, TInt):
        return TInt(clamp(Interval(lo, hi)))
    # Float sums round at every step (and 3.12 compensates differently): allow
    # count**2 ulps of the largest element, which covers both summation orders.
    # Up to two terms the one rounding is monotone, so the plain bound holds.
    big = max(abs(e.lo), abs(e.hi))
    lo = lo - times(float(n_lo) ** 2, big) * 2.0**-52 if lo and n_lo > 2 else lo
    hi = hi + times(float(n_hi) ** 2, big) * 2.0**-52 if hi and n_hi > 2 else hi
    return TFloat(as_float(Interval(lo, hi)))


def _minmax(c: _Call) -> TType:
    name = c.call.func
    if len(c.args) == 1:
        found = c.seq(0, _SEQS, "a list or two or more values")
        if found is None:
            return TAny()
        if not orderable(found[0], found[0]):
            return c.bad(0, "a list of comparable values")
        return found[0]
    for i, t in enumerate(c.args):
        if not (is_num(t) or is_strlike(t) or isinstance(t, TAny)):
            return c.bad(i, "numbers or strings")
        if not orderable(c.args[0], t):
            return c.bad(i, f"values comparable with {show(c.args[0])}")
    if any(isinstance(t, TAny) for t in c.args):
        return TAny()
    if all(is_num(t) for t in c.args):
        ranges = [t.range for t in c.args]  # type: ignore[union-attr]
        pick = min if name == "min" else max
        iv = Interval(pick(r.lo for r in ranges), pick(r.hi for r in ranges))
        return TInt(iv) if all(isinstance(t, TInt) for t in c.args) else TFloat(as_float(iv))
    out: TType = TAny()
    for t in c.args:
        out = join(out, t)
    return out


def _sorted(c: _Call) -> TType:
    found = c.seq(0, _SEQS, "a list, set or tuple")
    if found is None:
        return TAny()
    if not orderable(found[0], found[0]):
        return c.bad(0, "a list of comparable values")
    return TList(found[0], found[1])


def _reversed(c: _Call) -> TType:
    found = c.seq(0, (TList,), "a list")
    return TAny() if found is None else TList(*found)


def _abs(c: _Call) -> TType:
    t = c.args[0]
    if isinstance(t, TInt):
        return TInt(abs_interval(t.range))
    if isinstance(t, TFloat):
        return TFloat(as_float(abs_interval(t.range)))
    return t if isinstance(t, TAny) else c.bad(0, "a number")


def _gcd_lcm(c: _Call) -> TType:
    for i, t in enumerate(c.args):
        if not isinstance(t, (TInt, TAny)):
            return c.bad(i, "integers")
    ranges = [clamp(t.range) if isinstance(t, TInt) else UNBOUNDED for t in c.args]
    maxabs = [max(abs(r.lo), abs(r.hi)) for r in ranges]
    nonzero = [r for r in ranges if not r.contains_value(0)]
    if c.call.func == "gcd":  # divides every nonzero argument
        if nonzero:
            return TInt(Interval(1, min(max(abs(r.lo), abs(r.hi)) for r in nonzero)))
        return TInt(Interval(0, max(maxabs)))
    prod: Number = 1
    for m in maxabs:
        prod = clamp(Interval(0, times(prod, m))).hi
    lo = max(min(abs(r.lo), abs(r.hi)) for r in ranges) if len(nonzero) == len(ranges) else 0
    return TInt(clamp(Interval(lo, prod)))


def _count(c: _Call) -> TType:
    t = c.args[0]
    if isinstance(t, TTuple):
        return TInt(Interval(0, len(t.items)))
    found = c.seq(0, (TList, TTuple, TStr, TEnum), "a list, tuple or string")
    if found is None:
        return TAny()
    extra = 1 if is_strlike(t) else 0  # "abc".count("") == 4
    return TInt(Interval(0, found[1].hi + extra))


def _unique(c: _Call) -> TType:
    found = c.seq(0, (TList,), "a list")
    if found is None:
        return TAny()
    elem, n = found
    return TList(elem, Interval(min(n.lo, 1), n.hi))


def _range(c: _Call) -> TType:
    for i, t in enumerate(c.args):
        if not isinstance(t, (TInt, TAny)):
            return c.bad(i, "integers")
    ivs = [clamp(t.range) if isinstance(t, TInt) else UNBOUNDED for t in c.args]
    if len(ivs) == 1:
        ivs = [Interval(0, 0), ivs[0]]
    step = ivs[2] if len(ivs) == 3 else Interval(1, 1)
    if step == Interval(0, 0):
        c.diags.append(error("E0503", "`range` step must not be zero", c.call.args[2].span))
        return TAny()
    return range_type(ivs[0], ivs[1], step)


def _any_all(c: _Call) -> TType:
    found = c.seq(0, _SEQS, "a list of booleans")
    if found is None:
        return TAny()
    if not isinstance(found[0], (TBool, TAny)):
        return c.bad(0, "a list of booleans")
    return TBool()


_RULES: dict[str, Callable[[_Call], TType]] = {
    "len": _len, "sum": _sum, "min": _minmax, "max": _minmax, "sorted": _sorted,
    "reversed": _reversed, "abs": _abs, "gcd": _gcd_lcm, "lcm": _gcd_lcm,
    "count": _count, "unique": _unique, "range": _range, "any": _any_all, "all": _any_all,
}


def _arity_text(name: str) -> str:
    lo, hi = ARITY[name]
    if name in ("min", "max"):
        return "a list or two or more values"
    if hi is None:
        return f"{lo} or more arguments"
    if lo == hi:
        return f"{lo} argument" + ("s" if lo != 1 else "")
    return f"{lo} to {hi} arguments"


def call_type(call: A.Call, args: Sequence[TType], kwargs: Sequence[TType], diags: list[Diagnostic]) -> TType:
    """The result type of a call to a known builtin; arity and kind errors are E0503."""
    name = call.func
    seen: set[str] = set()
    for kw, t in zip(call.keywords, kwargs, strict=True):
        if kw.name in seen:
            diags.append(error("E0503", f"keyword argument `{kw.name}` is given twice", kw.span))
            return TAny()
        seen.add(kw.name)
        if name != "sorted" or kw.name != "reverse":
            extra = " (only `reverse`)" if name == "sorted" else ""
            diags.append(error("E0503", f"`{name}` takes no keyword argument `{kw.name}`{extra}", kw.span))
            return TAny()
        if not isinstance(t, (TBool, TAny)):
            diags.append(error("E0503", f"`reverse` must be a boolean, not {kind_name(t)} ({show(t)})",
                               kw.value.span))
            return TAny()
    lo, hi = ARITY[name]
    if len(args) < lo or (hi is not None and len(args) > hi):
        diags.append(error("E0503", f"`{name}` takes {_arity_text(name)} ({len(args)} given)", call.span))
        return TAny()
    return _RULES[name](_Call(call, args, diags))
