"""`racesdsl lsp` driven by a real LSP client (pygls' LanguageClient) over stdio: the
server runs as `python -m racesdsl lsp` in a subprocess, as an editor starts it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")  # the `lsp` extra (in dev); without it `racesdsl lsp` exits 2

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402

TIMEOUT = 30.0


class Session:
    """One server process and the diagnostics it has published, per document."""

    def __init__(self) -> None:
        self.client = LanguageClient("racesdsl-test", "1")
        self.published: dict[str, list[types.Diagnostic]] = {}
        self.changed = asyncio.Condition()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        async def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            async with self.changed:
                self.published[params.uri] = list(params.diagnostics)
                self.changed.notify_all()

    async def __aenter__(self) -> Session:
        await self.client.start_io(sys.executable, "-m", "racesdsl", "lsp")
        await asyncio.wait_for(self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities())), TIMEOUT)
        self.client.initialized(types.InitializedParams())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.wait_for(self.client.shutdown_async(None), TIMEOUT)
        self.client.exit(None)
        await self.client.stop()

    async def diagnostics_after(self, send, uri: str) -> list[types.Diagnostic]:
        """Send a notification and wait for the diagnostics it causes."""
        async with self.changed:
            self.published.pop(uri, None)
            send()
            await asyncio.wait_for(self.changed.wait_for(lambda: uri in self.published), TIMEOUT)
            return self.published[uri]

    async def open(self, path: Path, text: str) -> list[types.Diagnostic]:
        uri = from_fs_path(str(path))
        item = types.TextDocumentItem(uri=uri, language_id="races", version=1, text=text)
        return await self.diagnostics_after(
            lambda: self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item)), uri)

    async def replace(self, path: Path, text: str, version: int) -> list[types.Diagnostic]:
        uri = from_fs_path(str(path))
        params = types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)])
        return await self.diagnostics_after(lambda: self.client.text_document_did_change(params), uri)


def run(body) -> None:
    """Run one async test body against a fresh server."""
    async def main() -> None:
        async with Session() as session:
            await body(session)
    asyncio.run(main())


def doc_id(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=from_fs_path(str(path)))


GOOD = """use std.lists.{sort_list, reverse_list}

compose backwards = seq(sort_list, reverse_list)
"""
BAD = GOOD.replace("reverse_list)", "revers_list)")


def test_diagnostic_appears_and_disappears_as_the_document_is_edited(tmp_path: Path) -> None:
    spec = tmp_path / "mine.races"

    async def body(s: Session) -> None:
        assert await s.open(spec, GOOD) == []
        diags = await s.replace(spec, BAD, 2)
        assert sorted(d.code for d in diags) == ["E0202", "W0201"]  # and `reverse_list` is now unused
        d = next(d for d in diags if d.code == "E0202")
        assert d.severity == types.DiagnosticSeverity.Error and d.source == "racesdsl"
        # `take_frist` on line 3 (0-based 2): the same span `racesdsl check` reports, 0-based, end exclusive
        start = BAD.splitlines()[2].index("revers_list")
        assert (d.range.start.line, d.range.start.character) == (2, start)
        assert (d.range.end.line, d.range.end.character) == (2, start + len("revers_list"))
        assert "help: did you mean `reverse_list`?" in d.message
        assert await s.replace(spec, GOOD, 3) == []
    run(body)


def test_diagnostics_match_racesdsl_check(tmp_path: Path) -> None:
    """Same codes, messages and spans as `check` on the same text (here a warning and an error)."""
    from racesdsl.check.pipeline import check_paths

    text = "use std.lists.{sort_list, reverse_list, total}\n\ncompose backwards = seq(total, sort_list)\n"
    spec = tmp_path / "mine.races"
    spec.write_text(text)
    expected = check_paths([spec]).diagnostics

    async def body(s: Session) -> None:
        got = await s.open(spec, text)
        assert sorted(d.code for d in got) == sorted(d.code for d in expected) == ["E0310", "W0201"]
        for want in expected:
            match = next(d for d in got if d.code == want.code)
            assert match.message.splitlines()[0] == want.message
            assert (match.range.start.line + 1, match.range.start.character + 1) == (want.span.line, want.span.col)
            assert (match.range.end.line + 1, match.range.end.character + 1) == (want.span.end_line, want.span.end_col)
            sev = types.DiagnosticSeverity.Error if want.is_error else types.DiagnosticSeverity.Warning
            assert match.severity == sev
    run(body)


def test_open_buffer_wins_over_the_file_on_disk_and_siblings_resolve(tmp_path: Path) -> None:
    (tmp_path / "helpers.races").write_text(
        'env double "Double a number." {\n    input x: Int[0..9]\n    output Int[0..18]\n'
        '    prompt """Double {{ x }}."""\n    solve 2 * x\n}\n')
    spec = tmp_path / "mine.races"
    spec.write_text("this is not a spec\n")  # on disk: a syntax error; the buffer is what counts
    text = "use helpers.{double}\n\ncompose twice = seq(double, double)\n"

    async def body(s: Session) -> None:
        diags = await s.open(spec, text)
        assert [d.code for d in diags] == ["E0310"]  # 0..18 does not fit 0..9: checked against the sibling
    run(body)
