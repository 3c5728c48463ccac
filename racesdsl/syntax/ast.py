"""The spanned AST of `.races` files: one frozen dataclass per node, in one namespace
(`from racesdsl.syntax import ast as A`). Clauses and declarations are defined here;
expressions (ast_exprs.py), type expressions (ast_types.py) and spans (spans.py) are
re-exported.

Spans are excluded from equality so that `parse(print(parse(src))) ==
parse(src)` compares structure, not positions.
"""

from __future__ import annotations

from dataclasses import dataclass

from racesdsl.syntax.ast_exprs import (
    Attribute,
    BinOp,
    BoolLit,
    BoolOp,
    Call,
    Compare,
    Comprehension,
    Expr,
    FloatLit,
    IfExp,
    IntLit,
    Keyword,
    Lambda,
    ListComp,
    ListLit,
    Name,
    NoneLit,
    RecordItem,
    RecordLit,
    Slice,
    StrLit,
    Subscript,
    TupleLit,
    UnaryOp,
)
from racesdsl.syntax.ast_types import (
    BoolType,
    EnumType,
    FieldDecl,
    FloatType,
    IntType,
    LenSpec,
    ListType,
    MapType,
    NamedType,
    OneOfType,
    OptionalType,
    RecordType,
    SetType,
    StrType,
    TupleType,
    TypeExpr,
)
from racesdsl.syntax.spans import NO_SPAN, Span, span_field

__all__ = ["AnswerClause", "Attribute", "BinOp", "BoolLit", "BoolOp", "BoolType", "Call", "Clause", "CompExpr",
           "Compare", "ComposeDecl", "Comprehension", "DataDecl", "Decl", "Distribution", "DrawClause", "EnumType",
           "EnvDecl", "Expr", "FieldDecl", "FloatLit", "FloatType", "IfExp", "ImportName", "InputClause", "IntLit",
           "IntType", "Keyword", "Lambda", "LenSpec", "LetClause", "ListComp", "ListLit", "ListType", "MapType",
           "Module", "NO_SPAN", "Name", "NamedType", "NoneLit", "OneOfType", "OpExpr", "Option", "OptionalType",
           "OutputClause", "ParamArg", "ParamClause", "PromptClause", "PythonRef", "RecordItem", "RecordLit",
           "RecordType", "SampleClause", "SetType", "Slice", "SolveClause", "Span", "StageRef", "StepClause",
           "StrLit", "StrType", "Subscript", "Template", "TupleLit", "TupleType", "TypeDecl", "TypeExpr",
           "TypeParam", "UnaryOp", "UseDecl", "VerifyClause", "WhereClause"]


# -------------------------------------------------------------------- clauses


@dataclass(frozen=True)
class Template:
    """A prompt/step template; `raw` is the text between the quotes as written."""

    raw: str
    triple: bool = True
    span: Span = span_field()


@dataclass(frozen=True)
class PythonRef:
    """`python "module:function"`; `target` is the text inside the quotes."""

    target: str
    span: Span = span_field()


@dataclass(frozen=True)
class ParamClause:
    name: str
    type: TypeExpr
    default: Expr
    span: Span = span_field()


@dataclass(frozen=True)
class Distribution:
    """`~ weights(3, 1)` / `~ bernoulli(p)` / `~ loguniform`: how an input is drawn instead of uniformly."""

    kind: str  # weights | bernoulli | loguniform
    args: tuple[Expr, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True)
class InputClause:
    name: str
    type: TypeExpr
    span: Span = span_field()
    dist: Distribution | None = None


@dataclass(frozen=True)
class DrawClause:
    """`draw NAME: T`: sampled like an input, but never fed and not in the signature."""

    name: str
    type: TypeExpr
    span: Span = span_field()
    dist: Distribution | None = None


@dataclass(frozen=True)
class LetClause:
    """`let NAME = EXPR`: a value derived once per instance."""

    name: str
    expr: Expr
    span: Span = span_field()


@dataclass(frozen=True)
class OutputClause:
    type: TypeExpr
    span: Span = span_field()


