"""`check` is bounded and never exits 3 on spec text (issue 12, findings 7, 8, 9):
composites are checked once each however they nest, huge numbers, lengths and
types are diagnostics, and alias and param chains resolve without recursion."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from typegen import types

import racesdsl
from racesdsl.check import fusion
from racesdsl.check.pipeline import check_text
from racesdsl.runtime.limits import extent
from racesdsl.runtime.types import TList, TRecord, TSet, TTuple, TType


def codes(text: str) -> list[str]:
    return [d.code for d in check_text(text).errors]


def env(input_type: str, *, params: str = "", solve: str = "1", output: str = "Int[0..9]") -> str:
    return (f'env e "A task." {{\n{params}    input x: {input_type}\n    output {output}\n'
            f'    prompt """{{{{ x }}}}"""\n    solve {solve}\n}}\n')


def chain(depth: int, op: str = "seq", tail: str = "") -> str:
    lines = ["use std.lists.{sort_list, reverse_list}", f"compose c0 = {op}(sort_list, sort_list)"]
    lines += [f"compose c{i} = {op}(c{i - 1}, c{i - 1})" for i in range(1, depth)]
    return "\n".join(lines) + "\n" + tail


# ----------------------------------------------------------- finding 7


def test_each_named_composite_is_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """30 lines, 2**31 base stages: only c0's two base stages are ever checked."""
    calls = []
    original = fusion.FusionChecker._base
    monkeypatch.setattr(fusion.FusionChecker, "_base", lambda self, *a: calls.append(1) or original(self, *a))
    result = check_text(chain(30, tail="compose top = seq(c29, reverse_list)\n"))
    assert result.ok, result.errors
    assert len(calls) == 3  # sort_list twice in c0, reverse_list once in top
    top = result.program.composites["spec.top"]
    [nested] = top.knob_parts  # reverse_list's n is inferred from the list it receives
    assert nested.label == "c29" and nested.info is result.program.composites["spec.c29"]


def test_knobs_of_a_deep_chain_are_found_without_listing_them() -> None:
    path = ".".join(f"c{i}" for i in range(28, -1, -1)) + ".sort_list.n"
    result = check_text(chain(30, tail=f"compose top = c29({path}=3..5)\n"))
    assert result.ok, result.errors
    knob = result.program.composites["spec.top"].knob("c29." + path)  # top is c29 with that knob narrowed
    assert knob is not None and (knob.range.lo, knob.range.hi) == (3, 5)


def test_unknown_knob_of_a_deep_chain_gets_a_short_listing_and_a_suggestion() -> None:
    path = ".".join(f"c{i}" for i in range(28, -1, -1))
    result = check_text(chain(30, tail=f"compose top = c29({path}.sort_lst.n=5)\n"))
    [d] = result.errors
    assert d.code == "E0307"
    assert d.help == f"did you mean `{path}.sort_list.n`?"
    assert d.notes[0].endswith(", ...") and d.notes[0].count(",") == 12


def test_loading_a_deep_chain_is_linear(tmp_path: Path) -> None:
    """Flattening 2**31 knobs at load time would never finish; they are built on first use."""
    path = tmp_path / "chain.races"
    path.write_text(chain(30), encoding="utf-8")
    start = time.perf_counter()
    program = racesdsl.load(path)
    assert time.perf_counter() - start < 20
    assert dict(program["chain.c0"].knob_defaults) == {"sort_list.n": 6}  # the second one's n is inferred
    assert dict(program["chain.c2"].knob_ranges) == {f"{a}.{b}.sort_list.n": (2, 12)
                                                     for a in ("c1", "c1#2") for b in ("c0", "c0#2")}


def test_a_par_of_pars_is_too_large_not_slow() -> None:
    start = time.perf_counter()
    result = check_text(chain(30, "par", "compose top = seq(c29, reverse_list)\n"))
    assert time.perf_counter() - start < 20
    assert [d.code for d in result.errors] == ["E0321"]


# ----------------------------------------------------------- finding 8


def test_integer_literal_over_4000_digits_is_e0109() -> None:
    assert codes(env("Int[0.." + "9" * 5000 + "]")) == ["E0109"]


@pytest.mark.parametrize("bound", ["1" + "0" * 400, "1000" + "*1000" * 30, "-" + "7" * 80])  # 31 factors: no E0110
def test_integer_bound_beyond_2_pow_256_is_e0109(bound: str) -> None:
    assert codes(env(f"Int[{bound}..10]" if bound.startswith("-") else f"Int[0..{bound}]")) == ["E0109"]


@pytest.mark.parametrize("solve", ["sum(x) // len(x)", "sum(x) / len(x)", "sum(x) % len(x)", "x[0]"])
def test_inverted_length_is_one_e0301_not_a_crash(solve: str) -> None:
    assert codes(env("List[Int[0..3], len=1..0]", solve=solve, output="Float")) == ["E0301"]


