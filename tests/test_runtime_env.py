"""Base environments end to end: load -> sample -> prompt -> verify, the
compiled package beside `load()`, determinism across processes."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.writer import package_files, stale_files, write_files
from racesdsl.errors import SpecError
from racesdsl.runtime.env import ParamError, SolverError
from racesdsl.runtime.values import SamplingError

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def stdlib():
    return racesdsl.load(SPECS)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    out = tmp_path_factory.mktemp("pkg")
    files = package_files(check_paths([SPECS]).program, "std_envs")
    write_files(files, out)
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("std_envs")
    finally:
        sys.path.remove(str(out))


def write(tmp_path: Path, text: str, name: str = "spec.races") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reference_answer_scores_one_and_garbage_zero_for_every_stdlib_env(stdlib) -> None:
    assert len(stdlib) >= 8
    for name, env in stdlib.items():
        for seed in range(10):
            inst = env.sample(seed)
            completion = env.render_answer(inst.answer, **inst.params)
            assert env.verify(inst, completion).value == 1.0, (name, seed, completion)
            assert env.verify(inst, "I do not know.").value == 0.0
            assert inst.prompt.rstrip().endswith("."), inst.prompt


def test_compiled_package_matches_load_for_100_seeds_of_every_env(stdlib, compiled) -> None:
    envs = compiled.environments()
    assert set(envs) == set(stdlib)
    for name, loaded in stdlib.items():
        built = envs[name]
        for seed in range(100):
            a, b = loaded.sample(seed), built.sample(seed)
            assert (a.prompt, a.answer, a.input, a.id) == (b.prompt, b.answer, b.input, b.id), (name, seed)
            text = loaded.render_answer(a.answer, **a.params)
            assert loaded.verify(a, text) == built.verify(b, text)
            wrong = text.replace("<answer>", "<answer>0").replace("[", "[1, ")
            assert loaded.verify(a, wrong) == built.verify(b, wrong)


def test_sampling_is_deterministic_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    code = ("import json, racesdsl; p = racesdsl.load('specs'); "
            "print(json.dumps([p[q].sample(s).to_dict() for q in sorted(p) for s in range(3)]))")
    outs = set()
    for hash_seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True)
        outs.add(run.stdout)
    assert len(outs) == 1
    rows = json.loads(outs.pop())
    assert len({r["id"] for r in rows}) == len(rows)


def test_seeds_and_params_change_instances(stdlib) -> None:
    env = stdlib["sort_list"]
    assert env.sample(1).input != env.sample(2).input
    assert len(env.sample(1, n=9).input["xs"]) == 9
    assert env.sample(5, n=9).id != env.sample(5, n=10).id


def test_param_overrides_are_validated(stdlib) -> None:
    env = stdlib["sort_list"]
    with pytest.raises(ParamError, match="no param `size`"):
        env.sample(0, size=3)
    with pytest.raises(ParamError, match="param `n`"):
        env.sample(0, n=13)
    with pytest.raises(ParamError):
        env.sample(0, n="six")


def test_where_constraint_that_cannot_hold_names_env_and_constraint(tmp_path: Path) -> None:
    prog = racesdsl.load(write(tmp_path, """env never "Impossible." {
    input x: Int[0..3]
    where x > 5
    output Int[0..3]
    prompt \"\"\"Repeat {{ x }}.\"\"\"
    solve x
}
"""))
    with pytest.raises(SamplingError, match=r"never: no input satisfied `where x > 5`.*seed 4"):
        prog["never"].sample(4)


def test_solver_output_outside_the_declared_type_is_a_clear_error(tmp_path: Path) -> None:
    prog = racesdsl.load(write(tmp_path, """env bad "Wrong solver." {
    param hi: Int[10..20] = 10
    input a: Int[1..hi]
    output Int[1..hi]
    prompt \"\"\"Double {{ a }}.\"\"\"
    solve 2 * a
}
"""))
    with pytest.raises(SolverError, match=r"bad: the solver's answer \d+ is outside the output type"):
        for seed in range(50):
            prog["bad"].sample(seed)


def test_python_bindings_resolve_next_to_the_spec(tmp_path: Path) -> None:
    (tmp_path / "mybind.py").write_text(
        "def pick(rng, hi):\n    return {'a': rng.randint(1, hi), 'b': 7}\n"
        "def solve(a, b):\n    return a + b\n", encoding="utf-8")
    prog = racesdsl.load(write(tmp_path, """env add "Add." {
    param hi: Int[1..9] = 5
    input a: Int[1..9]
    input b: Int[1..9]
    output Int[2..18]
    sample python "mybind:pick"
    prompt \"\"\"What is {{ a }} + {{ b }}?\"\"\"
    solve python "mybind:solve"
}
"""))
    inst = prog["add"].sample(0, hi=3)
    assert inst.input["b"] == 7 and 1 <= inst.input["a"] <= 3
    assert inst.answer == inst.input["a"] + 7


def test_custom_sampler_outside_its_type_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "badsample.py").write_text("def pick(rng):\n    return 99\n", encoding="utf-8")
    prog = racesdsl.load(write(tmp_path, """env echo "Echo." {
    input x: Int[0..9]
    output Int[0..9]
    sample python "badsample:pick"
    prompt \"\"\"Repeat {{ x }}.\"\"\"
    solve x
}
"""))
    with pytest.raises(SamplingError, match="custom sampler's `x` is outside its type"):
        prog["echo"].sample(0)


def test_load_of_a_broken_spec_raises_spec_error_with_diagnostics(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        racesdsl.load(write(tmp_path, "type T = Int[5..1]\n"))
    assert [d.code for d in info.value.diagnostics] == ["E0301"]


def test_generated_code_is_golden_and_deterministic() -> None:
    files = package_files(check_paths([SPECS / "lists.races"]).program, "lists_pkg")
    for rel, text in files.items():
        golden = GOLDEN / rel.replace("/", "__")
        if UPDATE:
            golden.write_text(text, encoding="utf-8")
        assert golden.exists(), f"run UPDATE_GOLDEN=1 to create {golden.name}"
        assert text == golden.read_text(encoding="utf-8"), f"{rel} changed: UPDATE_GOLDEN=1 to accept"
    assert package_files(check_paths([SPECS / "lists.races"]).program, "lists_pkg") == files


def test_generated_package_passes_ruff_and_imports_without_the_parser(tmp_path: Path) -> None:
    files = package_files(check_paths([SPECS]).program, "gen_pkg")
    write_files(files, tmp_path)
    # pyflakes, pycodestyle (not line length: prompt texts are long), bugbear; pinned, not ruff's
    # version-dependent defaults.
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--select", "E4,E7,E9,F,W,B",
                           str(tmp_path)], capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    code = ("import sys, gen_pkg; e = gen_pkg.get('sort_list'); i = e.sample(1); "
            "assert e.verify(i, e.render_answer(i.answer, **i.params)).value == 1.0; "
            "print(sorted(m for m in sys.modules if m.startswith(('lark', 'racesdsl.check', 'racesdsl.syntax'))))")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_writer_rewrites_only_stale_files_and_never_clobbers_foreign_ones(tmp_path: Path) -> None:
    files = package_files(check_paths([SPECS / "numbers.races"]).program, "pkg")
    assert sorted(write_files(files, tmp_path)) == sorted(files)
    assert write_files(files, tmp_path) == []
    assert stale_files(files, tmp_path) == []
    target = tmp_path / "pkg" / "numbers.py"
    target.write_text(target.read_text() + "# edited\n")
    assert stale_files(files, tmp_path) == ["pkg/numbers.py"]
    target.write_text("handwritten = True\n")
    with pytest.raises(FileExistsError):
        write_files(files, tmp_path)


def test_compiled_composites_match_load(tmp_path: Path) -> None:
    spec = ROOT / "tests" / "fixtures" / "language" / "compositions.races"
    write_files(package_files(check_paths([spec]).program, "comp_pkg"), tmp_path)
    code = ("import json, sys, racesdsl, comp_pkg; loaded = racesdsl.load(sys.argv[1]); "
            "envs = comp_pkg.environments(); names = sorted(loaded.checked.composites); "
            "print(json.dumps([[loaded[q].sample(s).to_dict() == envs[q].sample(s).to_dict(), "
            "envs[q].verify(envs[q].sample(s), loaded[q].render_answer(loaded[q].sample(s).answer)).value] "
            "for q in names for s in range(20)] + [len(names)]))")
    run = subprocess.run([sys.executable, "-c", code, str(spec)], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    *rows, count = json.loads(run.stdout)
    assert count == 6 and rows and all(same and value == 1.0 for same, value in rows)


@pytest.mark.parametrize("seed", [0, 7, -3, 10**20])
def test_hot_path_identity_matches_identity(seed: int) -> None:
    from racesdsl.runtime.seeds import identity, identity_parts

    params_text = '[["n",6]]'
    assert identity_parts(b"lists.sort_list\n", seed, f"\n{params_text}".encode()) == identity(
        "lists.sort_list", seed, params_text)
