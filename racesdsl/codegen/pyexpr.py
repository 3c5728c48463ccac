"""Expression language -> Python source.

Solvers and `where` constraints become plain Python functions: the compiled
package gets their source, and the in-process loader `compile()`s the same
source once at load time, so both paths run identical code and nothing is
`eval`ed per instance. The language has Python's semantics by design, so the
translation is nearly one-to-one; the work here is in the details:

- precedence: operands are parenthesised exactly where Python's grammar
  would otherwise regroup them (so output stays readable);
- names: spec names may be Python keywords or shadow the builtins the code
  calls (`sum`, `lambda`, `_rt`); `py_name` renames them injectively;
- lint: generated packages must pass `ruff`, so three spellings that ruff
  rejects (E712 `x == True`, E713 `not x in y`, B002 `- -x`) are emitted as
  equivalent forms;
- safety: only the language's builtins can be called (anything else is a
  `CodegenError`), literals go through `repr`, and `compile_function` runs the
  code with a namespace that holds the helpers and a handful of builtins only.

Values at run time: Int -> int, Float -> float, Bool -> bool, Str/Enum -> str,
List -> list, Set -> sorted list of distinct items, Tuple -> tuple,
Record -> dict (so `r.x` is `r["x"]`).
"""

from __future__ import annotations

import builtins
import dataclasses
import keyword
import math
import types
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from racesdsl.runtime import builtins as runtime_builtins
from racesdsl.syntax import ast as A

__all__ = [
    "CodegenError", "HELPERS_NAME", "PY_CALLS", "HELPER_CALLS", "SAFE_BUILTINS", "RESERVED_NAMES", "CompiledFunction",
    "escape_name", "float_literal", "py_name", "to_python", "function_source", "compile_function",
]

HELPERS_NAME = "_rt"
"""The name generated code uses for `racesdsl.runtime.builtins`."""

PY_CALLS: dict[str, str] = {n: n for n in ("len", "sum", "min", "max", "abs", "any", "all")} | {"map_of": "dict"}
"""Builtins of the language that are Python's own."""

HELPER_CALLS: dict[str, str] = {
    "reversed": "rev", "sorted": "srt", "range": "rng", "str": "to_str", "ord": "ord_", "chr": "chr_", "zip": "zip_",
    "enumerate": "enumerate_", "round": "round_", "pow": "pow_", **{n: n for n in """gcd lcm count unique join split
    replace lower upper isqrt comb factorial prod permutations combinations to_base from_base fold iterate until""".split()},
}
"""Builtins of the language implemented in `racesdsl.runtime.builtins` (attribute names)."""

_KEYWORDS_OK: dict[str, frozenset[str]] = {
    "sorted": frozenset({"reverse", "key"}), "min": frozenset({"key"}), "max": frozenset({"key"}), "until": frozenset({"max"})}

SAFE_BUILTINS: dict[str, Any] = {
    n: getattr(builtins, n) for n in (
        "len", "sum", "min", "max", "abs", "any", "all", "sorted", "reversed", "range",
        "list", "tuple", "dict", "bool", "int", "float", "str", "isinstance",
    )
}
"""The only Python builtins a function from `compile_function` can see (no open/__import__)."""

# Python 3.11's `dir(builtins)`, frozen here so that renaming (and therefore
# generated code) does not depend on the Python version running the compiler.
_PY_BUILTINS = frozenset("""
ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError
BrokenPipeError BufferError BytesWarning ChildProcessError ConnectionAbortedError ConnectionError
ConnectionRefusedError ConnectionResetError DeprecationWarning EOFError Ellipsis EncodingWarning
EnvironmentError Exception ExceptionGroup False FileExistsError FileNotFoundError FloatingPointError
FutureWarning GeneratorExit IOError ImportError ImportWarning IndentationError IndexError
InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError
ModuleNotFoundError NameError None NotADirectoryError NotImplemented NotImplementedError OSError
OverflowError PendingDeprecationWarning PermissionError ProcessLookupError RecursionError
ReferenceError ResourceWarning RuntimeError RuntimeWarning StopAsyncIteration StopIteration
SyntaxError SyntaxWarning SystemError SystemExit TabError TimeoutError True TypeError
UnboundLocalError UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError
UnicodeWarning UserWarning ValueError Warning ZeroDivisionError __build_class__ __debug__ __doc__
__import__ __loader__ __name__ __package__ __spec__ abs aiter all anext any ascii bin bool
breakpoint bytearray bytes callable chr classmethod compile complex copyright credits delattr dict
dir divmod enumerate eval exec exit filter float format frozenset getattr globals hasattr hash help
hex id input int isinstance issubclass iter len license list locals map max memoryview min next
object oct open ord pow print property quit range repr reversed round set setattr slice sorted
staticmethod str sum super tuple type vars zip
""".split())

