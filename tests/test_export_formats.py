"""One dataset, one verdict, whatever the file format (issue 12, findings 17
and 18): verl and trl rows read back equal from JSON lines and Parquet, lineage
included, so `check_leakage` finds the same leaks in both; rows without lineage
are looked up by env name rather than guessed to be composites; `export.write`
creates missing folders and cleans up after a writer killed mid-write."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl import loader
from racesdsl.atomic import TEMP_SUFFIX
from racesdsl.curriculum import check_leakage, split_compositions
from racesdsl.integrations import export

ROOT = Path(__file__).resolve().parent.parent
COMPOSITIONS = ROOT / "tests" / "fixtures" / "language" / "compositions.races"
BASES = ["lists.sort_list", "lists.take_first", "lists.total", "numbers.gcd2", "numbers.is_even"]


@pytest.fixture(scope="module")
def program() -> loader.Program:
    return racesdsl.load([COMPOSITIONS])


@pytest.fixture
def pq():
    """pyarrow.parquet for the Parquet tests (the dev extra installs it); the rest run without."""
    return pytest.importorskip("pyarrow.parquet", reason="Parquet needs the parquet extra (in dev)")


def read_back(rows: list[dict[str, Any]], folder: Path, name: str, pq: Any) -> dict[str, list[dict[str, Any]]]:
    """The rows as a trainer reads them from each format."""
    export.write(rows, folder / f"{name}.jsonl", "jsonl")
    export.write(rows, folder / f"{name}.parquet", "parquet")
    jsonl = [json.loads(line) for line in (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    return {"jsonl": jsonl, "parquet": pq.read_table(folder / f"{name}.parquet").to_pylist()}


def lineage_of(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads((row["extra_info"] if "extra_info" in row else row)["lineage"])


@pytest.mark.parametrize("schema", ["verl", "trl"])
def test_both_formats_read_back_equal_with_lineage(program, schema: str, tmp_path: Path, pq) -> None:
    names = [*BASES, "compositions.nested", "compositions.planner"]
    rows = list(export.rows(program, names, 4, seed=3, schema=schema, split={"train": 0.5, "test": 0.5}))
    back = read_back(rows, tmp_path, schema, pq)
    assert back["jsonl"] == rows and back["parquet"] == rows
    assert lineage_of(rows[-1])["operators"] == ["select"] and lineage_of(rows[0])["depth"] == 1


@pytest.mark.parametrize("schema", ["verl", "trl"])
def test_leakage_verdict_is_the_same_from_either_format(program, schema: str, tmp_path: Path, pq) -> None:
    split = split_compositions(program, {"bases": [("sort_list", "gcd2")]})
    # Base envs go to both sides, as a per-instance split of the bricks does: no leak.
    train = list(export.rows(program, [*BASES, *split.train], 3, schema=schema, split="train"))
    held = list(export.rows(program, [*BASES, *split.eval], 3, seed=100, schema=schema, split="test"))
    verdicts = []
    for fmt in ("jsonl", "parquet"):
        t, e = read_back(train, tmp_path, "train", pq)[fmt], read_back(held, tmp_path, "test", pq)[fmt]
        verdicts.append((check_leakage(t, e), check_leakage(t, e, pairs=True)))
    assert verdicts[0] == verdicts[1] == [(check_leakage(train, held), check_leakage(train, held, pairs=True))][0]
    composites, with_pairs = verdicts[0]
    assert composites == []
    assert [k.item for k in with_pairs] == ["lists.sort_list+lists.take_first", "lists.sort_list+lists.total",
                                            "lists.take_first+lists.total"]


ALL = [*BASES, "compositions.top3_sum", "compositions.two_tasks", "compositions.shuffled", "compositions.planner",
       "compositions.nested", "compositions.gcd_pair"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.sampled_from(ALL), min_size=1, max_size=5, unique=True), n=st.integers(1, 3),
       seed=st.integers(0, 10**6), schema=st.sampled_from(["verl", "trl"]), cut=st.floats(0.1, 0.9))
def test_any_export_gives_the_same_rows_and_verdict_from_either_format(program, tmp_path_factory, pq, names,
                                                                        n, seed, schema, cut) -> None:
    folder = tmp_path_factory.mktemp("formats")
    rows = list(export.rows(program, names, n, seed=seed, schema=schema, split={"a": cut, "b": 1 - cut}))
    groups = {name: read_back(group, folder, name, pq) for name, group in export.by_split(rows).items()}
    for name, back in groups.items():
        assert back["jsonl"] == back["parquet"] == export.by_split(rows)[name]
    if len(groups) == 2:
        verdicts = {fmt: check_leakage(groups["a"][fmt], groups["b"][fmt], pairs=True) for fmt in ("jsonl", "parquet")}
        assert verdicts["jsonl"] == verdicts["parquet"]


def test_rows_without_lineage_are_looked_up_not_guessed(program, tmp_path: Path, pq) -> None:
    # Plain rows carry no lineage: stdlib bricks on both sides are no leak (they were
    # reported as leaked composites when a missing lineage meant depth 2).
    bricks = list(export.rows(program, ["lists.sort_list", "numbers.gcd2"], 5, schema="plain",
                              split={"train": 0.5, "test": 0.5}))
    groups = export.by_split(bricks)
    assert check_leakage(groups["train"], groups["test"], pairs=True) == []
    # Composites of a user's file without lineage: found through envs=, same verdict as with it.
    split = split_compositions(program, {"bases": [("sort_list", "gcd2")]})
    plain_train = list(export.rows(program, split.train, 2, schema="plain"))
    plain_eval = list(export.rows(program, split.eval, 2, seed=9, schema="plain"))
    with_lineage = check_leakage(list(export.rows(program, split.train, 2, schema="verl")),
                                 list(export.rows(program, split.eval, 2, seed=9, schema="verl")), pairs=True)
    assert check_leakage(plain_train, plain_eval, pairs=True, envs=program) == with_lineage != []
    assert check_leakage(plain_train + plain_eval[:1], plain_eval, envs=program)[0].kind == "composite"
    # Unknown everywhere: an error, not a guess either way.
    with pytest.raises(ValueError, match="carries no lineage"):
        check_leakage(plain_train, plain_eval)
    # A lineage column lost by a writer is caught rather than dropped.
    mixed = list(export.rows(program, ["lists.sort_list"], 2, schema="trl"))
    del mixed[0]["lineage"]
    with pytest.raises(ValueError, match="extra lineage"):
        export.write(mixed, tmp_path / "mixed.parquet", "parquet")
    assert not (tmp_path / "mixed.parquet").exists()


def test_write_creates_missing_folders(program, tmp_path: Path, pq) -> None:
    rows = list(export.rows(program, ["lists.sort_list"], 3, schema="verl"))
    for fmt in export.FORMATS:
        target = tmp_path / "data" / "deeper" / f"train.{fmt}"
        assert export.write(rows, target, fmt) == 3 and target.is_file()
    assert sorted(p.name for p in (tmp_path / "data" / "deeper").iterdir()) == ["train.jsonl", "train.parquet"]


KILLED_WRITER = """
import sys, time
from racesdsl.integrations import export
def rows():
    yield {"id": "a", "env": "e", "seed": 0, "params": {}, "input": {}, "prompt": "p", "answer": 1}
    time.sleep(120)
export.write(rows(), sys.argv[1])
"""


def test_a_killed_write_leaves_a_temp_file_the_next_write_removes(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target)])
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(f".out.jsonl.*{TEMP_SUFFIX}")):
            assert time.monotonic() < deadline and proc.poll() is None, "the writer never started"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    (stale,) = tmp_path.glob(f".out.jsonl.*{TEMP_SUFFIX}")
    assert f".{proc.pid}." in stale.name and not target.exists()
    # A temp file of a writer that still runs (here: the test's own parent) is left alone.
    live = tmp_path / f".out.jsonl.{os.getppid()}.x{TEMP_SUFFIX}"
    live.write_bytes(b"")
    assert export.write([{"id": "b"}], target) == 1
    assert target.read_text(encoding="utf-8") == '{"id": "b"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "out.jsonl"])