def test_five_hundred_chained_aliases_check_and_sample(tmp_path: Path) -> None:
    text = "".join(f"type T{i} = T{i + 1}\n" for i in range(500)) + "type T500 = Int[0..3]\n" + env("T0")
    assert codes(text) == []
    path = tmp_path / "aliases.races"
    path.write_text(text, encoding="utf-8")
    assert racesdsl.load(path)["e"].sample(0).input["x"] in range(4)


@pytest.mark.parametrize("forward", [True, False])
def test_a_thousand_chained_params_check_and_sample(tmp_path: Path, forward: bool) -> None:
    if forward:
        params = "    param p0: Int[0..5] = 1\n" + "".join(
            f"    param p{i}: Int[0..p{i - 1}] = 0\n" for i in range(1, 1000))
        last = "p999"
    else:  # declared before the params they depend on
        params = "".join(f"    param p{i}: Int[0..p{i + 1}] = 0\n" for i in range(999)) + \
            "    param p999: Int[0..5] = 1\n"
        last = "p0"
    text = env(f"List[Int[0..3], len={last}]", params=params)
    assert codes(text) == []
    path = tmp_path / "params.races"
    path.write_text(text, encoding="utf-8")
    assert racesdsl.load(path)["e"].sample(0).input["x"] == []


def test_param_cycle_is_still_reported_once() -> None:
    params = "    param a: Int[0..b] = 0\n    param b: Int[0..a] = 0\n"
    assert codes(env("List[Int[0..3], len=a..b]", params=params)) == ["E0304"]


# ----------------------------------------------------------- finding 9


@pytest.mark.parametrize("aliases", ["type A = B\ntype B = A\n", "type A = A\n", "type A = List[B, len=2]\ntype B = {x: A}\n"])
def test_alias_cycle_is_e0207_once(aliases: str) -> None:
    assert codes(aliases + env("A")) == ["E0207"]


@pytest.mark.parametrize("input_type", [
    "List[Int[0..3], len=9223372036854775808]",
    "Str[len=0..1000000000000000000000000000000]",
    "Set[Int[0..1000000], len=200000]",
    "List[List[Int[0..3], len=1000], len=1001]",
])
def test_input_too_large_to_sample_is_e0320(input_type: str) -> None:
    assert codes(env(input_type)) == ["E0320"]


def test_a_param_widened_length_is_bounded_too() -> None:
    assert codes(env("List[Int[0..1], len=n]", params="    param n: Int[1..10000000] = 8\n",
                     solve="n")) == ["E0320"]


def test_deeply_nested_and_exponential_aliases_are_e0321() -> None:
    deep = "type T0 = Int[0..3]\n" + "".join(f"type T{i} = List[T{i - 1}, len=1]\n" for i in range(1, 500))
    assert codes(deep + env("T499")) == ["E0321"]
    wide = "type T0 = Int[0..3]\n" + "".join(f"type T{i} = Tuple[T{i - 1}, T{i - 1}]\n" for i in range(1, 60))
    assert codes(wide + env("T59")) == ["E0321"]


HOSTILE = {
    "pow400": env("Int[0.." + "1" + "0" * 400 + "]"),
    "digits": env("Int[0.." + "9" * 5000 + "]"),
    "inverted": env("List[Int[0..3], len=1..0]", solve="sum(x) // len(x)"),
    "cycle": "type A = B\ntype B = A\n" + env("A"),
    "len63": env("List[Int[0..3], len=9223372036854775808]"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_cli_check_and_sample_exit_1_not_3(tmp_path: Path, name: str) -> None:
    (tmp_path / "h.races").write_text(HOSTILE[name], encoding="utf-8")
    for args in (["check", "h.races"], ["sample", "h.races:e", "-n", "1"]):
        done = subprocess.run([sys.executable, "-m", "racesdsl", *args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 1, (args, done.stderr[-2000:])
        assert "internal error" not in done.stderr


# ------------------------------------------------------- the size measures


def _naive_extent(t: TType) -> tuple[int, int]:
    kids = {TList: lambda: [t.elem], TSet: lambda: [t.elem], TTuple: lambda: list(t.items),
            TRecord: lambda: [ft for _, ft in t.fields]}.get(type(t), list)()
    sizes = [_naive_extent(k) for k in kids]
    return 1 + sum(n for n, _ in sizes), 1 + max((d for _, d in sizes), default=0)


@given(types())
def test_extent_counts_the_type_written_out(t: TType) -> None:
    assert extent(t) == _naive_extent(t)
    shared = TTuple((t, t, t))  # one object three times: counted three times, walked once
    assert extent(shared) == (1 + 3 * _naive_extent(t)[0], 1 + _naive_extent(t)[1])


def test_a_folded_constant_too_long_to_print_is_not_a_constant() -> None:
    """`9...9 * 9...9` (6,000 digits) as a default: Python cannot even print it."""
    long = "9" * 3000
    assert codes(env("Int[0..p]", params=f"    param p: Int[0..9] = {long} * {long}\n")) == ["E0303"]
