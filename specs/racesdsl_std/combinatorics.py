"""Solvers for `std.combinatorics`: counting with exact integers."""

from __future__ import annotations

import math
from functools import cache


def binomial(n: int, k: int) -> int:
    """n choose k (0 when k > n)."""
    return math.comb(n, k)


def binomial_mod(n: int, k: int, m: int) -> int:
    """(n choose k) mod m."""
    return math.comb(n, k) % m


def catalan(n: int) -> int:
    """The n-th Catalan number: C(2n, n) / (n + 1)."""
    return math.comb(2 * n, n) // (n + 1)


def fibonacci(n: int) -> int:
    """F(n) with F(0) = 0, F(1) = 1."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def permutations_count(n: int, k: int) -> int:
    """Ordered selections of k out of n distinct items: n! / (n - k)! (0 when k > n)."""
    return math.perm(n, k)


def derangements(n: int) -> int:
    """Permutations of n items that leave no item in its place (D(0) = 1)."""
    a, b = 1, 0  # D(0), D(1)
    if n == 0:
        return 1
    for i in range(2, n + 1):
        a, b = b, (i - 1) * (a + b)
    return b


@cache
def _partitions(n: int, largest: int) -> int:
    if n == 0:
        return 1
    return sum(_partitions(n - part, part) for part in range(1, min(n, largest) + 1))


def partitions_count(n: int) -> int:
    """The number of ways to write n as a sum of positive integers, order ignored (p(0) = 1)."""
    return _partitions(n, n)


def recurrence_term(a0: int, a1: int, n: int) -> int:
    """a(n) for a(i) = a(i - 1) + a(i - 2) starting from a(0) = a0, a(1) = a1."""
    x, y = a0, a1
    for _ in range(n):
        x, y = y, x + y
    return x
