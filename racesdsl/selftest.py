"""`racesdsl test`: a soundness self-test of loaded environments.

`racesdsl check` proves what types can prove; this runs what they cannot (solvers,
custom samplers and verifiers, `where` at the ends of param ranges) and reports each
problem with the seed that reproduces it:

- reference: the reference answer, written as the format instruction asks, scores 1.0;
- perturbed: near misses (off by one, a dropped element, a wrong type, no answer) score
  below 1, unless the verifier rightly accepts them (reorderings under `unordered`, values
  within `tolerance`); a `python` verifier accepting one is only a warning; one a
  `verify check` accepts is a valid alternative, skipped and counted (selftest_misses.py);
- deterministic: a seed gives the same instance twice, and again from a fresh load;
- output_type: reference answers inhabit the output type (a failing solver lands here);
- inputs: sampled inputs and draws inhabit their types (dependent ones at the earlier values) and
  satisfy every `where`;
- param_ends: sampling works at both ends of every numeric param (every Bool/Enum value),
  the params whose ranges depend on it moved along into range (selftest_params.py);
- prompt_leak (warning): the prompt shows a non-trivial answer verbatim;
- distribution: inputs drawn with `~ weights/bernoulli/loguniform` or `OneOf[data]` come
  with their declared frequencies (selftest_dists.py; a warning where `where` redraws);
- timeout: the env's checks did not finish within `timeout` seconds (a solver, sampler
  or verifier that never returns); its remaining checks are skipped, the others run.
  The clock is SIGALRM, so it works on Unix in a main thread (each worker process's
  included) and is off elsewhere; code stuck inside one C call is stopped when it returns,
  and a hook that catches BaseException and retries forever cannot be stopped at all.

A check never raises: an exception is a failure of the check it escaped from. Composites
get the checks that need no types: reference, deterministic, the empty completion."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from racesdsl.runtime.answers import format_instruction, parser_for, render_answer
from racesdsl.runtime.env import Environment, Instance, ParamError, SolverError
from racesdsl.runtime.score import brief
from racesdsl.runtime.types import TBool, TEnum, TStr, TType, show
from racesdsl.runtime.values import SamplingError, to_json_value
from racesdsl.runtime.verifiers import exact, tolerance, unordered
from racesdsl.selftest_derived import derived_problem
from racesdsl.selftest_dists import distribution_problems
from racesdsl.selftest_misses import Alternatives, checker, near_misses
from racesdsl.selftest_params import end_assignments
from racesdsl.selftest_report import EnvReport, Issue, Report, cut, render_table, where

__all__ = ["CHECKS", "DEFAULT_TIMEOUT", "EnvReport", "Issue", "Report", "render_table", "run_selftest"]

CHECKS = ("reference", "perturbed", "deterministic", "output_type", "inputs", "param_ends", "prompt_leak")
DEFAULT_TIMEOUT = 60.0  # seconds per env; the whole stdlib takes ~3 s at 50 seeds
MAX_TIMEOUT = 1e6  # seconds; a longer bound is no bound (setitimer overflows near time_t's range)
RING_AGAIN = 0.25  # seconds between alarms once the deadline has passed
FRESH_SEEDS = 2  # seeds compared with a fresh load: loading is the slow part
END_SEEDS = 10  # seeds sampled at each end of a param range
_EMPTY = object()  # the empty completion, as a near miss
_UNREAD = object()  # a completion the parser refuses


def run_selftest(program: Any, *, seeds: int = 20, names: list[str] | None = None,
                 progress: Callable[[str], None] | None = None,
                 search_path: Sequence[str | Path] = (), timeout: float | None = DEFAULT_TIMEOUT) -> Report:
    """Self-test `names` (default `program.roots`) of a `racesdsl.load` result at seeds
    0..seeds-1. `progress` gets one status line per env as it finishes; `search_path` is
    passed to the fresh load of `deterministic`; `timeout` bounds each env (None or 0: no
    bound). Unknown names raise KeyError."""
    start = time.perf_counter()
    fresh = _Fresh(search_path)
    checked = getattr(program, "checked", None)
    reports = []
    for name in (program.roots if names is None else names):
        env = program[name]
        info = getattr(checked, "envs", {}).get(env.qualname)
        path = Path(info.module.path) if info is not None else None
        report = _Tester(env, path, max(seeds, 0), fresh, timeout).run()
        reports.append(report)
        if progress is not None:
            first = report.failures[0] if report.failures else None
            status = "ok" if first is None else f"{len(report.failures)} failure(s), first: {where(first)}"
            progress(f"{report.env}: {status} ({report.n_checks} checks, {report.seconds:.2f}s)")
    return Report(reports, seeds, time.perf_counter() - start)


def _describe(exc: BaseException) -> str:
    """An exception as a message: ours already say what went wrong, others need their type."""
    ours = isinstance(exc, SamplingError | SolverError | ParamError)
    return cut(str(exc) if ours else f"{type(exc).__name__}: {exc}", 400)


class _Timeout(BaseException):
    """The alarm went off: a BaseException, so no check's `except Exception` swallows it."""


@contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Raise _Timeout in this thread after `seconds`, and again every RING_AGAIN seconds
    (a hook that swallows one meets the next). Unix, main thread; elsewhere, or for
    None, 0, inf or more than MAX_TIMEOUT, no bound. An outer interval timer is put
    back with what was left of it."""
    if not seconds or not 0 < seconds <= MAX_TIMEOUT or not hasattr(signal, "setitimer") \
            or threading.current_thread() is not threading.main_thread():
        yield
        return

    def ring(signum: int, frame: object) -> None:
        raise _Timeout

    previous = signal.getsignal(signal.SIGALRM)
    outer, start = (0.0, 0.0), time.monotonic()
    try:
        signal.signal(signal.SIGALRM, ring)
        outer = signal.setitimer(signal.ITIMER_REAL, seconds, RING_AGAIN)
        yield
    finally:
        while True:  # a ring may land while we disarm: disarm and restore until both are done
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
                if outer[0] > 0:
                    signal.setitimer(signal.ITIMER_REAL, max(outer[0] - (time.monotonic() - start), 1e-3), outer[1])
                break
            except _Timeout:
                continue


class _Fresh:
    """Each spec file loaded again, once per run: a fresh `Environment` must sample what the
    first one did (no state hidden in module globals or caches)."""

    def __init__(self, search_path: Sequence[str | Path]) -> None:
        self.search_path = list(search_path)
        self.loaded: dict[Path, Any] = {}  # a Program, or the exception loading raised

    def env(self, path: Path, qualname: str) -> Any:
        if path not in self.loaded:
            from racesdsl.loader import load  # the checker is heavy: import it only when needed

            try:
                self.loaded[path] = load(path, self.search_path)
            except Exception as exc:  # the caller warns: e.g. a module found through a search path
                self.loaded[path] = exc
        if isinstance(self.loaded[path], Exception):
            raise self.loaded[path]
        return self.loaded[path][qualname]


def _raw(value: Any, fmt: str) -> tuple[str, str]:
    """A value outside the output type written as JSON where the format puts answers:
    (the completion, the answer text in it)."""
    text = json.dumps(to_json_value(value), ensure_ascii=False)
    if fmt == "tags":
        text = text.replace("<", "\\u003c")
        return f"<answer>{text}</answer>", text
    return ("\\boxed{" + text + "}" if fmt == "boxed" else text), text


def _texts(value: Any) -> set[str]:
    """The ways a template may print a value: JSON, Python's str, a bare string."""
    plain = to_json_value(value)
    out = {json.dumps(plain, ensure_ascii=False), json.dumps(plain, separators=(",", ":")), str(value)}
    return out | ({value} if isinstance(value, str) else set())


