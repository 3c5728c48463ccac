"""Go to definition across `use`: a name's declaration, in this file, a sibling module or the stdlib."""

from __future__ import annotations

from lsprotocol import types
from pygls.uris import from_fs_path

from racesdsl.lsp.analysis import Analysis
from racesdsl.lsp.lookup import symbol_at
from racesdsl.lsp.positions import to_range


def definition(analysis: Analysis, pos: types.Position) -> types.Location | None:
    sym = symbol_at(analysis, pos)
    if sym is None or sym.kind == "error":
        return None
    if sym.kind == "module":
        start = types.Position(line=0, character=0)
        return types.Location(uri=from_fs_path(str(sym.module.path)), range=types.Range(start=start, end=start))
    if sym.decl is None:
        return None
    span = getattr(sym.decl, "name_span", sym.decl.span)
    path = analysis.file_of(span)
    uri = analysis.uri if path is None else from_fs_path(str(path))
    return types.Location(uri=uri, range=to_range(span, analysis.text_of(span)))
