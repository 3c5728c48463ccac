"""Answers: find the answer in a completion, parse it into a value of the output
type, and the way back (the format instruction and the canonical answer).

Completions are hostile input, so everything here is total and bounded: only the
last `MAX_COMPLETION` characters are read, an answer longer than `MAX_ANSWER` or a
number longer than `MAX_DIGITS` is refused, every scan is linear (no regex that
backtracks), nesting is capped before `json` sees it, and nothing is evaluated.

Where the answer is (`answer tags|boxed|json`, language.md §6):
- tags: the content of the last complete `<answer>...</answer>`: the last closing
  tag, then the last opening tag before it. Tag names in any case, spaces allowed
  inside the tags (`< Answer >`); an opening tag that is never closed does not count.
- boxed: the content of the last `\\boxed{...}` whose braces balance; one
  `\\text{...}` (`\\textbf`, `\\mathrm`, `\\mathbf`, `\\texttt`) around all of it is dropped.
- json: the last complete JSON value, scanning back from the end of the text:
  a bracketed value, a string, a number, or true/false/null (a few tries, each bounded).

How an answer is read: see `parser_for`."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable
from typing import Any

from racesdsl.runtime.score import brief, printable
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
    show,
)
from racesdsl.runtime.values import sort_key_for

__all__ = ["FORMATS", "MAX_ANSWER", "MAX_COMPLETION", "MAX_DIGITS", "MISSING", "Parser", "extract",
           "finder", "format_instruction", "parser_for", "render_answer"]

MAX_COMPLETION = 64 * 1024  # characters read from the end of a completion
MAX_ANSWER = 16 * 1024  # longest answer text parsed
MAX_DIGITS = 4000  # longest number (Python's int() itself stops at 4300 digits)
_JSON_BRACKETS = 200  # json.loads only sees text with at most this many brackets (so no RecursionError)
_JSON_TRIES = 8

FORMATS = ("tags", "boxed", "json")
MISSING = {"tags": "no <answer> block found", "boxed": "no \\boxed{...} found", "json": "no JSON value found"}

Parser = Callable[[str], tuple[Any, "str | None"]]


class Word(str):
    """Unquoted text from a lenient parse: what it means depends on the expected type."""

    __slots__ = ()


class _Num(Word):
    """A JSON float's digits, kept as text so Int can take `5.0` and refuse `5.5` exactly."""

    __slots__ = ()


class Reject(Exception):
    """The answer does not fit the type; the message is the reason."""


_DECODER = json.JSONDecoder(parse_float=_Num, strict=False)

# ---------------------------------------------------------------- extraction

_R_CLOSE = re.compile(r">\s*rewsna\s*/\s*<", re.I | re.A)  # searched in the reversed text
_R_OPEN = re.compile(r">\s*rewsna\s*<", re.I | re.A)
_BRACES = re.compile(r"[{}]")
_WRAPPERS = ("\\text{", "\\textbf{", "\\mathrm{", "\\mathbf{", "\\texttt{")
_R_END = re.compile(r'[\]}"0-9]|\b(?:eurt|eslaf|llun)\b', re.I | re.A)
_R_BRACKETS = re.compile(r'[\[\]{}"]')
_R_NUMBER = re.compile(rf"[0-9.eE+-]{{1,{MAX_ANSWER + 1}}}")
_R_BACKSLASHES = re.compile(r"\\*")


def _find_tags(c: str) -> str | None:
    if len(c) > MAX_COMPLETION:
        c = c[-MAX_COMPLETION:]
    e = c.rfind("</answer>")
    if e >= 0 and c.find("<", e + 9) < 0:  # fast path: exact tags, nothing tag-like around them
        s = c.rfind("<answer>", 0, e)
        if s >= 0 and c.find("<", s + 8, e) < 0:
            return c[s + 8:e]
    rev, n = c[::-1], len(c)
    close = _R_CLOSE.search(rev)
    if close is None:
        return None
    open_ = _R_OPEN.search(rev, close.end())
    return None if open_ is None else c[n - open_.start():n - close.end()]


def _closing_brace(c: str, i: int) -> int:
    """The `}` that closes an opening brace just before `i`, or -1."""
    depth = 1
    for m in _BRACES.finditer(c, i):
        depth += 1 if c[m.start()] == "{" else -1
        if depth == 0:
            return m.start()
    return -1


