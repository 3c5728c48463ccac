"""A small pure-Python value generator and membership test for semantic types.

Test support only (the real runtime sampler comes later). Values are the plain
Python values of the language (§4, "plain Python values"):

- `Int` -> `int` (never `bool`); `Float` -> finite `float`, and an `int` also
  inhabits a `Float` range (widening, `Int <: Float`); `Bool` -> `bool`;
  `Str` / `Enum` -> `str`;
- `List` -> `list`; `Tuple` -> `tuple` of the right arity; records -> `dict`
  with exactly the field names;
- **`Set` -> a `list` of pairwise distinct items** (order irrelevant). Sets of
  lists or records cannot be Python sets (unhashable), and JSON / pydantic
  carry sets as lists too. `inhabits` is type-directed, so the same list may
  inhabit both `List[T]` and `Set[T]`; `sample_value` never yields a Python set.

`sample_value` needs a bounded type (`is_bounded`). A `Set` whose length
interval cannot be reached because the element type has too few values is
*capped*: it gets as many distinct elements as exist (so that value does not
inhabit the set type; `inhabited` tells such types apart). Other uninhabited
types (an empty interval, `Enum[]`) raise `ValueError`. `Str` without a
character class draws from printable ASCII.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Hashable, Iterable
from typing import Any

from racesdsl.runtime.types import (
    Interval,
    TAny,
    TBool,
    TEnum,
    TFloat,
    TInt,
    TList,
    TRecord,
    TSet,
    TStr,
    TTuple,
    TType,
    is_bounded,
)
from racesdsl.runtime.values import sampler_for

PRINTABLE: tuple[str, ...] = tuple(chr(c) for c in range(32, 127))
"""The alphabet of `Str` when it has no character class."""

CAP = 10**6
"""`count` saturates here: "at least this many values"."""

_ENUMERATE_LIMIT = 256


# ------------------------------------------------------------------ counting


def int_range(r: Interval) -> tuple[int, int]:
    """The integers `lo..hi` inside an interval (`lo > hi` when there are none)."""
    lo = -CAP if r.lo == -math.inf else math.ceil(r.lo)
    hi = CAP if r.hi == math.inf else math.floor(r.hi)
    return lo, hi


def _length_range(r: Interval) -> tuple[int, int]:
    lo, hi = int_range(r)
    return max(lo, 0), hi


def _alphabet(t: TStr) -> list[str]:
    return sorted(t.chars) if t.chars is not None else list(PRINTABLE)


def count(t: TType) -> int:
    """How many values `sample_value` can produce for `t`, saturating at `CAP`."""
    match t:
        case TInt(r):
            lo, hi = int_range(r)
            return min(max(hi - lo + 1, 0), CAP)
        case TFloat(r):
            if r.empty:
                return 0
            return 1 if r.lo == r.hi else CAP
        case TBool():
            return 2
        case TEnum(values):
            return min(len(set(values)), CAP)
        case TStr(length, _, _):
            return _sequences(len(_alphabet(t)), length)
        case TList(elem, length):
            return _sequences(count(elem), length)
        case TSet(elem, length):
            return _subsets(count(elem), length)
        case TTuple(items):
            return _product(count(i) for i in items)
        case TRecord(fields):
            return _product(count(ft) for _, ft in fields)
    return CAP  # TAny: anything goes


def inhabited(t: TType) -> bool:
    """Whether `sample_value(t)` yields a value of `t` (see the module note on sets)."""
    return count(t) > 0


def _product(counts: Iterable[int]) -> int:
    total = 1
    saturated = False
    for c in counts:
        if c == 0:
            return 0
        saturated |= c >= CAP
        total = min(total * c, CAP)
    return CAP if saturated else total


def _sequences(card: int, length: Interval) -> int:
    lo, hi = _length_range(length)
    if lo > hi:
        return 0
    if card == 0:
        return 1 if lo == 0 else 0
    if card == 1:
        return min(hi - lo + 1, CAP)
    total = 0
    for n in range(lo, hi + 1):
        total += card**n
        if total >= CAP:
            return CAP
    return total


def _subsets(card: int, length: Interval) -> int:
    lo, hi = _length_range(length)
    if lo > hi:
        return 0
    if card >= CAP:  # saturated: a lower bound only
        return CAP if hi >= 1 else 1
    total = 0
    for k in range(lo, min(hi, card) + 1):
        total += math.comb(card, k)
        if total >= CAP:
            return CAP
    return total


def all_values(t: TType) -> list[Any]:
    """Every value of a small type (`count(t) <= 256`), in a fixed order."""
    n = count(t)
    if n > _ENUMERATE_LIMIT:
        raise ValueError("too many values to enumerate")
    if n == 0:
        return []
    match t:
        case TInt(r):
            lo, hi = int_range(r)
            return list(range(lo, hi + 1))
        case TFloat(r):
            return [] if r.empty else [float(r.lo)]
        case TBool():
            return [False, True]
        case TEnum(values):
            return list(dict.fromkeys(values))
        case TStr(length, _, _):
            lo, hi = _length_range(length)
            alphabet = _alphabet(t)
            return ["".join(p) for n in range(lo, hi + 1) for p in itertools.product(alphabet, repeat=n)]
        case TList(elem, length):
            lo, hi = _length_range(length)
            elems = all_values(elem) if hi > 0 and count(elem) > 0 else []
            return [list(p) for n in range(lo, hi + 1) for p in itertools.product(elems, repeat=n)]
        case TSet(elem, length):
            lo, hi = _length_range(length)
            elems = all_values(elem) if hi > 0 and count(elem) > 0 else []
            return [list(c) for k in range(lo, hi + 1) for c in itertools.combinations(elems, k)]
        case TTuple(items):
            return [tuple(p) for p in itertools.product(*(all_values(i) for i in items))]
        case TRecord(fields):
            names = [n for n, _ in fields]
            return [dict(zip(names, p, strict=True)) for p in itertools.product(*(all_values(ft) for _, ft in fields))]
    raise ValueError(f"cannot enumerate {t!r}")


# ------------------------------------------------------------------ sampling


def sample_value(t: TType, rng: random.Random) -> Any:
    """Draw a value of the bounded type `t` (roughly uniform per component)."""
    if not is_bounded(t):
        raise ValueError(f"cannot sample an unbounded type: {t!r}")
    return _sample(t, rng)


def _sample(t: TType, rng: random.Random) -> Any:
    match t:
        case TInt(r):
            lo, hi = int_range(r)
            if lo > hi:
                raise ValueError(f"no integer in {r.show()}")
            return rng.randint(lo, hi)
        case TFloat(r):
            if r.empty:
                raise ValueError(f"no float in {r.show()}")
            roll = rng.random()
            if roll < 0.1:
                return float(r.lo)
            if roll < 0.2:
                return float(r.hi)
            return min(max(rng.uniform(r.lo, r.hi), float(r.lo)), float(r.hi))
        case TBool():
            return rng.random() < 0.5
        case TEnum(values):
            if not values:
                raise ValueError("Enum[] has no values")
            return rng.choice(values)
        case TStr(length, _, _):
            lo, hi = _length_range(length)
            alphabet = _alphabet(t)
            if lo > hi or (not alphabet and lo > 0):
                raise ValueError("no string fits")
            n = rng.randint(lo, hi) if alphabet else 0
            return "".join(rng.choice(alphabet) for _ in range(n))
        case TList(elem, length):
            lo, hi = _length_range(length)
            if lo > hi:
                raise ValueError(f"empty length interval {length.show()}")
            if count(elem) == 0:  # only the empty list, if any
                if lo > 0:
                    raise ValueError(f"no element for a list of length {lo}")
                return []
            return [_sample(elem, rng) for _ in range(rng.randint(lo, hi))]
        case TSet(elem, length):
            return _sample_set(elem, length, rng)
        case TTuple(items):
            return tuple(_sample(i, rng) for i in items)
        case TRecord(fields):
            return {n: _sample(ft, rng) for n, ft in fields}
    raise ValueError(f"cannot sample {t!r}")


def _sample_set(elem: TType, length: Interval, rng: random.Random) -> list[Any]:
    lo, hi = _length_range(length)
    if lo > hi:
        raise ValueError(f"empty length interval {length.show()}")
    card = count(elem)
    n = card if lo >= card else rng.randint(lo, min(hi, card))  # capped when lo is unreachable
    if card <= _ENUMERATE_LIMIT:
        return rng.sample(all_values(elem), n)
    if isinstance(elem, TInt):
        a, b = int_range(elem.range)
        return rng.sample(range(a, b + 1), n)
    out: list[Any] = []
    seen: set[Hashable] = set()
    for _ in range(1000 + 200 * n):
        if len(out) == n:
            break
        v = _sample(elem, rng)
        k = key(v, elem)
        if k not in seen:
            seen.add(k)
            out.append(v)
    if len(out) != n:
        raise RuntimeError(f"could not draw {n} distinct elements")
    return out


# ---------------------------------------------------------------- membership


def key(v: Any, t: TType) -> Hashable:
    """A hashable identity for a value of `t`: equal keys iff equal values (sets unordered)."""
    match t:
        case TList(elem, _):
            return tuple(key(x, elem) for x in v)
        case TSet(elem, _):
            return frozenset(key(x, elem) for x in v)
        case TTuple(items):
            return tuple(key(x, i) for x, i in zip(v, items, strict=True))
        case TRecord(fields):
            return tuple((n, key(v[n], ft)) for n, ft in fields)
        case TAny():
            return repr(v)
    return v


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def inhabits(v: Any, t: TType) -> bool:
    """Whether the plain Python value `v` is a value of type `t`."""
    match t:
        case TAny():
            return True
        case TInt(r):
            return _is_int(v) and r.contains_value(v)
        case TFloat(r):
            ok = _is_int(v) or (isinstance(v, float) and math.isfinite(v))
            return ok and r.contains_value(v)
        case TBool():
            return isinstance(v, bool)
        case TEnum(values):
            return isinstance(v, str) and v in values
        case TStr(length, chars, _):
            return (isinstance(v, str) and length.contains_value(len(v))
                    and (chars is None or set(v) <= chars))
        case TList(elem, length):
            return (isinstance(v, list) and length.contains_value(len(v))
                    and all(inhabits(x, elem) for x in v))
        case TSet(elem, length):
            if not (isinstance(v, list) and length.contains_value(len(v))
                    and all(inhabits(x, elem) for x in v)):
                return False
            return len({key(x, elem) for x in v}) == len(v)
        case TTuple(items):
            return (isinstance(v, tuple) and len(v) == len(items)
                    and all(inhabits(x, i) for x, i in zip(v, items, strict=True)))
        case TRecord(fields):
            return (isinstance(v, dict) and set(v) == {n for n, _ in fields}
                    and all(inhabits(v[n], ft) for n, ft in fields))
    raise TypeError(f"not a type: {t!r}")


# ------------------------------------------------------------ value rewriting


def loosen(v: Any, t: TType, rng: random.Random, *, int_odds: float = 0.5) -> Any:
    """An accepted but non-canonical spelling of `v`: shuffled sets, tuples as lists,
    fields out of order, and each integral float as an int with chance `int_odds`
    (the model test wants every one as an int: 1.0; the value test wants both mixed)."""
    match t:
        case TFloat() if float(v).is_integer() and abs(v) < 1e15 and str(v) != "-0.0" and \
                rng.random() < int_odds:  # -0.0 has no int spelling: int(-0.0) loses the sign
            return int(v)
        case TList(elem, _):
            return [loosen(x, elem, rng, int_odds=int_odds) for x in v]
        case TSet(elem, _):
            out = [loosen(x, elem, rng, int_odds=int_odds) for x in v]
            rng.shuffle(out)
            return out
        case TTuple(items):
            return [loosen(x, i, rng, int_odds=int_odds) for x, i in zip(v, items, strict=True)]
        case TRecord(fields):
            return {n: loosen(v[n], ft, rng, int_odds=int_odds) for n, ft in reversed(fields)}
    return v


def wrong_here(v: Any, t: TType, *, sure: bool = False) -> list[Any]:
    """Replacements for `v` that break `t` at this level: the union of what the value and
    model tests each listed. With `sure`, only those certain to break `t` (the value test
    asserts rejection); without, near misses stay (the model test only compares verdicts)."""
    wrong: list[Any] = [None, "?" * 9] if not isinstance(t, TStr | TEnum) else [None, 3, b"ab"]
    match t:
        case TInt(r):
            wrong += [r.hi + 1, r.lo - 1, float(r.lo), True, str(r.lo)]
        case TFloat(r):
            wrong += [math.nan, math.inf, r.hi + 1, r.lo - 1, False, str(r.lo)]
        case TBool():
            wrong += [1, 0, "true"]
        case TEnum(values):
            wrong += ["".join(values) + "!"]
        case TStr(length, cs, _):
            wrong += [(sorted(cs)[0] if cs else "a") * int(length.hi + 1)]
            if not sure or (cs is not None and "☃" not in cs and length.hi > 0):
                wrong += ["☃" * max(int(length.lo), 1)]
        case TList(elem, length) | TSet(elem, length):
            extra = v[:1] or [sampler_for(elem)(random.Random(0))]
            wrong += [v + extra * int(length.hi + 1 - len(v)), tuple(v), {"a": 1}]
            if isinstance(t, TSet) and v:
                wrong += [v + v[:1], [*v[:1], *v]]
        case TTuple(_):
            wrong += [[*v, 0], set()]
            if v:
                wrong += [v[:-1], list(v)[:-1], [*v, v[0]]]
            elif not sure:
                wrong += [[]]  # `()` spelled as a list: valid, a near miss
        case TRecord(fields):
            wrong += [{n: x for n, x in v.items() if n != fields[0][0]}, {**v, "zz": 1}, {**v, 0: 1}, list(v)]
    return wrong


def perturb(v: Any, t: TType, data: Any, *, sure: bool = False) -> Any:
    """A copy of `v` changed at one place, chosen by hypothesis `data`, to a replacement
    from `wrong_here` (with `sure`, one certain to break `t`)."""
    import copy

    from hypothesis import strategies as st

    match t:
        case TList(elem, _) | TSet(elem, _):
            children = [(i, elem) for i in range(len(v))]
        case TTuple(items):
            children = list(enumerate(items))
        case TRecord(fields):
            children = list(fields)
        case _:
            children = []
    if children and data.draw(st.booleans()):
        where, sub = data.draw(st.sampled_from(children))
        out = copy.deepcopy(v)
        if isinstance(out, tuple):
            return out[:where] + (perturb(out[where], sub, data, sure=sure),) + out[where + 1:]
        out[where] = perturb(out[where], sub, data, sure=sure)
        return out
    return data.draw(st.sampled_from(wrong_here(v, t, sure=sure)))
