"""Semantic types, intervals and the assignability relation `S <: T`.

This is the algebra behind fusion (docs/language.md §3): a stage may feed
another when its output type is assignable to the other's input type. Types
here are concrete (param-dependent bounds already evaluated to numbers by
`racesdsl.check.typeexpr`)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

INF = math.inf

Number = int | float


@dataclass(frozen=True)
class Interval:
    """A closed interval of numbers; `-inf`/`inf` mark a missing bound."""

    lo: Number = -INF
    hi: Number = INF

    @property
    def empty(self) -> bool:
        return self.lo > self.hi

    @property
    def bounded(self) -> bool:
        return _finite(self.lo) and _finite(self.hi)

    def contains(self, other: Interval) -> bool:
        return other.empty or (self.lo <= other.lo and other.hi <= self.hi)

    def contains_value(self, x: Number) -> bool:
        return self.lo <= x <= self.hi

    def overlaps(self, other: Interval) -> bool:
        return not self.empty and not other.empty and self.lo <= other.hi and other.lo <= self.hi

    def hull(self, other: Interval) -> Interval:
        if self.empty:
            return other
        if other.empty:
            return self
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))

    def intersect(self, other: Interval) -> Interval:
        return Interval(max(self.lo, other.lo), min(self.hi, other.hi))

    # Interval arithmetic (used for bounds over params and for expression typing).
    def __add__(self, o: Interval) -> Interval:
        return Interval(_safe(self.lo + o.lo, -INF), _safe(self.hi + o.hi, INF))

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __sub__(self, o: Interval) -> Interval:
        return self + (-o)

    def __mul__(self, o: Interval) -> Interval:
        products = [_mul(a, b) for a in (self.lo, self.hi) for b in (o.lo, o.hi)]
        return Interval(min(products), max(products))

    def show(self) -> str:
        lo = "" if self.lo == -INF else _num(self.lo)
        hi = "" if self.hi == INF else _num(self.hi)
        return f"{lo}..{hi}"

    @staticmethod
    def point(x: Number) -> Interval:
        return Interval(x, x)


def _finite(x: Number) -> bool:
    """Ints are finite however large (`math.isfinite` cannot convert the largest to float)."""
    return isinstance(x, int) or math.isfinite(x)


def _safe(x: float, default: float) -> float:
    return default if isinstance(x, float) and math.isnan(x) else x


def _mul(a: Number, b: Number) -> Number:
    if a == 0 or b == 0:
        return 0  # 0 * inf is 0 for bounds: an unbounded factor times zero is zero
    return a * b


def _num(x: Number) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e16:
        return repr(x)
    return str(x)


UNBOUNDED = Interval()
NAT = Interval(0, INF)


# ---------------------------------------------------------------------- types


@dataclass(frozen=True)
class TInt:
    range: Interval = UNBOUNDED


@dataclass(frozen=True)
class TFloat:
    range: Interval = UNBOUNDED


@dataclass(frozen=True)
class TBool:
    pass


@dataclass(frozen=True)
class TStr:
    """`chars` is None for any character, else the allowed characters."""

    length: Interval = NAT
    chars: frozenset[str] | None = None
    chars_src: str | None = None  # the class as written, for display


@dataclass(frozen=True)
class TEnum:
    values: tuple[str, ...]


@dataclass(frozen=True)
class TList:
    elem: TType
    length: Interval = NAT
    distinct: bool = False  # no element twice (`List[T, distinct]`)


@dataclass(frozen=True)
class TSet:
    elem: TType
    length: Interval = NAT


@dataclass(frozen=True)
class TTuple:
    items: tuple[TType, ...]


@dataclass(frozen=True)
class TRecord:
    fields: tuple[tuple[str, TType], ...]

    def field(self, name: str) -> TType | None:
        for n, t in self.fields:
            if n == name:
                return t
        return None

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.fields]


@dataclass(frozen=True)
class TMap:
    """Distinct keys (Int, Str or Enum: JSON object keys are strings) to values."""

    key: TType
    value: TType
    length: Interval = NAT


@dataclass(frozen=True)
class TOptional:
    """A value of `inner` or None (`none` in specs, `null` in answers); never nested."""

    inner: TType


@dataclass(frozen=True)
class TAny:
    """The type of an expression that already has an error: fits everywhere,
    so one mistake gives one diagnostic, not a cascade."""


TType = TInt | TFloat | TBool | TStr | TEnum | TList | TSet | TTuple | TRecord | TMap | TOptional | TAny


def parse_char_class(spec: str) -> frozenset[str] | None:
    """Expand a character class like `a-z0-9_`; None when malformed."""
    out: set[str] = set()
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            a, b = ord(spec[i]), ord(spec[i + 2])
            if a > b or b - a > 0x3000:
                return None
            out.update(chr(c) for c in range(a, b + 1))
            i += 3
        else:
            out.add(spec[i])
            i += 1
    return frozenset(out) if out else None


# ----------------------------------------------------------------- display


def show(t: TType) -> str:
    """A type in the language's own notation (never a Python repr)."""
    match t:
        case TInt(r):
            return "Int" if r == UNBOUNDED else f"Int[{r.show()}]"
        case TFloat(r):
            return "Float" if r == UNBOUNDED else f"Float[{r.show()}]"
        case TBool():
            return "Bool"
        case TStr(length, chars, src):
            opts = []
            if length != NAT:
                opts.append(f"len={_show_len(length)}")
            if chars is not None:
                opts.append(f"chars={_quote(src if src is not None else _char_class(chars))}")
            return f"Str[{', '.join(opts)}]" if opts else "Str"
        case TEnum(values):
            return "Enum[" + ", ".join(_quote(v) for v in values) + "]"
        case TList(elem, length) | TSet(elem, length):
            kind = "List" if isinstance(t, TList) else "Set"
            suffix = "" if length == NAT else f", len={_show_len(length)}"
            suffix += ", distinct" if getattr(t, "distinct", False) else ""
            return f"{kind}[{show(elem)}{suffix}]"
        case TTuple(items):
            return "Tuple[" + ", ".join(show(i) for i in items) + "]"
        case TRecord(fields):
            return "{" + ", ".join(f"{n}: {show(ft)}" for n, ft in fields) + "}"
        case TMap(k, v, length):
            return f"Map[{show(k)}, {show(v)}{'' if length == NAT else ', len=' + _show_len(length)}]"
        case TOptional(inner):
            return f"Optional[{show(inner)}]"
        case TAny():
            return "?"
    raise TypeError(f"not a type: {t!r}")


