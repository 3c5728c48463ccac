"""What `check` knows about a parsed template without running it: the names it
reads from outside (E0402), and what can never render (E0406: reaching outside
the sandbox; E0407: over a render limit).

All of it walks jinja2's syntax tree. Nothing here evaluates the template:
constants are folded only by `_fold`, which refuses to build any integer past
the runtime's own bound, so `check` stays fast on `{{ 'ab' * 2**31 }}`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from jinja2 import nodes
from jinja2.sandbox import _mutable_spec

from racesdsl.runtime.template_budget import SIZE_ARG_FILTERS, check_format, check_percent
from racesdsl.runtime.template_limits import (
    MAX_BLOCK_DEPTH,
    MAX_INT_BITS,
    MAX_RANGE,
    MAX_SIZE,
    BudgetExceeded,
)

_SCOPED = (nodes.Scope, nodes.OverlayScope, nodes.ScopedEvalContextModifier, nodes.EvalContextModifier,
           nodes.FilterBlock)
_OUTSIDE = {nodes.Extends: "extends", nodes.Include: "include", nodes.Import: "import",
            nodes.FromImport: "from", nodes.Block: "block"}
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})
_BLOCKS = (nodes.For, nodes.If, nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.With)
# Methods that change a list, dict or set: jinja2's immutable sandbox refuses them all.
_MUTATORS = frozenset().union(*(names for _, names in _mutable_spec))


@dataclass
class Reads:
    """Names a template reads that nothing in it defines, in source order, and every
    name it defines (for did-you-mean hints)."""

    free: list[tuple[str, int]] = field(default_factory=list)
    defined: set[str] = field(default_factory=set)


def _stored(target: nodes.Node) -> set[str]:
    names = {n.name for n in target.find_all(nodes.Name) if n.ctx in ("store", "param")}
    if isinstance(target, nodes.Name):
        names.add(target.name)
    return names


def free_names(tree: nodes.Template) -> Reads:
    """Reads not defined before them by the template itself, scoped as jinja2 scopes
    them, but leniently: a `{% set %}` in any branch of an `{% if %}` counts after
    it, and a macro body sees every top-level name (it runs when called)."""
    reads = Reads()
    reads.defined = set().union(*(_stored(a.target) for a in tree.find_all((nodes.Assign, nodes.AssignBlock))),
                                *(_stored(f.target) for f in tree.find_all(nodes.For)),
                                {m.name for m in tree.find_all(nodes.Macro)})
    _Walker(reads).body(tree.body, set())
    return reads


class _Walker:
    def __init__(self, reads: Reads) -> None:
        self.reads = reads

    def body(self, stmts: list[nodes.Node], defined: set[str]) -> set[str]:
        """Walk statements in order; returns the names visible after them."""
        defined = set(defined)
        for stmt in stmts:
            defined |= self.stmt(stmt, defined)
        return defined

    def branch(self, stmts: list[nodes.Node], defined: set[str]) -> set[str]:
        return self.body(stmts, defined) - defined

    def stmt(self, node: nodes.Node, defined: set[str]) -> set[str]:
        """Walk one statement; returns the names it defines for what follows."""
        if isinstance(node, nodes.Assign):
            self.expr(node.node, defined)
            self.expr(node.target, defined)
            return _stored(node.target)
        if isinstance(node, nodes.AssignBlock):
            self.body(node.body, defined)
            if node.filter is not None:
                self.expr(node.filter, defined)
            return _stored(node.target)
        if isinstance(node, nodes.For):
            self.expr(node.iter, defined)
            inner = defined | _stored(node.target) | {"loop"}
            if node.test is not None:
                self.expr(node.test, inner)
            self.body(node.body, inner)
            self.body(node.else_, defined)
            return set()
        if isinstance(node, nodes.If):
            self.expr(node.test, defined)
            out = self.branch(node.body, defined)
            for elif_ in node.elif_:
                out |= self.stmt(elif_, defined)
            return out | self.branch(node.else_, defined)
        if isinstance(node, nodes.Macro | nodes.CallBlock):
            for d in node.defaults:
                self.expr(d, defined)
            if isinstance(node, nodes.CallBlock):
                self.expr(node.call, defined)
            params = {a.name for a in node.args} | {"varargs", "kwargs", "caller"}
            self.body(node.body, defined | self.reads.defined | params)
            return {node.name} if isinstance(node, nodes.Macro) else set()
        if isinstance(node, nodes.With):
            for v in node.values:
                self.expr(v, defined)
            self.body(node.body, defined | set().union(*map(_stored, node.targets)))
            return set()
        if isinstance(node, _SCOPED):
            if isinstance(node, nodes.FilterBlock):
                self.expr(node.filter, defined)
            return self.branch(node.body, defined)
        if isinstance(node, nodes.Import):
            return {node.target}
        if isinstance(node, nodes.FromImport):
            return {n if isinstance(n, str) else n[1] for n in node.names}
        for child in node.iter_child_nodes():
            if isinstance(child, nodes.Stmt):
                self.stmt(child, defined)
            else:
                self.expr(child, defined)
        return set()

    def expr(self, node: nodes.Node, defined: set[str]) -> None:
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name not in defined:
                self.reads.free.append((node.name, node.lineno))
            return
        if isinstance(node, nodes.NSRef) and node.name not in defined:
            self.reads.free.append((node.name, node.lineno))
        for child in node.iter_child_nodes():
            self.expr(child, defined)


def codegen_errors(tree: nodes.Template) -> Iterator[tuple[int, str]]:
    """(line, message) of what jinja2's code generator would reject in a tree that
    parsed: `check` does not run the generator (see check_template)."""
    blocks: set[str] = set()
    for node in tree.find_all((nodes.Block, nodes.For, nodes.Macro, nodes.CallBlock)):
        if isinstance(node, nodes.Block):
            if node.name in blocks:
                yield node.lineno, f"block {node.name!r} defined twice"
            blocks.add(node.name)
        elif isinstance(node, nodes.For):
            if "loop" in _stored(node.target):
                yield node.lineno, "Can't assign to special loop variable in for-loop target"
        else:
            names = [a.name for a in node.args]
            if "caller" in names and names.index("caller") < len(names) - len(node.defaults):
                yield node.lineno, ('When defining macros or call blocks the special "caller" argument '
                                    "must be omitted or be given a default.")


# ------------------------------------------------------------------ limits


class _Huge(Exception):
    """A constant past the runtime's integer bound: folding stops there."""


