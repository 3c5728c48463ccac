"""The nesting limit of expressions and compositions (E0110, docs/language.md "Limits").

Every later stage walks an expression by recursion, and the generated Python may
hold at most 200 open brackets, so a spec nested a few hundred levels deep would
pass the parser and then crash the checker, the code generator or Python's own
compiler. This walk is iterative and runs once per parsed file, before any of them."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator

from racesdsl.diagnostics import Diagnostic, error
from racesdsl.runtime.limits import MAX_EXPR_DEPTH
from racesdsl.syntax import ast as A
from racesdsl.syntax import ast_exprs

__all__ = ["nesting_diagnostics"]

# The nodes that are one level each: operators, calls, subscripts, list, tuple and record
# literals, comprehensions and composition operators. Leaves (names, scalar literals),
# wrappers (a keyword argument, a record item, a `for` clause, a slice) and types
# (E0321 bounds their nesting) are not levels of their own.
_WRAPPERS = (A.Keyword, A.RecordItem, A.Comprehension, A.Slice, A.Name, A.IntLit, A.FloatLit, A.StrLit, A.BoolLit, A.NoneLit)
_LEVELS = tuple(cls for cls in vars(ast_exprs).values()
                if isinstance(cls, type) and dataclasses.is_dataclass(cls)
                and cls.__module__ == ast_exprs.__name__ and cls not in _WRAPPERS) + (A.OpExpr,)
_OPEN = "([{"


@functools.cache
def _child_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.name != "span" and not f.name.endswith("_span"))


def _children(node: object) -> Iterator[object]:
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, tuple):
            yield from (v for v in value if dataclasses.is_dataclass(v))
        elif dataclasses.is_dataclass(value):
            yield value


def _too_deep(decls: tuple[object, ...]) -> object | None:
    """The outermost node nested deeper than the limit (depth-first, source order), if any."""
    stack: list[tuple[object, int]] = [(d, 0) for d in reversed(decls)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, _LEVELS):
            depth += 1
            if depth > MAX_EXPR_DEPTH:
                return node
        stack.extend((child, depth) for child in reversed(list(_children(node))))
    return None


def _bracket_span(node: object, text: str) -> A.Span:
    """One character: the bracket `node` opens with (after the name of a call or an
    operator like `seq`), or the one it stands in when a bracket opens right before
    it (a parenthesised operand's node leaves its parentheses out)."""
    span: A.Span = node.span
    start = span.start_pos
    if isinstance(node, A.Call | A.OpExpr):
        start = max(start, text.find("(", start, span.end_pos))
    elif start >= len(text) or text[start] not in _OPEN:
        before = start
        while before > 0 and text[before - 1] in " \t\r\n":
            before -= 1
        if before > 0 and text[before - 1] in _OPEN:
            start = before - 1
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    return A.Span(span.file, line, col, line, col + 1, start, start + 1)


def nesting_diagnostics(decls: tuple[object, ...], text: str) -> list[Diagnostic]:
    """E0110 for the first expression or composition nested deeper than the limit."""
    node = _too_deep(decls)
    if node is None:
        return []
    span = _bracket_span(node, text)
    if isinstance(node, A.OpExpr):
        return [error("E0110", f"this composition is nested more than {MAX_EXPR_DEPTH} levels deep", span,
                      f"compositions nest at most {MAX_EXPR_DEPTH} levels: give inner parts a name "
                      "with their own `compose`")]
    return [error("E0110", f"this expression is nested more than {MAX_EXPR_DEPTH} levels deep", span,
                  f"expressions nest at most {MAX_EXPR_DEPTH} levels of operators, calls, subscripts, "
                  "list, tuple and record literals and comprehensions: flatten it")]
