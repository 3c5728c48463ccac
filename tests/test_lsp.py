"""`racesdsl lsp` driven by a real LSP client (pygls' LanguageClient) over stdio: the
server runs as `python -m racesdsl lsp` in a subprocess, as an editor starts it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        result = await asyncio.wait_for(self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities())), TIMEOUT)
        self.capabilities = result.capabilities
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
        # the fix as an editor sends it: an incremental change of the misspelt range only
        fix = types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=from_fs_path(str(spec)), version=3),
            content_changes=[types.TextDocumentContentChangePartial(range=d.range, text="reverse_list")])
        assert await s.diagnostics_after(lambda: s.client.text_document_did_change(fix), fix.text_document.uri) == []
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


LOCAL = '''use std.lists.{sort_list, take_first}

type Digit = Int[0..9]

env double "Double a digit." {
    param scale: Int[1..3] = 2
    input x: Digit
    output Int[0..27]
    prompt """Multiply {{ x }} by {{ scale }}."""
    solve scale * x
}

compose firsts = seq(sort_list(n=5..12), take_first)
'''


def at(text: str, needle: str, nth: int = 0, shift: int = 1) -> types.Position:
    """The position `shift` characters into the `nth` occurrence of `needle`."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index)
    return types.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1) + shift)


def test_document_symbols_list_envs_with_params_and_inputs_composites_and_aliases(tmp_path: Path) -> None:
    spec = tmp_path / "mine.races"

    async def body(s: Session) -> None:
        assert await s.open(spec, LOCAL) == []
        got = await s.client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc_id(spec)))
        assert [(x.name, x.kind) for x in got] == [("Digit", types.SymbolKind.TypeParameter),
                                                   ("double", types.SymbolKind.Class),
                                                   ("firsts", types.SymbolKind.Function)]
        env = got[1]
        assert [(c.name, c.kind) for c in env.children] == [("scale", types.SymbolKind.TypeParameter),
                                                            ("x", types.SymbolKind.Field)]
        assert env.selection_range.start == at(LOCAL, "double", shift=0)
        assert env.range.start.line == 4 and env.range.end.line == 10
    run(body)


def test_hover_shows_signatures_alias_types_and_stage_types(tmp_path: Path) -> None:
    spec = tmp_path / "mine.races"

    async def hover(s: Session, pos: types.Position) -> str:
        got = await s.client.text_document_hover_async(types.HoverParams(text_document=doc_id(spec), position=pos))
        assert got is not None
        return got.contents.value

    async def body(s: Session) -> None:
        await s.open(spec, LOCAL)
        env = await hover(s, at(LOCAL, "double"))
        assert "`Int[0..9] -> Int[0..27]`" in env and "Double a digit." in env and "`scale`: Int[1..3] = 2" in env
        assert "type mine.Digit = `Int[0..9]`" in await hover(s, at(LOCAL, "Digit", nth=1))
        stage = await hover(s, at(LOCAL, "take_first", nth=1))
        # take_first accepts len=1..12 and receives what sort_list(n=5..12) produces: len=5..12
        assert "accepts: `List[Int[-99..99], len=1..12]`" in stage
        assert "receives: `List[Int[-99..99], len=5..12]` from the previous stage" in stage
        assert "produces: `List[Int[-99..99], len=1..5]`" in stage and "inputs fed by the previous stage: `xs`" in stage
        assert "param `scale`: `Int[1..3]` = 2" in await hover(s, at(LOCAL, "scale", nth=2))
        assert "input `x`: `Int[0..9]`" in await hover(s, at(LOCAL, "{{ x }}", shift=3))
        whole = await hover(s, at(LOCAL, "firsts"))
        assert whole.startswith("compose mine.firsts: `List[") and "knobs:" in whole
    run(body)


