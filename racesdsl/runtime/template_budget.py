"""The budget a template render runs under: a deterministic operation count
and size caps, so a hostile or careless template ends in a spec error instead
of running until it is killed.

Every loop iteration, call, filter and intercepted operator charges the
render's counter (kept on its jinja2 context, so concurrent renders never
share it), plus one unit per `CHARS_PER_OP` characters or items of every value
it makes; the operations that could build a huge value in one step (`*`, `**`,
`%`, `+`, `~`, `center`, `'{:N}'.format`, ...) are refused before they run.
Counting operations rather than time keeps a render's fate a pure function of
(template, values): the same spec and seed fail the same way on every machine.
What stays uncounted is work inside one Python operation on an input (`x in
xs`), which the spec's own types bound."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from string import Formatter
from typing import Any

from jinja2 import nodes, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg
from jinja2.visitor import NodeTransformer

from racesdsl.runtime.template_limits import (
    CALL_COST,
    CHARS_PER_OP,
    MAX_INT_BITS,
    MAX_OPS,
    MAX_SIZE,
    BudgetExceeded,
)

# Filters whose integer arguments set the size of what they build.
SIZE_ARG_FILTERS = frozenset({"center", "indent", "wordwrap", "truncate", "slice", "batch", "format"})
# str methods whose first integer argument is the width of the result.
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})
_SIZED = (str, bytes, list, tuple, dict, set, frozenset, range)
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_DIGITS = re.compile(r"\d+")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, _SIZED) else 0


def _over(what: str, value: int, limit: int) -> BudgetExceeded:
    return BudgetExceeded(f"{what} is {value:,}, over the template limit of {limit:,}")


class BudgetContext(Context):
    """A render's context, carrying its operation counter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ops = 0


def charge(context: Any, ops: int) -> None:
    """Count `ops` against the render of `context`; past MAX_OPS the render stops."""
    context.ops += ops
    if context.ops > MAX_OPS:
        raise BudgetExceeded(f"the template does more than {MAX_OPS:,} operations")


def account(context: Any, result: Any) -> Any:
    """Charge for a value just made; iterators are charged item by item as they are consumed."""
    size = _size(result)
    if size > MAX_SIZE:
        raise _over("a value's length", size, MAX_SIZE)
    if isinstance(result, int) and not isinstance(result, bool) and result.bit_length() > MAX_INT_BITS:
        raise _over("an integer's size in bits", result.bit_length(), MAX_INT_BITS)
    charge(context, 1 if isinstance(result, range) else 1 + size // CHARS_PER_OP)  # a range is lazy
    if isinstance(result, Iterator):
        return _per_item(context, result, 1)
    return result


def counted(context: Any, items: Iterable[Any], weight: int) -> Iterable[Any]:
    """`items`, charging `weight` per item: what every `{% for %}` loops over. A sized
    iterable is charged in full up front (jinja2 has no `break`, and the immutable
    sandbox cannot grow it), so only iterators pay per item."""
    if isinstance(items, _SIZED):
        charge(context, len(items) * weight)
        return items
    return _per_item(context, iter(items), weight)


def _per_item(context: Any, items: Iterator[Any], weight: int) -> Iterator[Any]:
    for item in items:
        context.ops += weight
        if context.ops > MAX_OPS:
            charge(context, 0)
        yield item


def check_percent(fmt: str, args: Any) -> None:
    """Refuse `'%1000000000s' % x` before it allocates (the `%` operator and `|format`)."""
    star = False
    for m in _PERCENT.finditer(fmt):
        for part in m.groups():
            if part == "*":
                star = True
            elif part is not None:
                _check_width(part)
    if star:
        _check_ints("a `*` format width", args.values() if isinstance(args, dict) else
                    args if isinstance(args, tuple) else (args,))


def check_format(fmt: str, args: tuple, kwargs: dict) -> None:
    """Refuse `'{:1000000000}'.format(x)` (and widths given as `{:{}}` arguments)."""
    nested = False
    for _, _, spec, _ in Formatter().parse(fmt):
        if not spec:
            continue
        nested = nested or "{" in spec
        for digits in _DIGITS.findall(spec):
            _check_width(digits)
    if nested:
        _check_ints("a nested format width", (*args, *kwargs.values()))


def _check_width(digits: str) -> None:
    """A width or precision written in a format string (parsed without int() of a huge literal)."""
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(MAX_SIZE)) or int(significant) > MAX_SIZE:
        raise BudgetExceeded(f"a format width of {digits[:12]}{'...' if len(digits) > 12 else ''} is over "
                             f"the template limit of {MAX_SIZE:,}")


def _check_ints(what: str, values: Iterable[Any]) -> None:
    for v in values:
        if isinstance(v, int) and v > MAX_SIZE:
            raise _over(what, v, MAX_SIZE)


def _check_binop(op: str, left: Any, right: Any) -> None:
    if op == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(n, int) and isinstance(seq, _SIZED) and len(seq) * max(n, 0) > MAX_SIZE:
                raise _over("a repeated value's length", len(seq) * n, MAX_SIZE)
        if isinstance(left, int) and isinstance(right, int) and \
                left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise _over("a product's size in bits", left.bit_length() + right.bit_length(), MAX_INT_BITS)
    elif op == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1 and \
                (right > MAX_INT_BITS or left.bit_length() * right > MAX_INT_BITS):
            raise BudgetExceeded(f"a power's size is over the template limit of {MAX_INT_BITS:,} bits")
    elif op == "+":
        if isinstance(left, _SIZED) and isinstance(right, _SIZED) and len(left) + len(right) > MAX_SIZE:
            raise _over("a concatenation's length", len(left) + len(right), MAX_SIZE)
    elif op == "%" and isinstance(left, str):
        check_percent(left, right)


