"""Near misses of reference answers for `racesdsl test` (selftest.py), and the
bookkeeping of a `verify check` env, whose near misses may be right answers too: one
the predicate accepts is counted as a valid alternative and skipped, not failed. An env whose predicate accepts every near miss of every seed gets a
warning: such a check constrains the answer little, if at all."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from racesdsl.runtime.checks import checker_for
from racesdsl.runtime.types import (
    TBool,
    TEnum,
    TFloat,
    TInt,
    TList,
    TMap,
    TOptional,
    TRecord,
    TSet,
    TStr,
    TTuple,
    TType,
)
from racesdsl.runtime.values import DEFAULT_CHARS

Miss = tuple[str, Any]


@lru_cache(maxsize=512)
def checker(t: TType) -> Callable[[Any], str | None]:
    """The membership check of `t` (one name for the self-test's uses)."""
    return checker_for(t)


def near_misses(v: Any, t: TType) -> list[tuple[str, Any]]:
    """Values close to `v` that are wrong under an exact verifier (when they differ from `v`);
    containers get a structural change each and one changed component."""
    match t:
        case TBool():
            return [("flipped", not v)]
        case TInt():
            return [("+1", v + 1), ("-1", v - 1)]
        case TFloat():
            return [("*1.1+1", v * 1.1 + 1)]
        case TEnum(values):
            return [("another literal", x) for x in values[:8] if x != v][:1]
        case TStr(_, chars, _):
            alphabet = DEFAULT_CHARS if chars is None else "".join(sorted(chars))
            other = next((c for c in alphabet if c != v[:1]), "?")
            changed = [("changed a character", other + v[1:])] if v else []
            return [*changed, ("appended a character", v + alphabet[:1])]
        case TList(e) | TSet(e):
            out: list[tuple[str, Any]] = []
            j = None if isinstance(t, TSet) else next((j for j in range(1, len(v)) if v[j] != v[0]), None)
            if j is not None:
                out.append(("swapped two elements", [v[j], *v[1:j], v[0], *v[j + 1:]]))
            if v:
                out += [("dropped the last element", v[:-1]), ("appended a copy", [*v, v[-1]]), ("empty list", [])]
                for i in dict.fromkeys((0, len(v) - 1)):  # labels name no index: one failure per kind
                    sub = _one_miss(v[i], e)
                    if sub is not None:
                        out.append((f"{'last' if i else 'first'} element: {sub[0]}", [*v[:i], sub[1], *v[i + 1:]]))
            return out
        case TTuple(items):
            return [(f"item {i}: {sub[0]}", (*v[:i], sub[1], *v[i + 1:]))
                    for i, it in enumerate(items) if (sub := _one_miss(v[i], it)) is not None]
        case TRecord(fields):
            return [(f"field `{n}`: {sub[0]}", {**v, n: sub[1]})
                    for n, ft in fields if (sub := _one_miss(v[n], ft)) is not None]
    return _map_optional_misses(v, t)


def _one_miss(v: Any, t: TType) -> tuple[str, Any] | None:
    """The first near miss of a component that still fits its type (else the first one)."""
    misses = near_misses(v, t)
    return next((m for m in misses if checker(t)(m[1]) is None), misses[0] if misses else None)


def _map_optional_misses(v: Any, t: TType) -> list[Miss]:
    """A dropped key and a changed value for a map; none for a present optional value, and
    the inner value's own near misses."""
    match t:
        case TMap(_, value, _) if v:
            first = next(iter(v))
            out: list[Miss] = [("dropped a key", {k: x for k, x in v.items() if k != first})]
            sub = _one_miss(v[first], value)
            if sub is not None:
                out.append((f"first value: {sub[0]}", {**v, first: sub[1]}))
            return out
        case TOptional(inner) if v is not None:
            sub = _one_miss(v, inner)
            return [("none instead of a value", None), *([] if sub is None else [sub])]
    return []


class Alternatives:
    """Counts, per env, the near misses a `verify check` predicate tried and accepted."""

    def __init__(self) -> None:
        self.tried = 0
        self.accepted = 0

    def note(self, accepted: bool) -> None:
        self.tried += 1
        self.accepted += accepted

    def vacuous(self) -> bool:
        """Every near miss (at least three) passed: the predicate hardly reads the answer."""
        return self.tried >= 3 and self.accepted == self.tried
