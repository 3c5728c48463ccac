"""One run of a composite's chain: the stages, what each produced, and the
per-stage work done once per (stage, params) rather than once per instance.

Split from runtime.composite so that composite_prompts (prompts and scoring)
and composite (the `Composite` class) both build on it without a circle."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from racesdsl.runtime import derived
from racesdsl.runtime.env import MAX_TRIES, Environment, ParamError, _Compiled
from racesdsl.runtime.score import Score
from racesdsl.runtime.types import (
    TBool,
    TEnum,
    TFloat,
    TInt,
    TList,
    TMap,
    TOptional,
    TRecord,
    TSet,
    TStr,
    TTuple,
    TType,
    mismatch,
)
from racesdsl.runtime.values import to_json_value
from racesdsl.runtime.verifiers import make_verifier

if TYPE_CHECKING:
    from racesdsl.runtime.composite import Composite

MAX_TAG_SCAN = 64 * 1024
LABELS = "ABCDEFGH"
MAX_MEMO = 4096  # per-stage (params -> resolved) entries kept (bounded: params sweeps must not grow memory)


def remember(cache: dict, key: Any, value: Any, limit: int = MAX_MEMO) -> Any:
    """Store `value` under `key` in a bounded memo and return it; a full memo starts over."""
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value
    return value


class _Redraw(Exception):
    """A later stage's `where` failed on a computed input: draw the chain again."""


@dataclass(eq=False)
class Stage:
    """One occurrence of an env (or a nested composite) inside a composite."""

    env: Environment | Composite
    label: str
    fixed: dict[str, Any] = field(default_factory=dict)  # params fixed to one value
    knobs: dict[str, str] = field(default_factory=dict)  # param -> the composite's knob name
    port: str | None = None
    length_params: dict[str, str] = field(default_factory=dict)  # input -> param that is its exact length
    prefix: str | None = None  # a named composite's knobs appear in ours as `prefix.knob`
    # params -> (resolved params, compiled, param values in order): see `_resolved`
    _memo: dict[tuple, tuple] = field(default_factory=dict, repr=False)
    # (incoming type, compiled) -> whether every value of that type fits the fed input: see `_proved`
    _proofs: dict[tuple[int, int], tuple] = field(default_factory=dict, repr=False)


@dataclass(slots=True)
class _Run:
    """What one stage produced for one instance."""

    label: str
    env: Environment | Composite
    params: dict[str, Any]
    inputs: dict[str, Any]
    bound: dict[str, str]  # input -> words describing where its value comes from
    output: Any
    children: list[_Run] = field(default_factory=list)
    stage: Stage | None = None
    tag: str = ""  # how the prompt labels this run inside a nested composite: a, b.2, ...
    shown: list[int] | None = None  # the order a nested `sort` lists its children in
    out_type: TType | None = None  # the type of `output`, when known at creation
    compiled: _Compiled | None = None  # a base env's compiled form at `params`


def _tag(path: str, position: int, op: str) -> str:
    """The label of a nested composite's sub-step: `a`, `b`... (a par's parts `1`, `2`...)
    under a top-level step, `b.1`, `b.2`... under `(b)`: labels never repeat within a step."""
    if path:
        return f"{path}.{position + 1}"
    return str(position + 1) if op == "par" else chr(97 + position)


_NOUNS = {TInt: "number", TFloat: "number", TBool: "truth value", TStr: "text", TEnum: "word",
          TList: "list", TSet: "set", TTuple: "list", TRecord: "record", TMap: "map", TOptional: "result"}


def _noun(t: TType) -> str:
    return _NOUNS.get(type(t), "result")


def _output_type(run: _Run) -> TType:
    """The type of what a run produced: a par gives a tuple of its parts' types."""
    if run.out_type is not None:
        return run.out_type
    if isinstance(run.env, Environment):
        return run.env._compiled(run.params).types.output
    if run.env.op == "par":
        return TTuple(tuple(_output_type(child) for child in run.children))
    return _output_type(run.children[-1])


def _run_stage(stage: Stage, rng: random.Random, params: dict[str, Any], incoming: Any,
               source: str | None, depth: int = 1, tag: str = "", seed: int = -1,
               in_type: TType | None = None) -> _Run:
    """Run one stage on the value it is fed (`in_type`, when known, is the type that value
    was checked against as the previous stage's output)."""
    env = stage.env
    if not isinstance(env, Environment):
        run = env._run(rng, params, incoming, source, depth, tag, seed)
        run.label, run.tag = stage.label, tag
        return run
    fed: dict[str, Any] = {}
    bound: dict[str, str] = {}
    if incoming is not None:
        fed = _destructure(env, stage.port, incoming)
        bound = {n: source if len(fed) == 1 else f"{_part(n, i, incoming)} of {source}" for i, n in enumerate(fed)}
        if stage.length_params:
            params = dict(params)
            infer_lengths(stage, params, fed)
    values, comp, param_values = _resolved(stage, env, params)
    trusted = len(fed) == 1 and in_type is not None and _proved(stage, in_type, comp, next(iter(fed)))
    if trusted and len(env.input_names) == 1 and not env.wheres and not env.derived:  # nothing to draw or check
        inputs = fed
    else:
        inputs = _draw_rest(env, rng, values, comp, {} if trusted else fed, param_values, seed,
                            fed if trusted else None)
    output = env._solve(inputs, values, comp, seed)
    return _Run(stage.label, env, values, inputs, bound, output, stage=stage, tag=tag,
                out_type=comp.types.output, compiled=comp)


