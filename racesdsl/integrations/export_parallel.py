"""Streaming, sharded, parallel export: what `racesdsl sample -o` runs, at any row count.

An export is the row sequence `export.rows` gives for (specs, envs, n, seed,
params, schema, split): row i is instance i % n of env i // n. No process ever
holds more than a few batches of it:

- To one file (or one file per split name): rows are made `PIECE` at a time,
  encoded (JSON-lines bytes or Arrow tables) and written as row groups / lines
  as they arrive, in order. With several workers each piece is made in a worker
  process or Ray task and the parent only writes; at most `WINDOW` pieces per
  worker are in flight.
- To a folder of shards (`shard_size`): shard k holds rows k*S .. (k+1)*S-1 as
  `part-0000k-of-0000K.FORMAT`, or `NAME-0000k-of-0000K.FORMAT` for each split
  name (a shard whose seeds give a split no rows still gets its empty file).
  Each worker or Ray task writes whole shards itself; nothing crosses back but
  row counts.

Every file is a pure function of its rows: Parquet row groups hold
`export.PARQUET_BATCH` rows counted from the start of each file, whoever made
them, so the bytes are the same for any worker count and either engine (and a
single file equals `export.write(export.rows(...))`). Each file is written into
a temporary file beside it (racesdsl.atomic) and renamed once complete; a
failed export renames nothing."""

from __future__ import annotations

import io
import os
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from racesdsl import parallel
from racesdsl.atomic import clean_leftovers, write_temp
from racesdsl.integrations import export

__all__ = ["PIECE", "Job", "shard_name", "write"]

PIECE = export.PARQUET_BATCH  # rows a worker makes per task when the parent writes
WINDOW = 2  # pieces or shards in flight per worker: bounded memory, no idle worker
UNSPLIT = "part"  # the file-name stem of shards without a split


@dataclass(frozen=True)
class Job:
    """What to export: picklable, so worker processes and Ray tasks make the rows themselves
    (each loads `paths` once, with `search_path` for `use`)."""

    paths: tuple[str, ...]
    names: tuple[str, ...]
    n: int
    seed: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)
    schema: str = "plain"
    split: Mapping[str, float] | str | None = None
    fmt: str = "jsonl"
    search_path: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.fmt not in export.FORMATS:
            raise ValueError(f"unknown format `{self.fmt}` (expected one of {', '.join(export.FORMATS)})")
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 0:
            raise ValueError(f"n must be a non-negative integer, got {self.n!r}")
        export.layout(self.schema, self.split)  # checks the schema and split

    @property
    def total(self) -> int:
        return len(self.names) * self.n

    def keys(self) -> list[str | None]:
        """The outputs rows go to: split names, one name, or None (unsplit)."""
        if isinstance(self.split, Mapping):
            return list(self.split)
        return [self.split]


def shard_name(key: str | None, k: int, count: int, fmt: str) -> str:
    """`train-00003-of-00010.parquet`: Hugging Face's data-file pattern, so `datasets` finds the splits."""
    return f"{key or UNSPLIT}-{k:05d}-of-{count:05d}.{fmt}"


