"""The spanned AST of `.races` files: one frozen dataclass per node.

Spans are excluded from equality so that `parse(print(parse(src))) ==
parse(src)` compares structure, not positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A region of a source file; lines and columns are 1-based, `end_*` exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    start_pos: int = 0
    end_pos: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


NO_SPAN = Span("<unknown>", 0, 0, 0, 0)


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Name:
    id: str
    span: Span = _span()


@dataclass(frozen=True)
class IntLit:
    value: int
    span: Span = _span()


@dataclass(frozen=True)
class FloatLit:
    value: float
    span: Span = _span()


@dataclass(frozen=True)
class StrLit:
    value: str
    span: Span = _span()


@dataclass(frozen=True)
class BoolLit:
    value: bool
    span: Span = _span()


@dataclass(frozen=True)
class BinOp:
    """`left op right` for op in + - * / // % **."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class UnaryOp:
    """`+x`, `-x` or `not x`."""

    op: str
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class BoolOp:
    """`a and b` / `a or b` (binary; chains nest to the left)."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Compare:
    """A possibly chained comparison `a < b <= c`; ops include `in` and `not in`."""

    left: Expr
    ops: tuple[str, ...]
    comparators: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class IfExp:
    body: Expr
    test: Expr
    orelse: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Attribute:
    """Record field access `r.x`."""

    value: Expr
    attr: str
    span: Span = _span()


@dataclass(frozen=True)
class Slice:
    lower: Expr | None
    upper: Expr | None
    step: Expr | None
    span: Span = _span()


@dataclass(frozen=True)
class Subscript:
    value: Expr
    index: Expr | Slice
    span: Span = _span()


@dataclass(frozen=True)
class Keyword:
    name: str
    value: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Call:
    """A builtin call; the language has no user-defined functions."""

    func: str
    args: tuple[Expr, ...]
    keywords: tuple[Keyword, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class ListLit:
    items: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class TupleLit:
    items: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class RecordItem:
    name: str
    value: Expr
    span: Span = _span()


@dataclass(frozen=True)
class RecordLit:
    items: tuple[RecordItem, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Comprehension:
    """One `for targets in iter if c1 if c2` clause; `parens` remembers `(a, b)`."""

    targets: tuple[str, ...]
    iter: Expr
    ifs: tuple[Expr, ...] = ()
    parens: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class ListComp:
    elt: Expr
    generators: tuple[Comprehension, ...]
    span: Span = _span()


Expr = (
    Name | IntLit | FloatLit | StrLit | BoolLit | BinOp | UnaryOp | BoolOp | Compare |
    IfExp | Attribute | Subscript | Call | ListLit | TupleLit | RecordLit | ListComp
)


# ---------------------------------------------------------------------- types


@dataclass(frozen=True)
class LenSpec:
    """`len=n` (exact), `len=a..b` or `len=a..` (hi is None, open)."""

    lo: Expr
    hi: Expr | None
    exact: bool
    span: Span = _span()


@dataclass(frozen=True)
class IntType:
    lo: Expr | None = None
    hi: Expr | None = None
    bounded: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class FloatType:
    lo: Expr | None = None
    hi: Expr | None = None
    bounded: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class BoolType:
    span: Span = _span()


@dataclass(frozen=True)
class StrType:
    length: LenSpec | None = None
    chars: str | None = None
    span: Span = _span()


@dataclass(frozen=True)
class EnumType:
    values: tuple[str, ...]
    span: Span = _span()


@dataclass(frozen=True)
class ListType:
    elem: TypeExpr
    length: LenSpec | None = None
    span: Span = _span()


@dataclass(frozen=True)
class SetType:
    elem: TypeExpr
    length: LenSpec | None = None
    span: Span = _span()


@dataclass(frozen=True)
class TupleType:
    items: tuple[TypeExpr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class FieldDecl:
    name: str
    type: TypeExpr
    span: Span = _span()


@dataclass(frozen=True)
class RecordType:
    fields: tuple[FieldDecl, ...]
    span: Span = _span()


@dataclass(frozen=True)
class NamedType:
    """A reference to a `type` alias, possibly qualified (`lists.Small`)."""

    name: tuple[str, ...]
    span: Span = _span()


TypeExpr = (
    IntType | FloatType | BoolType | StrType | EnumType | ListType | SetType |
    TupleType | RecordType | NamedType
)


# -------------------------------------------------------------------- clauses


@dataclass(frozen=True)
class Template:
    """A prompt/step template; `raw` is the text between the quotes as written."""

    raw: str
    triple: bool = True
    span: Span = _span()


@dataclass(frozen=True)
class PythonRef:
    """`python "module:function"`; `target` is the text inside the quotes."""

    target: str
    span: Span = _span()


@dataclass(frozen=True)
class ParamClause:
    name: str
    type: TypeExpr
    default: Expr
    span: Span = _span()


@dataclass(frozen=True)
class InputClause:
    name: str
    type: TypeExpr
    span: Span = _span()


@dataclass(frozen=True)
class OutputClause:
    type: TypeExpr
    span: Span = _span()


@dataclass(frozen=True)
class WhereClause:
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True)
class PromptClause:
    template: Template
    span: Span = _span()


@dataclass(frozen=True)
class StepClause:
    template: Template
    span: Span = _span()


@dataclass(frozen=True)
class SolveClause:
    body: Expr | PythonRef
    span: Span = _span()


@dataclass(frozen=True)
class SampleClause:
    ref: PythonRef
    span: Span = _span()


@dataclass(frozen=True)
class VerifyClause:
    """`kind` is exact | unordered | tolerance | python; `arg` its argument."""

    kind: str
    arg: Expr | PythonRef | None = None
    span: Span = _span()


@dataclass(frozen=True)
class AnswerClause:
    format: str
    span: Span = _span()


Clause = (
    ParamClause | InputClause | OutputClause | WhereClause | PromptClause | StepClause |
    SolveClause | SampleClause | VerifyClause | AnswerClause
)


# --------------------------------------------------------------- declarations


@dataclass(frozen=True)
class ImportName:
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class UseDecl:
    """`use a.b` / `use a.b as c` / `use a.b.{x, y}` (then `names` is set)."""

    module: tuple[str, ...]
    alias: str | None = None
    names: tuple[ImportName, ...] | None = None
    span: Span = _span()


@dataclass(frozen=True)
class TypeDecl:
    name: str
    type: TypeExpr
    span: Span = _span()


@dataclass(frozen=True)
class EnvDecl:
    """A base environment; clauses are kept in source order (order is free)."""

    name: str
    doc: str | None
    clauses: tuple[Clause, ...]
    span: Span = _span()
    name_span: Span = _span()

    def clauses_of(self, kind: type) -> list:
        return [c for c in self.clauses if isinstance(c, kind)]

    @property
    def params(self) -> list[ParamClause]:
        return self.clauses_of(ParamClause)

    @property
    def inputs(self) -> list[InputClause]:
        return self.clauses_of(InputClause)

    def first(self, kind: type):
        found = self.clauses_of(kind)
        return found[0] if found else None


@dataclass(frozen=True)
class ParamArg:
    """`name=lo` or `name=lo..hi` inside a stage reference."""

    name: tuple[str, ...]
    lo: Expr
    hi: Expr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class StageRef:
    """A reference to an env or composite: `take_first(k=3)[xs]`."""

    name: tuple[str, ...]
    args: tuple[ParamArg, ...] = ()
    port: str | None = None
    has_parens: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class Option:
    """`reward=final` and friends inside an operator's argument list."""

    name: str
    value: str
    span: Span = _span()


@dataclass(frozen=True)
class OpExpr:
    """`seq(...)`, `par(...)`, `sort(...)` or `select(...; distractors: ...)`."""

    op: str
    stages: tuple[CompExpr, ...]
    options: tuple[Option, ...] = ()
    distractors: tuple[CompExpr, ...] = ()
    span: Span = _span()


CompExpr = (
    OpExpr | StageRef
)


@dataclass(frozen=True)
class ComposeDecl:
    name: str
    doc: str | None
    body: CompExpr
    span: Span = _span()
    name_span: Span = _span()


Decl = (
    UseDecl | TypeDecl | EnvDecl | ComposeDecl
)


@dataclass(frozen=True)
class Module:
    """One parsed `.races` file."""

    name: str
    path: str
    decls: tuple[Decl, ...]
    span: Span = _span()
