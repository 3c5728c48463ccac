"""`racesdsl.load()`: checked specs -> in-process `Environment` objects.

Expressions are compiled to Python functions once, at load; templates are
compiled once; python bindings are imported relative to the spec's folder."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from racesdsl.check.exprs import constant_value
from racesdsl.check.pipeline import check_paths
from racesdsl.check.templates import template_environment, template_source
from racesdsl.check.typeexpr import TypeContext, resolve_type
from racesdsl.check.types import Interval
from racesdsl.codegen.pyexpr import compile_function
from racesdsl.errors import BindingError, SpecError
from racesdsl.ir import EnvInfo
from racesdsl.ir import Program as CheckedProgram
from racesdsl.resources import stdlib_dir
from racesdsl.runtime.env import Environment, EnvTypes, ParamSpec
from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import print_expr


class Program(Mapping[str, Environment]):
    """Loaded environments by qualified name (`lists.sort_list`); short names
    work for the envs declared in the files you loaded."""

    def __init__(self, envs: dict[str, Environment], roots: list[str], checked: CheckedProgram) -> None:
        self._envs = envs
        self._roots = roots
        self.checked = checked

    def __getitem__(self, name: str) -> Environment:
        if name in self._envs:
            return self._envs[name]
        matches = [q for q in self._roots if q.rsplit(".", 1)[-1] == name and q in self._envs]
        if len(matches) == 1:
            return self._envs[matches[0]]
        if name in {q.rsplit(".", 1)[-1] for q in self._roots} - {m.rsplit(".", 1)[-1] for m in matches}:
            raise KeyError(f"`{name}` is a composite; composites run in a later release")
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._envs)

    def __len__(self) -> int:
        return len(self._envs)

    @property
    def roots(self) -> list[str]:
        """Qualified names of the envs declared in the loaded files, in source order."""
        return [q for q in self._roots if q in self._envs]


def load(paths: str | Path | Sequence[str | Path], search_path: Sequence[str | Path] = ()) -> Program:
    """Check and load specs; raises `SpecError` (with every diagnostic) if they have errors."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    result = check_paths(items, search_path)
    if result.errors:
        raise SpecError(result.diagnostics)
    envs = {q: build_env(info) for q, info in result.program.envs.items()}
    return Program(envs, result.program.roots, result.program)


def build_env(info: EnvInfo) -> Environment:
    decl = info.decl
    folder = Path(info.module.path).parent
    params = [ParamSpec(p.name, p.kind, p.default) for p in info.params.values()]
    names = [i.name for i in info.inputs] + list(info.params)
    solve = decl.first(A.SolveClause)
    solver_params: tuple[str, ...] | None = None
    if isinstance(solve.body, A.PythonRef):
        solve_fn = import_ref(solve.body.target, folder)
        accepted = inspect.signature(solve_fn).parameters
        takes_all = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
        solver_params = tuple(p for p in info.params if takes_all or p in accepted)
    else:
        solve_fn = compile_function("solve", names, solve.body)
    wheres = [(print_expr(w.expr), compile_function("where", names, w.expr))
              for w in decl.clauses_of(A.WhereClause)]
    sampler = decl.first(A.SampleClause)
    verify = decl.first(A.VerifyClause)
    return Environment(
        qualname=info.qualname, doc=decl.doc or "", params=params, input_names=[i.name for i in info.inputs],
        types=_types_function(info), solve_fn=solve_fn,
        render_prompt=_renderer(decl.first(A.PromptClause).template),
        render_step=_renderer(decl.first(A.StepClause).template) if decl.first(A.StepClause) else None,
        wheres=wheres, sample_fn=import_ref(sampler.ref.target, folder) if sampler else None,
        verify_kind=info.verify,
        eps=constant_value(verify.arg) if verify is not None and verify.kind == "tolerance" else None,
        verify_fn=import_ref(verify.arg.target, folder) if verify is not None and verify.kind == "python" else None,
        answer_format=info.answer, solver_params=solver_params)


def _renderer(tpl: A.Template):
    compiled = template_environment().from_string(template_source(tpl).text)
    return compiled.render


def _types_function(info: EnvInfo):
    """Types at a params value: every numeric param is a point interval."""

    def types(values: Mapping[str, Any]) -> EnvTypes:
        points = {n: Interval.point(v) for n, v in values.items()
                  if info.params[n].range is not None and isinstance(v, (int, float)) and not isinstance(v, bool)}
        ctx = TypeContext(info.module, points, frozenset(), None)
        ptypes = {}
        for n, p in info.params.items():
            others = TypeContext(info.module, {k: v for k, v in points.items() if k != n}, frozenset(), None)
            ptypes[n] = resolve_type(p.decl.type, others)
        inputs = {i.name: resolve_type(i.texpr, ctx) for i in info.inputs}
        return EnvTypes(ptypes, inputs, resolve_type(info.output_texpr, ctx))

    return types


def import_ref(target: str, folder: Path) -> Any:
    """Import `module:function` from sys.path, then the spec's folder and the stdlib's
    (appended, so a spec folder can never shadow an installed module)."""
    module_name, func = target.split(":", 1)
    for extra in (str(folder), str(stdlib_dir())):
        if extra not in sys.path:
            sys.path.append(extra)
    try:
        return getattr(importlib.import_module(module_name), func)
    except (ImportError, AttributeError) as exc:
        raise BindingError(f'python "{target}" cannot be loaded from {folder}: {exc}') from exc
