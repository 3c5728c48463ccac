"""A set that must hold more elements than its element type has values is E0301 at check
time, with the largest possible length in the help; it used to pass `check` and fail at
`sample` (exit 1) or leave an output no solver could produce."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import racesdsl
from racesdsl.check.pipeline import check_text


def env(inp: str = "Int[0..3]", *, params: str = "", output: str = "Int[0..9]") -> str:
    return (f'env e "A task." {{\n{params}    input x: {inp}\n    output {output}\n'
            f'    prompt """{{{{ x }}}}"""\n    solve 1\n}}\n')


# (element type, how many values it has)
ELEMENTS = [("Int[0..1]", 2), ("Int[-3..3]", 7), ("Bool", 2), ('Enum["a", "b", "c"]', 3),
            ('Str[len=1, chars="ab"]', 2), ('Str[len=0..2, chars="xyz"]', 13), ("Tuple[Bool, Int[1..2]]", 4),
            ("{a: Bool, b: Bool}", 4), ("Float[1..1]", 1), ("Set[Bool, len=0..2]", 4), ("List[Bool, len=2]", 4)]


@pytest.mark.parametrize(("elem", "size"), ELEMENTS)
def test_one_more_than_the_values_is_e0301_with_the_largest_length(elem: str, size: int) -> None:
    [d] = check_text(env(f"Set[{elem}, len={size + 1}]")).errors
    assert d.code == "E0301"
    assert f"needs at least {size + 1} distinct elements" in d.message
    assert d.help.endswith(f"make `len=` at most {size}")
    assert d.span.line == 2 and d.span.col == 14  # the set type


@pytest.mark.parametrize(("elem", "size"), ELEMENTS)
def test_exactly_the_values_checks_and_samples(elem: str, size: int, tmp_path: Path) -> None:
    text = env(f"Set[{elem}, len={size}]")
    assert check_text(text).ok, check_text(text).errors
    spec = tmp_path / "s.races"
    spec.write_text(text, encoding="utf-8")
    inst = racesdsl.load(spec)["e"].sample(0)
    assert len(inst.input["x"]) == size


@given(lo=st.integers(-20, 20), width=st.integers(0, 30), length=st.integers(0, 40))
def test_int_sets_are_rejected_exactly_when_too_long(lo: int, width: int, length: int) -> None:
    errors = check_text(env(f"Set[Int[{lo}..{lo + width}], len={length}..{length + 2}]")).errors
    assert [d.code for d in errors] == (["E0301"] if length > width + 1 else [])


def test_a_length_read_from_a_param_counts_at_its_largest() -> None:
    [d] = check_text(env("Set[Int[0..3], len=n]", params="    param n: Int[1..5] = 2\n")).errors
    assert d.code == "E0301" and "needs at least 5" in d.message and "params it reads" in d.help
    assert check_text(env("Set[Int[0..3], len=n]", params="    param n: Int[1..4] = 2\n")).ok


def test_outputs_and_aliases_are_checked_and_unbounded_elements_are_not() -> None:
    assert [d.code for d in check_text(env(output="Set[Bool, len=3]")).errors][0] == "E0301"
    alias = "type Bits = Set[Int[0..1], len=3]\n" + env()
    assert [d.code for d in check_text(alias).errors] == ["E0301"]
    for output in ("Set[Int, len=3]", "Set[Str, len=3]", 'Set[Str[chars="a"], len=3]', "Set[Float[0..1], len=9]"):
        assert "E0301" not in [d.code for d in check_text(env(output=output)).errors], output