def _quote(s: str) -> str:
    """A string literal that reads back as `s` (JSON escapes are Python escapes)."""
    return json.dumps(s, ensure_ascii=False)


def _char_class(chars: frozenset[str]) -> str:
    """A class that `parse_char_class` reads back as `chars`: a `-` goes first."""
    return "".join(sorted(chars, key=lambda c: (c != "-", c)))


def _show_len(i: Interval) -> str:
    if i.lo == i.hi:
        return _num(i.lo)
    return i.show()


# ------------------------------------------------------------ assignability


def assignable(s: TType, t: TType) -> bool:
    return mismatch(s, t) is None


def mismatch(s: TType, t: TType) -> str | None:
    """Why `s <: t` fails (a short note in language notation), or None if it holds."""
    if isinstance(s, TAny) or isinstance(t, TAny):
        return None
    match s, t:
        case (TInt(a), TInt(b)) | (TInt(a), TFloat(b)) | (TFloat(a), TFloat(b)):
            return None if b.contains(a) else f"{a.show()} is not within {b.show()}"
        case TBool(), TBool():
            return None
        case TStr(), TStr():
            if not t.length.contains(s.length):
                return f"length {_show_len(s.length)} is not within {_show_len(t.length)}"
            if t.chars is not None and (s.chars is None or not s.chars <= t.chars):
                return "its characters are not all allowed"
            return None
        case TEnum(a), TEnum(b):
            extra = [v for v in a if v not in b]
            return None if not extra else f'"{extra[0]}" is not one of the accepted literals'
        case TEnum(a), TStr():
            for v in a:
                if not t.length.contains_value(len(v)) or (t.chars is not None and not set(v) <= t.chars):
                    return f'"{v}" does not fit {show(t)}'
            return None
        case (TList(se, sl), TList(te, tl)) | (TSet(se, sl), TSet(te, tl)):
            if not tl.contains(sl):
                return f"length {_show_len(sl)} is not within {_show_len(tl)}"
            if isinstance(t, TList) and t.distinct and not s.distinct:
                return "its elements may repeat"
            inner = mismatch(se, te)
            return None if inner is None else f"elements: {inner}"
        case TTuple(a), TTuple(b):
            if len(a) != len(b):
                return f"{len(a)} items where {len(b)} are expected"
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                inner = mismatch(x, y)
                if inner is not None:
                    return f"item {i}: {inner}"
            return None
        case TRecord(), TRecord():
            if s.names != t.names and sorted(s.names) != sorted(t.names):
                return f"fields {{{', '.join(s.names)}}} differ from {{{', '.join(t.names)}}}"
            for name, ft in t.fields:
                inner = mismatch(s.field(name), ft)
                if inner is not None:
                    return f"field `{name}`: {inner}"
            return None
        case TMap(sk, sv, sl), TMap(tk, tv, tl):
            if not tl.contains(sl):
                return f"length {_show_len(sl)} is not within {_show_len(tl)}"
            inner = mismatch(sk, tk)
            if inner is not None:
                return f"keys: {inner}"
            inner = mismatch(sv, tv)
            return None if inner is None else f"values: {inner}"
        case TOptional(a), TOptional(b):
            return mismatch(a, b)
        case _, TOptional(b):  # a value of T is an Optional[T]; none is no T
            return mismatch(s, b)
    return f"{kind_name(s)} is not {kind_name(t)}"