def _find_boxed(c: str) -> str | None:
    if len(c) > MAX_COMPLETION:
        c = c[-MAX_COMPLETION:]
    s = c.rfind("\\boxed{")
    if s < 0:
        return None
    e = c.find("}", s + 7)
    if e < 0 or c.find("{", s + 7, e) >= 0:  # not the plain `\boxed{42}`: count braces
        e = _closing_brace(c, s + 7)
    if e < 0:  # the last box is not closed: match every brace once, then try earlier boxes
        stack: list[int] = []
        match: dict[int, int] = {}
        for m in _BRACES.finditer(c):
            if c[m.start()] == "{":
                stack.append(m.start())
            elif stack:
                match[stack.pop()] = m.start()
        while e < 0:
            s = c.rfind("\\boxed{", 0, s)
            if s < 0:
                return None
            e = match.get(s + 6, -1)
    inner = c[s + 7:e]
    t = inner.strip()
    if t.startswith(_WRAPPERS):
        for w in _WRAPPERS:
            if t.startswith(w) and _closing_brace(t, len(w)) == len(t) - 1:
                return t[len(w):-1]
    return inner


def _escaped(rev: str, n: int, i: int) -> bool:
    """Whether the character at `i` (of the unreversed text) follows an odd run of backslashes."""
    return (_R_BACKSLASHES.match(rev, n - i).end() - (n - i)) % 2 == 1


def _string_start(c: str, rev: str, j: int) -> int | None:
    """The opening quote of the JSON string whose closing quote is at `j`."""
    k = j
    while True:
        k = c.rfind('"', 0, k)
        if k < 0:
            return None
        if j - k > MAX_ANSWER:
            return j - MAX_ANSWER  # too long to be an answer: the caller reports it so
        if not _escaped(rev, len(c), k):
            return k


def _bracket_start(c: str, rev: str, j: int) -> int | None:
    """The bracket that opens the one closing at `j`, skipping strings; None if unbalanced."""
    n, expect = len(c), []
    i = j
    while i >= 0:
        m = _R_BRACKETS.search(rev, n - 1 - i)
        if m is None:
            return None
        i = n - 1 - m.start()
        if j - i > MAX_ANSWER:
            return j - MAX_ANSWER
        ch = c[i]
        if ch == '"':
            if not _escaped(rev, n, i):
                k = _string_start(c, rev, i)
                if k is None or j - k > MAX_ANSWER:
                    return k
                i = k
        elif ch == "]" or ch == "}":
            expect.append("[" if ch == "]" else "{")
        elif expect.pop() != ch:
            return None
        elif not expect:
            return i
        i -= 1
    return None


def _find_json(c: str) -> str | None:
    if len(c) > MAX_COMPLETION:
        c = c[-MAX_COMPLETION:]
    rev, n, pos = c[::-1], len(c), 0
    for _ in range(_JSON_TRIES):
        m = _R_END.search(rev, pos)
        if m is None:
            return None
        end = n - m.start()
        ch = c[end - 1]
        if ch == "]" or ch == "}":
            start = _bracket_start(c, rev, end - 1)
        elif ch == '"':
            start = _string_start(c, rev, end - 1)
        elif "0" <= ch <= "9":
            start = n - _R_NUMBER.match(rev, m.start()).end()
            while c[start] in "eE":
                start += 1
        else:
            start = end - len(m.group())
        if start is not None:
            return c[start:end]
        pos = m.end()
    return None


_FINDERS: dict[str, Callable[[str], str | None]] = {"tags": _find_tags, "boxed": _find_boxed, "json": _find_json}


def finder(fmt: str) -> Callable[[str], str | None]:
    """The raw locator for a format (no length check), for callers that report reasons."""
    try:
        return _FINDERS[fmt]
    except KeyError:
        raise ValueError(f"unknown answer format {fmt!r} (expected one of {', '.join(FORMATS)})") from None


def extract(completion: str, fmt: str) -> str | None:
    """The answer text of a completion in format `fmt`, or None (missing, or longer than MAX_ANSWER)."""
    text = finder(fmt)(completion)
    return None if text is None or len(text) > MAX_ANSWER else text


# ------------------------------------------------------------------- scalars

_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_ZERO_FRACTION = re.compile(r"([+-]?[0-9]+)\.0*")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_FRACTION = re.compile(r"([+-]?[0-9]+)\s*/\s*([0-9]+)")
_BOOLS = {"true": True, "yes": True, "false": False, "no": False}
_INT_ONLY = frozenset([int])


