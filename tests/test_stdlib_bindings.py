"""The stdlib's python bindings (`specs/racesdsl_std/`): every solver against
hand-computed cases or a brute-force oracle, every sampler inside the declared
input types (checked with the runtime's own `checker_for`), and every stdlib
env sampled and solved end to end at its default and extreme params."""

from __future__ import annotations

import datetime
import importlib
import itertools
import math
import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
if str(SPECS) not in sys.path:
    sys.path.append(str(SPECS))

from racesdsl_std import combinatorics as C  # noqa: E402
from racesdsl_std import dates as D  # noqa: E402
from racesdsl_std import geometry as GEO  # noqa: E402
from racesdsl_std import graphs as G  # noqa: E402
from racesdsl_std import lists as L  # noqa: E402
from racesdsl_std import logic as LOG  # noqa: E402
from racesdsl_std import matrices as M  # noqa: E402
from racesdsl_std import numbers as N  # noqa: E402
from racesdsl_std import strings as S  # noqa: E402

from racesdsl.loader import load  # noqa: E402
from racesdsl.runtime.checks import checker_for  # noqa: E402

SEEDS = range(12)


# ------------------------------------------------------------------ numbers


def test_is_prime_matches_trial_division() -> None:
    brute = [x for x in range(200) if x >= 2 and all(x % d for d in range(2, x))]
    assert [x for x in range(200) if N.is_prime(x)] == brute
    assert N.is_prime(999983) and not N.is_prime(999981) and not N.is_prime(1)


def test_digit_functions() -> None:
    assert [N.num_digits(x) for x in (0, 9, 10, 999, 1000, 10**17)] == [1, 1, 2, 3, 4, 18]
    assert N.digit_sum(0) == 0 and N.digit_sum(9875) == 29
    assert N.reverse_digits(120) == 21 and N.reverse_digits(0) == 0 and N.reverse_digits(7) == 7
    assert [N.isqrt(x) for x in (0, 1, 3, 4, 15, 16, 10**17)] == [0, 1, 1, 2, 3, 4, 316227766]


def test_collatz_and_totient() -> None:
    assert [N.collatz_steps(x) for x in (1, 2, 3, 6, 7, 27)] == [0, 1, 7, 8, 16, 111]
    assert N.collatz_steps(837799) == 524  # the longest chain below 10**6 (the declared bound)
    for x in range(1, 120):
        assert N.euler_phi(x) == sum(1 for k in range(1, x + 1) if math.gcd(k, x) == 1)


def test_prime_factors() -> None:
    assert N.prime_factors(12) == [2, 2, 3]
    assert N.prime_factors(97) == [97]
    assert N.prime_factors(2) == [2]
    assert N.prime_factors(512) == [2] * 9  # the most factors below 1000 (declared len=1..9)
    for x in range(2, 1000):
        fs = N.prime_factors(x)
        assert math.prod(fs) == x and fs == sorted(fs) and all(N.is_prime(p) for p in fs)


def test_modular_functions() -> None:
    for n, m in itertools.product(range(12), (1, 2, 7, 10, 97)):
        assert N.factorial_mod(n, m) == math.factorial(n) % m
    assert N.factorial_mod(100, 97) == 0
    assert N.power_mod(3, 4, 5) == 1 and N.power_mod(0, 5, 7) == 0 and N.power_mod(918, 5, 13) == pow(918, 5, 13)


def test_number_samplers() -> None:
    rng = random.Random(1)
    for digits in range(1, 19):
        for _ in range(20):
            assert N.num_digits(N.sample_digits(rng, digits=digits)) == digits
            assert N.sample_positive_digits(rng, digits=digits) >= 1
            assert N.num_digits(abs(N.sample_signed_digits(rng, digits=digits))) == digits
            assert N.num_digits(N.sample_up_to_digits(rng, digits=digits)) <= digits
    assert {N.sample_up_to_digits(rng, digits=3) < 10 for _ in range(200)} == {True, False}
    assert all(0 <= N.sample_bits(rng, bits=b) < 2**b for b in range(1, 13) for _ in range(20))
    assert all(0 <= N.sample_upto(rng, hi=59) <= 59 for _ in range(50))
    assert all(0 <= N.sample_below_modulus(rng, m=7) < 7 for _ in range(50))
    assert all(2 <= N.sample_factorable(rng, hi=10) <= 10 for _ in range(50))
    primes = [N.is_prime(N.sample_prime_or_not(rng, digits=4)) for _ in range(100)]
    assert 20 < sum(primes) < 80