def overlaps(s: TType, t: TType) -> bool:
    """Whether some value of `s` could inhabit `t` (no proof of the contrary)."""
    if isinstance(s, TAny) or isinstance(t, TAny):
        return True
    match s, t:
        case (TInt(a), TInt(b)) | (TInt(a), TFloat(b)) | (TFloat(a), TFloat(b)) | (TFloat(a), TInt(b)):
            return a.overlaps(b)
        case TBool(), TBool():
            return True
        case (TStr() | TEnum(), TStr() | TEnum()):
            if isinstance(t, TEnum) and isinstance(s, TEnum):
                return bool(set(s.values) & set(t.values))
            return True
        case (TList(se, sl), TList(te, tl)) | (TSet(se, sl), TSet(te, tl)):
            return sl.overlaps(tl) and (sl.lo == 0 and tl.lo == 0 or overlaps(se, te))
        case TTuple(a), TTuple(b):
            return len(a) == len(b) and all(overlaps(x, y) for x, y in zip(a, b, strict=True))
        case TRecord(), TRecord():
            return sorted(s.names) == sorted(t.names) and all(
                overlaps(ft, t.field(n)) for n, ft in s.fields)
        case TMap(sk, sv, sl), TMap(tk, tv, tl):
            return sl.overlaps(tl) and (sl.lo == 0 and tl.lo == 0 or overlaps(sk, tk) and overlaps(sv, tv))
        case TOptional(), TOptional():
            return True  # both hold none
        case TOptional(a), _:
            return overlaps(a, t)
        case _, TOptional(b):
            return overlaps(s, b)
    return False


def kind_name(t: TType) -> str:
    return {TInt: "an integer", TFloat: "a float", TBool: "a boolean", TStr: "a string",
            TEnum: "a string literal", TList: "a list", TSet: "a set", TTuple: "a tuple",
            TRecord: "a record", TMap: "a map", TOptional: "an optional value", TAny: "anything"}[type(t)]


def join(a: TType, b: TType) -> TType:
    """The least common supertype we can name (for `x if c else y`, list literals)."""
    match a, b:
        case TAny(), _:
            return b
        case _, TAny():
            return a
        case TInt(x), TInt(y):
            return TInt(x.hull(y))
        case (TInt(x) | TFloat(x), TInt(y) | TFloat(y)):
            return TFloat(x.hull(y))
        case TEnum(x), TEnum(y):
            return TEnum(tuple(dict.fromkeys(x + y)))
        case (TStr() | TEnum(), TStr() | TEnum()):
            return TStr(_str_length(a).hull(_str_length(b)), *_join_chars(a, b))
        case TList(x, lx), TList(y, ly):
            return TList(join(x, y), lx.hull(ly), a.distinct and b.distinct and x == y)
        case TSet(x, lx), TSet(y, ly):
            return TSet(join(x, y), lx.hull(ly))
        case TTuple(x), TTuple(y) if len(x) == len(y):
            return TTuple(tuple(join(i, j) for i, j in zip(x, y, strict=True)))
        case TRecord(), TRecord() if sorted(a.names) == sorted(b.names):
            return TRecord(tuple((n, join(t, b.field(n))) for n, t in a.fields))
        case TMap(kx, vx, lx), TMap(ky, vy, ly):
            return TMap(join(kx, ky), join(vx, vy), lx.hull(ly))
        case (TOptional(x), TOptional(y)) | (TOptional(x), y) | (x, TOptional(y)):
            inner = join(x, y)
            return inner if isinstance(inner, TOptional) else TOptional(inner)
        case TBool(), TBool():
            return a
    return TAny() if a != b else a


def _join_chars(a: TStr | TEnum, b: TStr | TEnum) -> tuple[frozenset[str] | None, str | None]:
    """The union of two character classes, keeping a written form when one covers both."""
    sides = [(frozenset("".join(t.values)), None) if isinstance(t, TEnum) else (t.chars, t.chars_src)
             for t in (a, b)]
    if any(chars is None for chars, _ in sides):
        return None, None
    union = sides[0][0] | sides[1][0]
    src = next((s for chars, s in sides if chars == union and s is not None), None)
    return union, src


def _str_length(t: TStr | TEnum) -> Interval:
    if isinstance(t, TEnum):
        lens = [len(v) for v in t.values] or [0]
        return Interval(min(lens), max(lens))
    return t.length


def is_bounded(t: TType) -> bool:
    """Whether a type can be sampled from its declaration alone."""
    match t:
        case TInt(r) | TFloat(r):
            return r.bounded
        case TBool() | TEnum():
            return True
        case TStr(length, _, _):
            return length.bounded
        case TList(e, length) | TSet(e, length):
            return length.bounded and is_bounded(e)
        case TTuple(items):
            return all(is_bounded(i) for i in items)
        case TRecord(fields):
            return all(is_bounded(ft) for _, ft in fields)
        case TMap(k, v, length):
            return length.bounded and is_bounded(k) and is_bounded(v)
        case TOptional(inner):
            return is_bounded(inner)
        case TAny():
            return True  # unknown because of an earlier error: do not report it twice
    return False

