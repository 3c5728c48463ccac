"""Highlighting stays true to the language: the Pygments lexer (racesdsl/lexer.py), the TextMate
grammar (editors/textmate) and the VS Code extension folder (editors/vscode).

Both highlighters run over every `.races` text in the repository (specs/, tests/, and the ```races
blocks of docs/*.md and README.md) and over random specs the printer writes: the lexer gives back its
input exactly and no `Error` token; the grammar's regexes compile with Oniguruma, as in an editor,
and scope every visible character with no `invalid.*` scope. README's "Editor support" commands run
as shown."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import onigurumacffi
import pytest
from hypothesis import HealthCheck, given, settings
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String
from strategies import modules
from textmate import Tokenizer, load, regex_keys

from racesdsl.lexer import KEYWORDS, TYPE_NAMES, RacesLexer
from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import print_module
from racesdsl.syntax.reserved import RESERVED

REPO = Path(__file__).resolve().parent.parent
GRAMMAR = REPO / "editors" / "textmate" / "races.tmLanguage.json"
VSCODE = REPO / "editors" / "vscode"
README = REPO / "README.md"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)


def repo_sources() -> list[tuple[str, str]]:
    """(label, text) of every `.races` file and every ```races block of the docs."""
    found = [(str(p.relative_to(REPO)), p.read_text(encoding="utf-8"))
             for top in ("specs", "tests") for p in sorted((REPO / top).rglob("*.races"))]
    for doc in [README, *sorted((REPO / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            if m.group("info").strip().startswith("races"):
                found.append((f"{doc.relative_to(REPO)}:{text.count(chr(10), 0, m.start()) + 1}", m.group("body")))
    return found


SOURCES = repo_sources()
LABELS = [label for label, _ in SOURCES]
LEXER = RacesLexer(stripnl=False, ensurenl=False)  # so that the tokens concatenate to the input
TOKENIZER = Tokenizer(load(GRAMMAR))


def tokens(text: str) -> list[tuple[object, str]]:
    return [(t, v) for t, v in LEXER.get_tokens(text) if v]


def uncovered(text: str) -> list[str]:
    """What the TextMate grammar leaves unscoped or marks invalid, one line per character.

    A visible character needs a scope of its own: not only `source.races` or a `meta.*` scope, and
    inside embedded jinja2 (`meta.embedded.*`) one from the jinja2 rules, not the template around it."""
    problems = []
    for i, (ch, stack) in enumerate(zip(text, TOKENIZER.scopes(text), strict=True)):
        cut = max((j for j, s in enumerate(stack) if s.startswith("meta.embedded.")), default=-1)
        own = [s for s in stack[cut + 1:] if s != "source.races" and not s.startswith("meta.")]
        if any(s.startswith("invalid.") for s in stack) or (not ch.isspace() and not own):
            line = text.count("\n", 0, i) + 1
            problems.append(f"line {line}: {ch!r} has {' '.join(stack)}")
    return problems


# ---------------------------------------------------------------- the repository's specs


def test_sources_are_found() -> None:
    labels = " ".join(LABELS)
    assert len(SOURCES) > 100 and "specs/lists.races" in labels and "docs/language.md:" in labels
    assert "README.md:" in labels and "tests/diagnostics/E0102.races" in labels


@pytest.mark.parametrize(("label", "text"), SOURCES, ids=LABELS)
def test_lexer_round_trips_without_errors(label: str, text: str) -> None:
    toks = tokens(text)
    assert "".join(v for _, v in toks) == text
    errors = [v for t, v in toks if t in Error]
    assert not errors, f"{label}: Error tokens {errors[:10]}"


@pytest.mark.parametrize(("label", "text"), SOURCES, ids=LABELS)
def test_textmate_grammar_covers(label: str, text: str) -> None:
    problems = uncovered(text)
    assert not problems, f"{label}:\n" + "\n".join(problems[:20])


@pytest.mark.parametrize(("label", "text"), SOURCES, ids=LABELS)
def test_highlighters_agree_on_comments_numbers_and_types(label: str, text: str) -> None:
    """The two highlighters are written separately; they must not drift apart."""
    pygments_kinds = [""] * len(text)
    pos = 0
    for t, v in tokens(text):
        kind = ("comment" if t in Comment.Single else "number" if t in Number.Integer or t in Number.Float
                else "type" if t in Keyword.Type else "")
        pygments_kinds[pos:pos + len(v)] = [kind] * len(v)
        pos += len(v)
    textmate_kinds = []
    for stack in TOKENIZER.scopes(text):
        names = " ".join(stack)
        textmate_kinds.append("comment" if "comment.line." in names
                              else "number" if re.search(r"constant\.numeric\.\w+\.races", names)
                              else "type" if "support.type.builtin.races" in names else "")
    diff = [i for i, (a, b) in enumerate(zip(pygments_kinds, textmate_kinds, strict=True)) if a != b]
    assert not diff, f"{label}: at {text[diff[0]:diff[0] + 20]!r}: {pygments_kinds[diff[0]]!r} vs {textmate_kinds[diff[0]]!r}"


# ---------------------------------------------------------------- the lexer's token types

SNIPPET = '''use std.lists.{sort_list, take_first}  # imports
type Small = Int[-99..99]
env e "Doc." {
    param n: Int[1..9] = 3
    input xs: List[Small, len=n]
    output Float[0.0..1.5e3]
    prompt """Add {{ xs | listing }}{% if n > 2 %} fast{% endif %}{# note #}"""
    step "sum {{ xs }}"
    solve sum(xs) ** 2 if n != 1 else -1
    verify python "mypkg.rules:check"
    answer boxed
}
compose c "Doc." = select(sort_list(n=3..12), gcd2(hi=100)[a]; distractors: take_first, reward=final)
compose k = seq(gcd2, gcd2)  # knob names: gcd2.hi, gcd2#2.hi
'''


def _first(toks: list[tuple[object, str]], value: str, after: int = 0) -> tuple[object, int]:
    for i, (t, v) in enumerate(toks):
        if i >= after and v == value:
            return t, i
    raise AssertionError(f"no token {value!r}")


@pytest.mark.parametrize(("value", "kind"), [
    ("use", Keyword), ("env", Keyword), ("param", Keyword), ("prompt", Keyword), ("select", Keyword),
    ("distractors", Keyword), ("if", Keyword), ("Int", Keyword.Type), ("List", Keyword.Type),
    ("# imports", Comment), ('"Doc."', String.Doc), ("{{", String.Interpol), ("}}", String.Interpol),
    ("{%", Comment.Preproc), ("endif", Keyword), ("{#", Comment), ("listing", Name.Function),
    ("-99", Number.Integer), ("1.5e3", Number.Float), ("0.0", Number.Float), ("..", Operator),
    ("**", Operator), ("!=", Operator), ("=", Operator), ("Small", Name.Class), ("e", Name.Function),
    ("xs", Name.Variable), ("sum", Name.Builtin), ("mypkg.rules", Name.Namespace), ("check", Name.Function),
    ("boxed", Name.Constant), ("sort_list", Name), ("gcd2", Name.Function), ("a", Name.Label),
    ("reward", Name.Attribute), ("final", Name.Constant), ("hi", Name.Attribute), ("len", Name.Attribute),
])
def test_key_constructs_get_their_token_types(value: str, kind: object) -> None:
    t, _ = _first(tokens(SNIPPET), value)
    assert t in kind, f"{value!r} is {t}, want {kind}"


def test_minus_is_an_operator_between_values_and_part_of_a_literal_elsewhere() -> None:
    for text, literal in [("Int[-99..-1]", "-1"), ("where x > -3", "-3"), ("f(n=-2)", "-2"), ("[1, -2.5]", "-2.5")]:
        assert any(t in Number and v == literal for t, v in tokens(text)), text
    for text in ("solve a - 1", "solve n-1", "solve x if c else -1"):
        assert (Operator, "-") in tokens(text) and (Number.Integer, "1") in tokens(text), text


def test_template_text_and_strings() -> None:
    toks = tokens(SNIPPET)
    assert (String.Heredoc, "Add ") in toks and (String.Heredoc, " fast") in toks
    assert (String.Double, "sum ") in toks
    assert (Comment.Multiline, " note ") in toks


def test_a_hash_always_starts_a_comment_as_in_the_grammar() -> None:
    """`env#2.param` knob names cannot be written in a spec: the parser reads `#2.hi` as a comment."""
    toks = tokens("compose c = seq(gcd2, gcd2#2.hi=5)\n")
    assert (Name.Function, "gcd2") in toks and toks[-2] == (Comment.Single, "#2.hi=5)")
    assert TOKENIZER.scopes("compose c = gcd2#2.hi")[-1][-1] == "comment.line.number-sign.races"


