"""TRL: per-completion reasons through `log_extra`/`log_metric`, and training from a
stream (a `Feed` as a `datasets.IterableDataset`) with exact resume
(docs/integrations.md "TRL").

TRL needs torch (through accelerate), so it is not installed here. The tests
call the reward functions exactly as GRPOTrainer._calculate_rewards does in TRL
>= 1.0 (`prompts=`, `completions=`, `completion_ids=`, every other column as a
list, plus `trainer_state`, `log_extra`, `log_metric`), with `log_extra` and
`log_metric` collecting as TRL's `_log_completion_extra` and `_log_metric` do.
The iterable dataset is a real `datasets.IterableDataset` (dev extra)."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

import racesdsl
from racesdsl.curriculum import Adaptive
from racesdsl.integrations import export
from racesdsl.integrations.feed import Feed
from racesdsl.integrations.registry import Registry
from racesdsl.integrations.trl import make_reward_function, score_completions
from racesdsl.integrations.trl_stream import iterable_dataset, make_stream_reward_function, rows

pytestmark = pytest.mark.filterwarnings("ignore::racesdsl.integrations.registry.MissingEnvironmentWarning")

ROOT = Path(__file__).resolve().parent.parent
SHOWCASE = ROOT / "tests" / "fixtures" / "composition" / "showcase.races"


@pytest.fixture(scope="module")
def program() -> Any:
    return racesdsl.load([ROOT / "specs" / "lists.races", SHOWCASE])


class FakeTrainerLogs:
    """TRL's collectors: `_pending_extra_logs[column].extend(values)`, `_pending_metrics[name].append(v)`."""

    def __init__(self) -> None:
        self.extra: dict[str, list[Any]] = defaultdict(list)
        self.metrics: dict[str, list[float]] = defaultdict(list)

    def log_extra(self, column: str, values: list) -> None:
        self.extra[column].extend(values)

    def log_metric(self, name: str, value: float) -> None:
        self.metrics[name].append(value)


def call_like_trl(fn: Any, batch: list[dict[str, Any]], completions: list[Any], logs: FakeTrainerLogs | None) -> Any:
    keys = [k for k in batch[0] if k not in ("prompt", "completion", "completion_ids")]
    reward_kwargs: dict[str, Any] = {k: [row[k] for row in batch] for k in keys}
    reward_kwargs["trainer_state"] = object()
    if logs is not None:
        reward_kwargs["log_extra"], reward_kwargs["log_metric"] = logs.log_extra, logs.log_metric
    return fn(prompts=[row["prompt"] for row in batch], completions=completions,
              completion_ids=[[1, 2]] * len(batch), **reward_kwargs)


def _reference(program: Any, row: dict[str, Any]) -> str:
    env = program[row["env"]]
    return env.render_answer(env.sample(row["seed"], **json.loads(row["params"])).answer)


def test_reasons_go_to_log_extra(program: Any) -> None:
    batch = list(export.rows(program, ["lists.sort_list", "showcase.top3_seq"], 3, seed=1, schema="trl"))
    completions = [[{"role": "assistant", "content": _reference(program, r)}] if i % 2 else "no answer"
                   for i, r in enumerate(batch)]
    fn = make_reward_function(specs=[str(SHOWCASE)], name="races")
    logs = FakeTrainerLogs()
    rewards = call_like_trl(fn, batch, completions, logs)
    assert rewards == [0.0 if i % 2 == 0 else 1.0 for i in range(len(batch))]
    columns = {k: [r[k] for r in batch] for k in ("env", "seed", "params", "answer")}
    expected = [s.reason for s in score_completions(Registry(specs=[str(SHOWCASE)]), completions, columns)]
    assert logs.extra == {"races_reason": expected}
    assert "correct" in expected and "no <answer> block found" in expected
    assert logs.metrics == {"races_correct": [0.5]}
    call_like_trl(fn, batch, completions, logs)  # every call logs the same keys, one value per completion
    assert len(logs.extra["races_reason"]) == 2 * len(batch) and len(logs.metrics["races_correct"]) == 2


