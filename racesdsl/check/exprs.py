"""Static typing of the expression language used by `solve` and `where`.

`infer` gives every expression a semantic type, with intervals wherever
interval arithmetic can bound the result, so the checker can reject a solver
whose result *provably* misses the declared output. It never raises on user
error: a mistake becomes one Diagnostic, and the failing sub-expression gets
`TAny`, which fits everywhere, so the mistake does not cascade.
"""

from __future__ import annotations

from collections.abc import Mapping

from racesdsl.check.builtins_more import ALL_BUILTINS, MORE_BUILTINS, more_call_type
from racesdsl.check.builtins_types import (
    BUILTINS,
    call_type,
    char_type,
    compatible,
    is_strlike,
    iter_elem,
    orderable,
    str_parts,
)
from racesdsl.check.expr_names import reads_before_binding
from racesdsl.check.intervals import arith, as_float, clamp, clamp_type, power, power_range, slice_length
from racesdsl.check.loops import VISIT_BUDGET, loop_call, wants_loop_typing
from racesdsl.check.narrowing import narrowed
from racesdsl.diagnostics import Diagnostic, did_you_mean, error
from racesdsl.runtime.types import (
    NAT,
    Interval,
    TAny,
    TBool,
    TEnum,
    TFloat,
    TInt,
    TList,
    TMap,
    TOptional,
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

__all__ = ["BUILTINS", "infer", "constant_value", "MAX_EXPONENT"]

MAX_EXPONENT = 64
Constant = int | float | bool | str


def infer(expr: A.Expr, scope: Mapping[str, TType], diags: list[Diagnostic]) -> TType:
    """The type of `expr` with the names in `scope`; errors go to `diags`."""
    return _Infer(diags).visit(expr, scope)


def _desc(t: TType) -> str:
    """`a list (List[Int, len=3])`: the kind for the reader, the type for the details."""
    return f"{kind_name(t)} ({show(t)})"


class _Infer:
    """One pass over an expression tree; the scope travels as an argument."""

    def __init__(self, diags: list[Diagnostic]) -> None:
        self.diags = diags
        self.budget = VISIT_BUDGET  # lambda-body visits left for loop typing (check/loops.py)

    def fail(self, code: str, message: str, span: A.Span, help: str | None = None, *notes: str) -> TAny:
        """Report once and hand back TAny, which fits everywhere, so nothing cascades."""
        self.diags.append(error(code, message, span, help, *notes))
        return TAny()

    def need_bool(self, t: TType, node: A.Expr, what: str) -> None:
        """Conditions are typed: Python truthiness of ints or lists is not allowed."""
        if not isinstance(t, (TBool, TAny)):
            self.fail("E0504", f"{what} must be a boolean, not {_desc(t)}", node.span)

    def need_int(self, node: A.Expr, scope: Mapping[str, TType], what: str) -> Interval | None:
        """The interval of an integer operand; None when unknown (already reported or TAny)."""
        t = self.visit(node, scope)
        if isinstance(t, TInt):
            return t.range
        if not isinstance(t, TAny):
            self.fail("E0504", f"{what} must be an integer, not {_desc(t)}", node.span)
        return None

    def visit(self, e: A.Expr, scope: Mapping[str, TType]) -> TType:
        match e:
            case A.IntLit(v):
                return TInt(clamp(Interval.point(v)))
            case A.FloatLit(v):
                return TFloat(Interval.point(v))
            case A.BoolLit():
                return TBool()
            case A.NoneLit():
                return TOptional(TAny())
            case A.StrLit(v):
                return TEnum((v,))
            case A.Name(name):
                if name in scope:
                    return clamp_type(scope[name])
                return self.fail("E0501", f"unknown name `{name}`", e.span, did_you_mean(name, list(scope)))
            case A.BinOp():
                return self.binop(e, scope)
            case A.UnaryOp():
                return self.unary(e, scope)
            case A.BoolOp(op, left, right):
                self.need_bool(self.visit(left, scope), left, f"an operand of `{op}`")
                inner = narrowed(left, scope, op == "or")  # `x != none and x > 0`
                self.need_bool(self.visit(right, inner), right, f"an operand of `{op}`")
                return TBool()
            case A.Compare():
                return self.compare(e, scope)
            case A.IfExp(body, test, orelse):
                self.need_bool(self.visit(test, scope), test, "the condition of `if`")
                branches = [(body, self.visit(body, narrowed(test, scope, False))),
                            (orelse, self.visit(orelse, narrowed(test, scope, True)))]
                joined = self.join_all(branches, "the branches of `if`", e.span)
                return TAny() if joined is None else joined
            case A.Attribute(value, attr):
                return self.attribute(e, self.visit(value, scope), attr)
            case A.Subscript():
                return self.subscript(e, scope)
            case A.Call(func, args, keywords):
                if func in ALL_BUILTINS and wants_loop_typing(e):
                    return loop_call(self, e, scope)
                arg_types = [self.visit(a, scope) for a in args]
                kw_types = [self.visit(k.value, scope) for k in keywords]
                if func not in ALL_BUILTINS:
                    return self.fail("E0502", f"unknown function `{func}`", e.span,
                                     did_you_mean(func, list(ALL_BUILTINS)),
                                     "only the builtins " + ", ".join(ALL_BUILTINS) + " can be called")
                if func in MORE_BUILTINS:
                    return more_call_type(e, arg_types, self.diags)
                return call_type(e, arg_types, kw_types, self.diags)
            case A.Lambda():
                return self.fail("E0508", "a lambda can only be the function argument of `fold`, `iterate`, "
                                 "`until` or a `key=`", e.span,
                                 "compute the value directly, or pass the lambda to one of those builtins")
            case A.ListLit(items):
                if not items:
                    return TList(TAny(), Interval(0, 0))
                elem = self.join_all([(i, self.visit(i, scope)) for i in items], "list items", None)
                return TAny() if elem is None else TList(elem, Interval.point(len(items)))
            case A.TupleLit(items):
                return TTuple(tuple(self.visit(i, scope) for i in items))
            case A.RecordLit(items):
                fields: dict[str, TType] = {}
                for item in items:
                    t = self.visit(item.value, scope)
                    if item.name in fields:
                        return self.fail("E0504", f"duplicate field `{item.name}` in record", item.span)
                    fields[item.name] = t
                return TRecord(tuple(fields.items()))
            case A.ListComp():
                return self.listcomp(e, scope)
        raise TypeError(f"not an expression node: {e!r}")

    def join_all(self, typed: list[tuple[A.Expr, TType]], what: str, span: A.Span | None) -> TType | None:
        """Join types that must share one; None (reported at `span` or the misfit) if they cannot."""
        out: TType = TAny()
        for node, t in typed:
            if not compatible(out, t):
                self.fail("E0504", f"{what} must have one type: {show(t)} does not fit {show(out)}",
                          span or node.span)
                return None
            out = join(out, t)
        return TFloat(as_float(out.range)) if isinstance(out, TFloat) else out

    # ------------------------------------------------------------ operators

    def binop(self, e: A.BinOp, scope: Mapping[str, TType]) -> TType:
        left, right = self.visit(e.left, scope), self.visit(e.right, scope)
        if e.op == "**":
            k = constant_value(e.right)
            bounded = isinstance(right, TInt) and Interval(0, MAX_EXPONENT).contains(right.range)
            if (type(k) is not int or not 0 <= k <= MAX_EXPONENT) and not bounded:
                if isinstance(right, TAny):
                    return TAny()
                return self.fail("E0505", f"the exponent of `**` must be an integer whose interval lies within "
                                 f"0..{MAX_EXPONENT}, not {_desc(right)}", e.right.span,
                                 "narrow the exponent's type, for example `Int[0..10]`, or use a literal such as `x ** 2`")
            if isinstance(left, (TInt, TFloat)) and isinstance(right, TInt):
                return power(left, k) if type(k) is int else power_range(left, right.range)
        if isinstance(left, TAny) or isinstance(right, TAny):
            return TAny()
        if isinstance(left, (TInt, TFloat)) and isinstance(right, (TInt, TFloat)) and e.op != "**":
            return arith(e.op, left, right)
        if e.op == "+":
            result = _concat(left, right)
            if result is not None:
                return result
        if e.op == "*":
            result = _repeat(left, right)
            result = _repeat(right, left) if result is None else result
            if result is not None:
                return result
        return self.fail("E0504", f"unsupported operand types for {e.op}: {kind_name(left)} and {kind_name(right)}",
                         e.span, None, f"the left operand is {show(left)}, the right operand {show(right)}")

    def unary(self, e: A.UnaryOp, scope: Mapping[str, TType]) -> TType:
        t = self.visit(e.operand, scope)
        if e.op == "not":
            self.need_bool(t, e.operand, "the operand of `not`")
            return TBool()
        if isinstance(t, TInt):
            return TInt(-t.range if e.op == "-" else t.range)
        if isinstance(t, TFloat):
            return TFloat(-t.range if e.op == "-" else t.range)
        if isinstance(t, TAny):
            return t
        return self.fail("E0504", f"bad operand type for unary {e.op}: {_desc(t)}", e.operand.span)

    def compare(self, e: A.Compare, scope: Mapping[str, TType]) -> TType:
        nodes = (e.left,) + e.comparators
        types = [self.visit(n, scope) for n in nodes]
        for i, op in enumerate(e.ops):
            a, b, right = types[i], types[i + 1], nodes[i + 1]
            if isinstance(a, TAny) or isinstance(b, TAny):
                continue
            if op in ("in", "not in"):
                if is_strlike(b) and not is_strlike(a):
                    self.fail("E0504", f"`{op}` a string needs a string on the left, not {_desc(a)}", nodes[i].span)
                elif isinstance(b, TMap):
                    if not compatible(a, b.key):
                        self.fail("E0504", f"`{op}` a map needs a key ({show(b.key)}) on the left, not {_desc(a)}",
                                  nodes[i].span)
                elif not isinstance(b, (TList, TSet, TTuple)) and not is_strlike(b):
                    self.fail("E0504", f"`{op}` needs a list, set, tuple, map or string on the right, not {_desc(b)}",
                              right.span)
            elif op in ("<", "<=", ">", ">=") and not orderable(a, b):
                self.fail("E0504", f"`{op}` is not supported between {kind_name(a)} and {kind_name(b)}", e.span,
                          None, f"the left operand is {show(a)}, the right operand {show(b)}")
        return TBool()

    # ------------------------------------------------------------ access

    def attribute(self, e: A.Attribute, value: TType, attr: str) -> TType:
        if isinstance(value, TAny):
            return value
        if not isinstance(value, TRecord):
            return self.fail("E0504", f"`.{attr}` needs a record, not {_desc(value)}", e.span)
        found = value.field(attr)
        if found is None:
            return self.fail("E0506", f"record {show(value)} has no field `{attr}`", e.span,
                             did_you_mean(attr, value.names))
        return found

    def subscript(self, e: A.Subscript, scope: Mapping[str, TType]) -> TType:
        value = self.visit(e.value, scope)
        if isinstance(e.index, A.Slice):
            return self.slice(e, value, e.index, scope)
        if isinstance(value, TMap):  # `m[k]`: a missing key fails at run time, like a list index
            key = self.visit(e.index, scope)
            if not compatible(key, value.key):
                return self.fail("E0504", f"a key of {show(value)} must be {show(value.key)}, not {_desc(key)}",
                                 e.index.span)
            return value.value
        index = self.need_int(e.index, scope, "an index")
        if isinstance(value, TAny) or index is None:
            return TAny()
        match value:
            case TList(elem, _):
                return elem
            case TStr() | TEnum():
                return char_type(value)
            case TTuple(items):
                k = constant_value(e.index)
                if type(k) is int:
                    if -len(items) <= k < len(items):
                        return items[k]
                    return self.fail("E0504", f"index {k} is out of range for {show(value)}", e.index.span)
                if not items:
                    return self.fail("E0504", "an empty tuple cannot be indexed", e.span)
                typed = [(e.index, t) for t in items]
                joined = self.join_all(typed, f"items of {show(value)} indexed by a variable", e.index.span)
                return TAny() if joined is None else joined
        return self.fail("E0504", f"{_desc(value)} cannot be indexed", e.value.span)

    def slice(self, e: A.Subscript, value: TType, sl: A.Slice, scope: Mapping[str, TType]) -> TType:
        parts: list[Interval | None] = []
        for part in (sl.lower, sl.upper, sl.step):
            if part is None:
                parts.append(None)
            else:
                iv = self.need_int(part, scope, "a slice bound")
                parts.append(Interval() if iv is None else iv)
        match value:
            case TAny():
                return value
            case TList(elem, n):
                return TList(elem, slice_length(n, *parts))
            case TStr() | TEnum():
                n, chars = str_parts(value)
                return TStr(slice_length(n, *parts), chars, value.chars_src if isinstance(value, TStr) else None)
            case TTuple(items):
                given = (sl.lower, sl.upper, sl.step)
                consts = [None if p is None else constant_value(p) for p in given]
                if all(p is None or type(c) is int for p, c in zip(given, consts, strict=True)) and consts[2] != 0:
                    return TTuple(items[slice(*consts)])
                return self.fail("E0504", "slicing a tuple needs constant integer bounds", e.index.span)
        return self.fail("E0504", f"{_desc(value)} cannot be sliced", e.value.span)

    # ------------------------------------------------------------ comprehensions

    def listcomp(self, e: A.ListComp, scope: Mapping[str, TType]) -> TType:
        inner = dict(scope)  # comprehension variables never leak into the caller's scope
        for name, _ in reads_before_binding(e):
            inner.setdefault(name.id, TAny())  # reported here: no E0501 as well
            self.fail("E0507", f"`{name.id}` is read before this comprehension's `for {name.id}` binds it",
                      name.span, f"rename that loop variable: inside a comprehension `{name.id}` always means it, "
                      f"not an input or param of the same name")
        count, filtered = Interval(1, 1), False
        for gen in e.generators:
            it = self.visit(gen.iter, inner)
            found = iter_elem(it)
            if found is None:
                why = ": its items differ in type" if isinstance(it, TTuple) else ""
                self.fail("E0504", f"cannot iterate over {_desc(it)}{why}", gen.iter.span)
                found = (TAny(), NAT)
            elem, n = found
            count = clamp(count * n)
            if len(gen.targets) == 1:
                inner[gen.targets[0]] = elem
            elif isinstance(elem, TTuple) and len(elem.items) == len(gen.targets):
                inner.update(zip(gen.targets, elem.items, strict=True))
            else:
                if not isinstance(elem, TAny):
                    self.fail("E0504", f"cannot unpack {_desc(elem)} into {len(gen.targets)} names", gen.span)
                inner.update((t, TAny()) for t in gen.targets)
            for cond in gen.ifs:
                self.need_bool(self.visit(cond, inner), cond, "a comprehension filter")
                filtered = True
        elt = self.visit(e.elt, inner)
        return TList(elt, Interval(0, count.hi) if filtered else clamp(count))


# ---------------------------------------------------------------- helpers


def _concat(a: TType, b: TType) -> TType | None:
    """`a + b` for sequences: lists and tuples concatenate, strings join."""
    match a, b:
        case TList(x, m), TList(y, n) if compatible(x, y):
            return TList(join(x, y), clamp(m + n))
        case TTuple(x), TTuple(y):
            return TTuple(x + y)
    if is_strlike(a) and is_strlike(b):
        (m, ca), (n, cb) = str_parts(a), str_parts(b)  # type: ignore[arg-type]
        return TStr(clamp(m + n), None if ca is None or cb is None else ca | cb)
    return None


def _repeat(seq: TType, times: TType) -> TType | None:
    """`xs * n` / `s * n`: Python repeats; a negative count gives an empty result."""
    if not isinstance(times, TInt):
        return None
    k = Interval(max(0, times.range.lo), max(0, times.range.hi))
    if isinstance(seq, TList):
        return TList(seq.elem, clamp(seq.length * k))
    if is_strlike(seq):
        n, chars = str_parts(seq)  # type: ignore[arg-type]
        return TStr(clamp(n * k), chars)
    return None


def constant_value(expr: A.Expr) -> Constant | None:
    """Fold a constant expression (param defaults, fixed params, exponents), else None."""
    match expr:
        case A.IntLit(v) | A.FloatLit(v) | A.BoolLit(v) | A.StrLit(v):
            return v
        case A.UnaryOp("not", operand):
            v = constant_value(operand)
            return (not v) if isinstance(v, bool) else None
        case A.UnaryOp(op, operand):
            v = constant_value(operand)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return -v if op == "-" else v
            return None
        case A.BinOp(op, left, right):
            a, b = constant_value(left), constant_value(right)
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
                    and not isinstance(a, bool) and not isinstance(b, bool):
                return _fold(op, a, b)
    return None


_FOLD_BITS = 13_000  # a folded integer has at most ~3,900 digits (MAX_INT_DIGITS is 4,000)


def _fold(op: str, a: int | float, b: int | float) -> int | float | None:
    """Python's arithmetic on two constants; None where it would fail or overflow."""
    try:
        if op == "**":
            if type(b) is not int or not 0 <= b <= MAX_EXPONENT:
                return None
            if isinstance(a, int) and a.bit_length() * b > 4096:
                return None  # nested powers would otherwise grow without bound
            r = a**b
        else:
            r = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                 "//": lambda: a // b, "%": lambda: a % b}[op]()
    except (ZeroDivisionError, OverflowError, KeyError):
        return None
    if isinstance(r, float) and (r != r or r in (float("inf"), float("-inf"))):
        return None
    if isinstance(r, int) and r.bit_length() > _FOLD_BITS:
        return None  # products of long literals: past what a message can print or an answer hold
    return r
