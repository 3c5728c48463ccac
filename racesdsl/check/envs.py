"""Pass 2: check one base environment's clauses, params, types, expressions
and templates, and build its `EnvInfo`."""

from __future__ import annotations

import re

from racesdsl.check.data import one_of
from racesdsl.check.derived import EarlierValues, check_lets, let_sources, sampled_clauses
from racesdsl.check.distributions import check_distribution
from racesdsl.check.expr_names import free_names
from racesdsl.check.exprs import constant_value, infer
from racesdsl.check.resolve import ModuleScope
from racesdsl.check.templates import check_template
from racesdsl.check.typeexpr import TypeContext, bound_names, resolve_type, too_large, type_names
from racesdsl.diagnostics import Diagnostic, did_you_mean, error, warning
from racesdsl.ir import EnvInfo, InputInfo, ParamInfo
from racesdsl.runtime import limits as L
from racesdsl.runtime import types as T
from racesdsl.syntax import ast as A

ANSWER_FORMATS = ("tags", "boxed", "json")
_ONCE = (A.OutputClause, A.PromptClause, A.StepClause, A.SolveClause, A.SampleClause,
         A.VerifyClause, A.AnswerClause)
_CLAUSE_WORD = {A.OutputClause: "output", A.PromptClause: "prompt", A.StepClause: "step",
                A.SolveClause: "solve", A.SampleClause: "sample", A.VerifyClause: "verify",
                A.AnswerClause: "answer", A.InputClause: "input"}
_PYREF = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")


def check_env(decl: A.EnvDecl, scope: ModuleScope, diags: list[Diagnostic],
              tvars: dict[str, T.TType] | None = None, qualname: str | None = None) -> EnvInfo:
    """Check a base env; every problem becomes a diagnostic, never an exception. A generic
    env is checked with its type parameters as `tvars` (check/generics.py), an instance
    under its own `qualname`."""
    _check_clause_counts(decl, diags)
    ctx = TypeContext(scope, {}, frozenset(), diags, known=frozenset(p.name for p in decl.params), tvars=tvars or {})
    params = _check_params(decl, ctx, diags)
    ranges = {p.name: p.range for p in params.values() if p.range is not None}
    pctx = ctx.with_params(ranges, report=True)
    sampler = decl.first(A.SampleClause)

    inputs: list[InputInfo] = []
    draws: list[InputInfo] = []
    taken: dict[str, str] = {n: f"param `{n}`" for n in params}
    earlier = EarlierValues(decl)
    shaped: set[str] = set()
    for clause in sampled_clauses(decl):
        word = "input" if isinstance(clause, A.InputClause) else "draw"
        if clause.name in taken:
            if word == "input" and not taken[clause.name].startswith("draw"):
                diags.append(error("E0203", f"`{clause.name}` is declared twice in env `{decl.name}`", clause.span))
            else:
                diags.append(error("E0330", f"{word} `{clause.name}` has the name of {taken[clause.name]}",
                                   clause.span, f"rename it, for example `{clause.name}2`"))
            continue
        taken[clause.name] = f"{word} `{clause.name}`"
        into = inputs if word == "input" else draws
        if isinstance(clause.type, A.OneOfType):  # drawn from a data file's values, which are checked
            data = one_of(clause.type, scope, diags)
            elem = data.elem if data else T.TAny()
            earlier.add(clause.name, elem)
            into.append(InputInfo(clause.name, clause.type, elem, None, data))
            if clause.dist is not None:
                diags.append(error("E0344", f"{word} `{clause.name}` is drawn from its data, uniformly",
                                   clause.dist.span, "remove `~ ...`, or list the values in an Enum with weights"))
            continue
        if earlier.reads(clause):
            shaped.add(clause.name)
            if clause.dist is not None:
                diags.append(error("E0344", f"{word} `{clause.name}` has a type that reads earlier values, so it "
                                   "is drawn uniformly", clause.dist.span,
                                   "remove `~ ...`, or give the type constant bounds"))
        itype = _sized(resolve_type(clause.type, earlier.context(pctx, clause.name)), f"{word} `{clause.name}`",
                       clause.type.span, diags)
        if sampler is None and not T.is_bounded(itype) or word == "draw" and not T.is_bounded(itype):
            diags.append(error(
                "E0302", f"{word} `{clause.name}` has the unbounded type {T.show(itype)}", clause.type.span,
                "give it an interval or a length, e.g. `Int[0..100]` or `List[Int[0..9], len=1..10]`",
                "or provide a sampler: `sample python \"module:function\"`"))
        elif sampler is None or word == "draw":
            itype = _samplable(itype, clause, diags)
        if clause.name not in shaped:
            check_distribution(clause, itype, sampler is not None and word == "input", pctx, diags)
        earlier.add(clause.name, itype)
        into.append(InputInfo(clause.name, clause.type, itype, clause.dist))

    out_clause = decl.first(A.OutputClause)
    output = _sized(resolve_type(out_clause.type, pctx), "the output", out_clause.type.span, diags) \
        if out_clause else T.TAny()
    scope_types: dict[str, T.TType] = {i.name: i.type for i in inputs + draws}
    scope_types.update({p.name: p.type for p in params.values()})
    for failed in decl.params:  # a param whose declaration failed is still a known name
        scope_types.setdefault(failed.name, T.TAny())
    lets, let_reads = check_lets(decl, scope_types, taken, diags)

    used = set().union(let_reads, *(type_names(c.type) for c in sampled_clauses(decl)))
    used |= {n for c in sampled_clauses(decl) if c.dist for a in c.dist.args for n in bound_names(a)}  # bernoulli(p)
    if out_clause:
        used |= type_names(out_clause.type)
    for p in params.values():
        used |= type_names(p.decl.type)
    for where in decl.clauses_of(A.WhereClause):
        t = infer(where.expr, scope_types, diags)
        used |= free_names(where.expr)
        if not isinstance(t, (T.TBool, T.TAny)):
            diags.append(error("E0306", f"`where` needs a Bool condition, found {T.show(t)}", where.expr.span))
    used |= _check_solve(decl, scope_types, output, diags)
    verify = _check_verify(decl, output, diags)
    used |= _check_predicate(decl, check_scope(scope_types, output), diags)
    answer = _check_answer(decl, diags)
    for ref in _python_refs(decl):
        if not _PYREF.match(ref.target):
            diags.append(error("E0107", f'python reference "{ref.target}" is not of the form "module:function"',
                               ref.span, 'write e.g. `python "mypkg.graphs:shortest_path"`'))

    names = list(scope_types)
    prompt = decl.first(A.PromptClause)
    if prompt is not None:
        used |= check_template(prompt.template, names, diags, must_mention=[i.name for i in inputs],
                               through=let_sources(lets))
    step = decl.first(A.StepClause)
    if step is not None:
        used |= check_template(step.template, names, diags)
    python_bound = sampler is not None or any(
        isinstance(c.body, A.PythonRef) for c in decl.clauses_of(A.SolveClause)) or verify == "python"
    if not python_bound:
        for p in params.values():
            if p.name not in used:
                diags.append(warning("W0301", f"param `{p.name}` is never used, so it changes nothing",
                                     p.decl.span, "use it in a type, the solver or the prompt, or remove it"))
    qual = qualname or f"{scope.name}.{decl.name}"
    return EnvInfo(qual, decl, scope, params, inputs, out_clause.type if out_clause else None,
                   output, verify, answer, draws, lets, frozenset(shaped))


