"""`let`, `draw` and dependent shapes (docs/language.md §4): checking, sampling,
composition, load() against the compiled package, determinism, `racesdsl test`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.writer import package_files, write_files
from racesdsl.lexer import RacesLexer
from racesdsl.runtime import types as T
from racesdsl.runtime.env import Instance
from racesdsl.selftest import run_selftest
from racesdsl.selftest_derived import derived_problem

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "fixtures" / "language" / "let_draw.races"
NAMES = ["pick", "head_n", "grid_sum", "caesar", "chain", "both", "sorted_pick", "fed_head"]


@pytest.fixture(scope="module")
def program():
    return racesdsl.load(SPEC)


def _codes(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "spec.races"
    path.write_text(text, encoding="utf-8")
    return [d.code for d in check_paths([path]).diagnostics]


def test_checker_types_lets_and_widens_dependent_signatures() -> None:
    info = check_paths([SPEC]).program.envs["let_draw.grid_sum"]
    assert [i.name for i in info.inputs] == ["n", "grid"] and [d.name for d in info.draws] == ["k"]
    assert info.shaped == {"grid", "k"}
    grid = info.input("grid").type
    assert grid == T.TList(T.TList(T.TInt(T.Interval(0, 9)), T.Interval(2, 6)), T.Interval(2, 6))
    assert info.draws[0].type == T.TInt(T.Interval(1, 6))  # Int[1..len(grid)] widened over len 2..6
    lets = {let.name: let.type for let in info.lets}
    assert lets["total"] == T.TInt(T.Interval(0, 324)) and lets["scaled"] == T.TInt(T.Interval(0, 1944))
    caesar = check_paths([SPEC]).program.envs["let_draw.caesar"]
    assert caesar.draws[0].type == T.TInt(T.Interval(1, 9))  # widened over the param's range too


@pytest.mark.parametrize(("body", "code"), [
    ("input a: Int[0..9]\n let a = 1", "E0330"),
    ("input a: Int[0..9]\n draw d: Int[0..1]\n let d = a", "E0330"),
    ("input a: Int[0..9]\n let x = y + a\n let y = 1", "E0331"),
    ("input a: Int[0..9]\n let x = x + a", "E0331"),
    ("input xs: List[Int[0..9], len=n]\n input n: Int[1..3]", "E0332"),
    ("input a: Int[0..9]\n draw d: Int[0..e]\n draw e: Int[1..3]", "E0332"),
    ("input xs: List[Int[0..9], len=1..3]\n draw d: Int[0..xs]", "E0334"),
    ("input n: Int[1..3]\n draw d: Int[0..len(n)]", "E0334"),
    ("input a: Int[0..9]\n let m = 2\n draw d: Int[0..m]", "E0334"),
])
def test_new_diagnostics(tmp_path: Path, body: str, code: str) -> None:
    text = f'env e "E." {{\n {body}\n output Int[0..99]\n prompt """{{{{ a }}}} {{{{ xs }}}} {{{{ n }}}}"""\n solve 1\n}}\n'
    assert code in _codes(tmp_path, text)


def test_draws_need_no_mention_but_inputs_shown_through_a_let_count(tmp_path: Path) -> None:
    ok = ('env e "E." {\n input t: Int[0..9]\n draw s: Int[1..3]\n let c = t + s\n output Int[0..9]\n'
          ' prompt """Shown: {{ c }}"""\n solve c - s\n}\n')
    assert _codes(tmp_path, ok) == []
    hidden = ok.replace("{{ c }}", "{{ s }}")
    assert _codes(tmp_path, hidden) == ["E0403"]


def test_a_draw_cannot_be_fed_by_a_port(tmp_path: Path) -> None:
    text = SPEC.read_text(encoding="utf-8") + "\ncompose bad = seq(nums, pick[i])\n"
    assert "E0333" in _codes(tmp_path, text)


def test_dependent_shapes_hold_and_draws_are_stored(program) -> None:
    env = program["grid_sum"]
    for seed in range(60):
        inst = env.sample(seed)
        n, grid, k = inst.input["n"], inst.input["grid"], inst.input["k"]
        assert list(inst.input) == ["n", "grid", "k"]  # inputs then draws; lets are not stored
        assert len(grid) == n and all(len(row) == n for row in grid) and 1 <= k <= n
        assert inst.answer == sum(map(sum, grid)) * k
        assert env.solve(inst.input) == inst.answer
    assert env.input_type()["grid"].length == T.Interval(2, 6)


def test_a_draw_follows_its_param_and_v01_fields_are_unchanged(program) -> None:
    env = program["caesar"]
    shifts = {env.sample(s, hi=2).input["shift"] for s in range(40)}
    assert shifts == {1, 2}
    d = env.sample(3).to_dict()
    assert set(d) == {"id", "env", "seed", "params", "input", "prompt", "answer"}
    assert f"by {d['input']['shift']} to give {d['input']['x'] + d['input']['shift']}" in d["prompt"]


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10**9))
def test_fed_values_keep_their_dependent_types(seed: int) -> None:
    comp = _loaded()["fed_head"]
    inst = comp.sample(seed)
    listed, firsts = inst.answer
    assert firsts == listed[:len(firsts)] and 1 <= len(firsts) <= len(listed)
    chain = _loaded()["chain"].sample(seed)
    assert chain.answer[1] in chain.answer[0]


_PROGRAM: list = []


def _loaded():
    if not _PROGRAM:
        _PROGRAM.append(racesdsl.load(SPEC))
    return _PROGRAM[0]


def test_compositions_show_draws_and_lets_in_their_text(program) -> None:
    inst = program["chain"].sample(0)
    assert "Take element" in inst.prompt and "of the list you obtained in step 1" in inst.prompt
    par = program["both"].sample(1)
    assert set(par.input) == {"ys", "i"} and f"Take element {par.input['i']}" in par.prompt
    for name in ("chain", "both", "sorted_pick", "fed_head"):
        env = program[name]
        inst = env.sample(5)
        assert env.verify(inst, env.render_answer(inst.answer)).value == 1.0


def test_load_and_the_compiled_package_agree_across_processes(tmp_path: Path) -> None:
    write_files(package_files(check_paths([SPEC]).program, "letdraw_pkg"), tmp_path)
    code = ("import json, sys, racesdsl, letdraw_pkg; loaded = racesdsl.load(sys.argv[1]); "
            "envs = letdraw_pkg.environments(); "
            f"print(json.dumps([[loaded[q].sample(s).to_dict(), envs['let_draw.' + q].sample(s).to_dict()] "
            f"for q in {NAMES!r} for s in range(15)]))")
    outs = set()
    for hash_seed in ("0", "7"):
        run = subprocess.run([sys.executable, "-c", code, str(SPEC)], cwd=tmp_path, capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": hash_seed,
                                  "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])})
        assert run.returncode == 0, run.stderr
        outs.add(run.stdout)
    assert len(outs) == 1
    rows = json.loads(outs.pop())
    assert len(rows) == len(NAMES) * 15 and all(a == b for a, b in rows)


def test_selftest_passes_and_catches_a_tampered_instance(program) -> None:
    report = run_selftest(program, seeds=10, names=["let_draw.grid_sum", "let_draw.pick", "let_draw.caesar"])
    assert len(report.envs) == 3 and [e.failures for e in report.envs if e.failures] == []
    assert all(e.checks["inputs"] > 0 for e in report.envs)
    env = program["grid_sum"]
    inst = env.sample(2)
    n = inst.input["n"]
    broken = Instance(*inst[:3], {**inst.input, "k": n + 1}, *inst[4:])
    assert "dependent type" in derived_problem(env, broken)
    ragged = Instance(*inst[:3], {**inst.input, "grid": inst.input["grid"][:-1]}, *inst[4:])
    assert "dependent type" in derived_problem(env, ragged)


def test_fmt_lexer_and_lsp_cover_the_new_clauses(tmp_path: Path) -> None:
    from lsprotocol import types

    from racesdsl.formatter import format_text
    from racesdsl.lsp.analysis import analyze
    from racesdsl.lsp.hover import member_text
    from racesdsl.lsp.symbols import document_symbols

    text = SPEC.read_text(encoding="utf-8")
    assert format_text(format_text(text)) == format_text(text)
    assert "let total = sum([sum(row) for row in grid])" in format_text(text)
    kinds = {(str(tok), v) for tok, v in RacesLexer().get_tokens(text) if v in ("let", "draw")}
    assert {t.split(".")[-1] for t, _ in kinds} == {"Keyword"}
    analysis = analyze(SPEC.as_uri(), SPEC, text, [])
    line = next(k for k, row in enumerate(text.splitlines()) if "solve scaled" in row)
    pos = types.Position(line, text.splitlines()[line].index("scaled") + 1)
    assert member_text(analysis, pos) == "let `scaled`: `Int[0..1944]` (derived once per instance)"
    line = next(k for k, row in enumerate(text.splitlines()) if "{{ i }}" in row)
    pos = types.Position(line, text.splitlines()[line].index("{{ i }}") + 3)
    assert "draw `i`: `Int[0..7]`" in member_text(analysis, pos)
    grid = next(s for s in document_symbols(analysis) if s.name == "grid_sum")
    assert [(c.name, c.detail.split()[0]) for c in grid.children] == [
        ("n", "input"), ("grid", "input"), ("k", "draw"), ("total", "let"), ("scaled", "let")]


def test_a_custom_sampler_draws_the_inputs_and_the_env_its_draws(tmp_path: Path) -> None:
    (tmp_path / "lets_sampler.py").write_text(
        "def draw(rng):\n    return [rng.randint(0, 9) for _ in range(rng.randint(1, 5))]\n", encoding="utf-8")
    spec = tmp_path / "custom.races"
    spec.write_text('env custom "C." {\n    input xs: List[Int]\n    draw k: Int[0..3]\n    let m = len(xs) + k\n'
                    '    sample python "lets_sampler:draw"\n    output Int[0..1000]\n'
                    '    prompt """{{ xs }} plus {{ k }}"""\n    solve m\n}\n', encoding="utf-8")
    env = racesdsl.load(spec)["custom"]
    rows = [env.sample(s) for s in range(30)]
    assert {r.input["k"] for r in rows} == {0, 1, 2, 3}
    assert all(r.answer == len(r.input["xs"]) + r.input["k"] and list(r.input) == ["xs", "k"] for r in rows)


def test_a_step_cannot_show_a_let_computed_from_a_fed_input(tmp_path: Path) -> None:
    leak = ('env leak "Pick." {\n    input ys: List[Int[0..9], len=1..8]\n    let first = ys[0]\n'
            '    prompt """First of {{ ys }} is {{ first }}; double it."""\n    output Int[0..18]\n'
            '    solve first * 2\n}\n')
    base = SPEC.read_text(encoding="utf-8") + "\n" + leak
    assert _codes(tmp_path, base) == []  # shown alone, the let is fine
    assert _codes(tmp_path, base + "compose c = seq(nums, leak)\n") == ["E0405"]
    fixed = base.replace('double it."""', 'double it."""\n    step """double the first element of {{ ys }}"""')
    assert _codes(tmp_path, fixed + "compose c = seq(nums, leak)\n") == []
