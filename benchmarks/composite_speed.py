"""Composite speed: seq / par / sort of three stdlib envs vs hand-written Python.

Prints, in one run, for each operator (depth 3: three base envs):
  - sampling: sample + prompt + reference answers, per second;
  - verifying with a new instance every call (as in RL: each rollout's
    instance is fresh), correct and wrong completions alternating;
side by side with a hand-written plain-Python chain doing the same work (one
random.Random, f-strings, rfind + json.loads per tag) and, when reasoning-gym
is installed (`pip install -e '.[bench]'`), its `composite` dataset (a weighted
mixture of `number_sorting` and `gcd`, not a chain: one task per item).
Ratios are what to read.

    python benchmarks/composite_speed.py [--quick]
"""

from __future__ import annotations

import json
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUICK = "--quick" in sys.argv
N = 2_000 if QUICK else 20_000
SPEC = """use std.lists.{sort_list, take_first, total}
use std.numbers.{gcd2}

compose top3_sum = seq(sort_list(n=3..12), take_first(k=3), total)
compose three_parts = par(sort_list, gcd2, total)
compose top3_shuffled = sort(sort_list(n=3..12), take_first(k=3), total)
"""
LIST = "a JSON list of integers"
INT = "an integer"


ROUNDS = 3 if QUICK else 7


