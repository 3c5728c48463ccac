"""Judging one candidate composition for `racesdsl enumerate`.

A candidate is type-checked by the fusion checker on its AST, built as a
runtime `Composite` from the checked IR (nothing is re-parsed) and run on
`samples` seeds. Rejected: sampling fails (`sampling_error`) or a solver
raises (`solver_error`); the reference answer scores below 1 (`reference`);
the final result (each part's, for `par`; the target, for `select`) is the
same on every sample (`constant`) or nearly so (`near_constant`, see
`near_constant_limit`); a base stage returns the value it was fed (a stage fed
nothing: its sampled input) on every sample (`identity_stage`); the final
result does not depend on the first stage's input (`ignores_input`, see
`_ignores_input`). A survivor's final results on probe inputs are also
returned as a digest (`_signature`), so the search can drop later candidates
whose answers coincide with an earlier survivor's on every probe (`duplicate`).

At least `STAT_SAMPLES` seeds are run whatever `samples` asks for: with 8, the
near-constant rule could not tell a skewed answer from a fair coin's."""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from racesdsl.check.resolve import ModuleScope, Symbol
from racesdsl.compose.graph import _DecidingChecker, stage_ref
from racesdsl.ir import EnvInfo, Program
from racesdsl.loader import build_composite, load
from racesdsl.resources import stdlib_dir
from racesdsl.runtime import types as T
from racesdsl.runtime.composite import Composite, _Run, to_json
from racesdsl.runtime.env import Environment, SolverError
from racesdsl.syntax import ast as A

__all__ = ["REASONS", "STAT_SAMPLES", "Judge", "answer_space", "near_constant_limit"]

REASONS = ("static", "sampling_error", "solver_error", "reference", "constant", "near_constant", "identity_stage",
           "ignores_input", "duplicate")
STAT_SAMPLES = 32  # seeds the statistical rules need (near_constant: a fair coin trips it 0.7 % of the time)
PROBES = 8  # first-stage instances a survivor's signature is computed on (duplicates)
MAX_LIMIT = 0.8  # near_constant's limit for a two-valued answer: max(0.5, 2/2) = 1 could never fire


def answer_space(t: T.TType | None) -> int | None:
    """How many values an output type has, when that is small enough to matter; None: large."""
    if isinstance(t, T.TBool):
        return 2
    if isinstance(t, T.TEnum):
        return len(t.values)
    if isinstance(t, T.TInt) and t.range.bounded:
        return int(t.range.hi) - int(t.range.lo) + 1
    if isinstance(t, T.TTuple):
        sizes = [answer_space(x) for x in t.items]
        return None if None in sizes else math.prod(s for s in sizes if s is not None)
    return None


def near_constant_limit(space: int | None) -> float:
    """The largest share of samples one final answer may have: max(0.5, 2/|space|), capped at
    `MAX_LIMIT` so that a yes/no answer that is almost always `false` is still caught."""
    return 0.5 if space is None else min(MAX_LIMIT, max(0.5, 2 / space))


def _bindings(envs: dict[str, EnvInfo], roots: Sequence[Path]) -> dict[Path, tuple[str, A.UseDecl]]:
    """Module file -> (the name its envs are written with, the `use` line): std
    modules as `std.m`, others relative to the first root folder holding them.
    A module byte-identical to the stdlib's at the same relative path (a checkout's
    `specs/` beside an installed racesdsl) is the stdlib too: `use std.m` checks
    anywhere, where `use m` would need the folder on the search path."""
    std = stdlib_dir().resolve()
    out: dict[Path, tuple[str, A.UseDecl]] = {}
    taken: set[str] = set()
    for path in sorted({Path(e.module.path) for e in envs.values()}):
        parts: tuple[str, ...] = (path.stem,)
        for root, prefix in [(std, ("std",)), *((r, ()) for r in roots)]:
            if path.is_relative_to(root):
                rel = path.relative_to(root)
                parts = (*(prefix or _std_prefix(path, std / rel)), *rel.with_suffix("").parts)
                break
        bind, n = parts[-1], 1
        while bind in taken:  # two modules of one name: alias the later ones
            n += 1
            bind = "_".join(parts) if n == 2 else f"{'_'.join(parts)}_{n}"
        taken.add(bind)
        out[path] = (bind, A.UseDecl(parts, None if bind == parts[-1] else bind))
    return out


def _std_prefix(path: Path, twin: Path) -> tuple[str, ...]:
    """("std",) when `path` has the same bytes as the stdlib module `twin`."""
    try:
        return ("std",) if twin.is_file() and twin.read_bytes() == path.read_bytes() else ()
    except OSError:
        return ()


