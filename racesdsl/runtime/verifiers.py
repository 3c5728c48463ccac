"""Verifiers: completion text -> `Score`, total and bounded (language.md §4, §6).

`make_verifier` specialises the pipeline once per (kind, type, format):
extract the answer (bounded, linear: `extract.finder`), parse it into the output
type (`answers.parser_for`), compare it with the reference. The callable it
returns never raises and never runs model text; a failure is a score of 0 with
a reason ("no <answer> block found", "could not parse ...", "expected X, got Y")."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

from racesdsl.runtime.answers import parser_for
from racesdsl.runtime.checks import sort_key_for
from racesdsl.runtime.extract import MAX_ANSWER, MISSING, finder
from racesdsl.runtime.score import Score, brief, error_score, is_unit, mismatch
from racesdsl.runtime.types import TAny, TBool, TEnum, TFloat, TInt, TList, TRecord, TSet, TStr, TTuple, TType

__all__ = ["KINDS", "Comparer", "Verifier", "exact", "make_verifier", "tolerance", "unordered"]

KINDS = ("exact", "tolerance", "unordered", "python", "check")

Verifier = Callable[[str, Any, dict[str, Any], dict[str, Any]], Score]
"""`verify(completion, reference, inputs, params) -> Score`."""
Comparer = Callable[[Any, Any, TType], Score]
_Compare = Callable[[Any, Any, Any, Any], Score]  # (answer, reference, inputs, params)

_OK = Score.ok()


def _scalar(t: TType) -> bool:
    return isinstance(t, TInt | TFloat | TBool | TStr | TEnum)


def _same(a: Any, b: Any, key: Callable[[Any], Any]) -> bool:
    """Equal keys; a reference that does not fit its type is simply unequal."""
    try:
        return bool(key(a) == key(b))
    except Exception:
        return False


# ----------------------------------------------------------------- comparers


def exact(answer: Any, reference: Any, t: TType) -> Score:
    """Equal as values of `t`: sets in any order, a tuple equals the same list, 1 == 1.0."""
    if answer == reference or (not _scalar(t) and _same(answer, reference, sort_key_for(t))):
        return _OK
    return mismatch(reference, answer)


def _close(a: Any, b: Any, t: TType, eps: float) -> bool:
    match t:
        case TInt() | TFloat():
            try:
                return abs(a - b) <= eps * max(1.0, abs(b))
            except OverflowError:  # an int beyond float range: only equality is meaningful
                return bool(a == b)
        case TList(e):
            return len(a) == len(b) and all(_close(x, y, e, eps) for x, y in zip(a, b, strict=True))
        case TSet(e):  # sorted pairing is the best one for numbers, and exact for the rest
            key = sort_key_for(e)
            return len(a) == len(b) and all(
                _close(x, y, e, eps) for x, y in zip(sorted(a, key=key), sorted(b, key=key), strict=True))
        case TTuple(items):
            return len(a) == len(b) == len(items) and all(
                _close(x, y, i, eps) for x, y, i in zip(a, b, items, strict=True))
        case TRecord(fields):
            return all(_close(a[n], b[n], ft, eps) for n, ft in fields)
    return bool(a == b)


def tolerance(eps: float) -> Comparer:
    """Numbers match when `abs(a - b) <= eps * max(1, abs(b))`, b the reference: an
    absolute tolerance up to 1, a relative one above. Lists, tuples and records of
    numbers compare elementwise, sets after sorting; everything else exactly."""
    eps = _check_eps(eps)
    note = f" (within {eps:g})"

    def compare(answer: Any, reference: Any, t: TType) -> Score:
        try:
            ok = _close(answer, reference, t, eps)
        except (TypeError, ValueError, KeyError):  # a reference that does not fit its type
            ok = False
        return _OK if ok else mismatch(reference, answer, note)

    return compare


def _bag_key(t: TType) -> Callable[[Any], Any]:
    """A key equal for values that differ only in the order of list (or set) elements."""
    match t:
        case TList(e) | TSet(e):
            k = _bag_key(e)
            return lambda v: tuple(sorted(map(k, v)))
        case TTuple(items):
            ks = [_bag_key(i) for i in items]
            return lambda v: tuple([k(x) for k, x in zip(ks, v, strict=True)])
        case TRecord(fields):
            pairs = [(n, _bag_key(ft)) for n, ft in fields]
            return lambda v: tuple([k(v[n]) for n, k in pairs])
        case TAny():
            return lambda v: (type(v).__name__, repr(v))
    return lambda v: v


def unordered(answer: Any, reference: Any, t: TType) -> Score:
    """Lists compared as multisets, at every depth (tuples and records stay positional).
    Elements need not be hashable: each list becomes the sorted tuple of its elements' keys."""
    if _same(answer, reference, _bag_key(t)):
        return _OK
    return mismatch(reference, answer, " (in any order)")


