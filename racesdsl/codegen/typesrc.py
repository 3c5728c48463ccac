"""Written types -> Python source that builds the semantic type at run time.

Bounds that mention params become arithmetic over `p["name"]`, so a generated
env evaluates its types at the params of each instance exactly as the checker
evaluates them at point ranges. Aliases are inlined.

A type that reads earlier inputs or draws (a dependent shape) becomes a function of
`p` holding them too, through `runtime.derived` (imported as `_dep`): the same source
gives the concrete type at the values and the signature type at their types."""

from __future__ import annotations

from racesdsl.check.resolve import ModuleScope
from racesdsl.codegen.pyexpr import to_python
from racesdsl.syntax import ast as A

_NO_DEPS: frozenset[str] = frozenset()

TYPE_NAMES = ("INF", "Interval", "TBool", "TEnum", "TFloat", "TInt", "TList", "TMap", "TOptional", "TRecord",
              "TSet", "TStr", "TTuple", "parse_char_class")
DIST_NAMES = ("Bernoulli", "Choice", "LogUniform", "Weights")


def _bound_names(expr: A.Expr) -> set[str]:
    """The params a bound reads; anything but arithmetic is a checker bug."""
    match expr:
        case A.IntLit() | A.FloatLit():
            return set()
        case A.Name(id=name):
            return {name}
        case A.UnaryOp(op="+" | "-", operand=x):
            return _bound_names(x)
        case A.BinOp(left=left, right=right):
            return _bound_names(left) | _bound_names(right)
        case A.Call(func="len", args=(A.Name(id=name),), keywords=()):
            return {name}
    raise ValueError(f"not a bound expression: {expr!r}")  # the checker rejected it already


def _lengths_as_names(expr: A.Expr) -> A.Expr:
    """`len(xs)` as the name `__len_xs`, which `free` maps to its source as a whole."""
    match expr:
        case A.Call(func="len", args=(A.Name(id=name),), keywords=()):
            return A.Name(f"__len_{name}", span=expr.span)
        case A.UnaryOp(op=op, operand=x):
            return A.UnaryOp(op, _lengths_as_names(x), span=expr.span)
        case A.BinOp(op=op, left=left, right=right):
            return A.BinOp(op, _lengths_as_names(left), _lengths_as_names(right), span=expr.span)
    return expr


def bound_source(expr: A.Expr | None, missing: str, deps: frozenset[str] = _NO_DEPS) -> str:
    """Python arithmetic over `p["name"]`, parenthesised only where precedence needs it and
    with runs of signs folded (`- - -1` is `-1`), so legal bounds stay within Python's nesting limits."""
    if expr is None:
        return missing
    free = {n: f"p[{n!r}]" for n in _bound_names(expr)}
    if deps & set(free):
        free.update({n: f"_dep.num(p[{n!r}])" for n in deps})
        free.update({f"__len_{n}": f"_dep.size(p[{n!r}])" for n in deps})
        expr = _lengths_as_names(expr)
    return to_python(expr, free=free)


def _interval(lo: A.Expr | None, hi: A.Expr | None, deps: frozenset[str] = _NO_DEPS) -> str:
    if deps & (_bound_names(lo) if lo else set()) | deps & (_bound_names(hi) if hi else set()):
        return f"_dep.interval({bound_source(lo, '-INF', deps)}, {bound_source(hi, 'INF', deps)})"
    return f"Interval({bound_source(lo, '-INF')}, {bound_source(hi, 'INF')})"


def _length(ln: A.LenSpec | None, deps: frozenset[str] = _NO_DEPS) -> str:
    if ln is None:
        return "Interval(0, INF)"
    if deps & (_bound_names(ln.lo) | (_bound_names(ln.hi) if ln.hi else set())):
        return f"_dep.length({bound_source(ln.lo, '0', deps)}, {bound_source(ln.hi, 'INF', deps)})"
    lo = bound_source(ln.lo, "0")
    if not (isinstance(ln.lo, A.IntLit) and ln.lo.value >= 0):
        lo = f"max(0, {lo})"
    return f"Interval({lo}, {bound_source(ln.hi, 'INF')})"


def type_source(texpr: A.TypeExpr, scope: ModuleScope, deps: frozenset[str] = _NO_DEPS) -> str:
    """Python source of a constructor call; reads params (and the earlier inputs and draws
    in `deps`) from a mapping named `p`."""
    match texpr:
        case A.IntType(lo=lo, hi=hi):
            return f"TInt({_interval(lo, hi, deps)})"
        case A.FloatType(lo=lo, hi=hi):
            return f"TFloat({_interval(lo, hi, deps)})"
        case A.BoolType():
            return "TBool()"
        case A.StrType(length=ln, chars=chars):
            charset = "None" if chars is None else f"parse_char_class({chars!r})"
            return f"TStr({_length(ln, deps)}, {charset}, {chars!r})"
        case A.EnumType(values=values):
            return f"TEnum({tuple(dict.fromkeys(values))!r})"
        case A.ListType(elem=e, length=ln, distinct=distinct):
            return f"TList({type_source(e, scope, deps)}, {_length(ln, deps)}{', True' if distinct else ''})"
        case A.SetType(elem=e, length=ln):
            return f"TSet({type_source(e, scope, deps)}, {_length(ln, deps)})"
        case A.MapType(key=k, value=v, length=ln):
            return f"TMap({type_source(k, scope, deps)}, {type_source(v, scope, deps)}, {_length(ln, deps)})"
        case A.OptionalType(inner=i):
            return f"TOptional({type_source(i, scope, deps)})"
        case A.TupleType(items=items):
            inner = ", ".join(type_source(i, scope, deps) for i in items)
            return f"TTuple(({inner}{',' if len(items) == 1 else ''}))"
        case A.RecordType(fields=fields):
            inner = ", ".join(f"({f.name!r}, {type_source(f.type, scope, deps)})" for f in fields)
            return f"TRecord(({inner}{',' if len(fields) == 1 else ''}))"
        case A.NamedType(name=name):
            sym = scope.lookup(name)
            return type_source(sym.decl.type, sym.module)
        case A.OneOfType(name=name):  # the element type of the data's List or Set
            sym = scope.lookup(name)
            collection, module = sym.decl.type, sym.module
            while isinstance(collection, A.NamedType):
                alias = module.lookup(collection.name)
                collection, module = alias.decl.type, alias.module
            return type_source(collection.elem, module)
    raise ValueError(f"not a type expression: {texpr!r}")


def dist_source(dist: A.Distribution) -> str:
    """Python source of an input's distribution (runtime/distributions.py); p reads params like bounds."""
    match dist.kind:
        case "weights":
            weights = "".join(bound_source(w, "0") + ", " for w in dist.args)
            return f"Weights(({weights}))"
        case "bernoulli":
            return f"Bernoulli({bound_source(dist.args[0], '0')})"
    return "LogUniform()"