_INT_OPS = {nodes.Add: int.__add__, nodes.Sub: int.__sub__, nodes.FloorDiv: int.__floordiv__,
            nodes.Mod: int.__mod__}


class _Folder:
    """Folds integer and string constants, each node once (a chain of 5,000 `*` is
    one walk, not 5,000), never building an integer past the runtime's bound."""

    def __init__(self) -> None:
        self.cache: dict[int, object] = {}

    def __call__(self, node: nodes.Node) -> object:
        key = id(node)
        if key not in self.cache:
            self.cache[key] = self._fold(node)
        return self.cache[key]

    def _fold(self, node: nodes.Node) -> object:
        if isinstance(node, nodes.Const):
            return node.value if isinstance(node.value, int | str) else None
        if isinstance(node, nodes.Neg | nodes.Pos):
            v = self(node.node)
            return (-v if isinstance(node, nodes.Neg) else v) if isinstance(v, int) else None
        if not isinstance(node, nodes.BinExpr):
            return None
        left, right = self(node.left), self(node.right)
        if not (isinstance(left, int) and isinstance(right, int)):
            return None
        if isinstance(node, nodes.Pow):
            if right < 0 or abs(left) <= 1:
                return None
            if right > MAX_INT_BITS or left.bit_length() * right > MAX_INT_BITS:
                raise _Huge
            return left**right
        if isinstance(node, nodes.Mul):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise _Huge
            return left * right
        op = _INT_OPS.get(type(node))
        try:
            return op(left, right) if op is not None else None
        except ZeroDivisionError:
            return None

    def ints(self, args: list[nodes.Node]) -> list[int]:
        return [v for v in map(self, args) if isinstance(v, int)]

    def size(self, node: nodes.Node) -> int | None:
        """The length of a string or list literal."""
        if isinstance(node, nodes.List | nodes.Tuple):
            return len(node.items)
        value = self(node)
        return len(value) if isinstance(value, str) else None

    def args(self, node: nodes.Node) -> tuple:
        """The constant operands of `fmt % node`."""
        if isinstance(node, nodes.Tuple):
            return tuple(self.ints(node.items))
        value = self(node)
        return (value,) if value is not None else ()


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    lineno: int
    role: str  # how the checker finds the token's column: "var", "filter" or "other"
    token: str
    help: str | None = None


