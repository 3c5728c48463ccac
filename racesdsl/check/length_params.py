"""Exact-length params (`List[Int, len=n]`, docs/language.md §3): which param
an input's length names, and how a fused stage's such params are inferred
from the value it receives, so they are bound rather than left as knobs."""

from __future__ import annotations

from racesdsl.ir import EnvInfo
from racesdsl.runtime import types as T
from racesdsl.syntax import ast as A


def infer_exact_lengths(env: EnvInfo, fed: dict[str, T.TType], ranges: dict[str, T.Interval]) -> set[str]:
    """Exact-length params of fed inputs take the incoming value's length (unification).

    Narrows `ranges` in place to the incoming length when it fits; returns the
    params bound this way."""
    inferred: set[str] = set()
    for name, t in fed.items():
        texpr = env.input(name).texpr
        param = exact_len_name(texpr)
        if param is None or param not in ranges:
            continue
        # The param is bound by the incoming value whatever it is; when that value
        # does not fit, the input check reports it against the declared range.
        inferred.add(param)
        length = getattr(t, "length", None)
        if length is not None and ranges[param].contains(length) and _same_kind(texpr, t):
            ranges[param] = length
    return inferred


def exact_len_name(texpr: A.TypeExpr) -> str | None:
    """The param named by a `len=n` on a list, set or string type, if any."""
    length = getattr(texpr, "length", None)
    if isinstance(texpr, (A.ListType, A.SetType, A.StrType)) and length is not None and length.exact:
        if isinstance(length.lo, A.Name):
            return length.lo.id
    return None


def exact_len_param(env: EnvInfo, param: str) -> bool:
    """Whether `param` is the exact length of one of the env's inputs."""
    return any(exact_len_name(i.texpr) == param for i in env.inputs)


def _same_kind(texpr: A.TypeExpr, t: T.TType) -> bool:
    kinds = {A.ListType: T.TList, A.SetType: T.TSet, A.StrType: T.TStr}
    return isinstance(t, kinds[type(texpr)]) or (isinstance(texpr, A.StrType) and isinstance(t, T.TEnum))
