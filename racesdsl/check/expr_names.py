"""Which names an expression reads: free names, and reads that Python's
comprehension scoping turns into `UnboundLocalError` (E0507)."""

from __future__ import annotations

from collections.abc import Iterator

from racesdsl.syntax import ast as A

__all__ = ["children", "free_names", "reads_before_binding"]


def children(e: A.Expr | A.Slice) -> Iterator[A.Expr | A.Slice]:
    match e:
        case A.BinOp(_, left, right) | A.BoolOp(_, left, right):
            yield from (left, right)
        case A.UnaryOp(_, operand):
            yield operand
        case A.Compare(left, _, comparators):
            yield left
            yield from comparators
        case A.IfExp(body, test, orelse):
            yield from (body, test, orelse)
        case A.Attribute(value, _):
            yield value
        case A.Subscript(value, index):
            yield from (value, index)
        case A.Slice(lower, upper, step):
            yield from (p for p in (lower, upper, step) if p is not None)
        case A.Call(_, args, keywords):
            yield from args
            yield from (k.value for k in keywords)
        case A.ListLit(items) | A.TupleLit(items):
            yield from items
        case A.RecordLit(items):
            yield from (i.value for i in items)
        case A.Lambda(_, body):
            yield body


def free_names(expr: A.Expr | A.Slice) -> set[str]:
    """The names `expr` reads from its scope; comprehension variables are not free."""
    if isinstance(expr, A.Name):
        return {expr.id}
    if isinstance(expr, A.ListComp):
        out: set[str] = set()
        bound: set[str] = set()
        for gen in expr.generators:
            out |= free_names(gen.iter) - bound
            bound |= set(gen.targets)
            for cond in gen.ifs:
                out |= free_names(cond) - bound
        return out | (free_names(expr.elt) - bound)
    if isinstance(expr, A.Lambda):
        return free_names(expr.body) - set(expr.params)
    return set().union(*(free_names(c) for c in children(expr)))


def reads_before_binding(comp: A.ListComp) -> list[tuple[A.Name, A.Expr]]:
    """Reads of a name that a later `for` of the same comprehension binds, with the
    clause they occur in. Python makes every target local to the whole comprehension
    and evaluates all but the first iterable inside it, so such a read raises
    UnboundLocalError at run time instead of reading the input or param of that name."""
    found: list[tuple[A.Name, A.Expr]] = []
    later = {t for gen in comp.generators for t in gen.targets}
    for k, gen in enumerate(comp.generators):
        if k:
            found += [(n, gen.iter) for n in _reads(gen.iter, later)]
        later -= set(gen.targets)
        for cond in gen.ifs:
            found += [(n, cond) for n in _reads(cond, later)]
    return found


def _reads(expr: A.Expr | A.Slice, names: set[str]) -> Iterator[A.Name]:
    """The Name nodes of `expr` that read one of `names` from its scope, in source order."""
    if isinstance(expr, A.Name):
        if expr.id in names:
            yield expr
    elif isinstance(expr, A.Lambda):  # its parameters are its own
        yield from _reads(expr.body, names - set(expr.params))
    elif isinstance(expr, A.ListComp):  # inside it, its own targets are its own (its check reports those)
        first, *rest = expr.generators
        yield from _reads(first.iter, names)
        names = names - {t for gen in expr.generators for t in gen.targets}
        for gen in expr.generators:
            yield from (n for part in ([] if gen is first else [gen.iter]) + list(gen.ifs) for n in _reads(part, names))
        yield from _reads(expr.elt, names)
    else:
        for child in children(expr):
            yield from _reads(child, names)
