"""reasoning-gym and Hugging Face interop (racesdsl/integrations/reasoning_gym.py, hf.py).

RacesDataset needs neither library and is always tested. The tests of the
reasoning-gym direction (a gym dataset as a racesdsl env, registration with the
gym's factory) skip without reasoning-gym, and those of `to_dataset` skip
without `datasets`; both are in the `dev` extra, so CI runs them."""

from __future__ import annotations

import json
import math
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest

import racesdsl
from racesdsl.integrations.reasoning_gym import (
    DEFAULT_POOL,
    RacesDataset,
    answer_text,
    as_completion,
    make_bindings,
    register_with_reasoning_gym,
)
from racesdsl.integrations.registry import Registry
from racesdsl.selftest import run_selftest

FIXTURES = Path(__file__).parent / "fixtures"
RG_SPEC = FIXTURES / "rg" / "rg_tasks.races"
SHOWCASE = FIXTURES / "composition" / "showcase.races"
RG_REASON = "reasoning-gym is not installed (pip install 'racesdsl[rg]'; it is in the dev extra)"
HF_REASON = "Hugging Face datasets is not installed (pip install 'racesdsl[hf]'; it is in the dev extra)"

FORMATS_SPEC = '''
env word_boxed "Repeat a word." {
    input w: Str[len=1..6, chars="a-z"]
    output Str[len=1..6, chars="a-z"]
    answer boxed
    prompt """Repeat the word {{ w }}."""
    solve w
}

env pair_json "Sort two numbers." {
    input a: Int[0..9]
    input b: Int[0..9]
    output List[Int[0..9], len=2]
    answer json
    prompt """Sort {{ a }} and {{ b }}."""
    solve sorted([a, b])
}
'''


@pytest.fixture(scope="module")
def stdlib() -> Registry:
    return Registry(stdlib=True)


@pytest.fixture(scope="module")
def showcase() -> Any:
    return racesdsl.load(SHOWCASE)