def _show(x: Any) -> str:
    return printable(x[:40] + "..." * (len(x) > 40)) if type(x) is Word else brief(x, 40)


def _expected(kind: str, x: Any) -> str:
    what = "a list" if isinstance(x, list) else "an object" if isinstance(x, dict) else _show(x)
    return f"expected {kind}, got {what}"


def _number_text(x: str, kind: str) -> str:
    s = x.strip()
    if s.endswith("."):
        s = s[:-1]
    if len(s) > MAX_DIGITS:
        raise Reject(f"number too large ({len(s)} characters)" if _DECIMAL.fullmatch(s) else _expected(kind, x))
    if "\u2212" in s:
        s = s.replace("\u2212", "-")
    return s.replace(",", "") if "," in s and _GROUPED.fullmatch(s) else s


def _int_text(x: str) -> int:
    s = _number_text(x, "an integer")
    try:
        return int(s)
    except ValueError:
        pass
    m = _ZERO_FRACTION.fullmatch(s)
    if m:
        return int(m[1])
    if _DECIMAL.fullmatch(s) or _FRACTION.fullmatch(s):
        raise Reject(f"{_show(Word(s))} is not an integer")
    raise Reject(_expected("an integer", Word(x.strip())))


def _float_text(x: str) -> float:
    s = _number_text(x, "a number")
    m = _FRACTION.fullmatch(s)
    try:
        if m:
            if int(m[2]) == 0:
                raise Reject(f"{_show(Word(s))} divides by zero")
            v = int(m[1]) / int(m[2])
        else:
            v = float(s)
    except ValueError:
        raise Reject(_expected("a number", Word(x.strip()))) from None
    except OverflowError:
        raise Reject("number too large") from None
    if not math.isfinite(v):
        raise Reject("number too large" if _DECIMAL.fullmatch(s) else f"{_show(Word(s))} is not a finite number")
    return v


def _unquote(s: str) -> str:
    """The content of a quoted string answer (JSON `"..."` or `'...'`); other text unchanged."""
    if len(s) >= 2 and s[0] == s[-1]:
        if s[0] == '"':
            try:
                v = _DECODER.decode(s)
            except ValueError:
                return s
            return v if isinstance(v, str) else s
        if s[0] == "'" and "'" not in s[1:-1]:
            return s[1:-1]
    return s


# -------------------------------------------------------- lenient structure

_TOKEN = re.compile(r"""(\s+)|([\[\](){},:])|("[^"\\]*(?:\\.[^"\\]*)*")|('[^'\\]*(?:\\.[^'\\]*)*')"""
                    r"""|([^\s\[\](){},:"]+)""", re.S)
_CLOSER = {"[": "]", "(": ")", "{": "}"}
_SQ_FIX = re.compile(r"""\\(.)|(")""", re.S)


class _Frame:
    """One open bracket: its comma-separated groups of items, with keys for objects."""

    __slots__ = ("close", "groups", "keys", "cur", "key")

    def __init__(self, close: str) -> None:
        self.close, self.groups, self.keys, self.cur, self.key = close, [], [], [], None


def _quoted(tok: str) -> str:
    if tok[0] == "'":  # Python-ish: rewrite as a JSON literal, then let json judge the escapes
        tok = '"' + _SQ_FIX.sub(lambda m: '\\"' if m[2] else "'" if m[1] == "'" else m[0], tok[1:-1]) + '"'
    try:
        return _DECODER.decode(tok)
    except ValueError:
        raise Reject(f"bad string {_show(tok)}") from None


def _one(group: list[tuple[Any, int, int]], s: str) -> Any:
    """One element from the items between two commas; bare words join into a phrase."""
    if len(group) == 1:
        return group[0][0]
    if not group:
        raise Reject("an element is empty")
    if all(type(v) is Word for v, _, _ in group):
        return Word(s[group[0][1]:group[-1][2]])
    raise Reject("a comma is missing between elements")


