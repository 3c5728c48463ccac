"""`racesdsl.load()`: checked specs -> in-process `Environment` objects.

Each spec module is compiled to the same Python source `racesdsl compile`
writes, and executed in memory: the loaded and the compiled environments are
one implementation, so they cannot drift apart."""

from __future__ import annotations

import functools
import hashlib
import pickle
import types
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from typeguard import typechecked

from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.module import module_source, runnable_envs
from racesdsl.errors import SpecError
from racesdsl.ir import CompositeInfo, EnvInfo, Knob, NestedKnobs, StageInfo
from racesdsl.ir import Program as CheckedProgram
from racesdsl.runtime.composite import Composite, Stage
from racesdsl.runtime.env import Environment
from racesdsl.syntax import ast as A


class Program(Mapping[str, "Environment | Composite"]):
    """Loaded environments by qualified name (`lists.sort_list`); short names
    work for the envs declared in the files you loaded."""

    def __init__(self, envs: dict[str, Environment], checked: CheckedProgram) -> None:
        self._envs = envs
        self.checked = checked

    def __getitem__(self, name: str) -> Environment:
        if name in self._envs:
            return self._envs[name]
        matches = [q for q in self.roots if q.rsplit(".", 1)[-1] == name]
        if len(matches) == 1:
            return self._envs[matches[0]]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._envs)

    def __len__(self) -> int:
        return len(self._envs)

    @property
    def roots(self) -> list[str]:
        """Qualified names of the base envs declared in the loaded files, in source order."""
        return [q for q in self.checked.roots if q in self._envs]


