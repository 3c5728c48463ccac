"""Fusion legality (docs/language.md §3 param rules, §5 operators)."""

from __future__ import annotations

from pathlib import Path

import pytest

from racesdsl.check.pipeline import check_paths, check_text
from racesdsl.runtime.types import Interval, TInt, TList, TTuple, show

ROOT = Path(__file__).resolve().parent.parent
LISTS = "use std.lists.{sort_list, take_first, total, reverse_list, double_all}\n"
NUMBERS = "use std.numbers.{gcd2, is_even, num_divisors}\n"


def codes(text: str) -> list[str]:
    return [d.code for d in check_text(text).diagnostics if d.is_error]


def only_error(text: str):
    errors = check_text(text).errors
    assert len(errors) == 1, [f"{d.code} {d.message}" for d in errors]
    return errors[0]


def test_language_reference_examples_check_clean() -> None:
    result = check_paths([ROOT / "tests" / "fixtures" / "language"])
    assert result.diagnostics == []
    assert {"base_envs.sort_list", "base_envs.shortest_path"} <= set(result.program.envs)
    assert {"compositions.top3_sum", "compositions.planner", "compositions.gcd_pair"} <= set(
        result.program.composites)


def test_seq_infers_the_exact_length_param_of_the_second_stage() -> None:
    result = check_text(LISTS + "compose c = seq(sort_list, sort_list)\n")
    assert result.errors == []
    comp = result.program.composites["c.c" if "c.c" in result.program.composites else next(
        iter(result.program.composites))]
    second = comp.root.children[1]
    assert second.inferred == ("n",)
    # Only the first stage's n remains a knob; the second is bound by the incoming list.
    assert [k.name for k in comp.knobs] == ["sort_list.n"]


def test_seq_rejects_wider_interval_and_suggests_narrowing_the_producer() -> None:
    d = only_error(LISTS + "compose c = seq(sort_list, take_first(k=3))\n")
    assert d.code == "E0310"
    assert d.help == "narrow the range: `sort_list(n=3..12)`"
    assert "len=2..12" in d.message and "len=3..12" in d.message
    assert (d.span.line, d.span.col) == (2, 28)


def test_narrowed_producer_fuses() -> None:
    assert codes(LISTS + "compose c = seq(sort_list(n=3..12), take_first(k=3), total)\n") == []


def test_free_receiving_param_must_hold_for_every_value() -> None:
    # take_first's k ranges over 1..5, so xs must have len >= 5 for every k: 3..12 does not fit.
    d = only_error(LISTS + "compose c = seq(sort_list(n=3..12), take_first, total)\n")
    assert d.code == "E0310"
    assert "len=5..12" in d.message
    assert "take_first(k=1..3)" in (d.help or "") + " ".join(d.notes)


def test_spec_example_e0310_message() -> None:
    d = only_error(LISTS + "compose c = seq(total, sort_list)\n")
    assert d.message == ("output of `total` (Int[-1188..1188]) is not assignable to input `xs` of "
                         "`sort_list` (List[Int[-99..99], len=2..12])")
    assert d.span.col == len("compose c = seq(total, ") + 1


def test_receiving_bound_uses_narrowest_param_value_unless_fixed() -> None:
    assert codes(NUMBERS + "compose c = seq(num_divisors, gcd2(hi=100)[a])\n") == []
    d = only_error(NUMBERS + "compose c = seq(num_divisors, gcd2[a])\n")
    assert d.code == "E0310" and "Int[1..10]" in d.message
    assert "gcd2(hi=64..10000)[a]" in (d.help or "")


def test_port_binds_one_input_and_rejects_unknown_ports() -> None:
    assert only_error(NUMBERS + "compose c = seq(num_divisors, gcd2(hi=100)[z])\n").code == "E0312"
    assert only_error(NUMBERS + "compose c = seq(num_divisors, gcd2(hi=100))\n").code == "E0311"
    assert only_error(NUMBERS + "compose c = seq(gcd2[a], is_even)\n").code == "E0312"


