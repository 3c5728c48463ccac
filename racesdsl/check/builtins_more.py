"""Typing of the v0.2 builtins: strings (`str`, `join`, `split`, ...), numbers
(`round`, `isqrt`, `comb`, `pow`, ...) and bounded combinatorics.

Every result type is sound for the run-time helpers in runtime/builtins_more.py
(same semantics, same limits): lengths and intervals contain every value the
helper can return; where a bound is not worth computing it widens (clamp).
Arguments that can never be valid are E0513; a combinatorial result that
could exceed MAX_LENGTH items is E0512.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from racesdsl.check.builtins_types import BUILTINS, _Call, is_num, is_strlike, str_parts
from racesdsl.check.intervals import as_float, clamp
from racesdsl.diagnostics import Diagnostic, error
from racesdsl.runtime.builtins_more import DIGITS, MAX_FACTORIAL
from racesdsl.runtime.limits import MAX_LENGTH, MAX_VALUE_SIZE
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
    TSet,
    TStr,
    TTuple,
    TType,
    show,
)
from racesdsl.syntax import ast as A

__all__ = ["MORE_BUILTINS", "LOOP_BUILTINS", "ALL_BUILTINS", "more_call_type"]

MORE_ARITY: dict[str, tuple[int, int | None]] = {
    "str": (1, 1), "join": (2, 2), "split": (1, 2), "replace": (3, 3), "lower": (1, 1), "upper": (1, 1),
    "ord": (1, 1), "chr": (1, 1), "zip": (1, None), "enumerate": (1, 2), "round": (1, 2), "isqrt": (1, 1),
    "comb": (2, 2), "factorial": (1, 1), "prod": (1, 1), "permutations": (1, 2), "combinations": (2, 2),
    "to_base": (2, 2), "from_base": (2, 2), "pow": (3, 3),
}
MORE_BUILTINS: tuple[str, ...] = tuple(MORE_ARITY)
LOOP_BUILTINS: tuple[str, ...] = ("fold", "iterate", "until")
ALL_BUILTINS: tuple[str, ...] = BUILTINS + MORE_BUILTINS + LOOP_BUILTINS

_BIT_CAP = 300  # past 2**300 a bound is clamped to unbounded anyway: do not compute it


def _ints(c: _Call, *idx: int) -> list[Interval] | None:
    """The intervals of integer arguments (None: one is TAny or already reported)."""
    out = []
    for i in idx:
        t = c.args[i]
        if isinstance(t, TAny):
            return None
        if not isinstance(t, TInt):
            c.bad(i, "an integer")
            return None
        out.append(clamp(t.range))
    return out


def _never(c: _Call, i: int, what: str) -> TAny:
    c.diags.append(error("E0513", f"`{c.call.func}` needs {what}; this argument is {show(c.args[i])}",
                         c.call.args[i].span, "narrow the argument's type, or guard the call with `if`"))
    return TAny()


def _str_arg(c: _Call, i: int) -> tuple[Interval, frozenset[str] | None] | None:
    t = c.args[i]
    if isinstance(t, TAny):
        return None
    if not is_strlike(t):
        c.bad(i, "a string")
        return None
    return str_parts(t)  # type: ignore[arg-type]


def _digits(m: Number) -> Number:
    """Decimal digits of an integer of magnitude at most m."""
    return INF if m == INF else len(str(int(m)))


def _str(c: _Call) -> TType:
    t = c.args[0]
    match t:
        case TAny() | TStr() | TEnum():
            return t
        case TBool():
            return TEnum(("false", "true"))
        case TInt(r):
            r = clamp(r)
            size = _digits(max(abs(r.lo), abs(r.hi))) + (1 if r.lo < 0 else 0)
            chars = frozenset("0123456789-" if r.lo < 0 else "0123456789")
            return TStr(clamp(Interval(1, size)), chars)
        case TFloat():
            return TStr(Interval(1, 24), frozenset("0123456789.-+einfa"))
    return c.bad(0, "a number, boolean or string")


def _join(c: _Call) -> TType:
    found = c.seq(0, (TList, TSet, TTuple), "a list of strings")
    sep = _str_arg(c, 1)
    if found is None or sep is None:
        return TAny()
    elem, n = found
    if isinstance(elem, TAny):
        return TStr(NAT, None) if n.hi > 0 else TEnum(("",))
    if not is_strlike(elem):
        return c.bad(0, "a list of strings")
    (m, chars), (k, sep_chars) = str_parts(elem), sep  # type: ignore[arg-type]
    lo = n.lo * m.lo + max(n.lo - 1, 0) * k.lo
    hi = n.hi * m.hi + max(n.hi - 1, 0) * k.hi if n.hi and m.hi + k.hi else 0
    both = None if chars is None or (sep_chars is None and n.hi > 1) else chars | (sep_chars or frozenset())
    return TStr(Interval(lo, min(hi, MAX_LENGTH)), both)


def _split(c: _Call) -> TType:
    s = _str_arg(c, 0)
    sep = _str_arg(c, 1) if len(c.args) == 2 else (Interval(1, 1), None)
    if s is None or sep is None:
        return TAny()
    (n, chars), (k, _) = s, sep
    if k.hi == 0:
        return _never(c, 1, "a non-empty separator")
    if len(c.args) == 1:  # runs of whitespace: words are separated by at least one character
        return TList(TStr(Interval(1, max(n.hi, 1)), chars), Interval(0, (n.hi + 1) // 2))
    return TList(TStr(Interval(0, n.hi), chars), Interval(1, n.hi // max(k.lo, 1) + 1))


def _replace(c: _Call) -> TType:
    parts = [_str_arg(c, i) for i in range(3)]
    if any(p is None for p in parts):
        return TAny()
    (n, chars), (old, _), (new, new_chars) = parts  # type: ignore[misc]
    hits = n.hi + 1 if old.lo == 0 else n.hi // old.lo
    grow = max(new.hi - old.lo, 0)
    hi = min(n.hi + hits * grow, MAX_LENGTH) if grow else n.hi
    lo = n.lo if new.lo >= old.hi else 0
    out = None if chars is None or new_chars is None else chars | new_chars
    return TStr(Interval(lo, hi), out)


def _case(c: _Call) -> TType:
    s = _str_arg(c, 0)
    if s is None:
        return TAny()
    n, chars = s
    if chars is None:  # a few characters map to three (`"ΐ".upper()`)
        return TStr(Interval(0, min(3 * n.hi, MAX_LENGTH)), None)
    f = str.lower if c.call.func == "lower" else str.upper
    mapped = {ch: f(ch) for ch in chars}
    if c.call.func == "lower" and "Σ" in chars:
        mapped["ς"] = "ς"  # a final capital sigma lowers to `ς`, in context
    sizes = [len(v) for v in mapped.values()] or [1]
    out = frozenset("".join(mapped.values()))
    return TStr(Interval(n.lo * min(sizes), min(n.hi * max(sizes), MAX_LENGTH)), out)


def _ord(c: _Call) -> TType:
    s = _str_arg(c, 0)
    if s is None:
        return TAny()
    n, chars = s
    if not n.contains_value(1):
        return _never(c, 0, "a string of one character")
    if chars:
        codes = [ord(ch) for ch in chars]
        return TInt(Interval(min(codes), max(codes)))
    return TInt(Interval(0, 0x10FFFF))


def _chr(c: _Call) -> TType:
    found = _ints(c, 0)
    if found is None:
        return TStr(Interval(1, 1), None)
    (r,) = found
    if not r.overlaps(Interval(0, 0x10FFFF)):
        return _never(c, 0, "an integer in 0..1114111")
    lo, hi = max(r.lo, 0), min(r.hi, 0x10FFFF)
    chars = frozenset(chr(i) for i in range(lo, hi + 1) if not 0xD800 <= i < 0xE000) if hi - lo < 4096 else None
    return TStr(Interval(1, 1), chars)


def _zip(c: _Call) -> TType:
    elems, n = [], Interval(INF, INF)
    for i in range(len(c.args)):
        found = c.seq(i, (TList, TSet, TTuple, TStr, TEnum), "a list, set, tuple or string")
        if found is None:
            return TAny()
        elems.append(found[0])
        n = Interval(min(n.lo, found[1].lo), min(n.hi, found[1].hi))
    return TList(TTuple(tuple(elems)), n)


def _enumerate(c: _Call) -> TType:
    found = c.seq(0, (TList, TSet, TTuple, TStr, TEnum), "a list, set, tuple or string")
    start = _ints(c, 1) if len(c.args) == 2 else [Interval(0, 0)]
    if found is None or start is None:
        return TAny()
    elem, n = found
    index = clamp(Interval(start[0].lo, start[0].hi + max(n.hi - 1, 0)))
    return TList(TTuple((TInt(index), elem)), n)


def _round(c: _Call) -> TType:
    x = c.args[0]
    if isinstance(x, TAny):
        return x
    if not is_num(x):
        return c.bad(0, "a number")
    r = clamp(x.range)  # type: ignore[union-attr]
    if len(c.args) == 1:
        if isinstance(x, TInt):
            return TInt(r)
        lo = -INF if not math.isfinite(r.lo) else round(r.lo)  # round is monotone
        hi = INF if not math.isfinite(r.hi) else round(r.hi)
        return TInt(clamp(Interval(lo, hi)))
    nd = _ints(c, 1)
    if nd is None:
        return TInt(UNBOUNDED) if isinstance(x, TInt) else TFloat(UNBOUNDED)
    if nd[0].lo >= 0:  # rounds by at most half a unit of the first digit after the point
        out = r if isinstance(x, TInt) else Interval(r.lo - 0.5, r.hi + 0.5)
    else:  # a nonzero result is at most twice the rounded value's magnitude
        out = Interval(min(2 * r.lo, 0), max(2 * r.hi, 0))
    return TInt(clamp(out)) if isinstance(x, TInt) else TFloat(as_float(out))


def _isqrt(c: _Call) -> TType:
    found = _ints(c, 0)
    if found is None:
        return TInt(NAT)
    (r,) = found
    if r.hi < 0:
        return _never(c, 0, "a non-negative integer")
    return TInt(Interval(math.isqrt(max(r.lo, 0)), INF if r.hi == INF else math.isqrt(r.hi)))


def _bits_of_comb(n: Number, k: Number) -> float:
    k = min(k, n - k)
    if k <= 0:
        return 0.0
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2)


def _comb(c: _Call) -> TType:
    found = _ints(c, 0, 1)
    if found is None:
        return TInt(NAT)
    n, k = found
    if n.hi < 0 or k.hi < 0:
        return _never(c, 0 if n.hi < 0 else 1, "a non-negative integer")
    if n.hi == INF or k.hi == INF:
        return TInt(NAT)
    k_best = min(max(n.hi // 2, max(k.lo, 0)), k.hi)  # comb(n_hi, k) grows towards k = n_hi / 2
    if _bits_of_comb(n.hi, k_best) > _BIT_CAP:
        return TInt(clamp(Interval(0, INF)))
    lo = 1 if k.hi <= max(n.lo, 0) and k.lo >= 0 else 0
    return TInt(clamp(Interval(lo, math.comb(n.hi, k_best))))


def _factorial(c: _Call) -> TType:
    found = _ints(c, 0)
    if found is None:
        return TInt(Interval(1, INF))
    (r,) = found
    if r.hi < 0 or r.lo > MAX_FACTORIAL:
        return _never(c, 0, f"an integer in 0..{MAX_FACTORIAL}")
    lo = math.factorial(max(r.lo, 0))
    hi = INF if r.hi > 60 else math.factorial(r.hi)
    return TInt(clamp(Interval(lo, hi)))


def _prod(c: _Call) -> TType:
    found = c.seq(0, (TList, TSet, TTuple), "a list of numbers")
    if found is None:
        return TAny()
    elem, n = found
    if isinstance(elem, TAny):
        return TInt(Interval(1, 1)) if n.hi == 0 else TAny()
    if not is_num(elem):
        return c.bad(0, "a list of numbers")
    e = clamp(elem.range)  # type: ignore[union-attr]
    big = max(abs(e.lo), abs(e.hi), 1)
    if isinstance(elem, TFloat):
        return TFloat(Interval(-1.0 if e.lo < 0 else 0.0, 1.0)) if big <= 1 else TFloat(UNBOUNDED)
    bound = INF if n.hi == INF or n.hi * math.log2(big) > _BIT_CAP else big**n.hi
    if e.lo >= 0:
        lo = 1 if e.lo >= 1 else 0
        return TInt(clamp(Interval(lo, bound)))
    return TInt(clamp(Interval(-bound, bound)))


def _combinatorics(c: _Call) -> TType:
    found = c.seq(0, (TList, TSet, TTuple, TStr, TEnum), "a list, set, tuple or string")
    if found is None:
        return TAny()
    elem, n = found
    ordered = c.call.func == "permutations"
    if len(c.args) == 2:
        rs = _ints(c, 1)
        if rs is None:
            return TAny()
        r = rs[0]
    else:
        r = n
    if n.hi == INF or r.hi == INF:
        return _too_many(c, n, r)
    count_hi = 0
    for k in range(max(r.lo, 0), min(r.hi, n.hi) + 1):  # stops at the first size past the limit
        count = math.perm(n.hi, k) if ordered else math.comb(n.hi, k)
        if count * max(k, 1) > MAX_VALUE_SIZE:
            return _too_many(c, n, r)
        count_hi = max(count_hi, count)
    inner = Interval(max(r.lo, 0), max(min(r.hi, n.hi), 0))
    return TList(TList(elem, inner), Interval(0, count_hi))


def _too_many(c: _Call, n: Interval, r: Interval) -> TAny:
    c.diags.append(error(
        "E0512", f"`{c.call.func}` of up to {n.hi} items (size {r.hi}) could make more than "
        f"{MAX_VALUE_SIZE} values", c.call.span,
        "bound the list's length (`len=..`) or the size so the result stays small"))
    return TAny()


def _base_arg(c: _Call, i: int) -> Interval | None:
    found = _ints(c, i)
    if found is None:
        return None
    if not Interval(2, 36).contains(found[0]):
        _never(c, i, "a base in 2..36")
        return None
    return found[0]


def _to_base(c: _Call) -> TType:
    found, base = _ints(c, 0), _base_arg(c, 1)
    if found is None or base is None:
        return TStr(Interval(1, INF), None) if base is None else TStr(Interval(1, INF), frozenset(DIGITS + "-"))
    r = found[0]
    m = max(abs(r.lo), abs(r.hi))
    size = INF if m == INF else max(1, math.ceil((m + 1).bit_length() / math.log2(base.lo)) + 1)
    chars = DIGITS[:base.hi] + ("-" if r.lo < 0 else "")
    return TStr(clamp(Interval(1, size + (1 if r.lo < 0 else 0))), frozenset(chars))


def _from_base(c: _Call) -> TType:
    s, base = _str_arg(c, 0), _base_arg(c, 1)
    if s is None or base is None:
        return TInt(UNBOUNDED)
    n, chars = s
    if n.hi == INF or n.hi * math.log2(base.hi) > _BIT_CAP:
        bound: Number = INF
    else:
        bound = base.hi ** n.hi - 1
    return TInt(clamp(Interval(0 if chars is not None and "-" not in chars else -bound, bound)))


def _pow(c: _Call) -> TType:
    found = _ints(c, 0, 1, 2)
    if found is None:
        return TInt(UNBOUNDED)
    m = found[2]
    if m == Interval(0, 0):
        return _never(c, 2, "a nonzero modulus")
    return TInt(clamp(Interval(min(m.lo + 1, 0), max(m.hi - 1, 0))))


_RULES: dict[str, Callable[[_Call], TType]] = {
    "str": _str, "join": _join, "split": _split, "replace": _replace, "lower": _case, "upper": _case,
    "ord": _ord, "chr": _chr, "zip": _zip, "enumerate": _enumerate, "round": _round, "isqrt": _isqrt,
    "comb": _comb, "factorial": _factorial, "prod": _prod, "permutations": _combinatorics,
    "combinations": _combinatorics, "to_base": _to_base, "from_base": _from_base, "pow": _pow,
}


def more_call_type(call: A.Call, args: Sequence[TType], diags: list[Diagnostic]) -> TType:
    """The result type of a v0.2 builtin call (no keywords; arity and kind errors are E0503)."""
    name = call.func
    if call.keywords:
        kw = call.keywords[0]
        diags.append(error("E0503", f"`{name}` takes no keyword argument `{kw.name}`", kw.span))
        return TAny()
    lo, hi = MORE_ARITY[name]
    if len(args) < lo or (hi is not None and len(args) > hi):
        want = f"{lo} argument" + ("s" if lo != 1 else "") if lo == hi else (
            f"{lo} or more arguments" if hi is None else f"{lo} to {hi} arguments")
        diags.append(error("E0503", f"`{name}` takes {want} ({len(args)} given)", call.span))
        return TAny()
    return _RULES[name](_Call(call, args, diags))
