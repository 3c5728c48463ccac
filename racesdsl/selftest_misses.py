"""Near misses of `Map` and `Optional` answers for `racesdsl test` (selftest.py keeps the
other types' near misses), and the bookkeeping of a `verify check` env, whose near misses
may be right answers too: one the predicate accepts is counted as a valid alternative and
skipped, not failed. An env whose predicate accepts every near miss of every seed gets a
warning: such a check constrains the answer little, if at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from racesdsl.runtime.types import TMap, TOptional, TType

Miss = tuple[str, Any]


def map_optional_misses(v: Any, t: TType, one_miss: Callable[[Any, TType], Miss | None]) -> list[Miss]:
    """A dropped key and a changed value for a map; none for a present optional value, and
    the inner value's own near misses."""
    match t:
        case TMap(_, value, _) if v:
            first = next(iter(v))
            out: list[Miss] = [("dropped a key", {k: x for k, x in v.items() if k != first})]
            sub = one_miss(v[first], value)
            if sub is not None:
                out.append((f"first value: {sub[0]}", {**v, first: sub[1]}))
            return out
        case TOptional(inner) if v is not None:
            sub = one_miss(v, inner)
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