def _finish(f: _Frame, s: str) -> Any:
    groups, keys = [*f.groups, f.cur], [*f.keys, f.key]
    if any(k is not None for k in keys):
        if f.close not in ("}", ""):  # braces, or the top level (`a: 1, b: 2`)
            raise Reject("`key: value` outside braces")
        out = {}
        for i, (k, g) in enumerate(zip(keys, groups, strict=True)):
            if k is None:
                if i == len(groups) - 1 and not g:
                    continue  # a trailing comma
                raise Reject("expected `key: value` pairs")
            out[k] = _one(g, s)
        return out
    if len(groups) == 1:  # no commas: whitespace separates the elements
        return [v for v, _, _ in groups[0]]
    if not groups[-1]:
        groups.pop()
    return [_one(g, s) for g in groups]


def _lenient(s: str, max_depth: int) -> Any:
    """JSON and Python-ish literals with optional outer brackets, commas or spaces between
    elements, bare words; quoted strings become `str`, bare text `Word`. Iterative: no recursion."""
    stack: list[_Frame] = []
    frame = _Frame("")
    pos, n = 0, len(s)
    while pos < n:
        m = _TOKEN.match(s, pos)
        if m is None:
            raise Reject("a string is not closed")
        start, pos, kind = pos, m.end(), m.lastindex
        if kind == 2:
            tok = s[start]
            if tok in _CLOSER:
                if len(stack) >= max_depth:
                    raise Reject("nested too deeply")
                stack.append(frame)
                frame = _Frame(_CLOSER[tok])
            elif tok == ",":
                frame.groups.append(frame.cur)
                frame.keys.append(frame.key)
                frame.cur, frame.key = [], None
            elif tok == ":":
                if frame.key is not None or not frame.cur or not isinstance(key := _one(frame.cur, s), str):
                    raise Reject("a stray `:`")
                frame.cur, frame.key = [], str(key)
            elif tok != frame.close:
                raise Reject(f"unbalanced `{tok}`")
            else:
                value = _finish(frame, s)
                frame = stack.pop()
                frame.cur.append((value, start, pos))
        elif kind != 1:
            frame.cur.append((Word(m.group()) if kind == 5 else _quoted(m.group()), start, pos))
    if stack:
        raise Reject(f"`{frame.close}` is missing")
    out = _finish(frame, s)
    return out[0] if type(out) is list and len(out) == 1 and type(out[0]) in (list, dict) else out


# ------------------------------------------------------------------ parsing


def _depth(t: TType) -> int:
    match t:
        case TList(e) | TSet(e):
            return 1 + _depth(e)
        case TTuple(items):
            return 1 + max(map(_depth, items), default=0)
        case TRecord(fields):
            return 1 + max((_depth(ft) for _, ft in fields), default=0)
        case TAny():
            return 64
    return 0