def write(job: Job, dest: str | os.PathLike[str] | IO[Any], *, shard_size: int | None = None, workers: int = 1,
          engine: str = "local", program: Mapping[str, Any] | None = None) -> int:
    """Export `job` to `dest` and return the number of rows written.

    `dest` is a file path or an open stream; a folder when the split is fractions
    (NAME.FORMAT per split name) or `shard_size` is given (shards of that many
    rows). `workers` processes (or Ray tasks, `engine="ray"`) make the rows;
    `program`, the already loaded `job.paths`, saves loading them again when the
    work stays in this process."""
    if engine not in parallel.ENGINES:
        raise ValueError(f"unknown engine `{engine}` (expected one of {', '.join(parallel.ENGINES)})")
    if shard_size is not None and (isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size < 1):
        raise ValueError(f"shard_size must be a positive integer, got {shard_size!r}")
    if job.fmt == "parquet":
        export._pyarrow()  # fail before creating any file
    layout = export.layout(job.schema, job.split)
    if not isinstance(dest, str | os.PathLike):
        if shard_size is not None or isinstance(job.split, Mapping):
            raise ValueError("shards and split fractions write a folder: pass a path")
        stream = export._TextSink(dest) if isinstance(dest, io.TextIOBase) else dest
        if stream is not dest and job.fmt == "parquet":
            raise TypeError("parquet is binary: pass a path or a binary stream")
        with _Outputs(lambda key: None, job.fmt, layout, job.keys(), stream) as out:
            return _fill(out, _pieces(job, workers, engine, program))
    folder = Path(dest) if shard_size is not None or isinstance(job.split, Mapping) else Path(dest).parent
    folder.mkdir(parents=True, exist_ok=True)
    clean_leftovers(folder)  # here, once: workers on other machines cannot tell a live writer from a dead one
    if shard_size is not None:
        count = -(-job.total // shard_size)
        tasks = [("shard", str(folder.resolve()), k, count, shard_size) for k in range(count)]
        return sum(_results(job, tasks, workers, engine, program))
    by_name = isinstance(job.split, Mapping)

    def target(key: str | None) -> Path:
        return folder / f"{key}.{job.fmt}" if by_name else Path(dest)

    # As `by_split`: a split that gets no rows gets no file; an unsplit export always has its file.
    with _Outputs(target, job.fmt, layout, [] if by_name else job.keys()) as out:
        return _fill(out, _pieces(job, workers, engine, program))


def _pieces(job: Job, workers: int, engine: str, program: Mapping[str, Any] | None) -> Iterator[Any]:
    tasks = [("encode", lo, min(job.total, lo + PIECE)) for lo in range(0, job.total, PIECE)]
    return _results(job, tasks, workers, engine, program)


def _fill(out: _Outputs, pieces: Iterator[dict[str | None, Any]]) -> int:
    for piece in pieces:
        out.add(piece)
    return out.close()


# ----------------------------------------------------------- the work itself


def _encode(program: Mapping[str, Any], job: Job, lo: int, hi: int) -> dict[str | None, Any]:
    """Rows lo..hi-1 of the export, grouped by output and encoded: bytes or an Arrow table."""
    rows = export.rows(program, list(job.names), job.n, job.seed, job.params, job.schema, job.split,
                       positions=range(lo, hi))
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(_key_of(row, job), []).append(row)
    if job.fmt == "jsonl":
        return {key: b"".join(map(export.jsonl_line, group)) for key, group in groups.items()}
    schema, optional = export.layout(job.schema, job.split)
    return {key: export.table(group, schema, optional, lo) for key, group in groups.items()}


def _key_of(row: Mapping[str, Any], job: Job) -> str | None:
    if job.split is None:
        return None
    info = row.get("extra_info")
    return info["split"] if isinstance(info, Mapping) else row["split"]


def _shard(program: Mapping[str, Any], job: Job, folder: str, k: int, count: int, size: int) -> int:
    """Write shard k (rows k*size .. (k+1)*size-1), one file per output; returns its rows."""
    lo, hi = k * size, min(job.total, (k + 1) * size)
    layout = export.layout(job.schema, job.split)
    with _Outputs(lambda key: Path(folder) / shard_name(key, k, count, job.fmt), job.fmt, layout, job.keys()) as out:
        for start in range(lo, hi, PIECE):
            out.add(_encode(program, job, start, min(hi, start + PIECE)))
        return out.close()


def _do(program: Mapping[str, Any], job: Job, task: tuple[Any, ...]) -> Any:
    kind, *args = task
    return _encode(program, job, *args) if kind == "encode" else _shard(program, job, *args)


# One worker process (pool or Ray) serves many tasks of one export: keep the
# program it loaded for that export (a new export loads afresh, so edited specs are seen).
_LOADED: dict[str, Any] = {}


def _remote(call: str, job: Job, task: tuple[Any, ...]) -> Any:
    """A task in a worker process or Ray task."""
    if _LOADED.get("call") != call:
        from racesdsl.loader import load

        _LOADED.clear()
        _LOADED.update(call=call, program=load(list(job.paths), list(job.search_path)))
    return _do(_LOADED["program"], job, task)


# ------------------------------------------------------------------ engines


def _results(job: Job, tasks: Sequence[tuple[Any, ...]], workers: int, engine: str,
             program: Mapping[str, Any] | None) -> Iterator[Any]:
    """Each task's result, in task order."""
    if engine == "ray":
        return _ray_results(job, tasks, max(1, workers))
    workers = max(1, min(workers, len(tasks)))
    if workers == 1:
        return _local_results(job, tasks, program)
    return _pool_results(job, tasks, workers)


def _local_results(job: Job, tasks: Sequence[tuple[Any, ...]], program: Mapping[str, Any] | None) -> Iterator[Any]:
    if program is None and tasks:
        from racesdsl.loader import load

        program = load(list(job.paths), list(job.search_path))
    for task in tasks:
        yield _do(program, job, task)


def _pool_results(job: Job, tasks: Sequence[tuple[Any, ...]], workers: int) -> Iterator[Any]:
    call = uuid.uuid4().hex
    pool = parallel.worker_pool(workers)
    pending: deque[Any] = deque()
    try:
        for task in tasks:
            pending.append(pool.submit(_remote, call, job, task))
            if len(pending) >= WINDOW * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ray_results(job: Job, tasks: Sequence[tuple[Any, ...]], workers: int) -> Iterator[Any]:
    ray = parallel._import_ray()
    if not tasks:
        return
    parallel._start_ray(ray, workers)
    # Ray workers may start in another folder: absolute paths (shard folders are already).
    job = replace(job, paths=tuple(os.path.abspath(p) for p in job.paths),
                  search_path=tuple(os.path.abspath(p) for p in job.search_path))
    remote = ray.remote(num_cpus=1)(_remote)
    call, job_ref = uuid.uuid4().hex, ray.put(job)
    pending: deque[Any] = deque()
    try:
        for task in tasks:
            pending.append(remote.remote(call, job_ref, task))
            if len(pending) >= WINDOW * workers:
                yield ray.get(pending.popleft())
        while pending:
            yield ray.get(pending.popleft())
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, Exception):  # the task's own exception, as the local engine raises it
            raise cause from None
        raise
    finally:
        if pending:  # a failed task or an abandoned export: cancel the rest quietly
            parallel._drain(ray, list(pending))


