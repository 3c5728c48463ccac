"""Export speed and memory: verl Parquet rows per second by engine, workers and layout.

Exports `-n` instances (default 100,000) of a depth-3 composite
(tests/fixtures/language/compositions.races:top3_sum, `seq(sort_list,
take_first, total)`) as verl Parquet with `racesdsl.integrations.export_parallel`,
streaming: to one file (workers make pieces, the parent writes them) and to a
folder of `--shard-size` shards (each worker writes whole shards). Runs one
local worker, then `--workers`, then Ray when it is installed (cold, Ray's
start-up included, and warm), and prints each run's rows/s and speed-up over
one worker, wall-clock and CPU-time based: on a shared machine the wall clock
shows what the neighbours left, while CPU time gives what two idle cores would
(one worker's CPU seconds over the busiest process's: the parent, or the
workers' CPU seconds divided among them; Ray workers are not our children, so
Ray gets wall clock only). Every layout must give the same bytes for every run.

`--memory 20000,200000` instead runs each size in a fresh process and prints the
peak RSS of the parent and of the largest worker: flat when export streams.

    python benchmarks/export_speed.py [-n 100000] [--workers N] [--shard-size 10000] [--no-ray]
    python benchmarks/export_speed.py --memory 20000,200000 [--workers N]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from racesdsl.integrations import export, export_parallel  # noqa: E402
from racesdsl.parallel import default_workers  # noqa: E402

SPEC = ROOT / "tests" / "fixtures" / "language" / "compositions.races"
ENV = "compositions.top3_sum"


@dataclass
class Run:
    label: str
    workers: int
    wall_s: float
    parent_cpu_s: float
    child_cpu_s: float | None  # None: not measurable (Ray)
    rows: int
    digest: str

    @property
    def critical_cpu_s(self) -> float:
        """CPU seconds of the busiest process, the workers assumed evenly loaded."""
        if self.child_cpu_s is None:
            return float("nan")
        return max(self.parent_cpu_s, self.child_cpu_s / self.workers if self.child_cpu_s else 0.0)


def job(n: int, seed: int) -> export_parallel.Job:
    return export_parallel.Job((str(SPEC),), (ENV,), n, seed, {}, "verl", None, "parquet")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def digest_of(dest: Path) -> str:
    files = sorted(dest.iterdir()) if dest.is_dir() else [dest]
    return hashlib.sha256(b"".join(f.name.encode() + f.read_bytes() for f in files)).hexdigest()[:16]


def run(label: str, n: int, seed: int, workers: int, engine: str, dest: Path, shard_size: int | None) -> Run:
    """One export, timed by the wall clock and by CPU time (this process and its reaped workers)."""
    start, cpu, kids = time.perf_counter(), time.process_time(), children_cpu()
    rows = export_parallel.write(job(n, seed), dest, shard_size=shard_size, workers=workers, engine=engine)
    wall = time.perf_counter() - start
    child = None if engine == "ray" else children_cpu() - kids
    return Run(label, workers, wall, time.process_time() - cpu, child, rows, digest_of(dest))


def speed(args: argparse.Namespace) -> int:
    export._pyarrow()  # fail early, with the install hint, without pyarrow
    has_ray = importlib.util.find_spec("ray") is not None and not args.no_ray
    print(f"export {args.n:,} instances of {ENV} (depth 3) to verl Parquet; {default_workers()} cores, parallel "
          f"runs use {args.workers} workers; shards of {args.shard_size:,} rows; Ray {'on' if has_ray else 'off'}")
    plan = [("local", 1, "")]
    if args.workers > 1:
        plan.append(("local", args.workers, ""))
    if has_ray:
        import ray  # noqa: F401  (imported now so each run can tell whether it starts Ray)

        plan += [("ray", args.workers, ""), ("ray", args.workers, "")]
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        run("warm-up", 10, 0, 1, "local", Path(tmp) / "warm.parquet", None)  # imports, caches: not the export's cost
        for layout, shard_size in (("one file", None), ("shards", args.shard_size)):
            runs: list[Run] = []
            for i, (engine, workers, note) in enumerate(plan):
                dest = Path(tmp) / f"{layout}-{i}" / ("" if shard_size else "all.parquet")
                if engine == "ray":  # cold: this run starts Ray (only the first Ray run of all does)
                    note = " (warm)" if sys.modules["ray"].is_initialized() else " (cold)"
                label = f"{layout}, {engine}, {workers} worker{'s' if workers > 1 else ''}{note}"
                result = run(label, args.n, args.seed, workers, engine, dest, shard_size)
                runs.append(result)
                base = runs[0]
                by_cpu = "  -  " if result.child_cpu_s is None else f"x{base.critical_cpu_s / result.critical_cpu_s:.2f}"
                print(f"{label:<34} {result.rows / result.wall_s:>8,.0f} rows/s {result.wall_s:7.2f} s  "
                      f"x{base.wall_s / result.wall_s:.2f} wall  {by_cpu} cpu  (parent {result.parent_cpu_s:.1f} s cpu, workers "
                      f"{'-' if result.child_cpu_s is None else f'{result.child_cpu_s:.1f} s'} cpu)  "
                      f"sha256 {result.digest}")
            same = same and len({r.digest for r in runs}) == 1 and len({r.rows for r in runs}) == 1
    print(f"identical bytes across runs of each layout: {same}")
    return 0 if same else 1


def memory(args: argparse.Namespace) -> int:
    sizes = [int(s) for s in args.memory.split(",")]
    print(f"peak RSS of an export of {ENV} to verl Parquet ({args.workers} workers), each size in a fresh process")
    for shard_size in (None, args.shard_size):
        for n in sizes:
            child = subprocess.run([sys.executable, __file__, "--child", str(n), "--workers", str(args.workers),
                                    "--shard-size", str(shard_size or 0)], capture_output=True, text=True, check=True)
            got = json.loads(child.stdout)
            print(f"{'shards' if shard_size else 'one file':<8} n={n:>9,}  parent {got['parent_mb']:6.0f} MB  "
                  f"largest worker {got['worker_mb']:6.0f} MB  {got['seconds']:6.1f} s")
    return 0


def child(args: argparse.Namespace) -> int:
    """One export in this fresh process; print its peak memory as JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        dest = Path(tmp) / ("shards" if args.shard_size else "all.parquet")
        export_parallel.write(job(args.child, 0), dest, shard_size=args.shard_size or None, workers=args.workers)
        seconds = time.perf_counter() - start
    print(json.dumps({"parent_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                      "seconds": seconds}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="instances to export")
    parser.add_argument("--workers", type=int, default=default_workers(), help="workers of the parallel runs")
    parser.add_argument("--shard-size", type=int, default=10_000, help="rows per shard of the sharded runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-ray", action="store_true", help="skip Ray even when it is installed")
    parser.add_argument("--memory", metavar="N,N,...", help="measure peak memory at these sizes instead")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        return child(args)
    return memory(args) if args.memory else speed(args)


if __name__ == "__main__":
    sys.exit(main())