def _check_str_method(owner: str | bytes, name: str, args: tuple, kwargs: dict) -> tuple:
    """Refuse str methods that would build an over-size result; returns the args to call with."""
    if name in _WIDTH_METHODS and args:
        _check_ints(f"the width given to `{name}`", args[:1])
    elif name == "expandtabs":
        tab = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(tab, int) and len(owner) + owner.count("\t" if isinstance(owner, str) else b"\t") * tab > MAX_SIZE:
            raise _over("the width given to `expandtabs`", tab, MAX_SIZE)
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], type(owner)) and \
            isinstance(args[1], type(owner)):
        old, new = args[0], args[1]
        count = owner.count(old) if old else len(owner) + 1
        size = len(owner) + count * (len(new) - len(old))
        if size > MAX_SIZE:
            raise _over("a replacement's length", size, MAX_SIZE)
    elif name == "join" and args:
        items = list(args[0]) if not isinstance(args[0], list | tuple) else args[0]
        size = sum(_size(i) for i in items) + len(owner) * max(len(items) - 1, 0)
        if size > MAX_SIZE:
            raise _over("a joined value's length", size, MAX_SIZE)
        return (items, *args[1:])
    elif name == "translate" and args and isinstance(args[0], dict):
        widest = max((_size(v) for v in args[0].values()), default=1)
        if len(owner) * widest > MAX_SIZE:
            raise _over("a translated value's length", len(owner) * widest, MAX_SIZE)
    return args


def guard_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` as a filter that charges for its input and result and refuses over-size arguments.
    It takes the context, which also keeps jinja2 from running it at compile time."""
    pass_arg = _PassArg.from_obj(fn)
    sized_args = name in SIZE_ARG_FILTERS

    @pass_context
    def guarded(context: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        charge(context, CALL_COST + _size(value) // CHARS_PER_OP)
        if sized_args:
            if name == "format" and isinstance(value, str):
                check_percent(value, kwargs or args)
            else:
                _check_ints(f"an argument of `{name}`", (*args, *kwargs.values()))
        if pass_arg is _PassArg.context:
            result = fn(context, value, *args, **kwargs)
        elif pass_arg is _PassArg.eval_context:
            result = fn(context.eval_ctx, value, *args, **kwargs)
        elif pass_arg is _PassArg.environment:
            result = fn(context.environment, value, *args, **kwargs)
        else:
            result = fn(value, *args, **kwargs)
        return account(context, result)

    guarded.__name__ = getattr(fn, "__name__", name)
    guarded.__doc__ = fn.__doc__
    return guarded


@pass_context
def _finalize(context: Any, value: Any) -> str:
    """Every `{{ ... }}` output: charged by its length."""
    text = value if type(value) is str else str(value)
    context.ops += len(text) // CHARS_PER_OP  # charge() inlined: this runs for every output
    if context.ops > MAX_OPS:
        charge(context, 0)
    return text


def _literal_size(body: list[nodes.Node]) -> int:
    return sum(len(n.data) for stmt in body for n in stmt.find_all(nodes.TemplateData))


class _Instrument(NodeTransformer):
    """Route loops and `~` through the budget: a loop's iterable is counted,
    each item costing 1 plus the literal text its body writes."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        weight = 1 + _literal_size(node.body) // CHARS_PER_OP
        node.iter = nodes.Call(nodes.EnvironmentAttribute("races_counted"),
                               [node.iter, nodes.Const(weight)], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Call(nodes.EnvironmentAttribute("races_concat"), list(node.nodes), [], None, None,
                          lineno=node.lineno)


@pass_context
def _races_counted(context: Any, items: Iterable[Any], weight: int) -> Iterator[Any]:
    return counted(context, items, weight)


def _races_concat(*parts: Any) -> str:
    texts = [p if type(p) is str else str(p) for p in parts]
    size = sum(map(len, texts))
    if size > MAX_SIZE:
        raise _over("a `~` concatenation's length", size, MAX_SIZE)
    return "".join(texts)


class BudgetedEnvironment(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox (a template cannot change the instance's inputs) with
    every operation that can cost much counted or refused; see the module doc."""

    context_class = BudgetContext
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    races_counted = staticmethod(_races_counted)
    races_concat = staticmethod(_races_concat)

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=_finalize, **options)

    def guard_filters(self) -> None:
        """Wrap every registered filter (call once the filter table is complete)."""
        self.filters = {name: guard_filter(name, fn) for name, fn in self.filters.items()}

    def _generate(self, source: nodes.Template, name: str | None, filename: str | None,
                  defer_init: bool = False) -> str:
        return super()._generate(_Instrument().visit(source), name, filename, defer_init)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return account(context, self.binop_table[operator](left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if __obj is _races_counted:  # a loop's own iterable: counted per item, not as a call
            return counted(__context, *args)
        owner = getattr(__obj, "__self__", None)
        wrapped = getattr(__obj, "__wrapped__", None)
        if isinstance(owner, str | bytes):
            args = _check_str_method(owner, getattr(__obj, "__name__", ""), args, kwargs)
        elif isinstance(getattr(wrapped, "__self__", None), str):  # the sandbox's str.format wrapper
            fmt = wrapped.__self__
            if wrapped.__name__ == "format_map" and args and isinstance(args[0], dict):
                check_format(fmt, (), args[0])
            else:
                check_format(fmt, args, kwargs)
        charge(__context, CALL_COST + (_size(owner) + sum(map(_size, args))) // CHARS_PER_OP)
        return account(__context, super().call(__context, __obj, *args, **kwargs))
