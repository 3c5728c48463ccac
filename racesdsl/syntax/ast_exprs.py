"""Expression nodes of the AST (the `Expr` union); use them through `racesdsl.syntax.ast`,
which re-exports every node so the AST stays one namespace."""

from __future__ import annotations

from dataclasses import dataclass

from racesdsl.syntax.spans import Span, span_field


@dataclass(frozen=True)
class Name:
    id: str
    span: Span = span_field()


@dataclass(frozen=True)
class IntLit:
    value: int
    span: Span = span_field()


@dataclass(frozen=True)
class FloatLit:
    value: float
    span: Span = span_field()


@dataclass(frozen=True)
class StrLit:
    value: str
    span: Span = span_field()


@dataclass(frozen=True)
class BoolLit:
    value: bool
    span: Span = span_field()


@dataclass(frozen=True)
class NoneLit:
    """`none`: the absent value of an `Optional[T]` (`null` in answers)."""

    span: Span = span_field()


@dataclass(frozen=True)
class BinOp:
    """`left op right` for op in + - * / // % **."""

    op: str
    left: Expr
    right: Expr
    span: Span = span_field()


@dataclass(frozen=True)
class UnaryOp:
    """`+x`, `-x` or `not x`."""

    op: str
    operand: Expr
    span: Span = span_field()


@dataclass(frozen=True)
class BoolOp:
    """`a and b` / `a or b` (binary; chains nest to the left)."""

    op: str
    left: Expr
    right: Expr
    span: Span = span_field()


@dataclass(frozen=True)
class Compare:
    """A possibly chained comparison `a < b <= c`; ops include `in` and `not in`."""

    left: Expr
    ops: tuple[str, ...]
    comparators: tuple[Expr, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class IfExp:
    body: Expr
    test: Expr
    orelse: Expr
    span: Span = span_field()


@dataclass(frozen=True)
class Attribute:
    """Record field access `r.x`."""

    value: Expr
    attr: str
    span: Span = span_field()


@dataclass(frozen=True)
class Slice:
    lower: Expr | None
    upper: Expr | None
    step: Expr | None
    span: Span = span_field()


@dataclass(frozen=True)
class Subscript:
    value: Expr
    index: Expr | Slice
    span: Span = span_field()


@dataclass(frozen=True)
class Keyword:
    name: str
    value: Expr
    span: Span = span_field()


@dataclass(frozen=True)
class Call:
    """A builtin call; the language has no user-defined functions."""

    func: str
    args: tuple[Expr, ...]
    keywords: tuple[Keyword, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True)
class ListLit:
    items: tuple[Expr, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class TupleLit:
    items: tuple[Expr, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class RecordItem:
    name: str
    value: Expr
    span: Span = span_field()


@dataclass(frozen=True)
class RecordLit:
    items: tuple[RecordItem, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class Comprehension:
    """One `for targets in iter if c1 if c2` clause; `parens` remembers `(a, b)`."""

    targets: tuple[str, ...]
    iter: Expr
    ifs: tuple[Expr, ...] = ()
    parens: bool = False
    span: Span = span_field()


@dataclass(frozen=True)
class ListComp:
    elt: Expr
    generators: tuple[Comprehension, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class Lambda:
    """`lambda a, b: body`: only ever the function argument of a loop builtin
    (`fold`, `iterate`, `until`, `key=`); the checker rejects it anywhere else."""

    params: tuple[str, ...]
    body: Expr
    span: Span = span_field()


Expr = (
    Name | IntLit | FloatLit | StrLit | BoolLit | NoneLit | BinOp | UnaryOp | BoolOp | Compare |
    IfExp | Attribute | Subscript | Call | ListLit | TupleLit | RecordLit | ListComp | Lambda
)
