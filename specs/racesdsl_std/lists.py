"""Samplers for `std.lists` and `std.aggregates`: integer lists with a chosen magnitude
or with repeated values (the type-derived sampler rarely repeats a value)."""

from __future__ import annotations

import random


def sample_ints(rng: random.Random, n: int, m: int, **_: object) -> list[int]:
    """`n` integers drawn uniformly from -m..m."""
    return [rng.randint(-m, m) for _ in range(n)]


def sample_repeats(rng: random.Random, n: int, **_: object) -> list[int]:
    """`n` integers drawn from a pool of about n/2 distinct values in -9..9, so values repeat."""
    pool = rng.sample(range(-9, 10), max(1, (n + 1) // 2))
    return [rng.choice(pool) for _ in range(n)]


def sample_repeats_in(rng: random.Random, n: int, m: int, **_: object) -> list[int]:
    """`n` integers drawn from a pool of about n/2 distinct values in -m..m, so values repeat."""
    size = min(2 * m + 1, max(1, (n + 1) // 2))
    pool = rng.sample(range(-m, m + 1), size)
    return [rng.choice(pool) for _ in range(n)]


def sample_maybe_sorted(rng: random.Random, n: int, m: int, **_: object) -> list[int]:
    """`n` integers in -m..m, sorted ascending half of the time (else one swap away from
    sorted when possible, so the answer is not obvious)."""
    xs = sorted(rng.randint(-m, m) for _ in range(n))
    if rng.random() < 0.5 or len(set(xs)) < 2:
        return xs
    while True:
        i, j = sorted(rng.sample(range(n), 2))
        if xs[i] != xs[j]:
            xs[i], xs[j] = xs[j], xs[i]
            return xs


def sample_with_value(rng: random.Random, n: int, m: int, v: int, **_: object) -> list[int]:
    """`n` integers from a pool of about n/2 values in -m..m that always includes `v`."""
    others = [x for x in range(-m, m + 1) if x != v]
    pool = [v, *rng.sample(others, min(len(others), max(1, n // 2)))]
    return [rng.choice(pool) for _ in range(n)]
