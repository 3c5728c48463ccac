"""reasoning-gym interop, both ways (docs/interop.md).

- `RacesDataset(env, size, seed=0, **params)`: a racesdsl environment or
  composite as a reasoning-gym-style procedural dataset (`question`, `answer`,
  `metadata` items and `score_answer`). It needs no reasoning-gym;
  `register_with_reasoning_gym` makes one creatable through reasoning-gym's own
  factory (`reasoning_gym.create_dataset(name, ...)`), as a real
  `ProceduralDataset`.
- `make_bindings(dataset_name, ...)`: a reasoning-gym dataset as a base
  environment, through `sample python` / `solve python` bindings, so it
  composes with racesdsl environments; `make_verifier` scores with the
  dataset's own `score_answer`.

Item i of a `RacesDataset` is instance `seed + i`, as in `export.rows`, so the
same (env, size, seed, params) gives the same items on every machine, and
`score_answer` re-samples the instance named by an item's metadata.
A seq/par question asks for its step tags inside one `<answer>` block
(`answer_block`), so reasoning-gym's `extract_answer` finds them."""

from __future__ import annotations

import dataclasses
import inspect
import json
import operator
import random
import re
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from racesdsl.runtime.composite import Composite
from racesdsl.runtime.env import Environment, Instance
from racesdsl.runtime.extract import extract
from racesdsl.runtime.score import Score
from racesdsl.runtime.seeds import params_key
from racesdsl.runtime.values import to_json_value

__all__ = ["ANSWER_BLOCK", "DEFAULT_POOL", "RacesConfig", "RacesDataset", "answer_text", "as_completion", "make_bindings",
           "make_verifier", "register_with_reasoning_gym"]

Env = Environment | Composite
MAX_CACHED = 4096  # re-sampled instances / generated items kept (bounded)
DEFAULT_POOL = 1_000_000  # item indices a wrapped reasoning-gym dataset draws from
_BLOCK = re.compile(r"<\s*(?:step|part)\s*1\s*>", re.I)
ANSWER_BLOCK = "\n\nPut all of these tags inside one <answer></answer> block: <answer><{tag}1>...</{tag}1>...</answer>."


def _env(env: Env | str) -> Env:
    """An env object as is; a qualified name through the default registry (RACESDSL_SPECS,
    RACESDSL_PACKAGES, then the stdlib)."""
    if isinstance(env, Environment | Composite):
        return env
    if isinstance(env, str):
        from racesdsl.integrations.registry import default_registry

        return default_registry().get(env)
    raise TypeError(f"expected an Environment, a Composite or a qualified name, got {type(env).__name__}")