# ------------------------------------------------------------------ lists


def test_list_samplers() -> None:
    rng = random.Random(2)
    for _ in range(50):
        xs = L.sample_ints(rng, n=7, m=5)
        assert len(xs) == 7 and all(-5 <= x <= 5 for x in xs)
        ys = L.sample_repeats(rng, n=8)
        assert len(ys) == 8 and len(set(ys)) <= 4 and all(-9 <= y <= 9 for y in ys)
        zs = L.sample_repeats_in(rng, n=8, m=1)
        assert len(zs) == 8 and all(-1 <= z <= 1 for z in zs)
        vs = L.sample_with_value(rng, n=8, m=3, v=-9)
        assert len(vs) == 8 and all(-3 <= x <= 3 or x == -9 for x in vs)
    assert sum(L.sample_with_value(rng, n=8, m=99, v=0).count(0) for _ in range(50)) > 20
    outcomes = set()
    for _ in range(100):
        xs = L.sample_maybe_sorted(rng, n=6, m=20)
        assert len(xs) == 6 and all(-20 <= x <= 20 for x in xs)
        outcomes.add(xs == sorted(xs))
    assert outcomes == {True, False}
    assert len(L.sample_maybe_sorted(rng, n=1, m=5)) == 1  # nothing to swap: sorted


# ------------------------------------------------------------------ strings


def test_string_solvers() -> None:
    assert S.caesar_shift("xyz", 3) == "abc"
    assert S.caesar_shift("hello", 25) == "gdkkn"
    assert S.sort_letters("banana") == "aaabnn"
    assert S.dedupe_letters("banana") == "ban"
    assert S.remove_vowels("education") == "dctn"
    assert S.remove_vowels("aeiou") == ""
    assert S.run_length_encode("aaabcc") == [("a", 3), ("b", 1), ("c", 2)]
    assert S.run_length_encode("z") == [("z", 1)]
    assert S.letters_from_positions([3, 1, 20]) == "cat"
    assert S.letters_from_positions([26, 1]) == "za"
    assert S.to_lowercase("HeLLo") == "hello" and S.to_lowercase("") == ""


def test_string_samplers() -> None:
    rng = random.Random(3)
    seen = set()
    for n in range(13):
        for _ in range(20):
            w = S.sample_palindrome_or_not(rng, n=n)
            assert len(w) == n and set(w) <= set(S.ALPHABET)
            seen.add(w == w[::-1])
            r = S.sample_runs(rng, n=max(n, 1))
            assert len(r) == max(n, 1) and set(r) <= set(S.ALPHABET)
            w = S.sample_with_letter(rng, n=n, c="q")
            assert len(w) == n and len(set(w) - {"q"}) <= 3
    assert sum(S.sample_with_letter(rng, n=12, c="q").count("q") for _ in range(50)) > 50
    assert seen == {True, False}


# ------------------------------------------------------------------ combinatorics


