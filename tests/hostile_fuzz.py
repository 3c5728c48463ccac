"""Hostile-spec fuzzer: mutants of the real specs through check, load, sample,
compile and import, each under a time and memory bound.

Run by tests/test_hostile_fuzz.py in a child process (so a memory limit can be
set without touching pytest's process); for a longer local run:

    python tests/hostile_fuzz.py --seed 1 --count 2000

Mutants come from a `random.Random(seed)`: a failure is replayed by its
(seed, index), printed with the mutant's text."""

from __future__ import annotations

import argparse
import importlib
import json
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIRS = ("specs", "tests/fixtures", "tests/diagnostics")
HANGS = {"hanging", "serve"}  # fixture folders whose python hooks never return, on purpose
CHECK_SECONDS = 4  # `check` of one file
LEGAL_SECONDS = 15  # load + sample + compile + import of a legal one
MARKER_NAME = "PWNED"  # every payload that runs as code creates this file next to the spec

TOKENS = ["env", "compose", "seq(", "par(", "sort(", "select(", "distractors:", "{", "}", "[", "]", "(", ")",
          "..", "len=", "Int", "Float", "Str[", "List[", "Tuple[", "Enum[", '"""', '"', "{{", "}}", "{%", "%}",
          "=", ",", "input", "output", "param", "solve", "where", "prompt", "step", "use", "std.lists", "type",
          "-", "**", "1e999", "\\", "#", "python", "verify", "answer", "reward=", "|", ":", ".", "_"]
NUMBERS = ["10**400", "9" * 4400, "-" * 202 + "1", str(2**63), "0", "-1", "1e308", "1e-320", "2**64", "99999999"]
TEXTS = [
    "x\rimport os; open(os.path.join(os.path.dirname(__file__), 'PWNED'), 'w')",
    "x\nimport os; open(os.path.join(os.path.dirname(__file__), 'PWNED'), 'w')",
    "x\x0bimport os\x0cos.system('touch PWNED')\x1c\x1d\x1e\x85\u2028\u2029",
    "\"\"\"; import os; os.system('touch PWNED') #", "'''\\", "\x00\ud800\r\n\x1b[31m",
    "{{ ''.__class__.__mro__ }}", "{{ cycler.__init__.__globals__ }}", "{{ self }}", "{% include 'x' %}",
    "{{ 'ab' * 2**31 }}", "{{ 'a'|center(10**9) }}", "{{ '%1000000000s'|format(1) }}", "{{ range(10**9)|list }}",
    "{% macro m() %}{{ m() }}{{ m() }}{% endmacro %}{{ m() }}", "{{ lipsum(10**6) }}",
    "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
]
NAMES = ["seed", "self", "_e_solve", "E_PROMPT", "Stage", "Composite", "_m_lists", "os", "ENVIRONMENTS",
         "class", "None", "__init__", "_ORIGIN", "Environment", "sys", "import"]


def corpus() -> list[tuple[str, Path]]:
    """(text, folder) of every spec in the repo: the folder holds its python bindings. The
    fixtures whose python hooks hang on purpose are left out: user code may hang."""
    files = sorted(p for d in CORPUS_DIRS for p in (ROOT / d).rglob("*.races") if p.parent.name not in HANGS)
    return [(p.read_text(encoding="utf-8"), p.parent) for p in files]


