"""A solver that produces an integer too long to print is a spec bug (exit 1) naming the
env and the seed, never an internal error: Python refuses to print ints of more than
4,300 digits, so an unbounded `Int` output is held to the 4,000 digits racesdsl reads
(`MAX_INT_DIGITS`), and messages never try to print such a number."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import racesdsl
from racesdsl.check.pipeline import check_text
from racesdsl.runtime.checks import checker_for, preview
from racesdsl.runtime.env import SPEC_BUGS, SolverError
from racesdsl.runtime.limits import MAX_INT_DIGITS
from racesdsl.runtime.types import Interval, TInt, TList, TTuple

LITERAL = "7" * 3000  # legal: E0109 starts past 4,000 digits


def env(solve: str, output: str = "Int") -> str:
    return (f'env big "Big numbers." {{\n    input x: Int[1..9]\n    output {output}\n'
            f'    prompt """{{{{ x }}}}"""\n    solve {solve}\n}}\n')


CASES = {
    "literal product": env(f"x * {LITERAL} * {LITERAL}"),
    "power tower": env("((x ** 64) ** 64) ** 3"),
    "bounded output": env("((x ** 64) ** 64) ** 3", output="Int[0..10]"),
    "list element": env("[x, ((x ** 64) ** 64) ** 3]", output="List[Int]"),
    "tuple item": env("(x, ((x ** 64) ** 64) ** 3)", output="Tuple[Int, Int]"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_too_long_answer_is_a_solver_error_naming_env_and_seed(name: str, tmp_path: Path) -> None:
    spec = tmp_path / "big.races"
    spec.write_text(CASES[name], encoding="utf-8")
    assert check_text(CASES[name]).ok  # 3,000-digit literals and `**` products are legal
    with pytest.raises(SolverError) as info:
        racesdsl.load(spec)["big"].sample(4)
    message = str(info.value)
    assert isinstance(info.value, SPEC_BUGS)
    assert message.startswith("big: ") and "seed 4" in message
    assert len(message) < 400 and "digit limit" not in message.lower() and "4300" not in message


def test_the_cli_exits_1_with_the_message(tmp_path: Path) -> None:
    spec = tmp_path / "big.races"
    spec.write_text(CASES["literal product"], encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "racesdsl", "sample", str(spec), "-n", "2"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    assert "spec bug" in run.stderr and "more than 4000 digits" in run.stderr and "seed 0" in run.stderr


@pytest.mark.parametrize("t", [TInt(Interval()), TInt(Interval(0)), TList(TInt(Interval()), Interval(0, 9)),
                               TTuple((TInt(Interval()),))])
def test_unbounded_ints_hold_exactly_max_int_digits(t) -> None:
    check = checker_for(t)
    largest = 10**MAX_INT_DIGITS - 1

    def wrap(n: int):
        return [n] if isinstance(t, TList) else (n,) if isinstance(t, TTuple) else n

    assert check(wrap(largest)) is None
    assert "more than 4000 digits" in check(wrap(largest + 1))
    if t == TInt(Interval()):
        assert check(-largest) is None
        assert "more than 4000 digits" in check(-largest - 1)


def test_preview_names_what_python_cannot_print() -> None:
    huge = 10**5000
    assert preview(huge) == f"an integer of {huge.bit_length()} bits"
    assert preview([1, huge]) == "a list holding an integer too long to print"
    assert preview(list(range(1000))) == repr(list(range(1000)))[:200]
