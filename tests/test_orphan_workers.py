"""Worker processes die with their parent (issue 12, finding 14): `kill -9` of
`racesdsl sample --workers 2` must not leave two workers blocked forever on a
task queue, each holding the loaded specs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from racesdsl.atomic import TEMP_SUFFIX, clean_leftovers

ROOT = Path(__file__).resolve().parent.parent
LISTS = ROOT / "specs" / "lists.races"

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads processes from Linux /proc")


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (what `pgrep -P` prints)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(c) for c in task.read_text().split()]
        except OSError:  # the thread or process ended meanwhile
            pass
    return [c for c in found if alive(c)]


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie nobody reaped yet (it holds no memory)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def kill_parent_and_check_workers(argv: list[str], cwd: Path, n_workers: int) -> None:
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers: list[int] = []
    try:
        assert wait_for(lambda: len(children(proc.pid)) >= n_workers, 60), "the workers never started"
        workers = children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert wait_for(lambda: not any(alive(w) for w in workers), 5), \
            f"workers {[w for w in workers if alive(w)]} outlived their parent"
    finally:
        for pid in [proc.pid, *workers]:  # only what this test started
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait(10)
        assert proc.stderr is not None
        proc.stderr.close()


COMMANDS = {
    "sample": ["sample", f"{LISTS}:sort_list", "-n", "2000000", "--workers", "2", "-o", "rows.jsonl"],
    "test": ["test", str(ROOT / "specs"), "--seeds", "100000", "--workers", "2"],
    "enumerate": ["enumerate", str(LISTS), "-o", "found.races", "--limit", "100000", "--workers", "2"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_cli_workers_exit_when_the_cli_is_killed(tmp_path: Path, command: str) -> None:
    kill_parent_and_check_workers([sys.executable, "-m", "racesdsl", *COMMANDS[command]], tmp_path, 2)
    # Nothing was written: a streaming export killed mid-write leaves only its temporary
    # file, which the next write into that folder removes (racesdsl.atomic.clean_leftovers).
    assert all(p.name.endswith(TEMP_SUFFIX) for p in tmp_path.iterdir())
    clean_leftovers(tmp_path)
    assert not list(tmp_path.iterdir())


IDLE_POOL = """
import sys, time, types
from racesdsl import parallel
if sys.argv[1] == "watcher-only":  # as on a platform without prctl: only the watcher thread guards
    parallel.sys = types.SimpleNamespace(platform="darwin")
    parallel._ORPHAN_POLL_SECONDS = 0.05
if __name__ == "__main__":
    with parallel.worker_pool(2) as pool:
        list(pool.map(abs, range(8)))  # both workers up and idle, waiting on the task queue
        time.sleep(600)
"""


@pytest.mark.parametrize("guard", ["full", "watcher-only"])
def test_idle_pool_workers_exit_when_their_parent_is_killed(tmp_path: Path, guard: str) -> None:
    script = tmp_path / "idle.py"
    script.write_text(IDLE_POOL, encoding="utf-8")
    kill_parent_and_check_workers([sys.executable, str(script), guard], tmp_path, 2)


def test_the_pool_still_runs_initializers_and_tasks() -> None:
    from racesdsl.parallel import worker_pool

    with worker_pool(2, initializer=os.environ.__setitem__, initargs=("RACESDSL_TEST_INIT", "yes")) as pool:
        assert list(pool.map(os.getenv, ["RACESDSL_TEST_INIT"] * 3)) == ["yes"] * 3