def test_counting_sequences() -> None:
    assert [C.catalan(n) for n in range(8)] == [1, 1, 2, 5, 14, 42, 132, 429]
    assert [C.fibonacci(n) for n in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    assert [C.derangements(n) for n in range(8)] == [1, 0, 1, 2, 9, 44, 265, 1854]
    assert [C.partitions_count(n) for n in range(11)] == [1, 1, 2, 3, 5, 7, 11, 15, 22, 30, 42]
    assert C.partitions_count(60) == 966467
    assert C.catalan(19) == 1767263190 and C.fibonacci(85) == 259695496911122585
    assert C.derangements(15) == 481066515734


def test_choosing_and_arranging() -> None:
    assert C.binomial(5, 2) == 10 and C.binomial(2, 3) == 0 and C.binomial(0, 0) == 1
    assert C.binomial(40, 6) == 3838380
    assert C.binomial_mod(10, 3, 7) == 120 % 7
    assert C.permutations_count(5, 2) == 20 and C.permutations_count(2, 3) == 0
    assert C.permutations_count(20, 6) == 27907200


def test_recurrence_term() -> None:
    assert [C.recurrence_term(0, 1, n) for n in range(8)] == [C.fibonacci(n) for n in range(8)]
    assert C.recurrence_term(2, 1, 5) == 11  # Lucas: 2, 1, 3, 4, 7, 11
    assert C.recurrence_term(99, 99, 20) == 1083654  # the declared bound is reached
    assert C.recurrence_term(-99, -99, 20) == -1083654


# ------------------------------------------------------------------ logic


def test_cnf() -> None:
    formula = [[1, -2], [2, 3]]
    assert LOG.satisfied(formula, [True, True, False])
    assert not LOG.satisfied(formula, [False, True, False])
    brute = sum(LOG.satisfied(formula, list(v)) for v in itertools.product((False, True), repeat=3))
    assert LOG.count_sat_cnf(formula, 3) == brute == 4
    assert LOG.count_sat_cnf([[1], [-1]], 2) == 0
    assert LOG.count_sat_cnf([[1, -1]], 4) == 16


def test_cnf_samplers() -> None:
    rng = random.Random(4)
    outcomes = set()
    for _ in range(100):
        f = LOG.sample_cnf(rng, nvars=3, clauses=5)
        assert len(f) == 5
        for clause in f:
            assert 1 <= len(clause) <= 3 and 0 not in clause
            assert len({abs(lit) for lit in clause}) == len(clause) and all(abs(lit) <= 3 for lit in clause)
        both = LOG.sample_cnf_with_values(rng, nvars=4, clauses=4)
        assert len(both["values"]) == 4
        outcomes.add(LOG.satisfied(both["formula"], both["values"]))
    assert outcomes == {True, False}


# ------------------------------------------------------------------ graphs

PATH4 = {"n": 4, "edges": [(0, 1), (1, 2), (2, 3)]}
TRIANGLE_PLUS = {"n": 5, "edges": [(0, 1), (0, 2), (1, 2), (3, 4)]}
DAG = {"n": 4, "arcs": [(2, 0), (2, 1), (3, 1), (1, 0)]}


def test_undirected_graphs() -> None:
    assert G.count_components(PATH4) == 1
    assert G.count_components(TRIANGLE_PLUS) == 2
    assert G.count_components({"n": 3, "edges": []}) == 3
    assert G.is_bipartite(PATH4) and not G.is_bipartite(TRIANGLE_PLUS)
    assert G.count_triangles(TRIANGLE_PLUS) == 1 and G.count_triangles(PATH4) == 0
    assert G.count_triangles({"n": 4, "edges": list(itertools.combinations(range(4), 2))}) == 4
    assert G.hop_distance(PATH4) == 3
    assert G.hop_distance(TRIANGLE_PLUS) == -1
    assert G.hop_distance({"n": 2, "edges": [(0, 1)]}) == 1


def test_graph_transforms() -> None:
    assert G.complement_graph(PATH4) == {"n": 4, "edges": [(0, 2), (0, 3), (1, 3)]}
    assert G.complement_graph({"n": 3, "edges": []})["edges"] == [(0, 1), (0, 2), (1, 2)]
    assert G.graph_square(PATH4) == {"n": 4, "edges": [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]}
    assert G.graph_square(TRIANGLE_PLUS)["edges"] == TRIANGLE_PLUS["edges"]


def test_dags() -> None:
    # 2 and 3 have no predecessors: take 2, then 3 (1 still waits for 3), then 1, then 0.
    assert G.topological_order(DAG) == [2, 3, 1, 0]
    assert G.topological_order({"n": 3, "arcs": []}) == [0, 1, 2]
    assert G.reverse_arcs(DAG) == {"n": 4, "arcs": [(0, 1), (0, 2), (1, 2), (1, 3)]}
    assert G.transitive_closure(DAG) == {"n": 4, "arcs": [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1)]}
    assert G.longest_path_dag(DAG) == 2
    assert G.longest_path_dag({"n": 3, "arcs": []}) == 0
    with pytest.raises(ValueError):
        G.topological_order({"n": 2, "arcs": [(0, 1), (1, 0)]})


