"""OpenRLHF's `reward_func(queries, prompts, labels)` file form (docs/integrations.md
"OpenRLHF reward file").

OpenRLHF needs torch, DeepSpeed and vLLM, so it is not installed here. The test
loads the file as openrlhf/utils/agent.py does (`spec_from_file_location
("reward_func", path)`), calls it through `asyncio.to_thread` one sample at a
time as `_fetch_rewards_via_func` does, with queries decoded as prompt +
response + end token, and reads the answer as `SingleTurnAgentExecutor.execute`
does (`scores`, else `rewards`; `extra_logs`)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

import racesdsl
from racesdsl.integrations import export, openrlhf, registry
from racesdsl.integrations.openrlhf import openrlhf_answer

pytestmark = pytest.mark.filterwarnings("ignore::racesdsl.integrations.registry.MissingEnvironmentWarning")

ROOT = Path(__file__).resolve().parent.parent
SHOWCASE = ROOT / "tests" / "fixtures" / "composition" / "showcase.races"
TEMPLATE = "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n"


@pytest.fixture(scope="module")
def program() -> Any:
    return racesdsl.load([ROOT / "specs" / "lists.races", SHOWCASE])


@pytest.fixture
def specs_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(registry.ENV_SPECS, str(SHOWCASE))
    monkeypatch.delenv(registry.ENV_PACKAGES, raising=False)


def load_like_openrlhf(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("reward_func", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reward_func


async def fetch_like_openrlhf(fn: Any, queries: list[str], prompts: list[str], labels: list[Any]) -> list[dict]:
    tasks = [asyncio.to_thread(fn, queries[i:i + 1], prompts[i:i + 1], labels[i:i + 1]) for i in range(len(queries))]
    return await asyncio.gather(*tasks)


def _batch(program: Any) -> tuple[list[str], list[str], list[Any], list[float]]:
    rows = list(export.rows(program, ["lists.sort_list", "showcase.top3_seq", "showcase.trio_par"], 2, seed=7,
                            schema="verl"))
    queries, prompts, labels, expected = [], [], [], []
    for i, row in enumerate(rows):
        info = row["extra_info"]
        env = program[info["env"]]
        inst = env.sample(info["seed"], **json.loads(info["params"]))
        prompt = TEMPLATE.format(row["prompt"][0]["content"])
        response = env.render_answer(inst.answer) if i % 2 == 0 else "<answer>[]</answer>"
        queries.append(prompt + response + "<|im_end|>")
        prompts.append(prompt)
        labels.append(info if i % 3 else json.dumps(info))  # a dict column, or its JSON text
        expected.append(env.verify(inst, response + "<|im_end|>").value)
    return queries, prompts, labels, expected


def test_reward_file_loaded_and_called_like_openrlhf(program: Any, specs_env: None) -> None:
    queries, prompts, labels, expected = _batch(program)
    fn = load_like_openrlhf(openrlhf.__file__)
    answers = asyncio.run(fetch_like_openrlhf(fn, queries, prompts, labels))
    got = []
    for info in answers:
        score = info.get("scores") if info.get("scores") is not None else info.get("rewards")
        assert isinstance(score, list) and len(score) == 1 and isinstance(score[0], float)
        assert set(info["extra_logs"]) == {"racesdsl_correct"}
        assert all(isinstance(v[0], float) for v in info["extra_logs"].values())  # OpenRLHF tensors them
        got.append(score[0])
    assert got == expected and 1.0 in got and min(got) < 1.0


def test_batch_answer_equals_the_reward_servers(program: Any, specs_env: None) -> None:
    queries, prompts, labels, _ = _batch(program)
    answer = openrlhf.reward_func(queries, prompts, labels)
    scores = openrlhf.score_batch(registry.default_registry(), queries, prompts, labels)
    assert answer == openrlhf_answer(scores)
    assert len(answer["reasons"]) == len(queries) and all(answer["reasons"])


def test_bad_labels_score_zero_with_a_reason(program: Any) -> None:
    fn = openrlhf.make_reward_func(specs=[str(SHOWCASE)])
    inst = program["lists.sort_list"].sample(1)
    good = program["lists.sort_list"].render_answer(inst.answer)
    labels = ["not json", {"env": "lists.sort_list"}, {"env": "no.such", "seed": 1},
              {"env": "lists.sort_list", "seed": 1, "params": {}, "id": "0000000000000000"}, 7]
    answer = fn([good] * len(labels), [""] * len(labels), labels)
    assert answer["rewards"] == [0.0] * len(labels)
    assert "not JSON" in answer["reasons"][0] and "no `seed`" in answer["reasons"][1]
    assert "unknown environment" in answer["reasons"][2] and "stale label" in answer["reasons"][3]
    good_label = {"env": "lists.sort_list", "seed": 1, "params": {}, "id": inst.id}
    assert fn([good], [None], [good_label])["rewards"] == [1.0]
    assert fn([good, good], [""], [good_label] * 2)["rewards"] == [1.0, 1.0]  # a short prompts list is no crash
    assert fn([good, 3], ["", ""], [good_label])["rewards"] == [1.0, 0.0]
    assert fn([good, good], ["", ""], [good_label])["rewards"] == [1.0, 0.0]