@pytest.fixture(scope="module")
def formats(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("formats") / "formats.races"
    path.write_text(FORMATS_SPEC, encoding="utf-8")
    return racesdsl.load(path)


@pytest.fixture(scope="module")
def rg() -> Any:
    return pytest.importorskip("reasoning_gym", reason=RG_REASON)


@pytest.fixture(scope="module")
def rg_tasks(rg: Any) -> Any:
    return racesdsl.load(RG_SPEC)


def roundtrip(entry: dict[str, Any]) -> dict[str, Any]:
    """An item after a trip through JSON (a file, a data loader)."""
    return json.loads(json.dumps(entry))


def assert_scores(ds: RacesDataset, entry: dict[str, Any]) -> None:
    """The reference scores 1.0 bare and as a full completion; garbage scores 0.0."""
    env, inst = ds.instance(entry)
    assert ds.score_answer(entry["answer"], entry) == 1.0
    assert ds.score_answer(env.render_answer(inst.answer, **inst.params), entry) == 1.0
    assert ds.score_answer(entry["answer"], roundtrip(entry)) == 1.0
    for garbage in ("garbage", "<answer>garbage</answer>", "", None):
        assert ds.score_answer(garbage, entry) == 0.0


# -------------------------------------------------------------- RacesDataset


def test_items_are_deterministic_and_match_sampling(stdlib: Registry) -> None:
    env = stdlib.get("lists.sort_list")
    ds = RacesDataset(env, size=5, seed=7, n=4)
    assert len(ds) == 5 and ds.size == 5 and ds.seed == 7 and ds.category == "racesdsl"
    items = list(ds)
    assert items == [ds[i] for i in range(5)] == list(RacesDataset(env, size=5, seed=7, n=4))
    assert ds[-1] == items[-1]
    assert items != list(RacesDataset(env, size=5, seed=8, n=4))
    for i, item in enumerate(items):
        inst = env.sample(7 + i, n=4)
        assert item["question"] == inst.prompt
        assert json.loads(item["answer"]) == inst.answer
        assert item["metadata"] == {"source_dataset": "lists.sort_list", "source_index": i, "env": "lists.sort_list",
                                    "seed": 7 + i, "params": {"n": 4}, "input": inst.to_dict()["input"],
                                    "id": inst.id, "difficulty": {"n": 4}}
    with pytest.raises(IndexError):
        ds[5]


def test_base_env_scores_both_answer_forms(stdlib: Registry) -> None:
    env = stdlib.get("lists.sort_list")
    ds = RacesDataset(env, size=4, seed=1)
    for entry in ds:
        assert_scores(ds, entry)
        wrong = json.loads(entry["answer"])[::-1]
        assert ds.score_answer(json.dumps(wrong), entry) == 0.0
        assert ds.score(entry["answer"], entry).reason == "correct"


def test_pickles_by_name(stdlib: Registry) -> None:
    ds = RacesDataset(stdlib.get("lists.sort_list"), size=3, seed=2, n=5)
    again = pickle.loads(pickle.dumps(ds))
    assert list(again) == list(ds) and again.params == ds.params


def test_env_by_name_and_bad_params(stdlib: Registry) -> None:
    ds = RacesDataset("numbers.is_even", size=2)
    assert ds[0]["answer"] in ("true", "false")
    assert_scores(ds, ds[0])
    with pytest.raises(ValueError, match="no param"):
        RacesDataset(stdlib.get("lists.sort_list"), size=2, nope=3)
    with pytest.raises(ValueError, match="size"):
        RacesDataset(stdlib.get("lists.sort_list"), size=-1)


def test_boxed_and_json_formats(formats: Any) -> None:
    boxed, js = formats["formats.word_boxed"], formats["formats.pair_json"]
    ds = RacesDataset(boxed, size=3)
    for entry in ds:
        assert entry["answer"] == entry["metadata"]["input"]["w"]  # the box's content, unquoted
        assert_scores(ds, entry)
    ds = RacesDataset(js, size=3)
    for entry in ds:
        assert json.loads(entry["answer"]) == sorted(entry["metadata"]["input"].values())
        assert_scores(ds, entry)


@pytest.mark.parametrize("name", ["top3_seq", "top3_sort", "top3_select", "trio_par", "extremes_parity"])
def test_composites_score_both_answer_forms(showcase: Any, name: str) -> None:
    comp = showcase[f"showcase.{name}"]
    ds = RacesDataset(comp, size=3, seed=2)
    assert list(ds) == list(RacesDataset(comp, size=3, seed=2))
    for entry in ds:
        assert_scores(ds, entry)


def test_seq_composite_answer_text_and_partial_credit(showcase: Any) -> None:
    comp = showcase["showcase.top3_seq"]
    ds = RacesDataset(comp, size=2)
    entry = ds[0]
    _, inst = ds.instance(entry)
    assert entry["answer"] == comp.render_answer(inst.answer)  # one tag per step
    assert entry["answer"].startswith("<step1>")
    assert ds.score_answer(json.dumps(inst.answer), entry) == 1.0  # a JSON list of the step answers
    first_only = f"<step1>{json.dumps(inst.answer[0])}</step1><step2>[]</step2>"
    assert ds.score_answer(first_only, entry) == pytest.approx(1 / 3)


def test_as_completion_wraps_only_bare_answers(stdlib: Registry, formats: Any) -> None:
    env = stdlib.get("numbers.is_even")
    assert as_completion(env, "true") == "<answer>true</answer>"
    assert as_completion(env, "so: <answer>true</answer>") == "so: <answer>true</answer>"
    boxed = formats["formats.word_boxed"]
    assert as_completion(boxed, "abc") == "\\boxed{abc}"
    assert as_completion(boxed, "\\boxed{abc}") == "\\boxed{abc}"
    assert answer_text(boxed, "abc") == "abc"
    assert as_completion(formats["formats.pair_json"], "[1, 2]") == "[1, 2]"


def test_foreign_entries_score_zero(stdlib: Registry) -> None:
    ds = RacesDataset(stdlib.get("lists.sort_list"), size=1)
    assert ds.score_answer("1", {"question": "?", "answer": "1", "metadata": {}}) == 0.0
    assert "cannot rebuild" in ds.score("1", {"metadata": {"env": "no.such_env", "seed": 0}}).reason


def test_registering_needs_reasoning_gym(monkeypatch: pytest.MonkeyPatch, stdlib: Registry) -> None:
    monkeypatch.setitem(sys.modules, "reasoning_gym", None)  # import fails as if not installed
    with pytest.raises(ImportError, match=r"racesdsl\[rg\]"):
        register_with_reasoning_gym("x", stdlib.get("lists.sort_list"))
    sample, _ = make_bindings("gcd")
    with pytest.raises(ImportError, match=r"racesdsl\[rg\]"):
        sample(__import__("random").Random(0))


# --------------------------------------- a reasoning-gym dataset as an env


def test_wrapped_gcd_samples(rg: Any, rg_tasks: Any) -> None:
    gcd = rg_tasks["rg_tasks.gcd"]
    for seed in range(5):
        inst = gcd.sample(seed)
        a, b = inst.input["a"], inst.input["b"]
        assert inst.answer == math.gcd(a, b) and 1 <= a <= 1000 and 1 <= b <= 1000
        assert inst == gcd.sample(seed)
    small = gcd.sample(0, max_value=20)  # the env's param reaches reasoning-gym's config
    assert max(small.input.values()) <= 20


def test_wrapped_question_uses_reasoning_gyms_item_and_answer(rg: Any, rg_tasks: Any) -> None:
    env = rg_tasks["rg_tasks.gcd_question"]
    source = rg.create_dataset("gcd", seed=0, size=DEFAULT_POOL, max_numbers=2)
    for seed in range(5):
        inst = env.sample(seed)
        item = source[inst.input["item"]["index"]]
        assert inst.input["item"]["question"] == item["question"]
        assert inst.prompt.startswith(item["question"])
        assert inst.answer == int(item["answer"])
    scored = rg_tasks["rg_tasks.gcd_scored"]  # verified by reasoning-gym's own score_answer
    inst = scored.sample(3)
    assert scored.verify(inst, f"<answer>{inst.answer}</answer>").value == 1.0
    assert scored.verify(inst, "<answer>0</answer>").value < 1.0


def test_wrapped_gcd_composes_in_a_seq(rg: Any, rg_tasks: Any) -> None:
    for name in ("rg_tasks.gcd_parity", "rg_tasks.question_parity"):
        comp = rg_tasks[name]
        for seed in range(3):
            inst = comp.sample(seed)
            g, even = inst.answer
            assert even == (g % 2 == 0)
            assert comp.verify(inst, comp.render_answer(inst.answer)).value == 1.0
        ds = RacesDataset(comp, size=3)  # and back out as a reasoning-gym dataset
        for entry in ds:
            assert_scores(ds, entry)


def test_wrapped_envs_pass_the_selftest(rg: Any, rg_tasks: Any) -> None:
    report = run_selftest(rg_tasks, seeds=10)
    assert {e.env for e in report.envs} >= {"rg_tasks.gcd", "rg_tasks.gcd_question", "rg_tasks.gcd_parity",
                                            "rg_tasks.question_parity"}
    assert report.n_failures == 0, [f for e in report.envs for f in e.failures]
    assert report.ok


def test_bindings_report_misuse(rg: Any) -> None:
    import random

    sample, solve = make_bindings("gcd", inputs=lambda item: {"a": item["metadata"]["numbers"][0]})
    assert set(sample(random.Random(0))) == {"a"}
    with pytest.raises(TypeError, match="index"):
        solve(a=4)
    sample, _ = make_bindings("no_such_dataset")
    with pytest.raises(KeyError, match="no_such_dataset"):
        sample(random.Random(0))
    with pytest.raises(ValueError, match="size"):
        make_bindings("gcd", size=0)


# ------------------------------------------- registering with reasoning-gym


def test_registered_dataset_through_reasoning_gyms_factory(rg: Any, stdlib: Registry, showcase: Any) -> None:
    from reasoning_gym.composite import DatasetSpec
    from reasoning_gym.dataset import ProceduralDataset

    cls = register_with_reasoning_gym("racesdsl_test_sort_list", stdlib.get("lists.sort_list"), n=5,
                                      overwrite=True)
    ds = rg.create_dataset("racesdsl_test_sort_list", size=4, seed=3)
    assert isinstance(ds, cls) and isinstance(ds, ProceduralDataset)
    assert len(ds) == 4 and ds.seed == 3 and ds.config.params == {"n": 5}
    assert [e["metadata"]["params"] for e in ds] == [{"n": 5}] * 4
    plain = RacesDataset(stdlib.get("lists.sort_list"), size=4, seed=3, n=5)
    assert [e["question"] for e in ds] == [e["question"] for e in plain]
    assert {e["metadata"]["source_dataset"] for e in ds} == {"racesdsl_test_sort_list"}
    for entry in ds:
        assert ds.score_answer(entry["answer"], entry) == 1.0 and ds.score_answer("no", entry) == 0.0
    assert list(pickle.loads(pickle.dumps(ds))) == list(ds)
    wider = rg.create_dataset("racesdsl_test_sort_list", size=1, seed=0, n=9)  # a param as a config field
    assert wider[0]["metadata"]["params"] == {"n": 9}
    assert rg.get_score_answer_fn("racesdsl_test_sort_list")(wider[0]["answer"], wider[0]) == 1.0
    with pytest.raises(ValueError, match="already registered"):
        register_with_reasoning_gym("racesdsl_test_sort_list", stdlib.get("lists.sort_list"))
    with pytest.raises(ValueError):
        rg.create_dataset("racesdsl_test_sort_list", size=1, n=99)

    register_with_reasoning_gym("racesdsl_test_top3", showcase["showcase.top3_seq"], overwrite=True)
    mixed = rg.create_dataset("composite", size=12, seed=1, datasets=[
        DatasetSpec("racesdsl_test_sort_list", 1.0, {}), DatasetSpec("racesdsl_test_top3", 1.0, {}),
        DatasetSpec("gcd", 1.0, {})])
    sources = set()
    for entry in mixed:
        sources.add(entry["metadata"]["source_dataset"])
        assert mixed.score_answer(entry["answer"], entry) == 1.0
    assert sources == {"racesdsl_test_sort_list", "racesdsl_test_top3", "gcd"}


# ------------------------------------------------------ Hugging Face datasets


def test_to_dataset_plain(stdlib: Registry) -> None:
    pytest.importorskip("datasets", reason=HF_REASON)
    from racesdsl.integrations.hf import to_dataset

    env = stdlib.get("lists.sort_list")
    ds = to_dataset(env, 6, seed=4, n=3)
    assert len(ds) == 6
    assert ds.column_names == ["id", "env", "seed", "params", "input", "prompt", "answer"]
    for i, row in enumerate(ds):
        inst = env.sample(4 + i, n=3)
        assert row["seed"] == 4 + i and row["env"] == "lists.sort_list" and row["prompt"] == inst.prompt
        assert (json.loads(row["params"]), json.loads(row["answer"])) == ({"n": 3}, inst.answer)
        assert json.loads(row["input"]) == inst.to_dict()["input"]


def test_to_dataset_schemas_and_splits(stdlib: Registry, showcase: Any) -> None:
    datasets = pytest.importorskip("datasets", reason=HF_REASON)
    from racesdsl.integrations.hf import to_dataset
    from racesdsl.integrations.trl import make_reward_function

    trl = to_dataset("lists.sort_list", 5, schema="trl", split="test")
    assert trl.column_names == ["prompt", "env", "seed", "params", "answer", "id", "split", "lineage"]
    assert set(trl["split"]) == {"test"}
    reward = make_reward_function()
    columns = {k: trl[k] for k in ("env", "seed", "params", "answer")}
    completions = [f"<answer>{a}</answer>" for a in trl["answer"]]
    assert reward(trl["prompt"], completions, **columns) == [1.0] * 5

    both = to_dataset([stdlib.get("lists.sort_list"), showcase["showcase.top3_seq"]], 20, schema="verl",
                      split={"train": 0.5, "test": 0.5})
    assert isinstance(both, datasets.DatasetDict) and list(both) == ["train", "test"]
    assert sum(len(part) for part in both.values()) == 40
    assert both["train"].column_names == ["data_source", "prompt", "ability", "reward_model", "extra_info"]
    assert {row["extra_info"]["split"] for row in both["test"]} == {"test"}
    assert len(to_dataset(stdlib.get("numbers.is_even"), 0)) == 0
    program = to_dataset(showcase, 2)  # a loaded program: its root envs
    assert len(program) == 2 * len(showcase.roots) and set(program["env"]) == set(showcase.roots)


def test_to_dataset_needs_datasets(monkeypatch: pytest.MonkeyPatch, stdlib: Registry) -> None:
    from racesdsl.integrations.hf import to_dataset

    monkeypatch.setitem(sys.modules, "datasets", None)
    with pytest.raises(ImportError, match=r"racesdsl\[hf\]"):
        to_dataset(stdlib.get("numbers.is_even"), 2)