def test_weighted_graphs() -> None:
    g = {"n": 4, "edges": [(0, 1, 1), (1, 3, 1), (0, 3, 5), (0, 2, 2), (2, 3, 1)]}
    assert G.shortest_path(g) == 2
    assert G.mst_weight(g) == 3  # 0-1, 1-3, 2-3
    assert G.shortest_path({"n": 2, "edges": [(0, 1, 7)]}) == 7


def _acyclic(n: int, arcs: list[tuple[int, int]]) -> bool:
    try:
        G.topological_order({"n": n, "arcs": arcs})
    except ValueError:
        return False
    return True


def test_graph_samplers() -> None:
    rng = random.Random(5)
    bipartite = set()
    for nodes in range(3, 13):
        for _ in range(10):
            for sampler in (G.sample_graph, G.sample_bipartite_or_not):
                g = sampler(rng, nodes=nodes)
                assert g["n"] == nodes and g["edges"] == sorted(set(g["edges"]))
                assert all(0 <= u < v < nodes for u, v in g["edges"])
            bipartite.add(G.is_bipartite(G.sample_bipartite_or_not(rng, nodes=nodes)))
            d = G.sample_dag(rng, nodes=nodes)
            assert d["arcs"] == sorted(set(d["arcs"])) and _acyclic(nodes, d["arcs"])
            w = G.sample_weighted(rng, nodes=nodes)
            assert all(u < v and 1 <= wt <= 20 for u, v, wt in w["edges"])
            assert G.count_components({"n": nodes, "edges": [(u, v) for u, v, _ in w["edges"]]}) == 1
    assert bipartite == {True, False}


# ------------------------------------------------------------------ dates


def test_day_of_week_agrees_with_datetime() -> None:
    rng = random.Random(6)
    for _ in range(300):
        day = datetime.date.fromordinal(rng.randint(1, datetime.date(9999, 12, 31).toordinal()))
        record = {"y": day.year, "m": day.month, "d": day.day}
        assert D.day_of_week(record) == day.strftime("%A")
    assert D.day_of_week({"y": 2000, "m": 1, "d": 1}) == "Saturday"


def test_date_arithmetic() -> None:
    assert D.add_days({"y": 2000, "m": 2, "d": 28}, 1) == {"y": 2000, "m": 2, "d": 29}
    assert D.add_days({"y": 1900, "m": 2, "d": 28}, 1) == {"y": 1900, "m": 3, "d": 1}
    assert D.add_days({"y": 2023, "m": 12, "d": 31}, 1) == {"y": 2024, "m": 1, "d": 1}
    assert D.add_days({"y": 9996, "m": 12, "d": 31}, 1000)["y"] <= 9999  # the declared bound holds
    assert D.days_between({"y": 2000, "m": 1, "d": 1}, {"y": 2001, "m": 1, "d": 1}) == 366
    assert D.days_between({"y": 2001, "m": 1, "d": 1}, {"y": 2000, "m": 1, "d": 1}) == -366


def test_date_samplers() -> None:
    rng = random.Random(7)
    for spread in (0, 30, 400):
        for _ in range(50):
            r = D.sample_date(rng, spread=spread)
            day = datetime.date(r["y"], r["m"], r["d"])  # raises if invalid
            assert abs(day.year - 2000) <= spread
            pair = D.sample_date_pair(rng, spread=spread)
            assert D.days_between(pair["start"], pair["end"]) >= 0


