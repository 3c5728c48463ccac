"""Judging one candidate composition for `racesdsl enumerate`.

A candidate is type-checked by the fusion checker on its AST, built as a
runtime `Composite` from the checked IR (nothing is re-parsed) and run on
`samples` seeds. Rejected: sampling fails (`sampling_error`) or a solver
raises (`solver_error`); the reference answer scores below 1 (`reference`);
the final result (each part's, for `par`; the target, for `select`) is the
same on every sample (`constant`); a base stage returns the value it was fed
(a stage fed nothing: its sampled input) on every sample (`identity_stage`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from racesdsl.check.resolve import ModuleScope, Symbol
from racesdsl.compose.graph import _DecidingChecker, stage_ref
from racesdsl.ir import EnvInfo, Program
from racesdsl.loader import build_composite, load
from racesdsl.resources import stdlib_dir
from racesdsl.runtime.composite import Composite, _Run, to_json
from racesdsl.runtime.env import SolverError
from racesdsl.syntax import ast as A

__all__ = ["REASONS", "Judge"]

REASONS = ("static", "sampling_error", "solver_error", "reference", "constant", "identity_stage")


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

    def verdict(self, index: int, expr: A.OpExpr, samples: int) -> str | None:
        """None for a survivor, else the rejection reason (one of REASONS)."""
        diags: list = []
        info = _DecidingChecker(self.envs, diags).composite(A.ComposeDecl(f"c_{index}", None, expr), self.scope)
        if info is None or any(d.is_error for d in diags):
            return "static"
        comp = build_composite(info, self.runtime, {})
        finals: list[tuple[str, ...]] = []
        same: set[tuple[int, ...]] | None = None
        for seed in range(samples):
            try:
                inst = comp.sample(seed)
            except SolverError:
                return "solver_error"
            except Exception:  # SamplingError, a `where` no computed value meets, a bad custom sampler
                return "sampling_error"
            try:
                ok = comp.verify(inst, comp.render_answer(inst.answer)).value == 1.0
            except Exception:  # an answer that cannot even be rendered is a broken reference
                ok = False
            if not ok:
                return "reference"
            run = _run_of(comp, inst)
            finals.append(tuple(to_json(r.output) for r in (run.children if comp.op == "par" else [run])))
            ident = _identity_stages(run, None, ())
            same = ident if same is None else same & ident
        if samples > 1 and any(len({f[i] for f in finals}) == 1 for i in range(len(finals[0]))):
            return "constant"
        return "identity_stage" if same else None


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
