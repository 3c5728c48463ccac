"""Drive the `Adaptive` controller with a synthetic learner and plot its levels.

Why: the controller's rules (band, window, step, promotion) only show their
behaviour over a long run. The learner here is a toy with the two properties
that matter: success falls with difficulty (level and depth) and rises slowly
with practice, and practice on a base env transfers partly to the composites
built from it. Instances are really sampled through `InstanceStream`, so the
run also exercises the level map and the stream on stdlib envs and composites.

    python benchmarks/curriculum_sim.py [--steps 20000] [--seed 0] [--out benchmarks/curriculum.png]

Prints a text summary; writes the plot when matplotlib is installed
(`pip install -e '.[plot]'`)."""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import racesdsl  # noqa: E402
from racesdsl.curriculum import Adaptive, InstanceStream, difficulty, lineage, make_pool  # noqa: E402

SPEC = ROOT / "tests" / "fixtures" / "composition" / "showcase.races"
BASES = ["lists.sort_list", "lists.take_first", "lists.total", "lists.reverse_list", "numbers.gcd2",
         "numbers.is_even", "lists.negate_all", "lists.extremes"]
COMPOSITES = ["showcase.top3_seq", "showcase.top3_sort", "showcase.top3_select", "showcase.trio_par",
              "showcase.top3_parity", "showcase.extremes_parity"]


class Learner:
    """P(success) = sigmoid(6 * (skill - hardness - level)); each attempt adds
    `rate` to the env's own skill; a composite also inherits 0.3 of the mean
    skill of its base envs. Hardness grows with depth (0.5 per level) plus a
    fixed per-env offset."""

    def __init__(self, program: racesdsl.loader.Program, seed: int, rate: float = 0.001) -> None:
        self.program, self.rate = program, rate
        self.rng = random.Random(seed)
        self.own: dict[str, float] = {}
        self.bases = {name: sorted(set(lineage(program[name])["bases"])) for name in program}

    def hardness(self, name: str) -> float:
        jitter = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) / 2**32 * 0.2
        return 0.5 * (difficulty(self.program[name]).depth - 1) + jitter

    def skill(self, name: str) -> float:
        own = self.own.get(name, 0.2)
        if difficulty(self.program[name]).depth == 1:
            return own
        return own + 0.3 * sum(self.skill(b) for b in self.bases[name]) / len(self.bases[name])

    def attempt(self, name: str, level: float) -> float:
        p = 1 / (1 + math.exp(-6 * (self.skill(name) - self.hardness(name) - level)))
        self.own[name] = self.own.get(name, 0.2) + self.rate
        return 1.0 if self.rng.random() < p else 0.0


def run(steps: int, seed: int) -> tuple[dict[str, list[tuple[int, float]]], dict[str, int], Adaptive, float]:
    program = racesdsl.load(SPEC)
    ctl = Adaptive(make_pool(program, BASES + COMPOSITES), window=32, seed=seed, promote=2)
    learner = Learner(program, seed)
    stream = InstanceStream(program, ctl, seed=seed, limit=steps)
    trace: dict[str, list[tuple[int, float]]] = {n: [(0, ctl.level(n))] for n in ctl.active()}
    mastered: dict[str, int] = {}
    name_of = {program[n].qualname: n for n in BASES + COMPOSITES}
    start = time.perf_counter()
    for step, inst in enumerate(stream, 1):
        name = name_of[inst.env]
        event = stream.report(inst, learner.attempt(name, ctl.level(name)))
        if event is None:
            continue
        trace.setdefault(name, [(step, event.level)]).append((step, event.level))
        if event.action == "mastered":
            mastered[name] = step
            for new in event.promoted:
                trace[new] = [(step, ctl.level(new))]
    elapsed = time.perf_counter() - start
    for name, points in trace.items():
        points.append((steps, ctl.level(name)))
    return trace, mastered, ctl, elapsed


def summary(trace: dict, mastered: dict, ctl: Adaptive, steps: int, elapsed: float) -> str:
    lines = [f"{steps} steps in {elapsed:.1f} s ({steps / elapsed:,.0f} instances/s, sampled and reported)",
             f"{'env':<28} {'depth':>5} {'joined':>7} {'mastered':>9} {'level':>6} {'accuracy':>9}"]
    depth = {e.name: e.depth for e in ctl.pool}
    for name, points in trace.items():
        acc = ctl.accuracy(name)
        lines.append(f"{name:<28} {depth[name]:>5} {points[0][0]:>7} {mastered.get(name, '-')!s:>9} "
                     f"{ctl.level(name):>6.2f} {'-' if acc is None else f'{acc:.2f}':>9}")
    waiting = [e.name for e in ctl.pool if e.name not in trace]
    lines.append(f"still in the pool, never promoted: {', '.join(waiting) or 'none'}")
    return "\n".join(lines)


def plot(trace: dict, mastered: dict, ctl: Adaptive, steps: int, out: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    depth = {e.name: e.depth for e in ctl.pool}
    depths = sorted({depth[n] for n in trace})
    fig, axes = plt.subplots(len(depths), 1, figsize=(10, 2.6 * len(depths)), sharex=True, squeeze=False)
    for ax, d in zip(axes[:, 0], depths, strict=True):
        for name in (n for n in trace if depth[n] == d):
            xs, ys = zip(*trace[name], strict=True)
            line, = ax.step(xs, ys, where="post", label=name.split(".", 1)[1], linewidth=1.4)
            if name in mastered:
                ax.plot([mastered[name]], [1.0], marker="*", markersize=11, color=line.get_color())
        ax.set_ylim(-0.05, 1.1)
        ax.set_ylabel(f"level (depth {d})")
        ax.legend(loc="lower right", fontsize=7, ncol=2)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("step (instances sampled)")
    fig.suptitle("Adaptive curriculum on a synthetic learner (star: mastered; new lines: promoted composites)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "curriculum.png")
    args = parser.parse_args()
    trace, mastered, ctl, elapsed = run(args.steps, args.seed)
    print(summary(trace, mastered, ctl, args.steps, elapsed))
    if plot(trace, mastered, ctl, args.steps, args.out):
        print(f"wrote {args.out}")
    else:
        print("matplotlib is not installed: no plot (pip install -e '.[plot]')")


if __name__ == "__main__":
    main()