def _spans(text: str, opener: str, closer: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    while (start := text.find(opener, pos)) >= 0:
        end = text.find(closer, start + len(opener))
        if end < 0:
            break
        out.append((start + len(opener), end))
        pos = end + len(closer)
    return out


def _replace_some(rng: random.Random, text: str, spans: list[tuple[int, int]], new: str) -> str:
    if not spans:
        return text
    a, b = rng.choice(spans)
    return text[:a] + new + text[b:]


def _numbers(text: str) -> list[tuple[int, int]]:
    out, i = [], 0
    while i < len(text):
        if text[i].isdigit() and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            j = i
            while j < len(text) and text[j].isdigit():
                j += 1
            out.append((i, j))
            i = j
        else:
            i += 1
    return out


def mutate(rng: random.Random, texts: list[str], base: str) -> str:
    """One mutant: `base` with 1 to 3 edits of assorted kinds (splices from `texts`)."""
    text = base
    for _ in range(rng.choice([1, 1, 2, 3])):
        kind = rng.choice(["token", "delete", "splice", "lines", "text", "doc", "number", "name", "nest"])
        pos = rng.randint(0, len(text))
        if kind == "token":
            text = text[:pos] + rng.choice(TOKENS) + text[pos:]
        elif kind == "delete":
            text = text[:pos] + text[pos + rng.randint(1, 40):]
        elif kind == "splice":
            other = rng.choice(texts)
            a = rng.randint(0, len(other))
            text = text[:pos] + other[a:a + rng.randint(1, 400)] + text[pos:]
        elif kind == "lines":
            lines = text.split("\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            op = rng.choice(["dup", "swap", "drop"])
            if op == "dup":
                lines.insert(j, lines[i])
            elif op == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                del lines[i]
            text = "\n".join(lines)
        elif kind == "text":
            text = _replace_some(rng, text, _spans(text, '"""', '"""'), rng.choice(TEXTS) + " {{ x }}")
        elif kind == "doc":
            text = _replace_some(rng, text, [s for s in _spans(text, ' "', '" ') if "\n" not in text[s[0]:s[1]]],
                                 rng.choice(TEXTS).replace('"', "'"))
        elif kind == "number":
            text = _replace_some(rng, text, _numbers(text), rng.choice(NUMBERS))
        elif kind == "name":
            text = text.replace(rng.choice(["xs", "n", "k", "x", "sort_list", "take_first", "total"]),
                                rng.choice(NAMES), rng.randint(1, 3))
        else:
            depth = rng.choice([50, 500, 3000])
            text = text[:pos] + "(" * depth + "1" + ")" * depth + text[pos:]
    return text


class Budget(BaseException):
    """A mutant ran past its time budget (a BaseException, so no `except Exception` swallows it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def ring(signum, frame):
        raise Budget(f"over {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)  # rings again if a handler swallowed it
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Outcome:
    index: int
    stage: str  # where it ended: "rejected", "legal", or the step that failed
    problem: str | None
    seconds: float


def cli(args: list[str]) -> tuple[int, str]:
    """Run the real CLI in this process; (exit code, output)."""
    from typer.testing import CliRunner

    from racesdsl.cli import app

    result = CliRunner().invoke(app, args, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return 3, f"uncaught {type(result.exception).__name__}: {result.exception}"
    return result.exit_code, result.output[-600:]


def _instances(get: Callable[[str], object], names: list[str]) -> list[str]:
    """Two instances per env (or the error's class) and the reference's score: behaviour to compare."""
    from racesdsl.errors import BindingError, SpecError

    out = []
    for name in names:
        env = get(name)
        for seed in (0, 1):
            try:
                inst = env.sample(seed)
                score = env.verify(inst, env.render_answer(inst.answer, **inst.params)).value
                out.append(json.dumps([inst.to_dict(), score], sort_keys=True, ensure_ascii=True))
            # The runtime's error kinds; a spliced `python "mod:fn"` whose module is not in the folder is a BindingError.
            except (SpecError, BindingError, ValueError, RuntimeError, KeyError) as exc:
                out.append(f"{name}:{seed}: {type(exc).__name__}")
    return out


def run_mutant(index: int, text: str, origin: Path, work: Path) -> Outcome:
    """check; for a legal mutant also load, sample, compile, import, and compare with load()."""
    start = time.monotonic()
    folder = work / f"m{index}"
    shutil.copytree(origin, folder, ignore=shutil.ignore_patterns("*.races", "*.expected", "__pycache__"))
    spec = folder / "mutant.races"
    spec.write_text(text, encoding="utf-8", errors="surrogatepass")

    def outcome(stage: str, problem: str | None = None) -> Outcome:
        if problem is None and (folder / MARKER_NAME).exists():
            problem = "a payload ran as code"
        return Outcome(index, stage, problem, round(time.monotonic() - start, 3))

    try:
        with time_limit(CHECK_SECONDS):
            code, out = cli(["check", str(spec)])
    except (Budget, MemoryError) as exc:
        return outcome("check", f"check: {type(exc).__name__} {exc}")
    if time.monotonic() - start >= CHECK_SECONDS:
        return outcome("check", f"check took over {CHECK_SECONDS} s")
    if code not in (0, 1, 2):
        return outcome("check", f"check exited {code}: {out}")
    if code != 0:
        return outcome("rejected")
    legal_start = time.monotonic()
    try:
        with time_limit(LEGAL_SECONDS):
            problem = _legal(index, spec, folder)
    except (Budget, MemoryError) as exc:
        problem = f"after check: {type(exc).__name__} {exc}"
    if time.monotonic() - legal_start >= LEGAL_SECONDS:
        problem = f"load, sample, compile and import took over {LEGAL_SECONDS} s ({problem})"
    return outcome("legal", problem)


def _legal(index: int, spec: str | Path, folder: Path) -> str | None:
    import racesdsl

    code, out = cli(["sample", str(spec), "-n", "2"])
    if code not in (0, 1):
        return f"sample exited {code}: {out}"
    package = f"fuzzpkg{index}"
    code, out = cli(["compile", str(spec), "-o", str(folder / "out"), "--package", package])
    if code not in (0, 1):
        return f"compile exited {code}: {out}"
    try:
        program = racesdsl.load(spec)
    except Exception as exc:  # noqa: BLE001 -- any exception here is what the fuzzer reports
        return f"load raised {type(exc).__name__}: {exc}"
    names = [q for q in program.roots]
    try:
        loaded = _instances(program.__getitem__, names)
        deterministic = loaded == _instances(program.__getitem__, names)  # a fixture may break this on purpose
    except Exception as exc:  # noqa: BLE001
        return f"sampling a loaded env raised {type(exc).__name__}: {exc}"
    if code != 0 or not deterministic:
        return None
    # The package finds its python bindings on sys.path, as a user's installed helpers (docs/language.md).
    sys.path[:0] = [str(folder / "out"), str(folder)]
    try:
        compiled = importlib.import_module(package)
        envs = compiled.environments()
        built = _instances(envs.__getitem__, names)
    except Exception as exc:  # noqa: BLE001
        return f"the compiled package failed: {type(exc).__name__}: {exc}"
    finally:
        del sys.path[:2]
    if built != loaded:
        return "compiled and loaded envs differ"
    return None


def _limit_memory(extra_mb: int) -> None:
    """Cap the address space at what this process uses now plus `extra_mb`."""
    with open("/proc/self/status", encoding="ascii") as fh:
        vm_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmSize:"))
    limit = (vm_kb * 1024) + extra_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--memory-mb", type=int, default=400, help="address space allowed above start-up")
    parser.add_argument("--verbose", action="store_true", help="print each outcome to stderr")
    parser.add_argument("--show", type=int, default=None, help="print mutant INDEX and exit")
    args = parser.parse_args(argv)
    import typer.testing  # noqa: F401

    import racesdsl.check.pipeline  # noqa: F401 -- warm imports before measuring memory
    import racesdsl.cli  # noqa: F401

    rng = random.Random(args.seed)
    files = corpus()
    texts = [text for text, _ in files]
    mutants = []
    for _ in range(args.count):
        base, origin = rng.choice(files)
        mutants.append((mutate(rng, texts, base), origin))
    if args.show is not None:
        sys.stdout.write(mutants[args.show][0])
        return 0
    _limit_memory(args.memory_mb)
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = []
        for i, (text, origin) in enumerate(mutants):
            outcomes.append(run_mutant(i, text, origin, Path(tmp)))
            if args.verbose:
                sys.stderr.write(f"{outcomes[-1]}\n")
    summary = {"seed": args.seed, "count": args.count,
               "legal": sum(o.stage == "legal" for o in outcomes),
               "slowest": max((o.seconds for o in outcomes), default=0.0),
               "failures": [o.__dict__ for o in outcomes if o.problem]}
    sys.stdout.write(json.dumps(summary) + "\n")
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
