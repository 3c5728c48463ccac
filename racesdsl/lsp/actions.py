"""Quick fixes from the `help:` lines that name a replacement: `narrow the range:
`sort_list(n=5..12)``, `feed one input with `gcd2[a]``, `did you mean `take_first`?`,
and the `or narrow ...` notes.

A narrowing may concern the producer of a value rather than the stage the
diagnostic points at (E0310 marks the consumer): the fix replaces the nearest
stage reference at or before the diagnostic that names the same env."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from lsprotocol import types

from racesdsl.diagnostics import Diagnostic
from racesdsl.lsp.analysis import Analysis
from racesdsl.lsp.diagnostics import to_lsp
from racesdsl.lsp.positions import to_range
from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import print_comp

_NARROW = re.compile(r"narrow (?:the range: )?`([^`]+)`")
_PORT = re.compile(r"feed one input with `([A-Za-z_][\w.]*)\[(\w+)\]`")
_MEAN = re.compile(r"did you mean `([A-Za-z_][\w.]*)`\?")
_NAME = re.compile(r"[A-Za-z_][\w.]*")


def _refs(node: A.CompExpr) -> Iterator[A.StageRef]:
    if isinstance(node, A.StageRef):
        yield node
        return
    for sub in (*node.stages, *node.distractors):
        yield from _refs(sub)


def _stage_to_narrow(analysis: Analysis, diag: Diagnostic, replacement: str) -> A.StageRef | None:
    head = replacement.split("(", 1)[0].split("[", 1)[0]
    at = diag.span.start_pos
    best = None
    for decl in analysis.scope.ast.decls:
        if isinstance(decl, A.ComposeDecl) and decl.span.start_pos <= at <= decl.span.end_pos:
            for ref in _refs(decl.body):
                if ".".join(ref.name) == head and ref.span.start_pos <= at:
                    if best is None or ref.span.start_pos > best.span.start_pos:
                        best = ref
    return best


def _fixes(analysis: Analysis, diag: Diagnostic) -> Iterator[tuple[str, A.Span, str]]:
    """(title, span to replace, new text) for each replacement the diagnostic names."""
    texts = [diag.help or "", *diag.notes]
    for text in texts:
        for m in _NARROW.finditer(text):
            ref = _stage_to_narrow(analysis, diag, m.group(1))
            if ref is not None:
                yield f"Narrow to `{m.group(1)}`", ref.span, m.group(1)
    if diag.help and (m := _PORT.search(diag.help)):
        ref = _stage_to_narrow(analysis, diag, m.group(1))
        if ref is not None:  # keep the params the reference sets: the help shows the bare name
            new = print_comp(dataclasses.replace(ref, port=m.group(2)))
            yield f"Feed input `{m.group(2)}`: `{new}`", ref.span, new
    if diag.help and (m := _MEAN.search(diag.help)):
        written = analysis.text[diag.span.start_pos:diag.span.end_pos]
        if _NAME.fullmatch(written):  # the span is the misspelt name itself
            yield f"Replace with `{m.group(1)}`", diag.span, m.group(1)


def code_actions(analysis: Analysis, requested: types.Range) -> list[types.CodeAction]:
    """Quick fixes for the document's diagnostics that touch the requested range."""
    if analysis.scope is None or analysis.scope.ast is None:
        return []
    out = []
    for diag in analysis.diagnostics:
        if not analysis.own(diag.span):
            continue
        where = to_range(diag.span, analysis.text)
        if (where.end.line, where.end.character) < (requested.start.line, requested.start.character) or \
           (where.start.line, where.start.character) > (requested.end.line, requested.end.character):
            continue
        for title, span, new in _fixes(analysis, diag):
            edit = types.TextEdit(range=to_range(span, analysis.text), new_text=new)
            out.append(types.CodeAction(
                title=title, kind=types.CodeActionKind.QuickFix,
                diagnostics=[to_lsp(diag, analysis)],
                edit=types.WorkspaceEdit(changes={analysis.uri: [edit]})))
    return out
