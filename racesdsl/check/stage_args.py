"""Arguments at stage references: a param's value (`sort_list(n=3..12)`), and a
named composite's knobs set where it is used (`top3(sort_list.n=5)`), which are
pushed down to the stages they name."""

from __future__ import annotations

from itertools import islice

from racesdsl.check.exprs import constant_value
from racesdsl.ir import CompositeInfo, Knob, NestedKnobs, ParamInfo, StageInfo
from racesdsl.runtime import types as T
from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import print_expr

__all__ = ["KNOBS_LISTED", "knob_listing", "labelled_refs", "near_knobs", "set_twice_help", "value_problem", "with_args"]

KNOBS_LISTED = 12  # a nested composite can have 2**n knobs: list a few


def labelled_refs(root: StageInfo) -> dict[str, A.StageRef]:
    """The stage references of a composite by knob label (inline operators share the
    composite's labels; a named composite inside is one label)."""
    if isinstance(root.ref, A.StageRef):  # a preset or an alias: `compose long = sort_list(n=8..12)`
        return {root.label: root.ref}
    out: dict[str, A.StageRef] = {}
    for child in root.children:
        if isinstance(child.ref, A.OpExpr):
            out.update(labelled_refs(child))
        else:
            out[child.label] = child.ref
    return out


def with_args(node: A.CompExpr, extra: dict[int, list[A.ParamArg]]) -> A.CompExpr:
    """`node` with more params set on the stage references in `extra` (by identity);
    an argument for a param replaces the one already there."""
    if isinstance(node, A.StageRef):
        args = extra.get(id(node))
        if not args:
            return node
        names = {a.name for a in args}
        kept = tuple(a for a in node.args if a.name not in names)
        return A.StageRef(node.name, kept + tuple(args), node.port, True, span=node.span)
    return A.OpExpr(node.op, tuple(with_args(s, extra) for s in node.stages), node.options,
                    tuple(with_args(d, extra) for d in node.distractors), span=node.span)


def value_problem(p: ParamInfo, allowed: T.Interval | None, lo: object, hi: object, ranged: bool) -> str | None:
    """Why `p=lo` (or `p=lo..hi`) is not a value of param `p` within `allowed`, or None."""
    if p.range is None:
        ok = not ranged and (lo in p.type.values if p.kind == "enum" else isinstance(lo, bool))
        return None if ok else f"takes one of {T.show(p.type)}"
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi))
    if not numeric or lo > hi or (p.kind == "int" and not all(isinstance(v, int) for v in (lo, hi))) \
            or allowed is None or not allowed.contains(T.Interval(lo, hi)):
        return f"must lie in {(allowed or p.range).show()}"
    return None


def knob_listing(info: CompositeInfo) -> str:
    """A composite's first few knob names (it may have 2**n)."""
    some = [k.name for k in islice(info.iter_knobs(), KNOBS_LISTED + 1)]
    return ", ".join(some[:KNOBS_LISTED]) + (", ..." if len(some) > KNOBS_LISTED else "") or "none"


def near_knobs(info: CompositeInfo, name: str) -> list[str]:
    """Candidate knob names for a did-you-mean, without listing all of them: follow
    `name` down the nested composites as far as its labels match, then offer the
    knobs found there (a few of each nested composite's), under the prefix walked so far."""
    prefix = ""
    while True:
        rest = name[len(prefix):]
        nested = next((p for p in info.knob_parts if isinstance(p, NestedKnobs) and rest.startswith(p.label + ".")),
                      None)
        if nested is None:
            names: list[str] = []
            for p in info.knob_parts:
                knobs = [p] if isinstance(p, Knob) else islice(p.info.iter_knobs(f"{p.label}."), KNOBS_LISTED)
                names.extend(prefix + k.name for k in knobs)
            return names
        info, prefix = nested.info, prefix + nested.label + "."


def set_twice_help(first: A.ParamArg, second: A.ParamArg) -> str:
    """`take_first(k=1, k=2)`: keep one, or the range that spans both (numbers only)."""
    values = [constant_value(e) for a in (first, second) for e in (a.lo, a.hi) if e is not None]
    name = ".".join(first.name)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values) and min(values) < max(values):
        return f"keep one value, or give a range: `{name}={min(values)!r}..{max(values)!r}`"
    kept = print_expr(first.lo) + ("" if first.hi is None else ".." + print_expr(first.hi))
    return f"keep one value: `{name}={kept}`"