class _Tester:
    """Runs every check on one env; failures and warnings accumulate in `report`."""

    def __init__(self, env: Any, path: Path | None, seeds: int, fresh: _Fresh, timeout: float | None) -> None:
        self.env, self.path, self.seeds, self.fresh, self.timeout = env, path, seeds, fresh, timeout
        self.current: tuple[str, int | None] = ("sampling", None)  # where a timeout stopped us
        self.base = isinstance(env, Environment)
        self.report = EnvReport(getattr(env, "qualname", str(env)))
        self.failed: set[str] = set()  # near misses already reported: one failure per kind of miss
        self.warned: set[str] = set()
        self.alternatives = Alternatives()

    def run(self) -> EnvReport:
        start = time.perf_counter()
        checks: list[tuple[str, Callable[[Instance], None]]] = [
            ("output_type", self.output_type), ("inputs", self.inputs), ("reference", self.reference),
            ("perturbed", self.perturbed), ("deterministic", self.deterministic), ("prompt_leak", self.leak)]
        if not self.base:
            checks = [c for c in checks if c[0] in ("reference", "perturbed", "deterministic")]
        try:
            with _deadline(self.timeout):
                for seed in range(self.seeds):
                    inst = self.sample(seed)
                    for check, fn in checks if inst is not None else ():
                        with self.guard(check, seed):
                            fn(inst)
                if self.base and self.seeds:
                    with self.guard("param_ends", None, count=False):
                        self.param_ends()
                    with self.guard("distribution", None, count=False):
                        self.distributions()
            if self.alternatives.vacuous():
                self.warn("perturbed", None, f"`verify check` accepted all {self.alternatives.tried} near misses: "
                          "does it constrain the answer?", "vacuous")
        except _Timeout:
            check, seed = self.current
            self.fail("timeout", seed, f"no result after {self.timeout:g} s, during {check}: a solver, sampler "
                      "or verifier that never returns? The env's remaining checks were skipped")
        self.report.seconds = time.perf_counter() - start
        return self.report

    def fail(self, check: str, seed: int | None, message: str) -> None:
        self.report.failures.append(Issue(check, seed, message))

    def warn(self, check: str, seed: int | None, message: str, key: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            self.report.warnings.append(Issue(check, seed, message))

    @contextmanager
    def guard(self, check: str, seed: int | None, count: bool = True) -> Iterator[None]:
        self.report.checks[check] += count
        self.current = (check, seed)
        try:
            yield
        except (Exception, SystemExit) as exc:  # a hook calling exit() must not end the self-test
            self.fail(check, seed, f"the check raised {_describe(exc)}")

    def sample(self, seed: int) -> Instance | None:
        self.current = ("sampling", seed)
        try:
            return self.env.sample(seed)
        except (Exception, SystemExit) as exc:
            check = "output_type" if isinstance(exc, SolverError) else "inputs"
            self.report.checks[check] += 1
            self.fail(check, seed, _describe(exc))
        return None

    def out(self, inst: Instance) -> TType:
        return self.env.output_type(**inst.params)

    def output_type(self, inst: Instance) -> None:
        out = self.out(inst)
        why = checker(out)(inst.answer)
        if why is not None:
            self.fail("output_type", inst.seed, f"the reference answer {brief(inst.answer, 120)} is outside "
                                                f"{show(out)}: {why}")

    def inputs(self, inst: Instance) -> None:
        for name, t in self.env.input_type(**inst.params).items():
            why = checker(t)(inst.input.get(name))
            if why is not None:
                self.fail("inputs", inst.seed, f"input `{name}` is outside {show(t)}: {why}")
                return
        if self.env.derived:  # draws, lets, dependent shapes (selftest_derived)
            why = derived_problem(self.env, inst)
            if why is not None:
                self.fail("inputs", inst.seed, why)
            return
        args = [*(inst.input[n] for n in self.env.input_names), *(inst.params[p.name] for p in self.env.params)]
        for src, holds in self.env.wheres:
            if not holds(*args):
                self.fail("inputs", inst.seed, f"`where {src}` does not hold for {brief(inst.input, 160)}")

    def reference(self, inst: Instance) -> None:
        completion = self.env.render_answer(inst.answer, **inst.params)
        score = self.env.verify(inst, completion)
        if score.value != 1.0:
            self.fail("reference", inst.seed, f"the reference completion {cut(repr(completion), 120)} scored "
                                              f"{score.value:g}: {score.reason}")

    def perturbed(self, inst: Instance) -> None:
        if not self.base:
            if self.env.verify(inst, "").value >= 1.0:
                self.fail("perturbed", inst.seed, "the empty completion scored 1.0")
            return
        out, fmt, kind = self.out(inst), self.env.answer_format, self.env.verify_kind
        wrong: Any = {"x": [1]} if isinstance(out, TStr) else "abc"
        for label, value in [*near_misses(inst.answer, out), ("wrong type", wrong), ("empty completion", _EMPTY)]:
            if label in self.failed:
                continue
            if value is _EMPTY:
                completion, meant = "", _UNREAD
            elif checker(out)(value) is None:
                completion, meant = render_answer(value, out, fmt), value
            else:  # out of type: the lenient parser may still read it as something (judge that)
                completion, text = _raw(value, fmt)
                read, why = parser_for(out)(text)
                meant = read if why is None else _UNREAD
            if meant is not _UNREAD and self.accepts(meant, inst.answer, out):
                continue  # equal to the reference, or a difference the verifier rightly ignores
            passed = self.env.verify(inst, completion).value >= 1.0
            if kind == "check" and value is not _EMPTY and meant is not _UNREAD:
                self.alternatives.note(passed)
                self.report.alternatives += passed
                continue  # failing the predicate, or a valid alternative: counted, not failed
            if not passed:
                continue
            what = f"the near miss `{label}` ({cut(repr(completion), 100)}) scored 1.0"
            if kind == "python":
                self.warn("perturbed", inst.seed, f"{what}; fine if the verifier accepts alternatives", label)
            else:
                self.failed.add(label)
                self.fail("perturbed", inst.seed, what)

    def accepts(self, value: Any, ref: Any, t: TType) -> bool:
        """Whether the verifier should score `value` 1: what its kind declares equal."""
        kind = self.env.verify_kind
        same = unordered if kind == "unordered" else tolerance(self.env.eps or 0.0) if kind == "tolerance" else exact
        try:
            return same(value, ref, t).value == 1.0
        except Exception:  # a value the comparer cannot take is no match
            return False

    def deterministic(self, inst: Instance) -> None:
        diff = _differences(inst, self.env.sample(inst.seed))
        if diff:
            self.fail("deterministic", inst.seed, f"sampling the seed twice gave a different {diff}")
        if inst.seed >= FRESH_SEEDS or self.path is None:
            return
        try:
            other = self.fresh.env(self.path, self.report.env)
        except Exception as exc:
            self.warn("deterministic", None, f"could not load {self.path} again to compare: {_describe(exc)}",
                      "fresh")
            return
        diff = _differences(inst, other.sample(inst.seed))
        if diff:
            self.fail("deterministic", inst.seed, f"a fresh load of {self.path.name} gave a different {diff}")

    def leak(self, inst: Instance) -> None:
        out = self.out(inst)
        if "leak" in self.warned or isinstance(out, TBool | TEnum):  # a choice: prompts name the options
            return
        body = inst.prompt.removesuffix("\n\n" + format_instruction(out, self.env.answer_format))
        known = [t for v in [*inst.input.values(), *inst.params.values()] for t in _texts(v)]
        for text in sorted(_texts(inst.answer), key=len):
            if len(text) >= 4 and text in body and not any(text in k for k in known):
                self.warn("prompt_leak", inst.seed, f"the prompt contains the answer {cut(text, 80)} verbatim",
                          "leak")
                return

    def param_ends(self) -> None:
        for params in end_assignments(self.env):
            self.report.checks["param_ends"] += 1
            shown = ", ".join(f"{n}={brief(v)}" for n, v in params.items())
            for seed in range(min(self.seeds, END_SEEDS)):  # the first failure says enough
                why = self.at_end(seed, params)
                if why is not None:
                    self.fail("param_ends", seed, f"at {shown}: {why}")
                    break

    def distributions(self) -> None:
        checked, problems = distribution_problems(self.env)
        self.report.checks["distribution"] += checked
        for message in problems:
            if self.env.wheres:
                self.warn("distribution", None, f"{message}: the `where` clauses skew it", message)
            else:
                self.fail("distribution", None, message)

    def at_end(self, seed: int, params: dict[str, Any]) -> str | None:
        try:
            inst = self.env.sample(seed, **params)
            score = self.env.verify(inst, self.env.render_answer(inst.answer, **inst.params))
        except (Exception, SystemExit) as exc:
            return _describe(exc)
        return None if score.value == 1.0 else f"the reference answer scored {score.value:g}: {score.reason}"


def _differences(a: Instance, b: Instance) -> str:
    """Which parts of two instances differ, with the first differing values."""
    fields = [f for f in ("input", "answer", "id", "prompt") if getattr(a, f) != getattr(b, f)]
    if not fields:
        return ""
    first = fields[0]
    return f"{', '.join(fields)} ({first} {brief(getattr(a, first), 80)}, then {brief(getattr(b, first), 80)})"
