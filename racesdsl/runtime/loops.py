"""Run-time helpers for the bounded loops `fold`, `iterate` and `until`.

Each loop runs a lambda a bounded number of times (a list's length, an
iteration count bounded by its type, a constant `max=`), so every program
terminates. A step may still grow its value (`iterate(x, 60, lambda v: v * v)`),
so each step's value is measured against the run-time limits with a budget:
the walk stops at the first part past a limit, and never visits more than
MAX_VALUE_SIZE parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from racesdsl.runtime.builtins_more import MAX_INT_BITS
from racesdsl.runtime.limits import MAX_LENGTH, MAX_VALUE_SIZE

__all__ = ["MAX_ITERATIONS", "guard", "fold", "iterate", "until", "LOOP_HELPERS"]

MAX_ITERATIONS = 100_000
"""The most steps `iterate` and `until` may take (the checker holds counts to it)."""


def guard(v: Any) -> Any:
    """`v` unchanged, or ValueError if it holds a too-long string or list or a too-large int."""
    kind = type(v)
    if kind is int:  # the common loop value: one test, no walk
        if v.bit_length() > MAX_INT_BITS:
            raise ValueError(f"a loop value reached an integer of {v.bit_length()} bits")
        return v
    if kind is float or kind is bool:
        return v
    stack, seen = [v], 0
    while stack:
        x = stack.pop()
        seen += 1
        if seen > MAX_VALUE_SIZE:
            raise ValueError("a loop value is past the run-time size limit")
        if isinstance(x, int):
            if x.bit_length() > MAX_INT_BITS:
                raise ValueError(f"a loop value reached an integer of {x.bit_length()} bits")
        elif isinstance(x, str):
            if len(x) > MAX_LENGTH:
                raise ValueError(f"a loop value reached a string of {len(x)} characters")
        elif isinstance(x, (list, tuple)):
            if len(x) > MAX_LENGTH:
                raise ValueError(f"a loop value reached a list of {len(x)} items")
            stack.extend(i for i in x if not isinstance(i, float))
        elif isinstance(x, dict):
            stack.extend(x.values())
    return v


def fold(xs: Iterable[Any], init: Any, f: Callable[[Any, Any], Any]) -> Any:
    """`fold(xs, init, lambda acc, x: ...)`: the accumulator after every item, left to right."""
    acc = init
    for x in xs:
        acc = f(acc, x)
        if type(acc) is not int or acc.bit_length() > MAX_INT_BITS:  # ints, the common case, inline
            guard(acc)
    return acc


def iterate(x: Any, n: int, f: Callable[[Any], Any]) -> Any:
    """`iterate(x, n, lambda v: ...)`: `f` applied `n` times (n <= 0: `x` itself)."""
    if n > MAX_ITERATIONS:
        raise ValueError(f"iterate: {n} steps is more than {MAX_ITERATIONS}")
    for _ in range(n):
        x = f(x)
        if type(x) is not int or x.bit_length() > MAX_INT_BITS:
            guard(x)
    return x


def until(x: Any, cond: Callable[[Any], bool], step: Callable[[Any], Any], max: int) -> Any:  # noqa: A002
    """The first of `x, step(x), step(step(x)), ...` (at most `max` steps) for which `cond` holds.

    None of them within `max` steps is an error (the solver raises), never a silent wrong answer."""
    for _ in range(max):
        if cond(x):
            return x
        x = guard(step(x))
    if cond(x):
        return x
    raise ValueError(f"until: the condition did not hold within {max} steps")


LOOP_HELPERS: dict[str, Any] = {"fold": fold, "iterate": iterate, "until": until}