def test_go_to_definition_in_the_file_in_a_sibling_and_in_the_stdlib(tmp_path: Path) -> None:
    from racesdsl.resources import stdlib_dir

    spec = tmp_path / "mine.races"

    async def goto(s: Session, pos: types.Position) -> types.Location:
        got = await s.client.text_document_definition_async(
            types.DefinitionParams(text_document=doc_id(spec), position=pos))
        assert isinstance(got, types.Location)
        return got

    async def body(s: Session) -> None:
        await s.open(spec, LOCAL)
        here = await goto(s, at(LOCAL, "Digit", nth=1))
        assert here.uri == from_fs_path(str(spec)) and here.range.start.line == 2
        std = await goto(s, at(LOCAL, "sort_list", nth=1))
        lists = stdlib_dir() / "lists.races"
        assert std.uri == from_fs_path(str(lists))
        line = lists.read_text().splitlines()[std.range.start.line]
        assert line[std.range.start.character:std.range.end.character] == "sort_list"
        module = await goto(s, at(LOCAL, "lists"))
        assert module.uri == from_fs_path(str(lists))
        param = await goto(s, at(LOCAL, "n=5"))
        assert param.uri == std.uri and param.range.start.line == std.range.start.line + 1  # sort_list's own
        assert lists.read_text().splitlines()[param.range.start.line].strip().startswith("param n: Int[2..12]")
    run(body)


async def completions(s: Session, path: Path, pos: types.Position) -> dict[str, types.CompletionItem]:
    got = await s.client.text_document_completion_async(
        types.CompletionParams(text_document=doc_id(path), position=pos))
    items = got.items if isinstance(got, types.CompletionList) else got
    return {i.label: i for i in items}


def test_completion_offers_stages_params_builtins_types_and_legal_next_stages(tmp_path: Path) -> None:
    spec = tmp_path / "mine.races"
    typing = LOCAL + "\ncompose more = seq(sort_list, \n"  # being typed: does not parse

    async def body(s: Session) -> None:
        await s.open(spec, LOCAL)
        await s.replace(spec, typing, 2)
        end = types.Position(line=typing.count("\n") - 1, character=len("compose more = seq(sort_list, "))
        after_sort = await completions(s, spec, end)
        assert "take_first" in after_sort and "sort_list" in after_sort  # seq(sort_list, sort_list) is legal
        assert "double" not in after_sort  # a list does not feed a digit: not a legal next stage
        assert "defaults" in after_sort["take_first"].detail  # legal once sort_list's n is at its default
        first = await completions(s, spec, at(typing, "seq(sort_list, \n", shift=4))
        assert {"sort_list", "take_first", "double", "firsts"} <= set(first)
        knobs_text = LOCAL + "\ncompose again = seq(firsts(\n"
        await s.replace(spec, knobs_text, 3)
        knobs = await completions(s, spec, at(knobs_text, "seq(firsts(", shift=len("seq(firsts(")))
        assert set(knobs) == {"sort_list.n", "take_first.k"} and knobs["take_first.k"].detail == "knob: 1..5"
        (tmp_path / "helpers.races").write_text("type T = Int[0..1]\n")
        uses = "use \nuse std.\n" + LOCAL
        await s.replace(spec, uses, 4)
        assert set(await completions(s, spec, types.Position(line=0, character=4))) == {"std", "helpers"}
        std_modules = await completions(s, spec, types.Position(line=1, character=8))
        assert {"lists", "numbers", "aggregates"} <= set(std_modules) and "helpers" not in std_modules
        await s.replace(spec, LOCAL, 5)
        names = await completions(s, spec, at(LOCAL, "take_first}", shift=0))  # in `use std.lists.{...}`
        assert {"sort_list", "take_first", "reverse_list", "Small"} <= set(names) and "double" not in names
        params = await completions(s, spec, at(LOCAL, "sort_list(n=", shift=len("sort_list(")))
        assert set(params) == {"n"} and params["n"].insert_text == "n="
        body_items = await completions(s, spec, at(LOCAL, "solve scale", shift=len("solve ")))
        assert {"sorted", "len", "gcd", "Int", "List", "Digit", "double"} <= set(body_items)
        assert body_items["sorted"].kind == types.CompletionItemKind.Function
    run(body)


