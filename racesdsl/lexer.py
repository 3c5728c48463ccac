"""A Pygments lexer for `.races` files, with the jinja2 inside templates.

Registered as the Pygments entry point `races` (pyproject.toml), so
`pygmentize -l races spec.races` works once racesdsl is installed with the
`highlight` extra. Nothing else in racesdsl imports this module: Pygments is
an optional dependency, and `racesdsl --help` should not pay for it.

The token rules follow grammars/races.lark. A few choices a reader of the
output should know:

- `#` always starts a comment, as in the grammar: a knob name such as
  `take_first#2.k` cannot be written in a spec, and lexes as a name and a comment.
- A literal `-7` in a literal position (after `[ ( , = : < > ..`) is one
  number; elsewhere `-` is the operator, as the parser reads it.
- An unterminated `"..."` string ends at the end of its line and an
  unterminated template at the end of the file, so a half-typed string does
  not turn the rest of the file into errors. `Error` tokens mark only
  characters that no rule of the language accepts.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, include
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

__all__ = ["RacesLexer", "KEYWORDS", "TYPE_NAMES"]

# The reserved words (racesdsl/syntax/reserved.py; a test keeps the two equal).
_DECLARATIONS = ("type", "env", "compose")
_IMPORTS = ("use", "as")
_CLAUSES = ("param", "input", "draw", "let", "output", "where", "prompt", "step", "solve", "sample", "verify", "answer",
            "python")
_VERIFIERS = ("exact", "tolerance", "unordered", "check")
_OPERATORS = ("seq", "par", "sort", "select", "distractors")
_CONSTANTS = ("true", "false", "none")
_WORD_OPS = ("and", "or", "not", "in")
_FLOW = ("if", "else", "for")
KEYWORDS = frozenset(_DECLARATIONS + _IMPORTS + _CLAUSES + _VERIFIERS + _OPERATORS + _CONSTANTS + _WORD_OPS
                     + _FLOW)
TYPE_NAMES = frozenset(("Int", "Float", "Bool", "Str", "Enum", "List", "Set", "Tuple", "OneOf", "Map", "Optional"))
# Words with a meaning only where they stand (not reserved): `~ weights(...)`, `distinct]`, `= lines(...)`.
_DISTRIBUTIONS = ("weights", "bernoulli", "loguniform")
_DATA_FORMATS = ("lines", "json", "csv")

# Builtins of the expression language, highlighted where they are called.
_BUILTINS = ("len", "sum", "min", "max", "sorted", "reversed", "abs", "gcd", "lcm", "count", "unique",
             "range", "any", "all", "str", "join", "split", "replace", "lower", "upper", "ord", "chr", "zip",
             "enumerate", "round", "isqrt", "comb", "factorial", "prod", "permutations", "combinations",
             "to_base", "from_base", "pow", "map_of", "fold", "iterate", "until")


def _words(words: tuple[str, ...] | frozenset[str]) -> str:
    return r"\b(?:" + "|".join(sorted(words, key=lambda w: (-len(w), w))) + r")\b"


NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# `lambda` is a keyword only where it opens a lambda (elsewhere it is an ordinary name).
_LAMBDA = rf"\blambda\b(?=\s+{NAME}(?:\s*,\s*{NAME})*\s*:)"
_DOTTED = rf"{NAME}(?:\.{NAME})*"
_DOC = r'"(?:[^"\\\n]|\\.)*"'
_INT = r"[0-9](?:_?[0-9])*"
_FLOAT = rf"{_INT}\.{_INT}(?:[eE][+-]?[0-9]+)?|{_INT}[eE][+-]?[0-9]+"
# `-` starts a number only where a value begins: after `[ ( , = : < >` or `..`, maybe one space.
_NEG = r"(?:(?<=[\[(,=:<>])|(?<=[\[(,=:<>] )|(?<=\.\.))-"
_ESCAPE = r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}\n]*\}|[0-7]{1,3}|.)"

# jinja2, as its own lexer reads it (jinja2/lexer.py): names are Unicode identifiers.
_JNAME = r"[^\W\d]\w*"
_JINJA_STATEMENTS = ("if", "elif", "else", "endif", "for", "endfor", "set", "endset", "macro", "endmacro",
                     "call", "endcall", "filter", "endfilter", "with", "endwith", "block", "endblock",
                     "include", "import", "from", "extends", "do", "break", "continue", "autoescape",
                     "endautoescape", "trans", "pluralize", "endtrans", "raw", "endraw", "recursive",
                     "scoped", "required", "ignore", "missing", "context", "without")
_JINJA_NUMBER = (r"0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[0-9a-fA-F])+"
                 r"|[0-9](?:_?[0-9])*(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?")


def _jinja_states(prefix: str, *, triple: bool) -> dict[str, list]:
    """The jinja2 sub-states of a template: `triple` for `\"\"\"...\"\"\"` (raw text, ends at the first
    `\"\"\"`), otherwise a one-line `"..."` string (escapes decoded first, ends at `"` or the line's end)."""
    text = String.Heredoc if triple else String.Double
    stop = r'(?=""")' if triple else r'(?=["\n])'
    if triple:
        # A jinja string may not run into the closing `"""`.
        strings = [(r"'(?:[^'\\\"]|\\[^\"]|\\?\"(?!\"\"))*'", String.Single),
                   (r'"(?:[^"\\]|\\[^"]|\\"(?!""))*"(?!"")', String.Double)]
        space, escapes = r"\s+", []
    else:
        strings = [(r"'(?:[^'\\\"\n]|\\[^'\n])*'", String.Single)]
        space, escapes = r"[^\S\n]+", [(_ESCAPE, String.Escape)]
    common = [
        (space, Whitespace),
        *escapes,
        *strings,
        (rf"(\|)(\s*)({_JNAME})", bygroups(Operator, Whitespace, Name.Function)),  # a filter
        (rf"\b(is)(\s+)(?:(not)(\s+))?({_JNAME})", bygroups(Operator.Word, Whitespace, Operator.Word,
                                                            Whitespace, Name.Function)),  # a test
        (r"\b(?:and|or|not|in|is)\b", Operator.Word),
        (r"\b(?:if|else)\b", Keyword),
        (r"\b(?:true|false|none|True|False|None)\b", Keyword.Constant),
        (rf"{_JNAME}(?=\s*\()", Name.Function),
        (_JNAME, Name.Variable),
        (_JINJA_NUMBER, Number),
        (r"\*\*|//|==|!=|<=|>=|[-+*/%~=<>]", Operator),
        (r"[()\[\]{}.,:;]", Punctuation),
    ]
    comment_text = r'[^#"]+' if triple else r'[^#"\\\n]+'
    raw_text = r'[^{"]+' if triple else r'[^{"\\\n]+'
    return {
        f"{prefix}text": [
            (r"\{\{[-+]?", String.Interpol, f"{prefix}expr"),
            (r"(\{%[-+]?)(\s*)(raw)(\s*)([-+]?%\})",
             bygroups(Comment.Preproc, Whitespace, Keyword, Whitespace, Comment.Preproc), f"{prefix}raw"),
            (r"\{%[-+]?", Comment.Preproc, f"{prefix}stmt"),
            (r"\{#", Comment.Multiline, f"{prefix}comment"),
            (r"\{", text),
        ],
        f"{prefix}expr": [
            (r"[-+]?\}\}", String.Interpol, "#pop"),
            (stop, Whitespace, "#pop"),
            *common,
        ],
        f"{prefix}stmt": [
            (r"[-+]?%\}", Comment.Preproc, "#pop"),
            (stop, Whitespace, "#pop"),
            (_words(_JINJA_STATEMENTS), Keyword),
            *common,
        ],
        f"{prefix}comment": [
            (r"[-+]?#\}", Comment.Multiline, "#pop"),
            (stop, Whitespace, "#pop"),
            (comment_text, Comment.Multiline),
            *([] if triple else [(r"\\.", Comment.Multiline)]),
            (r'[#"]', Comment.Multiline),
        ],
        f"{prefix}raw": [
            (r"(\{%[-+]?)(\s*)(endraw)(\s*)([-+]?%\})",
             bygroups(Comment.Preproc, Whitespace, Keyword, Whitespace, Comment.Preproc), "#pop"),
            (stop, Whitespace, "#pop"),
            (raw_text, text),
            *([] if triple else [(_ESCAPE, String.Escape)]),
            (r'[{"]', text),
        ],
    }


class RacesLexer(RegexLexer):
    """`.races` specs: declarations, types, expressions, compositions, and templates with jinja2."""

    name = "Races"
    aliases = ["races"]
    filenames = ["*.races"]
    mimetypes = ["text/x-races"]

    tokens = {
        "root": [
            include("expr"),
        ],
        "space": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
        ],
        "kwarg": [
            # `name=` (a keyword argument, a param at a reference, `len=`, `chars=`, an option):
            # only right after `(`, `[` or `,`, so that `param c: Color = "red"` stays a type.
            (rf"(?<=[(\[,])(\s*)({_DOTTED})(\s*)(=)(?!=)", bygroups(Whitespace, Name.Attribute, Whitespace,
                                                                     Operator)),
        ],
        "expr": [
            include("kwarg"),
            include("space"),
            (r"\b(use)\b", Keyword.Namespace, "use"),
            (rf"\b(type)(\s+)({NAME})", bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (rf"^(\s*)(data)(\s+)({NAME})(?=\s*:)", bygroups(Whitespace, Keyword.Declaration, Whitespace, Name.Constant)),
            (rf"(~)(\s*)({_words(_DISTRIBUTIONS)})", bygroups(Operator, Whitespace, Keyword.Pseudo)),
            (r"(?:(?<=,)|(?<=, ))distinct(?=\s*\])", Keyword.Pseudo),
            (rf"(?:(?<==)|(?<== ))({_words(_DATA_FORMATS)})(?=\s*\()", Name.Builtin),
            (rf"\b(env)(\s+)({NAME})(?:(\s+)({_DOC}))?",
             bygroups(Keyword.Declaration, Whitespace, Name.Function, Whitespace, String.Doc)),
            (rf"\b(compose)(\s+)({NAME})(?:(\s+)({_DOC}))?",
             bygroups(Keyword.Declaration, Whitespace, Name.Function, Whitespace, String.Doc), "compose"),
            (rf"\b(param|input|draw|let)(\s+)({NAME})", bygroups(Keyword, Whitespace, Name.Variable)),
            (rf"\b(answer)(\s+)({NAME})", bygroups(Keyword, Whitespace, Name.Constant)),
            (rf'\b(python)(\s+)(")({_DOTTED})(:)({NAME})(")',
             bygroups(Keyword, Whitespace, String.Double, Name.Namespace, Punctuation, Name.Function,
                      String.Double)),
            (r'\b(prompt|step)(\s+)(""")', bygroups(Keyword, Whitespace, String.Heredoc), "template"),
            (r'\b(prompt|step)(\s+)(")', bygroups(Keyword, Whitespace, String.Double), "line-template"),
            (_words(_DECLARATIONS), Keyword.Declaration),
            (_words(_IMPORTS), Keyword.Namespace),
            (_words(_CLAUSES), Keyword),
            (_words(_VERIFIERS), Keyword.Pseudo),
            (_words(_OPERATORS), Keyword),
            (_words(_CONSTANTS), Keyword.Constant),
            (_words(_WORD_OPS), Operator.Word),
            (_words(_FLOW), Keyword),
            (_LAMBDA, Keyword),
            (_words(TYPE_NAMES), Keyword.Type),
            (_words(_BUILTINS) + r"(?=\s*\()", Name.Builtin),
            (rf"(?:{_NEG})?(?:{_FLOAT})", Number.Float),
            (rf"(?:{_NEG})?{_INT}", Number.Integer),
            (r'"""', String.Heredoc, "template"),
            (r'"', String.Double, "string"),
            (r"\.\.", Operator),
            (r"\*\*|//|==|!=|<=|>=|[-+*/%<>=]", Operator),
            (r"[()\[\]{},:;.]", Punctuation),
            (NAME, Name),
        ],
        "string": [
            (r'"', String.Double, "#pop"),
            (r"(?=\n)", Whitespace, "#pop"),  # unterminated: the parser reports it
            (_ESCAPE, String.Escape),
            (r'[^"\\\n]+', String.Double),
            (r"\\", String.Double),
        ],
        "template": [
            (r'"""', String.Heredoc, "#pop"),
            (r'[^"{]+', String.Heredoc),
            (r'"', String.Heredoc),
            include("t-text"),
        ],
        "line-template": [
            (r'"', String.Double, "#pop"),
            (r"(?=\n)", Whitespace, "#pop"),
            (_ESCAPE, String.Escape),
            (r'[^"\\\n{]+', String.Double),
            (r"\\", String.Double),
            include("l-text"),
        ],
        **_jinja_states("t-", triple=True),
        **_jinja_states("l-", triple=False),
        "use": [
            # `use std.lists`, `use std.lists as L`, `use std.lists.{a, b}`: ends at the line's end.
            (r"\n", Whitespace, "#pop"),
            (r"[^\S\n]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r"(?=\b(?:use|type|env|compose)\b|^\s*data\s+\w+\s*:)", Whitespace, "#pop"),
            (r"\b(as)(\s+)(" + NAME + ")", bygroups(Keyword.Namespace, Whitespace, Name.Namespace)),
            (r"\{", Punctuation, "use-names"),
            (r"\.", Punctuation),
            (NAME, Name.Namespace),
        ],
        "use-names": [
            include("space"),
            (r"\}", Punctuation, "#pop:2"),
            (r",", Punctuation),
            (NAME, Name),
        ],
        "compose": [
            # A composition runs until the next declaration.
            (r"(?=\b(?:use|type|env|compose)\b|^\s*data\s+\w+\s*:)", Whitespace, "#pop"),
            (r"(?<=[(\[,])(\s*)(reward)(\s*)(=)(?!=)(\s*)(" + NAME + ")",
             bygroups(Whitespace, Name.Attribute, Whitespace, Operator, Whitespace, Name.Constant)),
            (r"(\[)(\s*)(" + NAME + r")(\s*)(\])", bygroups(Punctuation, Whitespace, Name.Label, Whitespace,
                                                         Punctuation)),  # a port: `gcd2[a]`
            include("kwarg"),
            (r"\b(distractors)(\s*)(:)", bygroups(Keyword, Whitespace, Punctuation)),
            (rf"{NAME}(?=\s*\.)", Name.Namespace),
            (rf"(?<=\.){NAME}", Name.Function),
            (rf"(?!{_words(KEYWORDS | TYPE_NAMES)}){NAME}", Name.Function),
            include("expr"),
        ],
    }
