"""Typing of the bounded loops: `fold`, `iterate`, `until` and `key=` lambdas.

A loop's value type is found by running the lambda's body over types: the
state after k steps is the body's type at the state after k - 1. Up to
`PRECISE_STEPS` steps are followed one by one (so `fold` over four dice knows
its sum is 4..24); past that the states are joined until they stop growing,
and a bound that still moves is widened to unbounded, which always converges
(types have a fixed shape; only intervals, lengths and characters move).
That is sound: the result contains every value the loop can produce, and
where widening loses a bound the run-time output check stands in.

The body is type-checked once per state it is run at; an error at any state
is reported once (the first state's messages are exact, later states' are
conservative). A budget of body visits per expression keeps nested loops
from costing more than linear time in the checker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from racesdsl.check.builtins_types import compatible, iter_elem, orderable
from racesdsl.diagnostics import Diagnostic, error
from racesdsl.runtime.loops import MAX_ITERATIONS
from racesdsl.runtime.types import (
    INF,
    NAT,
    Interval,
    TAny,
    TBool,
    TEnum,
    TFloat,
    TInt,
    TList,
    TRecord,
    TSet,
    TStr,
    TTuple,
    TType,
    join,
    kind_name,
    show,
)
from racesdsl.syntax import ast as A

__all__ = ["PRECISE_STEPS", "VISIT_BUDGET", "Visitor", "loop_call", "wants_loop_typing"]

PRECISE_STEPS = 12
VISIT_BUDGET = 96


class Visitor(Protocol):
    """What loop typing needs of the expression walker (check/exprs.py `_Infer`)."""

    diags: list[Diagnostic]
    budget: int

    def visit(self, e: A.Expr, scope: Mapping[str, TType]) -> TType: ...


def wants_loop_typing(call: A.Call) -> bool:
    """Loops, and `sorted`/`min`/`max` given a `key=lambda` (any other `key=` is E0503)."""
    return call.func in ("fold", "iterate", "until") or (
        call.func in ("sorted", "min", "max") and any(k.name == "key" and isinstance(k.value, A.Lambda)
                                                      for k in call.keywords))


def _fail(v: Visitor, code: str, message: str, span: A.Span, help: str | None = None) -> TAny:
    v.diags.append(error(code, message, span, help))
    return TAny()


def _lambda(v: Visitor, call: A.Call, node: A.Expr, arity: int, role: str) -> A.Lambda | None:
    """`node` if it is a lambda of `arity` distinct parameters, else an E0509."""
    names = ", ".join(["acc", "x"][:arity] if arity == 2 else ["v"])
    if not isinstance(node, A.Lambda) or len(node.params) != arity or len(set(node.params)) != arity:
        what = "a lambda" if not isinstance(node, A.Lambda) else f"a lambda of {arity} distinct parameters"
        _fail(v, "E0509", f"{role} of `{call.func}` must be {what}", node.span,
              f"write it as `lambda {names}: ...`")
        return None
    return node


def _widen(old: TType, new: TType) -> TType:
    """`new` (which contains `old`) with every bound that moved pushed to infinity."""
    match old, new:
        case (TInt(a) | TFloat(a), TInt(b) | TFloat(b)):
            iv = Interval(a.lo if b.lo >= a.lo else -INF, a.hi if b.hi <= a.hi else INF)
            return TInt(iv) if isinstance(old, TInt) and isinstance(new, TInt) else TFloat(iv)
        case (TStr() | TEnum(), TStr()):
            length = old.length if isinstance(old, TStr) else new.length
            n = Interval(length.lo if new.length.lo >= length.lo else 0, length.hi if new.length.hi <= length.hi else INF)
            chars = new.chars if isinstance(old, TStr) and old.chars == new.chars else None
            return TStr(n, chars)
        case TList(x, m), TList(y, n):
            return TList(_widen(x, y), _widen_len(m, n))
        case TSet(x, m), TSet(y, n):
            return TSet(_widen(x, y), _widen_len(m, n))
        case TTuple(xs), TTuple(ys) if len(xs) == len(ys):
            return TTuple(tuple(map(_widen, xs, ys)))
        case TRecord(), TRecord():
            return TRecord(tuple((name, _widen(t, new.field(name) or TAny())) for name, t in old.fields))
    return new


def _widen_len(m: Interval, n: Interval) -> Interval:
    return Interval(m.lo if n.lo >= m.lo else 0, m.hi if n.hi <= m.hi else INF)


class _Loop:
    """One loop's lambda run over types (see the module docstring)."""

    def __init__(self, v: Visitor, lam: A.Lambda, scope: Mapping[str, TType], extra: tuple[TType, ...],
                 call: A.Call) -> None:
        self.v, self.lam, self.scope, self.extra, self.call = v, lam, scope, extra, call
        self.reported = {(d.code, d.span) for d in v.diags}
        self.failed = False

    def step(self, state: TType, exact: bool) -> TType:
        """The body's type at `state`; checks it fits the state's shape. Only the `exact`
        (first) visit reports everything; later ones add what it did not report."""
        self.v.budget -= 1
        inner = {**self.scope, **dict(zip(self.lam.params, (state, *self.extra), strict=True))}
        kept, scratch = self.v.diags, []
        self.v.diags = scratch
        try:
            out = self.v.visit(self.lam.body, inner)
        finally:
            self.v.diags = kept
        new = [d for d in scratch if exact or (d.code, d.span) not in self.reported]
        kept.extend(new)
        self.reported |= {(d.code, d.span) for d in new}
        if any(d.severity.value == "error" for d in new) or self.failed:
            self.failed = True
            return TAny()
        if not compatible(state, out):
            self.failed = True
            return _fail(self.v, "E0511", f"the lambda of `{self.call.func}` returns {kind_name(out)} ({show(out)}), "
                         f"which does not fit the loop value {show(state)}", self.lam.body.span,
                         "the lambda must return a value of its first parameter's type")
        return out

    def run(self, init: TType, count: Interval) -> TType:
        """The join of the states after k steps, k in `count`."""
        state, out, k = init, (init if count.lo <= 0 else TAny()), 0
        if count.hi <= 0:  # the body never runs, but it is still checked
            self.step(init, exact=True)
            return TAny() if self.failed else out
        while k < count.hi and k < PRECISE_STEPS and (self.v.budget > 0 or k == 0):
            state = self.step(state, exact=k == 0)
            k += 1
            if self.failed:
                return TAny()
            if k >= count.lo:
                out = join(out, state)
        if k >= count.hi:
            return out
        # Past the precise steps: join until stable, widening whatever still moves
        # (at once when the budget is spent, so nested loops stay linear).
        acc = join(out, state)
        if self.v.budget <= 0:
            acc = _top(acc)
        for rounds in range(8):
            nxt = join(acc, self.step(acc, exact=False))
            if self.failed:
                return TAny()
            if nxt == acc:
                return acc
            acc = _widen(acc, nxt) if rounds >= 1 or self.v.budget <= 0 else nxt
        return TAny()  # not reached for finite shapes; TAny is the sound top


