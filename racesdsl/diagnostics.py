"""Diagnostics: the one registry of stable codes, the Diagnostic record and
its renderers (full, concise, json, github). Stages return diagnostics; only
the CLI prints them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum

from racesdsl.syntax.ast import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class CodeInfo:
    code: str
    title: str
    explanation: str


def _codes(*rows: tuple[str, str, str]) -> dict[str, CodeInfo]:
    return {code: CodeInfo(code, title, text) for code, title, text in rows}


# Codes are stable: never renumber, only add. Every code has a fixture in
# tests/diagnostics/ and an entry in docs/diagnostics.md (a test enforces both).
CODES: dict[str, CodeInfo] = _codes(
    ("E0101", "syntax error", "The text does not follow the grammar of `.races` files."),
    ("E0102", "unterminated string", "A string or triple-quoted template has no closing quote."),
    ("E0103", "reserved word used as a name", "Keywords and type names cannot name envs, params, inputs, types or fields; `seed`, `self` and `inputs` cannot name params."),
    ("E0104", "duplicate clause", "A clause that may appear once per env appears twice."),
    ("E0105", "missing clause", "An env lacks a required clause (`input`, `output`, `prompt` or `solve`)."),
    ("E0106", "invalid module file name", "A `.races` file name must be an identifier: it is the module's name."),
    ("E0107", "invalid clause argument", "An `answer` format, `python` reference or literal is malformed."),
    ("E0109", "number too large",
     "An integer literal has more than 4000 digits, or a type's integer bound lies beyond 2**256."),
    ("E0110", "expression nested too deeply",
     "An expression or a composition nests more than 64 levels deep (operators, calls, subscripts, list, tuple and record literals, comprehensions; `seq`, `par`, `sort`, `select`)."),
    ("E0201", "unknown module", "A `use` names a module that is not found on the search path."),
    ("E0202", "unknown name", "A type, env or composite name is not defined or imported."),
    ("E0203", "duplicate definition", "Two declarations in one module (or an import and a declaration) share a name."),
    ("E0204", "import cycle", "Modules import each other in a cycle."),
    ("E0205", "recursive composition", "A composite refers to itself, directly or through other composites."),
    ("E0206", "not an environment", "A composition stage names a module or a type instead of an env."),
    ("E0207", "type alias cycle", "Type aliases refer to each other in a cycle, so none of them is a type."),
    ("E0208", "module name clash", "Two files of one program have the same module name (a user module named like a loaded stdlib module is renamed `name_` instead)."),
    ("E0209", "data file not readable",
     "A `data` declaration names a file that is missing, unreadable, larger than 16 MiB, or not inside the "
     "spec's folder (an absolute path, `..`, or a link out of the folder)."),
    ("E0210", "`OneOf` without data", "`OneOf[name]` needs `name` to be a `data` declaration, and stands only "
     "as the whole type of an input."),
    ("E0301", "invalid type", "A type is malformed: empty interval, duplicate enum literal, bad character class."),
    ("E0302", "unbounded input", "An input type has no interval or length, so it cannot be sampled."),
    ("E0303", "invalid param", "A param has a type other than bounded Int/Float, Bool or Enum, or a default outside its range."),
    ("E0304", "param cycle", "Param bounds depend on each other in a cycle."),
    ("E0305", "solver result does not fit the output", "The `solve` expression provably produces values outside the declared output type."),
    ("E0306", "`where` is not boolean", "A `where` constraint must be a Bool expression."),
    ("E0307", "unknown param", "A stage reference sets a param its env does not have, or a knob its composite does not have."),
    ("E0308", "param value out of range", "A fixed or narrowed param lies outside the param's declared range."),
    ("E0309", "wrong number of stages", "An operator has too few stages: seq, par and sort take two or more, select one or more."),
    ("E0310", "output not assignable to input", "A stage's output type does not fit the next stage's input type."),
    ("E0311", "input not fed", "A multi-input stage is fed a value that does not supply every input."),
    ("E0312", "invalid port", "`e[port]` names an input that does not exist, or a stage that receives no value."),
    ("E0313", "non-unique intermediate answer", "A stage whose verifier is not `exact` can only be the last stage of `seq`, `sort` or `select`."),
    ("E0314", "select nested in another operator",
     "A `select` composite answers with a plan, not a value, so it can only be the outermost operator."),
    ("E0315", "invalid option", "An operator option is unknown or has a value the operator does not accept."),
    ("E0316", "select pool too large", "`select` offers at most 8 step descriptions (stages plus distractors)."),
    ("E0317", "verifier does not fit the output", "`tolerance` needs a numeric output; `unordered` a list output."),
    ("E0318", "composite in a select pool",
     "The stages and distractors of a `select` are base environments: each pool step is one labelled action."),
    ("E0319", "param set twice", "A stage reference gives the same param or knob two values."),
    ("E0320", "input too large to sample",
     "A sampled input may hold lists, sets and strings of at most 100,000 items, and 1,000,000 in all."),
    ("E0321", "type too large",
     "A type, written out in full, has more than 10,000 parts or nests more than 32 deep."),
    ("E0330", "name declared twice", "A `let` or `draw` has the name of a param, an input, a draw or another let of its env."),
    ("E0331", "let used before it is defined", "A `let` reads itself or a let declared after it: lets are derived in order."),
    ("E0332", "type reads a later input", "An input or draw type reads an input or draw declared after it: a type may only read earlier ones."),
    ("E0333", "draw fed by a port", "`e[name]` names a draw: a draw is sampled by its env and no stage can feed it."),
    ("E0334", "bound reads a value it cannot use",
     "A bound reads a let, a non-number by name (use `len(xs)`), or the length of a number."),
    ("E0340", "weights do not fit the domain",
     "`~ weights(...)` needs one constant weight >= 0 per value of the input's Int range or Enum (not all 0), "
     "and a domain that does not depend on params."),
    ("E0341", "probability out of range", "`~ bernoulli(p)` needs p in [0, 1] for every value of the params."),
    ("E0342", "loguniform needs positive bounds",
     "`~ loguniform` spreads draws evenly over orders of magnitude, so the range must start above 0."),
    ("E0343", "distinct list longer than its domain",
     "A `List[T, len=.., distinct]` can be longer than T has values, so it could not hold distinct elements."),
    ("E0344", "distribution does not fit the input",
     "`weights` draws an Int range or an Enum, `bernoulli` a Bool, `loguniform` an Int or Float range; "
     "an input drawn by a custom sampler takes no distribution."),
    ("E0345", "data file does not fit its type",
     "A `data` file's contents do not parse in its format or do not fit the declared `List`/`Set` type "
     "(an element out of its type, a repeated Set element, no element at all, a csv header unlike the fields)."),
    ("E0322", "type argument violates its bound",
     "A generic env is instantiated (by its type arguments, or by the value a stage receives) with a type its "
     "parameter's bound does not allow (`sort_list[Set[Int[0..9]]]`, a set is not `Ord`), or with types its body "
     "does not check with."),
    ("E0323", "body needs more than the bound",
     "A generic env's `solve` or `where` uses a type parameter in a way its bound does not promise: `sorted` and "
     "`<` need `Ord`, `sum` and arithmetic need `Num`, `==`, `in`, `count` and `unique` need `Eq`."),
    ("E0324", "incoming value does not fit a generic input",
     "A stage receives a value whose shape differs from its generic input (`List[T]` fed an integer), so its type "
     "parameters cannot be found."),
    ("E0325", "malformed type parameter",
     "A type parameter is declared twice or named like a param or input, has an unknown bound (bounds are Any, "
     "Eq, Ord, Num), or a default its bound does not allow."),
    ("E0326", "type parameter cannot be inferred",
     "A generic env whose type parameter has no default stands where nothing feeds it (alone, or heading a "
     "chain) and is not instantiated."),
    ("E0327", "wrong type arguments",
     "A stage reference gives type arguments to an env that is not generic, or a number of them that differs "
     "from its type parameters."),
    ("E0335", "invalid Map key type",
     "A `Map` key is Int, Str or Enum: JSON object keys are strings, and an Int key is written as its digits."),
    ("E0336", "check is not a score", "`verify check EXPR` must be a Bool (1 or 0) or a number in [0, 1] (partial credit)."),
    ("E0337", "nested Optional", "`Optional[Optional[T]]` cannot be answered: one `null` cannot tell the two absences apart."),
    ("E0338", "Map longer than its keys",
     "A `Map` needs more distinct keys (`len=`) than its key type has values, so no value has that length."),
    ("E0339", "check ignores the answer",
     "A `verify check` predicate that never reads `answer` gives every completion the same score."),
    ("E0401", "template syntax error", "A prompt or step template is not valid jinja2."),
    ("E0402", "undefined name in template", "A template mentions a name that is neither an input, a param nor a runtime filter."),
    ("E0403", "input not mentioned in prompt", "An input the prompt never mentions makes the task unsolvable."),
    ("E0404", "unknown template filter", "A template uses a filter the runtime does not provide."),
    ("E0405", "bound input not described symbolically",
     "A stage that receives an earlier step's result must mention that input only as `{{ name }}`, so the "
     "composed prompt can say where the value comes from instead of showing it."),
    ("E0406", "template reaches outside the sandbox",
     "A template reads a private attribute (`__class__`, `_x`), `self`, or another template (`include`, "
     "`import`, `extends`, `block`), or changes a value (`xs.append(1)`): the sandbox refuses all of them "
     "when rendering."),
    ("E0407", "template over a render limit",
     "A template can never render within the runtime's bounds: a constant too large (`'ab' * 2**31`, "
     "`range(10**9)`, a width such as `center(10**9)` or `'{:1000000000}'`), a macro that calls itself, "
     "or a template longer than 64 KiB."),
    ("E0501", "unknown name in expression", "An expression uses a name that is not an input, param or comprehension variable."),
    ("E0502", "unknown function", "Only the builtins of the expression language can be called."),
    ("E0503", "wrong arguments", "A builtin is called with the wrong number or kind of arguments."),
    ("E0504", "type error in expression", "An operator or builtin is applied to values of the wrong type."),
    ("E0505", "invalid exponent", "`**` needs an integer exponent whose interval lies within 0..64 (a constant or a "
     "bounded variable)."),
    ("E0506", "unknown field", "Field access on a record names a field it does not have."),
    ("E0507", "name read before its comprehension binds it",
     "A comprehension reads a name in a later `for` or `if` clause that one of its own later `for`s binds: "
     "Python makes every loop variable local to the whole comprehension, so the read fails at run time."),
    ("E0508", "lambda outside a loop",
     "A `lambda` stands where no function is expected: lambdas are only the function arguments of `fold`, "
     "`iterate`, `until` and the `key=` of `sorted`, `min` and `max`."),
    ("E0509", "loop needs a lambda",
     "A loop builtin's function argument is not a lambda, or its lambda has the wrong number of parameters "
     "(or two of the same name)."),
    ("E0510", "unbounded loop",
     "The count of `iterate` is not bounded by its type to at most 100000, or `until` has no literal `max=N`."),
    ("E0511", "loop value changes type",
     "A loop's lambda returns a value whose type does not fit the loop value (the accumulator of `fold`, "
     "the value of `iterate` or `until`)."),
    ("E0512", "combinatorial result too large",
     "`permutations` or `combinations` could produce more than 1000000 values for the lengths the types allow."),
    ("E0513", "argument outside a builtin's domain",
     "A builtin's argument can never be valid: `ord` of a string that is never one character, `chr`, "
     "`isqrt` or `factorial` of a number always out of range, a base outside 2..36, a modulus of 0."),
    ("W0201", "unused import", "An imported name is never used."),
    ("W0301", "unused param", "A param is used by no type, expression or template, so it changes nothing."),
)


@dataclass(frozen=True)
class Diagnostic:
    """One finding at a span; `help`/`notes` are rendered as `help:`/`note:` lines."""

    code: str
    message: str
    span: Span
    severity: Severity = Severity.ERROR
    help: str | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered diagnostic code {self.code}")

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        return (self.span.file, self.span.line, self.span.col, self.code, self.message)


def error(code: str, message: str, span: Span, help: str | None = None, *notes: str) -> Diagnostic:
    return Diagnostic(code, message, span, Severity.ERROR, help, tuple(notes))


def warning(code: str, message: str, span: Span, help: str | None = None, *notes: str) -> Diagnostic:
    return Diagnostic(code, message, span, Severity.WARNING, help, tuple(notes))


def did_you_mean(name: str, candidates: list[str] | set[str]) -> str | None:
    """A `help:` text naming the closest candidate, as rustc and mypy do."""
    import difflib

    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


# ------------------------------------------------------------------ renderers

# What a terminal or log viewer acts on instead of showing: C0 and C1 controls
# (tab excepted), DEL, line and paragraph separators, the bidi overrides of
# "Trojan Source", and lone surrogates (which no UTF-8 stream can carry).
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# The same in JSON, where json.dumps already escapes what lies below U+0020.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    r"""`text` with control characters written as Python escapes (ESC shows as `\x1b`):
    spec text and file names echoed in a diagnostic show as text, never steer the terminal."""
    return _UNSAFE.sub(_escape, text)


def _headline(d: Diagnostic, color: bool = False) -> str:
    s = d.span
    severity = d.severity.value
    if color:
        severity = ("\x1b[1;31m" if d.is_error else "\x1b[1;33m") + severity + "\x1b[0m"
    return f"{visible(s.file)}:{s.line}:{s.col}: {severity}: {visible(d.message)} [{d.code}]"


def render_concise(d: Diagnostic) -> str:
    return _headline(d)


def _excerpt(d: Diagnostic, text: str) -> list[str]:
    r"""The span's source line and a caret run under it, both with control characters made visible.

    Lines are counted at `\n` only, as the parser counts them (`str.splitlines` would also
    split at `\r`, `\x0c` or U+2028 and show the wrong line)."""
    src_lines = text.split("\n")
    if not 1 <= d.span.line <= len(src_lines):
        return []
    raw = src_lines[d.span.line - 1].removesuffix("\r").expandtabs(1)
    start = min(d.span.col - 1, len(raw))
    width = 1
    if d.span.end_line == d.span.line and d.span.end_col > d.span.col:
        width = d.span.end_col - d.span.col
    width = max(1, min(width, len(raw) - start))
    pad = len(visible(raw[:start])) + d.span.col - 1 - start
    carets = max(1, len(visible(raw[start:start + width])))
    gutter = f"{d.span.line:>4} | "
    return [gutter + visible(raw), " " * (len(gutter) - 2) + "| " + " " * pad + "^" * carets]


def render_full(d: Diagnostic, sources: dict[str, str], color: bool = False) -> str:
    """mypy/rustc style: headline, the source line, a caret run, help and notes."""
    lines = [_headline(d, color)]
    text = sources.get(d.span.file)
    if text is not None:
        lines += _excerpt(d, text)
    if d.help:
        lines.append(f"  help: {visible(d.help)}")
    for note in d.notes:
        lines.append(f"  note: {visible(note)}")
    return "\n".join(lines)


def render_json(diags: list[Diagnostic]) -> str:
    """Exact text (a JSON reader gets the spec's own characters back), with every control
    character written as a JSON escape so the raw output is safe on a terminal too."""
    rows = [
        {
            "file": d.span.file, "line": d.span.line, "col": d.span.col,
            "end_line": d.span.end_line, "end_col": d.span.end_col,
            "severity": d.severity.value, "code": d.code, "message": d.message,
            "help": d.help, "notes": list(d.notes),
        }
        for d in diags
    ]
    text = json.dumps(rows, indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _github_data(text: str) -> str:
    """Escaped as GitHub's runner unescapes a workflow command's message; what it cannot carry is made visible."""
    return visible(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _github_property(text: str) -> str:
    """A workflow command property: like data, and `:` `,` too, which would end the property."""
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(d: Diagnostic) -> str:
    """A GitHub Actions workflow command, so findings annotate the PR diff.

    Escaped as GitHub documents, so a file name or message can never end the command
    and start another (a newline followed by `::set-env ...`)."""
    kind = "error" if d.is_error else "warning"
    msg = d.message + (f" (help: {d.help})" if d.help else "")
    s = d.span
    props = (f"file={_github_property(s.file)},line={s.line},col={s.col},endLine={s.end_line},"
             f"endColumn={s.end_col},title={_github_property(d.code)}")
    return f"::{kind} {props}::{_github_data(msg)}"
