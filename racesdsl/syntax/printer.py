"""AST -> canonical `.races` source.

The printer is the inverse of the parser up to layout: for every AST the
parser can produce, `parse_text(print_module(m)) == m` (spans are excluded
from equality). Diagnostics use `print_expr`/`print_type` to show code in the
language's own notation, and `enumerate` writes generated compositions with
`print_comp`/`print_module`.
"""

from __future__ import annotations

import math

from racesdsl.syntax import ast as A

__all__ = ["print_module", "print_decl", "print_clause", "print_expr", "print_type", "print_comp",
           "quote_string"]

INDENT = "    "

# Binding strength of each expression level, loosest first; mirrors the
# grammar's test < or_test < and_test < not_test < comparison < arith < term
# < factor (unary +/-) < power < postfix/atom chain.
TEST, OR, AND, NOT, COMPARE, ARITH, TERM, UNARY, POWER, ATOM = range(10)

_BINOP_LEVEL = {"+": ARITH, "-": ARITH, "*": TERM, "/": TERM, "//": TERM, "%": TERM, "**": POWER}
_BOOLOP_LEVEL = {"or": OR, "and": AND}
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote_string(value: str) -> str:
    """A `"..."` literal that the parser's `ast.literal_eval` decodes to `value`.

    `repr` may pick single quotes, which the STRING terminal does not accept,
    so escapes are produced by hand; non-printable characters become `\\x`/`\\u`
    escapes because the lexer rejects raw newlines and Python rejects NULs.
    """
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _float(value: float) -> str:
    """`repr` already matches the FLOAT terminal (`1.5`, `1e-06`, `1e+16`) for finite values;
    an overflowing literal such as `1e999` parses to `inf`, so print it back that way."""
    if math.isinf(value):
        return "1e999" if value > 0 else "-1e999"
    if math.isnan(value):  # no literal produces NaN; keep diagnostics readable anyway
        return "nan"
    return repr(value)


# ---------------------------------------------------------------- expressions


def binding_level(e: A.Expr) -> int:
    """How tightly `e` binds once printed without parentheses."""
    if isinstance(e, A.IfExp | A.Lambda):
        return TEST
    if isinstance(e, A.BoolOp):
        return _BOOLOP_LEVEL[e.op]
    if isinstance(e, A.UnaryOp):
        return NOT if e.op == "not" else UNARY
    if isinstance(e, A.Compare):
        return COMPARE
    if isinstance(e, A.BinOp):
        return _BINOP_LEVEL[e.op]
    if isinstance(e, A.IntLit | A.FloatLit) and (e.value < 0 or str(e.value).startswith("-")):
        return UNARY  # hand-built negative literals print with a leading minus
    return ATOM


def _at(e: A.Expr, level: int) -> str:
    """Print `e` where the grammar expects at least `level`, adding parentheses if needed."""
    text = print_expr(e)
    return f"({text})" if binding_level(e) < level else text


def _join(items: list[str]) -> str:
    return ", ".join(items)


def print_expr(e: A.Expr) -> str:
    """Source text of an expression with the fewest parentheses that re-parse to `e`."""
    match e:
        case A.Name(id=name):
            return name
        case A.IntLit(value=v):
            return str(v)
        case A.FloatLit(value=v):
            return _float(v)
        case A.StrLit(value=v):
            return quote_string(v)
        case A.BoolLit(value=v):
            return "true" if v else "false"
        case A.NoneLit():
            return "none"
        case A.BinOp(op=op, left=left, right=right):
            lvl = _BINOP_LEVEL[op]
            if op == "**":  # postfix ** factor: right-associative
                return f"{_at(left, ATOM)} ** {_at(right, UNARY)}"
            return f"{_at(left, lvl)} {op} {_at(right, lvl + 1)}"
        case A.UnaryOp(op="not", operand=operand):
            return f"not {_at(operand, NOT)}"
        case A.UnaryOp(op=op, operand=operand):
            inner = _at(operand, UNARY)
            sep = " " if inner[:1] in "+-" else ""  # `- -x` reads better than `--x`
            return f"{op}{sep}{inner}"
        case A.BoolOp(op=op, left=left, right=right):
            lvl = _BOOLOP_LEVEL[op]
            return f"{_at(left, lvl)} {op} {_at(right, lvl + 1)}"
        case A.Compare(left=left, ops=ops, comparators=comps):
            parts = [_at(left, ARITH)]
            for op, comp in zip(ops, comps, strict=True):
                parts += [op, _at(comp, ARITH)]
            return " ".join(parts)
        case A.IfExp(body=body, test=test, orelse=orelse):
            return f"{_at(body, OR)} if {_at(test, OR)} else {_at(orelse, TEST)}"
        case A.Attribute(value=value, attr=attr):
            return f"{_at(value, ATOM)}.{attr}"
        case A.Subscript(value=value, index=index):
            inner = _slice(index) if isinstance(index, A.Slice) else print_expr(index)
            return f"{_at(value, ATOM)}[{inner}]"
        case A.Call(func=func, args=args, keywords=kws):
            items = [print_expr(a) for a in args] + [f"{k.name}={print_expr(k.value)}" for k in kws]
            return f"{func}({_join(items)})"
        case A.ListLit(items=items):
            return f"[{_join([print_expr(i) for i in items])}]"
        case A.TupleLit(items=items):
            if len(items) == 1:
                return f"({print_expr(items[0])},)"
            return f"({_join([print_expr(i) for i in items])})"
        case A.RecordLit(items=items):
            return "{" + _join([f"{i.name}: {print_expr(i.value)}" for i in items]) + "}"
        case A.ListComp(elt=elt, generators=gens):
            return f"[{print_expr(elt)}{''.join(_comprehension(g) for g in gens)}]"
        case A.Lambda(params=params, body=body):
            return f"lambda {_join(list(params))}: {print_expr(body)}"
    raise TypeError(f"not an expression node: {type(e).__name__}")


