"""racesdsl spans <-> LSP positions, in one place.

Spans are 1-based lines and columns counted in code points, end exclusive; LSP
positions are 0-based lines and columns counted in UTF-16 code units (the
protocol's default encoding), end exclusive too."""

from __future__ import annotations

from lsprotocol import types

from racesdsl.syntax.ast import Span


def _utf16(line: str, col: int) -> int:
    return len(line[:col].encode("utf-16-le")) // 2


def _codepoints(line: str, units: int) -> int:
    count = 0
    for i, ch in enumerate(line):
        if count >= units:
            return i
        count += 2 if ord(ch) > 0xFFFF else 1
    return len(line)


def position(lines: list[str], line: int, col: int) -> types.Position:
    """A 1-based (line, code-point column) as an LSP position; past-the-end clamps."""
    row = max(line - 1, 0)
    text = lines[row] if row < len(lines) else ""
    return types.Position(line=row, character=_utf16(text, max(col - 1, 0)))


def to_range(span: Span, text: str) -> types.Range:
    """The LSP range of a span of `text` (the file the span points into)."""
    lines = text.splitlines()
    start = position(lines, span.line, span.col)
    end = position(lines, span.end_line or span.line, span.end_col or span.col + 1)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return types.Range(start=start, end=end)


def offset(text: str, pos: types.Position) -> int:
    """The string index of an LSP position in `text`."""
    lines = text.splitlines(keepends=True)
    if pos.line >= len(lines):
        return len(text)
    base = sum(len(line) for line in lines[:pos.line])
    return base + _codepoints(lines[pos.line].rstrip("\r\n"), pos.character)


def contains(span: Span, line: int, col: int) -> bool:
    """Whether the 1-based (line, code-point column) lies inside the span (end inclusive,
    so a cursor just after a name still counts as on it)."""
    return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)


def one_based(text: str, pos: types.Position) -> tuple[int, int]:
    """An LSP position as a 1-based (line, code-point column), as spans count."""
    lines = text.splitlines()
    line = lines[pos.line] if pos.line < len(lines) else ""
    return pos.line + 1, _codepoints(line, pos.character) + 1


def dotted_at(text: str, pos: types.Position) -> tuple[str, ...] | None:
    """The dotted name under the cursor (`m.sort_list`), cut at the cursor's part:
    on `m` of `m.x` it is `("m",)`, on `x` it is `("m", "x")`."""
    at = offset(text, pos)
    start = at
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_."):
        start -= 1
    end = at
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    parts = tuple(p for p in text[start:end].split(".") if p)
    return parts if parts and parts[0].isidentifier() else None
