"""reasoning-gym's own eval on racesdsl composites: `score_answer(extract_answer(c), entry)`
scores a perfect seq/par answer 1.0 (docs/interop.md "The answer text").

reasoning-gym is in the dev extra, so this runs its real `extract_answer`,
`create_dataset` and `score_answer`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import racesdsl
from racesdsl.integrations.reasoning_gym import RacesDataset, register_with_reasoning_gym
from racesdsl.runtime.composite import Composite

rg = pytest.importorskip("reasoning_gym", reason="reasoning-gym is in the dev extra: pip install -e '.[dev]'")
from reasoning_gym.utils import extract_answer  # noqa: E402

SHOWCASE = Path(__file__).resolve().parent / "fixtures" / "composition" / "showcase.races"


@pytest.fixture(scope="module")
def showcase() -> Any:
    return racesdsl.load(SHOWCASE)


def _answer_as_asked(entry: dict[str, Any]) -> str:
    """What a model that follows the question writes: some reasoning, then the answer block."""
    return f"Let me work through it.\n<answer>{entry['answer']}</answer>"


@pytest.mark.parametrize("name", ["top3_seq", "top3_final", "trio_par", "trio_all", "top3_parity",
                                  "extremes_parity", "top3_sort", "top3_select"])
def test_reasoning_gym_eval_scores_perfect_composite_answers(showcase: Any, name: str) -> None:
    comp = showcase[f"showcase.{name}"]
    ds = RacesDataset(comp, size=6, seed=4)
    for entry in ds:
        if comp.op in ("seq", "par"):
            tag = "step" if comp.op == "seq" else "part"
            assert entry["question"].endswith(f"<answer><{tag}1>...</{tag}1>...</answer>.")
        extracted = extract_answer(_answer_as_asked(entry))
        assert extracted == entry["answer"]
        assert ds.score_answer(extracted, entry) == 1.0


def test_partial_credit_survives_extraction(showcase: Any) -> None:
    comp = showcase["showcase.top3_seq"]
    ds = RacesDataset(comp, size=3, seed=0)
    for entry in ds:
        _, inst = ds.instance(entry)
        wrong_last = comp.render_answer([*inst.answer[:2], inst.answer[2] + 1])
        assert ds.score_answer(extract_answer(f"<answer>{wrong_last}</answer>"), entry) == pytest.approx(2 / 3)


def test_question_is_the_prompt_plus_one_sentence(showcase: Any) -> None:
    comp = showcase["showcase.trio_par"]
    ds = RacesDataset(comp, size=2, seed=1)
    inst = comp.sample(1)
    assert ds[0]["question"].startswith(inst.prompt) and ds[0]["question"] != inst.prompt
    ds.answer_block = False
    assert ds[0]["question"] == inst.prompt
    sort = RacesDataset(showcase["showcase.top3_sort"], size=1, seed=1)
    assert sort[0]["question"] == showcase["showcase.top3_sort"].sample(1).prompt  # already answers in <answer>


def test_registered_dataset_through_create_dataset(showcase: Any) -> None:
    comp = showcase["showcase.top3_seq"]
    assert isinstance(comp, Composite)
    register_with_reasoning_gym("racesdsl_adapters_top3", comp, overwrite=True)
    ds = rg.create_dataset("racesdsl_adapters_top3", size=4, seed=9)
    scores = [ds.score_answer(extract_answer(_answer_as_asked(e)), e) for e in ds]
    assert scores == [1.0] * 4
    assert all(json.loads(json.dumps(e["metadata"]))["env"] == "showcase.top3_seq" for e in ds)
