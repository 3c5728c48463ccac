"""Lark front end: text -> `Module` AST plus syntax diagnostics.

The grammar lives in `grammars/races.lark`; the parser is built once per
process (LALR with a contextual lexer, so keywords do not shadow names where
only a name can stand) and its tree becomes AST in
`racesdsl.syntax.ast_builder`. Parse failures become E01xx diagnostics,
never exceptions."""

from __future__ import annotations

import functools
from pathlib import Path

from lark import Lark
from lark.exceptions import UnexpectedInput, VisitError
from typeguard import typechecked

from racesdsl.diagnostics import Diagnostic, error
from racesdsl.resources import grammar_text
from racesdsl.syntax import ast as A
from racesdsl.syntax.ast_builder import AstBuilder, BadLiteral, span_of
from racesdsl.syntax.nesting import nesting_diagnostics
from racesdsl.syntax.syntax_errors import syntax_diagnostic, too_deep

__all__ = ["parse_module", "parse_text", "module_name_for"]


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        grammar_text(), parser="lalr", lexer="contextual",
        propagate_positions=True, maybe_placeholders=True, cache=True,
    )


def module_name_for(path: str | Path) -> str:
    return Path(path).stem


@typechecked
def parse_text(text: str, file: str = "<string>", module: str | None = None) -> tuple[A.Module | None, list[Diagnostic]]:
    """Parse one file's text. Returns (None, diagnostics) on a syntax error."""
    name = module if module is not None else module_name_for(file)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        return None, [syntax_diagnostic(err, text, file, _parser())]
    except RecursionError:
        return None, [too_deep(file)]
    builder = AstBuilder(file)
    try:
        decls = builder.transform(tree)
    except RecursionError:
        return None, [too_deep(file)]
    except VisitError as exc:
        if isinstance(exc.orig_exc, RecursionError):
            return None, [too_deep(file)]
        if not isinstance(exc.orig_exc, BadLiteral):
            raise
        meta = exc.obj.meta if hasattr(exc.obj, "meta") else None
        span = span_of(file, meta) if meta is not None and not getattr(meta, "empty", True) else A.Span(file, 1, 1, 1, 2)
        return None, [error(exc.orig_exc.code, str(exc.orig_exc), span, exc.orig_exc.help)]
    too_deep_diags = nesting_diagnostics(tuple(decls), text)
    if too_deep_diags:
        return None, too_deep_diags
    end = text.count("\n") + 1
    span = A.Span(file, 1, 1, end, 1, 0, len(text))
    return A.Module(name, file, tuple(decls), span=span), builder.diagnostics


def parse_module(path: str | Path, display: str | None = None) -> tuple[A.Module | None, list[Diagnostic], str]:
    """Read and parse a file; returns the text too, for rendering carets."""
    text = Path(path).read_text(encoding="utf-8")
    mod, diags = parse_text(text, display or str(path), module_name_for(path))
    return mod, diags, text