# ------------------------------------------------------------------ outputs


class _Sink:
    """One output: a temporary file beside `path` until `close` renames it (or a caller's stream).
    Parquet tables are re-cut into PARQUET_BATCH-row groups, so the file does not
    depend on how its rows were split into pieces."""

    def __init__(self, path: Path | None, fmt: str, layout: tuple[str, tuple[str, ...]], stream: Any) -> None:
        self.path, self.rows, self.fmt = path, 0, fmt
        self.tmp = None if path is None else write_temp(path, lambda fh: None)
        self.fh = stream if self.tmp is None else open(self.tmp, "wb")  # noqa: SIM115 (closed by close/abort)
        self.pending: list[Any] = []
        self.buffered = 0
        if fmt == "parquet":
            pa, pq = export._pyarrow()
            self.pa = pa
            self.writer = pq.ParquetWriter(self.fh, export._arrow_schema(pa, *layout))

    def add(self, data: Any) -> None:
        if self.fmt == "jsonl":
            self.fh.write(data)
            self.rows += data.count(b"\n")  # json.dumps escapes every newline inside a value
            return
        self.pending.append(data)
        self.buffered += data.num_rows
        while self.buffered >= export.PARQUET_BATCH:
            self._flush(export.PARQUET_BATCH)

    def _flush(self, size: int) -> None:
        table = self.pa.concat_tables(self.pending).combine_chunks()
        self.writer.write_table(table.slice(0, size))
        rest = table.slice(size)
        self.pending = [rest] if rest.num_rows else []
        self.buffered -= size
        self.rows += size

    def finish(self) -> None:
        """Write what is buffered and close the file (renamed later, with its siblings)."""
        if self.fmt == "parquet":
            if self.buffered:
                self._flush(self.buffered)
            self.writer.close()
        if self.tmp is not None:
            self.fh.close()

    def abort(self) -> None:
        if self.tmp is not None:
            try:
                self.fh.close()
            finally:
                self.tmp.unlink(missing_ok=True)


class _Outputs:
    """The sinks of one export or shard, by output key; all renamed into place together at `close`."""

    def __init__(self, target: Callable[[str | None], Path | None], fmt: str, layout: tuple[str, tuple[str, ...]],
                 eager: list[str | None], stream: Any = None) -> None:
        self.target, self.fmt, self.layout, self.stream = target, fmt, layout, stream
        self.sinks: dict[str | None, _Sink] = {}
        for key in eager:
            self._sink(key)

    def _sink(self, key: str | None) -> _Sink:
        if key not in self.sinks:
            self.sinks[key] = _Sink(self.target(key), self.fmt, self.layout, self.stream)
        return self.sinks[key]

    def add(self, piece: Mapping[str | None, Any]) -> None:
        for key, data in piece.items():
            self._sink(key).add(data)

    def close(self) -> int:
        for sink in self.sinks.values():
            sink.finish()
        for sink in self.sinks.values():
            if sink.tmp is not None and sink.path is not None:
                os.replace(sink.tmp, sink.path)
                sink.tmp = None
        return sum(sink.rows for sink in self.sinks.values())

    def __enter__(self) -> _Outputs:
        return self

    def __exit__(self, *exc: object) -> None:
        for sink in self.sinks.values():  # after close(), nothing is left to remove
            if sink.tmp is not None:
                sink.abort()
