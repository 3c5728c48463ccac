"""Hugging Face `datasets` from sampled instances (docs/interop.md).

`to_dataset` goes through `export.rows` and the Parquet writer, so a dataset
built in memory has exactly the columns and Arrow types of a Parquet export
(`plain`, `verl` or `trl` schema, JSON-string columns as `export.JSON_COLUMNS`
lists), and the reward functions in `trl.py` and `verl.py` score it the same.
`datasets` is imported only when called (`pip install 'racesdsl[hf]'`)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from racesdsl.integrations import export
from racesdsl.runtime.composite import Composite
from racesdsl.runtime.env import Environment

__all__ = ["to_dataset"]

Env = Environment | Composite


def _datasets() -> Any:
    try:
        import datasets
    except ImportError:
        raise ImportError("to_dataset needs Hugging Face datasets: pip install 'racesdsl[hf]'") from None
    return datasets


def _envs(env: Env | str | Iterable[Env | str] | Mapping[str, Env]) -> dict[str, Env]:
    """Env objects or qualified names (looked up through the default registry) by qualname;
    a loaded `Program` (or any name -> env mapping) gives its root envs."""
    if isinstance(env, Mapping):
        return {name: env[name] for name in (getattr(env, "roots", None) or list(env))}
    items = [env] if isinstance(env, Environment | Composite | str) else list(env)
    out: dict[str, Env] = {}
    for item in items:
        if isinstance(item, str):
            from racesdsl.integrations.registry import default_registry

            item = default_registry().get(item)
        if not isinstance(item, Environment | Composite):
            raise TypeError(f"expected an Environment, a Composite or a qualified name, got {type(item).__name__}")
        out[item.qualname] = item
    return out


def to_dataset(env: Env | str | Iterable[Env | str] | Mapping[str, Env], n: int, /, seed: int = 0,
               schema: str = "plain", split: Mapping[str, float] | str | None = None, **params: Any) -> Any:
    """A `datasets.Dataset` of `n` instances of `env` (seeds `seed`..`seed + n - 1`) in
    `schema`'s layout. `env` may be several envs (n rows each) or a loaded `Program` (its
    root envs); names resolve through the default registry. `params` apply to every env; `env` and `n` are positional-only, so
    an env param named `n` is a keyword like any other (`to_dataset(sort_list, 100, n=5)`).
    With split fractions (`{"train": 0.9, "test": 0.1}`) the result is a
    `datasets.DatasetDict` by split, in the order given, assigned as `export.rows` does
    (a split no row landed in is absent); a single split name labels every row."""
    datasets = _datasets()
    envs = _envs(env)
    rows = export.rows(envs, list(envs), n, seed=seed, params=params, schema=schema, split=split)
    if not isinstance(split, Mapping):
        return datasets.Dataset(_table(rows), split=split and datasets.NamedSplit(split))
    groups = export.by_split(rows)
    return datasets.DatasetDict({name: datasets.Dataset(_table(groups[name]), split=datasets.NamedSplit(name))
                                 for name in split if name in groups})


def _table(rows: Iterable[Mapping[str, Any]]) -> Any:
    """Rows as the Arrow table a Parquet export of them would hold (its explicit schema)."""
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    export.write(rows, buffer, fmt="parquet")
    buffer.seek(0)
    return pq.read_table(buffer)