def test_record_and_tuple_outputs_feed_multi_input_envs() -> None:
    pair = """
env pair "Two numbers." {
    input x: Int[1..50]
    output {a: Int[1..50], b: Int[1..50]}
    prompt \"\"\"Write {{ x }} twice.\"\"\"
    solve {a: x, b: x}
}
env tup "Two numbers as a tuple." {
    input x: Int[1..50]
    output Tuple[Int[1..50], Int[1..50]]
    prompt \"\"\"Write {{ x }} twice.\"\"\"
    solve (x, x)
}
env partial "Only a." {
    input x: Int[1..50]
    output {a: Int[1..50]}
    prompt \"\"\"Write {{ x }}.\"\"\"
    solve {a: x}
}
"""
    assert codes(NUMBERS + pair + "compose c = seq(pair, gcd2(hi=100))\n") == []
    assert codes(NUMBERS + pair + "compose c = seq(tup, gcd2(hi=100))\n") == []
    d = only_error(NUMBERS + pair + "compose c = seq(partial, gcd2(hi=100))\n")
    assert d.code == "E0311" and "no field `b`" in d.message


def test_par_takes_and_gives_tuples() -> None:
    result = check_text(LISTS + NUMBERS + "compose p = par(sort_list, gcd2)\n")
    sig = next(iter(result.program.composites.values())).signature
    assert isinstance(sig.output, TTuple) and len(sig.output.items) == 2
    assert show(sig.output.items[0]) == "List[Int[-99..99], len=2..12]"


def test_nested_composites_to_depth_three() -> None:
    text = LISTS + NUMBERS + (
        "compose top3 = seq(sort_list(n=3..12), take_first(k=3), total)\n"
        "compose deep = par(seq(top3, is_even), sort(sort_list(n=3..12), take_first(k=3), total))\n"
        "compose deeper = seq(par(sort_list, sort_list), par(total, total))\n")
    assert codes(text) == []


def test_unique_answer_rule_allows_non_exact_last_stage_only() -> None:
    env = """
env shuffle "Any order." {
    input xs: List[Int[-99..99], len=1..12]
    output List[Int[-99..99], len=1..12]
    prompt \"\"\"Write {{ xs }} in any order.\"\"\"
    solve xs
    verify unordered
}
"""
    assert codes(LISTS + env + "compose c = seq(total, is_even)\n".replace("is_even", "total")) != []
    assert codes(LISTS + env + "compose ok = seq(sort_list, shuffle)\n") == []
    assert codes(LISTS + env + "compose bad = seq(shuffle, total)\n") == ["E0313"]
    assert codes(LISTS + env + "compose inner = seq(sort_list, shuffle)\ncompose bad = seq(inner, total)\n") == [
        "E0313"]


def test_select_can_only_be_the_outermost_operator() -> None:
    sel = "compose plan = select(sort_list(n=3..12), take_first(k=3); distractors: reverse_list)\n"
    assert codes(LISTS + sel) == []
    assert codes(LISTS + sel + "compose alias = plan\n") == []
    assert codes(LISTS + sel + "compose p = par(plan, total)\n") == ["E0314"]
    assert codes(LISTS + sel + "compose s = seq(plan, total)\n") == ["E0314"]
    # reported once, where the select is nested: the par around it does not repeat it
    assert codes(LISTS + sel + "compose s = seq(par(plan, sort_list), total)\n").count("E0314") == 1


