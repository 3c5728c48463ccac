"""Fold speed (issue 14 acceptance): an env written with `fold` samples at least
as fast as the same task written without it, unrolled by hand.

The task reads a number from its digits (Horner's rule), the kind of formula
that v0.1 specs unrolled one position at a time. Both envs sample the same
inputs and prompts; only `solve` differs. Rounds alternate between the two so
a busy machine slows both alike; the best round of each is compared.

    python benchmarks/fold_speed.py [--quick]

Prints seconds per 1,000 samples for each and the ratio unrolled / fold
(1.0 or more: the fold is at least as fast).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import racesdsl  # noqa: E402 - after the path set-up, as the other benchmarks

QUICK = "--quick" in sys.argv
N = 2_000 if QUICK else 20_000
ROUNDS = 3 if QUICK else 7
DIGITS = 8

_UNROLLED = "d[0]"
for _i in range(1, DIGITS):
    _UNROLLED = f"({_UNROLLED}) * 10 + d[{_i}]"

SPEC = f'''env with_fold "A number from its digits." {{
    input d: List[Int[0..9], len={DIGITS}]
    output Int[0..{10**DIGITS - 1}]
    prompt """Which number has the digits {{{{ d }}}}, most significant first?"""
    solve fold(d, 0, lambda acc, x: acc * 10 + x)
}}

env unrolled "A number from its digits." {{
    input d: List[Int[0..9], len={DIGITS}]
    output Int[0..{10**DIGITS - 1}]
    prompt """Which number has the digits {{{{ d }}}}, most significant first?"""
    solve {_UNROLLED}
}}
'''


def _round(env: Any, n: int) -> float:
    start = time.perf_counter()
    for seed in range(n):
        env.sample(seed)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fold_bench.races"
        path.write_text(SPEC, encoding="utf-8")
        envs = racesdsl.load(path)
    fold, plain = envs["with_fold"], envs["unrolled"]
    for seed in range(200):  # the same task (seeds differ per env name, so compare with the digits)
        for inst in (fold.sample(seed), plain.sample(seed)):
            assert inst.answer == int("".join(map(str, inst.input["d"]))), seed
    best = {"fold": float("inf"), "unrolled": float("inf")}
    for _ in range(ROUNDS):
        best["fold"] = min(best["fold"], _round(fold, N))
        best["unrolled"] = min(best["unrolled"], _round(plain, N))
    for name, secs in best.items():
        print(f"{name:>9}: {secs / N * 1000:.4f} s per 1,000 samples")
    print(f"ratio unrolled / fold: {best['unrolled'] / best['fold']:.3f}")


if __name__ == "__main__":
    main()
