"""Written types -> Python source that builds the semantic type at run time.

Bounds that mention params become arithmetic over `p["name"]`, so a generated
env evaluates its types at the params of each instance exactly as the checker
evaluates them at point ranges. Aliases are inlined."""

from __future__ import annotations

from racesdsl.check.resolve import ModuleScope
from racesdsl.codegen.pyexpr import to_python
from racesdsl.syntax import ast as A

TYPE_NAMES = ("INF", "Interval", "TBool", "TEnum", "TFloat", "TInt", "TList", "TMap", "TOptional", "TRecord",
              "TSet", "TStr", "TTuple", "parse_char_class")


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
    raise ValueError(f"not a bound expression: {expr!r}")  # the checker rejected it already


def bound_source(expr: A.Expr | None, missing: str) -> str:
    """Python arithmetic over `p["name"]`, parenthesised only where precedence needs it and
    with runs of signs folded (`- - -1` is `-1`), so legal bounds stay within Python's nesting limits."""
    if expr is None:
        return missing
    return to_python(expr, free={n: f"p[{n!r}]" for n in _bound_names(expr)})


def _interval(lo: A.Expr | None, hi: A.Expr | None) -> str:
    return f"Interval({bound_source(lo, '-INF')}, {bound_source(hi, 'INF')})"


def _length(ln: A.LenSpec | None) -> str:
    if ln is None:
        return "Interval(0, INF)"
    lo = bound_source(ln.lo, "0")
    if not (isinstance(ln.lo, A.IntLit) and ln.lo.value >= 0):
        lo = f"max(0, {lo})"
    return f"Interval({lo}, {bound_source(ln.hi, 'INF')})"


def type_source(texpr: A.TypeExpr, scope: ModuleScope) -> str:
    """Python source of a constructor call; reads params from a mapping named `p`."""
    match texpr:
        case A.IntType(lo=lo, hi=hi):
            return f"TInt({_interval(lo, hi)})"
        case A.FloatType(lo=lo, hi=hi):
            return f"TFloat({_interval(lo, hi)})"
        case A.BoolType():
            return "TBool()"
        case A.StrType(length=ln, chars=chars):
            charset = "None" if chars is None else f"parse_char_class({chars!r})"
            return f"TStr({_length(ln)}, {charset}, {chars!r})"
        case A.EnumType(values=values):
            return f"TEnum({tuple(dict.fromkeys(values))!r})"
        case A.ListType(elem=e, length=ln):
            return f"TList({type_source(e, scope)}, {_length(ln)})"
        case A.SetType(elem=e, length=ln):
            return f"TSet({type_source(e, scope)}, {_length(ln)})"
        case A.MapType(key=k, value=v, length=ln):
            return f"TMap({type_source(k, scope)}, {type_source(v, scope)}, {_length(ln)})"
        case A.OptionalType(inner=i):
            return f"TOptional({type_source(i, scope)})"
        case A.TupleType(items=items):
            inner = ", ".join(type_source(i, scope) for i in items)
            return f"TTuple(({inner}{',' if len(items) == 1 else ''}))"
        case A.RecordType(fields=fields):
            inner = ", ".join(f"({f.name!r}, {type_source(f.type, scope)})" for f in fields)
            return f"TRecord(({inner}{',' if len(fields) == 1 else ''}))"
        case A.NamedType(name=name):
            sym = scope.lookup(name)
            return type_source(sym.decl.type, sym.module)
    raise ValueError(f"not a type expression: {texpr!r}")