def test_characters_outside_the_language_are_errors() -> None:
    """So that the no-Error checks above mean something."""
    for bad in ("@", "$", "?", "'", "!", "&", "é"):
        text = f"env e {{ solve x {bad} 1 }}\n"
        assert (Error, bad) in tokens(text), bad
        assert uncovered(text), bad


def test_unterminated_strings_end_at_the_line() -> None:
    toks = tokens('env e "no end {\n    input x: Int\n}\n')
    assert (Keyword, "input") in toks and not [v for t, v in toks if t in Error]


def test_reserved_words_are_the_parsers_and_highlighted_as_keywords() -> None:
    assert KEYWORDS | TYPE_NAMES == RESERVED
    for word in sorted(RESERVED):
        (t, _), *_ = tokens(word)
        assert t in Keyword or t in Operator.Word, f"{word} lexes as {t}"
        stack = TOKENIZER.scopes(word)[0]
        assert re.match(r"(keyword|storage|constant\.language|support\.type)\.", stack[-1]), f"{word}: {stack}"


def test_pygments_finds_the_lexer_through_its_entry_point() -> None:
    assert isinstance(get_lexer_by_name("races"), RacesLexer)
    assert isinstance(get_lexer_for_filename("spec.races"), RacesLexer)


def test_only_the_lexer_imports_pygments() -> None:
    """Pygments is optional (the `highlight` extra): the CLI must start without it."""
    importers = []
    for path in (REPO / "racesdsl").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "pygments" or n.startswith("pygments.") for n in names):
                importers.append(path.relative_to(REPO).as_posix())
    assert sorted(set(importers)) == ["racesdsl/lexer.py"]
    probe = ("import sys\nsys.argv = ['racesdsl', '--help']\nimport racesdsl.cli\n"
             "try:\n    racesdsl.cli.main()\nexcept SystemExit:\n    pass\n"
             "print('pygments loaded' if 'pygments' in sys.modules else 'ok', file=sys.stderr)\n")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "NO_COLOR": "1"})
    assert res.stderr.strip().splitlines()[-1] == "ok", res.stderr


