"""Diagnostics as you type: the checker's findings on the buffer, as `racesdsl check` reports them."""

from __future__ import annotations

from lsprotocol import types

from racesdsl.diagnostics import CODES, Diagnostic, Severity
from racesdsl.lsp.analysis import Analysis
from racesdsl.lsp.positions import to_range

SOURCE = "racesdsl"


def to_lsp(diag: Diagnostic, analysis: Analysis) -> types.Diagnostic:
    """One finding; `help:` and `note:` lines follow the message as `check` prints them. No
    `codeDescription`: the project has no published docs address to link to yet."""
    lines = [diag.message]
    if diag.help:
        lines.append(f"help: {diag.help}")
    lines += [f"note: {n}" for n in diag.notes]
    info = CODES.get(diag.code)
    return types.Diagnostic(
        range=to_range(diag.span, analysis.text),
        message="\n".join(lines),
        severity=types.DiagnosticSeverity.Error if diag.severity is Severity.ERROR
        else types.DiagnosticSeverity.Warning,
        code=diag.code,
        source=SOURCE,
        data={"help": diag.help, "title": info.title if info else None},
    )


def document_diagnostics(analysis: Analysis) -> list[types.Diagnostic]:
    """The document's own findings; those inside imported modules are reported at the `use`
    by the checker already (E0201/E0202) or belong to their own files."""
    return [to_lsp(d, analysis) for d in analysis.diagnostics if analysis.own(d.span)]