def _slice(s: A.Slice) -> str:
    def part(x: A.Expr | None) -> str:
        return "" if x is None else print_expr(x)

    text = f"{part(s.lower)}:{part(s.upper)}"
    return text if s.step is None else f"{text}:{part(s.step)}"


def _comprehension(c: A.Comprehension) -> str:
    targets = _join(list(c.targets))
    if c.parens:
        targets = f"({targets})"
    ifs = "".join(f" if {_at(cond, OR)}" for cond in c.ifs)
    return f" for {targets} in {_at(c.iter, OR)}{ifs}"


# ---------------------------------------------------------------------- types


def _arith(e: A.Expr) -> str:
    """Bounds, lengths, stage arguments and tolerances are `arith` in the grammar."""
    return _at(e, ARITH)


def _bounds(keyword: str, t: A.IntType | A.FloatType) -> str:
    if not t.bounded:
        return keyword
    lo = "" if t.lo is None else _arith(t.lo)
    hi = "" if t.hi is None else _arith(t.hi)
    return f"{keyword}[{lo}..{hi}]"


def _len(spec: A.LenSpec) -> str:
    if spec.exact:
        return f"len={_arith(spec.lo)}"
    hi = "" if spec.hi is None else _arith(spec.hi)
    return f"len={_arith(spec.lo)}..{hi}"


def _collection(keyword: str, elem: A.TypeExpr, length: A.LenSpec | None, distinct: bool = False) -> str:
    inner = print_type(elem) if length is None else f"{print_type(elem)}, {_len(length)}"
    return f"{keyword}[{inner}{', distinct' if distinct else ''}]"


def print_type(t: A.TypeExpr) -> str:
    """Source text of a type expression (`List[Int[1..9], len=n]`)."""
    match t:
        case A.IntType():
            return _bounds("Int", t)
        case A.FloatType():
            return _bounds("Float", t)
        case A.BoolType():
            return "Bool"
        case A.StrType(length=length, chars=chars):
            opts = [] if length is None else [_len(length)]
            if chars is not None:
                opts.append(f"chars={quote_string(chars)}")
            return f"Str[{_join(opts)}]" if opts else "Str"
        case A.EnumType(values=values):
            return f"Enum[{_join([quote_string(v) for v in values])}]"
        case A.ListType(elem=elem, length=length, distinct=distinct):
            return _collection("List", elem, length, distinct)
        case A.SetType(elem=elem, length=length):
            return _collection("Set", elem, length)
        case A.TupleType(items=items):
            return f"Tuple[{_join([print_type(i) for i in items])}]"
        case A.MapType(key=key, value=value, length=length):
            return f"Map[{_join([print_type(key), print_type(value)] + ([] if length is None else [_len(length)]))}]"
        case A.OptionalType(inner=inner):
            return f"Optional[{print_type(inner)}]"
        case A.RecordType(fields=fields):
            return "{" + _join([f"{f.name}: {print_type(f.type)}" for f in fields]) + "}"
        case A.NamedType(name=name):
            return ".".join(name)
        case A.OneOfType(name=name):
            return f"OneOf[{'.'.join(name)}]"
    raise TypeError(f"not a type node: {type(t).__name__}")


# --------------------------------------------------------------- compositions


def print_type_params(params: tuple[A.TypeParam, ...]) -> str:
    """`[T: Ord = Int[-99..99], U]`, or nothing for a plain env."""
    if not params:
        return ""
    return "[" + _join([p.name + ("" if p.bound is None else f": {p.bound}")
                        + ("" if p.default is None else f" = {print_type(p.default)}") for p in params]) + "]"


def _stage(s: A.StageRef) -> str:
    text = ".".join(s.name)
    if s.type_args:
        text += "[" + _join([print_type(t) for t in s.type_args]) + "]"
    if s.has_parens or s.args or (s.type_args and s.port is not None):  # a port follows `(...)`
        args = [f"{'.'.join(a.name)}={_arith(a.lo)}" + ("" if a.hi is None else f"..{_arith(a.hi)}")
                for a in s.args]
        text += f"({_join(args)})"
    if s.port is not None:
        text += f"[{s.port}]"
    return text


