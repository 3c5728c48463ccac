"""Find environments by qualified name for reward functions, and re-score rows.

A trainer hands a reward function a dataset row (`env`, `seed`, `params`) and
a completion; the function must rebuild the very instance the prompt came
from. `Registry` knows where environments live (spec files or folders,
compiled packages, then the bundled stdlib), loads each source once per
process and caches the instances it re-samples, so the n rollouts of a GRPO
group cost one sample.

Sources come from arguments or from the environment variables
`RACESDSL_SPECS` (spec files or folders) and `RACESDSL_PACKAGES` (importable
packages written by `racesdsl compile`), both `os.pathsep`-separated. Nothing
is loaded before the first lookup, so a bad source is reported then, as
`RegistryError`, and a name no source declares as `UnknownEnvironment`.

The module keeps one mutable global: the lazily created default registry
(`default_registry()`), rebuilt only when its configuration changes."""

from __future__ import annotations

import importlib
import json
import os
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from racesdsl.runtime.composite import Composite
from racesdsl.runtime.env import Environment, Instance
from racesdsl.runtime.score import Score
from racesdsl.runtime.seeds import params_key
from racesdsl.runtime.values import to_json_value

__all__ = ["DATA_SOURCE_PREFIX", "ENV_PACKAGES", "ENV_SPECS", "MissingEnvironmentWarning", "Registry",
           "RegistryError", "UnknownEnvironment", "default_registry", "plain", "qualname_of"]

ENV_SPECS = "RACESDSL_SPECS"
ENV_PACKAGES = "RACESDSL_PACKAGES"
DATA_SOURCE_PREFIX = "racesdsl/"
MAX_INSTANCES = 4096  # re-sampled instances kept per registry (bounded: datasets can be huge)

Env = Environment | Composite


class RegistryError(LookupError):
    """A configured source could not be loaded (a spec with errors, a missing package)."""


class MissingEnvironmentWarning(RuntimeWarning):
    """Rows are being scored 0 because their environment cannot be found: a training run
    would otherwise learn from all-zero rewards without a word. Warned once per missing
    environment or broken source per registry (the default registry is per process)."""


class UnknownEnvironment(LookupError):
    """No configured source declares the environment."""

    def __str__(self) -> str:  # KeyError-style quoting would hide the message
        return str(self.args[0]) if self.args else "unknown environment"


def split_paths(value: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None) -> list[str]:
    """`a:b:c` (os.pathsep-separated) or a list (a trainer config's ListConfig too) ->
    ["a", "b", "c"], empty items dropped."""
    if value is None:
        return []
    if isinstance(value, str | os.PathLike):
        return [p.strip() for p in os.fspath(value).split(os.pathsep) if p.strip()]
    return [os.fspath(p).strip() for p in value if os.fspath(p).strip()]


def qualname_of(name: str) -> str:
    """`racesdsl/lists.sort_list` (a verl data_source) or `lists.sort_list` -> `lists.sort_list`."""
    return name[len(DATA_SOURCE_PREFIX):] if name.startswith(DATA_SOURCE_PREFIX) else name