def _once(fn: Callable[[int], object], n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def paired(ours: Callable[[int], object], plain: Callable[[int], object], n: int = N) -> tuple[float, float, float]:
    """Median rates of both, and the median of the per-round ratios: the two run in
    interleaved rounds, so load from other processes hits both alike."""
    rates = [(_once(ours, n), _once(plain, n)) for _ in range(ROUNDS)]
    ratios = sorted(a / b for a, b in rates)
    return (statistics.median(a for a, _ in rates), statistics.median(b for _, b in rates),
            ratios[len(ratios) // 2])


# ---------------------------------------------------------------- plain Python


def _tags(prefix: str, kinds: Sequence[str]) -> str:
    return ", ".join(f"<{prefix}{i}>...</{prefix}{i}> ({k})" for i, k in enumerate(kinds, 1))


def _small_list(rng: random.Random, n: int) -> list[int]:
    return [rng.randint(-99, 99) for _ in range(n)]


def plain_seq(seed: int) -> tuple[str, list]:
    rng = random.Random(seed)
    xs = _small_list(rng, 6)
    a = sorted(xs)
    b = a[:3]
    c = sum(b)
    prompt = ("Solve this task step by step.\n"
              f"Step 1: Sort {json.dumps(xs)} in ascending order.\n"
              "Step 2: Keep the first 3 elements of the list you obtained in step 1.\n"
              "Step 3: Add up the list you obtained in step 2.\n\n"
              "Report the result of every step, each in its own tag: " + _tags("step", [LIST, LIST, INT]) + ".")
    return prompt, [a, b, c]


def plain_par(seed: int) -> tuple[str, list]:
    rng = random.Random(seed)
    xs = _small_list(rng, 6)
    a, b = rng.randint(1, 100), rng.randint(1, 100)
    while a == b:
        b = rng.randint(1, 100)
    ys = _small_list(rng, rng.randint(1, 12))
    prompt = ("Solve each of these independent tasks.\n"
              f"Part 1: Sort {json.dumps(xs)} in ascending order.\n"
              f"Part 2: Take the greatest common divisor of {a} and {b}.\n"
              f"Part 3: Add up {json.dumps(ys)}.\n\n"
              "Give each part's answer in its own tag: " + _tags("part", [LIST, INT, INT]) + ".")
    return prompt, [sorted(xs), math.gcd(a, b), sum(ys)]


def plain_sort(seed: int) -> tuple[str, object]:
    rng = random.Random(seed)
    xs = _small_list(rng, 6)
    answer = sum(sorted(xs)[:3])
    order = [0, 1, 2]
    rng.shuffle(order)
    label = {step: "ABC"[pos] for pos, step in enumerate(order)}
    texts = [f"Sort {json.dumps(xs)} in ascending order.",
             f"Keep the first 3 elements of the result of step {label[0]}.",
             f"Add up the result of step {label[1]}."]
    lines = "\n".join(f"Step {label[s]}: {texts[s]}" for s in order)
    prompt = ("The steps of a task are listed below in shuffled order. Each step that uses an earlier result "
              "names the step it comes from. Work out the order, carry out the steps and give the final "
              f"result.\n{lines}\n\nGive your final answer as {INT} inside <answer></answer>.")
    return prompt, answer


def _block(completion: str, tag: str) -> str | None:
    end = completion.rfind(f"</{tag}>")
    start = completion.rfind(f"<{tag}>", 0, end)
    return None if end < 0 or start < 0 else completion[start + len(tag) + 2:end]


def plain_verify_parts(completion: str, answer: list, tag: str, prefix: bool) -> float:
    good = []
    for i, ref in enumerate(answer, 1):
        block = _block(completion, f"{tag}{i}")
        try:
            good.append(block is not None and json.loads(block) == ref)
        except ValueError:
            good.append(False)
    if prefix:
        return next((i for i, g in enumerate(good) if not g), len(good)) / len(good)
    return sum(good) / len(good)


def plain_verify_answer(completion: str, answer: object) -> float:
    block = _block(completion, "answer")
    try:
        return float(block is not None and json.loads(block) == answer)
    except ValueError:
        return 0.0


# ---------------------------------------------------------------- racesdsl


def _wrong(answer: object) -> object:
    if isinstance(answer, list):
        return [*answer[:-1], _wrong(answer[-1])]
    return answer + 1 if isinstance(answer, int) else answer


def bench(label: str, comp, plain_sample: Callable, plain_verify: Callable) -> None:
    insts = [comp.sample(i) for i in range(N)]
    rights = [comp.render_answer(x.answer) for x in insts]
    wrongs = [comp.render_answer(_wrong(x.answer)) for x in insts]
    assert comp.verify(insts[0], rights[0]).value == 1.0 and comp.verify(insts[0], wrongs[0]).value < 1.0
    plain = [plain_sample(i) for i in range(N)]
    p_right = [comp.render_answer(a) for _, a in plain]
    p_wrong = [comp.render_answer(_wrong(a)) for _, a in plain]
    assert plain_verify(p_right[0], plain[0][1]) == 1.0 and plain_verify(p_wrong[0], plain[0][1]) < 1.0

    ours_s, plain_s, ratio_s = paired(lambda i: comp.sample(i), plain_sample)
    ours_v, plain_v, ratio_v = paired(lambda i: comp.verify(insts[i], rights[i] if i % 2 else wrongs[i]),
                                      lambda i: plain_verify(p_right[i] if i % 2 else p_wrong[i], plain[i][1]))
    print(f"\n{label}")
    print(f"  sampling   racesdsl {ours_s:>10,.0f}/s   plain {plain_s:>10,.0f}/s   ratio {ratio_s:5.2f}x")
    print(f"  verifying  racesdsl {ours_v:>10,.0f}/s   plain {plain_v:>10,.0f}/s   ratio {ratio_v:5.2f}x"
          "   (a new instance every call)")


def reasoning_gym_composite(ours: Callable[[int], object]) -> None:
    try:
        import reasoning_gym
        from reasoning_gym.composite import DatasetSpec
    except ImportError:
        print("\nreasoning-gym: not installed (pip install -e '.[bench]') - skipped")
        return
    specs = [DatasetSpec("number_sorting", 1.0, {}), DatasetSpec("gcd", 1.0, {})]
    data = reasoning_gym.create_dataset("composite", size=N, seed=1, datasets=specs)
    ours_s, rg_s, ratio = paired(ours, lambda i: data[i])
    print(f"\nreasoning-gym composite (number_sorting + gcd mixture): sampling {rg_s:,.0f}/s; "
          f"racesdsl's seq {ours_s:,.0f}/s, ratio {ratio:.2f}x")


def main() -> None:
    import racesdsl

    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "bench_composites.races"
        spec.write_text(SPEC, encoding="utf-8")
        program = racesdsl.load(spec)
    print(f"racesdsl composite speed ({N:,} instances per measurement; medians of {ROUNDS} interleaved rounds)")
    seq = program.get("top3_sum")
    bench("seq(sort_list(n=3..12), take_first(k=3), total)", seq, plain_seq,
          lambda c, a: plain_verify_parts(c, a, "step", True))
    bench("par(sort_list, gcd2, total)", program.get("three_parts"), plain_par,
          lambda c, a: plain_verify_parts(c, a, "part", False))
    bench("sort(sort_list(n=3..12), take_first(k=3), total)", program.get("top3_shuffled"), plain_sort,
          plain_verify_answer)
    reasoning_gym_composite(lambda i: seq.sample(i))


if __name__ == "__main__":
    main()
