"""Hover: an env's signature, params (with ranges) and doc; a type alias's resolved type;
a composite's signature and knobs; a stage of a composite with what it receives and produces."""

from __future__ import annotations

from lsprotocol import types

from racesdsl.check.resolve import Symbol
from racesdsl.ir import CompositeInfo, EnvInfo, Signature, StageInfo
from racesdsl.lsp.analysis import Analysis
from racesdsl.lsp.lookup import stage_at, symbol_at
from racesdsl.lsp.positions import contains, dotted_at, one_based
from racesdsl.runtime import types as T
from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import print_expr


def _default(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _inputs(sig_inputs: list[tuple[str, T.TType]]) -> str:
    if len(sig_inputs) == 1:
        return T.show(sig_inputs[0][1])
    return "(" + ", ".join(f"{n}: {T.show(t)}" for n, t in sig_inputs) + ")"


def env_text(env: EnvInfo) -> str:
    lines = [f"env {env.qualname}: `{_inputs([(i.name, i.type) for i in env.inputs])} -> {T.show(env.output)}`"]
    if env.decl.doc:
        lines += ["", env.decl.doc]
    if env.generic is not None:  # an instance shows what it substitutes
        lines += ["", "type parameters:"]
        args = env.type_args or (None,) * len(env.generic.params)
        for p, a in zip(env.generic.params, args, strict=True):
            at = f" = {T.show(a)}" if a is not None else " (no default)"
            lines.append(f"- `{p.name}: {p.bound}`{at}")
    if env.params:
        lines += ["", "params:"]
        for p in env.params.values():
            lines.append(f"- `{p.name}`: {T.show(p.type)} = {_default(p.default)}")
    clause = env.decl.first(A.VerifyClause)
    if clause is not None and clause.kind == "check":  # many right answers: say what is accepted
        lines += ["", f"verify check `{print_expr(clause.arg)}`"]
    return "\n".join(lines)


def _signature(sig: Signature) -> str:
    return f"`{_inputs(list(sig.inputs))} -> {T.show(sig.output)}`"


def composite_text(comp: CompositeInfo) -> str:
    lines = [f"compose {comp.qualname}: {_signature(comp.signature)}"]
    if comp.decl.doc:
        lines += ["", comp.decl.doc]
    knobs = list(comp.iter_knobs())
    if knobs:
        lines += ["", "knobs:"]
        lines += [f"- `{k.name}`" + (f": {k.range.show()}" if k.range else "") for k in knobs]
    return "\n".join(lines)


def stage_text(stage: StageInfo, incoming: T.TType | None) -> str:
    target = stage.target
    if isinstance(target, EnvInfo):
        receives = [(i.name, i.type) for i in target.inputs]
        body = env_text(target)
    else:
        receives = list(target.signature.inputs)
        body = composite_text(target)
    lines = [f"stage `{stage.label}`", f"- accepts: `{_inputs(receives)}`"]
    if incoming is not None:
        lines.append(f"- receives: `{T.show(incoming)}` from the previous stage")
    if stage.fed:
        lines.append("- inputs fed by the previous stage: " + ", ".join(f"`{n}`" for n in stage.fed))
    if stage.output is not None:
        lines.append(f"- produces: `{T.show(stage.output)}`")
    if stage.fixed:
        lines.append("- params set here: " + ", ".join(f"`{n}={r.show()}`" for n, r in stage.fixed.items()))
    return "\n".join(lines) + "\n\n---\n\n" + body


def symbol_text(analysis: Analysis, sym: Symbol) -> str | None:
    if sym.kind == "type":
        resolved = sym.module.alias_types.get(sym.name)
        return f"type {sym.qualname} = `{T.show(resolved)}`" if resolved is not None else None
    if sym.kind == "module":
        return f"module `{sym.name}` ({sym.module.display})"
    if sym.kind == "data":
        data = sym.module.data.get(sym.name)
        return None if data is None else (f"data {sym.qualname}: `{T.show(data.type)}` from "
                                          f'{sym.decl.format}("{sym.decl.path}"), {len(data.values):,} values')
    info = analysis.info(sym.qualname)
    if isinstance(info, EnvInfo):
        return env_text(info)
    if isinstance(info, CompositeInfo):
        return composite_text(info)
    return None


def member_text(analysis: Analysis, pos: types.Position) -> str | None:
    """A param, input, draw or let of the env whose body the cursor is in: its type with its
    intervals (an input's widened over the params' ranges, a let's inferred)."""
    dotted = dotted_at(analysis.text, pos)
    if dotted is None or len(dotted) != 1:
        return None
    line, col = one_based(analysis.text, pos)
    for env in analysis.program.envs.values():
        if analysis.own(env.decl.span) and contains(env.decl.span, line, col):
            param, given = env.params.get(dotted[0]), env.input(dotted[0])
            if param is not None:
                return f"param `{param.name}`: `{T.show(param.type)}` = {_default(param.default)}"
            if given is not None:
                return f"input `{given.name}`: `{T.show(given.type)}`"
            drawn = next((d for d in env.draws if d.name == dotted[0]), None)
            if drawn is not None:
                return f"draw `{drawn.name}`: `{T.show(drawn.type)}` (sampled, not part of the signature)"
            let = next((x for x in env.lets if x.name == dotted[0]), None)
            if let is not None:
                return f"let `{let.name}`: `{T.show(let.type)}` (derived once per instance)"
    return None


def hover(analysis: Analysis, pos: types.Position) -> types.Hover | None:
    found = stage_at(analysis, pos)
    text = stage_text(*found) if found is not None else member_text(analysis, pos)
    if text is None:
        sym = symbol_at(analysis, pos)
        text = symbol_text(analysis, sym) if sym is not None else None
    if text is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))