# ------------------------------------------------------------------ geometry and matrices


def test_polygon_helpers() -> None:
    square = [(0, 0), (2, 0), (2, 2), (0, 2)]
    assert GEO.twice_area(square) == 8
    assert GEO.twice_area([(0, 0), (3, 0), (0, 1)]) == 3
    assert GEO.is_simple(square)
    assert not GEO.is_simple([(0, 0), (2, 2), (2, 0), (0, 2)])  # a bow tie
    assert not GEO.is_simple([(0, 0), (2, 0), (1, 0)])  # folds back along a line
    assert GEO.segments_touch((0, 0), (2, 2), (0, 2), (2, 0))
    assert not GEO.segments_touch((0, 0), (1, 0), (0, 1), (1, 1))
    assert GEO.segments_touch((0, 0), (2, 0), (2, 0), (3, 5))  # a shared endpoint


def test_polygon_sampler() -> None:
    rng = random.Random(8)
    for n in range(3, 11):
        for r in (3, 10, 50):
            pts = GEO.sample_polygon(rng, n=n, r=r)
            assert len(pts) == n and all(abs(x) <= r and abs(y) <= r for x, y in pts)
            assert GEO.is_simple(pts) and GEO.twice_area(pts) > 0


def _det_by_permutations(m: list[list[int]]) -> int:
    n = len(m)
    total = 0
    for perm in itertools.permutations(range(n)):
        inversions = sum(1 for i, j in itertools.combinations(range(n), 2) if perm[i] > perm[j])
        total += (-1) ** inversions * math.prod(m[i][perm[i]] for i in range(n))
    return total


def test_determinant() -> None:
    assert M.determinant([[1, 2], [3, 4]]) == -2
    assert M.determinant([[2, 0, 0], [0, 3, 0], [0, 0, 4]]) == 24
    assert M.determinant([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) == 0
    rng = random.Random(9)
    for n in (2, 3, 4):
        for _ in range(30):
            m = [[rng.randint(-9, 9) for _ in range(n)] for _ in range(n)]
            assert M.determinant(m) == _det_by_permutations(m)


# ------------------------------------------------------------------ against the declared types


@pytest.fixture(scope="module")
def stdlib():
    return load(SPECS)


def _param_grid(info) -> list[dict]:
    """Defaults, plus every param at each end of its range (one at a time)."""
    grid = [{}]
    for name, p in info.params.items():
        if p.range is not None:
            grid += [{name: int(p.range.lo)}, {name: int(p.range.hi)}]
        elif p.kind == "enum":
            grid += [{name: v} for v in p.type.values]
    return grid


def test_custom_samplers_stay_inside_declared_types(stdlib) -> None:
    from racesdsl.syntax import ast as A

    checked = 0
    for qual, info in stdlib.checked.envs.items():
        clause = info.decl.first(A.SampleClause)
        if clause is None:
            continue
        module, _, func = clause.ref.target.partition(":")
        sampler = getattr(importlib.import_module(module), func)
        env = stdlib[qual]
        for overrides in _param_grid(info):
            params = env.resolve_params(overrides)
            types = env.types(params).inputs
            for seed in SEEDS:
                raw = sampler(random.Random(seed), **params)
                values = raw if len(types) > 1 else {next(iter(types)): raw}
                assert set(values) == set(types), qual
                for name, t in types.items():
                    why = checker_for(t)(values[name])
                    assert why is None, f"{qual} {overrides} seed {seed}: `{name}` {why}"
        checked += 1
    assert checked >= 30


def test_every_env_samples_and_solves(stdlib) -> None:
    for qual, info in stdlib.checked.envs.items():
        env = stdlib[qual]
        for overrides in _param_grid(info):
            for seed in range(4):
                inst = env.sample(seed, **overrides)  # checks inputs and the solver's output
                assert inst.prompt.strip(), qual
