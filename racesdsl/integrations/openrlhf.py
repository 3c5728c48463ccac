"""OpenRLHF's reward-function file: `--reward.remote_url` = this file's path.

OpenRLHF (openrlhf/utils/agent.py, `SingleTurnAgentExecutor`) treats a
`--reward.remote_url` ending in `.py` as a file to import by path (as module
`reward_func`), and calls its `reward_func(queries, prompts, labels)` in a
worker thread, one sample a call. `queries` are the decoded prompt+response
texts, `prompts` the prompts, `labels` the `--data.label_key` column: point
it at a `verl`-schema export's `extra_info`, which names each row's instance.
It reads `rewards`, `scores` and `extra_logs` from the returned dict; the
answer is exactly what `racesdsl serve`'s `/openrlhf` route returns (lists of
floats, as OpenRLHF's own HTTP reward path gets them, so no torch here), plus
`reasons` and `parts` for people.

The file is imported by path, so it uses absolute imports only. Environments
come from RACESDSL_SPECS / RACESDSL_PACKAGES (set them where the Ray workers
run); `make_reward_func(specs=...)` binds its own."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from racesdsl.integrations.labels import score_label
from racesdsl.integrations.registry import Registry, default_registry
from racesdsl.runtime.score import Score

__all__ = ["after_prompt", "make_reward_func", "openrlhf_answer", "reward_func", "score_batch"]


def after_prompt(query: str, prompt: str | None) -> str:
    """The response part of OpenRLHF's decoded query: the text after the prompt (the whole
    query when the prompt is not found in it, e.g. after truncation)."""
    if not prompt:
        return query
    at = query.find(prompt)
    return query[at + len(prompt):] if at >= 0 else query


def openrlhf_answer(scores: list[Score]) -> dict[str, Any]:
    """`rewards` and `scores` as OpenRLHF reads them; reasons and parts for people."""
    values = [s.value for s in scores]
    return {"rewards": values, "scores": values,
            "extra_logs": {"racesdsl_correct": [float(s.value == 1.0) for s in scores]},
            "reasons": [s.reason for s in scores], "parts": [[p.value for p in s.parts] for s in scores]}



def score_batch(registry: Registry, queries: Sequence[Any], prompts: Sequence[Any] | None,
                labels: Sequence[Any]) -> list[Score]:
    """One Score per query: the response is the query's text after its prompt; never raises."""
    try:
        n = len(queries)
        prompts = list(prompts) if prompts is not None else [None] * n
        labels = list(labels)
    except Exception as exc:
        return [Score(0.0, f"unreadable batch: {type(exc).__name__}: {exc}")]
    out = []
    for i in range(n):
        query = queries[i]
        prompt = prompts[i] if i < len(prompts) and isinstance(prompts[i], str) else None
        if i >= len(labels):
            out.append(Score(0.0, "not scored: the batch has fewer labels than queries"))
        elif not isinstance(query, str):
            out.append(Score(0.0, f"the query is not text (got {type(query).__name__})"))
        else:
            out.append(score_label(registry, labels[i], after_prompt(query, prompt)))
    return out


def reward_func(queries: Sequence[Any], prompts: Sequence[Any], labels: Sequence[Any], **kwargs: Any) -> dict:
    """OpenRLHF's entry point: `{"rewards", "scores", "extra_logs", "reasons", "parts"}`."""
    return openrlhf_answer(score_batch(default_registry(), queries, prompts, labels))


def make_reward_func(specs: Any = None, packages: Any = None, *, stdlib: bool = True) -> Callable[..., dict]:
    """A `reward_func` bound to its own registry, for a two-line reward file:
    `reward_func = make_reward_func(specs=["my_envs/"])`."""
    registry = Registry(specs or (), packages or (), stdlib=stdlib)

    def bound(queries: Sequence[Any], prompts: Sequence[Any], labels: Sequence[Any], **kwargs: Any) -> dict:
        return openrlhf_answer(score_batch(registry, queries, prompts, labels))

    bound.__name__ = bound.__qualname__ = "reward_func"
    bound.__doc__ = reward_func.__doc__
    return bound