def _top(t: TType) -> TType:
    """The widest type of `t`'s shape."""
    match t:
        case TInt():
            return TInt()
        case TFloat():
            return TFloat()
        case TStr() | TEnum():
            return TStr(NAT, None)
        case TList(e, _):
            return TList(_top(e), NAT)
        case TSet(e, _):
            return TSet(_top(e), NAT)
        case TTuple(items):
            return TTuple(tuple(map(_top, items)))
        case TRecord(fields):
            return TRecord(tuple((n, _top(ft)) for n, ft in fields))
    return t


def _elem(v: Visitor, call: A.Call, i: int, t: TType) -> tuple[TType, Interval] | None:
    found = iter_elem(t)
    if found is None:
        _fail(v, "E0503", f"`{call.func}` needs a list, set, tuple or string, not {kind_name(t)} ({show(t)})",
              call.args[i].span)
    return found


def _fold(v: Visitor, call: A.Call, scope: Mapping[str, TType]) -> TType:
    xs, init = (v.visit(a, scope) for a in call.args[:2])
    lam = _lambda(v, call, call.args[2], 2, "the third argument")
    found = _elem(v, call, 0, xs)
    if lam is None or found is None:
        return TAny()
    elem, n = found
    return _Loop(v, lam, scope, (elem,), call).run(init, n)


def _iterate(v: Visitor, call: A.Call, scope: Mapping[str, TType]) -> TType:
    x, n = (v.visit(a, scope) for a in call.args[:2])
    lam = _lambda(v, call, call.args[2], 1, "the third argument")
    if lam is None:
        return TAny()
    if isinstance(n, TAny):
        count = Interval(0, MAX_ITERATIONS)
    elif not isinstance(n, TInt):
        return _fail(v, "E0504", f"the count of `iterate` must be an integer, not {kind_name(n)} ({show(n)})",
                     call.args[1].span)
    elif n.range.hi > MAX_ITERATIONS:
        return _fail(v, "E0510", f"the count of `iterate` is {show(n)}: it must be at most {MAX_ITERATIONS}",
                     call.args[1].span, f"narrow its type, for example `Int[0..{min(MAX_ITERATIONS, 100)}]`")
    else:
        count = Interval(max(n.range.lo, 0), max(n.range.hi, 0))
    return _Loop(v, lam, scope, (), call).run(x, count)


