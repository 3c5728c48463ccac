"""Generic environments (docs/language.md §4 "Type parameters"): checking an env's
type parameters once under their bounds, and building its instances.

An instance is the env's declaration with every type parameter replaced by a
written-out type, checked like any env: the runtime and the code generator see
an ordinary env, so `load()` and compiled packages stay one implementation. The
standalone env is the instance at the defaults, under the env's own name, so a
spec that makes an env generic with defaults equal to its old types keeps its
instances' bytes."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator

from racesdsl.check.builtins_types import is_num, orderable
from racesdsl.check.envs import check_env
from racesdsl.check.exprs import infer
from racesdsl.check.resolve import ModuleScope
from racesdsl.check.typeexpr import TypeContext, resolve_type
from racesdsl.diagnostics import Diagnostic, did_you_mean, error
from racesdsl.ir import EnvInfo, GenericInfo, TypeParamInfo
from racesdsl.runtime import types as T
from racesdsl.syntax import ast as A
from racesdsl.syntax.reserved import BOUNDS

BOUND_HELP = {"Eq": "values compared with `==`", "Ord": "numbers, strings, enums, booleans and lists or tuples of them",
               "Num": "Int or Float"}


@dataclasses.dataclass(frozen=True)
class TVar(T.TAny):
    """A type parameter while its env is checked generically: it fits everywhere, like an
    unknown type, and `requirements` finds the operations applied to it."""

    name: str = ""
    bound: str = "Any"


def satisfies(t: T.TType, bound: str) -> bool:
    """Whether values of `t` support what `bound` promises."""
    if bound in ("Any", "Eq") or isinstance(t, T.TAny):
        return True
    if bound == "Num":
        return is_num(t)
    return orderable(t, t) and not isinstance(t, T.TSet)


def check_generic(decl: A.EnvDecl, scope: ModuleScope, diags: list[Diagnostic]) -> EnvInfo:
    """The standalone env of a generic declaration (the instance at the defaults, or, when a
    parameter has none, the generic env itself, which only a composition can use)."""
    params = _type_params(decl, scope, diags)
    tvars: dict[str, T.TType] = {p.name: TVar(p.name, p.bound) for p in params}
    generic = GenericInfo(decl, params)
    standalone = generic.samplable
    shape = check_env(decl, scope, [] if standalone else diags, tvars)
    generic.shape = shape
    _check_requirements(decl, shape, params, diags)
    if not standalone:
        return dataclasses.replace(shape, generic=generic)
    defaults = {p.decl.name: p.decl.default for p in params}
    info = check_env(substitute(decl, defaults), scope, diags)
    return dataclasses.replace(info, generic=generic, type_args=tuple(p.default for p in params))


def _type_params(decl: A.EnvDecl, scope: ModuleScope, diags: list[Diagnostic]) -> tuple[TypeParamInfo, ...]:
    out: list[TypeParamInfo] = []
    seen: set[str] = {p.name for p in decl.params} | {i.name for i in decl.inputs}
    for tp in decl.type_params:
        if tp.name in seen:
            diags.append(error("E0325", f"`{tp.name}` is declared twice in env `{decl.name}`", tp.span,
                               "give the type parameter its own name, e.g. `T`"))
            continue
        seen.add(tp.name)
        bound = tp.bound or "Any"
        if bound not in BOUNDS:
            diags.append(error("E0325", f"unknown bound `{bound}` for type parameter `{tp.name}`", tp.span,
                               did_you_mean(bound, BOUNDS) or "bounds are Any, Eq, Ord and Num"))
            bound = "Any"
        default = None
        if tp.default is not None:
            default = resolve_type(tp.default, TypeContext(scope, {}, frozenset(), diags))
            if not satisfies(default, bound):
                diags.append(error("E0325", f"the default {T.show(default)} of `{tp.name}` is not {bound}",
                                   tp.default.span, f"{bound} allows {BOUND_HELP[bound]}"))
        out.append(TypeParamInfo(tp.name, bound, default, tp))
    return tuple(out)


# --------------------------------------------------------------- requirements

_ORD_CALLS, _NUM_CALLS, _EQ_CALLS = {"sorted", "min", "max"}, {"sum", "abs", "gcd", "lcm"}, {"count", "unique"}
_NEED = {"Eq": 1, "Ord": 2, "Num": 3, "Any": 0}


def _vars(t: T.TType) -> set[str]:
    match t:
        case TVar(name=name):
            return {name}
        case T.TList(elem=e) | T.TSet(elem=e):
            return _vars(e)
        case T.TTuple(items=items):
            return set().union(*map(_vars, items)) if items else set()
        case T.TRecord(fields=fields):
            return set().union(*(_vars(ft) for _, ft in fields)) if fields else set()
    return set()


def _children(node: object) -> Iterator[A.Expr]:
    for f in dataclasses.fields(node):  # type: ignore[arg-type]
        value = getattr(node, f.name)
        for item in value if isinstance(value, tuple) else (value,):
            if dataclasses.is_dataclass(item) and not isinstance(item, A.Span):
                yield item


def _uses(expr: A.Expr, scope: dict[str, T.TType]) -> Iterator[tuple[str, set[str], A.Expr, str]]:
    """(bound needed, type parameters it applies to, where, what) for each operation in `expr`."""
    stack = [expr]
    while stack:
        node = stack.pop()
        stack.extend(_children(node))
        def types(*xs: A.Expr) -> set[str]:
            return set().union(*(_vars(infer(x, scope, [])) for x in xs))
        match node:
            case A.Call(func=func, args=args) if func in _ORD_CALLS | _NUM_CALLS | _EQ_CALLS:
                need = "Ord" if func in _ORD_CALLS else "Num" if func in _NUM_CALLS else "Eq"
                yield need, types(*args), node, f"`{func}`"
            case A.Compare(ops=ops, operands=operands):
                need = "Ord" if any(op in ("<", ">", "<=", ">=") for op in ops) else "Eq"
                yield need, types(*operands), node, "comparing"
            case A.BinOp(op=op, left=left, right=right):
                direct = {v for x in (left, right) if isinstance(t := infer(x, scope, []), TVar) for v in _vars(t)}
                yield "Num", direct, node, f"`{op}`"
            case A.UnaryOp(operand=x) if isinstance(t := infer(x, scope, []), TVar):
                yield "Num", {t.name}, node, "negating"


def _check_requirements(decl: A.EnvDecl, shape: EnvInfo, params: tuple[TypeParamInfo, ...],
                        diags: list[Diagnostic]) -> None:
    """E0323 where `solve` or `where` does more with a type parameter than its bound allows."""
    scope: dict[str, T.TType] = {i.name: i.type for i in shape.inputs}
    scope.update({p.name: p.type for p in shape.params.values()})
    bounds = {p.name: p.bound for p in params}
    exprs = [w.expr for w in decl.clauses_of(A.WhereClause)]
    exprs += [s.body for s in decl.clauses_of(A.SolveClause) if not isinstance(s.body, A.PythonRef)]
    reported: set[str] = set()
    for expr in exprs:
        for need, names, node, what in _uses(expr, scope):
            for name in sorted(names - reported):
                if _NEED[need] > _NEED[bounds[name]]:
                    reported.add(name)
                    diags.append(error(
                        "E0323", f"{what} needs `{name}` to be {need}, but `{name}` is declared {bounds[name]}",
                        node.span, f"declare `{name}: {need}` in `env {decl.name}[...]`",
                        f"{need} allows {BOUND_HELP[need]}"))


# ------------------------------------------------------------------ instances


def substitute(decl: A.EnvDecl, args: dict[str, A.TypeExpr]) -> A.EnvDecl:
    """`decl` with each type parameter replaced by its written type."""
    def sub(t: A.TypeExpr) -> A.TypeExpr:
        match t:
            case A.NamedType(name=(name,)) if name in args:
                return args[name]
            case A.ListType() | A.SetType():
                return dataclasses.replace(t, elem=sub(t.elem))
            case A.TupleType(items=items):
                return dataclasses.replace(t, items=tuple(map(sub, items)))
            case A.RecordType(fields=fields):
                return dataclasses.replace(t, fields=tuple(dataclasses.replace(f, type=sub(f.type)) for f in fields))
        return t

    clauses = tuple(dataclasses.replace(c, type=sub(c.type)) if isinstance(c, (A.InputClause, A.OutputClause,
                                                                               A.ParamClause)) else c
                    for c in decl.clauses)
    return dataclasses.replace(decl, clauses=clauses)


def _number(v: T.Number) -> A.Expr:
    lit = A.IntLit(abs(v)) if isinstance(v, int) else A.FloatLit(abs(v))
    return A.UnaryOp("-", lit) if v < 0 else lit


def _bounds(r: T.Interval) -> dict:
    lo = None if r.lo in (-T.INF, T.INF) else _number(r.lo)
    hi = None if r.hi in (-T.INF, T.INF) else _number(r.hi)
    return {"lo": lo, "hi": hi, "bounded": lo is not None or hi is not None}


def _length(r: T.Interval) -> A.LenSpec | None:
    if r == T.NAT:
        return None
    if r.lo == r.hi:
        return A.LenSpec(_number(r.lo), _number(r.lo), True)
    return A.LenSpec(_number(r.lo), None if r.hi == T.INF else _number(r.hi), False)


def written(t: T.TType) -> A.TypeExpr | None:
    """A type expression that reads back as `t` in any module (no aliases), or None for
    a type that has none (an unknown type)."""
    match t:
        case T.TAny():
            return None
        case T.TInt(range=r):
            return A.IntType(**_bounds(r))
        case T.TFloat(range=r):
            return A.FloatType(**_bounds(r))
        case T.TBool():
            return A.BoolType()
        case T.TStr(length=ln, chars=chars, chars_src=src):
            return A.StrType(_length(ln), None if chars is None else src or "".join(sorted(chars)))
        case T.TEnum(values=values):
            return A.EnumType(values)
        case T.TList(elem=e, length=ln) | T.TSet(elem=e, length=ln):
            inner = written(e)
            if inner is None:
                return None
            return (A.ListType if isinstance(t, T.TList) else A.SetType)(inner, _length(ln))
        case T.TTuple(items=items):
            parts = [written(i) for i in items]
            return None if any(p is None for p in parts) else A.TupleType(tuple(parts))
        case T.TRecord(fields=fields):
            parts = [(n, written(ft)) for n, ft in fields]
            return None if any(p is None for _, p in parts) else A.RecordType(
                tuple(A.FieldDecl(n, p) for n, p in parts))
    return None


def unify(pattern: A.TypeExpr, t: T.TType, names: frozenset[str], found: dict[str, T.TType]) -> str | None:
    """Bind the type parameters in a written input type to what `t` has in their place;
    why they cannot be bound (the shapes differ), or None."""
    match pattern:
        case A.NamedType(name=(name,)) if name in names:
            if isinstance(t, T.TAny):
                return None
            if name in found and found[name] != t:
                joined = T.join(found[name], t)
                if isinstance(joined, T.TAny):
                    return f"`{name}` would be both {T.show(found[name])} and {T.show(t)}"
                t = joined
            found[name] = t
            return None
        case A.ListType(elem=e) | A.SetType(elem=e):
            kind = T.TList if isinstance(pattern, A.ListType) else T.TSet
            if isinstance(t, kind):
                return unify(e, t.elem, names, found)
            return None if isinstance(t, T.TAny) else f"it is not a {'list' if kind is T.TList else 'set'}"
        case A.TupleType(items=items):
            if isinstance(t, T.TTuple) and len(t.items) == len(items):
                return next((w for p, x in zip(items, t.items, strict=True) if (w := unify(p, x, names, found))), None)
            return None if isinstance(t, T.TAny) else f"it is not a tuple of {len(items)} items"
        case A.RecordType(fields=fields):
            if isinstance(t, T.TRecord) and all(t.field(f.name) is not None for f in fields):
                return next((w for f in fields if (w := unify(f.type, t.field(f.name), names, found))), None)
            return None if isinstance(t, T.TAny) else "it is not a record with these fields"
    return None


def instance_name(env: EnvInfo, args: tuple[T.TType, ...]) -> str:
    """`module.take_first@<digest>`: deterministic, and no two type arguments share it."""
    text = "\n".join(T.show(a) for a in args)
    return f"{env.module.name}.{env.name}@{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}"


def instantiate(env: EnvInfo, args: tuple[T.TType, ...], diags: list[Diagnostic]) -> EnvInfo | None:
    """`env` at `args` (checked afresh; its problems go to `diags`), None if an argument
    cannot be written out."""
    assert env.generic is not None
    if args == env.type_args:
        return env
    texprs = [written(a) for a in args]
    if any(t is None for t in texprs):
        return None
    decl = substitute(env.generic.decl, {p.name: t for p, t in zip(env.generic.params, texprs, strict=True)})
    info = check_env(decl, env.module, diags, qualname=instance_name(env, args))
    return dataclasses.replace(info, generic=env.generic, type_args=args)
