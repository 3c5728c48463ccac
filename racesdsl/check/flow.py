"""Type flow (docs/language.md §5, "Types flow through a composition"): the type
a stage hands on to the next one.

A stage whose `solve` is an expression hands on its declared output *met* with
the type interval inference (check/exprs.py) gives that expression under the
types the stage really receives: the incoming value's type for fed inputs, the
declared (widened) types for sampled ones, params at their fixed or narrowed
ranges. The meet only narrows: it keeps the declared constructors and takes
the tighter interval, length and character set wherever both sides name one,
so the result is a subtype of the declared output. The runtime still checks
the declared output, so every value handed on lies in both types: the meet is
sound whenever inference is (and inference is sound by construction).

Python solvers are opaque and hand on their declared output, as does a stage
whose inference reports anything (an incoming `TAny` from an earlier error)."""

from __future__ import annotations

from collections.abc import Mapping

from racesdsl.check.exprs import infer
from racesdsl.check.typeexpr import TypeContext, resolve_type
from racesdsl.diagnostics import Diagnostic
from racesdsl.ir import EnvInfo
from racesdsl.runtime import types as T
from racesdsl.syntax import ast as A

__all__ = ["Flow", "meet"]


class Flow:
    """Handed-on types of base stages, remembered per (env, fed types, param values):
    the same env fed the same types is inferred once per check (or per graph)."""

    def __init__(self) -> None:
        self.memo: dict[tuple, T.TType] = {}

    def handed_on(self, env: EnvInfo, declared: T.TType, fed: Mapping[str, T.TType],
                  ranges: Mapping[str, T.Interval], fixed: Mapping[str, T.Interval]) -> T.TType:
        """`declared` narrowed by what `solve` can produce from `fed` (the other inputs sampled)."""
        solve = env.decl.first(A.SolveClause)
        if solve is None or isinstance(solve.body, A.PythonRef):
            return declared
        key = (env.qualname, tuple(fed.items()), tuple(ranges.items()), tuple(fixed.items()))  # fix `declared`
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = _handed_on(env, solve.body, declared, fed, ranges, fixed)
        return found


def _handed_on(env: EnvInfo, body: A.Expr, declared: T.TType, fed: Mapping[str, T.TType],
               ranges: Mapping[str, T.Interval], fixed: Mapping[str, T.Interval]) -> T.TType:
    widened = TypeContext(env.module, ranges, frozenset(), None)  # every value a sampled input can take
    scope: dict[str, T.TType] = {}
    for i in env.inputs:
        own = resolve_type(i.texpr, widened)
        t = fed.get(i.name)
        scope[i.name] = own if t is None or isinstance(t, T.TAny) else _as_received(t, own)
    for name, p in env.params.items():
        if name in ranges:
            scope[name] = T.TInt(ranges[name]) if p.kind == "int" else T.TFloat(ranges[name])
        elif p.kind == "enum" and name in fixed and fixed[name].lo == fixed[name].hi:
            scope[name] = T.TEnum((fixed[name].lo,))
        else:
            scope[name] = p.type
    diags: list[Diagnostic] = []
    inferred = infer(body, scope, diags)
    if any(d.is_error for d in diags):
        return declared
    out = meet(declared, inferred)
    return out if T.assignable(out, declared) else declared


def _as_received(t: T.TType, declared: T.TType) -> T.TType:
    """An incoming value as the stage holds it: an integer fed to a Float input is a float."""
    match t, declared:
        case T.TInt(r), T.TFloat():
            return T.TFloat(r)
        case T.TList(e, n), T.TList(d, _):
            return T.TList(_as_received(e, d), n)
        case T.TSet(e, n), T.TSet(d, _):
            return T.TSet(_as_received(e, d), n)
        case T.TTuple(xs), T.TTuple(ds) if len(xs) == len(ds):
            return T.TTuple(tuple(map(_as_received, xs, ds)))
        case T.TRecord(), T.TRecord():
            return T.TRecord(tuple((n, _as_received(ft, declared.field(n) or T.TAny())) for n, ft in t.fields))
    return t


def meet(declared: T.TType, inferred: T.TType) -> T.TType:
    """The values of `declared` that `inferred` allows, as far as a type can name them:
    the declared constructor with the tighter bounds; a part the two do not share a
    shape for (or whose meet would be empty) stays as declared, which is sound."""
    match declared, inferred:
        case T.TInt(a), T.TInt(b):
            return T.TInt(_tighter(a, b))
        case T.TFloat(a), (T.TFloat(b) | T.TInt(b)):
            return T.TFloat(_tighter(a, b))
        case T.TStr(), T.TStr():
            chars, src = _chars(declared, inferred)
            return T.TStr(_tighter(declared.length, inferred.length), chars, src)
        case T.TStr(), T.TEnum(values):
            kept = tuple(v for v in values if T.assignable(T.TEnum((v,)), declared))
            return T.TEnum(kept) if kept else declared
        case T.TEnum(values), (T.TEnum() | T.TStr()):
            kept = tuple(v for v in values if T.assignable(T.TEnum((v,)), inferred))
            return T.TEnum(kept) if kept else declared
        case T.TList(d, n), T.TList(e, m):
            return T.TList(meet(d, e), _tighter(n, m))
        case T.TSet(d, n), T.TSet(e, m):
            return T.TSet(meet(d, e), _tighter(n, m))
        case T.TTuple(ds), T.TTuple(es) if len(ds) == len(es):
            return T.TTuple(tuple(map(meet, ds, es)))
        case T.TRecord(), T.TRecord() if sorted(declared.names) == sorted(inferred.names):
            return T.TRecord(tuple((n, meet(ft, inferred.field(n))) for n, ft in declared.fields))
    return declared


def _tighter(a: T.Interval, b: T.Interval) -> T.Interval:
    """`a` intersected with `b`; `a` itself when they do not meet (nothing to narrow to)."""
    both = a.intersect(b)
    return a if both.empty else both


def _chars(declared: T.TStr, inferred: T.TStr) -> tuple[frozenset[str] | None, str | None]:
    """The common character set, written as the side it equals when it equals one."""
    if inferred.chars is None:
        return declared.chars, declared.chars_src
    if declared.chars is None or inferred.chars < declared.chars:
        return inferred.chars, inferred.chars_src
    if declared.chars <= inferred.chars:
        return declared.chars, declared.chars_src
    both = declared.chars & inferred.chars
    return (both, None) if both else (declared.chars, declared.chars_src)
