"""Solvers for `std.matrices`: small square integer matrices as lists of rows."""

from __future__ import annotations


def determinant(m: list[list[int]]) -> int:
    """The determinant, exactly, by expansion along the first row (n <= 4 here)."""
    n = len(m)
    if n == 1:
        return m[0][0]
    if n == 2:
        return m[0][0] * m[1][1] - m[0][1] * m[1][0]
    total = 0
    for j in range(n):
        minor = [row[:j] + row[j + 1:] for row in m[1:]]
        total += (-1) ** j * m[0][j] * determinant(minor)
    return total
