"""Checked modules -> Python source, one generated module per spec module.

The same source serves `racesdsl compile` (written to a package) and
`racesdsl.load()` (executed in memory), so both back ends behave the same by
construction. Output is deterministic: source order, `repr()` for every
literal, no timestamps, no absolute paths."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from racesdsl import __version__
from racesdsl.check.exprs import constant_value
from racesdsl.check.resolve import ModuleScope
from racesdsl.check.templates import template_source
from racesdsl.codegen.pyexpr import function_source, py_name
from racesdsl.codegen.typesrc import TYPE_NAMES, type_source
from racesdsl.ir import EnvInfo
from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import print_expr

# Names a generated module defines or imports; an env named like one gets a `_` suffix.
_TAKEN = frozenset({"os", "Environment", "EnvTypes", "ParamSpec", "ENVIRONMENTS", "_ORIGIN", "_rt", *TYPE_NAMES})


@functools.lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("racesdsl.codegen", "templates"),
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             autoescape=False, undefined=jinja2.StrictUndefined)
    return env.get_template("module.py.j2")


@dataclass(frozen=True)
class _ParamRow:
    name: str
    kind: str
    default: str


def env_ident(name: str) -> str:
    ident = py_name(name)
    return ident + "_" if ident in _TAKEN else ident


def _env_context(info: EnvInfo) -> dict:
    decl, scope = info.decl, info.module
    ident = env_ident(info.name)
    args = [i.name for i in info.inputs] + list(info.params)
    functions, wheres = [], []
    solve = decl.first(A.SolveClause)
    solve_fn, solve_ref = "None", "None"
    if isinstance(solve.body, A.PythonRef):
        solve_ref = repr(solve.body.target)
    else:
        functions.append(function_source(f"_{ident}_solve", args, solve.body).rstrip("\n"))
        solve_fn = f"_{ident}_solve"
    for k, where in enumerate(decl.clauses_of(A.WhereClause)):
        functions.append(function_source(f"_{ident}_where_{k}", args, where.expr).rstrip("\n"))
        wheres.append((repr(print_expr(where.expr)), f"_{ident}_where_{k}"))
    sample = decl.first(A.SampleClause)
    verify = decl.first(A.VerifyClause)
    step = decl.first(A.StepClause)
    eps = constant_value(verify.arg) if verify is not None and verify.kind == "tolerance" else None
    return {
        "name": info.name, "name_repr": repr(info.name), "ident": ident, "const": ident.upper(),
        "qualname": repr(info.qualname), "doc": (decl.doc or "").replace("\n", " "), "doc_repr": repr(decl.doc or ""),
        "prompt": repr(template_source(decl.first(A.PromptClause).template).text),
        "step": repr(template_source(step.template).text) if step else None,
        "param_types": [(repr(n), type_source(p.decl.type, scope)) for n, p in info.params.items()],
        "input_types": [(repr(i.name), type_source(i.texpr, scope)) for i in info.inputs],
        "output_type": type_source(info.output_texpr, scope),
        "params": [_ParamRow(repr(p.name), repr(p.kind), repr(p.default)) for p in info.params.values()],
        "input_names": repr([i.name for i in info.inputs]),
        "functions": functions, "solve_fn": solve_fn, "wheres": wheres,
        "verify_kind": repr(info.verify), "eps": repr(float(eps)) if eps is not None else "None",
        "answer_format": repr(info.answer), "solve_ref": solve_ref,
        "sample_ref": repr(sample.ref.target) if sample else "None",
        "verify_ref": repr(verify.arg.target) if verify is not None and verify.kind == "python" else "None",
    }


def module_source(scope: ModuleScope, envs: list[EnvInfo]) -> str:
    """The generated Python module for one spec module's base envs."""
    contexts = [_env_context(e) for e in envs]
    code = "\n".join(str(c) for c in contexts)
    used = sorted(n for n in TYPE_NAMES if re.search(rf"\b{n}\b", code))
    return _template().render(
        version=__version__, source=Path(scope.path).name, module=scope.name, type_names=used,
        uses_helpers="_rt." in code, envs=contexts)
