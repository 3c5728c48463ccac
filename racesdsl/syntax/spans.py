"""Source spans: where an AST node (and so a diagnostic) comes from.

Its own module so that every AST module can use it without importing ast.py,
which re-exports it (`A.Span`, `A.NO_SPAN`)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["NO_SPAN", "Span", "span_field"]


@dataclass(frozen=True)
class Span:
    """A region of a source file; lines and columns are 1-based, `end_*` exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    start_pos: int = 0
    end_pos: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


NO_SPAN = Span("<unknown>", 0, 0, 0, 0)


def span_field() -> Span:
    """A node's `span`: NO_SPAN by default, and left out of `==` and repr (structure, not positions)."""
    return field(default=NO_SPAN, compare=False, repr=False, kw_only=True)
