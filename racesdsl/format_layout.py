"""Width-aware layout of declarations for `racesdsl fmt`.

The printer (racesdsl/syntax/printer.py) puts every clause on one line; the
formatter needs the same canonical text but wrapped at `WIDTH` columns, and it
keeps what a reader wrote on purpose: redundant parentheses and the spelling of
literals (`1_000`, `1e3`). So declarations become a small Wadler-style document
(text, soft line breaks, groups that break together), rendered greedily: a group
stays on one line when it fits, otherwise each of its items goes on its own
line, indented four more, with a trailing comma where the grammar allows one.
Output depends only on the AST, the kept parentheses and the literal spellings,
which the output reproduces, so formatting is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass

from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import (
    ARITH,
    ATOM,
    INDENT,
    NOT,
    OR,
    TEST,
    UNARY,
    binding_level,
    print_clause,
    print_decl,
    print_distribution,
    print_type,
    quote_string,
)

__all__ = ["WIDTH", "Layout", "render"]

WIDTH = 100

# Binding strength, loosest first (the printer's levels; the grammar's precedence).


@dataclass(frozen=True)
class Line:
    """A break opportunity: `flat` when its group fits, a newline otherwise."""

    flat: str


@dataclass(frozen=True)
class IfBreak:
    """`broken` when the enclosing group is split over lines (a trailing comma), else `flat`."""

    broken: str
    flat: str = ""


@dataclass(frozen=True)
class Group:
    """Its breaks are all flat or all newlines. A `lazy` group (an operator chain) breaks
    only when it does not fit even with the brackets inside it broken: `sum([...]) + n`."""

    doc: Doc
    lazy: bool = False


@dataclass(frozen=True)
class Nest:
    doc: Doc


@dataclass(frozen=True)
class Fill:
    """Short items (numbers, strings) joined by `, `: as many a line as fit when broken."""

    items: tuple[str, ...]


Doc = str | Line | IfBreak | Group | Nest | Fill | tuple
SOFT, SPACE = Line(""), Line(" ")
SOFT_MODE = "soft"  # a lazy group's own breaks are flat, the groups inside it still decide
_COMMA = IfBreak(",")


def render(doc: Doc, indent: int = 0, width: int = WIDTH) -> str:
    """Lay `doc` out starting at column `indent` (continuation lines indented from there)."""
    out: list[str] = []
    col = indent
    stack: list[tuple[int, bool | str, Doc]] = [(indent, False, doc)]
    while stack:
        ind, flat, d = stack.pop()
        if isinstance(d, str):
            out.append(d)
            col += len(d)
        elif isinstance(d, tuple):
            stack.extend((ind, flat, x) for x in reversed(d))
        elif isinstance(d, Nest):
            stack.append((ind + len(INDENT), flat, d.doc))
        elif isinstance(d, Line):
            text = d.flat if flat else "\n" + " " * ind
            out.append(text)
            col = col + len(text) if flat else ind
        elif isinstance(d, IfBreak):
            text = d.flat if flat else d.broken
            out.append(text)
            col += len(text)
        elif isinstance(d, Fill):
            for i, item in enumerate(d.items):
                if i and not flat and col + len(item) + 3 > width:  # ", item," must fit
                    out.append(",\n" + " " * ind)
                    col = ind
                elif i:
                    out.append(", ")
                    col += 2
                out.append(item)
                col += len(item)
        elif flat is True:  # a group inside a flat group
            stack.append((ind, True, d.doc))
        else:  # a group to decide: a lazy one that fits keeps deciding the groups inside it
            fits = _fits(width - col, [(ind, True, d.doc), *reversed(stack)], d.lazy)
            stack.append((ind, (SOFT_MODE if d.lazy else True) if fits else False, d.doc))
    return "".join(out)


def _fits(room: int, cmds: list[tuple[int, bool, Doc]], lazy: bool = False) -> bool:
    """Whether the text up to the next break that stays broken fits in `room` columns
    (`lazy`: the groups nested in the first command count as broken)."""
    todo = list(reversed(cmds))
    while todo:
        if room < 0:
            return False
        ind, flat, d = todo.pop()
        if isinstance(d, str):
            room -= len(d)
        elif isinstance(d, tuple):
            todo.extend((ind, flat, x) for x in reversed(d))
        elif isinstance(d, Nest):
            todo.append((ind, flat, d.doc))
        elif isinstance(d, Group):
            todo.append((ind, flat and not lazy, d.doc))
        elif isinstance(d, Line):
            if not flat:
                return True
            room -= len(d.flat)
        elif isinstance(d, Fill):
            if not flat:
                return room >= len(d.items[0])
            room -= sum(len(i) + 2 for i in d.items) - 2
        else:
            room -= len(d.flat if flat else d.broken)
    return room >= 0


def _join(items: list[Doc], sep: Doc = (",", SPACE)) -> tuple:
    out: list[Doc] = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out.append(item)
    return tuple(out)


def bracket(open_: str, items: list[Doc], close: str, trailing: bool = True) -> Doc:
    """`open_ a, b close` on one line, or one item a line (trailing comma if the grammar allows it);
    a list of mostly plain words and numbers fills its lines instead."""
    if not items:
        return open_ + close
    words = sum(isinstance(i, str) for i in items)
    if len(items) > 2 and 4 * words >= 3 * len(items):  # mostly words: the rest fill in flat
        inner: Doc = Fill(tuple(i if isinstance(i, str) else render(i, 0, 10**9) for i in items))
    else:
        inner = _join(items)
    return Group((open_, Nest((SOFT, inner, _COMMA if trailing else "")), SOFT, close))


class Layout:
    """Documents for the nodes of one parsed file; `text` is that file's source."""

    def __init__(self, text: str) -> None:
        self.text = text

    # ------------------------------------------------------------ source facts

    def _source(self, node: object) -> str | None:
        span = getattr(node, "span", None)
        if span is None or span.end_pos <= span.start_pos or span.end_pos > len(self.text):
            return None
        return self.text[span.start_pos:span.end_pos]

    def _parens(self, e: A.Expr) -> int:
        """How many pairs of parentheses the source wraps directly around `e`."""
        span = getattr(e, "span", None)
        if span is None or span.end_pos <= span.start_pos:
            return 0
        lo, hi, n = span.start_pos, span.end_pos, 0
        while True:
            while lo > 0 and self.text[lo - 1].isspace():
                lo -= 1
            while hi < len(self.text) and self.text[hi].isspace():
                hi += 1
            if lo > 0 and hi < len(self.text) and self.text[lo - 1] == "(" and self.text[hi] == ")":
                lo, hi, n = lo - 1, hi + 1, n + 1
            else:
                return n

    # ------------------------------------------------------------- expressions

    def at(self, e: A.Expr, level: int, own_parens: int = 0) -> Doc:
        """`e` where the grammar expects `level`; parentheses if needed or written
        (minus `own_parens` pairs that belong to the parent, as in `f(x)`)."""
        doc = self.expr(e)
        if binding_level(e) < level or self._parens(e) > own_parens:
            return Group(("(", Nest((SOFT, doc)), SOFT, ")"))
        return doc

    def expr(self, e: A.Expr) -> Doc:
        match e:
            case A.Name(id=name):
                return name
            case A.IntLit() | A.FloatLit() | A.StrLit() | A.BoolLit():
                return self._literal(e)
            case A.NoneLit():
                return "none"
            case A.BinOp(op="**", left=left, right=right):
                return (self.at(left, ATOM), " ** ", self.at(right, UNARY))
            case A.BinOp() | A.BoolOp():
                return self._chain(e)
            case A.UnaryOp(op="not", operand=operand):
                return ("not ", self.at(operand, NOT))
            case A.UnaryOp(op=op, operand=operand):
                inner = self.at(operand, UNARY)
                first = render(inner, 0, 10**9)[:1]
                return (op, " " if first in "+-" else "", inner)
            case A.Compare(left=left, ops=ops, comparators=comps):
                parts: list[Doc] = [self.at(left, ARITH)]
                for op, comp in zip(ops, comps, strict=True):
                    parts += [f" {op} ", self.at(comp, ARITH)]
                return tuple(parts)
            case A.IfExp(body=body, test=test, orelse=orelse):
                return (self.at(body, OR), " if ", self.at(test, OR), " else ", self.at(orelse, TEST))
            case A.Attribute(value=value, attr=attr):
                return (self.at(value, ATOM), "." + attr)
            case A.Subscript(value=value, index=index):
                inner = self._slice(index) if isinstance(index, A.Slice) else self.at(index, TEST)
                return (self.at(value, ATOM), "[", inner, "]")
            case A.Call(func=func, args=args, keywords=[]) if len(args) == 1 and self._huggable(args[0]):
                return (func, "(", self.expr(args[0]), ")")  # `sum([...])`: the list breaks, not the call
            case A.Call(func=func, args=args, keywords=kws):
                own = 1 if len(args) + len(kws) == 1 else 0
                items = [self.at(a, TEST, own) for a in args]
                items += [(f"{k.name}=", self.at(k.value, TEST)) for k in kws]
                return (func, bracket("(", items, ")"))
            case A.ListLit(items=items):
                return bracket("[", [self.at(i, TEST) for i in items], "]")
            case A.TupleLit(items=items) if len(items) == 1:
                return Group(("(", Nest((SOFT, self.at(items[0], TEST), ",")), SOFT, ")"))
            case A.TupleLit(items=items):
                return bracket("(", [self.at(i, TEST) for i in items], ")")
            case A.RecordLit(items=items):
                return bracket("{", [(f"{i.name}: ", self.at(i.value, TEST)) for i in items], "}")
            case A.ListComp(elt=elt, generators=gens):
                parts = [self.at(elt, TEST)]
                for g in gens:
                    targets = ", ".join(g.targets)
                    parts += [SPACE, f"for {f'({targets})' if g.parens else targets} in ", self.at(g.iter, OR)]
                    parts += [(SPACE, "if ", self.at(c, OR)) for c in g.ifs]
                return Group(("[", Nest((SOFT, *parts)), SOFT, "]"))
            case A.Lambda(params=params, body=body):
                return (f"lambda {', '.join(params)}: ", self.at(body, TEST))
        raise TypeError(f"not an expression node: {type(e).__name__}")

    def _chain(self, e: A.BinOp | A.BoolOp) -> Doc:
        """`a + b - c` on one line, or broken before every operator of the chain, indented."""
        lvl = binding_level(e)
        rest: list[Doc] = []
        while isinstance(e, A.BinOp | A.BoolOp) and binding_level(e) == lvl and e.op != "**":
            rest.append((SPACE, f"{e.op} ", self.at(e.right, lvl + 1)))
            left = e.left
            if not isinstance(left, A.BinOp | A.BoolOp) or binding_level(left) != lvl or self._parens(left):
                break
            e = left
        return Group((self.at(e.left, lvl), Nest(tuple(reversed(rest)))), lazy=True)

    def _huggable(self, e: A.Expr) -> bool:
        return isinstance(e, A.ListLit | A.ListComp | A.RecordLit | A.Call) and self._parens(e) <= 1

    def _literal(self, e: A.IntLit | A.FloatLit | A.StrLit | A.BoolLit) -> str:
        source = self._source(e)
        if source is not None:
            return source  # `1_000`, `1e3` and escapes stay as written
        match e:
            case A.StrLit(value=v):
                return quote_string(v)
            case A.BoolLit(value=v):
                return "true" if v else "false"
        return str(e.value) if isinstance(e, A.IntLit) else repr(e.value)

    def _slice(self, s: A.Slice) -> Doc:
        def part(x: A.Expr | None) -> Doc:
            return "" if x is None else self.at(x, TEST)

        doc = (part(s.lower), ":", part(s.upper))
        return doc if s.step is None else (*doc, ":", part(s.step))

    def arith(self, e: A.Expr, own_parens: int = 0) -> Doc:
        return self.at(e, ARITH, own_parens)

    # ------------------------------------------------------------------ types

    def type(self, t: A.TypeExpr) -> Doc:
        match t:
            case A.IntType() | A.FloatType():
                keyword = "Int" if isinstance(t, A.IntType) else "Float"
                if not t.bounded:
                    return keyword
                lo = "" if t.lo is None else self.arith(t.lo)
                hi = "" if t.hi is None else self.arith(t.hi)
                return (keyword, "[", lo, "..", hi, "]")
            case A.StrType(length=length, chars=chars):
                opts: list[Doc] = [] if length is None else [self._len(length)]
                if chars is not None:
                    opts.append(f"chars={quote_string(chars)}")
                return ("Str", bracket("[", opts, "]", trailing=False)) if opts else "Str"
            case A.EnumType(values=values):
                return ("Enum", bracket("[", [quote_string(v) for v in values], "]"))
            case A.ListType(elem=elem, length=length) | A.SetType(elem=elem, length=length):
                keyword = "List" if isinstance(t, A.ListType) else "Set"
                items = [self.type(elem)] + ([] if length is None else [self._len(length)])
                if isinstance(t, A.ListType) and t.distinct:
                    items.append("distinct")
                return (keyword, bracket("[", items, "]", trailing=False))
            case A.TupleType(items=items):
                return ("Tuple", bracket("[", [self.type(i) for i in items], "]", trailing=False))
            case A.MapType(key=key, value=value, length=length):
                items = [self.type(key), self.type(value)] + ([] if length is None else [self._len(length)])
                return ("Map", bracket("[", items, "]", trailing=False))
            case A.OptionalType(inner=inner):
                return ("Optional", bracket("[", [self.type(inner)], "]", trailing=False))
            case A.RecordType(fields=fields):
                return bracket("{", [(f"{f.name}: ", self.type(f.type)) for f in fields], "}")
        return print_type(t)  # named types

    def _len(self, spec: A.LenSpec) -> Doc:
        if spec.exact:
            return ("len=", self.arith(spec.lo))
        return ("len=", self.arith(spec.lo), "..", "" if spec.hi is None else self.arith(spec.hi))

    # ------------------------------------------------------------ compositions

    def comp(self, c: A.CompExpr) -> Doc:
        if isinstance(c, A.StageRef):
            return self._stage(c)
        stages = [self.comp(s) for s in c.stages]
        options: list[Doc] = [f"{o.name}={o.value}" for o in c.options]
        if c.op != "select":
            return (c.op, bracket("(", stages + options, ")"))
        # As the printer does: options written among the distractors follow the
        # stage options, and each side of `;` needs one item.
        cut = len(options) if c.distractors else len(options) - 1
        cut = max(cut, 0 if c.stages else 1)
        left = stages + options[:cut]
        right = [self.comp(d) for d in c.distractors] + options[cut:]
        body = (SOFT, _join(left), ";", SPACE, "distractors: ", _join(right), _COMMA)
        return ("select", Group(("(", Nest(body), SOFT, ")")))

    def _stage(self, s: A.StageRef) -> Doc:
        parts: list[Doc] = [".".join(s.name)]
        if s.type_args:
            parts.append(bracket("[", [self.type(t) for t in s.type_args], "]"))
        if s.has_parens or s.args or (s.type_args and s.port is not None):  # a port follows `(...)`
            args = [(".".join(a.name), "=", self.arith(a.lo), *(() if a.hi is None else ("..", self.arith(a.hi))))
                    for a in s.args]
            parts.append(bracket("(", args, ")"))
        if s.port is not None:
            parts.append(f"[{s.port}]")
        return tuple(parts)

    # ------------------------------------------------------ clauses and decls

    def clause(self, c: A.Clause) -> Doc:
        match c:
            case A.ParamClause(name=name, type=type_, default=default):
                return (f"param {name}: ", self.type(type_), " = ", self.at(default, TEST))
            case A.InputClause(name=name, type=type_, dist=dist):
                return (f"input {name}: ", self.type(type_), print_distribution(dist))
            case A.DrawClause(name=name, type=type_, dist=dist):
                return (f"draw {name}: ", self.type(type_), print_distribution(dist))
            case A.LetClause(name=name, expr=expr):
                return (f"let {name} = ", self.at(expr, TEST))
            case A.OutputClause(type=type_):
                return ("output ", self.type(type_))
            case A.WhereClause(expr=expr):
                return ("where ", self.at(expr, TEST))
            case A.SolveClause(body=body) if not isinstance(body, A.PythonRef):
                return ("solve ", self.at(body, TEST))
            case A.VerifyClause(kind="tolerance", arg=arg) if arg is not None and not isinstance(arg, A.PythonRef):
                return ("verify tolerance(", self.arith(arg, own_parens=1), ")")
            case A.VerifyClause(kind="check", arg=arg) if arg is not None and not isinstance(arg, A.PythonRef):
                return ("verify check ", self.at(arg, TEST))
        return print_clause(c)  # templates (verbatim), python refs, keywords

    def decl(self, d: A.Decl) -> Doc:
        """Every declaration but an env's body, which the formatter lays out with its comments."""
        match d:
            case A.UseDecl(module=module, names=names) if names is not None:
                return ("use " + ".".join(module) + ".", bracket("{", [n.name for n in names], "}"))
            case A.TypeDecl(name=name, type=type_):
                return (f"type {name} = ", self.type(type_))
            case A.DataDecl(name=name, type=type_, format=fmt, path=path):
                return (f"data {name}: ", self.type(type_), f" = {fmt}({quote_string(path)})")
            case A.ComposeDecl(name=name, doc=doc, body=body):
                return (f"compose {name}{env_doc(doc)} = ", self.comp(body))
        return print_decl(d)


def env_doc(doc: str | None) -> str:
    return "" if doc is None else f" {quote_string(doc)}"
