"""Request bodies -> rows to score, checked field by field (worker side).

Every way a body can be wrong becomes a `PayloadError` with an HTTP status
(400 unreadable JSON, 413 too many rows, 422 a field of the wrong shape) and
a reason naming the field, so a client is never answered with a 500 for its
own mistake. Which env and params are valid is decided later, by the worker
that holds the loaded specs (scoring.py).

A row's identity is `(env, seed, params)`: given directly, or as an
`instance` (a line of `racesdsl sample`), or, for the trainer shapes, as a
`label` holding a verl `extra_info` (a dict or its JSON text: what
`racesdsl sample --schema verl` writes), read with the registry's helpers so
every integration decodes a row the same way."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from racesdsl.integrations.registry import DATA_SOURCE_PREFIX, plain, qualname_of, read_json
from racesdsl.integrations.trl import completion_text

__all__ = ["MAX_ROWS", "MAX_SAMPLES", "PayloadError", "Row", "parse_json", "require_list", "row_from_item",
           "row_from_label"]

MAX_ROWS = 4096  # rows a request: more is a 413 (split the batch)
MAX_SAMPLES = 1024  # instances one /sample request may ask for


class PayloadError(ValueError):
    """A malformed request: answered with `status` and a JSON reason."""

    def __init__(self, status: int, code: str, reason: str, index: int | None = None) -> None:
        super().__init__(reason)
        self.status, self.code, self.reason, self.index = status, code, reason, index

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "reason": self.reason}
        if self.index is not None:
            out["index"] = self.index
        return out


class Row(NamedTuple):
    """One completion to score against the instance `(env, seed, params)`; `id` is the
    instance id the client holds, when it sent one (checked against the re-sampled one).
    (A NamedTuple: one is built per row of every batch, it must be cheap.)"""

    env: str
    seed: int
    params: dict[str, Any]
    completion: str
    id: str | None = None


def parse_json(body: bytes) -> Any:
    """The decoded body; 400 when it is not UTF-8 JSON."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(400, "bad_json", f"the body is not JSON: {exc}") from None


def require_object(value: Any, what: str, index: int | None = None) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(422, "bad_type", f"{what} must be a JSON object, got {_kind(value)}", index)
    return value


def require_list(body: Mapping[str, Any], key: str, *, limit: int = MAX_ROWS, min_len: int = 0) -> list[Any]:
    """`body[key]` as a list of at most `limit` items (413 beyond)."""
    if key not in body:
        raise PayloadError(422, "missing_field", f"the body has no `{key}` field")
    value = body[key]
    if not isinstance(value, list):
        raise PayloadError(422, "bad_type", f"`{key}` must be a list, got {_kind(value)}")
    if len(value) > limit:
        raise PayloadError(413, "too_many_rows", f"`{key}` has {len(value)} items; at most {limit} a request")
    if len(value) < min_len:
        raise PayloadError(422, "bad_value", f"`{key}` must not be empty")
    return value


def seed_of(value: Any, where: str, index: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(422, "bad_type", f"{where}`seed` must be an integer, got {_kind(value)}", index)
    return value


def params_of(value: Any, where: str, index: int | None = None) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(422, "bad_type", f"{where}`params` must be an object, got {_kind(value)}", index)
    return dict(value)


def env_of(value: Any, where: str, index: int | None = None) -> str:
    if not isinstance(value, str) or not value:
        raise PayloadError(422, "missing_field" if value is None else "bad_type",
                           f"{where}`env` must be an environment name, got {_kind(value)}", index)
    return qualname_of(value)


def row_from_item(item: Any, index: int) -> Row:
    """A /score item: `{env, completion, instance}` or `{env, completion, seed, params?}`."""
    if type(item) is dict and "instance" not in item:  # the common shape, checked in one go
        env, seed, completion, params = item.get("env"), item.get("seed"), item.get("completion"), item.get("params")
        if type(env) is str and env and type(seed) is int and type(completion) is str and \
                (params is None or type(params) is dict) and not env.startswith(DATA_SOURCE_PREFIX):
            return Row(env, seed, params or {}, completion)
    where = f"item {index}: "
    item = require_object(item, f"item {index}", index)
    completion = _completion(item.get("completion"), where, index)
    instance = item.get("instance")
    if instance is not None:
        instance = require_object(instance, f"{where}`instance`", index)
        env = env_of(item.get("env", instance.get("env")), where, index)
        if "env" in instance and not _same_env(str(instance["env"]), env):
            raise PayloadError(422, "bad_value", f"{where}`env` is {env} but the instance is of {instance['env']}",
                               index)
        if "seed" not in instance:
            raise PayloadError(422, "missing_field", f"{where}the instance has no `seed`", index)
        iid = instance.get("id")
        return Row(env, seed_of(instance["seed"], where + "instance ", index),
                   params_of(instance.get("params"), where + "instance ", index), completion,
                   iid if isinstance(iid, str) else None)
    if "seed" not in item:
        raise PayloadError(422, "missing_field", f"{where}give `instance` or `seed` (and `params`)", index)
    return Row(env_of(item.get("env"), where, index), seed_of(item["seed"], where, index),
               params_of(item.get("params"), where, index), completion)


def row_from_label(label: Any, completion: str, index: int) -> Row:
    """A trainer row: `label` is a verl extra_info (`{env, seed, params, ...}`, a dict or
    JSON text, params itself JSON text or an object), or a /score item without completion."""
    where = f"row {index}: "
    try:
        info = read_json(label)
    except ValueError:
        raise PayloadError(422, "bad_label", f"{where}the label is not JSON: {str(label)[:80]!r}", index) from None
    if not isinstance(info, dict):
        raise PayloadError(422, "bad_label", f"{where}the label must hold an object with env, seed and params "
                           f"(a verl extra_info), got {_kind(info)}", index)
    if isinstance(info.get("instance"), dict):
        return row_from_item({**info, "completion": completion}, index)
    if "seed" not in info:
        raise PayloadError(422, "bad_label", f"{where}the label has no `seed`", index)
    try:
        params = read_json(info.get("params")) if info.get("params") is not None else {}
    except ValueError:
        raise PayloadError(422, "bad_label", f"{where}the label's `params` is not JSON", index) from None
    iid = info.get("id")
    return Row(env_of(info.get("env"), where, index), seed_of(plain(info["seed"]), where, index),
               params_of(params, where, index), completion, iid if isinstance(iid, str) else None)


def _completion(value: Any, where: str, index: int) -> str:
    if value is None:
        raise PayloadError(422, "missing_field", f"{where}no `completion`", index)
    text = completion_text(value)  # a string, or chat messages (the last assistant message)
    if text is None:
        raise PayloadError(422, "bad_type", f"{where}`completion` must be text or chat messages, "
                           f"got {_kind(value)}", index)
    return text


def _same_env(a: str, b: str) -> bool:
    """`lists.sort_list` and `sort_list` name the same env (a short name is resolved later)."""
    a, b = qualname_of(a), qualname_of(b)
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
            int: "an integer", float: "a number"}.get(type(value), type(value).__name__)
