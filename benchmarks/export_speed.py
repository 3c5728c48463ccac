"""Export speed: rows per second written to Parquet, by engine and worker count.

Samples `-n` instances (default 100,000) of a depth-3 composite
(tests/fixtures/language/compositions.races:top3_sum, `seq(sort_list,
take_first, total)`) with `racesdsl.parallel.sample_rows`, converts them to
verl rows (`export.from_plain(rows, "verl", None)`) and writes them with
`export.write(rows, path, "parquet")`. Runs one local worker, then every core,
then Ray when it is installed (once cold, Ray's start-up included, and once
warm), and prints each run's rows/s, its split between sampling and writing,
and its speed-up over one worker. Every run must write the same bytes: that is
checked too.

    python benchmarks/export_speed.py [-n 100000] [--workers N] [--seed 0] [--no-ray]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from racesdsl.integrations import export  # noqa: E402
from racesdsl.parallel import default_workers, sample_rows  # noqa: E402

SPEC = ROOT / "tests" / "fixtures" / "language" / "compositions.races"
ENV = "compositions.top3_sum"


@dataclass
class Run:
    label: str
    sample_s: float
    write_s: float
    rows: int
    digest: str

    @property
    def total_s(self) -> float:
        return self.sample_s + self.write_s

    @property
    def rate(self) -> float:
        return self.rows / self.total_s


def run(label: str, n: int, seed: int, workers: int, engine: str, out: Path) -> Run:
    """One export: sample, convert to verl rows, write Parquet; timed in two parts."""
    start = time.perf_counter()
    plain = sample_rows([SPEC], [ENV], n, seed, {}, workers, engine=engine)
    sampled = time.perf_counter()
    written = export.write(export.from_plain(plain, "verl", None), out, "parquet")
    done = time.perf_counter()
    digest = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
    return Run(label, sampled - start, done - sampled, written, digest)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="instances to export")
    parser.add_argument("--workers", type=int, default=default_workers(), help="workers of the parallel runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-ray", action="store_true", help="skip Ray even when it is installed")
    args = parser.parse_args()
    export._pyarrow()  # fail early, with the install hint, without pyarrow
    has_ray = importlib.util.find_spec("ray") is not None and not args.no_ray
    print(f"export {args.n:,} instances of {ENV} (depth 3) to verl Parquet; "
          f"{default_workers()} cores, parallel runs use {args.workers} workers; Ray {'on' if has_ray else 'off'}")
    plan = [("local, 1 worker", 1, "local")]
    if args.workers > 1:
        plan.append((f"local, {args.workers} workers", args.workers, "local"))
    if has_ray:
        plan += [(f"ray, {args.workers} workers (cold)", args.workers, "ray"),
                 (f"ray, {args.workers} workers (warm)", args.workers, "ray")]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, workers, engine) in enumerate(plan):
            result = run(label, args.n, args.seed, workers, engine, Path(tmp) / f"run{i}.parquet")
            runs.append(result)
            base = runs[0].rate
            print(f"{label:<28} {result.rate:>9,.0f} rows/s  {result.total_s:6.2f} s "
                  f"(sample {result.sample_s:5.2f} s, convert+write {result.write_s:5.2f} s)  "
                  f"x{result.rate / base:.2f} vs 1 worker  sha256 {result.digest}")
    same = len({r.digest for r in runs}) == 1 and len({r.rows for r in runs}) == 1
    print(f"identical Parquet bytes across runs: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
