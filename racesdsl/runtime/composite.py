"""Composite environments at run time: `seq`, `par`, `sort`, `select`.

A composite is an environment again: `sample(seed, **knobs)` gives an
`Instance`, `verify(instance, completion)` a `Score` with one part per stage.
Only the first stage's inputs and the unfed inputs of later stages are drawn;
every fed input is the previous stage's reference answer, so instances stay
deterministic. Answer format (docs/composition.md): `seq` reports every step
in `<step1>...</step1>` tags, `par` every part in `<part1>...</part1>`,
`sort` the final result in `<answer>`, `select` a JSON list of step labels.

Speed: what depends only on (composite, knobs) -- each stage's params, the
identity digest's fixed parts -- is worked out once per knob setting; what
depends on a stage's params once per params value (`Stage._memo`). A sampled
instance remembers its run, so verifying it re-samples nothing."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from racesdsl.runtime.composite_prompts import describe, render, score
from racesdsl.runtime.composite_run import (
    LABELS,
    MAX_MEMO,
    MAX_TAG_SCAN,
    Stage,
    _draw_rest,
    _noun,
    _output_type,
    _proved,
    _Redraw,
    _resolved,
    _Run,
    _run_stage,
    _tag,
    remember,
    to_json,
)
from racesdsl.runtime.env import _KIND_CHECKS, _KIND_WORDS, MAX_TRIES, Instance, ParamError, ParamSpec
from racesdsl.runtime.levels import params_at_level
from racesdsl.runtime.pickling import reduce_env
from racesdsl.runtime.rng import new_rng
from racesdsl.runtime.score import Score, error_score
from racesdsl.runtime.seeds import identity_parts, params_key
from racesdsl.runtime.template_limits import TemplateError
from racesdsl.runtime.values import SamplingError

__all__ = ["LABELS", "MAX_TAG_SCAN", "Composite", "Stage", "_Run", "to_json"]


class _Sampled(Instance):
    """An `Instance` that remembers the run it came from, so `verify` needs no
    re-sampling. Equal to, printed and pickled as the plain `Instance` (the run
    is a cache, never part of the instance's data or bytes)."""

    def __repr__(self) -> str:
        return repr(Instance._make(self))

    def __reduce__(self) -> tuple:
        return Instance, tuple(self)


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
    _verifiers: dict[tuple, Any] = field(default_factory=dict, repr=False)  # the last run verified, by id
    pickle_ref: tuple | None = field(default=None, repr=False)  # set by load(); see runtime.pickling
    _lazy: dict[str, Any] = field(default_factory=dict, repr=False)  # per knob setting: level maps, stage params

    @property
    def name(self) -> str:
        name = self._lazy.get("name")
        if name is None:
            name = self._lazy["name"] = self.qualname.rsplit(".", 1)[-1]
        return name

    def __reduce__(self) -> tuple:
        """Pickled by reference, as environments are (runtime.pickling)."""
        return reduce_env(self)

    # ------------------------------------------------------------------ knobs

    def resolve_params(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults with overrides applied; rejects unknown knobs, values of the wrong kind or
        outside their range, and settings that break a stage's dependent param bounds."""
        cache = self._lazy.setdefault("resolved", {})
        try:
            key: tuple | None = tuple(sorted((overrides or {}).items()))
            hit = cache.get(key)
        except TypeError:  # an unhashable value: validation below says what is wrong
            key, hit = None, None
        if hit is not None:
            return dict(hit)
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
        if overrides:
            self._check_stages(values, set(overrides), "")
        if key is not None and len(cache) < MAX_MEMO:
            cache[key] = values
        return dict(values)

    def _check_stages(self, knobs: Mapping[str, Any], touched: set[str], prefix: str) -> None:
        """Each base stage whose params a knob override sets must accept them together
        (`max_numbers: Int[min_numbers..5]`): a param error, found before any drawing.
        Stages whose lengths are inferred from the value they are fed are left to the draw."""
        for stage in self.stages:
            sub = self._sub(stage, knobs)
            if isinstance(stage.env, Composite):
                inner = prefix + (stage.prefix or "")
                stage.env._check_stages(sub, {k[len(stage.prefix):] for k in touched if k.startswith(
                    stage.prefix)} if stage.prefix else touched, inner)
            elif not stage.length_params and any(k in touched for k in stage.knobs.values()):
                try:
                    stage.env.resolve_params(sub)
                except ParamError as exc:
                    names = ", ".join(f"{prefix}{k}" for k in stage.knobs.values())
                    raise ParamError(f"knobs {names} of {self.name} do not fit stage `{stage.label}`: {exc}") from None

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

    def _sub(self, stage: Stage, knobs: Mapping[str, Any]) -> dict[str, Any]:
        """Knob values a stage sees: its own params, or a nested composite's knobs."""
        if isinstance(stage.env, Composite):
            if stage.prefix is None:  # an inline operator shares our knob names
                return dict(knobs)
            return {k[len(stage.prefix):]: v for k, v in knobs.items() if k.startswith(stage.prefix)}
        params = dict(stage.fixed)
        params.update({p: knobs[k] for p, k in stage.knobs.items()})
        return params

    def _subs(self, knobs: Mapping[str, Any]) -> list[dict[str, Any]]:
        """`_sub` of every stage, once per knob setting (stages copy before changing one)."""
        cache = self._lazy.setdefault("subs", {})
        key = tuple(knobs.items())
        hit = cache.get(key)
        if hit is None:
            hit = remember(cache, key, [self._sub(stage, knobs) for stage in self.stages])
        return hit

    def _identity(self, seed: int, knobs: Mapping[str, Any]) -> tuple[int, str]:
        """`seeds.identity(qualname, seed, params_key(knobs))`, its fixed parts encoded once."""
        cache = self._lazy.setdefault("ids", {})
        key = tuple(knobs.items())
        parts = cache.get(key)
        if parts is None:
            data = self.identity
            parts = remember(cache, key, (f"{self.qualname}{'#' + data if data else ''}\n".encode(),
                                          f"\n{params_key(knobs)}".encode()))
        return identity_parts(parts[0], seed, parts[1])

    @property
    def identity(self) -> str:
        """The data digests of its stages (see `Environment.identity`): "" when none draws from data."""
        return "+".join(d for d in (s.env.identity for s in self.stages) if d)

    # --------------------------------------------------------------- running

    def _run(self, rng: random.Random, knobs: Mapping[str, Any], incoming: Any, source: str | None,
             depth: int = 0, path: str = "", seed: int = -1) -> _Run:
        """Run this composite on a value (or on nothing, as an outermost composite).
        Steps are numbered at the top level; a nested composite's sub-steps are labelled
        under `path`, its own label (see `_tag`). A nested `sort` draws the order it lists
        its steps in here, so the words that name a step use the label it is shown with."""
        count = len(self.stages)
        if self.op == "sort" and depth > 0:
            shown = list(range(count))
            rng.shuffle(shown)
            tags = [_tag(path, shown.index(i), self.op) for i in range(count)]
        else:
            shown = None
            tags = [""] * count if depth == 0 else [_tag(path, i, self.op) for i in range(count)]
        subs = self._subs(knobs)
        children: list[_Run] = []
        if self.op == "par":
            parts = list(incoming) if incoming is not None else [None] * count
            for i, (stage, value) in enumerate(zip(self.stages, parts, strict=True)):
                words = None if incoming is None else f"item {i + 1} of {source}"
                children.append(_run_stage(stage, rng, subs[i], value, words, depth + 1, tags[i], seed))
            output = tuple(c.output for c in children)
            out_type = None  # a tuple of the parts' types, built by `_output_type` if it is asked for
        else:
            value, words, in_type = incoming, source, None
            for step, stage in enumerate(self.stages, 1):
                run = _run_stage(stage, rng, subs[step - 1], value, words, depth + 1, tags[step - 1], seed, in_type)
                children.append(run)
                in_type = _output_type(run)
                if depth == 0:
                    words = f"the {_noun(in_type)} you obtained in step {step}"
                elif self.op == "sort":
                    words = f"the result of ({run.tag})"
                else:
                    words = f"the {_noun(in_type)} you obtained in ({run.tag})"
                value = run.output
            output = value
            out_type = in_type
        if shown is None:
            shown = list(range(count))
        return _Run(self.name, self, dict(knobs), {}, {}, output, children, shown=shown, out_type=out_type)

    def _plan(self, knobs: Mapping[str, Any]) -> list[tuple] | None:
        """A straight-line form of an outermost composite of base envs: a `par`, or a chain
        (`seq`, `sort`, `select`) whose later stages are fed through one input and take no
        length from the value they are fed. Every stage's params, compiled form, words and
        whether its fed value needs a check are then fixed by the knobs. None for any other
        shape (`_run` does the rest).
        It draws and solves exactly as `_run` does, in the same order."""
        cache = self._lazy.setdefault("plans", {})
        key = tuple(knobs.items())
        if key in cache:
            return cache[key]
        plan: list[tuple] | None = []
        subs = self._subs(knobs)
        prev = None
        for step, stage in enumerate(self.stages):
            env = stage.env
            if isinstance(env, Composite) or (step and self.op != "par" and (
                    stage.length_params or (stage.port is None and len(env.input_names) != 1))):
                plan = None
                break
            try:
                values, comp, param_values = _resolved(stage, env, subs[step])
            except _Redraw:  # params no draw can fix: `_run` reports them as it always has
                plan = None
                break
            if prev is None or self.op == "par":  # a first stage, or an outermost par's part: all drawn
                fed_name, words, trusted = None, None, False
            else:
                fed_name = stage.port or env.input_names[0]
                words = f"the {_noun(prev.types.output)} you obtained in step {step}"
                trusted = _proved(stage, prev.types.output, comp, fed_name)
            direct = trusted and len(env.input_names) == 1 and not env.wheres and not env.derived
            plan.append((stage, env, values, comp, param_values, fed_name, words, trusted, direct))
            prev = comp
        return remember(cache, key, plan)

    def _chain(self, seed: int, knobs: Mapping[str, Any]) -> tuple[_Run, random.Random, str]:
        """The run of instance `seed` (the stages only, no prompt), the generator as it is
        left after it (the prompt draws from it next) and the instance's id."""
        rng_seed, iid = self._identity(seed, knobs)
        rng = new_rng(rng_seed)
        plan = self._plan(knobs)
        for _ in range(MAX_TRIES):
            try:
                run = self._run(rng, knobs, None, None, seed=seed) if plan is None else \
                    _run_plan(self, plan, rng, knobs, seed)
                return run, rng, iid
            except _Redraw:
                continue
        raise SamplingError(f"{self.name}: no chain satisfied every stage's `where` in {MAX_TRIES} tries "
                            f"(seed {seed}, knobs {dict(knobs)})")

    def _sample_run(self, seed: int, knobs: Mapping[str, Any]) -> tuple[_Run, str, Any, dict, dict, str]:
        """Everything about one instance; re-running it rebuilds the same instance."""
        run, rng, iid = self._chain(seed, knobs)
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
        run, prompt, answer, extra, pool, iid = self._sample_run(seed, knobs)
        first = run.children[0] if run.children else None
        while first is not None and first.children:  # a composite as the first stage: its first env's
            first = first.children[0]
        inputs = dict(first.inputs) if first is not None else {}
        for name, _ in getattr(first.env, "lets", ()) if first is not None else ():  # kept: inputs and draws
            inputs.pop(name, None)
        if extra:
            inputs.update(extra)
        inst = _Sampled(self.qualname, seed, knobs, inputs, prompt, answer, iid)
        inst.__dict__["run"] = (run, pool)
        return inst

    def run_of(self, inst: Instance) -> tuple[_Run, dict[str, _Run]]:
        """The run (and `select`'s pool of labelled steps) an instance came from: remembered
        by a freshly sampled one, else re-run (the chain only, unless the pool needs the
        prompt's draws); the last one re-run is kept, for repeated rollouts."""
        remembered = getattr(inst, "__dict__", {}).get("run")
        if remembered is not None and remembered[0].env is self:
            self._verifiers = {("run", inst.id): remembered}
            return remembered
        key = ("run", inst.id)
        if key not in self._verifiers:
            if self.op == "select":
                run, _, _, _, pool, _ = self._sample_run(inst.seed, inst.params)
            else:
                run, pool = self._chain(inst.seed, inst.params)[0], {}
            self._verifiers = {key: (run, pool)}
        return self._verifiers[key]

    def verify(self, instance: Instance, completion: str) -> Score:
        try:
            return score(self, instance, completion)
        except Exception as exc:  # a verifier never raises: report it as a zero with the reason
            return error_score(exc)

    def render_answer(self, answer: Any, **params: Any) -> str:
        return render(self, answer)


def _run_plan(comp: Composite, plan: list[tuple], rng: random.Random, knobs: Mapping[str, Any], seed: int) -> _Run:
    """`Composite._run` of an outermost composite, along its plan (see `Composite._plan`)."""
    children: list[_Run] = []
    value = None
    for stage, env, values, compiled, param_values, fed_name, words, trusted, direct in plan:
        if fed_name is None:
            inputs, bound = _draw_rest(env, rng, values, compiled, {}, param_values, seed), {}
        else:
            fed, bound = {fed_name: value}, {fed_name: words}
            inputs = fed if direct else _draw_rest(env, rng, values, compiled, {} if trusted else fed, param_values,
                                                   seed, fed if trusted else None)
        value = env._solve(inputs, values, compiled, seed)
        children.append(_Run(stage.label, env, values, inputs, bound, value, [], stage, "", None,
                             compiled.types.output, compiled))
    if comp.op == "par":  # its type, a tuple of the parts' types, is built by `_output_type` if asked for
        return _Run(comp.name, comp, dict(knobs), {}, {}, tuple(c.output for c in children), children,
                    shown=list(range(len(children))))
    return _Run(comp.name, comp, dict(knobs), {}, {}, value, children, shown=list(range(len(children))),
                out_type=children[-1].out_type)
