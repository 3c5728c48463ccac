"""Prompt and step templates: the one definition of template text, the runtime
filters, and the static check (E0401-E0407) with spans mapped back into the
`.races` file.

The runtime renders `template_source(tpl).text` in `template_environment()`,
so what is checked here is exactly what runs."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import TemplateSyntaxError, nodes
from jinja2.lexer import newline_re
from jinja2.sandbox import SandboxedEnvironment

from racesdsl.check.template_rules import codegen_errors, free_names, limit_findings
from racesdsl.diagnostics import Diagnostic, did_you_mean, error
from racesdsl.runtime.template_limits import MAX_TEMPLATE_CHARS
from racesdsl.runtime.templates import RUNTIME_FILTERS, runtime_filters, template_environment
from racesdsl.syntax.ast import Span, Template

__all__ = [
    "RUNTIME_FILTERS", "TemplateSource", "check_template", "runtime_filters",
    "template_environment", "template_source",
]

# ------------------------------------------------------------ template text


@dataclass(frozen=True)
class TemplateSource:
    """The text the runtime renders plus, per text line, where its first
    character sits in the `.races` file: `(line, col, offset)`, 1-based."""

    text: str
    file: str
    origins: tuple[tuple[int, int, int], ...]

    def line_text(self, line: int) -> str:
        lines = self.text.split("\n")
        return lines[line - 1] if 1 <= line <= len(lines) else ""

    def to_span(self, line: int, col: int, length: int = 1) -> Span:
        """Map a 1-based (line, col) of `text` to the `.races` file; clamps, never raises."""
        line = min(max(line, 1), len(self.origins))
        src_line, src_col, src_pos = self.origins[line - 1]
        delta = max(col, 1) - 1
        length = max(length, 1)
        return Span(self.file, src_line, src_col + delta, src_line, src_col + delta + length,
                    src_pos + delta, src_pos + delta + length)


_TRAILING = re.compile(r"\n[ \t]*\Z")


def template_source(tpl: Template) -> TemplateSource:
    """Apply the text rules of language.md §4 and record how lines moved.

    Triple-quoted: drop one leading newline, strip one trailing newline plus
    the closing quotes' indentation, then `textwrap.dedent`; when text starts
    on the quotes' line, that first line is kept and the rest dedented (as
    `inspect.cleandoc` does), so indented continuation lines read flush. Single-quoted
    templates are already decoded and used as is (their escapes make columns
    approximate, but they are one source line)."""
    s = tpl.span
    if not tpl.triple:
        origins, off = [], 0
        for part in tpl.raw.split("\n"):
            origins.append((s.line, s.col + 1 + off, s.start_pos + 1 + off))
            off += len(part) + 1
        return TemplateSource(tpl.raw, s.file, tuple(origins))
    dropped = 1 if tpl.raw.startswith("\n") else 0
    body = tpl.raw[dropped:]
    body = _TRAILING.sub("", body, count=1)
    if dropped or "\n" not in body:
        text = textwrap.dedent(body)
    else:
        first, rest = body.split("\n", 1)
        text = first + "\n" + textwrap.dedent(rest)
    origins, off = [], dropped
    for k, (before, after) in enumerate(zip(body.split("\n"), text.split("\n"), strict=True)):
        raw_line = k + dropped
        removed = len(before) - len(after)
        col = (s.col + 3 if raw_line == 0 else 1) + removed
        origins.append((s.line + raw_line, col, s.start_pos + 3 + off + removed))
        off += len(before) + 1
    return TemplateSource(text, s.file, tuple(origins))


@lru_cache(maxsize=1)
def _env() -> SandboxedEnvironment:
    return template_environment()


# ------------------------------------------------------------------ checking

# Names jinja provides itself; `loop` only inside `for`, but never a user name.
JINJA_GLOBALS = frozenset(template_environment().globals) | {"loop"}


@dataclass(frozen=True)
class _Tok:
    line: int
    col: int
    kind: str
    value: str


def _tokens(env: SandboxedEnvironment, text: str) -> list[_Tok]:
    """Jinja tokens with columns (jinja gives lines only), found by walking the
    source: each raw token value occurs at or after the previous one."""
    source = "\n".join(newline_re.split(text)[::2])
    out: list[_Tok] = []
    pos, line, line_start = 0, 1, 0
    for _, kind, value in env.lexer.tokeniter(source, None):
        at = source.find(value, pos)
        if at < 0:
            continue
        newlines = source.count("\n", pos, at)
        if newlines:
            line += newlines
            line_start = source.rfind("\n", pos, at) + 1
        if kind != "whitespace":
            out.append(_Tok(line, at - line_start + 1, kind, value))
        newlines = value.count("\n")
        if newlines:
            line += newlines
            line_start = at + value.rfind("\n") + 1
        pos = at + len(value)
    return out


def _role(toks: list[_Tok], i: int) -> str:
    """What a name token is: a variable read, a filter, a test, or other (attribute, kwarg)."""
    prev = toks[i - 1] if i > 0 else None
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    if prev is not None and prev.value == "|":
        return "filter"
    if prev is not None and prev.kind == "name" and prev.value == "filter":
        return "filter"
    if prev is not None and prev.kind == "name" and prev.value == "is":
        return "test"
    if prev is not None and prev.value == "not" and i > 1 and toks[i - 2].value == "is":
        return "test"
    if (prev is not None and prev.value == ".") or (nxt is not None and nxt.value == "="):
        return "other"
    return "var"


class _Locator:
    """Hands out token columns for AST nodes, which only carry a line."""

    def __init__(self, src: TemplateSource, toks: list[_Tok]) -> None:
        self.src = src
        self.free: dict[tuple[str, str, int], list[_Tok]] = {}
        for i, t in enumerate(toks):
            if t.kind == "name":
                self.free.setdefault((_role(toks, i), t.value, t.line), []).append(t)

    def span(self, role: str, name: str, line: int) -> Span:
        left = self.free.get((role, name, line))
        if left:
            t = left.pop(0)
            return self.src.to_span(t.line, t.col, len(name))
        return self.src.to_span(line, _guess_col(self.src.line_text(line)))


def _guess_col(line: str) -> int:
    """Best column on a line when nothing better is known: its first tag, else its first word."""
    hits = [i for i in (line.find("{{"), line.find("{%"), line.find("{#")) if i >= 0]
    if hits:
        return min(hits) + 1
    stripped = line.lstrip()
    return len(line) - len(stripped) + 1 if stripped else 1


_SENTENCE = re.compile(r"(?<=\.)\s+(?=[A-Z])")
_INNERMOST = re.compile(r"innermost block that needs to be closed is '(\w+)'")


def _syntax_error(src: TemplateSource, exc: TemplateSyntaxError) -> Diagnostic:
    """E0401 at jinja's line; an unclosed block points at its opening tag instead."""
    parts = _SENTENCE.split(" ".join((exc.message or "invalid template").split()))
    first = parts[0].rstrip(".")
    first = first[:1].lower() + first[1:]
    line = exc.lineno or 1
    span = src.to_span(line, _guess_col(src.line_text(line)))
    m = _INNERMOST.search(exc.message or "")
    if m is not None:
        opener = _unclosed(src.text, m.group(1))
        if opener is not None:
            span = src.to_span(*opener, length=2)
    return error("E0401", f"template syntax error: {first}", span, None, *parts[1:])


