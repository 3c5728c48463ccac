"""Deterministic sharding of per-seed work across local processes or a Ray cluster.

Every instance is a pure function of (env, seed, params), so work is split
into contiguous seed ranges, each process loads the specs itself (by path:
nothing unpicklable crosses a process boundary) and results come back in seed
order. Output is byte-identical for any worker count and either engine.

Engines:

- ``"local"`` (default): a ``ProcessPoolExecutor`` of ``workers`` processes,
  one seed range per worker and env; no worker gets fewer than ``_MIN_CHUNK``
  instances (fewer workers are used instead), since each loads the specs once.
  Local workers (`worker_pool`) exit when their parent dies, however it dies.
- ``"ray"``: the seed ranges run as Ray tasks (``pip install 'racesdsl[ray]'``).
  Ray joins the cluster ``RAY_ADDRESS`` names (``ray://head:10001`` or
  ``auto``), else is started on this machine with ``workers`` CPUs, unless it
  is already initialised (then the existing cluster is used, and left running).
  racesdsl.integrations.export_parallel uses the same engines to write shards.
  Shards are smaller: up to ``_RAY_SHARDS_PER_WORKER`` per worker and env,
  each of at least ``_RAY_MIN_CHUNK`` instances, to balance load across
  uneven workers. A Ray worker process loads the specs once per call and
  reuses them for every shard of that call it runs.
"""

from __future__ import annotations

import multiprocessing.context
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from racesdsl.loader import Program

_MIN_CHUNK = 256  # below this many instances per worker, start-up costs more than it saves
_RAY_MIN_CHUNK = 64  # Ray workers outlive a shard and keep the loaded specs, so shards can be small
_RAY_SHARDS_PER_WORKER = 4
ENGINES = ("local", "ray")


