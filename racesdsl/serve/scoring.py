"""What a worker process does with one request: route, body bytes -> status, body bytes.

The worker holds the environments it loaded itself, so everything that needs
them happens here: env and params checks, re-sampling instances (cached, as
the n rollouts of a GRPO group share one), `env.verify`, and the JSON of the
answer. Doing the parsing and encoding in the workers, not in the server's
event loop, lets batches scale with the number of workers.

Two policies for a row that names no valid instance: the racesdsl endpoints
(`/score`, `/sample`) answer the whole request with a 4xx naming the row, as
an API should; the trainer shapes (OpenRLHF, slime, `/verify`) score that row
0 with the reason, as the verl and TRL reward functions do, because one bad
dataset row must not stop a training run. Malformed bodies are 4xx in both."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from racesdsl.integrations.payloads import (
    MAX_SAMPLES,
    PayloadError,
    Row,
    env_of,
    params_of,
    parse_json,
    require_list,
    row_from_item,
    seed_of,
)
from racesdsl.runtime.composite import Composite
from racesdsl.runtime.env import Environment, Instance, ParamError
from racesdsl.runtime.score import Score
from racesdsl.runtime.seeds import params_key
from racesdsl.runtime.values import to_json_value
from racesdsl.serve import trainers

__all__ = ["MAX_INSTANCES", "Scorer", "encode"]

MAX_INSTANCES = 4096  # re-sampled instances a worker keeps (bounded: memory stays flat)

Env = Environment | Composite


def encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class SampleFailed(RuntimeError):
    """The spec could not sample a valid (env, seed, params): a spec bug, not the client's fault."""


class Scorer:
    """The loaded environments of one worker, and the request handlers that use them."""

    def __init__(self, program: Mapping[str, Env]) -> None:
        self.program = program
        self._instances: dict[tuple[str, int, str], Instance] = {}
        self._handlers: dict[str, Callable[[Any], Any]] = {
            "score": self._score, "sample": self._sample, "openrlhf": self._openrlhf,
            "slime": self._slime, "verify": self._verify}

    def catalog(self) -> dict[str, Any]:
        """`GET /envs`: every loaded environment, its kind, doc and params with defaults."""
        roots = set(getattr(self.program, "roots", ()))
        envs = []
        for name in self.program:
            env = self.program[name]
            composite = isinstance(env, Composite)
            params = env.knob_defaults if composite else {p.name: p.default for p in env.params}
            envs.append({"name": name, "kind": "composite" if composite else "env", "declared": name in roots,
                         "doc": env.doc, "params": to_json_value(dict(params))})
        return {"envs": envs}

    def handle(self, route: str, body: bytes) -> tuple[int, bytes]:
        """Answer one request; never raises (a bug in racesdsl is a 500 with its reason)."""
        try:
            return 200, encode(self._handlers[route](parse_json(body)))
        except PayloadError as exc:
            return exc.status, encode(exc.to_dict())
        except SampleFailed as exc:
            return 500, encode({"error": "spec_bug", "reason": str(exc)})
        except Exception as exc:  # the last guard of the worker loop
            return 500, encode({"error": "internal", "reason": f"{type(exc).__name__}: {exc}"})

    # ----------------------------------------------------------- racesdsl shapes

    def _score(self, body: Any) -> dict[str, Any]:
        body = _object(body)
        items = require_list(body, "items")
        rows = [row_from_item(item, i) for i, item in enumerate(items)]
        return {"scores": [self.score(row, i, strict=True).to_dict() for i, row in enumerate(rows)]}

    def _sample(self, body: Any) -> dict[str, Any]:
        body = _object(body)
        if "seed" not in body:
            raise PayloadError(422, "missing_field", "the body has no `seed`")
        name, seed = env_of(body.get("env"), ""), seed_of(body["seed"], "")
        params = params_of(body.get("params"), "")
        n = body.get("n", 1)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SAMPLES:
            status = 413 if isinstance(n, int) and not isinstance(n, bool) and n > MAX_SAMPLES else 422
            raise PayloadError(status, "bad_value", f"`n` must be an integer in 1..{MAX_SAMPLES}, got {n!r}")
        env = self._env(name, None)
        self._check_params(env, params, None)
        return {"instances": [self._sampled(env, seed + i, params).to_dict() for i in range(n)]}

    # ------------------------------------------------------------ trainer shapes

    def _openrlhf(self, body: Any) -> dict[str, Any]:
        rows = trainers.openrlhf_rows(_object(body))
        scores = [row if isinstance(row, Score) else self.score(row, i, strict=False) for i, row in enumerate(rows)]
        return trainers.openrlhf_answer(scores)

    def _slime(self, body: Any) -> dict[str, Any]:
        row = trainers.slime_row(_object(body))
        return trainers.slime_answer(row if isinstance(row, Score) else self.score(row, 0, strict=False))

    def _verify(self, body: Any) -> dict[str, Any]:
        body = _object(body)
        row = trainers.verify_row(body)
        return trainers.verify_answer(body, row if isinstance(row, Score) else self.score(row, 0, strict=False))

    # ------------------------------------------------------------------ scoring

    def score(self, row: Row, index: int, *, strict: bool) -> Score:
        """`env.verify` of the row's re-sampled instance. A row naming no valid instance
        raises PayloadError when `strict`, else scores 0 with the reason."""
        try:
            env = self._env(row.env, index)
            self._check_params(env, row.params, index)
            inst = self._sampled(env, row.seed, row.params)
            if row.id is not None and row.id != inst.id:
                raise PayloadError(422, "stale_instance",
                                   f"item {index}: the instance id {row.id} is not this spec's ({inst.id}) for its "
                                   "seed and params: the spec changed since it was sampled", index)
        except PayloadError as exc:
            if strict:
                raise
            return Score(0.0, f"not scored: {exc.reason}")
        except SampleFailed as exc:
            return Score(0.0, f"not scored: {exc}")
        return env.verify(inst, row.completion)

    def _env(self, name: str, index: int | None) -> Env:
        try:
            return self.program[name]
        except KeyError:
            from racesdsl.diagnostics import did_you_mean

            hint = did_you_mean(name, list(self.program))
            where = f"item {index}: " if index is not None else ""
            raise PayloadError(422, "unknown_env", f"{where}unknown environment `{name}`" + (
                f"; {hint}" if hint else "") + " (GET /envs lists them)", index) from None

    def _check_params(self, env: Env, params: dict[str, Any], index: int | None) -> None:
        if not params:
            return
        try:
            env.resolve_params(params)
        except Exception as exc:  # ParamError, or a value of a type the checks did not expect
            where = f"item {index}: " if index is not None else ""
            raise PayloadError(422, "bad_params", f"{where}{exc}", index) from None

    def _sampled(self, env: Env, seed: int, params: dict[str, Any]) -> Instance:
        key = (env.qualname, seed, params_key(params) if params else "")
        hit = self._instances.get(key)
        if hit is None:
            try:
                hit = env.sample(seed, **params)
            except ParamError as exc:
                raise PayloadError(422, "bad_params", str(exc)) from None
            except Exception as exc:  # SamplingError, SolverError, a python sampler's bug
                raise SampleFailed(f"cannot sample {env.qualname} at seed {seed}: {type(exc).__name__}: {exc}") \
                    from None
            if len(self._instances) >= MAX_INSTANCES:
                self._instances.clear()
            self._instances[key] = hit
        return hit


def _object(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise PayloadError(422, "bad_type", f"the body must be a JSON object, got {type(body).__name__}")
    return body