def _elements(sub: Callable[[Any], Any], xs: Any, label: Callable[[int], str]) -> list[Any]:
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
                    v = x if is_int else float(x) if abs(x) < 1 << 1000 else _float_text(str(x))
                elif isinstance(x, Word):
                    v = _int_text(x) if is_int else _float_text(x)
                else:
                    raise Reject(_expected("an integer" if is_int else "a number", x))
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
                    raise Reject(_expected("true or false", x))
                return v
            return boolean
        case TStr(length, chars):
            where, shortest, longest = show(t), length.lo, length.hi

            def string(x: Any) -> str:
                if type(x) is not str:
                    if type(x) is not Word:
                        raise Reject(_expected("a string", x))
                    x = str(x)
                if not shortest <= len(x) <= longest:
                    raise Reject(f"{_show(x)} has length {len(x)}, not in {_show_len(length)}")
                if chars is not None and not chars.issuperset(x):
                    raise Reject(f"{_show(x)}: character {_show(next(c for c in x if c not in chars))} "
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
                    raise Reject(_expected("a string", x))
                c = x.strip()
                for cand in (x, c, _unquote(c), c.removesuffix(".")):
                    if cand in allowed:
                        return str(cand)
                    if folded.get(cand.casefold()) is not None:
                        return folded[cand.casefold()]
                raise Reject(f"{_show(c)} is not one of {where}")
            return enum
        case TList(elem, length) | TSet(elem, length):
            return _sequence(t, elem, length)
        case TTuple(items):
            subs, n = [_conv(i) for i in items], len(items)

            def tuple_(x: Any) -> tuple[Any, ...]:
                if type(x) is not list and type(x) is not tuple:
                    raise Reject(_expected(f"a list of {n} items", x))
                if len(x) != n:
                    raise Reject(f"expected {n} item{'s' * (n != 1)}, got {len(x)}")
                return tuple(_elements(lambda p: p[0](p[1]), list(zip(subs, x, strict=True)), lambda i: f"item {i}"))
            return tuple_
        case TRecord(fields):
            pairs = [(name, _conv(ft)) for name, ft in fields]
            names = frozenset(t.names)

            def record(x: Any) -> dict[str, Any]:
                if type(x) is not dict:
                    raise Reject(_expected("an object", x))
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
    return lambda x: x


def _sequence(t: TList | TSet, elem: TType, length: Interval) -> Callable[[Any], list[Any]]:
    sub, is_set, llo, lhi = _conv(elem), isinstance(t, TSet), length.lo, length.hi
    lo, hi = (elem.range.lo, elem.range.hi) if isinstance(elem, TInt) else (None, None)
    key = sort_key_for(elem)

    def sequence(x: Any) -> list[Any]:
        if type(x) is not list:
            if not (is_set and x == {}):
                raise Reject(_expected("a list", x))
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
    - Refused: numbers over MAX_DIGITS digits ("number too large"), answers over
      MAX_ANSWER characters, nesting deeper than the type (plus one)."""
    conv = _conv(t)
    depth = _depth(t) + 1
    scalar_prep: Callable[[str], Any] | None = None
    if isinstance(t, TStr):
        scalar_prep = lambda s: _unquote(s.strip())  # noqa: E731
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
                    return conv(_DECODER.decode(s)), None
                except ValueError:  # not JSON (JSONDecodeError); Reject is no ValueError
                    pass
            return conv(_lenient(s[:-1] if s.endswith(".") else s, depth)), None
        except Reject as r:
            return None, str(r)
        except Exception as e:  # unreachable by design (depth and size caps); a parser never raises
            return None, f"could not read the answer ({type(e).__name__})"

    return parse


# ------------------------------------------------------ instructions, rendering


def _choices(values: tuple[str, ...], quoted: bool) -> str:
    plain = not quoted and all(v and v == v.strip() and not set(v) & set(",\"'") for v in values)
    return ", ".join(values if plain else map(json.dumps, values))


def _a(t: TType, quoted: bool, j: str = "") -> str:
    """`t` with an article: "an integer", "a JSON list of integers"; `quoted`: inside JSON."""
    match t:
        case TInt():
            return "an integer"
        case TFloat():
            return "a number"
        case TBool():
            return "true or false"
        case TStr():
            return "a string" if quoted else "text"
        case TEnum(values):
            return "one of " + _choices(values, quoted)
        case TList() | TSet() | TTuple():
            return f"a {j}list {_many(t)[6:]}"  # "lists of X" -> "a list of X"
        case TRecord():
            return f"{'a JSON' if j else 'an'} object with {_keys(t)}"
    return "a JSON value"


def _many(t: TType) -> str:
    """`t` in the plural: "integers", "lists of integers"."""
    match t:
        case TInt():
            return "integers"
        case TFloat():
            return "numbers"
        case TBool():
            return "booleans (true or false)"
        case TStr():
            return "strings"
        case TEnum(values):
            return "strings, each one of " + _choices(values, True)
        case TList(e):
            return "lists of " + _many(e)
        case TSet(e):
            return "lists of distinct " + _many(e)
        case TTuple(items):
            n = len(items)
            if n > 1 and all(i == items[0] for i in items) and not isinstance(items[0], TEnum):
                return f"lists of {n} {_many(items[0])}"
            return f"lists of {n} item{'s' * (n != 1)} ({', '.join(_a(i, True) for i in items)})"
        case TRecord():
            return "objects with " + _keys(t)
    return "JSON values"


def _keys(t: TRecord) -> str:
    parts = [f"{json.dumps(n)} ({_a(ft, True)})" for n, ft in t.fields]
    if not parts:
        return "no keys"
    return f"the key {parts[0]}" if len(parts) == 1 else "keys " + ", ".join(parts[:-1]) + " and " + parts[-1]


def format_instruction(t: TType, fmt: str) -> str:
    """The sentence appended to every prompt, derived from the output type and format."""
    finder(fmt)
    if fmt == "json":
        return f"Give your final answer at the end of your reply as a JSON value: {_a(t, True)}."
    where = "inside <answer></answer>" if fmt == "tags" else "inside \\boxed{}"
    return f"Give your final answer as {_a(t, False, 'JSON ')} {where}."


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
