"""Samplers for `std.geometry`: simple polygons on the integer grid."""

from __future__ import annotations

import math
import random

Point = tuple[int, int]


def sample_polygon(rng: random.Random, n: int, r: int, **_: object) -> list[Point]:
    """A simple polygon with n distinct integer vertices in -r..r, listed counterclockwise.

    Vertices are sorted by angle around the origin (ties by distance) and the draw is
    repeated until the boundary does not touch itself and encloses a positive area."""
    while True:
        pts = {(rng.randint(-r, r), rng.randint(-r, r)) for _ in range(n)} - {(0, 0)}
        if len(pts) < n:
            continue
        ordered = sorted(pts, key=lambda p: (math.atan2(p[1], p[0]), p[0] ** 2 + p[1] ** 2))
        if twice_area(ordered) > 0 and is_simple(ordered):
            return ordered


def twice_area(pts: list[Point]) -> int:
    """Twice the area enclosed by the polygon (the shoelace formula)."""
    n = len(pts)
    return abs(sum(pts[i][0] * pts[(i + 1) % n][1] - pts[(i + 1) % n][0] * pts[i][1] for i in range(n)))


def _cross(o: Point, a: Point, b: Point) -> int:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _on_segment(a: Point, b: Point, c: Point) -> bool:
    """Whether c, collinear with a and b, lies on the segment ab."""
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def segments_touch(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Whether the closed segments p1p2 and q1q2 share a point."""
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    if d1 * d2 < 0 and d3 * d4 < 0:
        return True
    return ((d1 == 0 and _on_segment(q1, q2, p1)) or (d2 == 0 and _on_segment(q1, q2, p2))
            or (d3 == 0 and _on_segment(p1, p2, q1)) or (d4 == 0 and _on_segment(p1, p2, q2)))


def is_simple(pts: list[Point]) -> bool:
    """Whether the closed polygon has distinct vertices, no two non-adjacent edges
    touching and no two adjacent edges folding back onto each other."""
    n = len(pts)
    if len(set(pts)) != n:
        return False
    for i in range(n):
        prev, here, nxt = pts[i - 1], pts[i], pts[(i + 1) % n]
        dot = (prev[0] - here[0]) * (nxt[0] - here[0]) + (prev[1] - here[1]) * (nxt[1] - here[1])
        if _cross(here, prev, nxt) == 0 and dot > 0:
            return False  # the edges at `here` overlap along a line
    edges = [(pts[i], pts[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue  # adjacent through the closing edge
            if segments_touch(*edges[i], *edges[j]):
                return False
    return True
