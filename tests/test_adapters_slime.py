"""slime: `custom_rm(args, sample)` and the streaming `RacesDataSource` with exact resume
(docs/integrations.md "slime").

slime has no pip package (and needs torch, Megatron and SGLang), so these tests
follow its published source instead (THUDM/slime, slime/rollout/rm_hub and
slime/rollout/data_source.py): the reward function is awaited as `async_rm`
awaits it (one sample, or a list with --group-rm), the data source is built as
`RolloutManager` builds it (`cls(args)`) and driven through the DataSource
methods slime calls. `Sample` below has the fields of slime.utils.types.Sample
that these paths touch. To run it for real, see docs/integrations.md "slime"
(`--custom-rm-path` and `--data-source-path` in a slime checkout)."""

from __future__ import annotations

import asyncio
import json
from argparse import Namespace
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from racesdsl.integrations import export, registry
from racesdsl.integrations.slime import RacesDataSource, custom_rm

pytestmark = pytest.mark.filterwarnings("ignore::racesdsl.integrations.registry.MissingEnvironmentWarning")

ROOT = Path(__file__).resolve().parent.parent
SHOWCASE = ROOT / "tests" / "fixtures" / "composition" / "showcase.races"
LISTS = ROOT / "specs" / "lists.races"


@dataclass
class Sample:
    """The fields of slime's Sample (slime/utils/types.py) that these paths use."""

    group_index: int | None = None
    index: int | None = None
    prompt: str | list[dict[str, str]] = ""
    response: str = ""
    label: str | None = None
    reward: float | dict[str, Any] | None = None
    metadata: dict = field(default_factory=dict)


class ChatTokenizer:
    def apply_chat_template(self, messages: list[dict], tokenize: bool, add_generation_prompt: bool,
                            **kwargs: Any) -> str:
        assert tokenize is False and add_generation_prompt is True
        think = "<think>" if kwargs.get("enable_thinking") else ""
        return "".join(f"<|{m['role']}|>{m['content']}" for m in messages) + "<|assistant|>" + think


class Source(RacesDataSource):
    specs = [str(LISTS), str(SHOWCASE)]
    names = ["lists.sort_list", "showcase.top3_seq"]

    def sample_type(self) -> Any:
        return Sample

    def tokenizer(self) -> Any:
        return ChatTokenizer()


class Curriculum(Source):
    names = ["lists.sort_list", "lists.take_first", "showcase.top3_seq"]
    curriculum = {"window": 4, "seed": 3}


def make_args(tmp_path: Path, **extra: Any) -> Namespace:
    fields = {"rollout_seed": 5, "n_samples_per_prompt": 3, "apply_chat_template": False, "save": str(tmp_path),
              "load": str(tmp_path), "hf_checkpoint": "unused"}
    return Namespace(**{**fields, **extra})


def answer(source: RacesDataSource, sample: Sample, right: bool) -> Sample:
    label = json.loads(sample.label or "{}")
    env = source.feed.program[label["env"]]
    inst = env.sample(label["seed"], **label["params"])
    sample.response = env.render_answer(inst.answer) if right else "<answer>nope</answer>"
    return sample


def rollout(source: RacesDataSource, args: Namespace, batches: int, start: int = 0) -> list[list[str]]:
    """slime's loop in miniature: get groups, generate, reward (awaited), per rollout."""
    seen = []
    for b in range(start, start + batches):
        groups = source.get_samples(2)
        for g, group in enumerate(groups):
            for s, sample in enumerate(group):
                answer(source, sample, right=(b + g + s) % 2 == 0)
            rewards = asyncio.run(custom_rm(args, group))  # --group-rm: a list in, a list out
            assert len(rewards) == len(group) and all(0.0 <= r <= 1.0 for r in rewards)
        seen.append([s.label for g in groups for s in g])
    return seen


def test_groups_follow_slimes_layout(tmp_path: Path) -> None:
    args = make_args(tmp_path)
    source = Source(args)
    groups = source.get_samples(4)
    assert [len(g) for g in groups] == [3] * 4
    assert [s.group_index for g in groups for s in g] == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert [s.index for g in groups for s in g] == list(range(12))
    assert all(len({s.label for s in g}) == 1 for g in groups)  # a group shares its prompt
    envs = [json.loads(g[0].label)["env"] for g in groups]
    assert envs == ["lists.sort_list", "showcase.top3_seq"] * 2
    assert groups[0][0].prompt == source.feed.program["lists.sort_list"].sample(
        json.loads(groups[0][0].label)["seed"]).prompt
    assert len(source) > 10**6 and args.racesdsl_feed is source.feed