@typechecked
def load(paths: str | Path | Sequence[str | Path], search_path: Sequence[str | Path] = ()) -> Program:
    """Check and load specs; raises `SpecError` (with every diagnostic) if they have errors."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    result = check_paths(items, search_path)
    if result.errors:
        raise SpecError(result.diagnostics)
    by_module = runnable_envs(result.program)
    envs: dict[str, Environment] = {}
    for scope, infos in by_module.items():
        envs.update(_generated(scope, infos))
    built: dict[str, Composite] = {}
    for info in result.program.composites.values():
        envs[info.qualname] = build_composite(info, envs, built)
    where = (tuple(str(Path(p).resolve()) for p in items), tuple(str(Path(p).resolve()) for p in search_path),
             _digest(result.sources))
    for qualname, env in envs.items():
        env.pickle_ref = (from_specs, (*where, qualname))
    return Program(envs, result.program)


def _digest(sources: Mapping[str, str]) -> str:
    """The spec text a load saw, whatever the working folder (display paths depend on it)."""
    h = hashlib.sha256()
    for text in sorted(sources.values()):
        h.update(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
    return h.hexdigest()[:16]


@functools.lru_cache(maxsize=32)
def _load_cached(paths: tuple[str, ...], search_path: tuple[str, ...]) -> Program:
    return load(list(paths), list(search_path))


def from_specs(paths: tuple[str, ...], search_path: tuple[str, ...], digest: str, qualname: str) -> Environment:
    """Unpickle an env from `load()`: the specs are loaded once per process (then cached,
    so unpickling a thousand envs costs one load), and must still be the text it was
    pickled from."""
    program = _load_cached(tuple(paths), tuple(search_path))
    env = program._envs.get(qualname)
    if env is None or env.pickle_ref[1][2] != digest:
        raise pickle.UnpicklingError(f"cannot unpickle {qualname}: its spec files changed since it was pickled")
    return env


class KnobTable(Mapping[str, Any]):
    """A composite's knob defaults or ranges, flattened on first use. A named
    composite used as a stage contributes its own table under `label.`, by
    reference: a chain of composites each using the previous one twice has
    2**n knobs, and loading it must not enumerate them (sampling it does)."""

    def __init__(self, parts: list[tuple[str, Any, bool]]) -> None:
        self._parts = parts  # (name, value, False) for a knob, (prefix, KnobTable, True) for a nested table
        self._flat: dict[str, Any] | None = None

    def _table(self) -> dict[str, Any]:
        if self._flat is None:
            flat: dict[str, Any] = {}
            for name, value, nested in self._parts:
                if nested:
                    flat.update((name + k, v) for k, v in value.items())
                else:
                    flat[name] = value
            self._flat = flat
        return self._flat

    def __getitem__(self, name: str) -> Any:
        return self._table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def __repr__(self) -> str:  # generated packages write the table out as a dict literal
        return repr(self._table())


def build_composite(info: CompositeInfo, envs: dict, built: dict[str, Composite]) -> Composite:
    """A runtime composite from the checked IR (named composites are built once)."""
    if info.qualname not in built:
        defaults: list[tuple[str, Any, bool]] = []
        ranges: list[tuple[str, Any, bool]] = []
        for part in info.knob_parts:
            if isinstance(part, NestedKnobs):
                nested = build_composite(part.info, envs, built)
                defaults.append((part.label + ".", nested.knob_defaults, True))
                ranges.append((part.label + ".", nested.knob_ranges, True))
            else:
                default, bounds = _knob_default(part, envs)
                defaults.append((part.name, default, False))
                ranges.append((part.name, bounds, False))
        built[info.qualname] = _build_op(info.qualname, info.decl.doc or "", info.root, envs, built,
                                         KnobTable(defaults), KnobTable(ranges))
    return built[info.qualname]


def _knob_default(knob: Knob, envs: dict) -> tuple:
    # An instance not built yet has its generic env's params (type arguments change no param).
    env = envs[knob.env] if knob.env in envs else envs[knob.env.partition("@")[0]]
    default = next(p.default for p in env.params if p.name == knob.param)
    if knob.range is None:
        return default, None
    lo, hi = knob.range.lo, knob.range.hi
    return min(max(default, lo), hi), (lo, hi)


def _build_op(qualname: str, doc: str, node: StageInfo, envs: dict, built: dict, knob_defaults: Mapping,
              knob_ranges: Mapping) -> Composite:
    if isinstance(node.ref, A.StageRef):  # `compose long = sort_list(n=8..12)`: a preset of one stage
        stage = _build_stage(node, envs, built)
        if isinstance(stage.env, Composite):  # an alias of another composite is that composite
            return stage.env
        return Composite(qualname, doc, "preset", [stage], knob_defaults, knob_ranges, "final")
    op: A.OpExpr = node.ref
    default = {"seq": "prefix", "par": "mean"}.get(op.op, "final")  # sort and select score the final answer
    reward = next((o.value for o in op.options if o.name == "reward"), default)
    return Composite(qualname, doc, op.op, [_build_stage(c, envs, built) for c in node.children],
                     knob_defaults, knob_ranges, reward, [_build_stage(d, envs, built) for d in node.distractors])


def _build_stage(node: StageInfo, envs: dict, built: dict) -> Stage:
    target = node.target
    if isinstance(node.ref, A.OpExpr):
        inline = _build_op(f"{node.label}", "", node, envs, built, {}, {})
        return Stage(inline, node.label)
    if isinstance(target, CompositeInfo):
        return Stage(build_composite(target, envs, built), node.label, prefix=node.label + ".")
    env = envs[target.qualname] if target.qualname in envs else _instance(target, envs)
    fixed = {p: r.lo for p, r in node.fixed.items() if r.lo == r.hi}
    free = [p.name for p in env.params if p.name not in fixed and p.name not in node.inferred]
    return Stage(env, node.label, fixed, {p: f"{node.label}.{p}" for p in free}, node.ref.port,
                 _length_params(target))


def _instance(info: EnvInfo, envs: dict) -> Environment:
    """A generic env's instance that no loaded composite used, for a composite checked after
    the load (enumerate's candidates): generated as load() generates the others, and kept in
    `envs` so that each instance is built once."""
    if info.generic is None:
        raise KeyError(info.qualname)
    envs.update(_generated(info.module, [info]))
    return envs[info.qualname]


def _generated(scope: Any, infos: list[EnvInfo]) -> dict[str, Environment]:
    """One spec module's envs, generated and run as `racesdsl compile` writes them, by qualified name."""
    namespace = execute_module(module_source(scope, infos), scope.name, Path(scope.path))
    return {f"{scope.name}.{name}": env for name, env in namespace["ENVIRONMENTS"].items()}


def _length_params(info: EnvInfo) -> dict[str, str]:
    out = {}
    for i in info.inputs:
        length = getattr(i.texpr, "length", None)
        if length is not None and length.exact and isinstance(length.lo, A.Name) and length.lo.id in info.params:
            out[i.name] = length.lo.id
    return out


def execute_module(source: str, name: str, path: Path) -> dict:
    """Run generated source as a module whose `__file__` is the spec, so python
    bindings are looked up next to it."""
    module = types.ModuleType(f"racesdsl_loaded.{name}")
    module.__file__ = str(path)
    exec(compile(source, f"<racesdsl generated from {path.name}>", "exec"), module.__dict__)  # noqa: S102
    return module.__dict__