def _until(v: Visitor, call: A.Call, scope: Mapping[str, TType]) -> TType:
    x = v.visit(call.args[0], scope)
    cond = _lambda(v, call, call.args[1], 1, "the second argument")
    step = _lambda(v, call, call.args[2], 1, "the third argument")
    kws = {k.name: k for k in call.keywords}
    limit = kws.get("max")
    if limit is None or not isinstance(limit.value, A.IntLit) or not 0 <= limit.value.value <= MAX_ITERATIONS:
        span = call.span if limit is None else limit.value.span
        return _fail(v, "E0510", f"`until` needs `max=N` with a literal N from 0 to {MAX_ITERATIONS}", span,
                     "add the most steps the loop may take, for example `max=100`")
    if cond is None or step is None:
        return TAny()
    out = _Loop(v, step, scope, (), call).run(x, Interval(0, limit.value.value))
    inner = {**scope, cond.params[0]: out}
    test = v.visit(cond.body, inner)
    if not isinstance(test, (TBool, TAny)):
        _fail(v, "E0504", f"the condition of `until` must be a boolean, not {kind_name(test)} ({show(test)})",
              cond.body.span)
    return out


def _keyed(v: Visitor, call: A.Call, scope: Mapping[str, TType]) -> TType:
    """`sorted`/`min`/`max` with `key=lambda x: ...`: typed as without the key, plus the key's check."""
    args = [v.visit(a, scope) for a in call.args]
    key = next(k for k in call.keywords if k.name == "key")
    lam = _lambda(v, call, key.value, 1, "`key`")
    if lam is None:
        return TAny()
    if len(args) == 1:
        found = _elem(v, call, 0, args[0])
        if found is None:
            return TAny()
        elem, n = found
    elif not args or call.func == "sorted":
        return _fail(v, "E0503", f"`{call.func}` with `key` takes one list" + ("" if call.func == "sorted" else
                     " or two or more values"), call.span)
    else:
        elem, n = TAny(), Interval.point(len(args))
        for i, t in enumerate(args):
            if not compatible(elem, t):
                return _fail(v, "E0504", f"the values of `{call.func}` must have one type: {show(t)} "
                             f"does not fit {show(elem)}", call.args[i].span)
            elem = join(elem, t)
    k = v.visit(lam.body, {**scope, lam.params[0]: elem})
    if not orderable(k, k):
        return _fail(v, "E0504", f"the key of `{call.func}` must return comparable values, not {kind_name(k)} "
                     f"({show(k)})", lam.body.span)
    for kw in call.keywords:
        if kw.name == "key":
            continue
        if call.func != "sorted" or kw.name != "reverse":
            return _fail(v, "E0503", f"`{call.func}` takes no keyword argument `{kw.name}`", kw.span)
        r = v.visit(kw.value, scope)
        if not isinstance(r, (TBool, TAny)):
            return _fail(v, "E0503", f"`reverse` must be a boolean, not {kind_name(r)} ({show(r)})", kw.value.span)
    return TList(elem, n) if call.func == "sorted" else elem


_ARITY = {"fold": 3, "iterate": 3, "until": 3}


def loop_call(v: Visitor, call: A.Call, scope: Mapping[str, TType]) -> TType:
    """The type of a loop call or a keyed `sorted`/`min`/`max` (see wants_loop_typing)."""
    if call.func in _ARITY:
        if len(call.args) != _ARITY[call.func]:
            return _fail(v, "E0503", f"`{call.func}` takes {_ARITY[call.func]} arguments ({len(call.args)} given)",
                         call.span)
        allowed = {"max"} if call.func == "until" else set()
        names = [k.name for k in call.keywords]
        for kw in call.keywords:
            if kw.name not in allowed or names.count(kw.name) > 1:
                return _fail(v, "E0503", f"`{call.func}` takes no keyword argument `{kw.name}`"
                             if kw.name not in allowed else f"keyword argument `{kw.name}` is given twice", kw.span)
        return {"fold": _fold, "iterate": _iterate, "until": _until}[call.func](v, call, scope)
    if [k.name for k in call.keywords].count("key") > 1 or [k.name for k in call.keywords].count("reverse") > 1:
        return _fail(v, "E0503", "a keyword argument is given twice", call.span)
    return _keyed(v, call, scope)