@pytest.mark.parametrize(("body", "code"), [
    ("seq(sort_list)", "E0309"),
    ("par(sort_list)", "E0309"),
    ("sort(sort_list)", "E0309"),
    ("seq(sort_list, total, reward=last)", "E0315"),
    ("par(sort_list, total, reward=prefix)", "E0315"),
    ("sort(sort_list, total, reward=final)", "E0315"),
    ("seq(sort_list, total, weight=final)", "E0315"),
    ("seq(sort_list(m=3), total)", "E0307"),
    ("seq(sort_list(n=1..3), total)", "E0308"),
    ("seq(sort_list(n=13), total)", "E0308"),
    ("seq(sort_list(n=2.5), total)", "E0308"),
    ("seq(sortlist, total)", "E0202"),
])
def test_illegal_compositions_are_static_errors(body: str, code: str) -> None:
    assert codes(LISTS + f"compose c = {body}\n") == [code]


def test_reward_options_accepted() -> None:
    assert codes(LISTS + "compose a = seq(sort_list, total, reward=final)\n"
                 "compose b = par(sort_list, total, reward=all)\n") == []


def test_knob_names_number_repeated_occurrences_and_prefix_nested_composites() -> None:
    text = LISTS + NUMBERS + ("compose pair = par(gcd2, gcd2)\n"
                              "compose outer = par(pair, sort_list)\n")
    comps = check_text(text).program.composites
    pair = next(c for q, c in comps.items() if q.endswith(".pair"))
    outer = next(c for q, c in comps.items() if q.endswith(".outer"))
    assert [k.name for k in pair.knobs] == ["gcd2.hi", "gcd2#2.hi"]
    assert [k.name for k in outer.knobs] == ["pair.gcd2.hi", "pair.gcd2#2.hi", "sort_list.n"]


def test_fixed_params_are_not_knobs_but_narrowed_ones_are() -> None:
    comps = check_text(LISTS + "compose c = seq(sort_list(n=3..12), take_first(k=3), total)\n").program.composites
    knobs = next(iter(comps.values())).knobs
    assert [(k.name, k.range) for k in knobs] == [("sort_list.n", Interval(3, 12))]


def test_composite_output_type_is_widened_over_its_knobs() -> None:
    comps = check_text(LISTS + "compose c = seq(sort_list(n=3..12), take_first(k=3))\n").program.composites
    out = next(iter(comps.values())).signature.output
    assert out == TList(TInt(Interval(-99, 99)), Interval(3, 3))


def test_every_error_in_every_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.races").write_text(LISTS + "compose x = seq(total, sort_list)\ncompose y = seq(sort_list)\n")
    (tmp_path / "b.races").write_text("type T = Int[5..1]\n")
    result = check_paths([tmp_path])
    assert sorted(d.code for d in result.errors) == ["E0301", "E0309", "E0310"]


@pytest.mark.parametrize("body", [
    "select(sort_list(n=3..12), total; distractors: pick)",
    "select(seq(sort_list(n=3..12), take_first(k=3)), total; distractors: reverse_list)",
    "select(sort_list(n=3..12), sort(take_first(k=3), total); distractors: reverse_list)",
    "select(sort_list(n=3..12), total; distractors: seq(reverse_list, total))",
])
def test_a_select_pool_holds_base_envs_only(body: str) -> None:
    pick = "compose pick = seq(reverse_list, sort_list(n=3..12))\n"
    assert "E0318" in codes(LISTS + pick + f"compose s = {body}\n")


KNOBBED = LISTS + "compose sorted_rev = seq(sort_list(n=3..12), reverse_list)\n"