# ---------------------------------------------------------------- random specs


def _jinja_ok(module: A.Module) -> bool:
    """Whether every template of `module` is valid jinja2 (otherwise `check` reports E0401)."""
    raws = [c.template.raw for d in module.decls if isinstance(d, A.EnvDecl) for c in d.clauses
            if isinstance(c, A.PromptClause | A.StepClause)]
    try:
        for raw in raws:
            jinja2.Environment().parse(raw)
    except jinja2.TemplateSyntaxError:
        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules(max_decls=4))
def test_printed_specs_highlight_cleanly(module: A.Module) -> None:
    """Whatever the printer writes parses; both highlighters must accept it. A template that is not
    valid jinja2 may show errors inside it (the checker reports E0401), never anywhere else."""
    text = print_module(module)
    toks = tokens(text)
    assert "".join(v for _, v in toks) == text
    problems = uncovered(text)
    if _jinja_ok(module):
        assert not [v for t, v in toks if t in Error], text
        assert not problems, text + "\n".join(problems)
    else:
        assert not [p for p in problems if ".jinja" not in p], text


# ---------------------------------------------------------------- the TextMate grammar


def test_every_textmate_regex_compiles_with_oniguruma() -> None:
    keys = regex_keys(load(GRAMMAR))
    assert len(keys) > 50
    for where, pattern in keys:
        try:
            onigurumacffi.compile(pattern)
        except onigurumacffi.OnigError as exc:
            raise AssertionError(f"{where}: {pattern!r}: {exc}") from exc


def test_textmate_grammar_names_the_language() -> None:
    grammar = load(GRAMMAR)
    assert grammar["scopeName"] == "source.races" and "races" in grammar["fileTypes"]


# ---------------------------------------------------------------- the VS Code folder


def test_vscode_extension_manifest() -> None:
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    assert manifest["engines"]["vscode"].startswith("^1.")
    assert (VSCODE / manifest["main"]).is_file()
    assert "onLanguage:races" in manifest["activationEvents"]
    assert "vscode-languageclient" in manifest["dependencies"]
    (language,) = manifest["contributes"]["languages"]
    assert language["id"] == "races" and language["extensions"] == [".races"]
    (grammar,) = manifest["contributes"]["grammars"]
    assert grammar["scopeName"] == "source.races" and grammar["language"] == "races"
    assert (VSCODE / grammar["path"]).read_bytes() == GRAMMAR.read_bytes(), (
        "editors/vscode/syntaxes must be a copy of editors/textmate/races.tmLanguage.json")
    assert "racesdsl.path" in manifest["contributes"]["configuration"]["properties"]
    config = json.loads((VSCODE / language["configuration"]).read_text(encoding="utf-8"))
    assert config["comments"]["lineComment"] == "#"
    assert {"open": '"""', "close": '"""'} in config["autoClosingPairs"]
    assert [list(p) for p in config["brackets"]] == [["{", "}"], ["[", "]"], ["(", ")"]]


