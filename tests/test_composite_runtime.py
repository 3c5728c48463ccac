"""Composites at run time: every operator samples, prompts, answers and scores
as docs/composition.md says; random legal chains over the stdlib stay sound."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.writer import package_files, write_files
from racesdsl.compose.graph import seq_edges

ROOT = Path(__file__).resolve().parent.parent
LANG = ROOT / "tests" / "fixtures" / "language" / "compositions.races"


@pytest.fixture(scope="module")
def lang():
    return racesdsl.load(LANG)


def load_text(tmp_path: Path, text: str):
    path = tmp_path / "comp.races"
    path.write_text(text, encoding="utf-8")
    return racesdsl.load(path)


@pytest.mark.parametrize("name", ["top3_sum", "two_tasks", "shuffled", "planner", "nested", "gcd_pair"])
def test_reference_scores_one_and_garbage_zero(lang, name: str) -> None:
    env = lang[name]
    for seed in range(15):
        inst = env.sample(seed)
        assert env.verify(inst, env.render_answer(inst.answer)).value == 1.0
        assert env.verify(inst, "no idea").value == 0.0
        assert env.sample(seed) == inst
    assert json.dumps(inst.to_dict())


def test_seq_prefix_reward_counts_leading_correct_steps(lang) -> None:
    env = lang["top3_sum"]
    inst = env.sample(1)
    steps = [json.dumps(v) for v in inst.answer]
    for wrong in range(3):
        parts = [s if i != wrong else "[999]" for i, s in enumerate(steps)]
        text = "".join(f"<step{i}>{p}</step{i}>" for i, p in enumerate(parts, 1))
        score = env.verify(inst, text)
        assert score.value == pytest.approx(wrong / 3), (wrong, score)
        assert [p.value for p in score.parts] == [float(i != wrong) for i in range(3)]
    missing = "<step1>" + steps[0] + "</step1>"
    assert env.verify(inst, missing).value == pytest.approx(1 / 3)


def test_final_reward_and_all_reward(tmp_path: Path) -> None:
    prog = load_text(tmp_path, "use std.lists.{sort_list, total}\nuse std.numbers.{gcd2}\n"
                     "compose f = seq(sort_list, total, reward=final)\n"
                     "compose a = par(sort_list, gcd2, reward=all)\n")
    f, a = prog["f"], prog["a"]
    inst = f.sample(2)
    assert f.verify(inst, f"<step1>[0]</step1><step2>{inst.answer[1]}</step2>").value == 1.0
    inst = a.sample(2)
    assert a.verify(inst, f"<part1>{json.dumps(inst.answer[0])}</part1><part2>0</part2>").value == 0.0


def test_bound_inputs_are_described_not_shown(lang) -> None:
    inst = lang["top3_sum"].sample(4)
    sorted_list = json.dumps(inst.answer[0]).replace('"', "")
    assert "the list you obtained in step 1" in inst.prompt
    assert sorted_list not in inst.prompt


def test_sort_shuffles_deterministically_and_names_sources(lang) -> None:
    env = lang["shuffled"]
    orders = {tuple(env.sample(s).input["order"]) for s in range(30)}
    assert len(orders) > 1
    inst = env.sample(0)
    assert re.search(r"the result of step [A-C]", inst.prompt)


NESTED_SORT = ("use std.lists.{sort_list, take_first, total, reverse_list}\nuse std.numbers.{gcd2, is_even}\n"
               "compose in_par = par(sort(sort_list(n=3..12), take_first(k=3), total), gcd2)\n"
               "compose in_seq = seq(reverse_list(n=3..12), sort(sort_list(n=3..12), take_first(k=3), total), is_even)\n")


@pytest.mark.parametrize("name", ["in_par", "in_seq"])
def test_a_nested_sort_lists_its_steps_shuffled(tmp_path: Path, name: str) -> None:
    """Inside another operator a sort stays a sort: lettered steps in a per-seed shuffled
    order, each naming the lettered step it takes its value from; answered by its final result."""
    env = load_text(tmp_path, NESTED_SORT)[name]
    orders = set()
    for seed in range(30):
        inst = env.sample(seed)
        nested = re.search(r"listed in shuffled order.*?: (\(a\).*)$", inst.prompt, re.M)
        assert nested, inst.prompt
        steps = dict(re.findall(r"\(([a-c])\) (\w+)", nested.group(1)))
        assert sorted(steps.values()) == ["Add", "Keep", "Sort"]
        label = {word: letter for letter, word in steps.items()}
        assert f"Keep the first 3 elements of the result of ({label['Sort']})" in nested.group(1)
        assert f"Add up the result of ({label['Keep']})" in nested.group(1)
        orders.add(tuple(steps.values()))
        assert env.verify(inst, env.render_answer(inst.answer)).value == 1.0
        assert env.sample(seed) == inst
    assert len(orders) > 1


@pytest.mark.parametrize("compose", ["par(plan, gcd2)", "seq(sort_list, plan)", "seq(plan, total)",
                                     "sort(reverse_list, select(sort_list, total; distractors: reverse_list))"])
def test_a_select_can_only_be_outermost(compose: str) -> None:
    from racesdsl.check.pipeline import check_text

    text = ("use std.lists.{sort_list, total, reverse_list}\nuse std.numbers.{gcd2}\n"
            "compose plan = select(sort_list, total; distractors: reverse_list)\n"
            f"compose outer = {compose}\n")
    codes = [d.code for d in check_text(text, "t.races", search_path=[ROOT / "specs"]).diagnostics]
    assert "E0314" in codes, codes


def test_select_accepts_an_alternative_correct_plan(tmp_path: Path) -> None:
    # sum(sorted(x)) == sum(x) == sum(reversed(x)): three plans reach the target.
    prog = load_text(tmp_path, "use std.lists.{sort_list, total, reverse_list}\n"
                     "compose plan = select(sort_list, total; distractors: reverse_list)\n")
    env = prog["plan"]
    inst = env.sample(5)
    labels = dict(re.findall(r"^([A-H]): (\w+)", inst.prompt, re.M))
    by_word = {word: label for label, word in labels.items()}
    generating = env.render_answer(inst.answer)
    alternative = f'<answer>["{by_word["Add"]}"]</answer>'
    other = f'<answer>["{by_word["Reverse"]}", "{by_word["Add"]}"]</answer>'
    assert alternative != generating
    for text in (generating, alternative, other):
        assert env.verify(inst, text).value == 1.0, text
    bad = env.verify(inst, f'<answer>["{by_word["Add"]}", "{by_word["Sort"]}"]</answer>')
    assert bad.value == 0.0 and "cannot take" in bad.reason
    assert env.verify(inst, f'<answer>["{by_word["Add"]}", "{by_word["Add"]}"]</answer>').value == 0.0
    assert env.verify(inst, '<answer>["Z"]</answer>').reason == "there is no step Z"


def test_knobs_are_validated_and_change_instances(lang) -> None:
    env = lang["top3_sum"]
    assert len(env.sample(0, **{"sort_list.n": 9}).answer[0]) == 9
    with pytest.raises(ValueError, match="must lie in 3..12"):
        env.sample(0, **{"sort_list.n": 2})
    with pytest.raises(ValueError, match="no knob"):
        env.sample(0, n=5)


# ------------------------------------------------ random chains over the stdlib

_PROGRAM = check_paths([ROOT / "specs"]).program
_EDGES: dict[str, list[str]] = {}
for _a, _b in seq_edges(_PROGRAM):
    _EDGES.setdefault(_a, []).append(_b)
_STDLIB = racesdsl.load(ROOT / "specs")


def _chain(seed: int, depth: int) -> list[str] | None:
    rng = random.Random(seed)
    chain = [rng.choice(sorted(_EDGES))]
    while len(chain) < depth:
        nxt = _EDGES.get(chain[-1])
        if not nxt:
            return None
        chain.append(rng.choice(nxt))
    return chain


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), depth=st.integers(2, 4))
def test_random_legal_chains_are_sound(tmp_path_factory, seed: int, depth: int) -> None:
    chain = _chain(seed, depth)
    if chain is None:
        return
    modules = sorted({q.split(".")[0] for q in chain})
    uses = "".join(f"use std.{m}\n" for m in modules)
    text = uses + f"compose c = seq({', '.join(chain)})\n"
    tmp = tmp_path_factory.mktemp("chain")
    result = check_paths([_write(tmp, text)])
    if result.errors:  # a chain of legal pairs can still fail (params narrowed by an earlier stage)
        return
    env = racesdsl.load(tmp / "c.races")["c"]
    try:
        inst = env.sample(seed % 1000)
    except ValueError:  # a later stage's `where` cannot hold on computed inputs: a clear error
        return
    assert env.sample(seed % 1000) == inst
    assert env.verify(inst, env.render_answer(inst.answer)).value == 1.0
    k = len(chain)
    wrong = random.Random(seed).randrange(k)
    steps = [json.dumps(v) for v in inst.answer]
    steps[wrong] = json.dumps({"wrong": True})
    text = "".join(f"<step{i}>{s}</step{i}>" for i, s in enumerate(steps, 1))
    assert env.verify(inst, text).value == pytest.approx(wrong / k)
    _assert_compiled_matches(tmp, result.program, env, seed % 1000)


def _assert_compiled_matches(folder: Path, program, loaded, seed: int) -> None:
    """The compiled package rebuilds the same composite: same instance, same score."""
    import importlib
    import sys

    package = f"pkg_{folder.name}"  # mktemp names are unique within the run
    write_files(package_files(program, package), folder)
    sys.path.insert(0, str(folder))
    try:
        built = importlib.import_module(package).get("c")
        inst = loaded.sample(seed)
        assert built.sample(seed) == inst
        text = loaded.render_answer(inst.answer)
        assert built.verify(inst, text) == loaded.verify(inst, text)
    finally:
        sys.path.remove(str(folder))


def _write(folder: Path, text: str) -> Path:
    path = folder / "c.races"
    path.write_text(text, encoding="utf-8")
    return path


def test_preset_composite_reads_as_its_env_and_composes(tmp_path: Path) -> None:
    prog = load_text(tmp_path, "use std.lists.{sort_list, total}\n"
                     "compose sort_long = sort_list(n=8..12)\ncompose sum_long = seq(sort_long, total)\n")
    long, chain = prog["sort_long"], prog["sum_long"]
    inst = long.sample(1)
    assert 8 <= len(inst.answer) <= 12 and inst.prompt.startswith("Sort this list")
    assert long.verify(inst, long.render_answer(inst.answer)).value == 1.0
    inst = chain.sample(1)
    assert inst.prompt.splitlines()[1].startswith("Step 1: Sort [")
    assert chain.verify(inst, chain.render_answer(inst.answer)).value == 1.0


def test_knob_defaults_come_from_the_env_the_composite_uses(tmp_path: Path) -> None:
    """Two modules may declare envs of the same name: a knob's default is its own env's."""
    twice = ('env twice "Double x." {{\n    param k: Int[1..9] = {k}\n    input x: Int[0..k]\n'
             '    output Int[0..18]\n    prompt """Double {{{{ x }}}}."""\n    solve 2 * x\n}}\n')
    (tmp_path / "a.races").write_text(twice.format(k=9), encoding="utf-8")
    (tmp_path / "b.races").write_text(twice.format(k=2) + 'env plus_one "Add one." {\n    input y: Int[0..100]\n'
                                      '    output Int[1..101]\n    prompt """Add one to {{ y }}."""\n    solve y + 1\n}\n'
                                      "compose c = seq(twice, plus_one)\n", encoding="utf-8")
    comp = racesdsl.load([tmp_path / "a.races", tmp_path / "b.races"])["b.c"]
    assert comp.knob_defaults == {"twice.k": 2}
    assert {comp.sample(s).input["x"] for s in range(100)} == {0, 1, 2}


DEEP = ("use std.lists.{sort_list, take_first, total, reverse_list}\n"
        "compose x1 = seq(reverse_list(n=3..12), seq(sort_list, sort(take_first(k=3), reverse_list, total)))\n"
        "compose x2 = seq(reverse_list(n=3..12), sort(sort_list, sort(take_first(k=3), reverse_list), total))\n"
        "compose x3 = par(seq(reverse_list, seq(sort_list, total)), total)\n")


@pytest.mark.parametrize("name", ["x1", "x2", "x3"])
def test_deeply_nested_steps_have_unique_labels_and_name_earlier_ones(tmp_path: Path, name: str) -> None:
    """Sub-steps two levels down are labelled under their parent, `(b.1)`, so no label
    repeats and no step names itself or a step that does not exist."""
    env = load_text(tmp_path, DEEP)[name]
    for seed in range(20):
        inst = env.sample(seed)
        pieces = re.split(r"(?:(?<=: )|(?<=\. ))\(([a-z](?:\.\d+)*)\) ", inst.prompt)  # label, text, ...
        labels = pieces[1::2]
        assert len(labels) == len(set(labels)) >= 2, inst.prompt
        for label, text in zip(labels, pieces[2::2], strict=True):
            for named in re.findall(r"(?:of|in) \(([a-z](?:\.\d+)*)\)", text):
                assert named in labels and named != label, (label, named, inst.prompt)
        assert env.verify(inst, env.render_answer(inst.answer)).value == 1.0


KNOBS_AT_REF = ("use std.lists.{sort_list, take_first, total}\nuse std.numbers.{is_even}\n"
                "compose top3 = seq(sort_list(n=3..12), take_first(k=3), total)\n"
                "compose fixed = seq(top3(sort_list.n=4), is_even)\n"
                "compose narrowed = seq(top3(sort_list.n=5..7), is_even)\n"
                "compose both = par(narrowed(top3.sort_list.n=6), top3)\n")


def test_knobs_set_at_a_reference_shape_the_instances(tmp_path: Path) -> None:
    prog = load_text(tmp_path, KNOBS_AT_REF)
    fixed, narrowed, both = prog["fixed"], prog["narrowed"], prog["both"]
    assert fixed.knob_defaults == {} and {len(fixed.sample(s).input["xs"]) for s in range(30)} == {4}
    assert narrowed.knob_ranges == {"top3.sort_list.n": (5, 7)} and narrowed.knob_defaults == {"top3.sort_list.n": 6}
    assert len(narrowed.sample(0, **{"top3.sort_list.n": 7}).input["xs"]) == 7
    with pytest.raises(ValueError):
        narrowed.sample(0, **{"top3.sort_list.n": 9})
    assert both.knob_ranges == {"top3.sort_list.n": (3, 12)}  # the par's own top3; the other is fixed at 6
    for comp in (fixed, narrowed, both):
        inst = comp.sample(3)
        assert comp.verify(inst, comp.render_answer(inst.answer)).value == 1.0


def test_knobs_at_a_reference_compile_to_the_same_composites(tmp_path: Path) -> None:
    """The compiled package writes such a composite out in place (no module binds it), and
    a module of composites only is ruff clean."""
    spec = tmp_path / "knobs.races"
    spec.write_text(KNOBS_AT_REF, encoding="utf-8")
    write_files(package_files(check_paths([spec]).program, "knob_pkg"), tmp_path)
    code = ("import json, sys, racesdsl, knob_pkg; loaded = racesdsl.load(sys.argv[1]); envs = knob_pkg.environments(); "
            "print(json.dumps([loaded[q].sample(s).to_dict() == envs[q].sample(s).to_dict() "
            "for q in ('knobs.fixed', 'knobs.narrowed', 'knobs.both') for s in range(10)]))")
    run = subprocess.run([sys.executable, "-c", code, str(spec)], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert all(json.loads(run.stdout))
    # This interpreter's ruff (the dev extra), never another one first on PATH.
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml"),
                           str(tmp_path / "knob_pkg")], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
