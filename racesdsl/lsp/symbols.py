"""Document symbols: envs (params, inputs, draws and lets as children), composites and type aliases."""

from __future__ import annotations

from lsprotocol import types

from racesdsl.lsp.analysis import Analysis
from racesdsl.lsp.positions import to_range
from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import print_expr, print_type


def _symbol(name: str, kind: types.SymbolKind, span: A.Span, name_span: A.Span, text: str,
            detail: str | None = None, children: list[types.DocumentSymbol] | None = None) -> types.DocumentSymbol:
    return types.DocumentSymbol(name=name, kind=kind, range=to_range(span, text),
                                selection_range=to_range(name_span, text), detail=detail, children=children)


def _env(decl: A.EnvDecl, text: str) -> types.DocumentSymbol:
    children = [_symbol(p.name, types.SymbolKind.TypeParameter, p.span, p.span, text, f"param {print_type(p.type)}")
                for p in decl.params]
    for c in decl.clauses:
        if isinstance(c, A.InputClause | A.DrawClause):
            word = "input" if isinstance(c, A.InputClause) else "draw"
            children.append(_symbol(c.name, types.SymbolKind.Field, c.span, c.span, text, f"{word} {print_type(c.type)}"))
        elif isinstance(c, A.LetClause):
            children.append(_symbol(c.name, types.SymbolKind.Variable, c.span, c.span, text, f"let = {print_expr(c.expr)}"))
    return _symbol(decl.name, types.SymbolKind.Class, decl.span, decl.name_span, text, decl.doc, children)


def document_symbols(analysis: Analysis) -> list[types.DocumentSymbol]:
    """The outline of the buffer (empty while it does not parse)."""
    if analysis.scope is None or analysis.scope.ast is None:
        return []
    text, out = analysis.text, []
    for decl in analysis.scope.ast.decls:
        if isinstance(decl, A.EnvDecl):
            out.append(_env(decl, text))
        elif isinstance(decl, A.ComposeDecl):
            out.append(_symbol(decl.name, types.SymbolKind.Function, decl.span, decl.name_span, text, decl.doc))
        elif isinstance(decl, A.TypeDecl):
            out.append(_symbol(decl.name, types.SymbolKind.TypeParameter, decl.span, decl.span, text,
                               print_type(decl.type)))
        elif isinstance(decl, A.DataDecl):
            out.append(_symbol(decl.name, types.SymbolKind.Array, decl.span, decl.span, text,
                               f'{print_type(decl.type)} = {decl.format}("{decl.path}")'))
    return out
