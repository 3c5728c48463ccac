"""Composite environments at run time: `seq`, `par`, `sort`, `select`.

A composite is an environment again: `sample(seed, **knobs)` gives an
`Instance`, `verify(instance, completion)` a `Score` with one part per stage.
Only the first stage's inputs and the unfed inputs of later stages are drawn;
every fed input is the previous stage's reference answer, so instances stay
deterministic. Answer format (docs/composition.md): `seq` reports every step
in `<step1>...</step1>` tags, `par` every part in `<part1>...</part1>`,
`sort` the final result in `<answer>`, `select` a JSON list of step labels."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from racesdsl.runtime.env import (
    _KIND_CHECKS,
    _KIND_WORDS,
    MAX_TRIES,
    Environment,
    Instance,
    ParamError,
    ParamSpec,
    _Compiled,
)
from racesdsl.runtime.levels import params_at_level
from racesdsl.runtime.pickling import reduce_env
from racesdsl.runtime.rng import new_rng
from racesdsl.runtime.score import Score, error_score
from racesdsl.runtime.seeds import identity, params_key
from racesdsl.runtime.template_limits import TemplateError
from racesdsl.runtime.types import TBool, TEnum, TFloat, TInt, TList, TRecord, TSet, TStr, TTuple, TType
from racesdsl.runtime.values import SamplingError, to_json_value
from racesdsl.runtime.verifiers import make_verifier

MAX_TAG_SCAN = 64 * 1024
LABELS = "ABCDEFGH"


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


@dataclass
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


def _tag(path: str, position: int, op: str) -> str:
    """The label of a nested composite's sub-step: `a`, `b`... (a par's parts `1`, `2`...)
    under a top-level step, `b.1`, `b.2`... under `(b)`: labels never repeat within a step."""
    if path:
        return f"{path}.{position + 1}"
    return str(position + 1) if op == "par" else chr(97 + position)


def _noun(t: TType) -> str:
    return {TInt: "number", TFloat: "number", TBool: "truth value", TStr: "text", TEnum: "word",
            TList: "list", TSet: "set", TTuple: "list", TRecord: "record"}.get(type(t), "result")


@dataclass(eq=False)
class Composite:
    """A checked `compose` declaration, ready to sample and verify."""

    qualname: str
    doc: str
    op: str  # seq | par | sort | select
    stages: list[Stage]
    knob_defaults: dict[str, Any]
    knob_ranges: dict[str, tuple[Any, Any] | None]
    reward: str = "prefix"
    distractors: list[Stage] = field(default_factory=list)
    _verifiers: dict[tuple, Any] = field(default_factory=dict, repr=False)
    _lazy: dict[str, Any] = field(default_factory=dict, repr=False)  # per-composite caches (level maps, plans)
    pickle_ref: tuple | None = field(default=None, repr=False)  # set by load(); see runtime.pickling

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    def __reduce__(self) -> tuple:
        """Pickled by reference, as environments are (runtime.pickling)."""
        return reduce_env(self)

    # ------------------------------------------------------------------ knobs

    def resolve_params(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        values = dict(self.knob_defaults)
        for name, value in (overrides or {}).items():
            if name not in values:
                raise ParamError(f"{self.name} has no knob `{name}` (its knobs: {', '.join(values) or 'none'})")
            spec = self._knob_param(name)
            if spec is not None and not _KIND_CHECKS[spec.kind](value):
                raise ParamError(f"knob `{name}` of {self.name} must be {_KIND_WORDS[spec.kind]}, got {value!r:.80}")
            bounds = self.knob_ranges.get(name)
            if bounds is not None and not (isinstance(value, (int, float)) and bounds[0] <= value <= bounds[1]):
                raise ParamError(f"knob `{name}` of {self.name} must lie in {bounds[0]}..{bounds[1]}, got {value!r}")
            values[name] = value
        return values

    def _knob_param(self, name: str) -> ParamSpec | None:
        """The param a knob sets, found through the stages (a named composite's under its prefix)."""
        for stage in self.stages:
            if isinstance(stage.env, Composite):
                prefix = stage.prefix or ""  # an inline operator shares our knob names
                found = stage.env._knob_param(name[len(prefix):]) if name.startswith(prefix) else None
                if found is not None:
                    return found
                continue
            param = next((p for p, k in stage.knobs.items() if k == name), None)
            if param is not None:
                return next(p for p in stage.env.params if p.name == param)
        return None

    def _stage_params(self, stage: Stage, knobs: Mapping[str, Any]) -> dict[str, Any]:
        params = dict(stage.fixed)
        params.update({p: knobs[k] for p, k in stage.knobs.items()})
        return params

    # --------------------------------------------------------------- running

    def _run(self, rng: random.Random, knobs: Mapping[str, Any], incoming: Any, source: str | None,
             depth: int = 0, path: str = "") -> _Run:
        """Run this composite on a value (or on nothing, as an outermost composite).
        Steps are numbered at the top level; a nested composite's sub-steps are labelled
        under `path`, its own label (see `_tag`). A nested `sort` draws the order it lists
        its steps in here, so the words that name a step use the label it is shown with."""
        count = len(self.stages)
        shown = list(range(count))
        if self.op == "sort" and depth > 0:
            rng.shuffle(shown)
        tags = [""] * count if depth == 0 else [_tag(path, shown.index(i), self.op) for i in range(count)]
        children: list[_Run] = []
        if self.op == "par":
            parts = list(incoming) if incoming is not None else [None] * count
            for i, (stage, value) in enumerate(zip(self.stages, parts, strict=True)):
                words = None if incoming is None else f"item {i + 1} of {source}"
                children.append(_run_stage(stage, rng, self._sub(stage, knobs), value, words, depth + 1, tags[i]))
            output = tuple(c.output for c in children)
        else:
            value, words = incoming, source
            for step, stage in enumerate(self.stages, 1):
                run = _run_stage(stage, rng, self._sub(stage, knobs), value, words, depth + 1, tags[step - 1])
                children.append(run)
                if depth == 0:
                    words = f"the {_noun(_output_type(run))} you obtained in step {step}"
                elif self.op == "sort":
                    words = f"the result of ({run.tag})"
                else:
                    words = f"the {_noun(_output_type(run))} you obtained in ({run.tag})"
                value = run.output
            output = value
        return _Run(self.name, self, dict(knobs), {}, {}, output, children, shown=shown)

    def _sub(self, stage: Stage, knobs: Mapping[str, Any]) -> dict[str, Any]:
        """Knob values a stage sees: its own params, or a nested composite's knobs."""
        if isinstance(stage.env, Composite):
            if stage.prefix is None:  # an inline operator shares our knob names
                return dict(knobs)
            return {k[len(stage.prefix):]: v for k, v in knobs.items() if k.startswith(stage.prefix)}
        return self._stage_params(stage, knobs)

    def _sample_run(self, seed: int, knobs: Mapping[str, Any]) -> tuple[_Run, str, Any, dict, dict, str]:
        """Everything about one instance; re-running it rebuilds the same instance."""
        from racesdsl.runtime.composite_prompts import describe

        rng_seed, iid = identity(self.qualname, seed, params_key(knobs))
        rng = new_rng(rng_seed)
        for _ in range(MAX_TRIES):
            try:
                run = self._run(rng, knobs, None, None)
                break
            except _Redraw:
                continue
        else:
            raise SamplingError(f"{self.name}: no chain satisfied every stage's `where` in {MAX_TRIES} tries "
                                f"(seed {seed}, knobs {dict(knobs)})")
        try:
            prompt, answer, extra, pool = describe(self, run, rng)
        except TemplateError as exc:
            raise exc.at(seed, dict(knobs)) from None
        return run, prompt, answer, extra, pool, iid

    def sample(self, seed: int, level: float | None = None, **params: Any) -> Instance:
        """One instance, a pure function of (composite, seed, knobs); `level` in [0, 1]
        sets every knob not given by name (runtime.levels.params_at_level)."""
        if level is not None:
            params = params_at_level(self, level, **params)
        knobs = self.resolve_params(params)
        run, prompt, answer, extra, _, iid = self._sample_run(seed, knobs)
        first = run.children[0] if run.children else None
        while first is not None and first.children:  # a composite as the first stage: its first env's
            first = first.children[0]
        inputs = dict(first.inputs) if first is not None else {}
        inputs.update(extra)
        return Instance(self.qualname, seed, knobs, inputs, prompt, answer, iid)

    def verify(self, instance: Instance, completion: str) -> Score:
        from racesdsl.runtime.composite_prompts import score

        try:
            return score(self, instance, completion)
        except Exception as exc:  # a verifier never raises: report it as a zero with the reason
            return error_score(exc)

    def render_answer(self, answer: Any, **params: Any) -> str:
        from racesdsl.runtime.composite_prompts import render

        return render(self, answer)


def _output_type(run: _Run) -> TType:
    """The type of what a run produced: a par gives a tuple of its parts' types."""
    if isinstance(run.env, Composite):
        if run.env.op == "par":
            return TTuple(tuple(_output_type(child) for child in run.children))
        return _output_type(run.children[-1])
    return run.env._compiled(run.params).types.output


def _run_stage(stage: Stage, rng: random.Random, params: dict[str, Any], incoming: Any,
               source: str | None, depth: int = 1, tag: str = "") -> _Run:
    env = stage.env
    if isinstance(env, Composite):
        run = env._run(rng, params, incoming, source, depth, tag)
        run.label, run.tag = stage.label, tag
        return run
    fed: dict[str, Any] = {}
    bound: dict[str, str] = {}
    if incoming is not None:
        fed = _destructure(env, stage.port, incoming)
        bound = {n: source if len(fed) == 1 else f"{_part(n, i, incoming)} of {source}" for i, n in enumerate(fed)}
    infer_lengths(stage, params, fed)
    try:
        values = env.resolve_params(params)
    except ParamError as exc:
        raise _Redraw() from exc
    comp = env._compiled(values)
    inputs = _draw_rest(env, rng, values, comp, fed)
    output = env._solve(inputs, values, comp, -1)
    return _Run(stage.label, env, values, inputs, bound, output, stage=stage, tag=tag)


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
               fed: dict[str, Any]) -> dict[str, Any]:
    """Draw the unfed inputs until every `where` holds; fed inputs are fixed."""
    param_values = [params[p.name] for p in env.params]
    unfed = [n for n in env.input_names if n not in fed]
    for _ in range(MAX_TRIES if unfed else 1):
        # A custom sampler draws every input; the fed ones are then replaced.
        inputs = env._draw_once(rng, params, comp) if unfed else {}
        inputs.update(fed)
        for name in fed:
            if comp.input_checks[name](inputs[name]) is not None:
                raise _Redraw()
        args = [inputs[n] for n in env.input_names] + param_values
        if all(fn(*args) for _, fn in env.wheres):
            return {n: inputs[n] for n in env.input_names}
    raise _Redraw()


def stage_verifier(env: Environment, params: dict[str, Any]) -> Callable[[str, Any, dict, dict], Score]:
    """The stage's own verifier, reading its answer from `<answer>` tags (composites
    wrap each step's block in them before calling it)."""
    key = tuple(params.items())  # the key `env._compiled` uses: param values are hashable scalars
    cache = env._lazy.setdefault("stage_verifiers", {})
    verifier = cache.get(key)
    if verifier is None:
        if len(cache) > 4096:  # bounded: a params sweep must not grow memory without end
            cache.clear()
        verifier = cache[key] = make_verifier(env.verify_kind, env._compiled(params).types.output, "tags",
                                              eps=env.eps, python_fn=env._get("verify"))
    return verifier


def to_json(value: Any) -> str:
    return json.dumps(to_json_value(value), ensure_ascii=False)
