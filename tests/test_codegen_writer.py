"""The package writer (issue 12, findings 12-14 and 25): normal permissions, all-or-nothing
writes, no temp files left behind by a killed run, a top-level `ENVIRONMENTS` mapping."""

from __future__ import annotations

import importlib
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from racesdsl.check.pipeline import check_paths
from racesdsl.codegen import writer
from racesdsl.codegen.writer import package_files, write_files

ENV = 'env {name} {{ input x: Int[0..9] output Int[0..9] prompt """{{{{ x }}}} {text}""" solve x }}\n'


def two_modules(tmp_path: Path, text: str = "v1") -> dict[str, str]:
    """A package of two spec modules, `alpha` and `beta` (so `pkg/alpha.py` is written before `pkg/beta.py`)."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "alpha.races").write_text(ENV.format(name="a", text=text), encoding="utf-8")
    (src / "beta.races").write_text(ENV.format(name="b", text=text), encoding="utf-8")
    return package_files(check_paths([src]).program, "pkg")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*racesdsl-tmp"))


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_files_get_the_permissions_open_would_give(tmp_path: Path, umask: None) -> None:
    files = two_modules(tmp_path)
    write_files(files, tmp_path / "out")
    for rel in files:
        assert stat.S_IMODE((tmp_path / "out" / rel).stat().st_mode) == 0o640  # 0666 minus the umask


def test_a_foreign_file_anywhere_means_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "pkg").mkdir(parents=True)
    (out / "pkg" / "beta.py").write_text("handwritten = True\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match="beta.py"):
        write_files(two_modules(tmp_path), out)
    assert sorted(p.name for p in (out / "pkg").iterdir()) == ["beta.py"]
    assert (out / "pkg" / "beta.py").read_text(encoding="utf-8") == "handwritten = True\n"


def test_a_folder_in_the_way_is_refused_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "pkg" / "beta.py").mkdir(parents=True)
    with pytest.raises(FileExistsError, match="beta.py"):
        write_files(two_modules(tmp_path), out)
    assert sorted(p.name for p in (out / "pkg").iterdir()) == ["beta.py"]


def test_a_failure_mid_way_restores_the_previous_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    old = two_modules(tmp_path, "v1")
    write_files(old, out)
    new = two_modules(tmp_path, "v2")
    real_replace, calls = os.replace, []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(writer.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space"):
        write_files(new, out)
    monkeypatch.undo()
    assert {rel: (out / rel).read_text(encoding="utf-8") for rel in old} == old
    assert leftovers(out) == []


def test_a_failure_in_a_new_package_leaves_no_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    real_replace, calls = os.replace, []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(writer.os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_files(two_modules(tmp_path), out)
    assert not out.exists()


KILLED_WRITER = """
import os, sys, time
from pathlib import Path
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen import writer
def stuck(src, dst):
    print("writing", flush=True)
    time.sleep(600)
writer.os.replace = stuck
writer.write_files(writer.package_files(check_paths([Path(sys.argv[1])]).program, "pkg"), Path(sys.argv[2]))
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_temp_files_of_a_killed_run_are_removed_by_the_next(tmp_path: Path) -> None:
    files = two_modules(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(tmp_path / "src"), str(out)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "writing\n"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
    assert len(leftovers(out)) == 3  # every temp file was written, none moved into place
    alive = out / "pkg" / f".alpha.py.{os.getppid()}.00000000.racesdsl-tmp"  # a run still under way
    alive.write_text("", encoding="utf-8")
    assert sorted(write_files(files, out)) == sorted(files)
    assert leftovers(out) == [alive.name]
    dead = out / "pkg" / f".beta.py.{proc.pid}.00000000.racesdsl-tmp"  # killed after its last move
    dead.write_text("", encoding="utf-8")
    assert write_files(files, out) == []
    assert leftovers(out) == [alive.name]


def test_the_package_has_a_lazy_environments_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_files(two_modules(tmp_path), out)
    monkeypatch.syspath_prepend(str(out))
    before = set(sys.modules)
    try:
        pkg = importlib.import_module("pkg")
        assert "pkg.alpha" not in sys.modules  # nothing imported until the mapping is read
        assert sorted(pkg.ENVIRONMENTS) == ["alpha.a", "beta.b"] == sorted(pkg.environments())
        assert pkg.ENVIRONMENTS["alpha.a"] is pkg.get("a") is importlib.import_module("pkg.alpha").a
        assert len(pkg.ENVIRONMENTS) == 2 and "beta.b" in pkg.ENVIRONMENTS
        from pkg import ENVIRONMENTS
        assert dict(ENVIRONMENTS) == pkg.environments()
    finally:
        for name in set(sys.modules) - before:
            del sys.modules[name]