def _sized(t: T.TType, what: str, span: A.Span, diags: list[Diagnostic]) -> T.TType:
    """`t`, or `TAny` once reported if it is too large to print or sample (E0321)."""
    problem = too_large(t)
    if problem is None:
        return t
    diags.append(error("E0321", f"the type of {what} {problem}", span,
                       f"a type written out in full may have {L.MAX_TYPE_NODES:,} parts and nest {L.MAX_TYPE_DEPTH} deep"))
    return T.TAny()


def _samplable(t: T.TType, clause: A.InputClause | A.DrawClause, diags: list[Diagnostic]) -> T.TType:
    """A bounded input type, or `TAny` once reported if its sampler would run for ever (E0320)."""
    longest, size = L.longest(t), L.value_size(t)
    if longest > L.MAX_LENGTH:
        why = f"can be {longest:,} long"
    elif size > L.MAX_VALUE_SIZE:
        why = f"can hold {size:,} values"
    else:
        return t
    word = "input" if isinstance(clause, A.InputClause) else "draw"
    diags.append(error("E0320", f"{word} `{clause.name}` {why}, too large to sample", clause.type.span,
                       f"lists, sets and strings are sampled at most {L.MAX_LENGTH:,} long, "
                       f"and {L.MAX_VALUE_SIZE:,} values in all: narrow the `len=` bounds (and the params they read)",
                       "or provide a sampler: `sample python \"module:function\"`"))
    return T.TAny()