def test_older_trl_and_broken_loggers_keep_the_rewards(program: Any) -> None:
    batch = list(export.rows(program, ["lists.sort_list"], 2, seed=0, schema="trl"))
    completions = [_reference(program, r) for r in batch]
    fn = make_reward_function(name="races")
    assert call_like_trl(fn, batch, completions, None) == [1.0, 1.0]  # TRL < 1.0 passes no loggers

    def broken(*args: Any) -> None:
        raise RuntimeError("logger down")

    keys = {k: [r[k] for r in batch] for k in ("env", "seed", "params", "answer")}
    assert fn(None, completions, log_extra=broken, log_metric=broken, **keys) == [1.0, 1.0]


def test_fixed_mix_feed_is_deterministic(program: Any) -> None:
    a = [inst.id for inst in itertools.islice(Feed(program, ["lists.sort_list", "showcase.top3_seq"], seed=3), 8)]
    b = [inst.id for inst in itertools.islice(Feed(program, ["lists.sort_list", "showcase.top3_seq"], seed=3), 8)]
    c = [inst.id for inst in itertools.islice(Feed(program, ["lists.sort_list", "showcase.top3_seq"], seed=4), 8)]
    assert a == b != c and len(set(a)) == 8


def _curriculum(program: Any) -> Feed:
    ctl = Adaptive.from_program(program, ["lists.sort_list", "lists.take_first", "showcase.top3_seq"],
                                window=4, seed=5)
    return Feed(program, controller=ctl, seed=9)


def _run(feed: Feed, steps: int, program: Any, start: int = 0) -> list[str]:
    """Draw, answer (right on even steps), score and report: a training loop in miniature."""
    out = []
    for k in range(start, start + steps):
        inst = feed.next()
        env = program[inst.env]
        completion = env.render_answer(inst.answer, **inst.params) if k % 2 == 0 else "?"
        feed.score(inst.env, inst.seed, json.dumps(inst.params), completion, inst.id)
        out.append(inst.id)
    return out


@pytest.mark.parametrize("curriculum", [True, False])
def test_feed_resumes_exactly(program: Any, curriculum: bool) -> None:
    make = (lambda: _curriculum(program)) if curriculum else (lambda: Feed(program, ["lists.sort_list"], seed=2))
    straight = make()
    whole = _run(straight, 40, program)
    first = make()
    head = _run(first, 25, program)
    state = json.loads(json.dumps(first.state_dict()))  # a checkpoint holds it as JSON
    resumed = make()
    resumed.load_state_dict(state)
    assert head + _run(resumed, 15, program, start=25) == whole
    if curriculum:
        assert straight.controller is not None and straight.controller.state_dict() == \
            resumed.controller.state_dict()
    with pytest.raises(ValueError, match="another seed"):
        Feed(program, ["lists.sort_list"], seed=99).load_state_dict(state)


def test_iterable_dataset_streams_the_feed_and_rewards_steer_it(program: Any) -> None:
    datasets = pytest.importorskip("datasets", reason="datasets is in the dev extra")
    feed = _curriculum(program)
    ds = iterable_dataset(feed)
    assert isinstance(ds, datasets.IterableDataset)
    batch = list(itertools.islice(iter(ds), 6))
    assert feed.count >= 6  # the dataset reads the very feed the reward function reports to
    assert set(batch[0]) == {"prompt", "env", "seed", "params", "answer", "id", "lineage"}
    fn = make_stream_reward_function(feed, name="curriculum")
    logs = FakeTrainerLogs()
    completions = [_reference(program, r) for r in batch]
    assert call_like_trl(fn, batch, completions, logs) == [1.0] * 6
    assert logs.extra["curriculum_reason"] == ["correct"] * 6
    reports = sum(t["reports"] for t in feed.controller.state_dict()["envs"].values())
    assert reports == 6
    more = list(itertools.islice(iter(ds), 2))  # a new pass continues the stream
    assert {r["id"] for r in more}.isdisjoint({r["id"] for r in batch})


def test_stream_rows_are_trl_rows(program: Any) -> None:
    feed = Feed(program, ["showcase.top3_seq"], seed=1)
    row = next(rows(feed))
    inst = program["showcase.top3_seq"].sample(row["seed"])
    assert row["id"] == inst.id and json.loads(row["answer"]) == json.loads(json.dumps(inst.answer))
    fn = make_reward_function(specs=[str(SHOWCASE)])  # the static-dataset reward function scores them too
    assert fn(None, [program["showcase.top3_seq"].render_answer(inst.answer)],
              **{k: [row[k]] for k in ("env", "seed", "params", "answer")}) == [1.0]
