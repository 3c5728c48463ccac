"""TRL without a static dataset: a `datasets.IterableDataset` streamed from a `Feed`
(a fixed mix or a curriculum), and the reward function that scores its rows and
reports the rewards back to the feed's controller.

TRL's `GRPOTrainer` takes an `IterableDataset` since 1.9 (with `max_steps`
set; it forces `dataloader_num_workers=0`, so the stream is read in the
training process, where the reward function reports). Rows are `trl`-schema
rows (export.py), so `racesdsl.integrations.trl.reward_function` scores them
too; `make_stream_reward_function` adds the curriculum's feedback."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from racesdsl.integrations import export
from racesdsl.integrations.feed import Feed
from racesdsl.integrations.trl import RewardFunction, _column, _safe_len, _values, completion_text, log_scores
from racesdsl.runtime.score import Score

__all__ = ["iterable_dataset", "make_stream_reward_function", "rows"]


def rows(feed: Feed) -> Iterator[dict[str, Any]]:
    """`trl`-schema rows of the feed's instances, without end (lineage included)."""
    return export.from_plain((inst.to_dict() for inst in feed), "trl", program=feed.program)


def iterable_dataset(feed: Feed) -> Any:
    """A `datasets.IterableDataset` over `rows(feed)`. Each pass continues the feed
    (it never restarts), and the generator holds the feed itself, so the rewards
    the reward function reports steer what the dataset yields next."""
    try:
        from datasets import IterableDataset
    except ImportError:
        raise ImportError("an iterable dataset needs datasets: pip install 'racesdsl[hf]'") from None

    def generate() -> Iterator[dict[str, Any]]:
        yield from rows(feed)

    return IterableDataset.from_generator(generate)


def make_stream_reward_function(feed: Feed, *, name: str = "racesdsl_reward") -> RewardFunction:
    """A TRL reward function for the feed's rows: verifies each completion against its
    instance (by the `id` column, else re-sampled from `env`, `seed`, `params`),
    reports the reward to the feed's controller and logs the reasons (`log_extra`).
    Never raises."""

    def reward(prompts: Sequence[Any] | None, completions: Sequence[Any], **kwargs: Any) -> list[float]:
        n = _safe_len(completions)
        try:
            ids, envs, seeds, params = (_column(kwargs, key, n) for key in ("id", "env", "seed", "params"))
            scores = [feed.score(envs[i], seeds[i], params[i], completion_text(completions[i]), ids[i])
                      for i in range(n)]
        except Exception as exc:  # feed.score never raises; this guards the column reads
            scores = [Score(0.0, f"unreadable batch: {type(exc).__name__}: {exc}")] * n
        log_scores(scores, kwargs, name)
        return _values(scores, n)

    reward.__name__ = reward.__qualname__ = name
    return reward