def _read(value: Any) -> Any:
    """A metadata field that may have travelled as a JSON string (Parquet, HF datasets)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


# ----------------------------------------------------------- answers as text


def answer_text(env: Env, answer: Any, **params: Any) -> str:
    """The reference answer as reasoning-gym text: what the env's answer block holds
    (`42` for `<answer>42</answer>`, the JSON of a list). A `seq` or `par` composite
    has one block per step, so its text is the whole reference completion."""
    completion = env.render_answer(answer, **params)
    if isinstance(env, Composite):
        if env.op in ("seq", "par"):
            return completion
        return extract(completion, "tags") or completion
    found = extract(completion, env.answer_format)
    return completion if found is None else found


def as_completion(env: Env, text: str, **params: Any) -> str:
    """A full completion for `text`: kept as it is when it already holds the env's
    answer block(s), else taken as the bare answer and wrapped in the env's format
    (for a `seq`/`par` composite, a JSON list of the step answers is rendered)."""
    if isinstance(env, Composite) and env.op in ("seq", "par"):
        if _BLOCK.search(text) or not text.lstrip().startswith("["):
            return text
        try:
            return env.render_answer(json.loads(text), **params)
        except Exception:  # not a JSON list of the right length: verified as it is
            return text
    fmt = "tags" if isinstance(env, Composite) else env.answer_format
    if fmt == "json" or extract(text, fmt) is not None:
        return text
    return f"<answer>{text}</answer>" if fmt == "tags" else "\\boxed{" + text + "}"


# ------------------------------------------------------------------ dataset


@dataclasses.dataclass
class RacesConfig:
    """What a `RacesDataset` was made from (reasoning-gym datasets carry a `config`)."""

    env: str = ""
    seed: int | None = 0
    size: int = 500
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def validate(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise ValueError(f"size must be a non-negative integer, got {self.size!r}")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise ValueError(f"seed must be an integer or None, got {self.seed!r}")


class RacesDataset:
    """A racesdsl environment or composite as a reasoning-gym procedural dataset.

    `env` is an env object or a qualified name (looked up like the reward functions
    do: RACESDSL_SPECS, RACESDSL_PACKAGES, the stdlib). Params are validated now.
    Set `answer_block` False to keep a seq/par composite's prompt unchanged."""

    answer_block = True

    def __init__(self, env: Env | str, size: int = 500, seed: int = 0, **params: Any) -> None:
        self.env = _env(env)
        self.config = RacesConfig(self.env.qualname, seed, size, dict(params))
        self.config.validate()
        self.size, self.seed = size, seed
        self.params = self.env.resolve_params(params)
        self.name = self.env.qualname  # metadata["source_dataset"]; a registered name when registered
        self._instances: dict[tuple[str, int, str], Instance] = {}

    @property
    def category(self) -> str:
        return "racesdsl"

    def __repr__(self) -> str:
        return f"RacesDataset({self.env.qualname!r}, size={self.size}, seed={self.seed}, params={self.params})"

    def __len__(self) -> int:
        return self.size

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled by name (env objects do not pickle): the unpickling process finds the
        env through the default registry, or a registered dataset through reasoning-gym."""
        if type(self) is RacesDataset:
            return _unpickle, (self.env.qualname, self.size, self.seed, self.params)
        return _unpickle_registered, (self.name, {**dataclasses.asdict(self.config), "seed": self.seed})

    def __getitem__(self, index: int) -> dict[str, Any]:
        if isinstance(index, bool):
            raise TypeError("dataset indices must be integers, got bool")
        i = operator.index(index)  # numpy integers too
        i = i + self.size if i < 0 else i
        if not 0 <= i < self.size:
            raise IndexError(f"index {index} is out of range for a dataset of {self.size} items")
        return self.entry(self.env.sample(self.seed + i, **self.params), i)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self[i] for i in range(self.size))

    def entry(self, inst: Instance, index: int) -> dict[str, Any]:
        """The reasoning-gym item for an instance: `question`, `answer` (text) and
        `metadata` (enough to rebuild the instance, and reasoning-gym's own keys)."""
        params = to_json_value(inst.params)
        question = inst.prompt
        if self.answer_block and isinstance(self.env, Composite) and self.env.op in ("seq", "par"):
            question += ANSWER_BLOCK.format(tag="step" if self.env.op == "seq" else "part")
        return {
            "question": question,
            "answer": answer_text(self.env, inst.answer, **inst.params),
            "metadata": {"source_dataset": self.name, "source_index": index, "env": inst.env,
                         "seed": inst.seed, "params": params, "input": to_json_value(inst.input),
                         "id": inst.id, "difficulty": dict(params)},
        }

    def instance(self, entry: Mapping[str, Any]) -> tuple[Env, Instance]:
        """The env and instance an item came from, re-sampled from its metadata (cached)."""
        meta = entry["metadata"]
        name = str(meta["env"])
        env = self.env if name == self.env.qualname else _env(name)
        seed, params = int(meta["seed"]), dict(_read(meta.get("params")) or {})
        key = (env.qualname, seed, params_key(params))
        inst = self._instances.get(key)
        if inst is None:
            inst = env.sample(seed, **params)
            if len(self._instances) >= MAX_CACHED:
                self._instances.clear()
            self._instances[key] = inst
        return env, inst

    def score(self, answer: str | None, entry: Mapping[str, Any]) -> Score:
        """The full `Score` (reason, per-step parts) of `answer`; never raises.
        `answer` may be a whole completion or the bare answer text (see `as_completion`)."""
        if not isinstance(answer, str) or not answer.strip():
            return Score(0.0, "no answer")
        try:
            env, inst = self.instance(entry)
        except Exception as exc:  # a foreign or broken entry: nothing to verify against
            return Score(0.0, f"cannot rebuild the entry's instance: {type(exc).__name__}: {exc}")
        try:
            return env.verify(inst, as_completion(env, answer, **inst.params))
        except Exception as exc:  # verify never raises; as_completion guards its own parsing
            return Score(0.0, f"verifier error: {type(exc).__name__}: {exc}")

    def score_answer(self, answer: str | None, entry: Mapping[str, Any]) -> float:
        """reasoning-gym's scoring hook: the reward in [0, 1]."""
        return float(self.score(answer, entry).value)


def _unpickle(env: str, size: int, seed: int, params: dict[str, Any]) -> RacesDataset:
    return RacesDataset(env, size, seed, **params)


def _unpickle_registered(name: str, config: dict[str, Any]) -> Any:
    from reasoning_gym import create_dataset

    return create_dataset(name, **config)


# ------------------------------------------------- reasoning-gym's factory


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^0-9A-Za-z]+", name) if part) or "Races"


