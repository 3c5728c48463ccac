"""Hypothesis strategies for racesdsl types, and shorthands for building types.

Shared by the property tests of runtime values and of pydantic models, so both
search one type space: the union of what each used to search on its own.
"""

from __future__ import annotations

from hypothesis import strategies as st

from racesdsl.runtime.types import (
    NAT,
    Interval,
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
    parse_char_class,
)


def chars(src: str, length: Interval = NAT) -> TStr:
    """`Str[len=.., chars=src]` built as the checker builds it."""
    return TStr(length, parse_char_class(src), src)


def rec(**fields: TType) -> TRecord:
    """A record type in keyword order (field order matters to the runtime)."""
    return TRecord(tuple(fields.items()))


def intervals(lo_min: int, lo_max: int, span: int) -> st.SearchStrategy[Interval]:
    """Integer intervals `lo..lo+d`: never empty, so only Set lengths can be unreachable."""
    return st.builds(lambda lo, d: Interval(lo, lo + d), st.integers(lo_min, lo_max), st.integers(0, span))


TRICKY = "az09_]\\^[-&~.*$|()?+{}/ \t\n\"'é€😀"
"""Characters special to regexes, JSON or UTF-16, for character-class sources."""

CLASS_SPECS: st.SearchStrategy[tuple[str, frozenset[str]]] = (
    st.text(TRICKY, min_size=1, max_size=6)
    .map(lambda s: (s, parse_char_class(s)))
    .filter(lambda p: p[1] is not None)
)
"""`(source, class)` pairs of arbitrary character classes, to stress escaping."""

CLASSES = ["a-z", "a-c", "x", "0-9_", "-ab", "A-Z0-9", "é-ë"]
"""Ordinary character classes, so that plain ones are drawn often too."""

LENGTHS = intervals(0, 3, 3)

SCALARS: st.SearchStrategy[TType] = st.one_of(
    st.builds(TInt, intervals(-20, 20, 40)),
    st.just(TInt(Interval(-10**18, 10**18))),  # (a Set of a wider range cannot be sampled: OverflowError)
    st.builds(TFloat, st.one_of(
        intervals(-5, 5, 10),
        st.builds(lambda lo, w: Interval(lo, lo + w), st.floats(-1e6, 1e6), st.floats(0, 1e3)))),
    st.just(TBool()),
    st.lists(st.text("abxyzé \"'\\", min_size=1, max_size=3), min_size=1, max_size=4, unique=True)
    .map(lambda vs: TEnum(tuple(vs))),
    st.builds(lambda length, spec: TStr(length) if spec is None else TStr(length, spec[1], spec[0]),
              intervals(0, 2, 4),
              st.none() | st.sampled_from(CLASSES).map(lambda s: (s, parse_char_class(s))) | CLASS_SPECS),
)

NAMES = st.lists(
    st.sampled_from(["a", "b", "xs", "n", "g", "json", "model_config", "_x", "class", "a b", "field0", "copy"]),
    min_size=1, max_size=3, unique=True)
"""Field names, some of which clash with pydantic or Python and need an alias."""


def types(depth: int = 3) -> st.SearchStrategy[TType]:
    """Bounded types nested at most `depth` levels, with small domains so that some
    Set lengths are unreachable (those types must raise SamplingError)."""
    if depth == 0:
        return SCALARS
    sub = types(depth - 1)
    return st.one_of(
        SCALARS,
        st.builds(TList, sub, LENGTHS),
        st.builds(TSet, sub, LENGTHS),
        st.lists(sub, max_size=3).map(lambda items: TTuple(tuple(items))),
        NAMES.flatmap(lambda ns: st.tuples(*[sub for _ in ns]).map(
            lambda fts: TRecord(tuple(zip(ns, fts, strict=True))))),
    )
