"""slime: a reward function (`--custom-rm-path`) and a data source that streams
instances (`--data-source-path`), checked against slime's source
(slime/rollout/rm_hub/__init__.py, slime/rollout/data_source.py).

- `custom_rm(args, sample)`: slime awaits `custom_rm(args, sample)` for each
  sample, or `custom_rm(args, samples)` for a whole group with `--group-rm`;
  the result is the reward (a float, or a list of floats for a group). The
  sample's `label` names its instance (a verl `extra_info`, or what
  `RacesDataSource` writes); the reason lands in `sample.metadata`.
- `RacesDataSource(args)`: slime's `DataSource` interface (`get_samples`,
  `add_samples`, `save`, `load`, `__len__`) over a `Feed`, so training needs
  no prompt file; with `curriculum`, an `Adaptive` controller picks the
  environments and levels and `custom_rm` reports the rewards to it (the data
  source puts its feed on `args.racesdsl_feed`, the object slime hands both).
  `save(rollout_id)` writes the feed's state and the buffered groups as JSON
  under `args.save`; `load(rollout_id)` restores them from `args.load`, so a
  resumed run draws exactly the instances an uninterrupted one would have.

slime is not on PyPI; its `Sample` class is imported when a data source is
first asked for samples. Configure a data source by subclassing (class
attributes `specs`, `packages`, `names`, `curriculum`, `seed`) in a module
of your own and pass `--data-source-path my_module.MySource`."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from racesdsl.atomic import write_atomic
from racesdsl.integrations.feed import Feed
from racesdsl.integrations.labels import read_label, score_label
from racesdsl.integrations.registry import ENV_SPECS, default_registry, split_paths
from racesdsl.runtime.env import Instance
from racesdsl.runtime.score import Score, printable

__all__ = ["RacesDataSource", "custom_rm", "label_of", "score_sample"]

STATE_FILE = "rollout/racesdsl_data_source_{}.json"


def label_of(inst: Instance) -> str:
    """A sample's label: the instance's identity as JSON text (slime keeps labels as text)."""
    return json.dumps({"env": inst.env, "seed": inst.seed, "params": inst.params, "id": inst.id},
                      ensure_ascii=False)


def score_sample(args: Any, sample: Any) -> Score:
    """The Score of one slime sample; never raises. Through the feed on `args` when a
    `RacesDataSource` put one there (the reward reaches its curriculum), else the
    registry (RACESDSL_SPECS / RACESDSL_PACKAGES)."""
    try:
        label, response = getattr(sample, "label", None), getattr(sample, "response", None)
        feed = getattr(args, "racesdsl_feed", None)
        if isinstance(feed, Feed):
            if not isinstance(response, str):
                return Score(0.0, f"the response is not text (got {type(response).__name__})")
            row = read_label(label, response)
            if isinstance(row, Score):
                return row
            return feed.score(row.env, row.seed, row.params, row.completion, row.id)
        return score_label(default_registry(), label, response)
    except Exception as exc:  # the last guard: one bad sample must not stop the rollout
        return Score(0.0, f"reward error: {type(exc).__name__}: {exc}")


def _note(sample: Any, score: Score) -> float:
    metadata = getattr(sample, "metadata", None)
    if isinstance(metadata, dict):
        metadata["racesdsl_reason"] = printable(score.reason)
    return float(score.value)


async def custom_rm(args: Any, sample: Any, **kwargs: Any) -> float | list[float]:
    """slime's `--custom-rm-path racesdsl.integrations.slime.custom_rm`: the reward of a
    sample, or the list of rewards of a group (`--group-rm`)."""
    if isinstance(sample, list):
        return [_note(s, score_sample(args, s)) for s in sample]
    return _note(sample, score_sample(args, sample))


class RacesDataSource:
    """`--data-source-path racesdsl.integrations.slime.RacesDataSource`: instances of
    the envs in RACESDSL_SPECS (or of a subclass's `specs`), without end.

    Class attributes configure it: `specs`/`packages` (sources; default the
    variables), `names` (the mix; default every env the specs declare),
    `curriculum` (False, True or a dict of `Adaptive` arguments) and `seed`
    (default `args.rollout_seed`). `size` is what `len()` reports; slime only asks
    when `--num-rollout` is not given, so give it."""

    specs: Sequence[str] | None = None
    packages: Sequence[str] | None = None
    names: Sequence[str] | None = None
    curriculum: bool | Mapping[str, Any] = False
    seed: int | None = None
    size: int = 1 << 30

    def __init__(self, args: Any) -> None:
        import racesdsl
        from racesdsl.curriculum import Adaptive

        self.args = args
        specs = list(self.specs) if self.specs is not None else split_paths(os.environ.get(ENV_SPECS))
        if not specs and not self.packages:
            raise ValueError(f"RacesDataSource needs spec files: set {ENV_SPECS} or a subclass's `specs`")
        program: Any = racesdsl.load(specs) if specs else {}
        if self.packages:
            import importlib

            program = {**{q: program[q] for q in program},
                       **{q: e for p in self.packages for q, e in importlib.import_module(p).environments().items()}}
        seed = self.seed if self.seed is not None else int(getattr(args, "rollout_seed", 0) or 0)
        controller = None
        if self.curriculum:
            options = dict(self.curriculum) if isinstance(self.curriculum, Mapping) else {}
            controller = Adaptive.from_program(program, self.names, **options)
        self.feed = Feed(program, None if controller is not None else self.names, controller=controller, seed=seed)
        self.sample_group_index = 0
        self.sample_index = 0
        self.buffer: list[list[Any]] = []  # groups slime handed back (aborted), served first
        self._tokenizer: Any = None
        args.racesdsl_feed = self.feed  # custom_rm reports the rewards to this feed's curriculum

    # ------------------------------------------------------------ samples

    def sample_type(self) -> Any:
        """slime's Sample class (imported late: slime is not on PyPI)."""
        from slime.utils.types import Sample

        return Sample

    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            from slime.utils.processing_utils import load_tokenizer

            self._tokenizer = load_tokenizer(self.args.hf_checkpoint, trust_remote_code=True)
        return self._tokenizer

    def prompt_of(self, inst: Instance) -> Any:
        """The prompt as slime's Dataset builds it: chat-templated text with
        `--apply-chat-template`, else the prompt text."""
        if not getattr(self.args, "apply_chat_template", False):
            return inst.prompt
        return self.tokenizer().apply_chat_template(
            [{"role": "user", "content": inst.prompt}], tokenize=False, add_generation_prompt=True,
            **(getattr(self.args, "apply_chat_template_kwargs", None) or {}))

    def _group(self, inst: Instance) -> list[Any]:
        sample_cls, label, prompt = self.sample_type(), label_of(inst), self.prompt_of(inst)
        group = []
        for _ in range(int(getattr(self.args, "n_samples_per_prompt", 1) or 1)):
            group.append(sample_cls(prompt=prompt, label=label, metadata={"racesdsl_env": inst.env},
                                    group_index=self.sample_group_index, index=self.sample_index))
            self.sample_index += 1
        self.sample_group_index += 1
        return group

    def get_samples(self, num_samples: int) -> list[list[Any]]:
        """`num_samples` groups of `n_samples_per_prompt` samples: buffered groups first."""
        taken, self.buffer = self.buffer[:num_samples], self.buffer[num_samples:]
        return taken + [self._group(self.feed.next()) for _ in range(num_samples - len(taken))]

    def add_samples(self, samples: list[list[Any]]) -> None:
        """slime hands back the groups of an aborted rollout: they are served again first."""
        self.buffer.extend(list(group) for group in samples or [])

    def __len__(self) -> int:
        return self.size

    # -------------------------------------------------------------- state

    def state_dict(self) -> dict[str, Any]:
        return {"feed": self.feed.state_dict(), "sample_group_index": self.sample_group_index,
                "sample_index": self.sample_index,
                "buffer": [[{"label": s.label, "group_index": s.group_index, "index": s.index} for s in g]
                           for g in self.buffer]}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.feed.load_state_dict(state["feed"])
        self.args.racesdsl_feed = self.feed
        self.sample_group_index, self.sample_index = int(state["sample_group_index"]), int(state["sample_index"])
        sample_cls = self.sample_type() if state["buffer"] else None
        self.buffer = []
        for group in state["buffer"]:
            rebuilt = []
            for s in group:
                row = read_label(s["label"], "")
                if isinstance(row, Score):
                    raise ValueError(f"a saved sample's label names no instance: {row.reason}")
                inst = self.feed.instance(row.env, row.seed, row.params, row.id)
                rebuilt.append(sample_cls(prompt=self.prompt_of(inst), label=s["label"],
                                          metadata={"racesdsl_env": inst.env},
                                          group_index=s["group_index"], index=s["index"]))
            self.buffer.append(rebuilt)

    def save(self, rollout_id: Any) -> None:
        """Write the state to `args.save/rollout/racesdsl_data_source_<id>.json`, atomically."""
        if getattr(self.args, "save", None) is None:
            return
        data = json.dumps(self.state_dict(), ensure_ascii=False).encode("utf-8")
        write_atomic(Path(self.args.save) / STATE_FILE.format(rollout_id), lambda fh: fh.write(data))

    def load(self, rollout_id: Any = None) -> None:
        """Restore the state saved at `rollout_id` under `args.load`, when there is one."""
        if getattr(self.args, "load", None) is None or rollout_id is None:
            return
        path = Path(self.args.load) / STATE_FILE.format(rollout_id)
        if path.is_file():
            self.load_state_dict(json.loads(path.read_text(encoding="utf-8")))
