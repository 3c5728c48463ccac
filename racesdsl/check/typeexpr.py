"""Turn written types into semantic types, evaluating param-dependent bounds.

A bound such as `Int[1..hi]` or `len=k..12` is evaluated with interval
arithmetic over the params' ranges. On the producing side a bound is widened
over those ranges; on the receiving side of a fusion, bounds that mention a
param listed in `narrow` take the narrowest value instead (docs §3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from racesdsl.check.resolve import ModuleScope, Symbol
from racesdsl.diagnostics import Diagnostic, did_you_mean, error
from racesdsl.runtime import types as T
from racesdsl.runtime.limits import MAX_BOUND, MAX_TYPE_DEPTH, MAX_TYPE_NODES, extent
from racesdsl.runtime.values import domain_size
from racesdsl.syntax import ast as A


@dataclass
class TypeContext:
    """Where a type is read: its module, the params in force and how to read them."""

    scope: ModuleScope
    params: Mapping[str, T.Interval] = field(default_factory=dict)
    narrow: frozenset[str] = frozenset()
    diags: list[Diagnostic] | None = None  # None: evaluate silently (already reported)
    poisoned: frozenset[str] = frozenset()  # params whose own declaration failed
    known: frozenset[str] = frozenset()  # every param of the env, for did-you-mean help
    lengths: Mapping[str, T.Interval] = field(default_factory=dict)  # earlier sized inputs/draws: `len(xs)`
    blocked: Mapping[str, tuple[str, str, str | None]] = field(default_factory=dict)  # name -> (code, why, help)
    tvars: Mapping[str, T.TType] = field(default_factory=dict)  # a generic env's type parameters

    def report(self, d: Diagnostic) -> None:
        if self.diags is not None:
            self.diags.append(d)

    def with_params(self, params: Mapping[str, T.Interval], narrow: frozenset[str] = frozenset(),
                    report: bool = False) -> TypeContext:
        return TypeContext(self.scope, params, narrow, self.diags if report else None, self.poisoned, self.known,
                           self.lengths, self.blocked, self.tvars)


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
        case A.Call(func="len", args=(A.Name(id=name),), keywords=()):
            return {name}
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
        case A.MapType(key=k, value=v, length=ln):
            return type_names(k) | type_names(v) | _len_names(ln)
        case A.OptionalType(inner=i):
            return type_names(i)
        case A.RecordType(fields=fields):
            return set().union(*(type_names(f.type) for f in fields)) if fields else set()
    return set()


def _len_names(ln: A.LenSpec | None) -> set[str]:
    return set() if ln is None else bound_names(ln.lo) | bound_names(ln.hi)


def eval_bound(expr: A.Expr, ctx: TypeContext) -> T.Interval | None:
    """The interval of values a bound expression takes over the param ranges."""
    value = _eval_bound(expr, ctx)
    if value is not None and any(isinstance(x, int) and abs(x) > MAX_BOUND for x in (value.lo, value.hi)):
        ctx.report(error("E0109", "this integer bound is too large", expr.span,
                         "integer bounds of a type lie within -2**256..2**256"))
        raise _Unknown("bound")
    return value


def bound_interval(expr: A.Expr, ctx: TypeContext) -> T.Interval | None:
    """`eval_bound`, or None once reported when the bound reads an unknown or failed param."""
    try:
        return eval_bound(expr, ctx)
    except _Unknown:
        return None


def _eval_bound(expr: A.Expr, ctx: TypeContext) -> T.Interval | None:
    match expr:
        case A.IntLit(value=v) | A.FloatLit(value=v):
            return T.Interval.point(v)
        case A.Name(id=name):
            if name in ctx.params:
                return ctx.params[name]
            if name in ctx.poisoned:
                raise _Unknown(name)
            if name in ctx.blocked:
                code, why, fix = ctx.blocked[name]
                ctx.report(error(code, why, expr.span, fix))
                raise _Unknown(name)
            ctx.report(error("E0501", f"unknown name `{name}` in a bound", expr.span,
                             did_you_mean(name, [*ctx.params, *ctx.known]),
                             "bounds may only use the env's numeric params"))
            raise _Unknown(name)  # reported: the type is unknown, not unbounded
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
        case A.Call(func="len", args=(A.Name(id=name) as arg,), keywords=()) if ctx.lengths or ctx.blocked:
            if name in ctx.lengths:
                return ctx.lengths[name]
            code, why, fix = ctx.blocked.get(name, ("E0334", f"`len({name})` needs an earlier input or draw "
                                                             "that is a list, a set or a string", None))
            ctx.report(error(code, why, arg.span, fix))
            raise _Unknown(name)
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
        if ctx.diags is not None:  # reported: the type is unknown, so nothing computes with an empty range
            raise _Unknown("empty")
    return out


def _length(ln: A.LenSpec | None, ctx: TypeContext) -> T.Interval:
    if ln is None:
        return T.NAT
    out = _range(ln.lo, ln.hi, ctx, ln.span, integral=True)
    if out.hi < 0:
        ctx.report(error("E0301", "a length cannot be negative", ln.span))
    return T.Interval(max(0, out.lo), out.hi)


def resolve_type(texpr: A.TypeExpr, ctx: TypeContext) -> T.TType:
    """Evaluate a written type; errors are reported once and give `TAny`."""
    try:
        return _resolve(texpr, ctx)
    except _Unknown:
        return T.TAny()


def _resolve(texpr: A.TypeExpr, ctx: TypeContext) -> T.TType:
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
        case A.ListType(elem=e, length=ln, distinct=distinct):
            elem, length = _resolve(e, ctx), _length(ln, ctx)
            if distinct:
                _check_arrangeable(texpr, elem, length, ctx)
            return T.TList(elem, length, distinct)
        case A.SetType(elem=e, length=ln):
            elem, length = _resolve(e, ctx), _length(ln, ctx)
            _check_distinct(texpr, elem, length, ctx)
            return T.TSet(elem, length)
        case A.TupleType(items=items):
            return T.TTuple(tuple(_resolve(i, ctx) for i in items))
        case A.MapType(key=k, value=v, length=ln):
            return _map(texpr, _resolve(k, ctx), _resolve(v, ctx), _length(ln, ctx), ctx)
        case A.OptionalType(inner=i):
            inner = _resolve(i, ctx)
            if isinstance(inner, T.TOptional):
                ctx.report(error("E0337", f"Optional[{T.show(inner)}] nests an Optional in an Optional", texpr.span,
                                 f"`null` cannot tell the two apart: write {T.show(inner)}"))
                return inner
            return T.TOptional(inner)
        case A.RecordType(fields=fields):
            names = [f.name for f in fields]
            for f in fields:
                if names.count(f.name) > 1:
                    ctx.report(error("E0301", f"duplicate field `{f.name}` in record type", f.span))
                    break
            return T.TRecord(tuple((f.name, _resolve(f.type, ctx)) for f in fields))
        case A.NamedType(name=(name,)) if name in ctx.tvars:
            return ctx.tvars[name]
        case A.NamedType(name=name):
            return _alias(texpr, name, ctx)
        case A.OneOfType(name=name):  # an input's whole type is read by check.data.one_of instead
            ctx.report(error("E0210", f"`OneOf[{'.'.join(name)}]` can only be the whole type of an input",
                             texpr.span, "declare `input x: OneOf[...]`; elsewhere write the element type"))
            return T.TAny()
    raise TypeError(f"not a type expression: {texpr!r}")


def _check_distinct(texpr: A.SetType, elem: T.TType, length: T.Interval, ctx: TypeContext) -> None:
    """E0301 when a set must hold more elements than its element type has values: no
    sampler or solver could produce it (`Set[Int[0..1], len=5]`). The required length
    is the largest the `len=` lower bound takes over the params."""
    if ctx.diags is None or texpr.length is None or isinstance(elem, T.TAny):
        return
    low = eval_bound(texpr.length.lo, ctx.with_params(ctx.params, ctx.narrow))  # silent: reported above
    need = length.lo if low is None or ctx.narrow else max(length.lo, low.hi)
    size = domain_size(elem, any_chars=True)
    if need > size:
        ctx.report(error("E0301", f"a set of {T.show(elem)} needs at least {need} distinct elements, "
                         f"but {T.show(elem)} has only {size} value{'s' * (size != 1)}", texpr.span,
                         f"a set of {T.show(elem)} holds at most {size} element{'s' * (size != 1)}: "
                         f"make `len=` at most {size}" + (" over every value of the params it reads"
                                                           if bound_names(texpr.length.lo) else "")))


def _check_arrangeable(texpr: A.ListType, elem: T.TType, length: T.Interval, ctx: TypeContext) -> None:
    """E0343 when a distinct list may be longer (at its longest over the params) than its
    element type has values: it could not be sampled without repeating one."""
    need = length.hi if length.bounded else length.lo
    size = domain_size(elem, any_chars=True)
    if not isinstance(elem, T.TAny) and need > size:
        ctx.report(error("E0343", f"a distinct list of {T.show(elem)} can be {need} long, but "
                         f"{T.show(elem)} has only {size} value{'s' * (size != 1)}", texpr.span,
                         f"make `len=` at most {size}, or widen the element type"))
MAP_KEYS = (T.TInt, T.TStr, T.TEnum)
"""Map keys: JSON object keys are strings, so a key is a string or an integer written as one."""


def _map(texpr: A.MapType, key: T.TType, value: T.TType, length: T.Interval, ctx: TypeContext) -> T.TType:
    """`Map[K, V]`: E0335 unless K is Int, Str or Enum; E0338 when `len=` needs more keys than K has."""
    if not isinstance(key, (*MAP_KEYS, T.TAny)):
        ctx.report(error("E0335", f"a Map key must be Int, Str or Enum, not {T.show(key)}", texpr.key.span,
                         "JSON object keys are strings: key a Map by Int, Str or Enum, or use a List of records"))
        raise _Unknown("key")
    if ctx.diags is not None and texpr.length is not None and not isinstance(key, T.TAny):
        size = domain_size(key, any_chars=True)
        if length.lo > size:
            ctx.report(error("E0338", f"a Map keyed by {T.show(key)} needs at least {length.lo} distinct keys, "
                             f"but {T.show(key)} has only {size} value{'s' * (size != 1)}", texpr.span,
                             f"make `len=` at most {size}"))
            raise _Unknown("length")
    return T.TMap(key, value, length)


def _alias(texpr: A.NamedType, name: tuple[str, ...], ctx: TypeContext) -> T.TType:
    sym = ctx.scope.lookup(name)
    dotted = ".".join(name)
    if sym is None:
        ctx.report(error("E0202", f"unknown type `{dotted}`", texpr.span,
                         did_you_mean(dotted, ctx.scope.visible_names(("type",)))))
        return T.TAny()
    if sym.kind == "error":
        return T.TAny()
    if sym.kind != "type":
        ctx.report(error("E0202", f"`{dotted}` is {'a module' if sym.kind == 'module' else 'an ' + sym.kind}, not a type",
                         texpr.span))
        return T.TAny()
    return resolve_aliases(sym, None)


def _alias_refs(texpr: A.TypeExpr) -> list[tuple[str, ...]]:
    """The names of the aliases a written type uses directly."""
    match texpr:
        case A.NamedType(name=name):
            return [name]
        case A.ListType(elem=e) | A.SetType(elem=e) | A.OptionalType(inner=e):
            return _alias_refs(e)
        case A.MapType(key=k, value=v):
            return _alias_refs(k) + _alias_refs(v)
        case A.TupleType(items=items):
            return [n for i in items for n in _alias_refs(i)]
        case A.RecordType(fields=fields):
            return [n for f in fields for n in _alias_refs(f.type)]
    return []


def resolve_aliases(root: Symbol, diags: list[Diagnostic] | None) -> T.TType:
    """The type an alias stands for, resolving the aliases it depends on first,
    each once (the result is kept on its module) and without recursion, so a
    chain of thousands of aliases is fine. A cycle is reported (E0207) and all
    its members stand for `TAny`; so does an alias too large to write out (E0321).
    Aliases are module-level: they see no params, and are reported where declared."""
    stack: list[tuple[Symbol, bool]] = [(root, False)]
    active: dict[str, Symbol] = {}  # on the current path, in order
    while stack:
        sym, expanded = stack.pop()
        table = sym.module.alias_types
        if sym.name in table:
            continue
        if expanded:
            active.pop(sym.qualname, None)
            table[sym.name] = _checked_alias(sym, diags)
            continue
        if sym.qualname in active:  # back on the path: a cycle
            cycle = list(active)[list(active).index(sym.qualname):]
            for member in [active[q] for q in cycle]:
                member.module.alias_types[member.name] = None
            if diags is not None:
                first = active[cycle[0]]
                diags.append(error("E0207", "type aliases form a cycle: " + " -> ".join(
                    [*(q.rsplit(".", 1)[-1] for q in cycle), first.name]), first.decl.span,
                    "give one of them a structural type, e.g. `type A = List[Int[0..9], len=1..3]`"))
            continue
        active[sym.qualname] = sym
        stack.append((sym, True))
        for ref in reversed(_alias_refs(sym.decl.type)):
            dep = sym.module.lookup(ref)
            if dep is not None and dep.kind == "type" and dep.name not in dep.module.alias_types:
                stack.append((dep, False))
    return root.module.alias_types[root.name] or T.TAny()


def _checked_alias(sym: Symbol, diags: list[Diagnostic] | None) -> T.TType | None:
    """The alias's type; None (it failed) if it is too large or uses an alias that failed."""
    for ref in _alias_refs(sym.decl.type):
        dep = sym.module.lookup(ref)
        if dep is not None and dep.kind == "type" and dep.module.alias_types.get(dep.name, 0) is None:
            return None  # reported there
    t = resolve_type(sym.decl.type, TypeContext(sym.module, {}, frozenset(), diags))
    problem = too_large(t)
    if problem is None:
        return t
    if diags is not None:
        diags.append(error("E0321", f"type alias `{sym.name}` {problem}", sym.decl.span,
                           f"a type written out in full may have {MAX_TYPE_NODES:,} parts and nest {MAX_TYPE_DEPTH} deep"))
    return None


def too_large(t: T.TType) -> str | None:
    """Why a type is too large to print, sample or generate code for (E0321), if it is."""
    nodes, depth = extent(t)
    if depth > MAX_TYPE_DEPTH:
        return f"nests {depth} deep"
    if nodes > MAX_TYPE_NODES:
        return f"has {nodes:,} parts when written out"
    return None
