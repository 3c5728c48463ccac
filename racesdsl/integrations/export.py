"""Export sampled instances as training rows: JSON lines or Parquet, in the row
layout a trainer expects (`plain`, `verl`, `trl`), optionally split into
disjoint train/test sets.

Rows are pure functions of (env, seed, params): instance i of an env uses
seed `seed + i`, its split is decided by hashlib over (env, seed) and JSON
lines are written with a fixed key order, so an export is byte-identical on
every machine and run. Every row carries what a reward function needs to
rebuild and re-verify its instance (see registry.py).

Columns whose type varies across rows (answers, inputs, params, lineage)
cannot share one Arrow schema, so they are JSON strings in Parquet
(`JSON_COLUMNS`); the verl and trl schemas hold them as JSON strings in JSON
lines too, so one row dict serves both formats and reads back equal from
either (the Parquet writer refuses a row whose columns differ from the first
row's rather than drop a column silently)."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from racesdsl.atomic import write_atomic
from racesdsl.integrations.registry import DATA_SOURCE_PREFIX
from racesdsl.runtime.env import Instance
from racesdsl.runtime.values import to_json_value

__all__ = ["FORMATS", "JSON_COLUMNS", "SCHEMAS", "assign_split", "by_split", "from_plain", "jsonl_line", "layout",
           "parse_split", "rows", "schema_of", "table", "with_lineage", "write"]

SCHEMAS = ("plain", "verl", "trl")
FORMATS = ("jsonl", "parquet")
# Per schema: the columns that are JSON strings in Parquet ("a.b" = field b of struct column a).
JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "plain": ("params", "input", "answer", "lineage"),  # JSON values in JSON lines, JSON strings in Parquet
    "verl": ("reward_model.ground_truth", "extra_info.params", "extra_info.input",
             "extra_info.lineage"),  # strings in both
    "trl": ("params", "answer", "lineage"),  # strings in both
}
DEFAULT_SPLIT = "train"  # verl's extra_info.split when no split is asked for (one type for every file)


def to_json(value: Any) -> str:
    return json.dumps(to_json_value(value), ensure_ascii=False)


# ------------------------------------------------------------------ splits


def parse_split(text: str) -> dict[str, float]:
    """`train=0.9,test=0.1` -> {"train": 0.9, "test": 0.1} (validated as `rows` does)."""
    out: dict[str, float] = {}
    for item in text.split(","):
        name, sep, frac = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"a split is NAME=FRACTION, got `{item.strip()}`")
        try:
            out[name.strip()] = float(frac)
        except ValueError:
            raise ValueError(f"the fraction of split `{name.strip()}` is not a number: `{frac}`") from None
    return _check_split(out)


def _check_split(split: Mapping[str, float]) -> dict[str, float]:
    fractions = dict(split)
    if not fractions:
        raise ValueError("a split needs at least one name")
    for name, frac in fractions.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"split names must be non-empty strings, got {name!r}")
        if isinstance(frac, bool) or not isinstance(frac, int | float) or not 0 < frac <= 1:
            raise ValueError(f"the fraction of split `{name}` must lie in (0, 1], got {frac!r}")
    total = sum(fractions.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"split fractions must add up to 1, got {total:g}")
    return fractions


def assign_split(env: str, seed: int, split: Mapping[str, float]) -> str:
    """The split an instance belongs to: a hash of (env, seed), never `hash()`, so the
    assignment is the same on every machine and a seed lands in exactly one split."""
    digest = hashlib.sha256(f"racesdsl-split\n{env}\n{seed}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    acc = 0.0
    names = list(split)
    for name in names:
        acc += split[name]
        if u < acc:
            return name
    return names[-1]  # rounding: the fractions add up to a hair under 1


# -------------------------------------------------------------------- rows


def rows(program: Mapping[str, Any], names: Iterable[str] | None, n: int, seed: int = 0,
         params: Mapping[str, Any] | None = None, schema: str = "plain",
         split: Mapping[str, float] | str | None = None, *,
         positions: range | None = None) -> Iterator[dict[str, Any]]:
    """Rows for `n` instances of each env in `names` (all of `program.roots` when None).

    `program` is a loaded `Program` or a compiled package's `environments()`;
    `params` apply to every env; `split` is fractions by name (each row gets the
    name of its split) or one name for every row. verl and trl rows carry each
    env's lineage (see `with_lineage`). Arguments are checked now; sampling
    errors (ParamError, SamplingError, SolverError) surface while iterating.
    `positions` picks rows of that export by position (row i is instance i % n of
    env i // n), exactly as they are in the whole: a shard is a range of positions."""
    fixed, fractions = _check_args(schema, split)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if names is None:
        names = getattr(program, "roots", None) or list(program)
    envs = [_pick(program, name) for name in names]
    everything = range(len(envs) * n)
    if positions is None:
        positions = everything
    elif positions.step != 1 or (positions and (positions.start < 0 or positions.stop > len(everything))):
        raise ValueError(f"positions must be a range within 0..{len(everything)}, got {positions!r}")
    made = _rows(envs, n, seed, dict(params or {}), schema, fixed, fractions, positions)
    return made if schema == "plain" else with_lineage(made, program)


def from_plain(plain_rows: Iterable[Mapping[str, Any]], schema: str = "plain",
               split: Mapping[str, float] | str | None = None,
               program: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """The rows `rows()` would give, built from `Instance.to_dict()` rows (what
    `racesdsl sample` and racesdsl.parallel produce), so sampling can be sharded
    across processes and the schema applied afterwards, in order. With the
    `program` the rows came from, verl and trl rows carry lineage as `rows()`'s do."""
    fixed, fractions = _check_args(schema, split)

    def convert() -> Iterator[dict[str, Any]]:
        for index, d in enumerate(plain_rows):
            inst = Instance(d["env"], d["seed"], d["params"], d["input"], d["prompt"], d["answer"], d["id"])
            name = fixed if fractions is None else assign_split(inst.env, inst.seed, fractions)
            yield _ROW[schema](inst, index, name)

    return convert() if program is None or schema == "plain" else with_lineage(convert(), program)


def with_lineage(rows: Iterable[dict[str, Any]], program: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Record on each verl/trl row what it was built from (base envs, operators, depth:
    `racesdsl.curriculum.lineage`), as a JSON string so every row has the same columns
    in JSON lines and Parquet alike: `check_leakage` reads it back from either."""
    from racesdsl.curriculum.splits import lineage

    cache: dict[str, str] = {}
    for row in rows:
        holder = row["extra_info"] if "extra_info" in row else row
        env = holder["env"]
        if env not in cache:
            cache[env] = json.dumps(lineage(program[env]), ensure_ascii=False)
        holder["lineage"] = cache[env]
        yield row


def _check_args(schema: str, split: Mapping[str, float] | str | None) -> tuple[str | None, dict[str, float] | None]:
    if schema not in SCHEMAS:
        raise ValueError(f"unknown schema `{schema}` (expected one of {', '.join(SCHEMAS)})")
    if isinstance(split, str):
        if not split:
            raise ValueError("a split name must not be empty")
        return split, None
    return None, None if split is None else _check_split(split)


def _pick(program: Mapping[str, Any], name: str) -> Any:
    try:
        return program[name]
    except KeyError:
        known = ", ".join(sorted(program)[:12])
        raise KeyError(f"no environment `{name}` (known: {known}{', ...' if len(program) > 12 else ''})") from None


def _rows(envs: list[Any], n: int, seed: int, params: dict[str, Any], schema: str, fixed: str | None,
          fractions: dict[str, float] | None, positions: range) -> Iterator[dict[str, Any]]:
    for index in positions:
        inst = envs[index // n].sample(seed + index % n, **params)
        name = fixed if fractions is None else assign_split(inst.env, inst.seed, fractions)
        yield _ROW[schema](inst, index, name)


def _plain(inst: Instance, index: int, split: str | None) -> dict[str, Any]:
    row = inst.to_dict()
    if split is not None:
        row["split"] = split
    return row


def _verl(inst: Instance, index: int, split: str | None) -> dict[str, Any]:
    return {
        "data_source": DATA_SOURCE_PREFIX + inst.env,
        "prompt": [{"role": "user", "content": inst.prompt}],
        "ability": inst.env.rpartition(".")[0] or inst.env,
        "reward_model": {"style": "rule", "ground_truth": to_json(inst.answer)},
        "extra_info": {"index": index, "split": split or DEFAULT_SPLIT, "env": inst.env,
                       "params": to_json(inst.params), "seed": inst.seed, "input": to_json(inst.input),
                       "id": inst.id},
    }


def _trl(inst: Instance, index: int, split: str | None) -> dict[str, Any]:
    row = {"prompt": [{"role": "user", "content": inst.prompt}], "env": inst.env, "seed": inst.seed,
           "params": to_json(inst.params), "answer": to_json(inst.answer), "id": inst.id}
    if split is not None:
        row["split"] = split
    return row


_ROW = {"plain": _plain, "verl": _verl, "trl": _trl}


def schema_of(row: Mapping[str, Any]) -> str:
    """Which schema a row was built with (from its keys)."""
    if "data_source" in row and "extra_info" in row:
        return "verl"
    return "trl" if isinstance(row.get("prompt"), list) else "plain"


def by_split(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows grouped by split name, in order of first appearance (write each group to its own file)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        info = row.get("extra_info")
        name = info.get("split") if isinstance(info, Mapping) else row.get("split")
        if name is None:
            raise ValueError("a row has no split; pass split= to rows()")
        groups.setdefault(name, []).append(dict(row))
    return groups


# ------------------------------------------------------------------- write


def write(rows: Iterable[Mapping[str, Any]], dest: str | os.PathLike[str] | IO[Any], fmt: str = "jsonl") -> int:
    """Write rows to a path (atomically: a reader never sees half a file; missing
    parent folders are created) or an open stream (text or binary); returns the
    number of rows. Rows are streamed, so an export never needs to fit in memory.
    Parquet needs pyarrow."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format `{fmt}` (expected one of {', '.join(FORMATS)})")
    writer = _write_jsonl if fmt == "jsonl" else _write_parquet
    if fmt == "parquet":
        _pyarrow()  # fail before creating any file
    if isinstance(dest, str | os.PathLike):
        return write_atomic(Path(dest), lambda fh: writer(rows, fh))
    if isinstance(dest, io.TextIOBase):
        if fmt == "parquet":
            raise TypeError("parquet is binary: pass a path or a binary stream")
        return writer(rows, _TextSink(dest))
    return writer(rows, dest)


class _TextSink:
    """Lets the byte writers feed a text stream (sys.stdout, io.StringIO)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, data: bytes) -> int:
        return self.stream.write(data.decode("utf-8"))


def _write_jsonl(rows: Iterable[Mapping[str, Any]], fh: Any) -> int:
    """One JSON object a line, keys in the row's (fixed) order, UTF-8 unescaped."""
    count = 0
    for row in rows:
        fh.write(jsonl_line(row))
        count += 1
    return count


def jsonl_line(row: Mapping[str, Any]) -> bytes:
    """One row as `write` puts it in a JSON-lines file (newline included)."""
    return (json.dumps(dict(row), ensure_ascii=False) + "\n").encode("utf-8")


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("parquet output needs pyarrow: pip install 'racesdsl[parquet]'") from None
    return pa, pq


PARQUET_BATCH = 4096  # rows a row group: bounded memory for large exports


def _write_parquet(rows: Iterable[Mapping[str, Any]], fh: Any) -> int:
    pa, pq = _pyarrow()
    it = iter(rows)
    first = next(it, None)
    schema = schema_of(first) if first is not None else "plain"
    arrow = _arrow_schema(pa, schema, _optional_columns(first))
    count = 0
    with pq.ParquetWriter(fh, arrow) as out:
        batch: list[dict[str, Any]] = []
        for row in itertools.chain([first] if first is not None else [], it):
            _check_columns(row, arrow, count + len(batch))
            batch.append(_parquet_row(row, schema))
            if len(batch) == PARQUET_BATCH:
                out.write_table(pa.Table.from_pylist(batch, schema=arrow))
                count, batch = count + len(batch), []
        if batch:
            out.write_table(pa.Table.from_pylist(batch, schema=arrow))
            count += len(batch)
    return count


def layout(schema: str, split: Mapping[str, float] | str | None = None) -> tuple[str, tuple[str, ...]]:
    """The Parquet layout of `rows(schema=schema, split=split)`: the schema and the
    OPTIONAL_COLUMNS its rows have, known before any row is, so an empty shard
    still gets the columns of its siblings."""
    _check_args(schema, split)
    has_split = schema == "verl" or split is not None
    return schema, tuple(c for c in OPTIONAL_COLUMNS if (has_split if c == "split" else schema != "plain"))


def table(rows: Iterable[Mapping[str, Any]], schema: str, optional: tuple[str, ...], start: int = 0) -> Any:
    """Rows as one Arrow table of the given layout, its columns checked as `write` checks
    them (`start`: the first row's position, for the message). Worker processes build
    these, so the parent of a parallel export only encodes Parquet."""
    pa, _ = _pyarrow()
    arrow = _arrow_schema(pa, schema, optional)
    batch: list[dict[str, Any]] = []
    for row in rows:
        _check_columns(row, arrow, start + len(batch))
        batch.append(_parquet_row(row, schema))
    return pa.Table.from_pylist(batch, schema=arrow)


def _parquet_row(row: Mapping[str, Any], schema: str) -> dict[str, Any]:
    """Plain rows hold values of any type: JSON strings, so each column has one Arrow type."""
    if schema != "plain":
        return dict(row)
    return {k: to_json(v) if k in JSON_COLUMNS["plain"] and not (k == "lineage" and isinstance(v, str)) else v
            for k, v in row.items()}


OPTIONAL_COLUMNS = ("split", "lineage")  # present in a file when its first row has them


def _optional_columns(first: Mapping[str, Any] | None) -> tuple[str, ...]:
    if first is None:
        return ()
    holder = first.get("extra_info") if "data_source" in first else first
    return tuple(c for c in OPTIONAL_COLUMNS if isinstance(holder, Mapping) and c in holder)


def _check_columns(row: Mapping[str, Any], arrow: Any, index: int) -> None:
    """Arrow drops keys its schema lacks and fills missing ones with nulls: refuse
    instead, so a Parquet file never silently loses what the JSON lines would keep."""
    problems = _column_mismatch(set(row), arrow.names, "")
    if not problems and "extra_info" in arrow.names and isinstance(row.get("extra_info"), Mapping):
        struct = arrow.field("extra_info").type
        problems = _column_mismatch(set(row["extra_info"]), [struct.field(k).name for k in range(struct.num_fields)],
                                    "extra_info.")
    if problems:
        raise ValueError(f"row {index} does not have the first row's columns ({problems}): "
                         "every row of a Parquet file has the same columns")


def _column_mismatch(keys: set[str], names: list[str], prefix: str) -> str:
    extra = sorted(keys - set(names))
    missing = [n for n in names if n not in keys]
    return "; ".join(part for part in (
        "extra " + ", ".join(prefix + k for k in extra) if extra else "",
        "missing " + ", ".join(prefix + k for k in missing) if missing else "") if part)


def _arrow_schema(pa: Any, schema: str, optional: tuple[str, ...]) -> Any:
    """Explicit Arrow types: an empty export or an all-null column still gets the right type.
    `optional` lists the OPTIONAL_COLUMNS the rows have (all strings)."""
    s, i = pa.string(), pa.int64()
    message = pa.list_(pa.struct([("role", s), ("content", s)]))
    extra = [(name, s) for name in optional]
    if schema == "verl":
        info = [("index", i), ("split", s), ("env", s), ("params", s), ("seed", i), ("input", s), ("id", s)]
        return pa.schema([
            ("data_source", s), ("prompt", message), ("ability", s),
            ("reward_model", pa.struct([("style", s), ("ground_truth", s)])),
            ("extra_info", pa.struct(info + [c for c in extra if c[0] != "split"])),
        ])
    if schema == "trl":
        return pa.schema([("prompt", message), ("env", s), ("seed", i), ("params", s), ("answer", s),
                          ("id", s), *extra])
    return pa.schema([("id", s), ("env", s), ("seed", i), ("params", s), ("input", s), ("prompt", s),
                      ("answer", s), *extra])
