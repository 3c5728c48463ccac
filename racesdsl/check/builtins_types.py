"""Builtin-call typing for the expression language: the result type of `len`,
`sum`, `min`, ... from the argument types, and the type relations the checker
shares (`compatible`, `orderable`, `iter_elem`).

Kept apart from `exprs` so the expression walker stays a readable dispatch over
AST nodes. Like the interval arithmetic it uses (intervals.py), every result is
*sound*: it contains every value Python can produce for such arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from racesdsl.check.intervals import abs_interval, as_float, clamp, range_type, times
from racesdsl.diagnostics import Diagnostic, error
from racesdsl.runtime.types import (
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
    TMap,
    TOptional,
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
    "count", "unique", "range", "any", "all", "map_of",
)

# (min, max) positional arguments per builtin; None means "no upper limit".
ARITY: dict[str, tuple[int, int | None]] = {
    "len": (1, 1), "sum": (1, 1), "min": (1, None), "max": (1, None),
    "sorted": (1, 1), "reversed": (1, 1), "abs": (1, 1), "gcd": (2, None),
    "lcm": (2, None), "count": (2, 2), "unique": (1, 1), "range": (1, 3),
    "any": (1, 1), "all": (1, 1), "map_of": (1, 1),
}


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
        case TMap(x, u, _), TMap(y, w, _):
            return compatible(x, y) and compatible(u, w)
        case (TOptional(x), TOptional(y)) | (TOptional(x), y) | (x, TOptional(y)):
            return compatible(x, y)
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
        case TMap(k, _, n):  # a map iterates over its keys, in order
            return k, n
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
    found = c.seq(0, _SEQS + (TStr, TEnum, TMap), "a list, set, tuple, map or string")
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


def _map_of(c: _Call) -> TType:
    """`map_of(pairs)`: a Map from (key, value) pairs; a repeated key keeps its last value."""
    found = c.seq(0, _SEQS, "a list of (key, value) pairs")
    if found is None:
        return TAny()
    pair, n = found
    if isinstance(pair, TAny):
        return TAny()
    if not isinstance(pair, TTuple) or len(pair.items) != 2:
        return c.bad(0, "a list of (key, value) pairs")
    key, value = pair.items
    if not isinstance(key, (TInt, TStr, TEnum, TAny)):
        c.diags.append(error("E0335", f"a Map key must be Int, Str or Enum, not {show(key)}", c.call.args[0].span))
        return TAny()
    return TMap(key, value, Interval(min(n.lo, 1), n.hi))


_RULES: dict[str, Callable[[_Call], TType]] = {
    "len": _len, "sum": _sum, "min": _minmax, "max": _minmax, "sorted": _sorted,
    "reversed": _reversed, "abs": _abs, "gcd": _gcd_lcm, "lcm": _gcd_lcm,
    "count": _count, "unique": _unique, "range": _range, "any": _any_all, "all": _any_all,
    "map_of": _map_of,
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
            if kw.name == "key" and name in ("sorted", "min", "max"):
                extra = " other than a lambda (`key=lambda x: ...`)"
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
