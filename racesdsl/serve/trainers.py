"""The payload shapes of trainers' remote rewards, read as they send them.

- OpenRLHF (`--reward.remote_url`, openrlhf/utils/agent.py `_fetch_rewards_via_http`)
  posts `{"query": [...], "prompts": [...], "labels": [...]}` and reads
  `rewards` (and `scores`, `extra_logs`) from the answer. `query` is the decoded
  prompt + response, so the completion is what follows the prompt.
- slime (`--rm-type remote_rm --rm-url`, slime/rollout/rm_hub `remote_rm`) posts
  one sample `{"prompt", "response", "label"}` and takes the JSON answer as the
  reward (`--reward-key reward` picks the number out of our object).
- NeMo Gym's resources servers answer `POST /verify` with the request echoed
  plus `reward`; the request carries `responses_create_params` and `response`
  (an OpenAI Responses object whose `output` messages hold `output_text` parts).

A label (or `/verify`'s `label`, `verifier_metadata` or top-level fields) names
the instance as racesdsl.integrations.payloads reads it. A row whose label names no valid
instance becomes a 0 Score with the reason here or in the worker; a body of
the wrong shape is a PayloadError (4xx)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from racesdsl.integrations.labels import lenient_row
from racesdsl.integrations.openrlhf import after_prompt, openrlhf_answer
from racesdsl.integrations.payloads import PayloadError, Row, require_list, row_from_item, row_from_label
from racesdsl.runtime.score import Score

__all__ = ["TRAINER_ROUTES", "openrlhf_answer", "openrlhf_rows", "response_text", "slime_answer", "slime_row",
           "timeout_answer", "verify_answer", "verify_row"]

TRAINER_ROUTES = ("openrlhf", "slime", "verify")



# ------------------------------------------------------------------ OpenRLHF


def openrlhf_rows(body: Mapping[str, Any]) -> list[Row | Score]:
    queries = require_list(body, "query")
    labels = require_list(body, "labels")
    prompts = body.get("prompts")
    if prompts is not None and not isinstance(prompts, list):
        raise PayloadError(422, "bad_type", "`prompts` must be a list")
    prompts = prompts if prompts is not None else [None] * len(queries)
    if not len(queries) == len(labels) == len(prompts):
        raise PayloadError(422, "bad_value", f"`query`, `prompts` and `labels` differ in length "
                           f"({len(queries)}, {len(prompts)}, {len(labels)})")
    out: list[Row | Score] = []
    for i, (query, prompt, label) in enumerate(zip(queries, prompts, labels, strict=True)):
        if not isinstance(query, str) or not (prompt is None or isinstance(prompt, str)):
            raise PayloadError(422, "bad_type", f"row {i}: `query` and `prompts` items must be strings", i)
        out.append(lenient_row(row_from_label, label, after_prompt(query, prompt), i))
    return out




# --------------------------------------------------------------------- slime


def slime_row(body: Mapping[str, Any]) -> Row | Score:
    for key in ("response", "label"):
        if key not in body:
            raise PayloadError(422, "missing_field", f"the body has no `{key}` field")
    if not isinstance(body["response"], str):
        raise PayloadError(422, "bad_type", "`response` must be a string")
    return lenient_row(row_from_label, body["label"], body["response"], 0)


def slime_answer(score: Score) -> dict[str, Any]:
    return {"reward": score.value, **score.to_dict()}


# ------------------------------------------------------------ NeMo Gym /verify


def response_text(response: Any) -> str:
    """The text of an OpenAI Responses object: its `output_text`, else the `output_text`
    parts of its assistant messages, joined (what the SDK's `output_text` gives)."""
    if isinstance(response, str):
        return response
    if not isinstance(response, dict):
        raise PayloadError(422, "bad_type", "`response` must be a Responses object or a string")
    if isinstance(response.get("output_text"), str):
        return response["output_text"]
    output = response.get("output")
    if not isinstance(output, list):
        raise PayloadError(422, "bad_type", "`response.output` must be a list of output items")
    texts = []
    for item in output:
        if isinstance(item, dict) and item.get("type", "message") == "message" and \
                item.get("role", "assistant") == "assistant" and isinstance(item.get("content"), list):
            texts.extend(part["text"] for part in item["content"] if isinstance(part, dict)
                         and part.get("type", "output_text") == "output_text" and isinstance(part.get("text"), str))
    return "".join(texts)


def verify_row(body: Mapping[str, Any]) -> Row | Score:
    if "response" not in body:
        raise PayloadError(422, "missing_field", "the body has no `response` field")
    text = response_text(body["response"])
    if "label" in body:
        return lenient_row(row_from_label, body["label"], text, 0)
    if "seed" in body or "instance" in body:
        fields = {k: body[k] for k in ("env", "seed", "params", "instance") if k in body}
        return lenient_row(row_from_item, {**fields, "completion": text}, 0)
    if isinstance(body.get("verifier_metadata"), dict):
        return lenient_row(row_from_label, body["verifier_metadata"], text, 0)
    return Score(0.0, "not scored: the row names no instance (give env and seed, instance, label or "
                 "verifier_metadata)")


def verify_answer(body: Mapping[str, Any], score: Score) -> dict[str, Any]:
    """NeMo Gym's verify response: the request echoed, plus `reward` (and our reason and parts)."""
    return {**body, "reward": score.value, "reason": score.reason, "parts": [p.to_dict() for p in score.parts]}


def timeout_answer(route: str, body: bytes, reason: str) -> bytes | None:
    """What a trainer route answers when its worker missed the deadline: every row 0 with
    the reason, not a 504 (OpenRLHF and slime retry a failed request a few times, then stop
    the run; a verifier that hangs on one completion must not end training). None when
    the body cannot be read here (the 504 stands)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    zero = Score(0.0, f"not scored: {reason}")
    if route == "openrlhf" and isinstance(data.get("query"), list):
        answer = openrlhf_answer([zero] * len(data["query"]))
    elif route == "slime":
        answer = slime_answer(zero)
    elif route == "verify":
        answer = verify_answer(data, zero)
    else:
        return None
    return json.dumps(answer, ensure_ascii=False).encode("utf-8")