def _base_envs(paths: Sequence[str | Path], search_path: Sequence[str | Path], checked: Program) -> list[str]:
    """The base envs to compose: those the given files declare, then those they import
    (`use std.lists.{sort_list}` brings one env, `use std.strings` its module's all), so a
    file of `use` lines is a pool of its own."""
    from racesdsl.check.resolve import load as resolve

    found = [q for q in checked.roots if q in checked.envs]
    for scope in resolve(list(paths), list(search_path)).roots:
        for sym, _, _ in scope.imported.values():
            if sym.kind == "env":
                found.append(sym.qualname)
            elif sym.kind == "module":
                found += [f"{sym.module.name}.{n}" for n, s in sym.module.own.items() if s.kind == "env"]
    return [q for q in dict.fromkeys(found) if q in checked.envs]


class Judge:
    """Decides one candidate: static check, then the execution filter. Built
    once per process from the spec paths (workers build their own)."""

    def __init__(self, paths: Sequence[str | Path], search_path: Sequence[str | Path] = (),
                 module: str = "enumerated") -> None:
        self.key = ([str(p) for p in paths], [str(p) for p in search_path], module)
        loaded = load(list(paths), list(search_path))
        self.runtime = {q: loaded[q] for q in loaded}
        checked = loaded.checked
        self.envs = {q: checked.envs[q] for q in _base_envs(paths, search_path, checked)}
        if not self.envs:
            raise ValueError("no base environments to compose: the files declare none and import none")
        folders = [Path(p).resolve() if Path(p).is_dir() else Path(p).resolve().parent for p in paths]
        self.roots = list(dict.fromkeys([*folders, *(Path(p).resolve() for p in search_path)]))
        self.bindings = _bindings(self.envs, self.roots)
        self.scope = ModuleScope(module, Path("."), "<enumerate>", None)
        for env in self.envs.values():
            bind = self.bindings[Path(env.module.path)][0]
            self.scope.own[bind] = Symbol("module", env.module.name, env.module)

    def ref(self, qualname: str, fixed: bool = False, port: str | None = None) -> A.StageRef:
        """A base env as a stage, named through its module's binding; `fixed` sets
        every param to its default, `port` names the input it is fed (see graph.Link)."""
        env = self.envs[qualname]
        return stage_ref(env, (self.bindings[Path(env.module.path)][0], env.name), fixed, port)

    def describable(self, qualname: str) -> bool:
        """Whether the env may act on "the current value" (select's first stage and pool, E0405)."""
        env, diags = self.envs[qualname], []
        if env.inputs:
            _DecidingChecker(self.envs, diags)._symbolic(env, [env.inputs[0].name], self.ref(qualname))
        return bool(env.inputs) and not diags

    def verdict(self, index: int, expr: A.OpExpr, samples: int) -> tuple[str | None, str]:
        """(None, its `_signature`) for a survivor, else (the rejection reason, "")."""
        diags: list = []
        info = _DecidingChecker(self.envs, diags).composite(A.ComposeDecl(f"c_{index}", None, expr), self.scope)
        if info is None or any(d.is_error for d in diags):
            return "static", ""
        comp = build_composite(info, self.runtime, {})
        runs: list[_Run] = []
        same: set[tuple[int, ...]] | None = None
        for seed in range(max(samples, STAT_SAMPLES)):
            try:
                inst = comp.sample(seed)
            except SolverError:
                return "solver_error", ""
            except Exception:  # SamplingError, a `where` no computed value meets, a bad custom sampler
                return "sampling_error", ""
            try:
                ok = comp.verify(inst, comp.render_answer(inst.answer)).value == 1.0
            except Exception:  # an answer that cannot even be rendered is a broken reference
                ok = False
            if not ok:
                return "reference", ""
            runs.append(_run_of(comp, inst))
            ident = _identity_stages(runs[-1], None, ())
            same = ident if same is None else same & ident
        reason = _degenerate(comp, runs) or ("identity_stage" if same else None)
        if reason is None and any(_ignores_input(chain) for chain in _chains(comp, runs)):
            reason = "ignores_input"
        return (reason, "") if reason is not None else (None, _signature(comp, runs[0]))


def _finals(comp: Composite, run: _Run) -> list[_Run]:
    """The runs whose outputs are final results: each part of a `par`, else the whole."""
    return run.children if comp.op == "par" else [run]