# ------------------------------------------------------------------ pipeline


def _check_eps(eps: Any) -> float:
    if isinstance(eps, bool) or not isinstance(eps, int | float) or not math.isfinite(eps) or eps < 0:
        raise ValueError(f"tolerance needs a finite eps >= 0, got {eps!r}")
    return float(eps)


def _python(fn: Callable[..., Any]) -> _Compare:
    """A user verifier `fn(answer, *, reference, inputs, params) -> float | Score`, made total."""
    name = getattr(fn, "__qualname__", None) or type(fn).__name__

    def compare(answer: Any, reference: Any, inputs: Any, params: Any) -> Score:
        try:
            out = fn(answer, reference=reference, inputs={} if inputs is None else inputs,
                     params={} if params is None else params)
        except (Exception, SystemExit) as exc:  # SystemExit too: a hook calling exit() must not end training
            return error_score(exc, name)
        if isinstance(out, Score):
            return out
        v = math.nan
        if isinstance(out, numbers.Real):  # bool, int, float, numpy scalars
            try:
                v = float(out)
            except (OverflowError, TypeError, ValueError):
                pass
        if is_unit(v):
            return _OK if v == 1.0 else Score(v, f"{name} scored {v:g}")
        return Score(0.0, f"verifier error: {name} returned {brief(out, 60)}, not a number in [0, 1] or a Score")

    return compare


def _predicate(fn: Callable[[Any, Any, Any], Any]) -> _Compare:
    """`verify check EXPR` compiled to `fn(answer, inputs, params)`: a Bool scores 1 or 0,
    a number in [0, 1] is partial credit; anything else, or an error (a missing Map key),
    is a zero with the reason. The reference answer plays no part."""

    def compare(answer: Any, reference: Any, inputs: Any, params: Any) -> Score:
        try:
            out = fn(answer, inputs, params)
        except Exception as exc:
            return error_score(exc, "`verify check`")
        if type(out) is bool:
            return _OK if out else Score(0.0, f"{brief(answer, 60)} fails the check")
        if isinstance(out, int | float) and is_unit(float(out)):
            return _OK if out == 1 else Score(float(out), f"the check scored {float(out):g}")
        return Score(0.0, f"verifier error: the check gave {brief(out, 60)}, not a number in [0, 1]")

    return compare


def _comparer(kind: str, t: TType, eps: float | None, python_fn: Callable[..., Any] | None) -> _Compare:
    if kind == "check":
        if not callable(python_fn):
            raise ValueError("a check verifier needs its predicate as python_fn")
        return _predicate(python_fn)
    if kind == "python":
        if not callable(python_fn):
            raise ValueError("a python verifier needs python_fn")
        return _python(python_fn)
    if python_fn is not None:
        raise ValueError(f"python_fn given for a {kind!r} verifier")
    if kind == "exact":
        if _scalar(t):
            return lambda a, r, i, p: _OK if a == r else mismatch(r, a)
        key = sort_key_for(t)
        return lambda a, r, i, p: _OK if a == r or _same(a, r, key) else mismatch(r, a)
    if kind == "tolerance":
        if eps is None:
            raise ValueError("a tolerance verifier needs eps")
        close = tolerance(eps)
        return lambda a, r, i, p: close(a, r, t)
    if kind == "unordered":
        bag = _bag_key(t)
        return lambda a, r, i, p: _OK if _same(a, r, bag) else mismatch(r, a, " (in any order)")
    raise ValueError(f"unknown verifier {kind!r} (expected one of {', '.join(KINDS)})")


def make_verifier(kind: str, t: TType, fmt: str, *, eps: float | None = None,
                  python_fn: Callable[..., Any] | None = None) -> Verifier:
    """The whole verifier for one env: `verify(completion, reference, inputs, params) -> Score`.

    Configuration mistakes (unknown kind or format, a tolerance without eps)
    raise ValueError here, once; the returned callable never raises."""
    find, parse = finder(fmt), parser_for(t)
    compare = _comparer(kind, t, eps, python_fn)
    missing = Score(0.0, MISSING[fmt])

    def verify(completion: str, reference: Any, inputs: dict[str, Any] | None = None,
               params: dict[str, Any] | None = None) -> Score:
        try:
            if type(completion) is not str:
                return Score(0.0, f"the completion is not text (got {type(completion).__name__})")
            text = find(completion)
            if text is None:
                return missing
            if len(text) > MAX_ANSWER:
                return Score(0.0, f"the answer is too long ({len(text)} characters; at most {MAX_ANSWER})")
            value, why = parse(text)
            if why is not None:
                return Score(0.0, f"could not parse {brief(text.strip(), 60)}: {why}")
            return compare(value, reference, inputs, params)
        except Exception as exc:  # a bug or a hostile reference: a zero, never a crash in the RL loop
            return error_score(exc)

    return verify
