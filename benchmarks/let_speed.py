"""Does `let` cost sampling speed? (issue 14 acceptance)

The same task twice: an env that names a derived value with `let` and reads it
in `where` and `solve`, and one that repeats the formula in each place, as v0.1
specs had to. Each solves the other's inputs alike; the script times
`sample()` over the same seeds (the fastest of `--rounds` interleaved rounds)
and prints the ratio repeated / let: at least 1.0 means the `let` env samples
at least as fast. It exits 1 if the two disagree on an answer.

    python benchmarks/let_speed.py [--seeds N] [--rounds R]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

SPEC = '''
env with_let "Count the inversions of a list." {
    input xs: List[Int[0..99], len=20..40]
    let inversions = len([1 for i in range(len(xs)) for j in range(i + 1, len(xs)) if xs[i] > xs[j]])
    where inversions % 2 == 1
    output Int[0..1000]
    prompt """How many pairs of positions i < j of {{ xs }} hold a larger number at i than at j? Add a tenth of it."""
    solve inversions + inversions // 10
}

env repeated "Count the inversions of a list." {
    input xs: List[Int[0..99], len=20..40]
    where len([1 for i in range(len(xs)) for j in range(i + 1, len(xs)) if xs[i] > xs[j]]) % 2 == 1
    output Int[0..1000]
    prompt """How many pairs of positions i < j of {{ xs }} hold a larger number at i than at j? Add a tenth of it."""
    solve len([1 for i in range(len(xs)) for j in range(i + 1, len(xs)) if xs[i] > xs[j]]) + len([1 for i in range(len(xs)) for j in range(i + 1, len(xs)) if xs[i] > xs[j]]) // 10
}
'''


def _time(env, seeds: int) -> float:
    start = time.perf_counter()
    for seed in range(seeds):
        env.sample(seed)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import racesdsl

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "let_speed.races"
        path.write_text(SPEC, encoding="utf-8")
        program = racesdsl.load(path)
    with_let, repeated = program["with_let"], program["repeated"]
    for seed in range(200):
        a, b = with_let.sample(seed), repeated.sample(seed)
        if repeated.solve(a.input) != a.answer or with_let.solve(b.input) != b.answer:
            print(f"the two envs disagree at seed {seed}", file=sys.stderr)
            return 1
    best_let = best_rep = float("inf")
    for _ in range(args.rounds):  # interleaved: a busy machine slows both alike
        best_let = min(best_let, _time(with_let, args.seeds))
        best_rep = min(best_rep, _time(repeated, args.seeds))
    print(f"with let: {args.seeds / best_let:,.0f} instances/s; formula repeated: {args.seeds / best_rep:,.0f}/s")
    print(f"ratio (repeated time / let time): {best_rep / best_let:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
