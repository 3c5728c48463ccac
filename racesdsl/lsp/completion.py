"""Completion: stage names, params and knobs inside a stage's parentheses, the expression
language's builtins, type names; inside `seq(...)` after a stage, the envs that can legally
come next, from the fusion graph (racesdsl.compose.graph.seq_links)."""

from __future__ import annotations

import re

from lsprotocol import types

from racesdsl.check.builtins_more import ALL_BUILTINS
from racesdsl.check.fusion import MIN_STAGES
from racesdsl.compose.graph import Link, self_loops, seq_links
from racesdsl.ir import CompositeInfo, EnvInfo
from racesdsl.lsp.analysis import Analysis
from racesdsl.lsp.positions import offset
from racesdsl.resources import stdlib_dir
from racesdsl.syntax import ast as A
from racesdsl.syntax.parser import parse_text
from racesdsl.syntax.reserved import BOUNDS, TYPE_NAMES

K = types.CompletionItemKind
_HEAD = re.compile(r"\s*([A-Za-z_][\w.]*)")
_USE = re.compile(r"\s*use\s+([\w.]*)$")
_USE_NAMES = re.compile(r"\s*use\s+([\w.]+)\.\{[^}]*$")
_CALLEE = re.compile(r"([A-Za-z_][\w.]*)\s*$")


def open_call(text: str, at: int) -> tuple[str, str] | None:
    """The callee and argument text so far of the innermost call the cursor is inside
    (None outside any call, or when a `{`/`}` intervenes: another declaration's body)."""
    depth = 0
    for i in range(at - 1, -1, -1):
        c = text[i]
        if c in ")]":
            depth += 1
        elif c in "([":
            if depth == 0:
                m = _CALLEE.search(text[:i]) if c == "(" else None
                return (m.group(1), text[i + 1:at]) if m else None
            depth -= 1
        elif c in "{}":
            return None
    return None