def test_knobs_of_a_named_composite_can_be_set_at_the_reference() -> None:
    """`sorted_rev` gives lists of 3..12; take_first(k=5) needs 5..: only a narrowed knob fits."""
    assert "E0310" in codes(KNOBBED + "compose c = seq(sorted_rev, take_first(k=5))\n")
    assert codes(KNOBBED + "compose c = seq(sorted_rev(sort_list.n=5..12), take_first(k=5))\n") == []
    assert codes(KNOBBED + "compose c = seq(sorted_rev(sort_list.n=7), take_first(k=5))\n") == []
    unknown = only_error(KNOBBED + "compose c = seq(sorted_rev(sort_list.m=7), take_first(k=5))\n")
    assert unknown.code == "E0307" and "sort_list.n" in (unknown.help or "")
    assert only_error(KNOBBED + "compose c = seq(sorted_rev(n=7), take_first(k=5))\n").code == "E0307"
    outside = only_error(KNOBBED + "compose c = seq(sorted_rev(sort_list.n=2), take_first(k=2))\n")
    assert outside.code == "E0308" and "3..12" in outside.message
    assert codes(KNOBBED + "compose c = seq(sorted_rev(sort_list.n=9..5), take_first(k=2))\n") == ["E0308"]
    assert codes(KNOBBED + "compose c = seq(sorted_rev(sort_list.n=true), take_first(k=2))\n") == ["E0308"]


def test_knobs_on_a_preset_or_an_alias_and_no_cascades() -> None:
    preset = LISTS + "compose long = sort_list(n=8..12)\n"
    assert codes(preset + "compose x = seq(long(sort_list.n=9), total)\n") == []
    alias = KNOBBED + "compose again = sorted_rev\n"
    assert codes(alias + "compose x = seq(again(sorted_rev.sort_list.n=9), take_first(k=5))\n") == []
    # a bad setting is one error at the reference, against the knob's own range; the definition is not rechecked
    for bad in ("9..5", "5.5", "true", '"x"'):
        err = only_error(KNOBBED + f"compose x = seq(sorted_rev(sort_list.n={bad}), take_first(k=2))\n")
        assert err.code == "E0308" and "3..12" in err.message and err.span.line == 3, (bad, err.message)
    # a definition with an error is reported once, not once per setting used
    broken = LISTS + NUMBERS + "compose outer = seq(reverse_list(n=3..12), par(total, is_even))\n"
    many = broken + "compose e = par(outer(reverse_list.n=4), outer(reverse_list.n=5), outer(reverse_list.n=4..6))\n"
    assert codes(many).count("E0311") == codes(broken).count("E0311") == 1


FLAGGED = ('env scaled "Scale a number." {\n    param double: Bool = false\n    param unit: Enum["a", "b"] = "a"\n'
           '    input x: Int[0..9]\n    output Int[0..18]\n    prompt """Scale {{ x }} ({{ unit }})."""\n'
           '    solve 2 * x if double else x\n}\n'
           'env keep "Keep a number." {\n    input y: Int[0..1000]\n    output Int[0..1000]\n'
           '    prompt """Keep {{ y }}."""\n    solve y\n}\n')


def test_bool_and_enum_params_fixed_at_a_reference_take_effect(tmp_path: Path) -> None:
    """`scaled(double=true)` used to pass the checker and change nothing."""
    spec = tmp_path / "flags.races"
    spec.write_text(FLAGGED + "compose twice = seq(scaled(double=true, unit=\"b\"), keep)\n"
                    "compose loose = seq(scaled, keep)\ncompose set_at_ref = seq(loose(scaled.double=true), keep)\n",
                    encoding="utf-8")
    import racesdsl

    prog = racesdsl.load(spec)
    twice, at_ref = prog["twice"], prog["set_at_ref"]
    assert twice.knob_defaults == {}  # both params fixed: no knob left
    inst = twice.sample(0)
    assert inst.answer[0] == 2 * inst.input["x"] and "(b)" in inst.prompt
    assert at_ref.knob_defaults == {"loose.scaled.unit": "a"}
    first = at_ref.sample(1)
    assert first.answer[0] == 2 * first.input["x"]


def test_a_param_or_knob_set_twice_is_an_error() -> None:
    assert codes(LISTS + "compose c = seq(sort_list(n=5, n=6), total)\n") == ["E0319"]
    assert codes(KNOBBED + "compose c = seq(sorted_rev(sort_list.n=5, sort_list.n=6), take_first(k=2))\n") == ["E0319"]