# Keywords break the syntax, builtins would be shadowed, `l O I` fail ruff E741,
# `__builtins__` is the namespace hook itself.
RESERVED_NAMES = frozenset(keyword.kwlist) | _PY_BUILTINS | {"l", "O", "I", "__builtins__"}


class CodegenError(ValueError):
    """An expression the checker should have rejected reached code generation (an internal error)."""


def escape_name(name: str, clashes: Callable[[str], bool]) -> str:
    """`name`, or `name + "_"` when it or any of its stems without trailing `_` clashes.

    Appending to the whole family (`sum`, `sum_`, ...) keeps the map injective:
    `sum -> sum_`, `sum_ -> sum__`, while `total` stays `total`. An escaped name
    ends in `_`, so it never equals a generated name that does not."""
    if not name.isidentifier():
        raise CodegenError(f"not an identifier: {name!r}")
    stem = name
    while True:
        if clashes(stem):
            return name + "_"
        if not stem.endswith("_"):
            return name
        stem = stem[:-1]


def py_name(name: str, *, helpers: str = HELPERS_NAME) -> str:
    """A Python identifier for a spec name: unchanged unless it is a keyword, a builtin or
    the helpers' name (or such a name followed by underscores), then with `_` appended."""
    return escape_name(name, lambda stem: stem in RESERVED_NAMES or stem == helpers)


# Python precedence levels, loosest first (the Language Reference, 6.17).
_IF, _OR, _AND, _NOT, _CMP, _ADD, _MUL, _UNARY, _POW, _ATOM = range(1, 11)
_BINOP_PREC = {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "//": _MUL, "%": _MUL, "**": _POW}
_CMP_OPS = frozenset({"<", "<=", ">", ">=", "==", "!=", "in", "not in"})


def _is_negative(v: int | float) -> bool:
    return v < 0 or (isinstance(v, float) and math.copysign(1.0, v) < 0)


def float_literal(v: float) -> str:
    """`repr` except where it is not Python source (`inf`, `nan`)."""
    if math.isnan(v):
        return "(1e999 - 1e999)"
    if math.isinf(v):
        return "1e999" if v > 0 else "-1e999"
    return repr(v)


