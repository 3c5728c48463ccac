"""Go to definition across `use`: a name's declaration, in this file, a sibling module or the
stdlib; a param set in a stage reference: its `param` clause."""

from __future__ import annotations

from lsprotocol import types
from pygls.uris import from_fs_path

from racesdsl.lsp.analysis import Analysis
from racesdsl.lsp.completion import open_call
from racesdsl.lsp.lookup import symbol_at
from racesdsl.lsp.positions import dotted_at, offset, to_range
from racesdsl.syntax.ast import Span


def _location(analysis: Analysis, span: Span) -> types.Location:
    path = analysis.file_of(span)
    uri = analysis.uri if path is None else from_fs_path(str(path))
    return types.Location(uri=uri, range=to_range(span, analysis.text_of(span)))


def _param(analysis: Analysis, pos: types.Position) -> types.Location | None:
    """A param named inside a stage reference's parentheses (`sort_list(n=5..12)`): its `param` clause."""
    dotted = dotted_at(analysis.text, pos)
    call = open_call(analysis.text, offset(analysis.text, pos))
    if dotted is None or call is None or analysis.scope is None:
        return None
    sym = analysis.scope.lookup(tuple(call[0].split(".")))
    env = analysis.program.envs.get(sym.qualname) if sym is not None and sym.kind == "env" else None
    param = env.params.get(dotted[-1]) if env is not None else None
    return _location(analysis, param.decl.span) if param is not None else None


def definition(analysis: Analysis, pos: types.Position) -> types.Location | None:
    sym = symbol_at(analysis, pos)
    if sym is None:
        return _param(analysis, pos)
    if sym.kind == "error":
        return None
    if sym.kind == "module":
        start = types.Position(line=0, character=0)
        return types.Location(uri=from_fs_path(str(sym.module.path)), range=types.Range(start=start, end=start))
    if sym.decl is None:
        return None
    return _location(analysis, getattr(sym.decl, "name_span", sym.decl.span))