def _unclosed(text: str, tag: str) -> tuple[int, int] | None:
    """(line, col) of the innermost `{% tag %}` without its `{% endtag %}`."""
    stack: list[int] = []
    for m in re.finditer(r"\{%[-+]?\s*(end)?" + re.escape(tag) + r"\b", text):
        if m.group(1):
            if stack:
                stack.pop()
        else:
            stack.append(m.start())
    if not stack:
        return None
    at = stack[-1]
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


def _mentions(text: str, names: Collection[str]) -> set[str]:
    """Names that appear as words: the best guess of what a broken template reads."""
    return {n for n in names if re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text)}


def check_template(
    tpl: Template,
    names: Collection[str],
    diags: list[Diagnostic],
    *,
    must_mention: Collection[str] = (),
    through: Mapping[str, Collection[str]] | None = None,
) -> set[str]:
    """Check one template against the visible `names`; append E0401-E0407 to
    `diags` and return the names it reads (so unused params can be found).

    After a syntax error nothing else is reported (it would be noise) and the
    returned set is a textual guess, so no spurious unused-param warning follows.
    `through` maps a let to the names it reads: an input shown through a let is mentioned.
    Nothing here renders the template or folds its constants beyond a small bound
    (template_rules), so a hostile template checks as fast as any other."""
    src = template_source(tpl)
    if len(src.text) > MAX_TEMPLATE_CHARS:
        diags.append(error("E0407", f"the template is {len(src.text):,} characters long, over the limit of "
                           f"{MAX_TEMPLATE_CHARS:,}", src.to_span(1, 1),
                           "a prompt this long is better built from data: loop over an input"))
        return _mentions(src.text, names)
    env = _env()
    try:
        tree = env.parse(src.text)
        return _check_tree(tpl, src, tree, names, diags, must_mention, through or {})
    except TemplateSyntaxError as exc:
        diags.append(_syntax_error(src, exc))
    except RecursionError:
        diags.append(error("E0401", "template syntax error: the template is nested too deeply",
                           src.to_span(1, 1)))
    return _mentions(src.text, names)


