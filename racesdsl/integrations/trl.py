"""A reward function for TRL's `GRPOTrainer(reward_funcs=[reward_function])`.

TRL calls a reward function with the prompts, the completions and every
other dataset column as a keyword list (one value per completion). A
`trl`-schema export has the columns that identify each instance (`env`,
`seed`, `params`, `answer`), so the function rebuilds the instance through the
registry and verifies the completion. It never raises: a completion that
cannot be scored gets 0.0, because one bad row must not stop training.

TRL >= 1.0 also passes `log_extra` and `log_metric` callables: each
completion's reason then goes to the completions table (column
`<name>_reason`) and the fraction fully correct to the metrics
(`<name>_correct`), `<name>` being the function's `__name__`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from racesdsl.integrations.registry import Registry, default_registry
from racesdsl.runtime.score import Score, printable

__all__ = ["completion_text", "log_scores", "make_reward_function", "reward_function", "score_completions"]

RewardFunction = Callable[..., list[float]]
NO_ENV_COLUMN = "the dataset has no `env` column (export with --schema trl)"


def reward_function(prompts: Sequence[Any] | None, completions: Sequence[Any], **kwargs: Any) -> list[float]:
    """Scores in [0, 1], one per completion; environments come from RACESDSL_SPECS /
    RACESDSL_PACKAGES (and the stdlib)."""
    scores = score_completions(default_registry(), completions, kwargs)
    log_scores(scores, kwargs, "reward_function")
    return _values(scores, _safe_len(completions))


def make_reward_function(specs: Any = None, packages: Any = None, *, name: str = "racesdsl_reward",
                         stdlib: bool = True) -> RewardFunction:
    """A reward function bound to its own registry. TRL logs each reward under the
    function's `__name__`, so it is set (a lambda or partial would log badly)."""
    registry = Registry(specs or (), packages or (), stdlib=stdlib) if specs or packages else None

    def reward(prompts: Sequence[Any] | None, completions: Sequence[Any], **kwargs: Any) -> list[float]:
        scores = score_completions(registry or default_registry(), completions, kwargs)
        log_scores(scores, kwargs, name)
        return _values(scores, _safe_len(completions))

    reward.__name__ = reward.__qualname__ = name
    reward.__doc__ = reward_function.__doc__
    return reward


def score_completions(registry: Registry, completions: Sequence[Any], columns: Mapping[str, Any]) -> list[Score]:
    """The full Score (reason, parts) of each completion; never raises."""
    try:
        n = len(completions)
        envs, seeds, params, answers = (_column(columns, key, n) for key in ("env", "seed", "params", "answer"))
    except Exception as exc:
        return [Score(0.0, f"unreadable batch: {type(exc).__name__}: {exc}")] * _safe_len(completions)
    out = []
    for i in range(n):
        try:
            text = completion_text(completions[i])
            if envs[i] is None:
                registry.warn_once("no-env-column", NO_ENV_COLUMN)
                out.append(Score(0.0, NO_ENV_COLUMN))
            elif text is None:
                out.append(Score(0.0, f"cannot read the completion ({type(completions[i]).__name__})"))
            else:
                out.append(registry.score(envs[i], seeds[i], params[i], text, answers[i]))
        except Exception as exc:  # registry.score never raises; this guards the column reads
            out.append(Score(0.0, f"reward error: {type(exc).__name__}: {exc}"))
    return out


def log_scores(scores: Sequence[Score], kwargs: Mapping[str, Any], name: str) -> None:
    """Hand the reasons to TRL's `log_extra(column, values)` (one per completion) and the
    fraction fully correct to `log_metric(name, value)`, when TRL passes them. Every call
    logs the same keys, as TRL asks for across processes. A failing logger is ignored:
    logging must not stop training."""
    log_extra, log_metric = kwargs.get("log_extra"), kwargs.get("log_metric")
    try:
        if callable(log_extra):
            log_extra(f"{name}_reason", [printable(s.reason) for s in scores])
        if callable(log_metric) and scores:
            log_metric(f"{name}_correct", sum(s.value == 1.0 for s in scores) / len(scores))
    except Exception:  # the rewards matter, the log line does not
        pass


def completion_text(completion: Any) -> str | None:
    """The text to verify: a string as is; for chat messages (`[{"role": "assistant",
    "content": ...}]`) the last assistant message's content (text parts joined)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return _content(completion.get("content"))
    if isinstance(completion, Sequence) or hasattr(completion, "tolist"):
        messages = [m for m in (completion.tolist() if hasattr(completion, "tolist") else completion)
                    if isinstance(m, Mapping)]
        if not messages:
            return None
        assistant = [m for m in messages if m.get("role") == "assistant"]
        return _content((assistant or messages)[-1].get("content"))
    return None


def _content(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):  # multimodal form: [{"type": "text", "text": ...}, ...]
        texts = [p.get("text") for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str)]
        return "".join(texts) if texts else None
    return None


def _column(columns: Mapping[str, Any], key: str, n: int) -> list[Any]:
    """A dataset column as a list of n values (None where it is missing or short)."""
    value = columns.get(key)
    if value is None:
        return [None] * n
    if isinstance(value, str | bytes | int | float):  # one value for the whole batch
        return [value] * n
    items = list(value.tolist() if hasattr(value, "tolist") else value)
    return (items + [None] * n)[:n]


def _safe_len(items: Any) -> int:
    try:
        return len(items)
    except Exception:
        return 0


def _values(scores: list[Score], n: int) -> list[float]:
    values = [float(s.value) for s in scores]
    return (values + [0.0] * n)[:n]