def apply(text: str, edit: types.TextEdit) -> str:
    lines = text.splitlines(keepends=True)
    start = sum(map(len, lines[:edit.range.start.line])) + edit.range.start.character
    end = sum(map(len, lines[:edit.range.end.line])) + edit.range.end.character
    return text[:start] + edit.new_text + text[end:]


async def quick_fixes(s: Session, path: Path, diag: types.Diagnostic) -> list[types.CodeAction]:
    got = await s.client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc_id(path), range=diag.range, context=types.CodeActionContext(diagnostics=[diag])))
    return [a for a in got or [] if isinstance(a, types.CodeAction)]


def test_code_actions_apply_the_help_fixes_and_the_result_checks(tmp_path: Path) -> None:
    spec = tmp_path / "mine.races"
    narrow = LOCAL.replace("seq(sort_list(n=5..12), take_first)", "seq(sort_list, take_first)")
    misspelt = LOCAL.replace("seq(sort_list(n=5..12), take_first)", "seq(sort_list(n=5..12), take_frist)")

    async def body(s: Session) -> None:
        diags = await s.open(spec, narrow)
        e0310 = next(d for d in diags if d.code == "E0310")
        actions = await quick_fixes(s, spec, e0310)
        assert actions and actions[0].kind == types.CodeActionKind.QuickFix
        edit = actions[0].edit.changes[from_fs_path(str(spec))][0]
        assert edit.new_text.startswith("sort_list(n=")  # the producer is narrowed, not the consumer
        fixed = apply(narrow, edit)
        assert fixed != narrow and await s.replace(spec, fixed, 2) == []
        diags = await s.replace(spec, misspelt, 3)
        e0202 = next(d for d in diags if d.code == "E0202")
        (action,) = await quick_fixes(s, spec, e0202)
        assert action.title == "Replace with `take_first`"
        fixed = apply(misspelt, action.edit.changes[from_fs_path(str(spec))][0])
        assert fixed == LOCAL and await s.replace(spec, fixed, 4) == []
        ports = "use std.numbers.{gcd2, num_divisors}\n\ncompose divisors_gcd = seq(num_divisors, gcd2(hi=100))\n"
        e0311 = next(d for d in await s.replace(spec, ports, 5) if d.code == "E0311")
        (action,) = await quick_fixes(s, spec, e0311)
        fixed = apply(ports, action.edit.changes[from_fs_path(str(spec))][0])
        assert fixed == ports.replace("gcd2(hi=100)", "gcd2(hi=100)[a]")  # the param it sets is kept
        assert await s.replace(spec, fixed, 6) == []
    run(body)


def test_formatting_goes_through_the_formatter_when_it_is_installed(tmp_path: Path) -> None:
    """With racesdsl.formatter the server formats to `format_text`'s output; without it, it
    does not claim the capability (the formatter lands separately)."""
    import importlib.util

    spec = tmp_path / "mine.races"
    messy = LOCAL.replace("compose firsts = seq(", "compose   firsts =   seq(")
    has_formatter = importlib.util.find_spec("racesdsl.formatter") is not None

    async def body(s: Session) -> None:
        provider = s.capabilities.document_formatting_provider
        assert bool(provider) == has_formatter
        if not has_formatter:
            return
        from racesdsl.formatter import format_text

        await s.open(spec, messy)
        edits = await s.client.text_document_formatting_async(types.DocumentFormattingParams(
            text_document=doc_id(spec), options=types.FormattingOptions(tab_size=4, insert_spaces=True)))
        assert apply(messy, edits[0]) == format_text(messy, "mine.races") != messy
    run(body)


_LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=_LINE_BREAKS),
                        max_size=12), min_size=1, max_size=5), st.data())
def test_span_positions_convert_to_utf16_lsp_positions_and_back(lines: list[str], data: st.DataObject) -> None:
    """Spans count code points from 1; LSP counts UTF-16 units from 0 (an emoji is two)."""
    from racesdsl.lsp.positions import offset, one_based, to_range
    from racesdsl.syntax.ast import Span

    text = "\n".join(lines)
    row = data.draw(st.integers(0, len(lines) - 1))
    col = data.draw(st.integers(0, len(lines[row])))
    end = data.draw(st.integers(col, len(lines[row])))
    got = to_range(Span("f", row + 1, col + 1, row + 1, end + 1), text)
    assert got.start.line == got.end.line == row
    assert got.start.character == len(lines[row][:col].encode("utf-16-le")) // 2
    assert got.end.character - got.start.character == len(lines[row][col:end].encode("utf-16-le")) // 2
    assert offset(text, got.start) == sum(len(line) + 1 for line in lines[:row]) + col
    assert one_based(text, got.end) == (row + 1, end + 1)


def test_saving_a_module_rechecks_the_open_modules_that_use_it(tmp_path: Path) -> None:
    helper = tmp_path / "helpers.races"
    old = 'env double "Double a number." {\n    input x: Int[0..9]\n    output Int[0..18]\n' \
          '    prompt """Double {{ x }}."""\n    solve 2 * x\n}\n'
    helper.write_text(old)
    spec = tmp_path / "mine.races"
    text = "use helpers.{double}\n\ncompose twice = seq(double, double)\n"
    new = old.replace("Int[0..9]", "Int[0..18]").replace("solve 2 * x", "solve x")  # now it chains with itself

    async def body(s: Session) -> None:
        assert [d.code for d in await s.open(spec, text)] == ["E0310"]
        await s.open(helper, old)
        helper.write_text(new)  # the editor writes the file, then tells the server
        saved = types.DidSaveTextDocumentParams(text_document=doc_id(helper))
        assert await s.diagnostics_after(lambda: s.client.text_document_did_save(saved), from_fs_path(str(spec))) == []
    run(body)


def test_without_pygls_the_command_exits_2_with_a_message() -> None:
    import subprocess

    code = "import sys; sys.modules['pygls'] = None; sys.argv = ['racesdsl', 'lsp']; " \
           "from racesdsl.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "pip install 'racesdsl[lsp]'" in done.stderr


DATA_SPEC = '''data words: List[Str[len=1..9, chars="a-z"]] = lines("words.txt")

env echo "Repeat a word." {
    input w: OneOf[words]
    input k: Int[0..1] ~ weights(3, 1)
    output Str
    prompt """Repeat {{ w }} {{ k }}."""
    solve w
}
'''


def test_data_and_distributions_get_hover_symbols_and_completion(tmp_path: Path) -> None:
    spec = tmp_path / "mine.races"
    (tmp_path / "words.txt").write_text("cat\ndog\n", encoding="utf-8")

    async def body(s: Session) -> None:
        assert await s.open(spec, DATA_SPEC) == []
        got = await s.client.text_document_hover_async(types.HoverParams(
            text_document=doc_id(spec), position=at(DATA_SPEC, "words]")))
        assert got is not None and 'from lines("words.txt"), 2 values' in got.contents.value
        outline = await s.client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=doc_id(spec)))
        assert "words" in {sym.name for sym in outline}
        typing = DATA_SPEC.replace("weights(3, 1)", "")
        await s.replace(spec, typing, 2)
        after_tilde = await completions(s, spec, at(typing, "~ ", shift=2))
        assert set(after_tilde) == {"weights", "bernoulli", "loguniform"}
        general = await completions(s, spec, at(typing, "solve w", shift=len("solve ")))
        assert "words" in general and "OneOf" in general
    run(body)
