"""The checker as one call: load -> resolve -> envs -> fusion -> IR.

Each pass appends diagnostics and carries on, so one run reports every error
in every file; only the CLI prints."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from typeguard import typechecked

from racesdsl.check.data import check_data
from racesdsl.check.envs import check_env
from racesdsl.check.fusion import FusionChecker
from racesdsl.check.generics import check_generic
from racesdsl.check.resolve import ModuleScope, load, unused_import_warnings
from racesdsl.check.typeexpr import resolve_aliases
from racesdsl.diagnostics import Diagnostic
from racesdsl.ir import Program
from racesdsl.syntax import ast as A


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic]
    sources: dict[str, str]
    program: Program
    scopes: list[ModuleScope] = field(default_factory=list)  # of the files asked for: what each name binds

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


@typechecked
def check_paths(paths: Sequence[str | Path], search_path: Sequence[str | Path] = ()) -> CheckResult:
    """Check files and folders (every `*.races` below); raises InputError for bad paths."""
    # The check builds a heap that only grows (syntax trees, scopes, types) and frees it in
    # one piece at the end, so the cyclic GC's full collections find nothing to free while
    # rescanning the whole heap: they made 10x the input take about 14x the time
    # (benchmarks/check_speed.py --linearity). Reference counting still frees what dies.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check(paths, search_path)
    finally:
        if enabled:
            gc.enable()


def _check(paths: Sequence[str | Path], search_path: Sequence[str | Path]) -> CheckResult:
    loaded = load(list(paths), list(search_path))
    diags = list(loaded.diagnostics)
    program = Program()
    modules = [m for m in loaded.modules if m.ast is not None]
    for scope in modules:  # first, so every env and alias finds the aliases it uses resolved
        _check_aliases(scope, diags)
    for scope in modules:  # then data files, whose types may use aliases, before the envs that draw from them
        check_data(scope, diags)
    for scope in modules:
        for decl in scope.ast.decls:
            if isinstance(decl, A.EnvDecl) and scope.own.get(decl.name, None) and scope.own[decl.name].decl is decl:
                info = check_generic(decl, scope, diags) if decl.type_params else check_env(decl, scope, diags)
                program.envs[info.qualname] = info
    fusion = FusionChecker(program.envs, diags)
    for scope in modules:
        for decl in scope.ast.decls:
            if isinstance(decl, A.ComposeDecl) and scope.own[decl.name].decl is decl:
                info = fusion.composite(decl, scope)
                if info is not None:
                    program.composites[info.qualname] = info
    program.instances.update((e.qualname, e) for e in fusion.instances.values()
                             if e is not None and e.qualname not in program.envs)
    for scope in modules:
        diags.extend(unused_import_warnings(scope))
    for scope in loaded.roots:
        if scope.ast is not None:
            program.roots.extend(f"{scope.name}.{n}" for n, s in scope.own.items() if s.kind in ("env", "compose"))
    unique = sorted(set(diags), key=Diagnostic.sort_key)
    return CheckResult(unique, loaded.sources, program, list(loaded.roots))


@typechecked
def check_text(text: str, file: str = "spec.races", search_path: Sequence[str | Path] = ()) -> CheckResult:
    """Check source text held in memory by writing it nowhere: a one-module load."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(file).name
        path.write_text(text, encoding="utf-8")
        result = check_paths([path], search_path)
    return result


def _check_aliases(scope: ModuleScope, diags: list[Diagnostic]) -> None:
    for decl in scope.ast.decls:
        if isinstance(decl, A.TypeDecl) and scope.own[decl.name].decl is decl:
            resolve_aliases(scope.own[decl.name], diags)
