"""The run-time `Environment`: sample -> prompt -> reference answer -> verify.

One class serves both back ends: `racesdsl.load()` builds it from the checked
IR, and generated packages build it from emitted Python. Everything that
varies by params (types, samplers, parsers) is computed once per params
value and cached on the instance; the per-instance path is plain Python."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from racesdsl.runtime import derived
from racesdsl.runtime.answers import format_instruction, render_answer
from racesdsl.runtime.bindings import BindingError, accepted_params, import_ref
from racesdsl.runtime.checks import canonical_for, checker_for, preview
from racesdsl.runtime.distributions import dist_sampler
from racesdsl.runtime.levels import params_at_level
from racesdsl.runtime.pickling import reduce_env
from racesdsl.runtime.rng import new_rng
from racesdsl.runtime.score import Score
from racesdsl.runtime.seeds import identity_parts, params_key
from racesdsl.runtime.template_limits import TemplateError
from racesdsl.runtime.templates import compile_template
from racesdsl.runtime.values import SamplingError, sampler_for
from racesdsl.runtime.verifiers import make_verifier

if TYPE_CHECKING:
    from pydantic import BaseModel

MAX_TRIES = 1000


_KIND_CHECKS: dict[str, Callable[[Any], bool]] = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "enum": lambda v: isinstance(v, str),
}
_KIND_WORDS = {"int": "an integer", "float": "a number", "bool": "true or false", "enum": "a string"}


class ParamError(ValueError):
    """An unknown param or a value outside its range (CLI exit 2)."""


class SolverError(RuntimeError):
    """The reference solver failed or returned a value outside the output type: a spec bug."""


# What sampling raises when the spec (or a python binding it names) is wrong: CLI exit 1.
SPEC_BUGS: tuple[type[Exception], ...] = (SamplingError, SolverError, BindingError)


@dataclass(frozen=True)
class ParamSpec:
    name: str
    kind: str  # int | float | bool | enum
    default: Any


@dataclass(frozen=True)
class EnvTypes:
    """The concrete types of an env at one params value."""

    params: Mapping[str, Any]  # name -> TType (each evaluated at the other params' values)
    inputs: Mapping[str, Any]  # name -> TType
    output: Any
    draws: Mapping[str, Any] = field(default_factory=dict)  # name -> TType (sampled, not in the signature)
    dists: Mapping[str, Any] = field(default_factory=dict)  # name -> runtime.distributions.Dist (not uniform)


class Instance(NamedTuple):
    """One sampled task: what the model sees and the reference it is scored against.
    (A NamedTuple: built once per sample, it must be cheap to create.)"""

    env: str
    seed: int
    params: dict[str, Any]
    input: dict[str, Any]
    prompt: str
    answer: Any
    id: str

    def to_dict(self) -> dict[str, Any]:
        from racesdsl.runtime.values import to_json_value

        return {"id": self.id, "env": self.env, "seed": self.seed, "params": dict(self.params),
                "input": to_json_value(self.input), "prompt": self.prompt,
                "answer": to_json_value(self.answer)}


@dataclass
class _Compiled:
    """What the hot path needs for one params value."""

    types: EnvTypes
    samplers: list[tuple[str, Callable[[random.Random], Any]]]
    input_checks: dict[str, Callable[[Any], str | None]]
    output_check: Callable[[Any], str | None]
    verifier: Callable[[str, Any, dict, dict], Score]
    instruction: str  # with the blank line that separates it from the prompt
    params_text: str  # canonical text of the params, hashed into every instance's seed and id
    canonical_input: dict[str, Callable[[Any], Any]]
    canonical_output: Callable[[Any], Any]
    id_prefix: bytes = b""  # the env and params parts of every instance's identity digest
    id_suffix: bytes = b""
    tag_verifier: Callable[[str, Any, dict, dict], Score] | None = None  # as a composite's stage (built on use)
    param_values: tuple = ()  # the params in declaration order, as expression solvers take them
    plan: Any = None  # runtime.derived.Plan of an env with draws, lets or dependent shapes


@dataclass(eq=False)
class Environment:
    """A base environment; see docs/language.md §4 for what each part means."""

    qualname: str
    doc: str
    params: list[ParamSpec]
    input_names: list[str]
    types: Callable[[Mapping[str, Any]], EnvTypes]
    prompt: str  # jinja2 template text
    step: str | None = None
    solve_fn: Callable[..., Any] | None = None  # compiled expression solver
    wheres: list[tuple[str, Callable[..., bool]]] = field(default_factory=list)
    verify_kind: str = "exact"
    eps: float | None = None
    answer_format: str = "tags"
    # Python bindings, "module:function", imported on first use (see runtime.bindings).
    solve_ref: str | None = None
    sample_ref: str | None = None
    verify_ref: str | None = None
    check_fn: Callable[..., Any] | None = None  # compiled `verify check` predicate: (answer, *inputs, *params)
    origin: str = "."  # the spec's folder: python bindings are looked up there first
    # Draws, lets and dependent shapes (runtime.derived); `order` is the inputs and draws as declared.
    draw_names: list[str] = field(default_factory=list)
    lets: list[tuple[str, Callable[..., Any]]] = field(default_factory=list)
    shapes: dict[str, Callable[[Mapping[str, Any]], Any]] = field(default_factory=dict)
    order: list[str] | None = None
    identity: str = ""  # digests of the data files the env draws from: a changed file gives new instance ids
    pickle_ref: tuple | None = field(default=None, repr=False)  # set by load(); see runtime.pickling
    _cache: dict[tuple, _Compiled] = field(default_factory=dict, repr=False)
    _resolved: dict[tuple, dict[str, Any]] = field(default_factory=dict, repr=False)
    _lazy: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def derived(self) -> bool:
        """Whether it has draws, lets or dependent shapes: it samples through runtime.derived."""
        return bool(self.draw_names or self.lets or self.shapes)

    def __reduce__(self) -> tuple:
        """Pickled by reference (where it comes from), never by state: see runtime.pickling."""
        return reduce_env(self)

    def _get(self, key: str) -> Any:
        """Templates and bindings are built on first use: importing a generated
        package stays cheap however many envs it holds."""
        if key not in self._lazy:
            self._lazy[key] = self._build(key)
        return self._lazy[key]

    def _build(self, key: str) -> Any:
        if key == "prompt":
            return compile_template(self.prompt, f"{self.name}'s prompt")
        if key == "step":
            return compile_template(self.step if self.step is not None else self.prompt, f"{self.name}'s step")
        ref = {"solve": self.solve_ref, "sample": self.sample_ref, "verify": self.verify_ref}[key]
        if ref is None:
            return None
        fn = import_ref(ref, self.origin)
        if key == "solve":
            return fn, accepted_params(fn, [p.name for p in self.params])
        return fn

    def render_prompt(self, values: Mapping[str, Any]) -> str:
        return self._get("prompt")(values)

    def render_step(self, values: Mapping[str, Any]) -> str:
        return self._get("step")(values)

    # ------------------------------------------------------------- params

    def resolve_params(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults with overrides applied; rejects unknown names and out-of-range values.
        Validated results are remembered: sampling calls this once per instance."""
        try:
            key = tuple(sorted((overrides or {}).items()))
            hit = self._resolved.get(key)
        except TypeError:  # an unhashable value: validation below says what is wrong
            key, hit = None, None
        if hit is not None:
            return dict(hit)
        values = self._validate(overrides)
        if key is not None and len(self._resolved) < 4096:
            self._resolved[key] = values
        return dict(values)

    def _validate(self, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
        values = {p.name: p.default for p in self.params}
        for name, value in (overrides or {}).items():
            if name not in values:
                known = ", ".join(values) or "none"
                raise ParamError(f"{self.name} has no param `{name}` (its params: {known})")
            values[name] = value
        for p in self.params:
            if not _KIND_CHECKS[p.kind](values[p.name]):
                raise ParamError(f"param `{p.name}` of {self.name} must be {_KIND_WORDS[p.kind]}, "
                                 f"got {values[p.name]!r:.80}")
        # Each param's range is evaluated at the others' values (`Int[min_numbers..5]`): check
        # them all before anything is built from the types, which a broken range would fail.
        types = self.types(values)
        for p in self.params:
            why = checker_for(types.params[p.name])(values[p.name])
            if why is not None:
                raise ParamError(f"param `{p.name}` of {self.name}: {why}")
        return values

    def _compiled(self, params: Mapping[str, Any]) -> _Compiled:
        key = tuple(params.items())
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        types = self.types(params)
        samplers = [(n, dist_sampler(types.inputs[n], types.dists[n]) if n in types.dists
                     else sampler_for(types.inputs[n])) for n in self.input_names] \
            if self.sample_ref is None and not self.derived else []
        compiled = _Compiled(
            types, samplers, {n: checker_for(t) for n, t in types.inputs.items()}, checker_for(types.output),
            make_verifier(self.verify_kind, types.output, self.answer_format, eps=self.eps,
                          python_fn=self.verify_fn()),
            "\n\n" + format_instruction(types.output, self.answer_format), params_key(params),
            {n: canonical_for(t) for n, t in types.inputs.items()}, canonical_for(types.output),
            f"{self.qualname}{'#' + self.identity if self.identity else ''}\n".encode(),
            f"\n{params_key(params)}".encode(),
            param_values=tuple(params[p.name] for p in self.params))
        if self.derived:
            compiled.plan = derived.make_plan(self, types, self.order or self.input_names + self.draw_names)
        if len(self._cache) > 4096:  # bounded: params sweeps must not grow memory without end
            self._cache.clear()
        self._cache[key] = compiled
        return compiled

    # ----------------------------------------------------------- sampling

    def sample(self, seed: int, level: float | None = None, **params: Any) -> Instance:
        """One instance, a pure function of (env, seed, params); `level` in [0, 1] sets every
        param not given by name (runtime.levels.params_at_level)."""
        if level is not None:
            if any(p.name == "level" for p in self.params):  # a param named `level` keeps its meaning
                params["level"] = level
            else:
                    params = params_at_level(self, level, **params)
        if params:
            values = self.resolve_params(params)
            comp = self._compiled(values)
        else:  # the common case in training loops: defaults, resolved and compiled once
            defaults = self._lazy.get("defaults")
            if defaults is None:
                values = self.resolve_params({})
                defaults = self._lazy["defaults"] = (values, self._compiled(values))
            values, comp = dict(defaults[0]), defaults[1]
        rng_seed, iid = identity_parts(comp.id_prefix, seed, comp.id_suffix)
        inputs = self._draw(new_rng(rng_seed), values, comp, seed)
        answer = self._solve(inputs, values, comp, seed)
        try:
            prompt = self.render_prompt(values | inputs) + comp.instruction
        except TemplateError as exc:
            raise exc.at(seed, values) from None
        if self.lets:  # an instance keeps its inputs and draws; lets are derived again from them
            inputs = {n: inputs[n] for n in comp.plan.stored}
        return Instance(self.qualname, seed, values, inputs, prompt, answer, iid)

    def _getters(self) -> tuple[Callable[[dict], tuple], Callable[[dict], tuple]]:
        """Tuple getters for inputs and params in declaration order: expression solvers
        and `where`s take them positionally (built once; the hot path only calls them)."""
        got = self._lazy.get("getters")
        if got is None:
            def getter(names: list[str]) -> Callable[[dict], tuple]:
                if not names:
                    return lambda d: ()
                get = itemgetter(*names)
                return (lambda d: (get(d),)) if len(names) == 1 else get

            got = self._lazy["getters"] = (getter(self.input_names), getter([p.name for p in self.params]))
        return got

    def verify_fn(self) -> Callable[..., Any] | None:
        """What `make_verifier` takes as `python_fn`: the python verifier, or the `verify check`
        predicate over dicts (answer, then inputs and params in declaration order)."""
        fn = self.check_fn
        if fn is None:
            return self._get("verify")
        if self.derived:  # draws and lets too, as `solve` takes them
            def with_derived(answer: Any, inputs: Any, params: Any) -> Any:
                comp = self._compiled(params)
                values = self._with_lets(inputs, comp)
                return fn(answer, *[values[n] for n in comp.plan.names], *comp.param_values)
            return with_derived
        get_inputs, get_params = self._getters()
        return lambda answer, inputs, params: fn(answer, *get_inputs(inputs), *get_params(params))

    def _draw(self, rng: random.Random, params: dict[str, Any], comp: _Compiled, seed: int) -> dict[str, Any]:
        if self.derived:
            values = derived.draw_until(self, rng, params, comp, {}, seed)
            if values is None:
                raise SamplingError(f"{self.name}: no draw satisfied every `where` and dependent type in "
                                    f"{MAX_TRIES} tries (seed {seed}, params {params})")
            return values
        if not self.wheres:
            return self._draw_once(rng, params, comp, seed)
        failed = ""
        get_inputs, get_params = self._getters()
        param_values = get_params(params)
        for _ in range(MAX_TRIES):
            inputs = self._draw_once(rng, params, comp, seed)
            args = get_inputs(inputs) + param_values
            for src, holds in self.wheres:
                if not holds(*args):
                    failed = src
                    break
            else:
                return inputs
        raise SamplingError(f"{self.name}: no input satisfied `where {failed}` in {MAX_TRIES} tries "
                            f"(seed {seed}, params {params})")

    def _draw_once(self, rng: random.Random, params: dict[str, Any], comp: _Compiled,
                   seed: int = -1) -> dict[str, Any]:
        if self.sample_ref is None:
            return {name: draw(rng) for name, draw in comp.samplers}
        sampler = self._get("sample")
        try:
            raw = sampler(rng, **params)
        except Exception as exc:  # a failing custom sampler is a spec bug, as a failing solver is
            raise SamplingError(f"{self.name}: the custom sampler raised {type(exc).__name__}: {exc} "
                                f"(seed {seed}, params {params})") from exc
        single = len(self.input_names) == 1 and not (isinstance(raw, dict) and set(raw) == set(self.input_names))
        inputs = {self.input_names[0]: raw} if single else raw
        if not isinstance(inputs, dict) or set(inputs) != set(self.input_names):
            got = sorted(inputs) if isinstance(inputs, dict) else type(inputs).__name__
            raise SamplingError(f"{self.name}: the custom sampler returned {got}, expected inputs "
                                f"{self.input_names}")
        out = {}
        for name in self.input_names:
            why = comp.input_checks[name](inputs[name])
            if why is not None:
                raise SamplingError(f"{self.name}: the custom sampler's `{name}` is outside its type: {why}")
            out[name] = comp.canonical_input[name](inputs[name])
        return out

    def _solve(self, inputs: dict[str, Any], params: dict[str, Any], comp: _Compiled, seed: int) -> Any:
        try:
            if self.solve_ref is None and comp.plan is not None:  # inputs, draws, lets, then params
                answer = self.solve_fn(*[inputs[n] for n in comp.plan.names], *comp.param_values)
            elif self.solve_ref is None:  # compiled expressions take inputs then params, positionally
                answer = self.solve_fn(*self._getters()[0](inputs), *comp.param_values)
            else:
                fn, takes = self._get("solve")
                given = inputs if comp.plan is None else {n: inputs[n] for n in comp.plan.stored}
                answer = fn(**given, **{p: params[p] for p in takes})
        except Exception as exc:  # a failing reference solver is a spec bug: say where
            raise SolverError(f"{self.name}: the solver raised {type(exc).__name__}: {exc} "
                              f"(seed {seed}, params {params}, input {inputs})") from exc
        why = comp.output_check(answer)
        if why is not None:
            raise SolverError(f"{self.name}: the solver's answer {preview(answer)} is outside the output type: "
                              f"{why} (seed {seed}, params {params})")
        return comp.canonical_output(answer)

    def solve(self, inputs: Mapping[str, Any], **params: Any) -> Any:
        """The reference answer; an env with draws takes them with the inputs (as `Instance.input` has them)."""
        values = self.resolve_params(params)
        comp = self._compiled(values)
        return self._solve(self._with_lets(inputs, comp), values, comp, -1)

    def _with_lets(self, inputs: Mapping[str, Any], comp: _Compiled) -> dict[str, Any]:
        """The inputs (and draws), with the lets derived from them."""
        if comp.plan is None:
            return {n: inputs[n] for n in self.input_names}
        values = {n: inputs[n] for n in comp.plan.stored}
        derived.add_lets(self, values, comp)
        return values

    # ---------------------------------------------------------- answering

    def verify(self, instance: Instance, completion: str) -> Score:
        """Score a completion in [0, 1]; never raises, never runs the completion."""
        last = self._lazy.get("last_verified")
        if last is not None and last[0] is instance:  # several rollouts per prompt are the norm
            comp = last[1]
        else:
            comp = self._compiled(instance.params)
            self._lazy["last_verified"] = (instance, comp)
        return comp.verifier(completion, instance.answer, instance.input, instance.params)

    def render_answer(self, answer: Any, **params: Any) -> str:
        """The canonical completion for an answer (the format instruction followed exactly)."""
        values = self.resolve_params(params)
        return render_answer(answer, self._compiled(values).types.output, self.answer_format)

    def input_type(self, **params: Any) -> Any:
        return self._compiled(self.resolve_params(params)).types.inputs

    def output_type(self, **params: Any) -> Any:
        return self._compiled(self.resolve_params(params)).types.output

    def input_model(self, **params: Any) -> type[BaseModel]:
        """A pydantic model of the inputs at these params: validation at the boundaries,
        JSON schema, tooling (never on the hot path, so pydantic is imported here)."""
        from racesdsl.runtime.models import input_model

        return input_model(self, **params)

    def output_model(self, **params: Any) -> type[BaseModel]:
        """A pydantic model of the answer at these params: one field, `value`."""
        from racesdsl.runtime.models import output_model

        return output_model(self, **params)