def _check_clause_counts(decl: A.EnvDecl, diags: list[Diagnostic]) -> None:
    for kind in _ONCE:
        found = decl.clauses_of(kind)
        for extra in found[1:]:
            diags.append(error("E0104", f"env `{decl.name}` has more than one `{_CLAUSE_WORD[kind]}` clause",
                               extra.span, None, f"the first is at {found[0].span}"))
    for kind in (A.InputClause, A.OutputClause, A.PromptClause, A.SolveClause):
        if not decl.clauses_of(kind):
            word = _CLAUSE_WORD[kind]
            diags.append(error("E0105", f"env `{decl.name}` has no `{word}` clause", decl.name_span,
                               _MISSING_HELP[word]))


_MISSING_HELP = {
    "input": "declare what the sampler draws: `input xs: List[Int[0..9], len=1..8]`",
    "output": "declare the answer type: `output Int[0..100]`",
    "prompt": 'describe the task: `prompt """... {{ xs }} ..."""`',
    "solve": "give the reference solver: `solve <expression>` or `solve python \"module:function\"`",
}


def _param_kind(t: T.TType) -> str | None:
    if isinstance(t, T.TInt) and t.range.bounded:
        return "int"
    if isinstance(t, T.TFloat) and t.range.bounded:
        return "float"
    return {T.TBool: "bool", T.TEnum: "enum"}.get(type(t))


def _check_params(decl: A.EnvDecl, ctx: TypeContext, diags: list[Diagnostic]) -> dict[str, ParamInfo]:
    """Params in dependency order: a param's bounds may use earlier-resolved params."""
    clauses: dict[str, A.ParamClause] = {}
    for p in decl.params:
        if p.name in clauses:
            diags.append(error("E0203", f"param `{p.name}` is declared twice in env `{decl.name}`", p.span))
        else:
            clauses[p.name] = p
    deps = {n: type_names(p.type) & set(clauses) for n, p in clauses.items()}
    order, cyclic = _param_order(deps, clauses, diags)
    params: dict[str, ParamInfo] = {}
    ranges: dict[str, T.Interval] = {}
    defaults: dict[str, T.Interval] = {}
    ctx.poisoned = frozenset(cyclic)
    for n in order:
        if n in cyclic:
            continue
        clause = clauses[n]
        ptype = resolve_type(clause.type, ctx.with_params(ranges, report=True))
        kind = _param_kind(ptype)
        if kind is None:
            if not isinstance(ptype, T.TAny):
                diags.append(error("E0303", f"param `{n}` has type {T.show(ptype)}", clause.type.span,
                                   "params are bounded Int[..] or Float[..], Bool or Enum[..]"))
            ctx.poisoned |= {n}  # reported once: the bounds that read it are unknown, not wrong
            continue
        default = constant_value(clause.default)
        at_defaults = resolve_type(clause.type, ctx.with_params({**ranges, **defaults}))
        if not _default_fits(default, kind, at_defaults):
            diags.append(error("E0303", f"default of param `{n}` ({_show_value(default)}) is not in {T.show(at_defaults)}",
                               clause.default.span))
        prange = ptype.range if kind in ("int", "float") else None
        if prange is not None:
            ranges[n] = prange
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                defaults[n] = T.Interval.point(default)
        params[n] = ParamInfo(n, kind, ptype, prange, default, clause)
    return {n: params[n] for n in clauses if n in params}


def _param_order(deps: dict[str, set[str]], clauses: dict[str, A.ParamClause],
                 diags: list[Diagnostic]) -> tuple[list[str], set[str]]:
    """Params after the params their bounds read (a depth-first walk with an explicit
    stack: a chain of a thousand params is fine), and those on a cycle (E0304)."""
    order: list[str] = []
    state: dict[str, str] = {}
    cyclic: set[str] = set()
    for start in clauses:
        if start in state:
            continue
        path: list[str] = [start]
        todo: list[list[str]] = [sorted(deps[start], reverse=True)]
        state[start] = "active"
        while path:
            if not todo[-1]:
                done = path.pop()
                todo.pop()
                state[done] = "done"
                order.append(done)
                continue
            d = todo[-1].pop()
            if state.get(d) == "done":
                continue
            if state.get(d) == "active":
                cycle = path[path.index(d):]
                cyclic.update(cycle)
                diags.append(error("E0304", f"param bounds form a cycle: {' -> '.join([*cycle, d])}",
                                   clauses[d].type.span, "bound one of them by constants"))
                continue
            state[d] = "active"
            path.append(d)
            todo.append(sorted(deps[d], reverse=True))
    return order, cyclic


