"""Ordinary mistakes with output paths and missing extras are usage errors, exit 2
with a one-line message, never exit 3 "internal error" (issue 12, finding 18)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from racesdsl.cli import app

ROOT = Path(__file__).resolve().parent.parent
SORT = f"{ROOT / 'specs' / 'lists.races'}:sort_list"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "racesdsl", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def assert_usage_error(res: subprocess.CompletedProcess[str], needle: str) -> None:
    assert res.returncode == 2, res.stdout + res.stderr
    assert "internal error" not in res.stderr
    assert needle in res.stderr, res.stderr


def test_sample_into_a_missing_folder_creates_it(tmp_path: Path) -> None:
    res = run("sample", SORT, "-n", "3", "-o", "new/deeper/rows.jsonl", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    rows = (tmp_path / "new" / "deeper" / "rows.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(r)["seed"] for r in rows] == [0, 1, 2]


def test_sample_onto_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    assert_usage_error(run("sample", SORT, "-n", "3", "-o", "out", cwd=tmp_path), "-o out is a folder")
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(("dest", "needle"), [("afile/rows.jsonl", "afile is a file, not a folder"),
                                              ("afile/sub/rows.jsonl", "cannot write afile/sub/rows.jsonl")])
def test_sample_below_a_file_is_a_usage_error(tmp_path: Path, dest: str, needle: str) -> None:
    (tmp_path / "afile").write_text("keep\n", encoding="utf-8")
    assert_usage_error(run("sample", SORT, "-n", "3", "-o", dest, cwd=tmp_path), needle)
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "keep\n"


def test_split_onto_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("keep\n", encoding="utf-8")
    res = run("sample", SORT, "-n", "10", "--split", "train=0.5,test=0.5", "-o", "afile", cwd=tmp_path)
    assert_usage_error(res, "afile is a file, not a folder")


def test_sample_into_a_read_only_folder_is_a_usage_error(tmp_path: Path) -> None:
    """A folder the user may not write to; root may write anywhere a mode forbids, so as
    root the folder is sysfs, where nobody may create files."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        assert Path("/sys").is_dir(), "running as root needs Linux's /sys for an unwritable folder"
        assert_usage_error(run("sample", SORT, "-n", "3", "-o", "/sys/racesdsl-rows.jsonl", cwd=tmp_path),
                           "cannot write")
        return
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert_usage_error(run("sample", SORT, "-n", "3", "-o", "locked/rows.jsonl", cwd=tmp_path), "cannot write")
    finally:
        locked.chmod(0o700)


def test_a_write_that_fails_midway_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk (or a folder made read-only meanwhile, which root cannot simulate): the OS error, exit 2."""
    from racesdsl.integrations import export_parallel

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(export_parallel._Sink, "add", full_disk)  # every file the export writes goes through it
    for extra in ([], ["--shard-size", "2"]):
        res = CliRunner().invoke(app, ["sample", SORT, "-n", "3", "-o", str(tmp_path / "rows.jsonl"), *extra])
        assert res.exit_code == 2, res.output
        assert "cannot write" in res.stderr and os.strerror(errno.ENOSPC) in res.stderr
        assert not any(p.is_file() for p in tmp_path.rglob("*")), "a failed export leaves no file behind"


def test_parquet_without_pyarrow_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if pyarrow were not installed
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    res = CliRunner().invoke(app, ["sample", SORT, "-n", "3", "--format", "parquet",
                                   "-o", str(tmp_path / "rows.parquet")])
    assert res.exit_code == 2, res.output
    assert "pip install 'racesdsl[parquet]'" in res.stderr and "internal error" not in res.stderr
    assert not (tmp_path / "rows.parquet").exists()


def test_compile_of_a_missing_file_without_package_is_a_usage_error(tmp_path: Path) -> None:
    res = run("compile", "missing.races", "-o", "out", cwd=tmp_path)
    assert_usage_error(res, "missing.races: no such file or folder")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("target", ["my-lists.races", "my-specs"])
def test_compile_of_a_hyphenated_name_without_package_asks_for_one(tmp_path: Path, target: str) -> None:
    text = (ROOT / "specs" / "lists.races").read_text(encoding="utf-8")
    if target.endswith(".races"):
        (tmp_path / target).write_text(text, encoding="utf-8")
    else:
        (tmp_path / target).mkdir()
        (tmp_path / target / "lists.races").write_text(text, encoding="utf-8")
    res = run("compile", target, "-o", "out", cwd=tmp_path)
    assert_usage_error(res, "--package NAME")
    assert not (tmp_path / "out").exists()