class _Emitter:
    """Renders expressions; `emit` returns the source and the precedence of its top operator."""

    def __init__(self, helpers: str, taken: set[str] = frozenset(), clashing: set[str] = frozenset()) -> None:
        if not helpers.isidentifier() or keyword.iskeyword(helpers):
            raise CodegenError(f"helpers must be an identifier, not {helpers!r}")
        self.helpers = helpers
        self.free: Mapping[str, str] = {}  # source for names read from elsewhere (a bound reads `n` as `p['n']`)
        self.taken = set(taken)  # every Python name the function uses
        self.clashing = clashing  # loop variables that would shadow a param or another loop variable
        self.renames: dict[str, str] = {}  # spec name -> Python name, inside comprehensions

    @classmethod
    def for_expr(cls, expr: A.Expr, helpers: str, params: Sequence[str] = ()) -> _Emitter:
        """An emitter that knows which loop variables of `expr` must be renamed."""
        reads: set[str] = set()
        binds: Counter[str] = Counter()
        _names(expr, helpers, reads, binds)
        clashing = set(params) | {n for n, count in binds.items() if count > 1}
        return cls(helpers, set(params) | reads | set(binds), clashing)

    def fresh(self, name: str) -> str:
        """The loop variable's own name, or, if it would shadow another, `x_1`, `x_2`...:
        the first such name the function does not use."""
        base, k = py_name(name, helpers=self.helpers), 1
        if base not in self.clashing:
            return base
        while f"{base}_{k}" in self.taken:
            k += 1
        self.taken.add(f"{base}_{k}")
        return f"{base}_{k}"

    def sub(self, e: A.Expr, prec: int) -> str:
        """`e` as an operand of an operator that needs at least precedence `prec`."""
        src, own = self.emit(e)
        return f"({src})" if own < prec else src

    def emit(self, e: A.Expr) -> tuple[str, int]:
        match e:
            case A.Name(name):
                if name in self.renames or name not in self.free:
                    return self.renames.get(name) or py_name(name, helpers=self.helpers), _ATOM
                return self.free[name], _ATOM
            case A.BoolLit(v):
                return ("True" if v else "False"), _ATOM
            case A.NoneLit():
                return "None", _ATOM
            case A.IntLit(v) if type(v) is int:
                return repr(v), (_UNARY if v < 0 else _ATOM)
            case A.FloatLit(v) if isinstance(v, (int, float)) and not isinstance(v, bool):
                src = float_literal(float(v))
                return src, (_UNARY if src.startswith("-") else _ATOM)
            case A.StrLit(v) if isinstance(v, str):
                return repr(v), _ATOM
            case A.BinOp(op, left, right) if op in _BINOP_PREC:
                p = _BINOP_PREC[op]
                if op == "**":  # right-associative; the exponent may be a bare unary (`2 ** -x`)
                    return f"{self.sub(left, _ATOM)} ** {self.sub(right, _UNARY)}", _POW
                return f"{self.sub(left, p)} {op} {self.sub(right, p + 1)}", p
            case A.UnaryOp():
                return self.unary(e)
            case A.BoolOp(op, left, right) if op in ("and", "or"):
                p = _AND if op == "and" else _OR
                return f"{self.sub(left, p)} {op} {self.sub(right, p + 1)}", p
            case A.Compare():
                return self.compare(e), _CMP
            case A.IfExp(body, test, orelse):
                return f"{self.sub(body, _OR)} if {self.sub(test, _OR)} else {self.sub(orelse, _IF)}", _IF
            case A.Attribute(value, attr):
                return f"{self.sub(value, _ATOM)}[{attr!r}]", _ATOM
            case A.Subscript(value, A.Slice(lower, upper, step)):
                parts = ["" if p is None else self.sub(p, _OR) for p in (lower, upper, step)]
                inner = ":".join(parts) if step is not None else ":".join(parts[:2])
                return f"{self.sub(value, _ATOM)}[{inner}]", _ATOM
            case A.Subscript(value, index):
                return f"{self.sub(value, _ATOM)}[{self.sub(index, _IF)}]", _ATOM
            case A.Call():
                return self.call(e), _ATOM
            case A.ListLit(items):
                return "[" + self.items(items) + "]", _ATOM
            case A.TupleLit(items):
                return "(" + self.items(items) + ("," if len(items) == 1 else "") + ")", _ATOM
            case A.RecordLit(items):
                names = [i.name for i in items]
                if len(set(names)) != len(names):
                    raise CodegenError(f"duplicate field in record literal: {names}")
                return "{" + ", ".join(f"{i.name!r}: {self.sub(i.value, _IF)}" for i in items) + "}", _ATOM
            case A.ListComp(elt, generators) if generators:
                return self.listcomp(elt, generators), _ATOM
            case A.Lambda(params, body) if params:
                return self.lambda_(params, body), _IF
        raise CodegenError(f"cannot compile expression node {e!r}")

    def items(self, items: Sequence[A.Expr]) -> str:
        return ", ".join(self.sub(i, _IF) for i in items)

    def unary(self, e: A.UnaryOp) -> tuple[str, int]:
        if e.op == "not":
            inner = e.operand
            if isinstance(inner, A.Compare) and inner.ops in (("in",), ("not in",)):
                # `not x in y` is exactly `x not in y` (ruff E713), and vice versa.
                flipped = ("not in",) if inner.ops == ("in",) else ("in",)
                return self.compare(A.Compare(inner.left, flipped, inner.comparators)), _CMP
            return f"not {self.sub(inner, _NOT)}", _NOT
        # A run of unary +/- collapses to one sign: `- -x` is `+x` for ints,
        # floats and bools alike (negation is exact), and ruff rejects `--x` (B002).
        if e.op not in ("+", "-"):
            raise CodegenError(f"unknown unary operator {e.op!r}")
        negs, node = 0, e
        while isinstance(node, A.UnaryOp) and node.op in ("+", "-"):
            negs += node.op == "-"
            node = node.operand
        if isinstance(node, (A.IntLit, A.FloatLit)) and _is_negative(node.value):
            negs += 1
            node = type(node)(-node.value)
        return ("-" if negs % 2 else "+") + self.sub(node, _UNARY), _UNARY

    def compare(self, e: A.Compare) -> str:
        operands = (e.left, *e.comparators)
        if not e.ops or len(e.ops) != len(e.comparators) or not set(e.ops) <= _CMP_OPS:
            raise CodegenError(f"malformed comparison {e!r}")
        out: list[str] = []
        ops = list(e.ops)
        for i in range(len(ops)):  # `x == none` is identity: no other value equals None (ruff E711)
            pair = (operands[i], operands[i + 1])
            if ops[i] in ("==", "!=") and any(isinstance(n, A.NoneLit) for n in pair) \
                    and not any(isinstance(n, A.IntLit | A.FloatLit | A.StrLit) for n in pair):  # `1 is None` warns
                ops[i] = "is" if ops[i] == "==" else "is not"
        for i, node in enumerate(operands):
            near = ops[max(i - 1, 0):i + 1]
            if isinstance(node, A.BoolLit) and ("==" in near or "!=" in near):
                # `x == True` is `x == 1` for every run-time value (bool is an int);
                # ruff rejects the first spelling (E712).
                out.append("1" if node.value else "0")
            else:
                out.append(self.sub(node, _CMP + 1))
            if i < len(ops):
                out.append(ops[i])
        return " ".join(out)

    def call(self, e: A.Call) -> str:
        if e.func in PY_CALLS:
            target = PY_CALLS[e.func]
        elif e.func in HELPER_CALLS:
            target = f"{self.helpers}.{HELPER_CALLS[e.func]}"
        else:
            raise CodegenError(f"`{e.func}` is not a builtin of the expression language")
        allowed = _KEYWORDS_OK.get(e.func, frozenset())
        names = [k.name for k in e.keywords]
        if not set(names) <= allowed or len(set(names)) != len(names):
            raise CodegenError(f"`{e.func}` does not take keyword arguments {names}")
        args = [self.sub(a, _IF) for a in e.args] + [f"{k.name}={self.sub(k.value, _IF)}" for k in e.keywords]
        return f"{target}({', '.join(args)})"

    def listcomp(self, elt: A.Expr, generators: Sequence[A.Comprehension]) -> str:
        """Loop variables get names no other part of the function uses: no comprehension
        shadows an input, a param or an outer comprehension's variable. (Same meaning, and
        safe from CPython 3.12+'s inlined comprehensions, which can misread a shadowed name.)"""
        if not all(gen.targets for gen in generators):
            raise CodegenError("a comprehension needs a target")
        first_iter = self.sub(generators[0].iter, _OR)  # evaluated in the enclosing scope
        outer = self.renames
        self.renames = {**outer, **{t: self.fresh(t) for gen in generators for t in gen.targets}}
        try:
            loops = "".join(self.comprehension(gen, first_iter if i == 0 else None) for i, gen in enumerate(generators))
            return "[" + self.sub(elt, _IF) + loops + "]"
        finally:
            self.renames = outer

    def lambda_(self, params: Sequence[str], body: A.Expr) -> str:
        """A lambda's parameters are renamed like loop variables, so its body never reads a
        shadowed param by mistake (and a `free` name of the same spelling stays the parameter)."""
        outer = self.renames
        self.renames = {**outer, **{p: self.fresh(p) for p in params}}
        try:
            return f"lambda {', '.join(self.renames[p] for p in params)}: {self.sub(body, _IF)}"
        finally:
            self.renames = outer

    def comprehension(self, gen: A.Comprehension, iter_src: str | None) -> str:
        names = [self.renames[t] for t in gen.targets]
        target = ", ".join(names)
        if gen.parens and len(names) > 1:
            target = f"({target})"
        # The iterable and the filters are `or`-level in Python's grammar: an
        # unparenthesised `x if c else y` there would be misread as a filter.
        ifs = "".join(f" if {self.sub(c, _OR)}" for c in gen.ifs)
        return f" for {target} in {iter_src if iter_src is not None else self.sub(gen.iter, _OR)}{ifs}"


