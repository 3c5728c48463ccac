"""What a spec may ask for, and how big a type is (docs/language.md, "Limits").

The checker reports anything beyond these as E0109, E0110, E0320 or E0321, so no
later stage (sampler, printer, code generator) meets a number, a length or a
type nesting it cannot handle in bounded time and memory."""

from __future__ import annotations

from racesdsl.runtime.types import Number, TList, TMap, TOptional, TRecord, TSet, TStr, TTuple, TType

MAX_INT_DIGITS = 4000  # an integer literal; answers are read up to the same size
MAX_BOUND = 2**256  # an integer bound of a type (interval arithmetic widens beyond it)
MAX_LENGTH = 100_000  # the longest list, set or string an input may be sampled at
MAX_VALUE_SIZE = 1_000_000  # numbers, characters and words in one sampled input value
MAX_TYPE_NODES = 10_000  # a type written out in full (aliases and composites share parts)
MAX_TYPE_DEPTH = 32  # nesting of lists, sets, tuples and records
MAX_EXPR_DEPTH = 64  # nesting of expressions and of compositions (generated Python allows 200 brackets)


def extent(t: TType) -> tuple[int, int]:
    """(nodes, depth) of a type written out in full. Types share parts (an alias used
    twice is one object), so this walks each distinct part once, without recursion:
    the written-out size may be exponential in the spec's size."""
    done: dict[int, tuple[int, int]] = {}
    stack: list[tuple[TType, bool]] = [(t, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        kids = _children(node)
        if not expanded and kids:
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in done)
            continue
        sizes = [done[id(k)] for k in kids]
        done[id(node)] = (1 + sum(n for n, _ in sizes), 1 + max((d for _, d in sizes), default=0))
    return done[id(t)]


def _children(t: TType) -> list[TType]:
    match t:
        case TList(e, _) | TSet(e, _) | TOptional(e):
            return [e]
        case TMap(k, v, _):
            return [k, v]
        case TTuple(items):
            return list(items)
        case TRecord(fields):
            return [ft for _, ft in fields]
    return []


def value_size(t: TType) -> Number:
    """The most numbers, characters and words one value of `t` holds (inf if unbounded).
    Call it on types within `MAX_TYPE_NODES`/`MAX_TYPE_DEPTH` only."""
    match t:
        case TStr(length, _, _):
            return max(length.hi, 1)
        case TList(e, length) | TSet(e, length):
            return max(length.hi, 0) * value_size(e) + 1
        case TMap(k, v, length):
            return max(length.hi, 0) * (value_size(k) + value_size(v)) + 1
        case TOptional(e):
            return value_size(e)
        case TTuple(items):
            return 1 + sum(value_size(i) for i in items)
        case TRecord(fields):
            return 1 + sum(value_size(ft) for _, ft in fields)
    return 1


def longest(t: TType) -> Number:
    """The largest length bound of any list, set or string inside `t`."""
    match t:
        case TStr(length, _, _):
            return length.hi
        case TList(e, length) | TSet(e, length):
            return max(length.hi, longest(e))
        case TMap(k, v, length):
            return max(length.hi, longest(k), longest(v))
        case TOptional(e):
            return longest(e)
        case TTuple(items):
            return max((longest(i) for i in items), default=0)
        case TRecord(fields):
            return max((longest(ft) for _, ft in fields), default=0)
    return 0
