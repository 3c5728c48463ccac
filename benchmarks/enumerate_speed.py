"""Composition search speed: time to 1,000 surviving composites of the stdlib.

Runs `enumerate_compositions` on the bundled specs (`specs/`, depth 2..4, all
four operators, `--samples` per candidate, at least 32 for the degeneracy
filters) with one worker and with every core, and prints for each: the wall
time to `--limit` survivors (target: under 30 s with one worker, the
degeneracy filters on), the set-up share (loading the specs and computing the
fusion graph), candidates judged per second, and the rejection breakdown
(`near_constant`, `ignores_input` and `duplicate` among them).
Both runs must write the same source: that is checked too.

    python benchmarks/enumerate_speed.py [--limit 1000] [--workers N] [--seed 0] [--samples 8]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from racesdsl.compose.enumerate import EnumerationResult, enumerate_compositions  # noqa: E402

TARGET_SECONDS = 30.0


def run(limit: int, workers: int, seed: int, samples: int) -> EnumerationResult:
    return enumerate_compositions([ROOT / "specs"], depth=(2, 4), limit=limit, seed=seed, workers=workers,
                                  samples=samples)


def report(result: EnumerationResult) -> None:
    s, t = result.stats, result.stats["timing"]
    verdict = "ok" if t["seconds"] < TARGET_SECONDS and s["kept"] == s["limit"] else "MISSED"
    print(f"workers={t['workers']}: {s['kept']} survivors in {t['seconds']:.2f} s "
          f"(set-up {t['setup_seconds']:.2f} s) [{verdict}: target < {TARGET_SECONDS:.0f} s]")
    print(f"  {s['tried']} candidates tried, {t['candidates_per_second']:.0f} candidates/s after set-up, "
          f"{s['kept'] / max(s['tried'], 1):.0%} kept; stopped on {s['stopped']}")
    rejected = sum(s["rejected"].values())
    print(f"  rejected {rejected}: " + ", ".join(f"{k} {v}" for k, v in s["rejected"].items()))
    print("  kept by op:    " + ", ".join(f"{op} {g['kept']}/{g['tried']}" for op, g in s["by_op"].items()))
    print("  kept by depth: " + ", ".join(f"{d} {g['kept']}/{g['tried']}" for d, g in s["by_depth"].items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="the parallel run's workers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=8, help="asked for; the judge runs at least 32")
    args = parser.parse_args()
    print(f"racesdsl enumerate on specs/: depth 2..4, ops seq,par,sort,select, limit {args.limit}, "
          f"{os.cpu_count()} cores")
    serial = run(args.limit, 1, args.seed, args.samples)
    report(serial)
    if args.workers > 1:
        parallel = run(args.limit, args.workers, args.seed, args.samples)
        report(parallel)
        same = parallel.source == serial.source
        print(f"speed-up {serial.stats['timing']['seconds'] / parallel.stats['timing']['seconds']:.2f}x; "
              f"same source for 1 and {args.workers} workers: {same}")
        if not same:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
