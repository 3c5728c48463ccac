"""The streaming, sharded, parallel export (racesdsl.integrations.export_parallel,
issue 15): each shard is a pure function of its seed range, so its bytes are the
same for any worker count and engine; one file equals `export.write` of the
whole export; rows are written while later ones are still being made; a failed
export leaves no file; `racesdsl sample --shard-size` exposes it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import racesdsl
from racesdsl.cli.commands import app
from racesdsl.integrations import export
from racesdsl.integrations import export_parallel as ep
from racesdsl.runtime.env import ParamError

ROOT = Path(__file__).resolve().parent.parent
LISTS = str(ROOT / "specs" / "lists.races")
COMPOSITIONS = str(ROOT / "tests" / "fixtures" / "language" / "compositions.races")
NAMES = ("lists.sort_list", "lists.total")
SPLIT = {"train": 0.8, "test": 0.2}


@pytest.fixture(scope="module")
def program() -> Any:
    return racesdsl.load([LISTS])


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def job(fmt: str, split: Any = None, n: int = 700, schema: str = "verl", **kw: Any) -> ep.Job:
    return ep.Job((LISTS,), NAMES, n, 5, {}, schema, split, fmt, **kw)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
@pytest.mark.parametrize("split", [None, SPLIT], ids=["unsplit", "split"])
def test_shards_are_byte_identical_for_one_and_two_workers(tmp_path: Path, program, fmt: str, split: Any) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow.parquet", reason="Parquet needs the parquet extra (in dev)")
    one = ep.write(job(fmt, split), tmp_path / "one", shard_size=300, workers=1, program=program)
    two = ep.write(job(fmt, split), tmp_path / "two", shard_size=300, workers=2)
    assert one == two == 2 * 700
    assert digests(tmp_path / "one") == digests(tmp_path / "two")
    stems = [None] if split is None else list(split)
    assert sorted(digests(tmp_path / "one")) == sorted(ep.shard_name(s, k, 5, fmt) for s in stems for k in range(5))


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_each_shard_is_the_rows_of_its_seed_range(tmp_path: Path, program, fmt: str) -> None:
    """Shard k is `export.write` of rows k*S .. (k+1)*S-1 of the whole export, nothing else."""
    if fmt == "parquet":
        pytest.importorskip("pyarrow.parquet", reason="Parquet needs the parquet extra (in dev)")
    ep.write(job(fmt, n=500), tmp_path / "shards", shard_size=300, workers=2)
    for k, (lo, hi) in enumerate([(0, 300), (300, 600), (600, 900), (900, 1000)]):
        alone = tmp_path / f"alone{k}.{fmt}"
        export.write(export.rows(program, list(NAMES), 500, 5, schema="verl", positions=range(lo, hi)), alone, fmt)
        assert (tmp_path / "shards" / ep.shard_name(None, k, 4, fmt)).read_bytes() == alone.read_bytes()


def test_rows_at_positions_are_the_rows_of_the_whole_export(program) -> None:
    whole = list(export.rows(program, list(NAMES), 40, 3, schema="trl", split=SPLIT))
    assert list(export.rows(program, list(NAMES), 40, 3, schema="trl", split=SPLIT, positions=range(35, 47))) == \
        whole[35:47]
    with pytest.raises(ValueError, match="positions"):
        export.rows(program, list(NAMES), 40, 3, positions=range(70, 90))


@pytest.mark.parametrize("workers", [1, 2])
def test_one_file_equals_export_write_of_every_row(tmp_path: Path, program, workers: int) -> None:
    """More rows than one PIECE, so the parent writes pieces made by two workers, in order."""
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet needs the parquet extra (in dev)")
    n = ep.PIECE + 300
    big = ep.Job((LISTS,), ("lists.sort_list",), n, 0, {}, "verl", None, "parquet")
    assert ep.write(big, tmp_path / "out" / "all.parquet", workers=workers) == n
    export.write(export.rows(program, ["lists.sort_list"], n, 0, schema="verl"), tmp_path / "ref.parquet", "parquet")
    assert (tmp_path / "out" / "all.parquet").read_bytes() == (tmp_path / "ref.parquet").read_bytes()
    assert pq.ParquetFile(tmp_path / "ref.parquet").metadata.num_row_groups == 2


def test_split_files_equal_by_split_and_an_empty_split_shard_keeps_the_columns(tmp_path: Path, program) -> None:
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet needs the parquet extra (in dev)")
    ep.write(job("parquet", SPLIT, n=60), tmp_path / "files", workers=1)
    for name, group in export.by_split(export.rows(program, list(NAMES), 60, 5, schema="verl", split=SPLIT)).items():
        assert pq.read_table(tmp_path / "files" / f"{name}.parquet").to_pylist() == group
    # Shards of one row: most have no `test` row, and still get a file with the same columns.
    ep.write(job("parquet", SPLIT, n=3), tmp_path / "tiny", shard_size=1)
    tables = {p.name: pq.read_table(p) for p in (tmp_path / "tiny").iterdir()}
    assert len(tables) == 12 and sum(t.num_rows for t in tables.values()) == 6
    assert any(t.num_rows == 0 for t in tables.values())
    assert len({t.schema for t in tables.values()}) == 1


def test_rows_are_written_while_later_ones_are_made(tmp_path: Path, monkeypatch, program) -> None:
    """Streaming: piece i is written before piece i+1 is made, so memory does not grow with n."""
    events: list[str] = []
    encode, add = ep._encode, ep._Sink.add
    monkeypatch.setattr(ep, "PIECE", 50)
    monkeypatch.setattr(ep, "_encode", lambda *a: (events.append("make"), encode(*a))[1])
    monkeypatch.setattr(ep._Sink, "add", lambda self, data: (events.append("write"), add(self, data))[1])
    assert ep.write(job("jsonl", n=100), tmp_path / "rows.jsonl", program=program) == 200
    assert events == ["make", "write"] * 4
    assert (tmp_path / "rows.jsonl").read_bytes() == b"".join(
        map(export.jsonl_line, export.rows(program, list(NAMES), 100, 5, schema="verl")))


def test_a_failing_worker_raises_its_error_and_leaves_no_file(tmp_path: Path) -> None:
    bad = ep.Job((LISTS,), ("lists.sort_list",), 600, 0, {"n": 999}, "plain", None, "jsonl")
    for dest, size in ((tmp_path / "rows.jsonl", None), (tmp_path / "shards", 200)):
        with pytest.raises(ParamError, match="999"):
            ep.write(bad, dest, shard_size=size, workers=2)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_misuse_is_a_value_error(tmp_path: Path) -> None:
    import io

    for kwargs, message in [({"shard_size": 0}, "shard_size"), ({"engine": "dask"}, "unknown engine")]:
        with pytest.raises(ValueError, match=message):
            ep.write(job("jsonl"), tmp_path / "x", **kwargs)
    with pytest.raises(ValueError, match="folder"):
        ep.write(job("jsonl", SPLIT), io.StringIO())
    with pytest.raises(ValueError, match="unknown format"):
        job("csv")


def test_ray_shards_equal_the_local_ones(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="engine='ray' needs the `ray` extra: pip install 'racesdsl[ray]'")
    was_running = ray.is_initialized()
    try:
        composite = ep.Job((COMPOSITIONS,), ("compositions.top3_sum",), 400, 2, {}, "verl", SPLIT, "jsonl")
        ep.write(composite, tmp_path / "local", shard_size=150, workers=1)
        ep.write(composite, tmp_path / "ray", shard_size=150, workers=2, engine="ray")
        ep.write(composite, tmp_path / "one", workers=2, engine="ray")
        assert digests(tmp_path / "ray") == digests(tmp_path / "local") and len(digests(tmp_path / "local")) == 6
        ep.write(composite, tmp_path / "one_local", workers=1)
        assert digests(tmp_path / "one") == digests(tmp_path / "one_local")
    finally:
        if not was_running and ray.is_initialized():
            ray.shutdown()


def test_cli_shard_size(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "ds"
    for workers in ("1", "2"):
        res = runner.invoke(app, ["sample", f"{LISTS}:sort_list", "-n", "700", "--schema", "verl", "--split",
                                  "train=0.8,test=0.2", "--shard-size", "300", "--workers", workers,
                                  "-o", str(out / workers)])
        assert res.exit_code == 0, res.output
    assert digests(out / "1") == digests(out / "2") and len(digests(out / "1")) == 6
    res = runner.invoke(app, ["sample", f"{LISTS}:sort_list", "--shard-size", "10"])
    assert res.exit_code == 2 and "--shard-size need -o" in res.stderr


def test_the_docs_large_export_example_runs_at_a_smaller_size(tmp_path: Path, monkeypatch) -> None:
    """docs/integrations.md's export_parallel block, with 1,000 rows in shards of 300."""
    pq = pytest.importorskip("pyarrow.parquet", reason="the example writes Parquet (the dev extra has it)")
    import re

    text = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
    (code,) = [m[1] for m in re.finditer(r"^```python\n(.*?)^```", text, re.M | re.S) if "export_parallel" in m[1]]
    assert "n=1_000_000" in code and "shard_size=100_000" in code
    (tmp_path / "specs").symlink_to(ROOT / "specs")
    monkeypatch.chdir(tmp_path)
    exec(compile(code.replace("1_000_000", "1_000").replace("100_000", "300"), "docs/integrations.md", "exec"), {})
    files = sorted(p.name for p in (tmp_path / "data" / "sort_list").iterdir())
    assert files == [ep.shard_name(s, k, 4, "parquet") for s in ("test", "train") for k in range(4)]
    assert sum(pq.read_metadata(tmp_path / "data" / "sort_list" / f).num_rows for f in files) == 1000