def print_comp(c: A.CompExpr) -> str:
    """Source text of a composition: `seq(a, b(n=3..12), c[xs], reward=final)`."""
    if isinstance(c, A.StageRef):
        return _stage(c)
    if not isinstance(c, A.OpExpr):
        raise TypeError(f"not a composition node: {type(c).__name__}")
    stages = [print_comp(s) for s in c.stages]
    options = [f"{o.name}={o.value}" for o in c.options]
    if c.op != "select":
        return f"{c.op}({_join(stages + options)})"
    # The parser moves options written among the distractors after the stage
    # options; each side of `;` needs one item, so an empty side borrows options.
    cut = len(options) if c.distractors else len(options) - 1
    cut = max(cut, 0 if c.stages else 1)
    distractors = [print_comp(d) for d in c.distractors] + options[cut:]
    return f"select({_join(stages + options[:cut])}; distractors: {_join(distractors)})"


# ---------------------------------------------------------- clauses and decls


def _template(t: A.Template) -> str:
    return f'"""{t.raw}"""' if t.triple else quote_string(t.raw)


def _ref(r: A.PythonRef) -> str:
    return f"python {quote_string(r.target)}"


def print_distribution(d: A.Distribution | None) -> str:
    """The ` ~ ...` suffix of an input clause ("" for the uniform default)."""
    if d is None:
        return ""
    args = f"({_join([_arith(a) for a in d.args])})" if d.kind != "loguniform" else ""
    return f" ~ {d.kind}{args}"


def print_clause(c: A.Clause) -> str:
    """One env clause on one line (a triple-quoted template may span several)."""
    match c:
        case A.ParamClause(name=name, type=type_, default=default):
            return f"param {name}: {print_type(type_)} = {print_expr(default)}"
        case A.InputClause(name=name, type=type_, dist=dist):
            return f"input {name}: {print_type(type_)}{print_distribution(dist)}"
        case A.DrawClause(name=name, type=type_, dist=dist):
            return f"draw {name}: {print_type(type_)}{print_distribution(dist)}"
        case A.LetClause(name=name, expr=expr):
            return f"let {name} = {print_expr(expr)}"
        case A.OutputClause(type=type_):
            return f"output {print_type(type_)}"
        case A.WhereClause(expr=expr):
            return f"where {print_expr(expr)}"
        case A.PromptClause(template=tpl):
            return f"prompt {_template(tpl)}"
        case A.StepClause(template=tpl):
            return f"step {_template(tpl)}"
        case A.SolveClause(body=A.PythonRef() as ref):
            return f"solve {_ref(ref)}"
        case A.SolveClause(body=body):
            return f"solve {print_expr(body)}"
        case A.SampleClause(ref=ref):
            return f"sample {_ref(ref)}"
        case A.VerifyClause(kind="tolerance", arg=arg) if arg is not None and not isinstance(arg, A.PythonRef):
            return f"verify tolerance({_arith(arg)})"
        case A.VerifyClause(kind="python", arg=A.PythonRef() as ref):
            return f"verify {_ref(ref)}"
        case A.VerifyClause(kind="check", arg=arg) if arg is not None and not isinstance(arg, A.PythonRef):
            return f"verify check {print_expr(arg)}"
        case A.VerifyClause(kind=kind):
            return f"verify {kind}"
        case A.AnswerClause(format=fmt):
            return f"answer {fmt}"
    raise TypeError(f"not a clause node: {type(c).__name__}")


def _doc(doc: str | None) -> str:
    return "" if doc is None else f" {quote_string(doc)}"


def print_decl(d: A.Decl) -> str:
    """One top-level declaration, without a trailing newline."""
    match d:
        case A.UseDecl(module=module, alias=alias, names=names):
            text = "use " + ".".join(module)
            if names is not None:
                return text + ".{" + _join([n.name for n in names]) + "}"
            return text if alias is None else f"{text} as {alias}"
        case A.TypeDecl(name=name, type=type_):
            return f"type {name} = {print_type(type_)}"
        case A.DataDecl(name=name, type=type_, format=fmt, path=path):
            return f"data {name}: {print_type(type_)} = {fmt}({quote_string(path)})"
        case A.EnvDecl(name=name, doc=doc, clauses=clauses, type_params=tparams):
            head = f"env {name}{print_type_params(tparams)}{_doc(doc)}"
            if not clauses:
                return f"{head} {{}}"
            body = "".join(f"{INDENT}{print_clause(c)}\n" for c in clauses)
            return f"{head} {{\n{body}}}"
        case A.ComposeDecl(name=name, doc=doc, body=body):
            return f"compose {name}{_doc(doc)} = {print_comp(body)}"
    raise TypeError(f"not a declaration node: {type(d).__name__}")


def print_module(module: A.Module) -> str:
    """A whole file: declarations in source order, consecutive `use` lines grouped,
    one blank line between other declarations, a final newline."""
    out: list[str] = []
    prev: A.Decl | None = None
    for d in module.decls:
        if prev is not None:
            grouped = isinstance(prev, A.UseDecl) and isinstance(d, A.UseDecl)
            out.append("\n" if grouped else "\n\n")
        out.append(print_decl(d))
        prev = d
    return "".join(out) + "\n" if out else ""
