"""Highlighting stays true to the language: the Pygments lexer (racesdsl/lexer.py) and the TextMate
grammar (editors/textmate; the VS Code folder is tested in tests/test_highlight_editors.py).

Both highlighters run over every `.races` text in the repository (specs/, tests/, and the ```races
blocks of docs/*.md and README.md) and over random specs the printer writes: the lexer gives back its
input exactly and no `Error` token; the grammar's regexes compile with Oniguruma, as in an editor,
and (run by the small engine in tests/textmate.py) scope every visible character, with no
`invalid.*` scope."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import onigurumacffi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
LEXER = RacesLexer()
TOKENIZER = Tokenizer(load(GRAMMAR))


def tokens(text: str) -> list[tuple[object, str]]:
    """The lexer's rules applied to `text` as it is (`get_tokens` would first turn `\\r` into `\\n`)."""
    return [(t, v) for _, t, v in LEXER.get_tokens_unprocessed(text) if v]


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


def _highlights_cleanly(module: A.Module) -> None:
    """What the printer writes parses, so both highlighters must accept it. A template that is not
    valid jinja2 (`check` reports E0401) may show errors inside its jinja2, and nowhere else."""
    text = print_module(module)
    toks = tokens(text)
    assert "".join(v for _, v in toks) == text
    problems = uncovered(text)
    if _jinja_ok(module):
        assert not [v for t, v in toks if t in Error], text
        assert not problems, text + "\n".join(problems)
    else:
        assert not [p for p in problems if ".jinja" not in p], text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules(max_decls=4))
def test_printed_specs_highlight_cleanly(module: A.Module) -> None:
    _highlights_cleanly(module)


# Templates full of jinja2: the stdlib strategies draw plain text, which rarely holds a `{{`.
_jexpr = st.one_of(
    st.sampled_from(["x", "xs", "g.n - 1", "loop.index", "xs[0]", "'a'", '"b, c"', "1.5e3", "0x1f", "none",
                     "x is even", "x is not none", "x if c else 'n'", "range(3) | list", "xs | join(\", \")",
                     "(a, b)", "[1, 2] ~ 'q'", "{'k': 1}", "x // 2 ** 3", "not a and b or c in d", "é_1", "a != b"]),
    st.builds(lambda n, f: f"{n} | {f}", st.sampled_from(["xs", "m", "w"]),
              st.sampled_from(["json", "listing", "bullets", "pretty", "length", "upper", "sort"])),
)
_text = st.text(alphabet='ab \n"\'#%-}\\', max_size=6)
_leaf = st.one_of(
    _text,
    st.builds(lambda e, a, b: f"{{{{{a} {e} {b}}}}}", _jexpr, st.sampled_from(["", "-"]), st.sampled_from(["", "-"])),
    st.builds(lambda t: f"{{# {t} #}}", st.text(alphabet="ab {}%\"'\n", max_size=6)),
    st.builds(lambda t: f"{{% raw %}}{t}{{% endraw %}}", st.text(alphabet="ab{}%#\"'\n", max_size=8)),
    st.builds(lambda e: f"{{% set v = {e} %}}", _jexpr),
)
_jinja_templates = st.recursive(
    st.lists(_leaf, max_size=4).map("".join),
    lambda inner: st.one_of(
        st.builds(lambda e, body, other: f"{{% if {e} %}}{body}{{% else %}}{other}{{% endif %}}", _jexpr, inner, inner),
        st.builds(lambda body: f"{{%- for row in m -%}}{body}{{% endfor %}}", inner),
        st.lists(inner, max_size=3).map("".join),
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_jinja_templates, st.booleans())
def test_jinja_in_templates_highlights_cleanly(raw: str, triple: bool) -> None:
    triple = triple and '"""' not in raw and not raw.endswith('"')  # what a triple-quoted template can hold
    env = A.EnvDecl("e", None, (A.PromptClause(A.Template(raw, triple)), A.StepClause(A.Template(raw, False))))
    _highlights_cleanly(A.Module("gen", "<gen>", (env,)))


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


def test_distributions_and_data_are_highlighted_by_both() -> None:
    text = ('data words: List[Str] = lines("w.txt")\nenv e {\n    input w: OneOf[words]\n'
            '    input k: Int[0..1] ~ weights(3, 1)\n    input xs: List[Int[1..3], len=3, distinct]\n}\n')
    toks = tokens(text)
    assert (Keyword.Declaration, "data") in toks and (Name.Builtin, "lines") in toks
    assert (Keyword.Pseudo, "weights") in toks and (Keyword.Pseudo, "distinct") in toks
    assert (Keyword.Type, "OneOf") in toks and not uncovered(text)
    scopes = TOKENIZER.scopes(text)
    for word, scope in (("data", "storage.type.data.races"), ("lines", "support.function.data-format.races"),
                        ("weights", "keyword.other.distribution.races"), ("distinct", "keyword.other.distinct.races")):
        assert scopes[text.index(word)][-1] == scope, word