def register_with_reasoning_gym(name: str, env: Env | str, *, size: int = 500, seed: int | None = None,
                                overwrite: bool = False, **params: Any) -> type:
    """Register `env` as reasoning-gym dataset `name`; returns the dataset class.

    Then `reasoning_gym.create_dataset(name, size=..., seed=..., params={...})` builds it
    (and reasoning-gym's `CompositeDataset` mixes it with its own). A base env's params
    with identifier names are config fields too (`create_dataset(name, n=9)`). `size`,
    `seed` and `params` are the config's defaults; seed None draws a random seed, as
    reasoning-gym does. Needs reasoning-gym (`pip install 'racesdsl[rg]'`)."""
    try:
        from reasoning_gym import factory
        from reasoning_gym.dataset import ProceduralDataset
    except ImportError:
        raise ImportError("registering needs reasoning-gym: pip install 'racesdsl[rg]'") from None
    target = _env(env)
    target.resolve_params(params)  # fail now, not at the first create_dataset
    knobs = [k for k in target.resolve_params() if k.isidentifier() and k not in ("seed", "size", "params")]
    defaults = dict(params)

    def overrides(self: Any) -> dict[str, Any]:
        return {**self.params, **{k: getattr(self, k) for k in knobs if getattr(self, k) is not None}}

    def validate(self: Any) -> None:
        RacesConfig(target.qualname, self.seed, self.size, {}).validate()
        if self.size <= 0:
            raise ValueError("size must be positive")
        target.resolve_params(overrides(self))

    config_cls = dataclasses.make_dataclass(
        f"{_camel(name)}Config",
        [("seed", int | None, dataclasses.field(default=seed)), ("size", int, dataclasses.field(default=size)),
         ("params", dict[str, Any], dataclasses.field(default_factory=lambda: dict(defaults))),
         *[(k, Any, dataclasses.field(default=None)) for k in knobs]],
        namespace={"validate": validate, "overrides": overrides, "__module__": __name__})

    def init(self: Any, config: Any) -> None:
        config.validate()
        chosen = config.seed if config.seed is not None else random.Random().randint(0, 2**32)
        RacesDataset.__init__(self, target, config.size, chosen, **config.overrides())
        self.config, self.name = config, name

    def body(ns: dict[str, Any]) -> None:
        ns.update({"__init__": init, "__module__": __name__,
                   "__doc__": f"racesdsl environment {target.qualname} as reasoning-gym dataset {name!r}."})

    dataset_cls = types.new_class(f"{_camel(name)}Dataset", (RacesDataset, ProceduralDataset), exec_body=body)
    if overwrite:
        factory.DATASETS.pop(name, None)
    factory.register_dataset(name, dataset_cls, config_cls)
    return dataset_cls


# ------------------------------------ a reasoning-gym dataset as an environment


class _Source:
    """One reasoning-gym dataset, built once per config (params that name config fields
    override the fixed config) and read by item index."""

    def __init__(self, name: str, size: int, seed: int, config: Mapping[str, Any]) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be a positive integer, got {size!r}")
        self.name, self.size, self.seed, self.config = name, size, seed, dict(config)
        self._fields: frozenset[str] | None = None
        self._datasets: dict[str, Any] = {}
        self._items: dict[tuple[str, int], dict[str, Any]] = {}

    def fields(self) -> frozenset[str]:
        if self._fields is None:
            try:
                from reasoning_gym import factory
            except ImportError:
                raise ImportError(f"the reasoning-gym dataset {self.name!r} needs reasoning-gym: "
                                  "pip install 'racesdsl[rg]'") from None
            if self.name not in factory.DATASETS:
                raise KeyError(f"reasoning-gym has no dataset {self.name!r}")
            self._fields = frozenset(f.name for f in dataclasses.fields(factory.DATASETS[self.name][1]))
        return self._fields

    def dataset(self, params: Mapping[str, Any]) -> tuple[str, Any]:
        fields = self.fields()
        config = {**self.config, **{k: v for k, v in params.items() if k in fields}, "seed": self.seed,
                  "size": self.size}
        key = json.dumps(sorted(config.items()), default=str)
        ds = self._datasets.get(key)
        if ds is None:
            from reasoning_gym import create_dataset

            ds = self._datasets[key] = create_dataset(self.name, **config)
        return key, ds

    def item(self, index: int, params: Mapping[str, Any]) -> dict[str, Any]:
        key, ds = self.dataset(params)
        hit = self._items.get((key, index))
        if hit is None:
            if len(self._items) >= MAX_CACHED:
                self._items.clear()
            hit = self._items[(key, index)] = ds[index]
        return hit


