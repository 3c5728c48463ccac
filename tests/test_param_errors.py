"""Parameter mistakes are the caller's, not the spec's (issue 12, findings 20, 23):
a broken dependent range or a non-integer knob is a ParamError (CLI exit 2), the
self-test only samples at param assignments a user could pass, and mistyped
names get a did-you-mean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import racesdsl
from racesdsl.check.pipeline import check_text
from racesdsl.runtime.env import ParamError
from racesdsl.selftest import run_selftest
from racesdsl.selftest_params import end_assignments

PICK = '''\
env pick "Add some numbers." {
    param min_numbers: Int[1..5] = 2
    param max_numbers: Int[min_numbers..5] = 4
    input xs: List[Int[0..9], len=min_numbers..max_numbers]
    output Int[0..45]
    prompt """Add {{ xs }}."""
    solve sum(xs)
}
'''

CHAIN = '''\
use std.lists.{sort_list, reverse_list}

compose c = seq(sort_list, reverse_list)
'''


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "racesdsl", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def pick(tmp_path: Path) -> Path:
    path = tmp_path / "pick.races"
    path.write_text(PICK, encoding="utf-8")
    return path


def test_broken_dependent_range_is_a_param_error(pick: Path) -> None:
    env = racesdsl.load(pick)["pick"]
    with pytest.raises(ParamError, match=r"max_numbers.*3 is not in Int\[5..5\]"):
        env.sample(0, min_numbers=5, max_numbers=3)


def test_cli_broken_dependent_range_exits_2(pick: Path) -> None:
    done = run("sample", "pick.races:pick", "--param", "min_numbers=5", "--param", "max_numbers=3", cwd=pick.parent)
    assert done.returncode == 2, done.stderr
    assert "max_numbers" in done.stderr and "spec bug" not in done.stderr


@pytest.mark.parametrize("value", ["5.5", "true", '"six"'])
def test_cli_non_integer_composite_knob_exits_2(tmp_path: Path, value: str) -> None:
    (tmp_path / "chain.races").write_text(CHAIN, encoding="utf-8")
    done = run("sample", "chain.races:c", "--param", f"sort_list.n={value}", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "knob `sort_list.n` of c must be an integer" in done.stderr


def test_knob_of_a_nested_composite_is_type_checked(tmp_path: Path) -> None:
    (tmp_path / "nest.races").write_text(CHAIN + "compose twice = seq(c, c)\n", encoding="utf-8")
    twice = racesdsl.load(tmp_path / "nest.races")["nest.twice"]
    with pytest.raises(ParamError, match="c#2.sort_list.n"):
        twice.sample(0, **{"c#2.sort_list.n": 5.5})
    assert twice.sample(0, **{"c#2.sort_list.n": 5}).params["c#2.sort_list.n"] == 5


def test_self_test_moves_dependent_params_along(pick: Path) -> None:
    env = racesdsl.load(pick)["pick"]
    tried = list(end_assignments(env))
    assert {"min_numbers": 5, "max_numbers": 5} in tried  # max_numbers follows min_numbers up
    assert {"max_numbers": 2} in tried
    for params in tried:
        env.resolve_params(params)  # every one is an assignment a user could pass
    report = run_selftest(racesdsl.load(pick), seeds=3)
    assert report.ok, [f.message for r in report.envs for f in r.failures]


def test_test_env_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / "pick.races").write_text(PICK, encoding="utf-8")
    done = run("test", "pick.races", "--env", "pikc", cwd=tmp_path)
    assert done.returncode == 2
    assert "no environment `pikc`; did you mean `pick`?" in done.stderr


@pytest.mark.parametrize(("args", "help_text"), [
    ("k=1, k=2", "keep one value, or give a range: `k=1..2`"),
    ("k=2, k=1..4", "keep one value, or give a range: `k=1..4`"),
    ("k=3, k=3", "keep one value: `k=3`"),
])
def test_e0319_help_uses_the_values_given(args: str, help_text: str) -> None:
    result = check_text(f"use std.lists.{{take_first, total}}\ncompose c = seq(take_first({args}), total)\n")
    assert [(d.code, d.help) for d in result.errors] == [("E0319", help_text)]


def test_e0501_in_a_bound_suggests_a_param_declared_later() -> None:
    text = PICK.replace("    param min_numbers: Int[1..5] = 2\n",
                        "    param few: Int[1..min_numbrs] = 1\n    param min_numbers: Int[1..5] = 2\n")
    assert [(d.code, d.help) for d in check_text(text).errors] == [("E0501", "did you mean `min_numbers`?")]
