"""Answers: parse the answer text of a completion into a value of the output type,
and the way back (the canonical answer; the format instruction is in instructions.py).

Completions are hostile input, so everything here is total and bounded: locating the
answer is extract.py's job (it reads only the tail), an answer longer than `MAX_ANSWER`
is refused, nesting is capped before `json` or the lenient reader (lenient.py) sees it,
and nothing is evaluated.

How an answer is read: see `parser_for`."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from racesdsl.runtime.answers_maps import NULLS, map_conv, optional_conv
from racesdsl.runtime.checks import sort_key_for
from racesdsl.runtime.extract import MAX_ANSWER, finder
from racesdsl.runtime.instructions import format_instruction
from racesdsl.runtime.lenient import (
    DECODER,
    Reject,
    Word,
    expected,
    preview,
    read_float,
    read_int,
    read_lenient,
    unquote,
)
from racesdsl.runtime.score import brief, printable
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
    show,
)

__all__ = ["Parser", "format_instruction", "parser_for", "render_answer"]

_JSON_BRACKETS = 200  # json.loads only sees text with at most this many brackets (so no RecursionError)
_BOOLS = {"true": True, "yes": True, "false": False, "no": False}
_INT_ONLY = frozenset([int])

Parser = Callable[[str], tuple[Any, "str | None"]]

# ------------------------------------------------------------------ parsing


def _depth(t: TType) -> int:
    """How deep a value of `t` nests; the lenient reader refuses anything deeper (plus one)."""
    match t:
        case TList(e) | TSet(e):
            return 1 + _depth(e)
        case TTuple(items):
            return 1 + max(map(_depth, items), default=0)
        case TRecord(fields):
            return 1 + max((_depth(ft) for _, ft in fields), default=0)
        case TMap(k, v):
            return 1 + max(_depth(k), _depth(v))
        case TOptional(inner):
            return _depth(inner)
        case TAny():
            return 64
    return 0


def _elements(sub: Callable[[Any], Any], xs: Any, label: Callable[[int], str]) -> list[Any]:
    """`sub` over `xs`; when one is refused, a second pass finds which, for the reason."""
    try:
        return [sub(x) for x in xs]
    except Reject:
        for i, x in enumerate(xs):
            try:
                sub(x)
            except Reject as r:
                raise Reject(f"{label(i)}: {r}") from None
        raise


def _conv(t: TType) -> Callable[[Any], Any]:
    """Turns a parsed tree (JSON values, `Word`s) into a value of `t`, or raises `Reject`."""
    match t:
        case TInt(r) | TFloat(r):
            is_int, lo, hi, where = isinstance(t, TInt), r.lo, r.hi, show(t)

            def number(x: Any) -> int | float:
                if type(x) is int:
                    v = x if is_int else float(x) if abs(x) < 1 << 1000 else read_float(str(x))
                elif isinstance(x, Word):
                    v = read_int(x) if is_int else read_float(x)
                else:
                    raise Reject(expected("an integer" if is_int else "a number", x))
                if lo <= v <= hi:
                    return v
                raise Reject(f"{brief(v, 60)} is not in {where}")
            return number
        case TBool():
            def boolean(x: Any) -> bool:
                if type(x) is bool:
                    return x
                v = _BOOLS.get(x.strip().removesuffix(".").lower()) if type(x) is Word else None
                if v is None:
                    raise Reject(expected("true or false", x))
                return v
            return boolean
        case TStr(length, chars):
            where, shortest, longest = show(t), length.lo, length.hi

            def string(x: Any) -> str:
                if type(x) is not str:
                    if type(x) is not Word:
                        raise Reject(expected("a string", x))
                    x = str(x)
                if not shortest <= len(x) <= longest:
                    raise Reject(f"{preview(x)} has length {len(x)}, not in {_show_len(length)}")
                if chars is not None and not chars.issuperset(x):
                    raise Reject(f"{preview(x)}: character {preview(next(c for c in x if c not in chars))} "
                                 f"is not allowed in {where}")
                return x
            return string
        case TEnum(values):
            allowed, folded = frozenset(values), {}
            for v in values:  # a case-insensitive match counts only when one literal has that fold
                f = v.casefold()
                folded[f] = None if f in folded and folded[f] != v else v
            where = ", ".join(map(json.dumps, values))

            def enum(x: Any) -> str:
                if type(x) is not str and type(x) is not Word:
                    raise Reject(expected("a string", x))
                c = x.strip()
                for cand in (x, c, unquote(c), c.removesuffix(".")):
                    if cand in allowed:
                        return str(cand)
                    if folded.get(cand.casefold()) is not None:
                        return folded[cand.casefold()]
                raise Reject(f"{preview(c)} is not one of {where}")
            return enum
        case TList(elem, length) | TSet(elem, length):
            return _sequence(t, elem, length)
        case TTuple(items):
            subs, n = [_conv(i) for i in items], len(items)

            def tuple_(x: Any) -> tuple[Any, ...]:
                if type(x) is not list and type(x) is not tuple:
                    raise Reject(expected(f"a list of {n} items", x))
                if len(x) != n:
                    raise Reject(f"expected {n} item{'s' * (n != 1)}, got {len(x)}")
                return tuple(_elements(lambda p: p[0](p[1]), list(zip(subs, x, strict=True)), lambda i: f"item {i}"))
            return tuple_
        case TRecord(fields):
            pairs = [(name, _conv(ft)) for name, ft in fields]
            names = frozenset(t.names)

            def record(x: Any) -> dict[str, Any]:
                if type(x) is not dict:
                    raise Reject(expected("an object", x))
                out = {}
                for name, sub in pairs:
                    if name not in x:
                        raise Reject(f"missing field `{name}`")
                    try:
                        out[name] = sub(x[name])
                    except Reject as r:
                        raise Reject(f"field `{name}`: {r}") from None
                if len(x) != len(pairs):
                    raise Reject(f"unexpected field `{printable(str(next(k for k in x if k not in names))[:40])}`")
                return out
            return record
        case TMap(key, value):
            return map_conv(t, _conv(key), _conv(value))
        case TOptional(inner):
            return optional_conv(_conv(inner))
    return lambda x: x


def _sequence(t: TList | TSet, elem: TType, length: Interval) -> Callable[[Any], list[Any]]:
    sub, is_set, llo, lhi = _conv(elem), isinstance(t, TSet), length.lo, length.hi
    lo, hi = (elem.range.lo, elem.range.hi) if isinstance(elem, TInt) else (None, None)
    key = sort_key_for(elem)

    def sequence(x: Any) -> list[Any]:
        if type(x) is not list:
            if not (is_set and x == {}):
                raise Reject(expected("a list", x))
            x = []
        if not llo <= len(x) <= lhi:
            raise Reject(f"length {len(x)} is not in len={_show_len(length)}")
        if lo is not None and (not x or (_INT_ONLY.issuperset(map(type, x)) and lo <= min(x) and max(x) <= hi)):
            out = x  # the hot case, List[Int[a..b]] from json: already right
        else:
            out = _elements(sub, x, lambda i: f"element {i}")
        if not is_set:
            return out
        keys = list(map(key, out))
        if len(set(keys)) != len(keys):
            first: dict[Any, int] = {}
            for i, k in enumerate(keys):
                if (j := first.setdefault(k, i)) != i:
                    raise Reject(f"element {i} repeats element {j}")
        return [out[i] for i in sorted(range(len(out)), key=keys.__getitem__)]
    return sequence


@functools.lru_cache(maxsize=1024)
def parser_for(t: TType) -> Parser:
    """A parser `text -> (value, None) | (None, reason)` for answers of type `t`; never raises.

    Lenient where the meaning is clear, strict where it is not (language.md §6):
    - Surrounding whitespace is ignored; so is one trailing period (except for Str).
    - Int: `42`, `+5`, `1_000`, `1,000` (groups of three), `5.0`/`5.` (a zero fraction),
      a Unicode minus. Not `5.5`, `1e3`, `"5"`, `0x10`.
    - Float: any decimal or scientific literal (`1e-3`, `.5`), integers, fractions `1/3`,
      `1,234.5`. Not nan/inf, nor a number that overflows.
    - Bool: true/false and yes/no, in any case (JSON `true`, Python `True`).
    - Str: the text as written; if all of it is one JSON string literal (`"a\\nb"`) or
      is wrapped in single quotes with none inside, the content instead.
    - Enum: the literal; else unquoted, or without a trailing period, or matching in
      another case when only one literal does (`Red` for `red`).
    - List/Set/Tuple: JSON; or Python-ish: `(1, 2)`, `{1, 2}`, outer brackets optional
      (`1, 2, 3`), spaces instead of commas when there is no comma (`1 2 3`), a trailing
      comma, single-quoted or bare strings (`[red, green]`; with commas, `New York, Paris`
      is two words). A Set must not repeat an element (it is refused, not merged).
    - Record: a JSON object; keys may also be single-quoted or bare (`{a: 1, b: 2}`);
      exactly the declared fields.
    - Map: an object as for Record, any keys of the key type (answers_maps.py).
    - Optional: `null` (or `none`, in any case), else a value of the inner type.
    - Refused: numbers over MAX_DIGITS digits ("number too large"), answers over
      MAX_ANSWER characters, nesting deeper than the type (plus one)."""
    if isinstance(t, TOptional):
        inner = parser_for(t.inner)
        return lambda text: ((None, None) if type(text) is str and text.strip().removesuffix(".").casefold() in NULLS
                             else inner(text))
    conv = _conv(t)
    depth = _depth(t) + 1
    scalar_prep: Callable[[str], Any] | None = None
    if isinstance(t, TStr):
        scalar_prep = lambda s: unquote(s.strip())  # noqa: E731
    elif isinstance(t, TInt | TFloat | TBool | TEnum):
        scalar_prep = Word
    elif isinstance(t, TAny):
        scalar_prep = str.strip
    fast_int = isinstance(t, TInt)
    lo, hi = (t.range.lo, t.range.hi) if fast_int else (0, 0)
    where = show(t)

    def parse(text: str) -> tuple[Any, str | None]:
        if type(text) is not str:
            return None, f"expected text, got {type(text).__name__}"
        if len(text) > MAX_ANSWER:
            return None, f"the answer is too long ({len(text)} characters; at most {MAX_ANSWER})"
        if fast_int and len(text) < 40:
            try:
                v = int(text)
            except ValueError:
                pass
            else:
                return (v, None) if lo <= v <= hi else (None, f"{v} is not in {where}")
        try:
            if scalar_prep is not None:
                return conv(scalar_prep(text)), None
            s = text.strip()
            if s[:1] in "[{" and s.count("[") + s.count("{") <= _JSON_BRACKETS:
                try:
                    return conv(DECODER.decode(s)), None
                except ValueError:  # not JSON (JSONDecodeError); Reject is no ValueError
                    pass
            return conv(read_lenient(s[:-1] if s.endswith(".") else s, depth)), None
        except Reject as r:
            return None, str(r)
        except Exception as e:  # unreachable by design (depth and size caps); a parser never raises
            return None, f"could not read the answer ({type(e).__name__})"

    return parse


# ------------------------------------------------------------------ rendering


def _jstr(s: str, fmt: str) -> str:
    """A JSON string literal that survives extraction: no `<` in tags, no braces in a box."""
    j = json.dumps(s, ensure_ascii=False)
    if fmt == "tags":
        return j.replace("<", "\\u003c")
    return j.replace("{", "\\u007b").replace("}", "\\u007d") if fmt == "boxed" else j


def _dump(v: Any, t: TType, fmt: str) -> str:
    match t:
        case TBool():
            return "true" if v else "false"
        case TInt():
            return str(int(v))
        case TFloat():
            return repr(float(v))
        case TStr() | TEnum():
            return _jstr(v, fmt)
        case TList(e):
            return "[" + ", ".join(_dump(x, e, fmt) for x in v) + "]"
        case TSet(e):
            return "[" + ", ".join(_dump(x, e, fmt) for x in sorted(v, key=sort_key_for(e))) + "]"
        case TTuple(items):
            return "[" + ", ".join(_dump(x, i, fmt) for x, i in zip(v, items, strict=True)) + "]"
        case TRecord(fields):
            return "{" + ", ".join(f"{_jstr(n, fmt)}: {_dump(v[n], ft, fmt)}" for n, ft in fields) + "}"
        case TMap(_, vt):
            return "{" + ", ".join(f"{_jstr(str(k), fmt)}: {_dump(v[k], vt, fmt)}" for k in sorted(v)) + "}"
        case TOptional(inner):
            return "null" if v is None else _dump(v, inner, fmt)
    return json.dumps(v, ensure_ascii=False)


def _plain_ok(s: str, fmt: str) -> bool:
    """Whether a Str/Enum answer can be written bare and read back unchanged."""
    if s != s.strip() or s[:1] in ("'", '"') or s[-1:] in ("'", '"'):
        return False
    return "<" not in s if fmt == "tags" else "{" not in s and "}" not in s


def render_answer(value: Any, t: TType, fmt: str) -> str:
    """The canonical completion for `value`: the format instruction followed exactly."""
    finder(fmt)
    if fmt != "json" and isinstance(t, TStr | TEnum) and _plain_ok(value, fmt):
        body = value
    else:
        body = _dump(value, t, fmt)
    if fmt == "tags":
        return f"<answer>{body}</answer>"
    return "\\boxed{" + body + "}" if fmt == "boxed" else body
