"""Score a trainer's `(label, completion)` pair: the label names the instance.

OpenRLHF and slime hand a reward function each sample's `label`, a dataset
column; pointed at a `verl`-schema export's `extra_info` (or the label the
slime data source writes) it holds the instance's env, seed and params, as
for the reward server's trainer routes. The label is read by the server's
own reader (racesdsl.integrations.payloads.row_from_label, no HTTP involved), so
every path decodes a row the same way, and a label that names no valid
instance scores 0 with the reason instead of raising."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from racesdsl.integrations.payloads import PayloadError, Row, row_from_label
from racesdsl.integrations.registry import Registry
from racesdsl.runtime.score import Score

__all__ = ["lenient_row", "read_label", "score_label"]


def lenient_row(make: Callable[..., Row], *args: Any) -> Row | Score:
    """`make(*args)`, or the 0 Score that says why the payload names no instance (a 422).
    Other PayloadErrors (a body too large, not JSON) are the request's, so they propagate."""
    try:
        return make(*args)
    except PayloadError as exc:
        if exc.status != 422:
            raise
        return Score(0.0, f"not scored: {exc.reason}")


def read_label(label: Any, completion: str) -> Row | Score:
    """The row one trainer sample's label names, or the 0 Score saying why it names none
    (a single sample, so the reason has no row number)."""
    row = lenient_row(row_from_label, label, completion, 0)
    if isinstance(row, Score):
        return Score(0.0, row.reason.replace("not scored: row 0: ", "not scored: ", 1))
    return row


def score_label(registry: Registry, label: Any, completion: Any) -> Score:
    """Verify `completion` against the instance `label` names; never raises. A label
    with an `id` that is not the re-sampled instance's scores 0: the spec changed since
    the prompt was made, so its instance is another task."""
    if not isinstance(completion, str):
        return Score(0.0, f"the completion is not text (got {type(completion).__name__})")
    row = read_label(label, completion)
    if isinstance(row, Score):
        return row
    if row.id is not None:
        try:
            current = registry.instance(row.env, row.seed, row.params).id
        except Exception:  # registry.score below reports an unknown env or bad params with its reason
            current = row.id
        if current != row.id:
            return Score(0.0, f"stale label: instance {row.id} is now {current} (the spec changed since export)")
    return registry.score(row.env, row.seed, row.params, row.completion)
