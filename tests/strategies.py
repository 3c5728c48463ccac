"""Hypothesis strategies for well-formed `.races` ASTs.

Every value drawn here is an AST the parser can produce: names avoid reserved
words, literals are non-negative (the parser reads `-5` as a unary minus),
parenthesised expressions are not nodes of their own, and each list the
grammar requires to be non-empty is. So `parse_text(print_module(m)) == m`
is a fair property, and other tests (checker totality, codegen) can reuse
these generators. Depth parameters bound the size of generated trees.
"""

from __future__ import annotations

import functools

from hypothesis import strategies as st

from racesdsl.syntax import ast as A
from racesdsl.syntax.reserved import RESERVED

__all__ = [
    "idents", "dotted", "strings", "exprs", "types", "templates", "python_refs", "clauses",
    "env_decls", "comp_exprs", "compose_decls", "use_decls", "type_decls", "decls", "modules",
    "MODULE_NAME", "MODULE_PATH",
]

MODULE_NAME = "gen"
MODULE_PATH = "<gen>"

_HEAD = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_TAIL = _HEAD + "0123456789"

S = st.SearchStrategy

# Short names from a few letters: shrinks well and often hits keywords
# (`in`, `if`, `for`) and float-looking suffixes (`e5`), which the filter drops.
idents: S[str] = st.one_of(
    st.builds(lambda h, t: h + t, st.sampled_from("abeinx_"), st.text("abefinorx_05", max_size=4)),
    st.builds(lambda h, t: h + t, st.sampled_from(_HEAD), st.text(_TAIL, max_size=8)),
).filter(lambda s: s not in RESERVED)

dotted: S[tuple[str, ...]] = st.lists(idents, min_size=1, max_size=3).map(tuple)

# Any text (surrogates excluded by default), plus quote/backslash-heavy text.
strings: S[str] = st.one_of(st.text(max_size=10), st.text('ab"\\\n\t\r\x00\u2028é', max_size=10))

_ints = st.integers(min_value=0, max_value=10**20).map(A.IntLit)
_floats = st.one_of(
    st.floats(min_value=0.0, max_value=1e6, allow_nan=False),
    st.floats(min_value=0.0, allow_nan=False, allow_infinity=False),
).map(A.FloatLit)
_atoms: S[A.Expr] = st.one_of(
    idents.map(A.Name), _ints, _floats, strings.map(A.StrLit), st.booleans().map(A.BoolLit),
    st.just(A.NoneLit()),
)

BINOPS = ("+", "-", "*", "/", "//", "%", "**")
COMPARE_OPS = ("<", ">", "==", ">=", "<=", "!=", "in", "not in")


def _compare(left: A.Expr, rest: list[tuple[str, A.Expr]]) -> A.Compare:
    return A.Compare(left, tuple(op for op, _ in rest), tuple(e for _, e in rest))


def _tuple(s: S) -> S:
    return s.map(tuple)


@functools.cache
def exprs(depth: int = 3) -> S[A.Expr]:
    """Expressions nested at most `depth` levels."""
    if depth <= 0:
        return _atoms
    sub = exprs(depth - 1)
    few = _tuple(st.lists(sub, max_size=3))
    slices = st.builds(A.Slice, st.none() | sub, st.none() | sub, st.none() | sub)
    comprehension = st.one_of(
        st.builds(A.Comprehension, _tuple(st.lists(idents, min_size=1, max_size=3)), sub,
                  _tuple(st.lists(sub, max_size=2)), st.just(False)),
        st.builds(A.Comprehension, _tuple(st.lists(idents, min_size=2, max_size=3)), sub,
                  _tuple(st.lists(sub, max_size=2)), st.just(True)),
    )
    lambdas = st.builds(A.Lambda, _tuple(st.lists(idents, min_size=1, max_size=2)), sub)  # call arguments only
    compound = st.one_of(
        st.builds(A.BinOp, st.sampled_from(BINOPS), sub, sub),
        st.builds(A.UnaryOp, st.sampled_from(("+", "-", "not")), sub),
        st.builds(A.BoolOp, st.sampled_from(("and", "or")), sub, sub),
        st.builds(_compare, sub, st.lists(st.tuples(st.sampled_from(COMPARE_OPS), sub),
                                          min_size=1, max_size=3)),
        st.builds(A.IfExp, sub, sub, sub),
        st.builds(A.Attribute, sub, idents),
        st.builds(A.Subscript, sub, sub | slices),
        st.builds(A.Call, idents, _tuple(st.lists(sub | lambdas, max_size=3)),
                  _tuple(st.lists(st.builds(A.Keyword, idents, sub | lambdas), max_size=2))),
        st.builds(A.ListLit, few),
        st.builds(A.TupleLit, few),
        st.builds(A.RecordLit, _tuple(st.lists(st.builds(A.RecordItem, idents, sub),
                                               min_size=1, max_size=3))),
        st.builds(A.ListComp, sub, _tuple(st.lists(comprehension, min_size=1, max_size=2))),
    )
    return st.one_of(_atoms, compound)


# ---------------------------------------------------------------------- types

_bound = exprs(1)
len_specs: S[A.LenSpec] = st.one_of(
    _bound.map(lambda e: A.LenSpec(e, e, True)),
    st.builds(A.LenSpec, _bound, _bound, st.just(False)),
    st.builds(A.LenSpec, _bound, st.none(), st.just(False)),
)


def _numeric(cls: type) -> S:
    return st.one_of(
        st.just(cls()),
        st.builds(cls, st.none() | _bound, st.none() | _bound, st.just(True)),
    )


