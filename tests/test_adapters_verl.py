"""verl without extra_info: `compute_score_float` for `verl.trainer.main_eval`, and
composites scored from `ground_truth` alone (docs/integrations.md "verl").

verl itself needs torch (through tensordict), so it is not installed here; the
tests drive the reward file the way verl's code does: imported by path as
`custom_module` (verl/trainer/ppo/reward.py `get_custom_reward_fn`), called as
`reward_fn(data_source, response, ground_truth)` on the columns of a Parquet
export read with pandas, and averaged with numpy (main_eval's `process_item`)."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl.integrations import export, registry
from racesdsl.integrations import verl as verl_module
from racesdsl.integrations.ground_truth import relax, score_from_answer
from racesdsl.runtime.composite import Composite
from racesdsl.runtime.types import TInt, TList
from racesdsl.runtime.values import to_json_value

pytestmark = pytest.mark.filterwarnings("ignore::racesdsl.integrations.registry.MissingEnvironmentWarning")

ROOT = Path(__file__).resolve().parent.parent
SHOWCASE = ROOT / "tests" / "fixtures" / "composition" / "showcase.races"
COMPOSITIONS = ROOT / "tests" / "fixtures" / "language" / "compositions.races"


@pytest.fixture(scope="module")
def program() -> Any:
    return racesdsl.load([SHOWCASE, COMPOSITIONS])


@pytest.fixture
def specs_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(registry.ENV_SPECS, os.pathsep.join([str(SHOWCASE), str(COMPOSITIONS)]))
    monkeypatch.delenv(registry.ENV_PACKAGES, raising=False)


def _ground_truth(inst: Any) -> str:
    return json.dumps(to_json_value(inst.answer), ensure_ascii=False)  # what export writes


def _composites(program: Any, ops: tuple[str, ...]) -> list[str]:
    return [n for n in program if isinstance(program[n], Composite) and program[n].op in ops]


def test_export_ground_truth_lists_every_step(program: Any) -> None:
    """The premise: a verl row's ground_truth of a seq/par composite holds each step's answer."""
    for name in _composites(program, ("seq", "par")):
        row = next(export.rows(program, [name], 1, seed=3, schema="verl"))
        inst = program[name].sample(3)
        steps = json.loads(row["reward_model"]["ground_truth"])
        assert steps == to_json_value(inst.answer) and len(steps) == len(program[name].stages)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), which=st.integers(0, 50), drop=st.integers(0, 3), wrap=st.booleans())
def test_ground_truth_score_equals_instance_score(program: Any, seed: int, which: int, drop: int,
                                                  wrap: bool) -> None:
    """For seq, par and sort composites, scoring from ground_truth alone gives the very value
    the rebuilt instance gives: for the reference, a reference with some steps wrong, and
    one wrapped in <answer> (as reasoning-gym-style prompts ask)."""
    names = _composites(program, ("seq", "par", "sort"))
    comp = program[names[which % len(names)]]
    inst = comp.sample(seed)
    answer = list(inst.answer) if comp.op in ("seq", "par") else inst.answer
    if comp.op in ("seq", "par") and drop:
        k = drop % len(answer)
        answer[k] = answer[(k + 1) % len(answer)]  # another step's answer: usually wrong here
    completion = comp.render_answer(answer)
    completion = f"<answer>{completion}</answer>" if wrap and comp.op != "sort" else completion
    expected = comp.verify(inst, completion)
    got = score_from_answer(comp, completion, _ground_truth(inst))
    assert got.value == pytest.approx(expected.value)
    assert [p.value for p in got.parts] == pytest.approx([p.value for p in expected.parts])
    assert "ground_truth alone" in got.reason


def test_ground_truth_scoring_never_raises(program: Any) -> None:
    comp = program["showcase.top3_seq"]
    for gt in (None, "", "not json", "[1, 2]", "{}", b"\xff", json.dumps([[1], "x", None])):
        for completion in ("<step1>[2]</step1>", "", None, 3):
            score = score_from_answer(comp, completion, gt)
            assert score.value == 0.0 and score.reason
    # a foreign ground truth of the right length still grades the steps it can
    assert score_from_answer(comp, "<step1>[1]</step1>", json.dumps([[1], "x", None])).value == pytest.approx(1 / 3)


def test_select_and_python_steps_say_why(program: Any) -> None:
    planner = program["compositions.planner"]
    inst = planner.sample(0)
    score = score_from_answer(planner, planner.render_answer(inst.answer), _ground_truth(inst))
    assert score.value == 0.0 and "extra_info" in score.reason


def test_relax_drops_limits_only() -> None:
    t = TList(TInt(), racesdsl.runtime.types.Interval(3, 3))
    assert relax(t) == TList(TInt())
    assert relax(TInt(racesdsl.runtime.types.Interval(0, 9))) == TInt()


def _load_like_verl(path: str) -> Any:
    """verl/trainer/ppo/reward.py get_custom_reward_fn: a module named custom_module, by path."""
    spec = importlib.util.spec_from_file_location("custom_module", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_main_eval_contract(program: Any, specs_env: None, tmp_path: Path) -> None:
    """main_eval: read the Parquet with pandas, call reward_fn(data_source, r, ground_truth)
    for each response (no extra_info), np.mean the floats per row."""
    pd = pytest.importorskip("pandas", reason="pandas comes with datasets (dev extra)")
    np = pytest.importorskip("numpy")
    pytest.importorskip("pyarrow", reason="Parquet needs the parquet extra (in dev)")
    names = ["showcase.top3_seq", "showcase.trio_par", "showcase.top3_sort", "compositions.two_tasks"]
    rows = list(export.rows(program, names, 4, seed=11, schema="verl"))
    for row in rows:  # main_generation adds a `responses` column: here the reference and garbage
        env = program[row["extra_info"]["env"]]
        inst = env.sample(row["extra_info"]["seed"])
        row["responses"] = [env.render_answer(inst.answer), "I do not know"]
    path = tmp_path / "gen.parquet"
    pd.DataFrame(rows).to_parquet(path)
    dataset = pd.read_parquet(path)
    fn = _load_like_verl(verl_module.__file__).compute_score_float
    means = []
    for i in range(len(dataset)):
        ground_truth = dataset["reward_model"][i]["ground_truth"]
        scores = [fn(dataset["data_source"][i], r, ground_truth) for r in dataset["responses"][i]]
        assert all(type(s) is float for s in scores)
        assert scores == [1.0, 0.0]
        means.append(np.mean(scores))
    assert means == [0.5] * len(rows)


def test_float_entry_point_matches_the_dict(program: Any, specs_env: None) -> None:
    row = next(export.rows(program, ["showcase.top3_seq"], 1, seed=5, schema="verl"))
    inst = program["showcase.top3_seq"].sample(5)
    half = list(inst.answer)
    half[1] = []
    completion = program["showcase.top3_seq"].render_answer(half)
    full = verl_module.compute_score(row["data_source"], completion, row["reward_model"]["ground_truth"],
                                     row["extra_info"])
    alone = verl_module.compute_score_float(row["data_source"], completion, row["reward_model"]["ground_truth"])
    assert full["score"] == pytest.approx(1 / 3) == alone
    assert "ground_truth alone" in verl_module.compute_score(row["data_source"], completion,
                                                             row["reward_model"]["ground_truth"])["reason"]
    bound = verl_module.make_compute_score(specs=[str(SHOWCASE)])
    assert bound(row["data_source"], completion, row["reward_model"]["ground_truth"])["score"] == alone
    assert verl_module.compute_score_float("racesdsl/no.such_env", "x", "1") == 0.0


@settings(max_examples=80, deadline=None)
@given(completion=st.text(max_size=200) | st.builds(lambda a, b: f"<step1>{a}</step1><part2>{b}</part2>",
                                                    st.text(max_size=30), st.text(max_size=30)),
       ground_truth=st.text(max_size=60) | st.lists(st.integers() | st.text(max_size=5), max_size=4).map(json.dumps),
       which=st.integers(0, 50))
def test_ground_truth_scoring_is_total(program: Any, completion: str, ground_truth: str, which: int) -> None:
    """Hostile completions and foreign ground truths: a Score in [0, 1] with a reason, never an exception."""
    names = _composites(program, ("seq", "par", "sort", "select"))
    score = score_from_answer(program[names[which % len(names)]], completion, ground_truth)
    assert 0.0 <= score.value <= 1.0 and score.reason