def _top_level_args(args: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(args):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c in ",;" and depth == 0:
            parts.append(args[start:i])
            start = i + 1
    return [*parts, args[start:]]


def _stage_items(analysis: Analysis) -> list[types.CompletionItem]:
    scope = analysis.scope
    items = []
    for name in scope.visible_names(("env", "compose")):
        info = analysis.info(scope.lookup((name,)).qualname)
        doc = info.decl.doc if info is not None else None
        kind = K.Class if isinstance(info, EnvInfo) else K.Function
        items.append(types.CompletionItem(label=name, kind=kind, detail=doc))
    return items


def _how(link: Link) -> str:
    ways = [w for w, on in ((f"`{link.a}` params at their defaults", link.fix_a),
                            (f"`{link.b}` params at their defaults", link.fix_b)) if on]
    port = f", feeding input `{link.port}`" if link.port else ""
    return "legal next stage" + (" with " + " and ".join(ways) if ways else "") + port


def _next_stages(analysis: Analysis, previous: str) -> list[types.CompletionItem] | None:
    """The visible envs that `seq` may chain after `previous` (None: not a base env)."""
    scope = analysis.scope
    sym = scope.lookup(tuple(previous.split(".")))
    if sym is None or sym.kind != "env" or sym.qualname not in analysis.program.envs:
        return None
    links = {link.b: link for link in seq_links(analysis.program, [sym.qualname])}
    if sym.qualname in self_loops(analysis.program):  # seq_links leaves out seq(a, a)
        links[sym.qualname] = Link(sym.qualname, sym.qualname)
    items = []
    for name in scope.visible_names(("env",)):
        link = links.get(scope.lookup((name,)).qualname)
        if link is not None:
            text = f"{name}[{link.port}]" if link.port else name
            items.append(types.CompletionItem(label=name, kind=K.Class, detail=_how(link), insert_text=text))
    return items


def _param_items(info: EnvInfo | CompositeInfo) -> list[types.CompletionItem]:
    if isinstance(info, EnvInfo):
        return [types.CompletionItem(label=p.name, kind=K.Property, insert_text=f"{p.name}=",
                                     detail=f"param: {p.range.show() if p.range else p.kind} = {p.default}")
                for p in info.params.values()]
    return [types.CompletionItem(label=k.name, kind=K.Property, insert_text=f"{k.name}=",
                                 detail="knob" + (f": {k.range.show()}" if k.range else ""))
            for k in info.iter_knobs()]


# The clauses of an env body, offered as keywords with what each declares.
CLAUSES = (("param", "a difficulty knob"), ("input", "a sampled value, fed by an earlier stage"),
           ("draw", "a sampled value, never fed, not in the signature"), ("let", "a value derived once per instance"),
           ("output", "the answer type"), ("where", "a sampling constraint"), ("prompt", "the task text"),
           ("step", "the text of the task as a step"), ("solve", "the reference solver"),
           ("sample", "a custom sampler"), ("verify", "how answers are compared"), ("answer", "the answer format"))

# After `input x: T ~`: how the input is drawn (docs/language.md §4 "Sampling distributions").
_DISTRIBUTIONS = (("weights", "weights(${1:3, 1})", "one weight per value of an Int range or Enum"),
                  ("bernoulli", "bernoulli(${1:0.5})", "a Bool that is true with probability p"),
                  ("loguniform", "loguniform", "an Int or Float spread evenly over orders of magnitude"))


def _distribution_items() -> list[types.CompletionItem]:
    return [types.CompletionItem(label=n, kind=K.Keyword, detail=d, insert_text=snippet,
                                 insert_text_format=types.InsertTextFormat.Snippet)
            for n, snippet, d in _DISTRIBUTIONS]


def _general(analysis: Analysis) -> list[types.CompletionItem]:
    items = _stage_items(analysis)
    items += [types.CompletionItem(label=b, kind=K.Function, detail="builtin") for b in ALL_BUILTINS]
    items += [types.CompletionItem(label=t, kind=K.TypeParameter, detail="type") for t in sorted(TYPE_NAMES)]
    items += [types.CompletionItem(label=w, kind=K.Keyword, detail=why) for w, why in CLAUSES]
    items += [types.CompletionItem(label=b, kind=K.Interface, detail="bound of a type parameter") for b in BOUNDS]
    items += [types.CompletionItem(label=n, kind=K.TypeParameter, detail="type alias")
              for n in analysis.scope.visible_names(("type",))]
    items += [types.CompletionItem(label=n, kind=K.Variable, detail="data: draw one with OneOf[...]")
              for n in analysis.scope.visible_names(("data",))]
    return items


def _modules(analysis: Analysis, written: str) -> list[types.CompletionItem]:
    """Module paths after `use`: `std` and the document's siblings, or the stdlib's modules after `use std.`."""
    if written.startswith("std."):
        names = [p.stem for p in stdlib_dir().glob("*.races")]
    else:
        names = ["std"] + [p.stem for p in analysis.path.parent.glob("*.races") if p.stem != analysis.path.stem]
    return [types.CompletionItem(label=n, kind=K.Module) for n in sorted(set(names)) if n.isidentifier()]


def _module_names(analysis: Analysis, module: str) -> list[types.CompletionItem]:
    """The declarations of the module a `use m.{...}` names, from its file."""
    parts = module.split(".")
    root, rel = (stdlib_dir(), parts[1:]) if parts[0] == "std" else (analysis.path.parent, parts)
    path = root.joinpath(*rel[:-1], rel[-1] + ".races") if rel else None
    if path is None or not path.is_file():
        return []
    try:
        parsed, _ = parse_text(path.read_text(encoding="utf-8"), str(path), path.stem)
    except (OSError, UnicodeDecodeError):
        return []
    kinds = {A.EnvDecl: K.Class, A.ComposeDecl: K.Function, A.TypeDecl: K.TypeParameter, A.DataDecl: K.Variable}
    return [types.CompletionItem(label=d.name, kind=kinds[type(d)], detail=getattr(d, "doc", None))
            for d in (parsed.decls if parsed else ()) if type(d) in kinds]


def complete(analysis: Analysis, text: str, pos: types.Position) -> list[types.CompletionItem]:
    """Completions at `pos` of `text` (the buffer now), named from `analysis` (the last one
    that parsed: a buffer being typed rarely does)."""
    at = offset(text, pos)
    line = text[text.rfind("\n", 0, at) + 1:at]
    if (use := _USE.match(line)) is not None:
        return _modules(analysis, use.group(1))
    if (names := _USE_NAMES.match(line)) is not None:
        return _module_names(analysis, names.group(1))
    if line.rstrip().endswith("~"):
        return _distribution_items()
    if analysis.scope is None:
        return []
    call = open_call(text, at)
    if call is None:
        return _general(analysis)
    callee, args = call
    if callee in MIN_STAGES:
        parts = _top_level_args(args)
        head = _HEAD.match(parts[-2]) if callee == "seq" and len(parts) > 1 else None
        found = _next_stages(analysis, head.group(1)) if head else None
        return found if found is not None else _stage_items(analysis)
    sym = analysis.scope.lookup(tuple(callee.split(".")))
    info = analysis.info(sym.qualname) if sym is not None and sym.kind in ("env", "compose") else None
    return _param_items(info) if info is not None else _general(analysis)