def to_python(expr: A.Expr, *, helpers: str = HELPERS_NAME, params: Sequence[str] = (),
              free: Mapping[str, str] | None = None) -> str:
    """Python source for a (checked) expression; helpers are reached as `<helpers>.name`;
    `params` are the Python names the enclosing function binds; a name in `free` is
    written as the source it maps to."""
    emitter = _Emitter.for_expr(expr, helpers, params)
    emitter.free = free or {}
    return emitter.emit(expr)[0]


def _names(node: object, helpers: str, reads: set[str], binds: Counter[str]) -> None:
    """Collect the Python names `node` reads, and how often each is bound as a loop variable."""
    if isinstance(node, A.Name):
        reads.add(py_name(node.id, helpers=helpers))
        return
    if isinstance(node, A.Comprehension):
        binds.update(py_name(t, helpers=helpers) for t in node.targets)
    if isinstance(node, A.Lambda):
        binds.update(py_name(t, helpers=helpers) for t in node.params)
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            for item in value if isinstance(value, tuple) else (value,):
                if dataclasses.is_dataclass(item):
                    _names(item, helpers, reads, binds)


def function_source(name: str, args: Sequence[str], expr: A.Expr, *, helpers: str = HELPERS_NAME) -> str:
    """`def name(p1, p2):\\n    return <expr>\\n`, the parameters being `py_name` of `args` in order."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise CodegenError(f"function name must be an identifier, not {name!r}")
    params = [py_name(a, helpers=helpers) for a in args]
    if len(set(params)) != len(params):
        raise CodegenError(f"duplicate parameter in {list(args)}")
    return f"def {name}({', '.join(params)}):\n    return {to_python(expr, helpers=helpers, params=params)}\n"


def _define(name: str, source: str) -> Callable[..., Any]:
    """Execute one generated `def` in a namespace with the helpers and `SAFE_BUILTINS` only."""
    helpers = types.SimpleNamespace(**runtime_builtins.HELPERS)
    namespace: dict[str, Any] = {"__builtins__": dict(SAFE_BUILTINS), HELPERS_NAME: helpers}
    # The source comes from a checked AST through `to_python`, never from user text.
    exec(compile(source, f"<racesdsl:{name}>", "exec"), namespace)
    fn: Callable[..., Any] = namespace[name]
    return fn


class CompiledFunction:
    """A generated function, callable positionally or by the *spec* names.

    Keyword arguments use the names as written in the spec (`sum=...`) even
    where the Python parameter had to be renamed (`sum_`). Pickling rebuilds
    from the AST, so environments can travel to spawned worker processes;
    `source` is the generated code, for error reports.
    """

    __slots__ = ("name", "args", "expr", "source", "_fn", "_renamed")

    def __init__(self, name: str, args: Sequence[str], expr: A.Expr) -> None:
        self.name, self.args, self.expr = name, tuple(args), expr
        self.source = function_source(name, self.args, expr)
        self._fn = _define(name, self.source)
        self._renamed = {a: p for a in self.args if (p := py_name(a)) != a}

    def __call__(self, *pos: Any, **kw: Any) -> Any:
        if self._renamed and kw:
            kw = {self._renamed.get(k, k): v for k, v in kw.items()}
        return self._fn(*pos, **kw)

    def __reduce__(self) -> tuple[type[CompiledFunction], tuple[str, tuple[str, ...], A.Expr]]:
        return CompiledFunction, (self.name, self.args, self.expr)

    def __repr__(self) -> str:
        return f"<compiled {self.name}({', '.join(self.args)})>"


def compile_function(name: str, args: Sequence[str], expr: A.Expr) -> Callable[..., Any]:
    """Build the function once, at load time (see `CompiledFunction` for how to call it)."""
    return CompiledFunction(name, args, expr)
