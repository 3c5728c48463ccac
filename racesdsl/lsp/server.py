"""The language server: pygls wiring of the features (one module each) over one cache of
analyses, the latest per open document, kept on the server instance."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from racesdsl import __version__
from racesdsl.lsp.actions import code_actions
from racesdsl.lsp.analysis import Analysis, analyze
from racesdsl.lsp.completion import complete
from racesdsl.lsp.definition import definition
from racesdsl.lsp.diagnostics import document_diagnostics
from racesdsl.lsp.formatting import available, format_document
from racesdsl.lsp.hover import hover
from racesdsl.lsp.symbols import document_symbols


class RacesServer(LanguageServer):
    """A pygls server that remembers the last analysis of each open document."""

    def __init__(self, search_path: list[Path]) -> None:
        super().__init__("racesdsl", __version__)
        self.search_path = search_path
        self.analyses: dict[str, Analysis] = {}
        self.parsed: dict[str, Analysis] = {}  # the last analysis of each document that parsed

    def refresh(self, uri: str) -> Analysis:
        doc = self.workspace.get_text_document(uri)
        path = Path(to_fs_path(uri) or "spec.races")
        analysis = analyze(uri, path, doc.source, self.search_path)
        self.analyses[uri] = analysis
        if analysis.scope is not None and analysis.scope.ast is not None:
            self.parsed[uri] = analysis
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=doc.version, diagnostics=document_diagnostics(analysis)))
        return analysis

    def analysis(self, uri: str) -> Analysis:
        """The analysis of the buffer as it is now (re-checked if it changed since)."""
        found = self.analyses.get(uri)
        if found is not None and found.text == self.workspace.get_text_document(uri).source:
            return found
        return self.refresh(uri)


def make_server(search_path: list[Path]) -> RacesServer:
    server = RacesServer(search_path)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RacesServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RacesServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RacesServer, params: types.DidSaveTextDocumentParams) -> None:
        # Other open modules read this one from disk: re-check them against what was saved.
        ls.refresh(params.text_document.uri)
        for uri in [u for u in ls.analyses if u != params.text_document.uri]:
            ls.refresh(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RacesServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.analyses.pop(params.text_document.uri, None)
        ls.parsed.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=params.text_document.uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: RacesServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        return document_symbols(ls.analysis(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: RacesServer, params: types.HoverParams) -> types.Hover | None:
        return hover(ls.analysis(params.text_document.uri), params.position)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: RacesServer, params: types.DefinitionParams) -> types.Location | None:
        return definition(ls.analysis(params.text_document.uri), params.position)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=["(", ",", " "]))
    def on_completion(ls: RacesServer, params: types.CompletionParams) -> types.CompletionList:
        uri = params.text_document.uri
        current = ls.analysis(uri)
        items = complete(ls.parsed.get(uri, current), current.text, params.position)
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def on_code_action(ls: RacesServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return code_actions(ls.analysis(params.text_document.uri), params.range)

    if available():
        @server.feature(types.TEXT_DOCUMENT_FORMATTING)
        def on_format(ls: RacesServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
            doc = ls.workspace.get_text_document(params.text_document.uri)
            return format_document(doc.source, Path(to_fs_path(doc.uri) or "spec.races").name)

    return server


def serve(search_path: list[Path]) -> None:
    """Run over stdio until the client says `exit`."""
    make_server(search_path).start_io()
