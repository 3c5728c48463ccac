"""Narrowing of `Optional` names by a `none` test, for the expression checker: the
branch of `x if x != none else 0` (and the right side of `x != none and x > 0`) sees
`x` as its inner type, because there it cannot be none."""

from __future__ import annotations

from collections.abc import Mapping

from racesdsl.runtime.types import TOptional, TType
from racesdsl.syntax import ast as A


def narrowed(test: A.Expr, scope: Mapping[str, TType], negated: bool) -> Mapping[str, TType]:
    """The scope where `test` holds (or fails, `negated`): `x != none` makes an Optional
    name `x` its inner type there (`x == none` where it fails), so `x + 1` type-checks."""
    match test:
        case A.Compare(left=A.Name(id=name), ops=(op,), comparators=(A.NoneLit(),)) | \
                A.Compare(left=A.NoneLit(), ops=(op,), comparators=(A.Name(id=name),)):
            t = scope.get(name)
            if isinstance(t, TOptional) and (op == "!=") != negated and op in ("==", "!="):
                return {**scope, name: t.inner}
        case A.BoolOp(op="and", left=left, right=right) if not negated:
            return narrowed(right, narrowed(left, scope, False), False)
        case A.BoolOp(op="or", left=left, right=right) if negated:
            return narrowed(right, narrowed(left, scope, True), True)
    return scope