def _degenerate(comp: Composite, runs: list[_Run]) -> str | None:
    """`constant` or `near_constant` when some final result is so on these samples."""
    for i, final in enumerate(_finals(comp, runs[0])):
        counts = Counter(json.dumps(to_json(_finals(comp, r)[i].output), sort_keys=True) for r in runs)
        top = counts.most_common(1)[0][1]
        if len(counts) == 1:
            return "constant"
        if top > _allowed(near_constant_limit(answer_space(final.out_type)), len(runs)):
            return "near_constant"
    return None


def _allowed(limit: float, n: int) -> float:
    """How many of `n` samples one answer may take: `limit`'s share less one standard deviation
    of a binomial count, so that a survivor's true share is at most `limit` (up to noise) and
    fresh seeds do not find it near-constant after all."""
    return n * limit - math.sqrt(n * limit * (1 - limit))


def _chains(comp: Composite, runs: list[_Run]) -> list[list[_Run]]:
    """For each final result that a chain of base envs computes (the whole, or a `par`'s
    part), that chain's run on every sample."""
    out = []
    for i, final in enumerate(_finals(comp, runs[0])):
        env = final.env
        if isinstance(env, Composite) and env.op != "par" and len(final.children) > 1 \
                and all(isinstance(c.env, Environment) for c in final.children):
            out.append([_finals(comp, r)[i] for r in runs])
    return out


def _signature(comp: Composite, run: _Run) -> str:
    """A digest of what a survivor computes, comparable across candidates: its operator and,
    for each final result, the first env (with its params) and the results on that env's own
    instances for seeds 0..PROBES-1 -- drawn by the env, not the candidate, so two candidates
    computing one function from one first env agree (`seq(A, sort_list, list_max)` and
    `seq(A, list_max)`). "" (never a duplicate) when a final result is not such a chain of
    one-input stages or a probe fails: its other inputs are drawn per candidate."""
    parts: list[Any] = [comp.op]
    for final in _finals(comp, run):
        stages = [final] if isinstance(final.env, Environment) else final.children
        if not all(isinstance(st.env, Environment) for st in stages) \
                or any(len(st.env.input_names) != 1 for st in stages[1:]):
            return ""
        first = stages[0]
        results = []
        try:
            for seed in range(PROBES):
                value = first.env.sample(seed, **first.params).answer
                for st in stages[1:]:
                    value = st.env.solve({st.env.input_names[0]: value}, **st.params)
                results.append(to_json(value))
        except Exception:  # a probe value a later stage does not take
            return ""
        parts.append([first.env.qualname, to_json(first.params), results])
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _ignores_input(chain: list[_Run]) -> bool:
    """Whether a chain's final result never changes with its first stage's input.

    Deterministic and cheap: sample s's first stage is swapped for sample s+1's (its
    inputs re-drawn, as another seed drew them) and the later stages are solved again with
    every other input as sample s drew it. True when no swap changes the final result (or
    the first stage gave one output on every sample); a swap that a later stage rejects
    (its `where`, its solver) proves nothing either way."""
    tested = False
    for s, run in enumerate(chain):
        other = chain[(s + 1) % len(chain)].children[0].output
        if to_json(other) == to_json(run.children[0].output):
            continue
        value: Any = other
        for stage in run.children[1:]:
            if len(stage.bound) != 1:  # fed a tuple's items: not re-solved here
                return False
            try:
                value = stage.env.solve({**stage.inputs, next(iter(stage.bound)): value}, **stage.params)
            except Exception:  # the swapped value is outside what this stage takes
                break
        else:
            if to_json(value) != to_json(run.output):
                return False
            tested = True
    return tested or all(to_json(r.children[0].output) == to_json(chain[0].children[0].output) for r in chain)


def _run_of(comp: Composite, inst: Any) -> _Run:
    """The stage-by-stage run of an instance: `verify` has just rebuilt and cached it."""
    cached = comp._verifiers.get(("run", inst.id))
    return cached[0] if cached else comp._sample_run(inst.seed, inst.params)[0]


def _identity_stages(run: _Run, incoming: Any, path: tuple[int, ...]) -> set[tuple[int, ...]]:
    """Positions of base stages whose output equals the value they were fed (a
    stage fed nothing, such as a first stage or a `par` part, is compared with
    its sampled input)."""
    out: set[tuple[int, ...]] = set()
    chain = run.env.op != "par"
    value = incoming
    for i, child in enumerate(run.children):
        fed = value if chain else None if incoming is None else incoming[i]
        if isinstance(child.env, Composite):
            out |= _identity_stages(child, fed, (*path, i))
        else:
            if fed is None:
                fed = next(iter(child.inputs.values())) if len(child.inputs) == 1 else child.inputs
            if to_json(child.output) == to_json(fed):
                out.add((*path, i))
        value = child.output
    return out
