"""Check an input's `~ weights(...)` / `~ bernoulli(p)` / `~ loguniform` against its type
(E0340-E0342, E0344): every instance's sampler must be buildable whatever the params."""

from __future__ import annotations

from racesdsl.check.exprs import constant_value
from racesdsl.check.typeexpr import TypeContext, bound_interval, type_names
from racesdsl.diagnostics import Diagnostic, error
from racesdsl.runtime import types as T
from racesdsl.runtime.values import domain_size
from racesdsl.syntax import ast as A

_FITS = {"weights": (T.TInt, T.TEnum), "bernoulli": (T.TBool,), "loguniform": (T.TInt, T.TFloat)}
_FITS_TEXT = {"weights": "an Int range or an Enum", "bernoulli": "a Bool", "loguniform": "an Int or Float range"}


def check_distribution(clause: A.InputClause, t: T.TType, custom: bool, ctx: TypeContext,
                       diags: list[Diagnostic]) -> None:
    """Report why `clause.dist` cannot draw values of `t` (the input's widened type)."""
    dist = clause.dist
    if dist is None or isinstance(t, T.TAny):
        return
    if custom:
        diags.append(error("E0344", f"input `{clause.name}` has a distribution, but a custom sampler draws it",
                           dist.span, "remove `~ ...`: `sample python` draws every input itself"))
        return
    if not isinstance(t, _FITS[dist.kind]):
        diags.append(error("E0344", f"`{dist.kind}` draws {_FITS_TEXT[dist.kind]}, not {T.show(t)}", dist.span,
                           "use `weights` on Int and Enum, `bernoulli` on Bool, `loguniform` on Int and Float"))
        return
    if dist.kind == "weights":
        _check_weights(clause, dist, t, diags)
    elif dist.kind == "bernoulli":
        p = bound_interval(dist.args[0], ctx)
        if p is not None and not T.Interval(0, 1).contains(p):
            can = f"is {p.lo}" if p.lo == p.hi else f"can be {p.show()}"
            diags.append(error("E0341", f"`bernoulli` needs a probability in [0, 1], but p {can}",
                               dist.args[0].span, "write e.g. `bernoulli(0.25)`"))
    elif t.range.lo <= 0:  # loguniform; the widened range: its lowest value over the params
        diags.append(error("E0342", f"`loguniform` needs positive bounds, but {T.show(t)} reaches {t.range.lo}",
                           clause.type.span, "start the range at 1 (Int) or above 0 (Float)"))


def _check_weights(clause: A.InputClause, dist: A.Distribution, t: T.TType, diags: list[Diagnostic]) -> None:
    values = [constant_value(w) for w in dist.args]
    for w, v in zip(dist.args, values, strict=True):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            diags.append(error("E0340", "a weight must be a constant number >= 0", w.span,
                               "write e.g. `weights(3, 1)`"))
            return
    if sum(values) <= 0:
        diags.append(error("E0340", "the weights are all 0, so no value can be drawn", dist.span))
        return
    if type_names(clause.type):
        diags.append(error("E0340", f"the weights of input `{clause.name}` need a fixed domain, "
                           "but its bounds read params", clause.type.span,
                           "give the type constant bounds, one weight per value"))
        return
    size = domain_size(t)
    if size != len(values):
        what = "value of the range" if isinstance(t, T.TInt) else "literal"
        diags.append(error("E0340", f"{len(values)} weight{'s' * (len(values) != 1)} for {T.show(t)}, "
                           f"which has {size} value{'s' * (size != 1)}", dist.span,
                           f"give one weight per {what}, in order"))
