"""Syntax errors: a Lark parse failure -> one E01xx diagnostic with a readable
message ("unexpected `]`, expected ...") and, where a known mistake matches, a hint.

Kept apart from parser.py so the front end stays the text -> AST mapping. The
Lark parser is passed in (parser.py builds it once per process)."""

from __future__ import annotations

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from racesdsl.diagnostics import Diagnostic, error
from racesdsl.syntax import ast as A

__all__ = ["syntax_diagnostic", "too_deep"]

# Hints for common mistakes: Lark's match_examples picks the one whose examples fail the same way.
_EXAMPLES: dict[str, list[str]] = {
    "an env body is written in braces: `env name \"doc\" { ... }`": [
        'env e "d" input x: Int[1..2]',
        "env e input x",
    ],
    "a param needs a default: `param n: Int[2..12] = 6`": [
        "env e { param n: Int[2..12] }",
        "env e { param n: Int[2..12] input",
    ],
    "ranges use `..`: `Int[lo..hi]`": [
        "env e { input x: Int[1, 9] }",
        "type T = Int[1-9]",
        "type T = Int[1]",
    ],
    "float literals need digits on both sides of `.`: write `0.5`, not `.5`": [
        "env e { verify tolerance(.5) }",
    ],
    "two names in a row; if this is a lambda, it can only be a loop's argument: `fold(xs, 0, lambda acc, x: acc + x)`": [
        "env e { solve lambda v: v }",
        'env e "d" { solve lambda v: v }',
        'env e "d" { input x: Int solve lambda v: v }',
        "env e { where lambda v: v }",
        "env e { solve [lambda v: v] }",
        "env e { solve 1 + lambda v: v }",
    ],
    "a composition needs an operator or a stage: `compose name = seq(a, b)`": [
        "compose c =",
        "compose c = ",
    ],
}


def _token_desc(tok: Token) -> str:
    """How a message names an unexpected token."""
    if tok.type == "$END":
        return "end of file"
    return f"`{tok}`"


def syntax_diagnostic(err: UnexpectedInput, text: str, file: str, parser: Lark) -> Diagnostic:
    """The diagnostic for a parse failure of `text`; a hint that cannot be computed is left out."""
    line, col = max(1, err.line or 1), max(1, err.column or 1)
    span = A.Span(file, line, col, line, col + 1, err.pos_in_stream or 0, (err.pos_in_stream or 0) + 1)
    if isinstance(err, UnexpectedCharacters):
        ch = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
        if ch == '"':
            return error("E0102", "unterminated string: no closing quote", span,
                         'close it with `"`, or use `"""` for multi-line text')
        return error("E0101", f"unexpected character `{ch}`", span)
    hint = None
    try:
        hint = err.match_examples(parser.parse, _EXAMPLES, use_accepts=True)
    except Exception:  # match_examples re-parses; any failure just means no hint
        hint = None
    if isinstance(err, UnexpectedEOF):
        msg = "unexpected end of file"
    elif isinstance(err, UnexpectedToken):
        msg = f"unexpected {_token_desc(err.token)}"
        expected = sorted(_describe_terminal(parser, t) for t in err.expected if not t.startswith("_"))
        if expected and len(expected) <= 8:
            msg += ", expected " + ", ".join(expected)
    else:
        msg = "syntax error"
    return error("E0101", msg, span, hint)


def _describe_terminal(parser: Lark, name: str) -> str:
    """How a message names an expected terminal: its literal text, or what it stands for."""
    term = {t.name: t for t in parser.terminals}.get(name)
    if term is not None and term.pattern.type == "str":
        return f"`{term.pattern.value}`"
    return {"NAME": "a name", "INT": "an integer", "FLOAT": "a float", "STRING": "a string",
            "TEMPLATE": "a template", "$END": "end of file"}.get(name, name.lower())


def too_deep(file: str) -> Diagnostic:
    """The diagnostic for a file whose nesting exhausted the recursion limit."""
    return error("E0101", "this file nests expressions too deeply to parse", A.Span(file, 1, 1, 1, 2),
                 "split long expressions; the checker handles a few hundred operators per expression")

