"""Solvers and samplers for `std.graphs`.

Three graph shapes, all on nodes 0..n-1:

- `Graph`: undirected and simple, `{"n": n, "edges": [(u, v), ...]}` with u < v;
- `Dag`: directed and acyclic, `{"n": n, "arcs": [(u, v), ...]}` for arcs u -> v;
- `WGraph`: undirected, weighted and connected, `{"n": n, "edges": [(u, v, w), ...]}`.

Edge sets arrive as sorted lists of distinct tuples; solvers return them sorted."""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque

Edge = tuple[int, int]


def _pairs(n: int) -> list[Edge]:
    return list(itertools.combinations(range(n), 2))


def _adjacency(n: int, edges: list[Edge]) -> list[set[int]]:
    adj: list[set[int]] = [set() for _ in range(n)]
    for u, v in edges:
        adj[u].add(v)
        adj[v].add(u)
    return adj


# ------------------------------------------------------------------ samplers


def sample_graph(rng: random.Random, nodes: int, **_: object) -> dict[str, object]:
    """A random simple graph on `nodes` nodes with between nodes/2 and 3*nodes/2 edges."""
    pairs = _pairs(nodes)
    m = rng.randint(nodes // 2, min(len(pairs), (3 * nodes) // 2))
    return {"n": nodes, "edges": sorted(rng.sample(pairs, m))}


def sample_bipartite_or_not(rng: random.Random, nodes: int, **_: object) -> dict[str, object]:
    """A graph that is bipartite half of the time: edges between two random sides, plus
    (the other half) one edge inside a side."""
    side = [rng.random() < 0.5 for _ in range(nodes)]
    across = [(u, v) for u, v in _pairs(nodes) if side[u] != side[v]]
    inside = [(u, v) for u, v in _pairs(nodes) if side[u] == side[v]]
    edges = set(rng.sample(across, min(len(across), rng.randint(nodes // 2, nodes))))
    if inside and rng.random() < 0.5:
        edges.add(rng.choice(inside))
    return {"n": nodes, "edges": sorted(edges)}


def sample_dag(rng: random.Random, nodes: int, **_: object) -> dict[str, object]:
    """A random DAG: arcs follow a hidden random order of the nodes, so node numbers say nothing."""
    order = list(range(nodes))
    rng.shuffle(order)
    pairs = [(order[i], order[j]) for i, j in _pairs(nodes)]
    m = rng.randint(nodes - 1, min(len(pairs), 2 * nodes))
    return {"n": nodes, "arcs": sorted(rng.sample(pairs, m))}


def sample_weighted(rng: random.Random, nodes: int, **_: object) -> dict[str, object]:
    """A connected weighted graph: a random spanning tree plus up to `nodes` extra edges,
    weights 1..20."""
    order = list(range(nodes))
    rng.shuffle(order)
    edges: set[Edge] = set()
    for i in range(1, nodes):
        u, v = order[i], order[rng.randrange(i)]
        edges.add((min(u, v), max(u, v)))
    rest = [p for p in _pairs(nodes) if p not in edges]
    edges.update(rng.sample(rest, min(len(rest), rng.randint(0, nodes))))
    return {"n": nodes, "edges": sorted((u, v, rng.randint(1, 20)) for u, v in edges)}


# ------------------------------------------------------------------ undirected


def count_components(g: dict) -> int:
    """The number of connected components (an isolated node is a component)."""
    n, adj = g["n"], _adjacency(g["n"], g["edges"])
    seen: set[int] = set()
    count = 0
    for start in range(n):
        if start in seen:
            continue
        count += 1
        stack = [start]
        seen.add(start)
        while stack:
            for w in adj[stack.pop()]:
                if w not in seen:
                    seen.add(w)
                    stack.append(w)
    return count


def is_bipartite(g: dict) -> bool:
    """Whether the nodes split into two sides with every edge between the sides."""
    n, adj = g["n"], _adjacency(g["n"], g["edges"])
    color: dict[int, int] = {}
    for start in range(n):
        if start in color:
            continue
        color[start] = 0
        queue = deque([start])
        while queue:
            u = queue.popleft()
            for w in adj[u]:
                if w not in color:
                    color[w] = 1 - color[u]
                    queue.append(w)
                elif color[w] == color[u]:
                    return False
    return True


def count_triangles(g: dict) -> int:
    """The number of sets of three nodes that are pairwise adjacent."""
    adj = _adjacency(g["n"], g["edges"])
    return sum(1 for a, b, c in itertools.combinations(range(g["n"]), 3) if b in adj[a] and c in adj[a] and c in adj[b])


def hop_distance(g: dict) -> int:
    """The fewest edges on a path from node 0 to node n-1, or -1 when there is none."""
    n, adj = g["n"], _adjacency(g["n"], g["edges"])
    dist = {0: 0}
    queue = deque([0])
    while queue:
        u = queue.popleft()
        for w in sorted(adj[u]):
            if w not in dist:
                dist[w] = dist[u] + 1
                queue.append(w)
    return dist.get(n - 1, -1)


def complement_graph(g: dict) -> dict[str, object]:
    """The graph on the same nodes whose edges are exactly the non-edges of g."""
    present = {(min(u, v), max(u, v)) for u, v in g["edges"]}
    return {"n": g["n"], "edges": [p for p in _pairs(g["n"]) if p not in present]}


def graph_square(g: dict) -> dict[str, object]:
    """The graph joining every two distinct nodes at distance 1 or 2 in g."""
    adj = _adjacency(g["n"], g["edges"])
    return {"n": g["n"], "edges": [(u, v) for u, v in _pairs(g["n"]) if v in adj[u] or adj[u] & adj[v]]}


# ------------------------------------------------------------------ directed


def topological_order(g: dict) -> list[int]:
    """Kahn's algorithm that always removes the smallest-numbered node with no incoming arcs."""
    n = g["n"]
    indegree = [0] * n
    out: list[list[int]] = [[] for _ in range(n)]
    for u, v in g["arcs"]:
        out[u].append(v)
        indegree[v] += 1
    ready = [v for v in range(n) if indegree[v] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        u = heapq.heappop(ready)
        order.append(u)
        for v in out[u]:
            indegree[v] -= 1
            if indegree[v] == 0:
                heapq.heappush(ready, v)
    if len(order) != n:
        raise ValueError("the graph has a cycle")
    return order


def reverse_arcs(g: dict) -> dict[str, object]:
    """The same DAG with every arc turned around."""
    return {"n": g["n"], "arcs": sorted((v, u) for u, v in g["arcs"])}


def transitive_closure(g: dict) -> dict[str, object]:
    """The DAG with an arc u -> v whenever g has a path (of one or more arcs) from u to v."""
    n = g["n"]
    out: list[list[int]] = [[] for _ in range(n)]
    for u, v in g["arcs"]:
        out[u].append(v)
    arcs: list[Edge] = []
    for start in range(n):
        seen: set[int] = set()
        stack = list(out[start])
        while stack:
            v = stack.pop()
            if v not in seen:
                seen.add(v)
                stack.extend(out[v])
        arcs.extend((start, v) for v in seen)
    return {"n": n, "arcs": sorted(arcs)}


def longest_path_dag(g: dict) -> int:
    """The most arcs on any directed path."""
    best = dict.fromkeys(range(g["n"]), 0)
    into: list[list[int]] = [[] for _ in range(g["n"])]
    for u, v in g["arcs"]:
        into[v].append(u)
    for v in topological_order(g):
        best[v] = max((best[u] + 1 for u in into[v]), default=0)
    return max(best.values(), default=0)


# ------------------------------------------------------------------ weighted


def shortest_path(g: dict) -> int:
    """The least total weight of a path from node 0 to node n-1 (Dijkstra)."""
    adj: list[list[tuple[int, int]]] = [[] for _ in range(g["n"])]
    for u, v, w in g["edges"]:
        adj[u].append((v, w))
        adj[v].append((u, w))
    dist = {0: 0}
    heap = [(0, 0)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist.get(u, d):
            continue
        for v, w in adj[u]:
            if d + w < dist.get(v, d + w + 1):
                dist[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return dist[g["n"] - 1]


def mst_weight(g: dict) -> int:
    """The total weight of a minimum spanning tree (Kruskal); unique even when the tree is not."""
    parent = list(range(g["n"]))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    total = 0
    for u, v, w in sorted(g["edges"], key=lambda e: e[2]):
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[ru] = rv
            total += w
    return total
