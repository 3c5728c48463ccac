"""How fast does `racesdsl check` go on a spec set of realistic size?

Generates, deterministically and in a temporary folder, 300 base envs over
list/int/str signatures (10 modules) and 1,000 legal compositions (`seq`,
`par`, `sort` of 2-4 stages, 10 modules importing the env modules), then
times `check_paths` in-process and `racesdsl check` in a subprocess.

A benchmark of broken input would measure the wrong thing, so the script
exits 1 when the generated specs produce any error.

`--scale K` multiplies the set (K x 300 envs, K x 1,000 compositions, K x 10
modules of each kind, so files keep their size); `--linearity` checks the
base set and the 10x set in one run (`--rounds` interleaved rounds, the fastest
of each kept) and prints the time ratio (linear is 10x; the target is at most 11x).

    python benchmarks/check_speed.py [--keep DIR] [--scale K] [--linearity [--rounds N]]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from racesdsl.check.pipeline import CheckResult

N_ENVS = 300
N_COMPOSITIONS = 1000
ENV_MODULES = 10
COMPOSE_MODULES = 10
SEED = 20260612
TARGET_SECONDS = 2.0


# ------------------------------------------------------------------ signatures


@dataclass(frozen=True)
class IntT:
    lo: int
    hi: int

    def show(self) -> str:
        return f"Int[{self.lo}..{self.hi}]"

    def fits(self, other: object) -> bool:
        """`self <: other`, the subset of §3 the generator uses."""
        return isinstance(other, IntT) and other.lo <= self.lo and self.hi <= other.hi


@dataclass(frozen=True)
class ListT:
    elem: IntT
    len_lo: int
    len_hi: int

    def show(self) -> str:
        length = f"{self.len_lo}" if self.len_lo == self.len_hi else f"{self.len_lo}..{self.len_hi}"
        return f"List[{self.elem.show()}, len={length}]"

    def fits(self, other: object) -> bool:
        return (isinstance(other, ListT) and self.elem.fits(other.elem)
                and other.len_lo <= self.len_lo and self.len_hi <= other.len_hi)


@dataclass(frozen=True)
class StrT:
    len_lo: int
    len_hi: int

    def show(self) -> str:
        return f'Str[len={self.len_lo}..{self.len_hi}, chars="a-z"]'

    def fits(self, other: object) -> bool:
        return isinstance(other, StrT) and other.len_lo <= self.len_lo and self.len_hi <= other.len_hi


Sig = IntT | ListT | StrT


@dataclass(frozen=True)
class Env:
    module: str
    name: str
    input: Sig
    output: Sig
    source: str

    @property
    def ref(self) -> str:
        return f"{self.module}.{self.name}"


# ------------------------------------------------------------------ env families


def _env(module: str, name: str, doc: str, inp: Sig, out: Sig, prompt: str, solve: str,
         param: str = "", in_text: str | None = None, out_text: str | None = None) -> Env:
    lines = [f'env {name} "{doc}" {{']
    if param:
        lines.append(f"    param {param}")
    lines += [
        f"    input v: {in_text or inp.show()}",
        f"    output {out_text or out.show()}",
        f'    prompt """{prompt}"""',
        f"    solve {solve}",
        "}",
    ]
    return Env(module, name, inp, out, "\n".join(lines) + "\n")


def make_env(rng: random.Random, module: str, index: int) -> Env:
    """One env of a random family; its declared output holds every value its solver can give."""
    bound = rng.choice([9, 20, 50, 99])
    elem = IntT(-bound, bound) if rng.random() < 0.7 else IntT(0, bound)
    len_lo = rng.choice([1, 2, 3])
    len_hi = rng.choice([6, 8, 10, 12])
    lst = ListT(elem, len_lo, len_hi)
    family = rng.choice([
        "sort", "sort_n", "abs_all", "shift_all", "take", "total", "maximum", "length",
        "count_pos", "abs_int", "clamp", "mod", "triple", "str_len",
    ])
    name = f"{family}_{index}"
    if family == "sort":
        return _env(module, name, "Sort a list.", lst, lst, "Sort {{ v }} ascending.", "sorted(v)")
    if family == "sort_n":
        # A length param, inferred from the incoming list when fused (§3).
        return _env(module, name, "Sort a list of length n.", ListT(elem, 1, 12), ListT(elem, 1, 12),
                    "Sort these {{ n }} numbers: {{ v }}", "sorted(v)", param="n: Int[1..12] = 5",
                    in_text=f"List[{elem.show()}, len=n]", out_text=f"List[{elem.show()}, len=n]")
    if family == "abs_all":
        out = ListT(IntT(0, max(-elem.lo, elem.hi)), len_lo, len_hi)
        return _env(module, name, "Absolute value of each element.", lst, out,
                    "Replace every number in {{ v }} by its absolute value.", "[abs(x) for x in v]")
    if family == "shift_all":
        c = rng.randint(1, 9)
        out = ListT(IntT(elem.lo + c, elem.hi + c), len_lo, len_hi)
        return _env(module, name, f"Add {c} to each element.", lst, out,
                    f"Add {c} to every number in {{{{ v }}}}.", f"[x + {c} for x in v]")
    if family == "take":
        k = rng.randint(1, 3)
        inp = ListT(elem, max(k, len_lo), len_hi)
        return _env(module, name, f"Keep the first {k} elements.", inp, ListT(elem, k, k),
                    f"Write the first {k} elements of {{{{ v }}}}.", f"v[:{k}]")
    if family == "total":
        lo = min(0, elem.lo) * len_hi
        hi = max(0, elem.hi) * len_hi
        return _env(module, name, "Sum of a list.", lst, IntT(lo, hi), "What is the sum of {{ v }}?", "sum(v)")
    if family == "maximum":
        return _env(module, name, "Largest element.", lst, elem, "What is the largest number in {{ v }}?", "max(v)")
    if family == "length":
        return _env(module, name, "Length of a list.", lst, IntT(len_lo, len_hi),
                    "How many numbers are in {{ v }}?", "len(v)")
    if family == "count_pos":
        return _env(module, name, "Count the positive elements.", lst, IntT(0, len_hi),
                    "How many numbers in {{ v }} are positive?", "len([x for x in v if x > 0])")
    lo_i = rng.choice([-1000, -100, -50, 0, 1])
    hi_i = rng.choice([10, 100, 1000, 5000])
    num = IntT(lo_i, hi_i)
    if family == "abs_int":
        return _env(module, name, "Absolute value.", num, IntT(0, max(-lo_i, hi_i)),
                    "What is the absolute value of {{ v }}?", "abs(v)")
    if family == "clamp":
        return _env(module, name, "Clamp to 0..99.", num, IntT(0, 99),
                    "Clamp {{ v }} to the range 0 to 99.", "min(max(v, 0), 99)")
    if family == "mod":
        m = rng.choice([2, 3, 7, 10, 12])
        return _env(module, name, f"Remainder modulo {m}.", num, IntT(0, m - 1),
                    f"What is {{{{ v }}}} modulo {m}?", f"v % {m}")
    if family == "triple":
        out = ListT(IntT(lo_i, hi_i + 2), 3, 3)
        return _env(module, name, "Three consecutive integers.", num, out,
                    "List {{ v }} and the two integers after it.", "[v, v + 1, v + 2]")
    s = StrT(rng.randint(1, 3), rng.choice([8, 10, 16]))
    # str_len: the one string family; it feeds the int families.
    return _env(module, name, "Length of a word.", s, IntT(s.len_lo, s.len_hi),
                "How many letters does {{ v }} have?", "len(v)")


# ------------------------------------------------------------------ compositions


def legal_chain(rng: random.Random, envs: list[Env], successors: dict[str, list[Env]], length: int) -> list[Env] | None:
    """A random walk along fusion edges, or None when it dead-ends."""
    chain = [rng.choice(envs)]
    while len(chain) < length:
        nexts = successors[chain[-1].ref]
        if not nexts:
            return None
        chain.append(rng.choice(nexts))
    return chain


def generate(root: Path, seed: int = SEED, scale: int = 1) -> tuple[int, int]:
    """Write the spec set under `root` (`scale` times the base size); returns
    (envs, compositions) written."""
    rng = random.Random(seed)
    envs: list[Env] = []
    per_module = N_ENVS // ENV_MODULES
    for m in range(ENV_MODULES * scale):
        module = f"bench_envs_{m:02d}"
        mine = [make_env(rng, module, m * per_module + i) for i in range(per_module)]
        envs += mine
        header = f"# Generated by benchmarks/check_speed.py (seed {seed}).\n\n"
        (root / f"{module}.races").write_text(header + "\n".join(e.source for e in mine), encoding="utf-8")

    successors = {a.ref: [b for b in envs if a.output.fits(b.input)] for a in envs}
    has_successor = [e for e in envs if successors[e.ref]]
    per_compose = N_COMPOSITIONS // COMPOSE_MODULES
    written = 0
    for m in range(COMPOSE_MODULES * scale):
        lines: list[str] = []
        used: set[str] = set()
        while len(lines) < per_compose:
            op = rng.choices(["seq", "par", "sort"], weights=[5, 3, 2])[0]
            length = rng.randint(2, 4) if op != "sort" else rng.randint(3, 4)
            if op == "par":
                stages: list[Env] | None = rng.sample(envs, length)
            else:
                stages = legal_chain(rng, has_successor, successors, length)
            if stages is None:
                continue
            used |= {s.module for s in stages}
            args = ", ".join(s.ref for s in stages)
            lines.append(f"compose c{m:02d}_{len(lines):03d} = {op}({args})")
        uses = "".join(f"use {u}\n" for u in sorted(used))
        (root / f"bench_compose_{m:02d}.races").write_text(uses + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
        written += len(lines)
    return len(envs), written


# ------------------------------------------------------------------ timing


def _report_errors(result: CheckResult) -> int:
    """Print the first errors; a benchmark of broken specs is not a result."""
    errors = result.errors
    if errors:
        from racesdsl.diagnostics import render_concise

        for d in errors[:20]:
            print(render_concise(d), file=sys.stderr)
        print(f"check_speed: the generated specs have {len(errors)} errors; not a valid benchmark",
              file=sys.stderr)
    return len(errors)


def linearity(rounds: int = 3) -> int:
    """Check the base set and the 10x set in-process, interleaved for `rounds` rounds;
    print the fastest time of each and their ratio. On a shared machine the fastest of a
    few runs is the one least disturbed by other processes."""
    from racesdsl.check.pipeline import check_paths
    from racesdsl.syntax.parser import parse_text

    parse_text("type T = Int[1..2]")  # build the LALR tables once
    with tempfile.TemporaryDirectory(prefix="racesdsl-bench-") as tmp:
        sets = []
        for scale in (1, 10):
            root = Path(tmp) / f"x{scale}"
            root.mkdir()
            sets.append((root, *generate(root, scale=scale)))
        best = [float("inf")] * len(sets)
        cpu = [float("inf")] * len(sets)  # CPU time: less disturbed by other processes than wall time
        for _ in range(max(rounds, 1)):
            for i, (root, _, _) in enumerate(sets):
                t0, c0 = time.perf_counter(), time.process_time()
                result = check_paths([root])
                best[i] = min(best[i], time.perf_counter() - t0)
                cpu[i] = min(cpu[i], time.process_time() - c0)
                if _report_errors(result):
                    return 1
                del result  # the next check should not run beside this one's heap
    for (_, n_envs, n_comps), t, c in zip(sets, best, cpu, strict=True):
        print(f"{n_envs:6} envs + {n_comps:6} compositions: check {t:7.3f} s, CPU {c:7.3f} s (fastest of {rounds})")
    print(f"10x the input took {best[1] / best[0]:.1f}x the time, {cpu[1] / cpu[0]:.1f}x the CPU time "
          "(linear: 10x; target <= 11x)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the spec set here and keep it")
    parser.add_argument("--scale", type=int, default=1, help="K times the base spec set (default 1)")
    parser.add_argument("--linearity", action="store_true", help="time the 1x and the 10x set, print the ratio")
    parser.add_argument("--rounds", type=int, default=3, help="with --linearity: interleaved rounds, fastest kept")
    args = parser.parse_args()
    if args.linearity:
        return linearity(args.rounds)

    with tempfile.TemporaryDirectory(prefix="racesdsl-bench-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        n_envs, n_comps = generate(root, scale=args.scale)
        env_files = sorted(root.glob("bench_envs_*.races"))

        t0 = time.perf_counter()
        from racesdsl.check.pipeline import check_paths
        from racesdsl.syntax.parser import parse_text

        parse_text("type T = Int[1..2]")  # build the LALR tables once
        t_import = time.perf_counter() - t0

        t0 = time.perf_counter()
        env_result = check_paths(env_files)
        t_envs = time.perf_counter() - t0

        t0 = time.perf_counter()
        result = check_paths([root])
        t_all = time.perf_counter() - t0

        bad = _report_errors(env_result) or _report_errors(result)
        t_comps = max(t_all - t_envs, 1e-9)
        warnings = len(result.diagnostics) - len(result.errors)
        print(f"spec set: {n_envs} envs, {n_comps} compositions in {len(result.sources)} files "
              f"({sum(len(t) for t in result.sources.values()) // 1024} KiB), {warnings} warnings")
        print(f"import + parser build:   {t_import:7.3f} s")
        print(f"check envs only:         {t_envs:7.3f} s  ({n_envs / t_envs:8.0f} envs/s)")
        print(f"check everything:        {t_all:7.3f} s  "
              f"({n_comps / t_comps:8.0f} compositions/s beyond the envs)")

        t0 = time.perf_counter()
        cli = subprocess.run([sys.executable, "-m", "racesdsl", "check", "--format", "concise", str(root)],
                             capture_output=True, text=True)
        t_cli = time.perf_counter() - t0
        print(f"CLI `racesdsl check`:    {t_cli:7.3f} s  (exit {cli.returncode}, whole process)")
        verdict = "within" if t_all <= TARGET_SECONDS else "OVER"
        print(f"total check time {t_all:.3f} s: {verdict} the {TARGET_SECONDS:.0f} s target")

        if bad or cli.returncode != 0:
            if cli.returncode != 0:
                print(cli.stdout[-2000:] + cli.stderr[-2000:], file=sys.stderr)
            return 1
        if len(result.sources) != (ENV_MODULES + COMPOSE_MODULES) * args.scale:
            print(f"check_speed: checked {len(result.sources)} files, expected "
                  f"{(ENV_MODULES + COMPOSE_MODULES) * args.scale}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
