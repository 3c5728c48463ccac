"""Deterministic sharding of per-seed work across local processes.

Every instance is a pure function of (env, seed, params), so work is split
into contiguous seed ranges, each process loads the specs itself (by path:
nothing unpicklable crosses a process boundary) and results come back in seed
order. Output is byte-identical for any worker count."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

_MIN_CHUNK = 256  # below this many instances per worker, start-up costs more than it saves


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _sample_rows(paths: list[str], search_path: list[str], names: list[str], seeds: range,
                 params: dict[str, Any]) -> list[dict[str, Any]]:
    from racesdsl.loader import load

    program = load(paths, search_path)
    return [program[name].sample(seed, **params).to_dict() for name in names for seed in seeds]


def sample_rows(paths: Sequence[str | Path], names: list[str], n: int, seed: int, params: dict[str, Any],
                workers: int, search_path: Sequence[str | Path] = ()) -> list[dict[str, Any]]:
    """Rows of `n` instances per env (seeds seed..seed+n-1), env by env, in seed order."""
    spec_paths = [str(p) for p in paths]
    extra = [str(p) for p in search_path]
    workers = max(1, min(workers, n // _MIN_CHUNK or 1))
    if workers == 1:
        return _sample_rows(spec_paths, extra, names, range(seed, seed + n), params)
    bounds = [seed + (n * i) // workers for i in range(workers + 1)]
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {name: [pool.submit(_sample_rows, spec_paths, extra, [name], range(lo, hi), params)
                          for lo, hi in zip(bounds, bounds[1:], strict=False)] for name in names}
        for name in names:
            for future in futures[name]:
                rows.extend(future.result())
    return rows