def _resolved(stage: Stage, env: Environment, params: dict[str, Any]) -> tuple:
    """Validated params, the compiled env and the draw's fixed parts, once per params value."""
    key = tuple(params.items())
    hit = stage._memo.get(key)
    if hit is None:
        try:
            values = env.resolve_params(params)
        except ParamError as exc:
            raise _Redraw() from exc
        comp = env._compiled(values)
        hit = remember(stage._memo, key, (values, comp, [values[p.name] for p in env.params]))
    return hit


def _proved(stage: Stage, in_type: TType, comp: _Compiled, name: str) -> bool:
    """Whether every value of `in_type` inhabits input `name` at these params, so a value
    already checked against `in_type` needs no second check (decided once per type pair:
    a subtype of the same kinds all the way down, so no int-for-float or Any loophole)."""
    key = (id(in_type), id(comp))
    hit = stage._proofs.get(key)
    if hit is None or hit[0] is not in_type or hit[1] is not comp:
        target = comp.types.inputs[name]
        hit = remember(stage._proofs, key, (in_type, comp, mismatch(in_type, target) is None and
                                            _kinds(in_type) == _kinds(target)))
    return hit[2]


def _kinds(t: TType) -> Any:
    """The shape of a type, ranges left out: which kind sits where."""
    if isinstance(t, TList | TSet):
        return type(t), _kinds(t.elem)
    if isinstance(t, TTuple):
        return TTuple, tuple(_kinds(x) for x in t.items)
    if isinstance(t, TRecord):
        return TRecord, tuple((n, _kinds(ft)) for n, ft in t.fields)
    return type(t)


def infer_lengths(stage: Stage, params: dict[str, Any], fed: Mapping[str, Any]) -> None:
    """Exact-length params (`len=n`) of fed inputs take the value's length, unless fixed."""
    for name, param in stage.length_params.items():
        if name in fed and param not in stage.fixed and hasattr(fed[name], "__len__"):
            params[param] = len(fed[name])


def _part(name: str, index: int, incoming: Any) -> str:
    return f"the field {name}" if isinstance(incoming, dict) else f"item {index + 1}"


def _destructure(env: Environment, port: str | None, value: Any) -> dict[str, Any]:
    names = env.input_names
    if port is not None:
        return {port: value}
    if len(names) == 1:
        return {names[0]: value}
    if isinstance(value, dict):
        return {n: value[n] for n in names}
    return dict(zip(names, value, strict=True))


def _draw_rest(env: Environment, rng: random.Random, params: dict[str, Any], comp: _Compiled,
               fed: dict[str, Any], param_values: list[Any], seed: int,
               trusted: dict[str, Any] | None = None) -> dict[str, Any]:
    """Draw the unfed inputs until every `where` holds; fed inputs are fixed (`trusted` ones
    are known to fit their input's type: see `_proved`)."""
    if env.derived:  # draws, lets, shapes: fed values are kept, their dependent types checked
        values = derived.draw_until(env, rng, params, comp, {**(trusted or {}), **fed}, seed)
        if values is None:
            raise _Redraw()
        return values
    names = env.input_names
    unfed = len(fed) + len(trusted or ()) < len(names)
    checks = comp.input_checks
    for _ in range(MAX_TRIES if unfed else 1):
        # A custom sampler draws every input; the fed ones are then replaced.
        inputs = env._draw_once(rng, params, comp, seed) if unfed else {}
        if trusted:
            inputs.update(trusted)
        if fed:
            inputs.update(fed)
            for name in fed:
                if checks[name](inputs[name]) is not None:
                    raise _Redraw()
        if not env.wheres:
            return inputs if len(inputs) == 1 or list(inputs) == names else {n: inputs[n] for n in names}
        args = [inputs[n] for n in names] + param_values
        if all(fn(*args) for _, fn in env.wheres):
            return {n: inputs[n] for n in names}
    raise _Redraw()


def stage_verifier(env: Environment, comp: _Compiled) -> Callable[[str, Any, dict, dict], Score]:
    """The stage's own verifier, reading its answer from `<answer>` tags (composites
    wrap each step's block in them before calling it); built once per compiled params."""
    verifier = comp.tag_verifier
    if verifier is None:
        verifier = comp.tag_verifier = make_verifier(env.verify_kind, comp.types.output, "tags", eps=env.eps,
                                                     python_fn=env.verify_fn())
    return verifier


def to_json(value: Any) -> str:
    return json.dumps(to_json_value(value), ensure_ascii=False)