def _check_tree(tpl: Template, src: TemplateSource, tree: nodes.Template, names: Collection[str],
                diags: list[Diagnostic], must_mention: Collection[str],
                through: Mapping[str, Collection[str]]) -> set[str]:
    env = _env()
    try:
        loc = _Locator(src, _tokens(env, src.text))
    except TemplateSyntaxError:  # cannot happen after a clean parse; stay total anyway
        loc = _Locator(src, [])
    found: list[Diagnostic] = []
    for node in _walk(tree):
        if isinstance(node, nodes.Filter | nodes.Test):
            role = "filter" if isinstance(node, nodes.Filter) else "test"
            known = env.filters if role == "filter" else env.tests
            if node.name not in known:
                found.append(error(
                    "E0404", f"unknown template {role} `{node.name}`",
                    loc.span(role, node.name, node.lineno), did_you_mean(node.name, set(known))))

    # jinja2's code generator would fold constants, and takes quadratic time on nested
    # loops: its few checks of its own are redone on the tree (template_rules.codegen_errors).
    for lineno, message in codegen_errors(tree):
        diags.append(_syntax_error(src, TemplateSyntaxError(message, lineno)))
        return _mentions(src.text, names)
    scope = free_names(tree)
    visible = set(names)
    reads = {n for n, _ in scope.free if n in visible or n not in JINJA_GLOBALS}
    undefined = reads - visible - {"self"}  # `self` is E0406 below
    candidates = visible | scope.defined | (JINJA_GLOBALS - {"loop"})
    for name, line in scope.free:
        if name in undefined:
            found.append(error(
                "E0402", f"undefined name `{name}` in template", loc.span("var", name, line),
                did_you_mean(name, candidates) or "a template can read the env's inputs and params"))
    outside = {n for n, _ in scope.free if n not in visible}
    for f in limit_findings(tree, outside):
        found.append(error(f.code, f.message, loc.span(f.role, f.token, f.lineno), f.help))

    shown = reads.union(*(through[n] for n in reads if n in through))
    for name in sorted(set(must_mention) - shown):
        s = tpl.span
        width = 3 if tpl.triple else 1
        found.append(error(
            "E0403", f"input `{name}` is never mentioned in the prompt",
            Span(s.file, s.line, s.col, s.line, s.col + width, s.start_pos, s.start_pos + width),
            f"the model cannot solve the task without it: add `{{{{ {name} }}}}`"))
    diags.extend(sorted(found, key=Diagnostic.sort_key))
    return reads


def _walk(tree: nodes.Node) -> Iterator[nodes.Node]:
    """All nodes, depth first (jinja's `find_all` needs a type list)."""
    return tree.find_all(nodes.Node)