STUBS = {
    "vscode/index.js": """
const listeners = [];
module.exports = {
  settings: {},
  workspace: {
    getConfiguration: (section) => ({ get: (key) => module.exports.settings[`${section}.${key}`] }),
    onDidChangeConfiguration: (fn) => { listeners.push(fn); return { dispose() {} }; },
  },
  window: { showErrorMessage: (msg) => { module.exports.errors.push(msg); } },
  errors: [],
  fire: (name) => Promise.all(listeners.map((fn) => fn({ affectsConfiguration: (s) => s === name }))),
};
""",
    "vscode-languageclient/node.js": """
const started = [];
class LanguageClient {
  constructor(id, name, server, client) { Object.assign(this, { id, name, server, client }); }
  async start() { started.push(this); }
  async stop() { this.stopped = true; }
}
module.exports = { LanguageClient, TransportKind: { stdio: 0 }, started };
""",
}

DRIVER = """
const vscode = require("vscode");
const lc = require("vscode-languageclient/node");
const ext = require(process.argv[1]);
(async () => {
  const context = { subscriptions: [] };
  await ext.activate(context);
  vscode.settings["racesdsl.path"] = "/venv/bin/racesdsl";
  await vscode.fire("racesdsl.path");
  await ext.deactivate();
  console.log(JSON.stringify({
    servers: lc.started.map((c) => c.server), selector: lc.started[0].client.documentSelector,
    stopped: lc.started.map((c) => !!c.stopped), errors: vscode.errors, subscriptions: context.subscriptions.length,
  }));
})();
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_vscode_client_starts_racesdsl_lsp_over_stdio(tmp_path: Path) -> None:
    """extension.js against stand-ins for `vscode` and `vscode-languageclient` (no npm install)."""
    for name, body in STUBS.items():
        (tmp_path / "node_modules" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "node_modules" / name).write_text(body, encoding="utf-8")
    res = subprocess.run(["node", "-e", DRIVER, str(VSCODE / "extension.js")], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "NODE_PATH": str(tmp_path / "node_modules")})
    assert res.returncode == 0, res.stderr
    seen = json.loads(res.stdout)
    assert seen["servers"] == [{"command": "racesdsl", "args": ["lsp"], "transport": 0},
                               {"command": "/venv/bin/racesdsl", "args": ["lsp"], "transport": 0}]
    assert {"scheme": "file", "language": "races"} in seen["selector"]
    assert seen["stopped"] == [True, True] and seen["errors"] == [] and seen["subscriptions"] == 1


# ---------------------------------------------------------------- README


def editor_section() -> str:
    text = README.read_text(encoding="utf-8")
    assert "\n## Editor support\n" in text
    return text.split("\n## Editor support\n", 1)[1].split("\n## ", 1)[0]


def test_readme_editor_support_commands_run_as_shown(tmp_path: Path) -> None:
    """Every ```console block of the section runs (pygmentize as `python -m pygments`) in a folder
    with the README's files, and prints what the README shows."""
    files = re.findall(r"<!-- file: (\S+) -->\s*\n```races\n(.*?)^```", README.read_text(encoding="utf-8"),
                       re.S | re.M)
    for name, body in files:
        (tmp_path / name).write_text(body, encoding="utf-8")
    blocks = [m.group("body") for m in FENCE.finditer(editor_section()) if m.group("info").strip() == "console"]
    assert blocks, "the Editor support section shows no console block"
    for block in blocks:
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, expected = chunk.partition("\n")
            argv = shlex.split(command)
            assert argv[0] == "pygmentize", f"README Editor support runs {argv[0]}, which this test cannot"
            res = subprocess.run([sys.executable, "-m", "pygments", *argv[1:]], cwd=tmp_path,
                                 capture_output=True, text=True, timeout=60)
            assert res.returncode == 0, f"$ {command}\n{res.stderr}"
            assert res.stdout.strip() == expected.strip(), f"$ {command}\n--- got ---\n{res.stdout}"
    html = (tmp_path / "demo.html").read_text(encoding="utf-8")
    assert '<span class="kn">use</span>' in html and '<span class="si">{{</span>' in html