def default_workers() -> int:
    """The CPUs this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_ORPHAN_POLL_SECONDS = 1.0


def worker_pool(workers: int, mp_context: multiprocessing.context.BaseContext | None = None,
                initializer: Callable[..., object] | None = None, initargs: tuple = ()) -> ProcessPoolExecutor:
    """A process pool whose workers end when this process ends, even by SIGKILL.

    A plain pool's workers wait forever on a task queue whose other end they
    inherited, so killing the parent would orphan them (each holding its specs)."""
    method = (mp_context or multiprocessing.get_context()).get_start_method()
    # A forkserver's workers are its children; it exits when this process does.
    parent = None if method == "forkserver" else os.getpid()
    return ProcessPoolExecutor(workers, mp_context=mp_context, initializer=_init_orphan_guard,
                               initargs=(parent, initializer, initargs))


def _init_orphan_guard(parent: int | None, initializer: Callable[..., object] | None, initargs: tuple) -> None:
    """Worker initializer: die with the parent process `parent` (None: whichever started this one),
    on Linux by a kernel signal, anywhere by a watcher thread."""
    parent = os.getppid() if parent is None else parent
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no usable libc: the watcher thread still covers it
            pass
    threading.Thread(target=_exit_when_orphaned, args=(parent, _ORPHAN_POLL_SECONDS), daemon=True,
                     name="racesdsl-orphan-guard").start()
    if initializer is not None:
        initializer(*initargs)


def _exit_when_orphaned(parent: int, interval: float) -> None:
    """Poll the parent pid: once this process is re-parented, nobody will read its results.
    (Also catches a parent that died before the death signal was armed.)"""
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


def _sample_rows(paths: list[str], search_path: list[str], names: list[str], seeds: range,
                 params: dict[str, Any]) -> list[dict[str, Any]]:
    from racesdsl.loader import load

    program = load(paths, search_path)
    return _rows_from(program, names, seeds, params)


def _rows_from(program: Program, names: list[str], seeds: range, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [program[name].sample(seed, **params).to_dict() for name in names for seed in seeds]


def _bounds(seed: int, n: int, shards: int) -> list[tuple[int, int]]:
    """`shards` contiguous, non-empty seed ranges covering seed..seed+n-1 (sizes differ by at most 1)."""
    edges = [seed + (n * i) // shards for i in range(shards + 1)]
    return list(zip(edges, edges[1:], strict=False))


def sample_rows(paths: Sequence[str | Path], names: list[str], n: int, seed: int, params: dict[str, Any],
                workers: int, search_path: Sequence[str | Path] = (), engine: str = "local") -> list[dict[str, Any]]:
    """Rows of `n` instances per env (seeds seed..seed+n-1), env by env, in seed order.

    `engine` is "local" (processes on this machine) or "ray" (Ray tasks); the
    rows are the same for either engine and any number of `workers`."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine `{engine}` (expected one of {', '.join(ENGINES)})")
    spec_paths = [str(p) for p in paths]
    extra = [str(p) for p in search_path]
    if engine == "ray":
        return _sample_rows_ray(spec_paths, extra, names, n, seed, params, max(1, workers))
    workers = max(1, min(workers, n // _MIN_CHUNK or 1))
    if workers == 1:
        return _sample_rows(spec_paths, extra, names, range(seed, seed + n), params)
    rows: list[dict[str, Any]] = []
    with worker_pool(workers) as pool:
        futures = {name: [pool.submit(_sample_rows, spec_paths, extra, [name], range(lo, hi), params)
                          for lo, hi in _bounds(seed, n, workers)] for name in names}
        for name in names:
            for future in futures[name]:
                rows.extend(future.result())
    return rows


# -------------------------------------------------------------------- ray

# One Ray worker process serves many shards: keep the program loaded for the
# call it was loaded for (a new call loads afresh, so edited specs are seen).
_RAY_CACHE: dict[str, Any] = {}


def _ray_shard(call: str, paths: list[str], search_path: list[str], name: str, lo: int, hi: int,
               params: dict[str, Any]) -> list[dict[str, Any]]:
    """One Ray task: the rows of env `name` for seeds lo..hi-1."""
    from racesdsl.loader import load

    if _RAY_CACHE.get("call") != call:
        _RAY_CACHE.clear()
        _RAY_CACHE.update(call=call, program=load(paths, search_path))
    return _rows_from(_RAY_CACHE["program"], [name], range(lo, hi), params)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ImportError("engine='ray' needs Ray: pip install 'racesdsl[ray]' (or pip install ray)") from exc
    return ray


def _start_ray(ray: Any, workers: int) -> None:
    """Join the cluster RAY_ADDRESS names (at its own size), else start a local Ray with
    `workers` CPUs, unless Ray is initialised already."""
    if ray.is_initialized():
        return
    # log_to_driver=False: worker output must never mix into rows written to stdout.
    common: dict[str, Any] = {"include_dashboard": False, "ignore_reinit_error": True, "log_to_driver": False}
    address = os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, **common)
        return
    try:
        ray.init(num_cpus=workers, **common)
    except ValueError as exc:
        # RAY_ADDRESS or a `ray start` cluster on this machine: join it, at its own size.
        if "existing cluster" not in str(exc):
            raise
        ray.init(**common)


def _sample_rows_ray(paths: list[str], search_path: list[str], names: list[str], n: int, seed: int,
                     params: dict[str, Any], workers: int) -> list[dict[str, Any]]:
    ray = _import_ray()
    if n <= 0 or not names:
        return []
    _start_ray(ray, workers)
    # Ray workers may start in another folder: send absolute paths.
    abs_paths = [os.path.abspath(p) for p in paths]
    abs_search = [os.path.abspath(p) for p in search_path]
    shards = max(1, min(workers * _RAY_SHARDS_PER_WORKER, n // _RAY_MIN_CHUNK))
    task = ray.remote(num_cpus=1)(_ray_shard)
    call = uuid.uuid4().hex
    params_ref = ray.put(params)
    refs = [task.remote(call, abs_paths, abs_search, name, lo, hi, params_ref)
            for name in names for lo, hi in _bounds(seed, n, shards)]
    rows: list[dict[str, Any]] = []
    try:
        for ref in refs:  # shard order: env by env, seeds ascending
            rows.extend(ray.get(ref))
    except ray.exceptions.RayTaskError as exc:
        _drain(ray, refs)
        cause = getattr(exc, "cause", None)
        if isinstance(cause, Exception):  # the task's own exception, as the local engine raises it
            raise cause from None
        raise
    return rows


def _drain(ray: Any, refs: list[Any]) -> None:
    """After a failed shard: cancel the rest and collect their outcomes, so Ray does
    not log every other failed shard as an unhandled error."""
    for ref in refs:
        try:
            ray.cancel(ref)
        except Exception:  # already finished or gone
            pass
    for ref in refs:
        try:
            ray.get(ref, timeout=60)
        except Exception:  # cancelled, failed like the first, or too slow: the first error is what counts
            pass


def _selftest_shard(paths: list[str], search_path: list[str], names: list[str], seeds: int,
                    timeout: float | None) -> Any:
    from racesdsl.loader import load
    from racesdsl.selftest import run_selftest

    return run_selftest(load(paths, search_path), seeds=seeds, names=names, search_path=search_path, timeout=timeout)


def selftest(paths: Sequence[str | Path], names: list[str], seeds: int, workers: int,
             search_path: Sequence[str | Path] = (), progress: Any = None, timeout: float | None = 60.0) -> Any:
    """`racesdsl.selftest.run_selftest` over envs split into contiguous groups, one
    per process; the report lists envs in the given order whatever the worker count."""
    from racesdsl.selftest import Report

    spec_paths, extra = [str(p) for p in paths], [str(p) for p in search_path]
    workers = max(1, min(workers, len(names) // 4 or 1))  # each process loads the specs once
    bounds = [len(names) * i // workers for i in range(workers + 1)]
    groups = [names[lo:hi] for lo, hi in zip(bounds, bounds[1:], strict=False) if hi > lo]
    if workers == 1:
        from racesdsl.loader import load
        from racesdsl.selftest import run_selftest

        return run_selftest(load(spec_paths, extra), seeds=seeds, names=names, search_path=extra,
                            progress=progress, timeout=timeout)
    envs, seconds = [], 0.0
    with worker_pool(workers) as pool:
        futures = [pool.submit(_selftest_shard, spec_paths, extra, group, seeds, timeout) for group in groups]
        for future in futures:
            report = future.result()
            envs.extend(report.envs)
            seconds = max(seconds, report.seconds)
            if progress is not None:
                for env in report.envs:
                    progress(env.env)
    return Report(envs, seeds, seconds)
