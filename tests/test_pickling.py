"""Environments pickle by reference (runtime.pickling): base envs and composites,
from `load()` and from compiled packages, through pickle, a spawn pool and the
`datasets` fingerprint."""

from __future__ import annotations

import importlib
import multiprocessing
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.writer import package_files, write_files

REPO = Path(__file__).resolve().parent.parent
COMPOSITIONS = REPO / "tests" / "fixtures" / "language" / "compositions.races"
NAMES = ["lists.sort_list", "numbers.gcd2", "compositions.top3_sum", "compositions.nested", "compositions.planner"]


@pytest.fixture(scope="module")
def program():
    return racesdsl.load(COMPOSITIONS)


def _same_behaviour(env, again) -> None:
    assert again.qualname == env.qualname
    for seed in range(5):
        inst = env.sample(seed)
        assert again.sample(seed) == inst  # byte-identical instances, ids included
        for text in (env.render_answer(inst.answer, **inst.params), "<answer>[1, 2]</answer>", "nonsense"):
            assert again.verify(inst, text) == env.verify(inst, text)


@pytest.mark.parametrize("name", NAMES)
def test_loaded_envs_round_trip(program, name: str) -> None:
    env = program[name]
    data = pickle.dumps(env)
    assert len(data) < 1000  # a reference, not the env's state
    again = pickle.loads(data)
    _same_behaviour(env, again)
    assert pickle.loads(data) is again  # the specs are loaded once per process
    assert pickle.dumps(env) == data


def test_a_changed_spec_does_not_unpickle_silently(tmp_path: Path) -> None:
    spec = tmp_path / "one.races"
    text = 'env echo "Echo." {\n    input x: Int[0..9]\n    output Int[0..9]\n    prompt """{{ x }}"""\n    solve x\n}\n'
    spec.write_text(text, encoding="utf-8")
    data = pickle.dumps(racesdsl.load(spec)["echo"])
    spec.write_text(text.replace("solve x", "solve 9 - x"), encoding="utf-8")
    code = f"import pickle; pickle.loads({data!r})"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(REPO)})
    assert res.returncode != 0 and "changed since it was pickled" in res.stderr


def test_compiled_envs_pickle_by_import_path(tmp_path: Path, program) -> None:
    write_files(package_files(check_paths([COMPOSITIONS]).program, "pickled_pkg"), tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module("pickled_pkg")
        for name in NAMES:
            env = package.get(name)
            data = pickle.dumps(env)
            assert b"pickled_pkg" in data and len(data) < 300
            again = pickle.loads(data)
            assert again is env
            _same_behaviour(program[name], again)
    finally:
        sys.path.remove(str(tmp_path))


def _sample_in_worker(env, seed: int):
    return env.sample(seed), env.verify(env.sample(seed), env.render_answer(env.sample(seed).answer))


def test_envs_cross_a_spawn_pool(program) -> None:
    envs = [program[name] for name in NAMES]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        got = pool.starmap(_sample_in_worker, [(env, seed) for env in envs for seed in (0, 1)])
    want = [_sample_in_worker(env, seed) for env in envs for seed in (0, 1)]
    assert got == want


def test_datasets_fingerprint_is_the_same_in_two_processes() -> None:
    pytest.importorskip("datasets")  # the dev extra installs it
    code = ("import racesdsl; from datasets.fingerprint import Hasher; "
            f"p = racesdsl.load({str(COMPOSITIONS)!r}); "
            f"print(*[Hasher.hash(p[n]) for n in {NAMES!r}])")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                           env={"PYTHONPATH": str(REPO), "PYTHONHASHSEED": seed}, check=True).stdout
            for seed in ("1", "2")]
    assert runs[0] == runs[1]
    assert len(set(runs[0].split())) == len(NAMES)