def plain(value: Any) -> Any:
    """Plain Python values from what a data loader hands back (numpy scalars and
    arrays from pandas or Arrow, tuples), so params compare and hash as exported."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalar or array, without importing numpy
        return plain(value.tolist())
    return value


def read_json(value: Any) -> Any:
    """A column that is a JSON string in files (params, input, answer) or already a value."""
    if isinstance(value, str | bytes):
        return json.loads(value)
    return plain(value)


class Registry:
    """Environments from spec paths and compiled packages, loaded once and cached.

    Lookups try the spec paths in order, then the packages, then (unless
    `stdlib=False`) the bundled standard library, one module file at a time.
    Thread-safe: reward managers may score from a thread pool."""

    def __init__(self, specs: str | Iterable[str | Path] = (), packages: str | Iterable[str] = (), *,
                 search_path: Sequence[str | Path] = (), stdlib: bool = True) -> None:
        self.specs = tuple(split_paths(specs))
        self.packages = tuple(split_paths(packages))
        self.search_path = tuple(str(p) for p in search_path)
        self.stdlib = stdlib
        self.loads = 0  # how many sources were loaded: tests and debugging check the cache with it
        self._lock = threading.RLock()
        self._table: dict[str, Env] | None = None  # qualname -> env, first source wins
        self._short: dict[str, str | None] = {}  # short name -> qualname (None: ambiguous)
        self._error: RegistryError | None = None
        self._std: dict[str, dict[str, Env]] = {}  # stdlib module -> its envs
        self._instances: dict[tuple[str, int, str], Instance] = {}
        self._warned: set[str] = set()  # what warn_once already reported

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Registry:
        """A registry configured by RACESDSL_SPECS and RACESDSL_PACKAGES."""
        environ = os.environ if environ is None else environ
        return cls(split_paths(environ.get(ENV_SPECS)), split_paths(environ.get(ENV_PACKAGES)), **kwargs)

    def __repr__(self) -> str:
        return f"Registry(specs={list(self.specs)}, packages={list(self.packages)}, stdlib={self.stdlib})"

    # ------------------------------------------------------------- lookup

    def get(self, name: str) -> Env:
        """An environment by qualified name (a verl `racesdsl/...` data_source works too),
        or by short name when exactly one loaded environment has it."""
        name = qualname_of(str(name))
        table = self._loaded()
        if name in table:
            return table[name]
        found = self._from_stdlib(name)
        if found is not None:
            return found
        qual = self._short.get(name)
        if qual is not None:
            return table[qual]
        raise UnknownEnvironment(self._unknown_message(name))

    def __contains__(self, name: object) -> bool:
        try:
            self.get(str(name))
        except LookupError:
            return False
        return True

    def names(self) -> list[str]:
        """Qualified names from the configured sources (the stdlib is not listed: it loads on demand)."""
        return list(self._loaded())

    def clear(self) -> None:
        """Forget everything loaded; the next lookup loads the sources again (specs edited on disk)."""
        with self._lock:
            self._table, self._error, self._short = None, None, {}
            self._std.clear()
            self._instances.clear()
            self._warned.clear()

    def _loaded(self) -> dict[str, Env]:
        if self._table is None:
            with self._lock:
                if self._table is None:
                    self._load()
        if self._error is not None:
            raise self._error
        assert self._table is not None
        return self._table

    def _load(self) -> None:
        """Load every source once; a failure is remembered and re-raised at each lookup,
        so a broken setup is reported clearly without re-loading it for every rollout."""
        from racesdsl import loader

        table: dict[str, Env] = {}
        roots: list[str] = []
        try:
            for spec in self.specs:
                self.loads += 1
                try:
                    program = loader.load(spec, self.search_path)
                except Exception as exc:
                    raise RegistryError(f"cannot load specs from {spec}: {exc}") from exc
                roots.extend(program.roots)
                for qual in program:
                    table.setdefault(qual, program[qual])
            for package in self.packages:
                self.loads += 1
                try:
                    envs = importlib.import_module(package).environments()
                except Exception as exc:
                    raise RegistryError(f"cannot import the compiled package {package!r}: "
                                        f"{type(exc).__name__}: {exc}") from exc
                roots.extend(envs)
                for qual, env in envs.items():
                    table.setdefault(qual, env)
        except RegistryError as exc:
            self._error = exc
            table = {}
        short: dict[str, str | None] = {}
        for qual in roots:
            key = qual.rsplit(".", 1)[-1]
            short[key] = qual if short.get(key, qual) == qual else None
        self._short = {k: v for k, v in short.items() if v is not None}
        self._table = table

    def _from_stdlib(self, name: str) -> Env | None:
        """`lists.sort_list` from the bundled specs/lists.races, loaded on first need."""
        module, _, _ = name.rpartition(".")
        if not self.stdlib or not module or not module.isidentifier():
            return None
        if module not in self._std:
            from racesdsl import loader
            from racesdsl.resources import stdlib_dir

            path = stdlib_dir() / f"{module}.races"
            with self._lock:
                if module not in self._std:
                    envs: dict[str, Env] = {}
                    if path.is_file():
                        self.loads += 1
                        try:
                            program = loader.load(path)
                        except Exception as exc:  # an installation problem, not the caller's
                            raise RegistryError(f"cannot load the stdlib module {module}: {exc}") from exc
                        envs = {q: program[q] for q in program}
                    self._std[module] = envs
        return self._std[module].get(name)

    def _unknown_message(self, name: str) -> str:
        from racesdsl.diagnostics import did_you_mean

        sources = [*(f"specs {s}" for s in self.specs), *(f"package {p}" for p in self.packages)]
        where = ", ".join(sources) if sources else f"no sources configured (set {ENV_SPECS} or {ENV_PACKAGES})"
        hint = did_you_mean(name, list(self._table or ()))
        return f"unknown environment `{name}`; searched {where}" + (" and the stdlib" if self.stdlib else "") + (
            f"; {hint}" if hint else "")

    def warn_once(self, key: str, message: str) -> None:
        """A MissingEnvironmentWarning, the first time `key` comes up in this registry."""
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        warnings.warn(f"racesdsl reward: {message}; every such row scores 0", MissingEnvironmentWarning,
                      stacklevel=2)

    # ---------------------------------------------------------- instances

    def instance(self, name: str, seed: int, params: Mapping[str, Any] | None = None) -> Instance:
        """The instance a row was exported from: sampling is a pure function of
        (env, seed, params), so this is the same instance, rebuilt (and cached)."""
        env = self.get(name)
        values = dict(params or {})
        key = (env.qualname, seed, params_key(values))
        hit = self._instances.get(key)
        if hit is None:
            hit = env.sample(seed, **values)
            if len(self._instances) >= MAX_INSTANCES:
                self._instances.clear()
            self._instances[key] = hit
        return hit

    def score(self, name: str, seed: Any, params: Any, completion: str, answer: Any = None,
              inputs: Any = None) -> Score:
        """Re-sample the row's instance and verify `completion`; never raises.

        `params`, `answer` (the exported reference) and `inputs` may be JSON text or
        values. When the re-sampled answer differs from `answer` (the spec changed
        since export) or the row cannot be re-sampled, a base environment is scored
        against `answer` itself; a composite needs its instance and scores 0."""
        try:
            return self._score(name, seed, params, completion, answer, inputs)
        except Exception as exc:  # the last guard: a reward function must not stop a training run
            return Score(0.0, f"reward error: {type(exc).__name__}: {exc}")

    def _score(self, name: str, seed: Any, params: Any, completion: str, answer: Any, inputs: Any) -> Score:
        try:
            env = self.get(str(name))
        except UnknownEnvironment as exc:
            self.warn_once("env:" + qualname_of(str(name)), str(exc))
            return Score(0.0, str(exc))
        except LookupError as exc:  # a source that does not load: one warning for the source
            self.warn_once("source:" + str(exc), str(exc))
            return Score(0.0, str(exc))
        except Exception as exc:  # a source that fails in an unexpected way: report, never raise
            message = f"cannot look up `{name}`: {type(exc).__name__}: {exc}"
            self.warn_once("source:" + f"{type(exc).__name__}: {exc}", message)
            return Score(0.0, message)
        if not isinstance(completion, str):
            return Score(0.0, f"the completion is not text (got {type(completion).__name__})")
        if isinstance(answer, str | bytes) and not answer.strip():
            answer = None  # an empty ground truth means "none given"
        try:
            reference = read_json(answer) if answer is not None else None
        except ValueError:
            reference = answer  # not JSON: the raw text is the reference
        if seed is None:
            return _against_answer(env, completion, answer, reference, params, inputs, "the row has no seed")
        try:
            values = read_json(params) if params is not None else {}
            inst = self.instance(env.qualname, _as_int(seed), values)
        except Exception as exc:  # a broken row: fall back to the exported answer
            return _against_answer(env, completion, answer, reference, params, inputs,
                                   f"cannot re-sample the row ({type(exc).__name__}: {exc})")
        if answer is not None and to_json_value(inst.answer) != reference:
            return _against_answer(env, completion, answer, reference, params, inputs,
                                   "the spec's answer for this row differs from the exported one")
        return env.verify(inst, completion)


def _as_int(seed: Any) -> int:
    value = plain(seed)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"seed must be an integer, got {type(value).__name__}")
    number = int(value)
    if isinstance(value, float) and number != value:
        raise ValueError(f"seed must be an integer, got {value!r}")
    return number


def _against_answer(env: Env, completion: str, answer: Any, reference: Any, params: Any, inputs: Any,
                    why: str) -> Score:
    """Score a base environment against the exported reference answer (its parser and
    verifier at the row's params, else the defaults)."""
    if answer is None:
        return Score(0.0, f"{why}; no reference answer to fall back to")
    if isinstance(env, Composite):
        return Score(0.0, f"{why}; a composite is verified against its rebuilt instance only")
    from racesdsl.runtime.checks import canonical_for

    try:
        values = env.resolve_params(read_json(params) if params is not None else {})
    except Exception:
        values = env.resolve_params({})
    try:
        given = read_json(inputs) if inputs is not None else {}
    except ValueError:
        given = {}
    try:
        expected = canonical_for(env.output_type(**values))(reference)
    except Exception as exc:
        return Score(0.0, f"{why}; the reference answer does not fit the output type ({type(exc).__name__})")
    inst = Instance(env.qualname, -1, values, given if isinstance(given, dict) else {}, "", expected, "")
    score = env.verify(inst, completion)
    return Score(score.value, f"{score.reason} (against the exported answer: {why})", score.parts)


_DEFAULT: tuple[tuple, Registry] | None = None  # the one module global: (configuration, registry)


def default_registry(specs: str | Iterable[str | Path] | None = None,
                     packages: str | Iterable[str] | None = None) -> Registry:
    """The process-wide registry: from the arguments when given, else from
    RACESDSL_SPECS / RACESDSL_PACKAGES. Created on first use and reused while its
    configuration stays the same (a changed variable gives a fresh registry)."""
    global _DEFAULT
    if specs is None and packages is None:
        config = (tuple(split_paths(os.environ.get(ENV_SPECS))), tuple(split_paths(os.environ.get(ENV_PACKAGES))))
    else:
        config = (tuple(split_paths(specs)), tuple(split_paths(packages)))
    current = _DEFAULT
    if current is None or current[0] != config:
        current = (config, Registry(*config))
        _DEFAULT = current
    return current[1]