def test_custom_rm_scores_one_sample_and_notes_the_reason(tmp_path: Path) -> None:
    args = make_args(tmp_path)
    source = Source(args)
    good, bad = source.get_samples(1)[0][:2]
    assert asyncio.run(custom_rm(args, answer(source, good, True))) == 1.0
    assert asyncio.run(custom_rm(args, answer(source, bad, False))) == 0.0
    assert good.metadata["racesdsl_reason"] == "correct" and bad.metadata["racesdsl_reason"]
    broken = Sample(label="not json", response="x")
    assert asyncio.run(custom_rm(args, broken)) == 0.0 and "not JSON" in broken.metadata["racesdsl_reason"]


def test_custom_rm_without_the_data_source_reads_verl_labels(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A prompt file exported with --schema verl and --label-key extra_info."""
    monkeypatch.setenv(registry.ENV_SPECS, str(SHOWCASE))
    import racesdsl

    program = racesdsl.load(SHOWCASE)
    for row in export.rows(program, ["showcase.top3_seq", "showcase.trio_par"], 2, seed=1, schema="verl"):
        info = row["extra_info"]
        env = program[info["env"]]
        sample = Sample(label=json.dumps(info), response=env.render_answer(env.sample(info["seed"]).answer))
        assert asyncio.run(custom_rm(Namespace(), sample)) == 1.0


def test_chat_template_as_slimes_dataset_applies_it(tmp_path: Path) -> None:
    args = make_args(tmp_path, apply_chat_template=True)
    args.apply_chat_template_kwargs = {"enable_thinking": True}
    source = Source(args)
    sample = source.get_samples(1)[0][0]
    inst = source.feed.program["lists.sort_list"].sample(json.loads(sample.label)["seed"])
    assert sample.prompt == f"<|user|>{inst.prompt}<|assistant|><think>"


def test_curriculum_hears_the_rewards(tmp_path: Path) -> None:
    args = make_args(tmp_path)
    source = Curriculum(args)
    rollout(source, args, 2)
    controller = source.feed.controller
    assert controller is not None
    assert sum(t["reports"] for t in controller.state_dict()["envs"].values()) == 2 * 2 * 3


@pytest.mark.parametrize("cls", [Source, Curriculum])
def test_exact_resume_through_save_and_load(tmp_path: Path, cls: type) -> None:
    """Save at rollout 3, load in a fresh data source: the rest of the run draws what an
    uninterrupted run draws (with a curriculum too: its state and the rewards it heard)."""
    straight_args = make_args(tmp_path / "straight")
    whole = rollout(cls(straight_args), straight_args, 6)
    args = make_args(tmp_path / "run")
    head = rollout(cls(args), args, 3)
    first = cls(make_args(tmp_path / "run"))
    assert rollout(first, first.args, 3) == head  # deterministic from the arguments
    first.save(3)
    assert (tmp_path / "run" / "rollout" / "racesdsl_data_source_3.json").is_file()
    resumed = cls(make_args(tmp_path / "run"))
    resumed.load(3)
    assert head + rollout(resumed, resumed.args, 3, start=3) == whole


def test_aborted_groups_come_back_first_after_resume(tmp_path: Path) -> None:
    args = make_args(tmp_path)
    first = Source(args)
    rollout(first, args, 1)
    aborted = first.get_samples(1)
    first.add_samples(aborted)  # slime hands an aborted rollout's groups back
    first.save(1)
    resumed = Source(make_args(tmp_path))
    resumed.load(1)
    again = resumed.get_samples(2)
    assert [(s.label, s.index, s.group_index, s.prompt) for s in again[0]] == \
        [(s.label, s.index, s.group_index, s.prompt) for s in aborted[0]]
    assert again[1][0].group_index == aborted[0][0].group_index + 1  # then the stream goes on


def test_load_without_a_checkpoint_is_a_no_op(tmp_path: Path) -> None:
    args = make_args(tmp_path)
    source = Source(args)
    source.load(7)
    source.load(None)
    assert source.feed.count == 0
    args.save = None
    source.save(1)
    assert not (tmp_path / "rollout").exists()
