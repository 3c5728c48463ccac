"""The fusion graph (`racesdsl.compose.graph`): known edges of a hand-made spec,
agreement with the stock checker on `compose` declarations, and the stdlib's
targets (computed by the tool, not listed by hand)."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from typegen import types

from racesdsl.check.pipeline import check_paths
from racesdsl.compose.graph import (
    graph_stats,
    kinds_fit,
    self_loops,
    seq_edges,
    seq_links,
    stage_ref,
    summary,
    to_dot,
)
from racesdsl.runtime.types import TType, mismatch
from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import print_comp

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"

ALPHA = '''
type Small = Int[-9..9]

env sorter "Sort a list." {
    param n: Int[1..5] = 3
    input xs: List[Small, len=n]
    output List[Small, len=n]
    prompt """Sort {{ xs }}."""
    solve sorted(xs)
}

env adder "Sum of a list." {
    input xs: List[Small, len=1..5]
    output Int[-45..45]
    prompt """Add up {{ xs }}."""
    solve sum(xs)
}

env pair "Smallest and largest element." {
    param n: Int[1..5] = 3
    input xs: List[Small, len=n]
    output Tuple[Small, Small]
    prompt """Give the smallest and largest element of {{ xs }}."""
    solve (min(xs), max(xs))
}

env plus "Sum of two numbers." {
    input a: Small
    input b: Small
    output Int[-18..18]
    prompt """What is {{ a }} + {{ b }}?"""
    solve a + b
}
'''

BETA = '''
env negate "Negate a number." {
    input x: Int[-100..100]
    output Int[-100..100]
    prompt """What is minus {{ x }}?"""
    solve -x
}

env big "Whether a number exceeds 5." {
    param hi: Int[10..20] = 10
    input x: Int[0..hi]
    output Bool
    prompt """Is {{ x }} greater than 5?"""
    solve x > 5
}

env bit "A truth value as a bit." {
    input b: Bool
    output Int[0..1]
    prompt """Write {{ b }} as a bit."""
    solve python "helpers:bit"
}

env fifteen "Echo a number up to fifteen." {
    input x: Int[0..15]
    output Int[0..15]
    prompt """Repeat {{ x }}."""
    solve x
}
'''

# Worked out by hand from docs/language.md §3 and §5:
# - `plus` has two inputs: a tuple feeds it by position, a single value does not;
# - `big` must accept its input for every `hi`, so it takes Int[0..10]: `bit`
#   (0..1) feeds it, `fifteen` (0..15) does not;
# - `sorter`'s `n` is inferred from the incoming list, so it follows itself.
KNOWN_EDGES = [
    ("alpha.adder", "beta.negate"),
    ("alpha.pair", "alpha.plus"),
    ("alpha.plus", "beta.negate"),
    ("alpha.sorter", "alpha.adder"),
    ("alpha.sorter", "alpha.pair"),
    ("beta.big", "beta.bit"),
    ("beta.bit", "beta.big"),
    ("beta.bit", "beta.fifteen"),
    ("beta.bit", "beta.negate"),
    ("beta.fifteen", "beta.negate"),
]
KNOWN_LOOPS = ["alpha.sorter", "beta.fifteen", "beta.negate"]


@pytest.fixture
def small(tmp_path: Path):
    (tmp_path / "alpha.races").write_text(ALPHA, encoding="utf-8")
    (tmp_path / "beta.races").write_text(BETA, encoding="utf-8")
    result = check_paths([tmp_path])
    assert result.diagnostics == []
    return tmp_path, result.program


def test_known_edges(small) -> None:
    _, program = small
    assert seq_edges(program) == KNOWN_EDGES
    assert self_loops(program) == KNOWN_LOOPS
    with_loops = seq_edges(program, include_self=True)
    assert sorted(with_loops) == sorted(KNOWN_EDGES + [(a, a) for a in KNOWN_LOOPS])


def test_stats_of_small_spec(small) -> None:
    _, program = small
    stats = graph_stats(program)
    assert stats["envs"] == 8
    assert stats["modules"] == 2
    assert stats["per_module"] == {"alpha": 4, "beta": 4}
    assert stats["expression_only"] == 7  # `bit` solves in python
    assert stats["edges"] == len(KNOWN_EDGES)
    assert stats["self_loops"] == len(KNOWN_LOOPS)
    assert stats["no_in"] == ["alpha.sorter"]
    assert stats["no_out"] == ["beta.negate"]  # its only edge is a self-loop
    assert stats["envs_with_in_and_out"] == 6
    assert stats["coverage"] == pytest.approx(6 / 8)


def _stock_verdicts(folder: Path, pairs: list[tuple[str, str]], uses: list[str]) -> dict[tuple[str, str], bool]:
    """Check every `seq(a, b)` as a real `compose` declaration, one per line."""
    lines = [f"use {u}" for u in uses]
    first = len(lines) + 1
    lines += [f"compose c{i} = seq({a}, {b})" for i, (a, b) in enumerate(pairs)]
    path = folder / "pairs.races"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = check_paths([path])
    bad_lines = {d.span.line for d in result.errors}
    return {pair: (first + i) not in bad_lines for i, pair in enumerate(pairs)}


def test_agrees_with_compose_declarations(small) -> None:
    folder, program = small
    names = sorted(program.envs)
    pairs = [(a, b) for a in names for b in names]
    verdicts = _stock_verdicts(folder, pairs, ["alpha", "beta"])
    assert sorted(p for p, ok in verdicts.items() if ok) == seq_edges(program, include_self=True)


def test_agrees_with_compose_declarations_on_the_stdlib(tmp_path: Path) -> None:
    program = check_paths([SPECS]).program
    names = sorted(program.envs)
    edges = set(seq_edges(program, include_self=True))
    rng = random.Random(2606)
    pairs = sorted({(rng.choice(names), rng.choice(names)) for _ in range(300)} | set(rng.sample(sorted(edges), 150)))
    modules = sorted({q.split(".")[0] for q in names})
    verdicts = _stock_verdicts(tmp_path, pairs, [f"std.{m}" for m in modules])
    assert {p for p, ok in verdicts.items() if ok} == {p for p in pairs if p in edges}


def test_dot_is_deterministic_and_grouped(small) -> None:
    _, program = small
    edges = seq_edges(program)
    dot = to_dot(program, edges)
    assert dot == to_dot(program, list(reversed(edges)))
    assert dot.startswith("digraph fusion {") and dot.endswith("}\n")
    assert dot.count("subgraph cluster_") == 2
    assert 'label="alpha";' in dot and 'label="beta";' in dot
    assert '"alpha.sorter" [label="sorter"];' in dot
    assert dot.count(" -> ") == len(KNOWN_EDGES)
    assert '"beta.bit" -> "beta.big";' in dot


def racesdsl_graph(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "racesdsl", "graph", *args], capture_output=True, text=True,
                          timeout=120)


def test_command_line(small) -> None:
    folder, _ = small
    dot = folder / "graph.dot"
    res = racesdsl_graph(str(folder / "alpha.races"), str(folder / "beta.races"), "--json", "-o", str(dot))
    assert res.returncode == 0, res.stderr
    stats = json.loads(res.stdout)
    assert stats["edges"] == len(KNOWN_EDGES)
    assert dot.read_text(encoding="utf-8").count(" -> ") == len(KNOWN_EDGES)
    res = racesdsl_graph(str(folder / "alpha.races"))
    assert res.returncode == 0 and "4 envs in 1 modules" in res.stdout
    assert racesdsl_graph(str(folder / "alpha.races"), "-o", str(folder / "g.png")).returncode == 2


def test_command_line_refuses_specs_with_errors(tmp_path: Path) -> None:
    (tmp_path / "broken.races").write_text('env e "x" { input x: Int output Int }\n', encoding="utf-8")
    res = racesdsl_graph(str(tmp_path))
    assert res.returncode == 1 and "error" in res.stderr


def test_stdlib_meets_its_targets() -> None:
    result = check_paths([SPECS])
    assert result.diagnostics == []  # no errors and no warnings
    stats = graph_stats(result.program)
    assert stats["envs"] >= 60
    assert stats["modules"] >= 7
    assert stats["expression_only"] >= 25
    assert stats["edges"] >= 400
    assert stats["coverage"] >= 0.8
    for module, count in stats["per_module"].items():
        assert count >= 5, module


def test_links_are_legal_as_written_and_extend_the_edges(tmp_path: Path) -> None:
    """Every link, written as `seq(A(...), B(...)[port])`, checks clean with the real
    checker; the plain links are exactly the seq edges; links reach more envs."""
    program = check_paths([SPECS]).program
    links = seq_links(program)
    assert [(lk.a, lk.b) for lk in links if lk.plain] == seq_edges(program)
    assert len({(lk.a, lk.b) for lk in links}) == len(links)
    special = [lk for lk in links if not lk.plain]
    assert any(lk.port for lk in special) and any(lk.fix_a for lk in special) and any(lk.fix_b for lk in special)

    def ref(qualname: str, fixed: bool, port: str | None = None) -> A.StageRef:
        return stage_ref(program.envs[qualname], tuple(qualname.split(".")), fixed, port)

    uses = sorted({f"use std.{lk.a.split('.')[0]}\nuse std.{lk.b.split('.')[0]}" for lk in special})
    lines = [f"compose c{i} = " + print_comp(A.OpExpr("seq", (ref(lk.a, lk.fix_a), ref(lk.b, lk.fix_b, lk.port))))
             for i, lk in enumerate(random.Random(7).sample(special, 80))]
    spec = tmp_path / "links.races"
    spec.write_text("\n".join(sorted(set("\n".join(uses).split("\n"))) + lines) + "\n", encoding="utf-8")
    result = check_paths([spec])
    assert [d.message for d in result.errors] == []
    text = spec.read_text()
    assert re.search(r"\w\[\w+\]", text) and re.search(r"\w\(\w+=", text)  # ports and fixed params occur
    stats = graph_stats(program, links=links)
    assert stats["links"] == len(links) and stats["link_coverage"] > stats["coverage"] >= 0.8
    assert set(stats["no_in_link"]) < set(stats["no_in"]) and "numbers.gcd2" not in stats["no_in_link"]
    assert "no in-link: " + ", ".join(stats["no_in_link"]) in summary(stats)


@given(types(), types())
@settings(max_examples=300, deadline=None)
def test_kinds_fit_never_rules_out_an_assignable_pair(s: TType, t: TType) -> None:
    """The graph skips the checker when kinds cannot fit: never for a pair that can."""
    assert kinds_fit(s, s) and kinds_fit(t, t)
    if mismatch(s, t) is None:
        assert kinds_fit(s, t)
