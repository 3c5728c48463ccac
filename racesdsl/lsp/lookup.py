"""What the name under the cursor is: a symbol of the module's scope, or a stage of a composite."""

from __future__ import annotations

from collections.abc import Iterator

from lsprotocol import types

from racesdsl.check.resolve import Symbol
from racesdsl.ir import StageInfo
from racesdsl.lsp.analysis import Analysis
from racesdsl.lsp.positions import contains, dotted_at, one_based
from racesdsl.runtime import types as T


def symbol_at(analysis: Analysis, pos: types.Position) -> Symbol | None:
    """The env, composite, type alias or module the name under the cursor is bound to."""
    dotted = dotted_at(analysis.text, pos)
    scope = analysis.scope
    if dotted is None or scope is None:
        return None
    own = scope.own.get(dotted[0])
    if own is None and dotted[0] not in scope.imported:
        return _imported_by_use(analysis, dotted, pos)
    return scope.lookup(dotted)


def _imported_by_use(analysis: Analysis, dotted: tuple[str, ...], pos: types.Position) -> Symbol | None:
    """On a module path of a `use` (`use std.lists.{...}`): that module."""
    line = analysis.text.splitlines()[pos.line] if pos.line < len(analysis.text.splitlines()) else ""
    if not line.lstrip().startswith("use "):
        return None
    for sym, _, _ in analysis.scope.imported.values():
        target = sym.module if sym.kind != "error" else None
        if target is not None and target.path.stem == dotted[-1]:
            return Symbol("module", target.name, target)
    return None


def _walk(stage: StageInfo, incoming: T.TType | None = None) -> Iterator[tuple[StageInfo, T.TType | None]]:
    """Every stage with the type it receives from the stage before it in a `seq` (None when
    it receives what its parent receives, or sampled inputs)."""
    yield stage, incoming
    previous = None
    for child in stage.children:
        yield from _walk(child, previous)
        previous = child.output if stage.label == "seq" else None
    for child in stage.distractors:
        yield from _walk(child)


def stage_at(analysis: Analysis, pos: types.Position) -> tuple[StageInfo, T.TType | None] | None:
    """The innermost named stage of one of the document's composites under the cursor, and
    the type the previous stage of a `seq` hands it."""
    line, col = one_based(analysis.text, pos)
    best = None
    for comp in analysis.program.composites.values():
        if not analysis.own(comp.decl.span):
            continue
        for stage, incoming in _walk(comp.root):
            span = stage.ref.span
            if stage.target is not None and analysis.own(span) and contains(span, line, col):
                if best is None or span.start_pos >= best[0].ref.span.start_pos:
                    best = (stage, incoming)
    return best
