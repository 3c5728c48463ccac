"""Type-expression nodes of the AST (the `TypeExpr` union: `Int[1..9]`, `List[T, len=3]`, ...);
use them through `racesdsl.syntax.ast`, which re-exports every node."""

from __future__ import annotations

from dataclasses import dataclass

from racesdsl.syntax.ast_exprs import Expr
from racesdsl.syntax.spans import Span, span_field


@dataclass(frozen=True)
class LenSpec:
    """`len=n` (exact), `len=a..b` or `len=a..` (hi is None, open)."""

    lo: Expr
    hi: Expr | None
    exact: bool
    span: Span = span_field()


@dataclass(frozen=True)
class IntType:
    lo: Expr | None = None
    hi: Expr | None = None
    bounded: bool = False
    span: Span = span_field()


@dataclass(frozen=True)
class FloatType:
    lo: Expr | None = None
    hi: Expr | None = None
    bounded: bool = False
    span: Span = span_field()


@dataclass(frozen=True)
class BoolType:
    span: Span = span_field()


@dataclass(frozen=True)
class StrType:
    length: LenSpec | None = None
    chars: str | None = None
    span: Span = span_field()


@dataclass(frozen=True)
class EnumType:
    values: tuple[str, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class ListType:
    elem: TypeExpr
    length: LenSpec | None = None
    span: Span = span_field()
    distinct: bool = False  # `List[T, len=n, distinct]`: no element twice (a permutation when n fills T)


@dataclass(frozen=True)
class SetType:
    elem: TypeExpr
    length: LenSpec | None = None
    span: Span = span_field()


@dataclass(frozen=True)
class TupleType:
    items: tuple[TypeExpr, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class MapType:
    """`Map[K, V, len=a..b]`: a JSON object from distinct keys to values."""

    key: TypeExpr
    value: TypeExpr
    length: LenSpec | None = None
    span: Span = span_field()


@dataclass(frozen=True)
class OptionalType:
    """`Optional[T]`: a value of `T` or `none` (`null` in answers)."""

    inner: TypeExpr
    span: Span = span_field()


@dataclass(frozen=True)
class FieldDecl:
    name: str
    type: TypeExpr
    span: Span = span_field()


@dataclass(frozen=True)
class RecordType:
    fields: tuple[FieldDecl, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class NamedType:
    """A reference to a `type` alias, possibly qualified (`lists.Small`)."""

    name: tuple[str, ...]
    span: Span = span_field()


@dataclass(frozen=True)
class OneOfType:
    """`OneOf[words]`: one element of a `data` declaration (`name`, possibly qualified)."""

    name: tuple[str, ...]
    span: Span = span_field()


TypeExpr = (
    IntType | FloatType | BoolType | StrType | EnumType | ListType | SetType |
    TupleType | MapType | OptionalType | RecordType | NamedType | OneOfType
)
