"""Formatting through `racesdsl fmt` (racesdsl.formatter): one edit replacing the whole buffer.

The formatter is optional here: when racesdsl.formatter does not import, the
server does not announce the capability (server.py asks `available()`)."""

from __future__ import annotations

from lsprotocol import types


def available() -> bool:
    try:
        import racesdsl.formatter  # noqa: F401
    except ImportError:
        return False
    return True


def format_document(text: str, file: str) -> list[types.TextEdit] | None:
    """The edit to the canonical layout; None (no edit) while the buffer does not parse."""
    from racesdsl.formatter import FormatError, format_text

    try:
        formatted = format_text(text, file)
    except FormatError:
        return None
    if formatted == text:
        return []
    lines = text.splitlines(keepends=True)
    end = types.Position(line=len(lines), character=0)
    return [types.TextEdit(range=types.Range(start=types.Position(line=0, character=0), end=end),
                           new_text=formatted)]