def _default_fits(value: object, kind: str, t: T.TType) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "enum":
        return isinstance(value, str) and value in t.values
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if kind == "int" and not isinstance(value, int):
        return False
    return isinstance(t, (T.TInt, T.TFloat)) and t.range.contains_value(value)


def _show_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return "not a constant" if v is None else str(v)


def _check_solve(decl: A.EnvDecl, scope_types: dict[str, T.TType], output: T.TType,
                 diags: list[Diagnostic]) -> set[str]:
    solve = decl.first(A.SolveClause)
    if solve is None or isinstance(solve.body, A.PythonRef):
        return set()
    result = infer(solve.body, scope_types, diags)
    if not T.overlaps(result, output):
        diags.append(error(
            "E0305", f"`solve` produces {T.show(result)}, which never fits the output {T.show(output)}",
            solve.body.span, None, T.mismatch(result, output) or ""))
    return free_names(solve.body)


def _check_verify(decl: A.EnvDecl, output: T.TType, diags: list[Diagnostic]) -> str:
    clause = decl.first(A.VerifyClause)
    if clause is None:
        return "exact"
    if clause.kind == "tolerance":
        eps = constant_value(clause.arg)
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or eps < 0:
            diags.append(error("E0107", "`tolerance(...)` takes a constant number >= 0", clause.arg.span,
                               "for example `verify tolerance(1e-6)`"))
        if not _numeric(output):
            diags.append(error("E0317", f"`tolerance` compares numbers, but the output is {T.show(output)}",
                               clause.span, "use `verify exact` or a python verifier"))
    if clause.kind == "unordered" and not isinstance(output, (T.TList, T.TSet, T.TAny)):
        diags.append(error("E0317", f"`unordered` compares lists as multisets, but the output is {T.show(output)}",
                           clause.span, "use `verify exact`"))
    return clause.kind


def check_scope(scope_types: dict[str, T.TType], output: T.TType) -> dict[str, T.TType]:
    """The names a `verify check` predicate reads: the parsed `answer` and whatever `solve`
    reads (inputs, params; lets when they come), from the one scope both are checked in.
    `answer` is a reserved word, so no input or param can shadow it."""
    return {"answer": output, **scope_types}


def _check_predicate(decl: A.EnvDecl, scope: dict[str, T.TType], diags: list[Diagnostic]) -> set[str]:
    """`verify check EXPR`: Bool (1 or 0) or a number in [0, 1] (E0336) that reads `answer` (E0339)."""
    clause = decl.first(A.VerifyClause)
    if clause is None or clause.kind != "check":
        return set()
    t = infer(clause.arg, scope, diags)
    numeric = isinstance(t, T.TInt | T.TFloat)
    if not (isinstance(t, T.TBool | T.TAny) or numeric and t.range.overlaps(T.Interval(0, 1))):
        diags.append(error("E0336", f"`verify check` needs a Bool or a score in [0, 1], found {T.show(t)}",
                           clause.arg.span, "write a condition (`answer in xs`) or a fraction "
                           "(`count(answer, 1) / len(xs)`)"))
    names = free_names(clause.arg)
    if "answer" not in names:
        diags.append(error("E0339", "this `verify check` never reads `answer`, so every completion scores alike",
                           clause.arg.span, "compare `answer` with the inputs, e.g. `verify check answer in xs`"))
    return names - {"answer"}


def _numeric(t: T.TType) -> bool:
    match t:
        case T.TInt() | T.TFloat() | T.TAny():
            return True
        case T.TList(elem=e) | T.TSet(elem=e):
            return _numeric(e)
        case T.TTuple(items=items):
            return all(_numeric(i) for i in items)
        case T.TRecord(fields=fields):
            return all(_numeric(ft) for _, ft in fields)
    return False


def _check_answer(decl: A.EnvDecl, diags: list[Diagnostic]) -> str:
    clause = decl.first(A.AnswerClause)
    if clause is None:
        return "tags"
    if clause.format not in ANSWER_FORMATS:
        diags.append(error("E0107", f"unknown answer format `{clause.format}`", clause.span,
                           did_you_mean(clause.format, ANSWER_FORMATS) or "use `tags`, `boxed` or `json`"))
        return "tags"
    return clause.format


def _python_refs(decl: A.EnvDecl) -> list[A.PythonRef]:
    refs = [c.body for c in decl.clauses_of(A.SolveClause) if isinstance(c.body, A.PythonRef)]
    refs += [c.ref for c in decl.clauses_of(A.SampleClause)]
    refs += [c.arg for c in decl.clauses_of(A.VerifyClause) if isinstance(c.arg, A.PythonRef)]
    return refs