_str_lengths: S[A.LenSpec | None] = st.none() | len_specs

_type_atoms: S[A.TypeExpr] = st.one_of(
    _numeric(A.IntType), _numeric(A.FloatType), st.just(A.BoolType()),
    st.builds(A.StrType, _str_lengths, st.none() | strings),
    st.builds(A.EnumType, _tuple(st.lists(strings, min_size=1, max_size=3))),
    dotted.map(A.NamedType),
)


@functools.cache
def types(depth: int = 2) -> S[A.TypeExpr]:
    """Type expressions nested at most `depth` levels."""
    if depth <= 0:
        return _type_atoms
    sub = types(depth - 1)
    return st.one_of(
        _type_atoms,
        st.builds(A.ListType, sub, st.none() | len_specs),
        st.builds(A.SetType, sub, st.none() | len_specs),
        st.builds(A.TupleType, _tuple(st.lists(sub, min_size=1, max_size=3))),
        st.builds(A.MapType, sub, sub, st.none() | len_specs),
        st.builds(A.OptionalType, sub),
        st.builds(A.RecordType, _tuple(st.lists(st.builds(A.FieldDecl, idents, sub),
                                                min_size=1, max_size=3))),
    )


# -------------------------------------------------------------------- clauses


def _triple_ok(raw: str) -> bool:
    """A `\"\"\"` template ends at the first `\"\"\"`, so its text cannot contain one or end in `\"`."""
    return '"""' not in raw and not raw.endswith('"')


templates: S[A.Template] = st.one_of(
    st.builds(A.Template, st.one_of(st.text(max_size=20), st.text('ab "{}\\\n ', max_size=20))
              .filter(_triple_ok), st.just(True)),
    st.builds(A.Template, strings, st.just(False)),
)
python_refs: S[A.PythonRef] = st.one_of(
    st.builds(lambda m, f: A.PythonRef(f"{'.'.join(m)}:{f}"), dotted, idents),
    strings.map(A.PythonRef),
)

_e = exprs(2)
_t = types(2)
clauses: S[A.Clause] = st.one_of(
    st.builds(A.ParamClause, idents, _t, _e),
    st.builds(A.InputClause, idents, _t),
    st.builds(A.OutputClause, _t),
    st.builds(A.WhereClause, _e),
    st.builds(A.PromptClause, templates),
    st.builds(A.StepClause, templates),
    st.builds(A.SolveClause, _e | python_refs),
    st.builds(A.SampleClause, python_refs),
    st.builds(A.VerifyClause, st.sampled_from(("exact", "unordered")), st.none()),
    st.builds(A.VerifyClause, st.just("tolerance"), _bound),
    st.builds(A.VerifyClause, st.just("python"), python_refs),
    st.builds(A.VerifyClause, st.just("check"), _e),
    st.builds(A.AnswerClause, idents),
)

type_params: S[A.TypeParam] = st.builds(A.TypeParam, idents, st.none() | idents, st.none() | _t)
env_decls: S[A.EnvDecl] = st.builds(
    A.EnvDecl, idents, st.none() | strings, _tuple(st.lists(clauses, max_size=6)),
    type_params=_tuple(st.lists(type_params, max_size=2)))

# --------------------------------------------------------------- compositions

_param_args = st.builds(A.ParamArg, dotted, _bound, st.none() | _bound)
stage_refs: S[A.StageRef] = st.one_of(
    st.builds(A.StageRef, dotted, st.just(()), st.none() | idents, st.booleans()),
    st.builds(A.StageRef, dotted, _tuple(st.lists(_param_args, min_size=1, max_size=3)),
              st.none() | idents, st.just(True)),
    st.builds(A.StageRef, dotted, _tuple(st.lists(_param_args, max_size=2)), st.none() | idents, st.just(True),
              type_args=_tuple(st.lists(_t, min_size=1, max_size=2))),
)
_options = _tuple(st.lists(st.builds(A.Option, idents, idents), max_size=2))


@functools.cache
def comp_exprs(depth: int = 2) -> S[A.CompExpr]:
    """Composition expressions nested at most `depth` operators deep."""
    if depth <= 0:
        return stage_refs
    sub = comp_exprs(depth - 1)
    stages = _tuple(st.lists(sub, min_size=1, max_size=3))
    return st.one_of(
        stage_refs,
        st.builds(A.OpExpr, st.sampled_from(("seq", "par", "sort")), stages, _options),
        st.builds(A.OpExpr, st.just("select"), stages, _options, stages),
    )


compose_decls: S[A.ComposeDecl] = st.builds(A.ComposeDecl, idents, st.none() | strings, comp_exprs(2))

# --------------------------------------------------------------- declarations

use_decls: S[A.UseDecl] = st.one_of(
    st.builds(A.UseDecl, dotted, st.none() | idents, st.none()),
    st.builds(A.UseDecl, dotted, st.none(),
              _tuple(st.lists(idents.map(A.ImportName), min_size=1, max_size=3))),
)
type_decls: S[A.TypeDecl] = st.builds(A.TypeDecl, idents, _t)
decls: S[A.Decl] = st.one_of(use_decls, type_decls, env_decls, compose_decls)


def modules(max_decls: int = 5) -> S[A.Module]:
    """Whole files named `MODULE_NAME` at `MODULE_PATH` (parse with the same)."""
    return _tuple(st.lists(decls, max_size=max_decls)).map(
        lambda ds: A.Module(MODULE_NAME, MODULE_PATH, ds))
