"""Runtime speed: instances/s and verifies/s of compiled envs vs plain Python.

Prints, in one run, for a list-sorting env and a gcd env:
  - sampling: sample + prompt + reference answer, per second;
  - verifying: a full completion (extract + parse + compare), correct and wrong;
side by side with hand-written plain-Python equivalents (one random.Random,
str.format, rfind + int/json.loads) and, when reasoning-gym is installed
(`pip install -e '.[bench]'`), its `number_sorting` and `gcd` datasets.
Ratios are what to read: absolute times vary between machines and runs.
Also measures start-up: importing a compiled package, and `racesdsl --help`.

    python benchmarks/runtime_speed.py [--quick]
"""

from __future__ import annotations

import importlib
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUICK = "--quick" in sys.argv
N = 3_000 if QUICK else 30_000
INSTRUCTION_LIST = "Give your final answer as a JSON list of integers inside <answer></answer>."
INSTRUCTION_INT = "Give your final answer as an integer inside <answer></answer>."


def rate(fn: Callable[[int], object], n: int = N, repeat: int = 3) -> float:
    """Best-of-`repeat` calls per second of fn(i) for i in range(n)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        best = min(best, time.perf_counter() - start)
    return n / best


# ---------------------------------------------------------------- plain Python


def plain_sort_sample(seed: int) -> tuple[str, list[int]]:
    rng = random.Random(seed)
    xs = [rng.randint(-99, 99) for _ in range(6)]
    return f"Sort this list in ascending order: {xs}\n\n{INSTRUCTION_LIST}", sorted(xs)


def plain_gcd_sample(seed: int) -> tuple[str, int]:
    import math

    rng = random.Random(seed)
    a, b = rng.randint(1, 100), rng.randint(1, 100)
    while a == b:
        b = rng.randint(1, 100)
    return f"What is gcd({a}, {b})?\n\n{INSTRUCTION_INT}", math.gcd(a, b)


def plain_list_verify(completion: str, answer: list[int]) -> float:
    s = completion.rfind("<answer>")
    e = completion.find("</answer>", s)
    try:
        return float(json.loads(completion[s + 8:e]) == answer)
    except ValueError:
        return 0.0


def plain_int_verify(completion: str, answer: int) -> float:
    s = completion.rfind("<answer>")
    e = completion.find("</answer>", s)
    try:
        return float(int(completion[s + 8:e]) == answer)
    except ValueError:
        return 0.0


# ---------------------------------------------------------------- racesdsl


def compiled_package(out: Path):
    from racesdsl.check.pipeline import check_paths
    from racesdsl.codegen.writer import package_files, write_files

    write_files(package_files(check_paths([ROOT / "specs"]).program, "bench_envs"), out)
    sys.path.insert(0, str(out))
    return importlib.import_module("bench_envs")


PREFIX = "Let me think step by step. The numbers are as given, so the result follows.\n"


def wrong_answer(answer: object) -> object:
    """A wrong answer of the right type, as most wrong model answers are."""
    return answer + 1 if isinstance(answer, int) else list(reversed(answer)) + [0]


def completion(answer: object) -> str:
    return PREFIX + f"<answer>{json.dumps(answer)}</answer>"


def bench_env(label: str, env, plain_sample, plain_verify, rg_name: str | None) -> None:
    inst = env.sample(1)
    right, wrong = completion(inst.answer), completion(wrong_answer(inst.answer))
    assert env.verify(inst, right).value == 1.0 and env.verify(inst, wrong).value == 0.0
    ours_s = rate(lambda i: env.sample(i))
    plain_s = rate(plain_sample)
    ours_v = rate(lambda i: env.verify(inst, right if i % 2 else wrong), n=N * 4)
    _, plain_answer = plain_sample(1)
    p_right, p_wrong = completion(plain_answer), completion(wrong_answer(plain_answer))
    assert plain_verify(p_right, plain_answer) == 1.0 and plain_verify(p_wrong, plain_answer) == 0.0
    plain_v = rate(lambda i: plain_verify(p_right if i % 2 else p_wrong, plain_answer), n=N * 4)
    print(f"\n{label}")
    print(f"  sampling   racesdsl {ours_s:>12,.0f}/s   plain {plain_s:>12,.0f}/s   ratio {ours_s / plain_s:5.2f}x")
    print(f"  verifying  racesdsl {ours_v:>12,.0f}/s   plain {plain_v:>12,.0f}/s   ratio {ours_v / plain_v:5.2f}x")
    rg = reasoning_gym_rates(rg_name) if rg_name else None
    if rg is None:
        print("  reasoning-gym: not installed (pip install -e '.[bench]') - skipped")
    else:
        rg_s, rg_v = rg
        print(f"  reasoning-gym {rg_name}: sampling {rg_s:,.0f}/s (ours {ours_s / rg_s:.2f}x), "
              f"verifying {rg_v:,.0f}/s (ours {ours_v / rg_v:.2f}x)")


def reasoning_gym_rates(name: str) -> tuple[float, float] | None:
    try:
        import reasoning_gym
        from reasoning_gym.utils import extract_answer
    except ImportError:
        return None
    n = N // 3
    data = reasoning_gym.create_dataset(name, size=n, seed=1)
    sample = rate(lambda i: data[i], n=n)
    entry = data[0]
    right = PREFIX + f"<answer>{entry['answer']}</answer>"
    # A wrong answer of the right kind: the reference with its last character changed.
    wrong = PREFIX + f"<answer>{entry['answer'][:-1]}{'1' if entry['answer'][-1:] != '1' else '2'}</answer>"
    assert data.score_answer(extract_answer(right), entry) == 1.0
    verify = rate(lambda i: data.score_answer(extract_answer(right if i % 2 else wrong), entry), n=n * 4)
    return sample, verify


# ---------------------------------------------------------------- start-up


def startup(pkg_dir: Path) -> None:
    def best(cmd: list[str], cwd: Path) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        return min(times) * 1000

    base = best([sys.executable, "-c", "pass"], pkg_dir)
    pkg = best([sys.executable, "-c", "import bench_envs.lists"], pkg_dir)
    cli = best([sys.executable, "-m", "racesdsl", "--help"], ROOT)
    print("\nstart-up (wall, best of 5)")
    print(f"  python -c pass                  {base:6.0f} ms")
    print(f"  import a compiled package       {pkg:6.0f} ms   (target < 150 ms)")
    print(f"  racesdsl --help                 {cli:6.0f} ms   (target < 300 ms)")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pkg = compiled_package(Path(tmp))
        print(f"racesdsl runtime speed ({N:,} instances per measurement; best of 3)")
        bench_env("sort_list (List[Int[-99..99], len=6])", pkg.get("sort_list"), plain_sort_sample,
                  plain_list_verify, "number_sorting")
        bench_env("gcd2 (Int[1..100] x 2, where a != b)", pkg.get("gcd2"), plain_gcd_sample,
                  plain_int_verify, "gcd")
        startup(Path(tmp))


if __name__ == "__main__":
    main()
