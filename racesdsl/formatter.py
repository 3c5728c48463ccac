"""`racesdsl fmt`'s library: one canonical layout for a `.races` file, comments kept.

The AST has no comments (the grammar ignores them), so they are found by a
scan that skips strings and templates as the lexer does, and re-attached by
position: a comment on its own line goes above the clause or declaration that
follows it, a comment after code stays at the end of that line. A comment the
layout cannot place safely (inside an expression, or in an env's header) keeps
the clause or declaration around it verbatim, so no comment is ever lost.
Blank lines between clauses and comments are kept (a run becomes one); top-level
declarations are one blank line apart, consecutive `use` lines may stay together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from racesdsl.diagnostics import Diagnostic
from racesdsl.format_layout import Layout, env_doc, render
from racesdsl.syntax import ast as A
from racesdsl.syntax.parser import parse_text
from racesdsl.syntax.printer import INDENT, print_type_params

__all__ = ["FormatError", "comments", "format_text"]


class FormatError(Exception):
    """The text does not parse; `diagnostics` says where."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


@dataclass(frozen=True)
class Comment:
    start: int
    end: int
    text: str


def comments(text: str) -> list[Comment]:
    """Every `#` comment of `text`, skipping `"..."` strings and `\"\"\"...\"\"\"` templates."""
    found: list[Comment] = []
    i = 0
    while i < len(text):
        if text.startswith('"""', i):
            close = text.find('"""', i + 3)
            i = len(text) if close < 0 else close + 3
        elif text[i] == '"':
            i += 1
            while i < len(text) and text[i] not in '"\n':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif text[i] == "#":
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            found.append(Comment(i, end, text[i:end].rstrip()))
            i = end
        else:
            i += 1
    return found


@dataclass
class _Item:
    """A clause, declaration or own-line comment, with the comment ending its last line."""

    start: int
    end: int
    node: object | None = None  # None: an own-line comment
    comment: Comment | None = None
    trailing: Comment | None = None
    inner: list[Comment] = field(default_factory=list)


def format_text(text: str, file: str = "<string>") -> str:
    """The canonical layout of `text`; raises FormatError if it does not parse."""
    module, diags = parse_text(text, file)
    errors = [d for d in diags if d.is_error]
    if module is None or errors:
        raise FormatError(errors or diags)
    items = _place([_Item(d.span.start_pos, d.span.end_pos, d) for d in module.decls], comments(text), text)
    layout = Layout(text)
    out: list[str] = []
    prev: _Item | None = None
    for item in items:
        if prev is not None:
            out.append("\n\n" if _top_blank(prev, item, text) else "\n")
        out.append(_with_trailing(_top_item(item, layout, text), item))
        prev = item
    return "".join(out) + "\n" if out else ""


def _place(nodes: list[_Item], found: list[Comment], text: str) -> list[_Item]:
    """Interleave own-line comments with `nodes`; attach trailing and inner comments to them."""
    items = list(nodes)
    for c in found:
        inside = next((n for n in nodes if n.start <= c.start < n.end), None)
        if inside is not None:
            inside.inner.append(c)
            continue
        before = [n for n in items if n.end <= c.start]
        last = max(before, key=lambda n: n.end) if before else None
        if last is not None and last.node is not None and last.trailing is None \
                and "\n" not in text[last.end:c.start]:
            last.trailing = c
            last.end = c.end
        else:
            items.append(_Item(c.start, c.end, comment=c))
    return sorted(items, key=lambda n: n.start)


def _blank_between(a: _Item, b: _Item, text: str) -> bool:
    return text.count("\n", a.end, b.start) >= 2


def _top_blank(prev: _Item, item: _Item, text: str) -> bool:
    """Declarations are a blank line apart, but a run of `use`, `type`, `data` or `compose` lines may stay together."""
    for kind in (A.UseDecl, A.TypeDecl, A.DataDecl, A.ComposeDecl):
        if isinstance(prev.node, kind) and (item.node is None or isinstance(item.node, kind)):
            return _blank_between(prev, item, text)
    if prev.node is not None:
        return True
    return _blank_between(prev, item, text)


def _with_trailing(code: str, item: _Item) -> str:
    return code if item.trailing is None else f"{code}  {item.trailing.text}"


def _top_item(item: _Item, layout: Layout, text: str) -> str:
    if item.comment is not None:
        return item.comment.text
    node = item.node
    span = node.span  # type: ignore[attr-defined]
    if isinstance(node, A.EnvDecl):
        return _env(node, item.inner, layout, text)
    if item.inner:
        return text[span.start_pos:span.end_pos]
    return render(layout.decl(node))  # type: ignore[arg-type]


def _brace(env: A.EnvDecl, text: str, found: list[Comment]) -> int:
    """Where the env's `{` is: after its name and doc string, skipping comments."""
    i = env.type_params[-1].span.end_pos if env.type_params else env.name_span.end_pos
    starts = {c.start: c.end for c in found}
    while i < len(text):
        if i in starts:
            i = starts[i]
        elif text[i] == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif text[i] == "{":
            return i
        else:
            i += 1
    raise AssertionError("a parsed env has a `{`")


def _env(env: A.EnvDecl, inner: list[Comment], layout: Layout, text: str) -> str:
    brace = _brace(env, text, inner)
    whole = text[env.span.start_pos:env.span.end_pos]
    if any(c.start < brace for c in inner):
        return whole  # a comment inside the header: keep the declaration as written
    header = f"env {env.name}{print_type_params(env.type_params)}{env_doc(env.doc)} {{"
    head = _Item(brace, brace + 1)
    clauses = [_Item(c.span.start_pos, c.span.end_pos, c) for c in env.clauses]
    body = _place([head, *clauses], inner, text)
    # `head` has no node, so a comment after `{` on its line is placed as an item: attach it.
    head_comment = None
    if len(body) > 1 and body[1].comment is not None and "\n" not in text[brace:body[1].start]:
        head_comment = body.pop(1).comment
    body = body[1:]
    if not body:
        return header + "}" if head_comment is None else f"{header}  {head_comment.text}\n}}"
    lines = [header if head_comment is None else f"{header}  {head_comment.text}"]
    prev: _Item | None = None
    for item in body:
        if prev is not None and _blank_between(prev, item, text):
            lines.append("")
        if item.comment is not None:
            code = item.comment.text
        elif item.inner:
            code = text[item.start:item.node.span.end_pos]  # type: ignore[attr-defined]
        else:
            code = render(layout.clause(item.node), len(INDENT))  # type: ignore[arg-type]
        lines.append(INDENT + _with_trailing(code, item))
        prev = item
    return "\n".join(lines) + "\n}"