@dataclass(frozen=True)
class WhereClause:
    expr: Expr
    span: Span = span_field()


@dataclass(frozen=True)
class PromptClause:
    template: Template
    span: Span = span_field()


@dataclass(frozen=True)
class StepClause:
    template: Template
    span: Span = span_field()


@dataclass(frozen=True)
class SolveClause:
    body: Expr | PythonRef
    span: Span = span_field()


@dataclass(frozen=True)
class SampleClause:
    ref: PythonRef
    span: Span = span_field()


@dataclass(frozen=True)
class VerifyClause:
    """`kind` is exact | unordered | tolerance | python | check; `arg` its argument."""

    kind: str
    arg: Expr | PythonRef | None = None
    span: Span = span_field()


@dataclass(frozen=True)
class AnswerClause:
    format: str
    span: Span = span_field()


Clause = (
    ParamClause | InputClause | OutputClause | WhereClause | PromptClause | StepClause |
    SolveClause | SampleClause | VerifyClause | AnswerClause | DrawClause | LetClause
)


# --------------------------------------------------------------- declarations


@dataclass(frozen=True)
class ImportName:
    name: str
    span: Span = span_field()


@dataclass(frozen=True)
class UseDecl:
    """`use a.b` / `use a.b as c` / `use a.b.{x, y}` (then `names` is set)."""

    module: tuple[str, ...]
    alias: str | None = None
    names: tuple[ImportName, ...] | None = None
    span: Span = span_field()


@dataclass(frozen=True)
class TypeDecl:
    name: str
    type: TypeExpr
    span: Span = span_field()


@dataclass(frozen=True)
class DataDecl:
    """`data words: List[Str] = lines("words.txt")`: a file beside the spec, read at check time."""

    name: str
    type: TypeExpr
    format: str  # lines | json | csv
    path: str
    span: Span = span_field()
    path_span: Span = span_field()


@dataclass(frozen=True)
class TypeParam:
    """`T`, `T: Ord` or `T: Ord = Int[-99..99]` in an env's header; `bound` is as written
    (None: `Any`), `default` None when the env can only be fed or instantiated."""

    name: str
    bound: str | None = None
    default: TypeExpr | None = None
    span: Span = span_field()


@dataclass(frozen=True)
class EnvDecl:
    """A base environment; clauses are kept in source order (order is free)."""

    name: str
    doc: str | None
    clauses: tuple[Clause, ...]
    span: Span = span_field()
    name_span: Span = span_field()
    type_params: tuple[TypeParam, ...] = ()

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
    span: Span = span_field()


@dataclass(frozen=True)
class StageRef:
    """A reference to an env or composite: `take_first(k=3)[xs]`, `take_first[Str[len=1..8]]`."""

    name: tuple[str, ...]
    args: tuple[ParamArg, ...] = ()
    port: str | None = None
    has_parens: bool = False
    span: Span = span_field()
    type_args: tuple[TypeExpr, ...] = ()


@dataclass(frozen=True)
class Option:
    """`reward=final` and friends inside an operator's argument list."""

    name: str
    value: str
    span: Span = span_field()


@dataclass(frozen=True)
class OpExpr:
    """`seq(...)`, `par(...)`, `sort(...)` or `select(...; distractors: ...)`."""

    op: str
    stages: tuple[CompExpr, ...]
    options: tuple[Option, ...] = ()
    distractors: tuple[CompExpr, ...] = ()
    span: Span = span_field()


CompExpr = (
    OpExpr | StageRef
)


@dataclass(frozen=True)
class ComposeDecl:
    name: str
    doc: str | None
    body: CompExpr
    span: Span = span_field()
    name_span: Span = span_field()


Decl = (
    UseDecl | TypeDecl | DataDecl | EnvDecl | ComposeDecl
)


@dataclass(frozen=True)
class Module:
    """One parsed `.races` file."""

    name: str
    path: str
    decls: tuple[Decl, ...]
    span: Span = span_field()
