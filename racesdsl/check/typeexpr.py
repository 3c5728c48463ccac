"""Turn written types into semantic types, evaluating param-dependent bounds.

A bound such as `Int[1..hi]` or `len=k..12` is evaluated with interval
arithmetic over the params' ranges. On the producing side a bound is widened
over those ranges; on the receiving side of a fusion, bounds that mention a
param listed in `narrow` take the narrowest value instead (docs §3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from racesdsl.check.resolve import ModuleScope
from racesdsl.diagnostics import Diagnostic, did_you_mean, error
from racesdsl.runtime import types as T
from racesdsl.syntax import ast as A


@dataclass
class TypeContext:
    """Where a type is read: its module, the params in force and how to read them."""

    scope: ModuleScope
    params: Mapping[str, T.Interval] = field(default_factory=dict)
    narrow: frozenset[str] = frozenset()
    diags: list[Diagnostic] | None = None  # None: evaluate silently (already reported)
    poisoned: frozenset[str] = frozenset()  # params whose own declaration failed

    def report(self, d: Diagnostic) -> None:
        if self.diags is not None:
            self.diags.append(d)

    def with_params(self, params: Mapping[str, T.Interval], narrow: frozenset[str] = frozenset(),
                    report: bool = False) -> TypeContext:
        return TypeContext(self.scope, params, narrow, self.diags if report else None, self.poisoned)


class _Unknown(Exception):
    """A bound reads a param whose declaration already failed: the type is unknown."""


def bound_names(expr: A.Expr | None) -> set[str]:
    """Names a bound expression reads (bounds are arithmetic over params)."""
    match expr:
        case None:
            return set()
        case A.Name(id=name):
            return {name}
        case A.UnaryOp(operand=x):
            return bound_names(x)
        case A.BinOp(left=left, right=right):
            return bound_names(left) | bound_names(right)
    return set()


def type_names(texpr: A.TypeExpr) -> set[str]:
    """Every name used in the bounds of a written type (for param dependencies)."""
    match texpr:
        case A.IntType(lo=lo, hi=hi) | A.FloatType(lo=lo, hi=hi):
            return bound_names(lo) | bound_names(hi)
        case A.StrType(length=ln):
            return _len_names(ln)
        case A.ListType(elem=e, length=ln) | A.SetType(elem=e, length=ln):
            return type_names(e) | _len_names(ln)
        case A.TupleType(items=items):
            return set().union(*(type_names(i) for i in items)) if items else set()
        case A.RecordType(fields=fields):
            return set().union(*(type_names(f.type) for f in fields)) if fields else set()
    return set()


def _len_names(ln: A.LenSpec | None) -> set[str]:
    return set() if ln is None else bound_names(ln.lo) | bound_names(ln.hi)


def eval_bound(expr: A.Expr, ctx: TypeContext) -> T.Interval | None:
    """The interval of values a bound expression takes over the param ranges."""
    match expr:
        case A.IntLit(value=v) | A.FloatLit(value=v):
            return T.Interval.point(v)
        case A.Name(id=name):
            if name in ctx.params:
                return ctx.params[name]
            if name in ctx.poisoned:
                raise _Unknown(name)
            ctx.report(error("E0501", f"unknown name `{name}` in a bound", expr.span,
                             did_you_mean(name, list(ctx.params)), "bounds may only use the env's numeric params"))
            return None
        case A.UnaryOp(op="-", operand=x):
            inner = eval_bound(x, ctx)
            return None if inner is None else -inner
        case A.UnaryOp(op="+", operand=x):
            return eval_bound(x, ctx)
        case A.BinOp(op=op, left=left, right=right) if op in ("+", "-", "*"):
            a, b = eval_bound(left, ctx), eval_bound(right, ctx)
            if a is None or b is None:
                return None
            return a + b if op == "+" else a - b if op == "-" else a * b
    ctx.report(error("E0301", "a bound must be arithmetic over numbers and params (+, -, *)", expr.span))
    return None


def _pick(expr: A.Expr | None, ctx: TypeContext, upper: bool) -> T.Number | None:
    """One end of a range: widest by default, narrowest when it reads a narrowed param."""
    if expr is None:
        return None
    value = eval_bound(expr, ctx)
    if value is None:
        return None
    narrow = bool(bound_names(expr) & ctx.narrow)
    if upper:
        return value.lo if narrow else value.hi
    return value.hi if narrow else value.lo


def _range(lo: A.Expr | None, hi: A.Expr | None, ctx: TypeContext, span: A.Span,
           integral: bool) -> T.Interval:
    low, high = _pick(lo, ctx, upper=False), _pick(hi, ctx, upper=True)
    out = T.Interval(-T.INF if low is None else low, T.INF if high is None else high)
    if integral and any(isinstance(x, float) and x not in (T.INF, -T.INF) for x in (out.lo, out.hi)):
        ctx.report(error("E0301", "Int bounds must be integers", span, "use Float[...] for fractional bounds"))
    if out.empty and not ctx.narrow:
        ctx.report(error("E0301", f"empty range {out.show()}: the lower bound exceeds the upper", span))
    return out


def _length(ln: A.LenSpec | None, ctx: TypeContext) -> T.Interval:
    if ln is None:
        return T.NAT
    out = _range(ln.lo, ln.hi, ctx, ln.span, integral=True)
    if out.hi < 0:
        ctx.report(error("E0301", "a length cannot be negative", ln.span))
    return T.Interval(max(0, out.lo), out.hi)


def resolve_type(texpr: A.TypeExpr, ctx: TypeContext, _seen: tuple[str, ...] = ()) -> T.TType:
    """Evaluate a written type; errors are reported once and give `TAny`."""
    try:
        return _resolve(texpr, ctx, _seen)
    except _Unknown:
        return T.TAny()


def _resolve(texpr: A.TypeExpr, ctx: TypeContext, _seen: tuple[str, ...]) -> T.TType:
    match texpr:
        case A.IntType(lo=lo, hi=hi):
            return T.TInt(_range(lo, hi, ctx, texpr.span, integral=True))
        case A.FloatType(lo=lo, hi=hi):
            return T.TFloat(_range(lo, hi, ctx, texpr.span, integral=False))
        case A.BoolType():
            return T.TBool()
        case A.StrType(length=ln, chars=chars):
            charset = None
            if chars is not None:
                charset = T.parse_char_class(chars)
                if charset is None:
                    ctx.report(error("E0301", f'malformed character class "{chars}"', texpr.span,
                                     'write ranges as `a-z` and single characters as themselves'))
            return T.TStr(_length(ln, ctx), charset, chars)
        case A.EnumType(values=values):
            if len(set(values)) != len(values):
                dup = next(v for v in values if values.count(v) > 1)
                ctx.report(error("E0301", f'duplicate literal "{dup}" in Enum', texpr.span))
            return T.TEnum(tuple(dict.fromkeys(values)))
        case A.ListType(elem=e, length=ln):
            return T.TList(_resolve(e, ctx, _seen), _length(ln, ctx))
        case A.SetType(elem=e, length=ln):
            return T.TSet(_resolve(e, ctx, _seen), _length(ln, ctx))
        case A.TupleType(items=items):
            return T.TTuple(tuple(_resolve(i, ctx, _seen) for i in items))
        case A.RecordType(fields=fields):
            names = [f.name for f in fields]
            for f in fields:
                if names.count(f.name) > 1:
                    ctx.report(error("E0301", f"duplicate field `{f.name}` in record type", f.span))
                    break
            return T.TRecord(tuple((f.name, _resolve(f.type, ctx, _seen)) for f in fields))
        case A.NamedType(name=name):
            return _alias(texpr, name, ctx, _seen)
    raise TypeError(f"not a type expression: {texpr!r}")


def _alias(texpr: A.NamedType, name: tuple[str, ...], ctx: TypeContext, seen: tuple[str, ...]) -> T.TType:
    sym = ctx.scope.lookup(name)
    dotted = ".".join(name)
    if sym is not None and sym.kind == "error":
        return T.TAny()
    if sym is None:
        ctx.report(error("E0202", f"unknown type `{dotted}`", texpr.span,
                         did_you_mean(dotted, ctx.scope.visible_names(("type",)))))
        return T.TAny()
    if sym.kind != "type":
        ctx.report(error("E0202", f"`{dotted}` is {'a module' if sym.kind == 'module' else 'an ' + sym.kind}, not a type",
                         texpr.span))
        return T.TAny()
    if sym.qualname in seen:
        ctx.report(error("E0301", f"type alias `{dotted}` refers to itself", texpr.span))
        return T.TAny()
    # Aliases are module-level: they see no params, and are reported where declared.
    inner = TypeContext(sym.module, {}, frozenset(), None)
    return resolve_type(sym.decl.type, inner, seen + (sym.qualname,))
