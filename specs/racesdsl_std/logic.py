"""Solvers and samplers for `std.logic`: CNF formulas over variables x1..xv.

A formula is a list of clauses; a clause is a list of non-zero literals, where
`k` stands for x_k and `-k` for "not x_k" (the DIMACS convention)."""

from __future__ import annotations

import itertools
import random


def _clause(rng: random.Random, nvars: int, width: int) -> list[int]:
    chosen = sorted(rng.sample(range(1, nvars + 1), min(width, nvars)))
    return [v if rng.random() < 0.5 else -v for v in chosen]


def sample_cnf(rng: random.Random, nvars: int, clauses: int, **_: object) -> list[list[int]]:
    """`clauses` clauses of one to three literals over distinct variables of x1..x<nvars>."""
    return [_clause(rng, nvars, rng.randint(1, 3)) for _ in range(clauses)]


def sample_cnf_with_values(rng: random.Random, nvars: int, clauses: int, **_: object) -> dict[str, object]:
    """A formula and a truth assignment that satisfies it about half of the time."""
    values = [rng.random() < 0.5 for _ in range(nvars)]
    formula = sample_cnf(rng, nvars, clauses)
    if rng.random() < 0.5:  # make every clause true under `values`
        for clause in formula:
            if not any(values[abs(lit) - 1] == (lit > 0) for lit in clause):
                v = abs(clause[0])
                clause[0] = v if values[v - 1] else -v
    return {"formula": formula, "values": values}


def satisfied(clauses: list[list[int]], values: list[bool]) -> bool:
    """Whether the assignment (values[k - 1] is x_k) makes every clause true."""
    return all(any(values[abs(lit) - 1] == (lit > 0) for lit in clause) for clause in clauses)


def count_sat_cnf(formula: list[list[int]], nvars: int) -> int:
    """How many of the 2**nvars assignments of x1..x<nvars> satisfy every clause."""
    return sum(satisfied(formula, list(bits)) for bits in itertools.product((False, True), repeat=nvars))