def _call(fn: Callable[..., Any], kwargs: Mapping[str, Any]) -> Any:
    """Call `fn` with the keyword arguments its signature names (all with **kwargs)."""
    try:
        sig = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn(**kwargs)
    if any(p.kind is p.VAR_KEYWORD for p in sig.values()):
        return fn(**kwargs)
    return fn(**{k: v for k, v in kwargs.items() if k in sig})


def _index(inputs: Mapping[str, Any], dataset_name: str) -> int:
    """The item index among an env's inputs: `item.index` (the default inputs) or `index`."""
    item = inputs.get("item")
    if isinstance(item, Mapping) and "index" in item:
        return item["index"]
    if "index" in inputs:
        return inputs["index"]
    raise TypeError(f"the {dataset_name!r} binding needs the item index (an input `item` with an `index` "
                    "field, or an input `index`); with other inputs, pass solve= to make_bindings")


def make_bindings(dataset_name: str, *, inputs: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None,
                  solve: Callable[..., Any] | None = None, answer: Callable[[str], Any] | None = None,
                  size: int = DEFAULT_POOL, seed: int = 0,
                  **config: Any) -> tuple[Callable[..., dict[str, Any]], Callable[..., Any]]:
    """`(sample, solve)` functions for `sample python` / `solve python`, drawing items of
    the reasoning-gym dataset `dataset_name` (built with `config`, `seed` and `size`).

    - sample(rng, **params): draws an item index in [0, size) from rng; returns
      `inputs(item)` (`item` is the reasoning-gym item plus its `index`), by default
      `{"item": {"index": ..., "question": ...}}` (one record input, so a prompt
      showing `{{ item.question }}` mentions it). Env params that name fields of the
      dataset's config (e.g. `max_value`) override `config`; other params are ignored.
    - solve(**inputs_and_params): `solve(...)` when given (called with the arguments it
      names; it must compute the answer from the inputs, so the env can be fed by an
      earlier stage); else the item at the index input (`item.index` or `index`) is
      regenerated and `answer(item["answer"])` returned (`answer`, e.g. `int`, converts
      reasoning-gym's answer text to the env's output type; default: the text)."""
    source = _Source(dataset_name, size, seed, config)

    def sample(rng: random.Random, **params: Any) -> dict[str, Any]:
        index = rng.randrange(source.size)
        item = {**source.item(index, params), "index": index}
        if inputs is not None:
            return dict(inputs(item))
        return {"item": {"index": index, "question": item["question"]}}

    def solve_fn(**kwargs: Any) -> Any:
        if solve is not None:
            return _call(solve, kwargs)
        text = source.item(_index(kwargs, dataset_name), kwargs)["answer"]
        return text if answer is None else answer(text)

    sample.__name__ = sample.__qualname__ = f"sample_{dataset_name}"
    solve_fn.__name__ = solve_fn.__qualname__ = f"solve_{dataset_name}"
    return sample, solve_fn


def make_verifier(dataset_name: str, *, size: int = DEFAULT_POOL, seed: int = 0,
                  **config: Any) -> Callable[..., float]:
    """A `verify python` function that scores with the dataset's own `score_answer`
    (for tasks with several right answers). The env needs the index input, and the
    same `size`, `seed` and config as its `make_bindings`. Not `exact`, so such an env
    may only be the last stage of a `seq` (E0313)."""
    source = _Source(dataset_name, size, seed, config)

    def verify(answer: Any, *, reference: Any, inputs: Mapping[str, Any], params: Mapping[str, Any]) -> float:
        _, ds = source.dataset(params)
        text = answer if isinstance(answer, str) else json.dumps(to_json_value(answer), ensure_ascii=False)
        return float(ds.score_answer(text, source.item(_index(inputs, dataset_name), params)))

    verify.__name__ = verify.__qualname__ = f"verify_{dataset_name}"
    return verify
