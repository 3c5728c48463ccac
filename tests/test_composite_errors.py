"""Errors from inside a composite's stages say which instance they come from, and
knob settings a stage cannot take are param errors, found before any drawing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import racesdsl
from racesdsl.runtime.env import ParamError, SolverError
from racesdsl.runtime.values import SamplingError

SPEC = '''\
use std.lists.{sort_list, total}

env pick "Add some numbers." {
    param min_numbers: Int[1..5] = 2
    param max_numbers: Int[min_numbers..5] = 4
    input xs: List[Int[0..9], len=min_numbers..max_numbers]
    output List[Int[0..9], len=1..5]
    prompt """Write down {{ xs }}."""
    solve xs
}

env shaky "A python sampler that fails." {
    input xs: List[Int[0..9], len=1..5]
    output List[Int[0..9], len=1..5]
    prompt """Write down {{ xs }}."""
    sample python "hooks:bad_sample"
    solve xs
}

env shaky_solver "A python solver that fails." {
    input xs: List[Int[0..9], len=1..5]
    output Int[0..45]
    prompt """Add {{ xs }}."""
    solve python "hooks:bad_solve"
}

compose picked = seq(pick, total)
compose shaky_chain = seq(shaky, total)
compose shaky_end = seq(pick, shaky_solver)
'''

HOOKS = '''\
def bad_sample(rng, **params):
    raise RuntimeError("sampler broke")


def bad_solve(xs):
    raise RuntimeError("solver broke")
'''


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("errs")
    (path / "errs.races").write_text(SPEC, encoding="utf-8")
    (path / "hooks.py").write_text(HOOKS, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def program(folder: Path):
    return racesdsl.load(folder / "errs.races")


def test_a_failing_python_sampler_names_the_instances_seed(program) -> None:
    with pytest.raises(SamplingError, match=r"sampler raised RuntimeError: sampler broke \(seed 1234,"):
        program["shaky_chain"].sample(1234)


def test_a_failing_python_solver_names_the_instances_seed(program) -> None:
    with pytest.raises(SolverError, match=r"solver raised RuntimeError: solver broke \(seed 77,"):
        program["shaky_end"].sample(77)


def test_knobs_that_break_a_dependent_bound_are_a_param_error(program) -> None:
    comp = program["picked"]
    assert {"pick.min_numbers", "pick.max_numbers"} <= set(comp.knob_defaults)
    with pytest.raises(ParamError, match=r"pick\.min_numbers.*max_numbers.*not in Int\[5..5\]"):
        comp.sample(0, **{"pick.min_numbers": 5, "pick.max_numbers": 3})
    inst = comp.sample(0, **{"pick.min_numbers": 5, "pick.max_numbers": 5})  # consistent: fine
    assert len(inst.input["xs"]) == 5


def test_cli_knobs_that_break_a_dependent_bound_exit_2(folder: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "racesdsl", "sample", "errs.races:picked", "--param",
                           "pick.min_numbers=5", "--param", "pick.max_numbers=3"], cwd=folder,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "max_numbers" in done.stderr and "spec bug" not in done.stderr
