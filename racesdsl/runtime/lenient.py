"""Lenient reading of answer text, before the expected type is applied: the scalar
readers for words (`1,000`, `5.0`, `1/3`, a Unicode minus) and the tree reader for
JSON and Python-ish literals (outer brackets optional, bare words, `key: value`).

Answers are hostile input, so the tree reader is iterative (no recursion), its nesting
is capped by the caller, numbers longer than `MAX_DIGITS` are refused, and nothing is
evaluated. What a bare `Word` means is left to the typed conversion in answers.py."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from racesdsl.runtime.score import brief, printable

__all__ = ["DECODER", "MAX_DIGITS", "Reject", "Word", "expected", "preview", "read_float", "read_int",
           "read_lenient", "unquote"]

MAX_DIGITS = 4000  # longest number (Python's int() itself stops at 4300 digits)


class Word(str):
    """Unquoted text from a lenient parse: what it means depends on the expected type."""

    __slots__ = ()


class _Num(Word):
    """A JSON float's digits, kept as text so Int can take `5.0` and refuse `5.5` exactly."""

    __slots__ = ()


class Reject(Exception):
    """The answer does not fit the type; the message is the reason."""


DECODER = json.JSONDecoder(parse_float=_Num, strict=False)  # floats stay text: Int refuses `5.5` exactly

# ------------------------------------------------------------------- scalars

_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_ZERO_FRACTION = re.compile(r"([+-]?[0-9]+)\.0*")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_FRACTION = re.compile(r"([+-]?[0-9]+)\s*/\s*([0-9]+)")


def preview(x: Any) -> str:
    """A short printable form of a piece of the answer, for reasons."""
    return printable(x[:40] + "..." * (len(x) > 40)) if type(x) is Word else brief(x, 40)


def expected(kind: str, x: Any) -> str:
    """The reason for a piece of the wrong kind: "expected an integer, got [...]"."""
    what = "a list" if isinstance(x, list) else "an object" if isinstance(x, dict) else preview(x)
    return f"expected {kind}, got {what}"


def _number_text(x: str, kind: str) -> str:
    s = x.strip()
    if s.endswith("."):
        s = s[:-1]
    if len(s) > MAX_DIGITS:
        raise Reject(f"number too large ({len(s)} characters)" if _DECIMAL.fullmatch(s) else expected(kind, x))
    if "\u2212" in s:
        s = s.replace("\u2212", "-")
    return s.replace(",", "") if "," in s and _GROUPED.fullmatch(s) else s


def read_int(x: str) -> int:
    """An integer word: `1,000`, `5.0`, a Unicode minus; `5.5` is refused, not rounded."""
    s = _number_text(x, "an integer")
    try:
        return int(s)
    except ValueError:
        pass
    m = _ZERO_FRACTION.fullmatch(s)
    if m:
        return int(m[1])
    if _DECIMAL.fullmatch(s) or _FRACTION.fullmatch(s):
        raise Reject(f"{preview(Word(s))} is not an integer")
    raise Reject(expected("an integer", Word(x.strip())))


def read_float(x: str) -> float:
    """A number word: decimals, scientific, fractions `1/3`; never nan/inf."""
    s = _number_text(x, "a number")
    m = _FRACTION.fullmatch(s)
    try:
        if m:
            if int(m[2]) == 0:
                raise Reject(f"{preview(Word(s))} divides by zero")
            v = int(m[1]) / int(m[2])
        else:
            v = float(s)
    except ValueError:
        raise Reject(expected("a number", Word(x.strip()))) from None
    except OverflowError:
        raise Reject("number too large") from None
    if not math.isfinite(v):
        raise Reject("number too large" if _DECIMAL.fullmatch(s) else f"{preview(Word(s))} is not a finite number")
    return v


def unquote(s: str) -> str:
    """The content of a quoted string answer (JSON `"..."` or `'...'`); other text unchanged."""
    if len(s) >= 2 and s[0] == s[-1]:
        if s[0] == '"':
            try:
                v = DECODER.decode(s)
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
    """The content of a quoted token; single-quoted ones follow JSON's escape rules."""
    if tok[0] == "'":  # Python-ish: rewrite as a JSON literal, then let json judge the escapes
        tok = '"' + _SQ_FIX.sub(lambda m: '\\"' if m[2] else "'" if m[1] == "'" else m[0], tok[1:-1]) + '"'
    try:
        return DECODER.decode(tok)
    except ValueError:
        raise Reject(f"bad string {preview(tok)}") from None


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
    """The value of a closed bracket (or of the whole text): a list, or a dict if it has keys."""
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


def read_lenient(s: str, max_depth: int) -> Any:
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
