"""Extraction: find the answer text in a completion (`answer tags|boxed|json`, language.md §6).

Completions are hostile input, so every locator is total, bounded and linear: only the
last `MAX_COMPLETION` characters are read, each scan goes forward or backward once (no
regex that backtracks), and nothing is evaluated.

- tags: the content of the last complete `<answer>...</answer>`: the last closing
  tag, then the last opening tag before it. Tag names in any case, spaces allowed
  inside the tags (`< Answer >`); an opening tag that is never closed does not count.
- boxed: the content of the last `\\boxed{...}` whose braces balance; one
  `\\text{...}` (`\\textbf`, `\\mathrm`, `\\mathbf`, `\\texttt`) around all of it is dropped.
- json: the last complete JSON value, scanning back from the end of the text:
  a bracketed value, a string, a number, or true/false/null (a few tries, each bounded)."""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["FORMATS", "MAX_ANSWER", "MAX_COMPLETION", "MISSING", "extract", "finder"]

MAX_COMPLETION = 64 * 1024  # characters read from the end of a completion
MAX_ANSWER = 16 * 1024  # longest answer text parsed
_JSON_TRIES = 8

FORMATS = ("tags", "boxed", "json")
MISSING = {"tags": "no <answer> block found", "boxed": "no \\boxed{...} found", "json": "no JSON value found"}

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