def limit_findings(tree: nodes.Template, free: set[str]) -> Iterator[Finding]:
    """E0406/E0407 for `tree`; `free` are the names it reads from outside (so
    `range` and `self` mean jinja2's only when no input or param is called that)."""
    fold = _Folder()
    for node in tree.find_all(nodes.Node):
        yield from _outside(node, free, fold)
        try:
            yield from _over_limit(node, free, fold)
        except _Huge:
            yield Finding("E0407", f"a constant in this template is over {MAX_INT_BITS:,} bits",
                          node.lineno, "other", "", "the runtime refuses integers this large")
    yield from _recursion(tree)
    yield from _too_deep(tree)


def _too_deep(tree: nodes.Template) -> Iterator[Finding]:
    """Blocks nested past what the compiled template can hold (Python allows about 20
    nested blocks in one function): found without recursion, reported once."""
    stack: list[tuple[nodes.Node, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, _BLOCKS):
            depth += 1
            if depth > MAX_BLOCK_DEPTH:
                yield Finding("E0407", f"blocks nested {depth} deep, over the template limit of {MAX_BLOCK_DEPTH}",
                              node.lineno, "other", "", "move the inner part into a macro, or flatten the loops")
                return
        elifs = node.elif_ if isinstance(node, nodes.If) else []
        branch_ids = {id(e) for e in elifs}
        stack.extend((child, depth) for child in node.iter_child_nodes() if id(child) not in branch_ids)
        stack.extend((e, depth - 1) for e in elifs)  # `elif` is a sibling branch, not a nested block


def _outside(node: nodes.Node, free: set[str], fold: _Folder) -> Iterator[Finding]:
    tag = _OUTSIDE.get(type(node))
    if tag is not None:
        yield Finding("E0406", f"`{{% {tag} %}}` cannot be used in a prompt template", node.lineno, "other", tag,
                      "a template is self-contained: it renders the env's inputs and params only")
    elif isinstance(node, nodes.Name) and node.name == "self" and node.ctx == "load" and "self" in free:
        yield Finding("E0406", "`self` (the template object) cannot be used in a prompt template",
                      node.lineno, "var", "self")
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr in _MUTATORS:
        yield Finding("E0406", f"`.{node.node.attr}(...)` would change a value the template reads",
                      node.lineno, "other", node.node.attr,
                      "the sandbox keeps values read-only; build new ones with filters or `namespace()`")
    attr = None
    if isinstance(node, nodes.Getattr):
        attr = node.attr
    elif isinstance(node, nodes.Getitem):
        attr = fold(node.arg)
    elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
        attr = fold(node.args[0])
    if isinstance(attr, str) and attr.startswith("_"):
        yield Finding("E0406", f"the template reads the private attribute `{attr}`", node.lineno, "other", attr,
                      "the sandbox refuses every attribute whose name starts with `_`")


def _over_limit(node: nodes.Node, free: set[str], fold: _Folder) -> Iterator[Finding]:
    def over(what: str, token: str, role: str = "other") -> Finding:
        return Finding("E0407", f"{what}, over the template limit", node.lineno, role, token,
                       f"a render builds at most {MAX_SIZE:,} characters or items in one value")

    if isinstance(node, nodes.Mul | nodes.Pow):
        fold(node)  # raises _Huge past the bound
        if isinstance(node, nodes.Mul):
            for seq, n in ((node.left, node.right), (node.right, node.left)):
                size, count = fold.size(seq), fold(n)
                if size is not None and isinstance(count, int) and size * count > MAX_SIZE:
                    yield over(f"repeating this value makes {size * count:,} of them", "")
    elif isinstance(node, nodes.Mod) and isinstance(fold(node.left), str):
        yield from _format_check(node, lambda: check_percent(fold(node.left), fold.args(node.right)))
    elif isinstance(node, nodes.Filter) and node.name in SIZE_ARG_FILTERS:
        if node.name == "format" and node.node is not None and isinstance(fold(node.node), str):
            yield from _format_check(node, lambda: check_percent(fold(node.node), tuple(fold.ints(node.args))))
        elif any(v > MAX_SIZE for v in fold.ints([*node.args, *(k.value for k in node.kwargs)])):
            yield over(f"an argument of `{node.name}` is larger than {MAX_SIZE:,}", node.name, "filter")
    elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name == "range" \
            and "range" in free:
        bounds = fold.ints(node.args)
        length = _range_length(bounds) if len(bounds) == len(node.args) else None
        if length is not None and length > MAX_RANGE:
            yield Finding("E0407", f"`range` of {length:,} numbers, over the template limit", node.lineno,
                          "var", "range", f"the sandbox allows ranges of at most {MAX_RANGE:,} numbers")
    elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
        method, owner = node.node.attr, fold(node.node.node)
        if method in _WIDTH_METHODS and any(v > MAX_SIZE for v in fold.ints(node.args[:1])):
            yield over(f"the width given to `{method}` is larger than {MAX_SIZE:,}", method)
        elif method in ("format", "format_map") and isinstance(owner, str):
            yield from _format_check(node, lambda: check_format(owner, tuple(fold.ints(node.args)), {}))


def _format_check(node: nodes.Node, run: Callable[[], None]) -> Iterator[Finding]:
    try:
        run()
    except BudgetExceeded as exc:
        yield Finding("E0407", str(exc), node.lineno, "other", "")
    except (ValueError, TypeError):  # a malformed format string fails when rendered, not here
        return


def _range_length(args: list[int]) -> int | None:
    if not 1 <= len(args) <= 3:
        return None
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (args[0], args[1], args[2] if len(args) == 3 else 1)
    if step == 0:
        return None
    return max(0, (stop - start + step - (1 if step > 0 else -1)) // step)


def _recursion(tree: nodes.Template) -> Iterator[Finding]:
    """A macro that calls itself, directly or through others, may never stop: the
    sandbox has no bound but Python's recursion limit."""
    macros = {m.name: m for m in tree.find_all(nodes.Macro)}
    calls = {name: [c for c in m.find_all(nodes.Call) if isinstance(c.node, nodes.Name) and c.node.name in macros]
             for name, m in macros.items()}
    for name in macros:
        seen, todo = set(), [c.node.name for c in calls[name]]
        while todo:
            callee = todo.pop()
            if callee not in seen:
                seen.add(callee)
                todo.extend(c.node.name for c in calls[callee])
        if name in seen:
            first = next((c for c in calls[name] if c.node.name == name), calls[name][0])
            yield Finding("E0407", f"macro `{name}` calls itself", first.lineno, "var", first.node.name,
                          "recursion in a template has no bound a render can check: use a `for` loop")
