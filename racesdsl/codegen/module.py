"""Checked modules -> Python source, one generated module per spec module.

The same source serves `racesdsl compile` (written to a package) and
`racesdsl.load()` (executed in memory), so both back ends behave the same by
construction. Output is deterministic: source order, `repr()` for every
literal, no timestamps, no absolute paths.

Spec text never becomes code: it reaches the source only as a `repr()`/`ascii()`
literal, never in a comment (where a line break Python recognises, `\r` or
U+2028 alike, would end the comment). Names become identifiers through
`escape_name`, so no spec name can rebind an import or a generated helper: every
helper's name starts with `_` and does not end with one, and every spec name that
starts with `_` is escaped to end with one."""

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
from racesdsl.codegen.pyexpr import RESERVED_NAMES, escape_name, float_literal, function_source
from racesdsl.codegen.typesrc import DIST_NAMES, TYPE_NAMES, dist_source, type_source
from racesdsl.ir import EnvInfo, Program
from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import print_expr

# Names a generated module imports or defines besides `_`-prefixed helpers; a spec name like
# one of them, or like a Python keyword or builtin, gets a `_` suffix.
_TAKEN = frozenset({"annotations", "os", "Environment", "EnvTypes", "ParamSpec", "ENVIRONMENTS",
                    "Composite", "Stage", *TYPE_NAMES, *DIST_NAMES}) | RESERVED_NAMES
# What a compiled package's `__init__` defines; a module file named like one would rebind it.
_INIT_NAMES = frozenset({"annotations", "import_module", "Mapping", "MODULES", "ENVIRONMENTS", "environments", "get"})
_PLAIN = re.compile(r"[A-Za-z0-9_.\- ]*")


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
    """The module-level Python name of an env or composite."""
    return escape_name(name, lambda stem: stem in _TAKEN or stem.startswith("_"))


def table_ident(key: str) -> str:
    """The Python name of an env by its key in its module's table: an instance of a generic
    env (`take_first@3f2a...`) is a generated `_take_first_3f2a...` (no spec name starts with
    `_` without ending with one)."""
    name, _, digest = key.partition("@")
    return f"_{name}_{digest}" if digest else env_ident(key)


def runnable_envs(program: Program) -> dict[object, list[EnvInfo]]:
    """Every env the back ends generate, by module: the standalone envs (but a generic env
    without defaults, which only stages instantiate) and the instances stages use."""
    by_module: dict[object, list[EnvInfo]] = {}
    for info in [*program.envs.values(), *program.instances.values()]:
        if info.generic is None or info.type_args:
            by_module.setdefault(info.module, []).append(info)
    return by_module


def module_ident(name: str) -> str:
    """The file name (without `.py`) of a spec module in a compiled package: escaped so that
    it is importable and does not rebind a name of the package's `__init__` (`get`, `__init__`)."""
    if not name.isascii():  # `import` would NFKC-normalise it and miss the file: hex is injective
        return "_u_" + name.encode("utf-8").hex()
    return escape_name(name, lambda stem: stem in _INIT_NAMES or stem in RESERVED_NAMES or stem.startswith("_"))


def plain_text(text: str) -> str:
    """Spec-derived text fit for a comment or a docstring: itself when it is plain ASCII
    (letters, digits, `_.- `), else its `ascii()` literal, which has no line break or quote run."""
    return text if _PLAIN.fullmatch(text) else ascii(text)


def docstring(text: str) -> str:
    """A docstring literal for generated text that embeds spec text only as `plain_text`:
    triple-quoted when that is exactly the text, else `ascii()` (still a docstring)."""
    bare = text.replace("\n", "")
    if '"""' in text or "\\" in text or text.endswith('"') or not bare.isascii() or not bare.isprintable():
        return ascii(text)
    return f'"""{text}"""'


def _env_context(info: EnvInfo) -> dict:
    decl, scope = info.decl, info.module
    ident = table_ident(info.key)
    stored = [i.name for i in info.inputs + info.draws]
    args = stored + [let.name for let in info.lets] + list(info.params)
    functions, wheres = [], []
    lets = []
    for k, let in enumerate(info.lets):
        fn = f"_{ident}_let_{k}"
        functions.append(function_source(fn, stored + [x.name for x in info.lets[:k]] + list(info.params),
                                         let.expr).rstrip("\n"))
        lets.append((repr(let.name), fn))
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
    param_types = [(repr(n), type_source(p.decl.type, scope)) for n, p in info.params.items()]
    input_types = [(repr(i.name), type_source(i.texpr, scope)) for i in info.inputs if i.name not in info.shaped]
    draw_types = [(repr(d.name), type_source(d.texpr, scope)) for d in info.draws if d.name not in info.shaped]
    sampled = {c.name: c for c in info.inputs + info.draws}
    order = [c.name for c in info.decl.clauses if isinstance(c, (A.InputClause, A.DrawClause)) and c.name in sampled]
    shapes = []
    for name in order:
        if name in info.shaped:
            fn = f"_{ident}_shape_{order.index(name)}"
            src = type_source(sampled[name].texpr, scope, frozenset(order))
            functions.append(f"def {fn}(p):\n    return {src}")
            shapes.append((repr(name), fn))
    input_dists = [(repr(i.name), dist_source(i.dist)) for i in info.inputs + info.draws if i.dist is not None]
    for k, i in enumerate(info.inputs + info.draws):
        if i.data is not None:  # the values ship inside the module, as a literal (spec text never becomes code)
            functions.append(f"_{ident}_data_{k} = {ascii(i.data.values)}")
            input_dists.append((repr(i.name), f"Choice(_{ident}_data_{k})"))
    identity = "+".join(i.data.digest for i in info.inputs + info.draws if i.data is not None)
    output_type = type_source(info.output_texpr, scope)
    sample = decl.first(A.SampleClause)
    verify = decl.first(A.VerifyClause)
    step = decl.first(A.StepClause)
    eps = constant_value(verify.arg) if verify is not None and verify.kind == "tolerance" else None
    check_fn = "None"
    if verify is not None and verify.kind == "check":  # `answer` first, then what `solve` takes
        functions.append(function_source(f"_{ident}_check", ["answer", *args], verify.arg).rstrip("\n"))
        check_fn = f"_{ident}_check"
    return {
        "name_repr": repr(info.key), "ident": ident,
        "qualname": repr(info.qualname), "doc_repr": repr(decl.doc or ""),
        "prompt": repr(template_source(decl.first(A.PromptClause).template).text),
        "step": repr(template_source(step.template).text) if step else None,
        "param_types": param_types, "input_types": input_types, "input_dists": input_dists,
        "output_type": output_type,
        "code": "\n".join([*functions, output_type,
                           *(src for _, src in param_types + input_types + draw_types + input_dists)]),
        "derived": bool(info.draws or info.lets or info.shaped), "lets": lets, "shapes": shapes,
        "draw_types": draw_types, "order": repr(order), "draw_names": repr([d.name for d in info.draws]),
        "sampled_names": [repr(n) for n in order], "input_name_reprs": [repr(i.name) for i in info.inputs],
        "draw_name_reprs": [repr(d.name) for d in info.draws],
        "params": [_ParamRow(repr(p.name), repr(p.kind), repr(p.default)) for p in info.params.values()],
        "input_names": repr([i.name for i in info.inputs]),
        "functions": functions, "solve_fn": solve_fn, "wheres": wheres, "check_fn": check_fn,
        "verify_kind": repr(info.verify), "eps": float_literal(float(eps)) if eps is not None else "None",
        "answer_format": repr(info.answer), "solve_ref": solve_ref, "identity": repr(identity) if identity else None,
        "sample_ref": repr(sample.ref.target) if sample else "None",
        "verify_ref": repr(verify.arg.target) if verify is not None and verify.kind == "python" else "None",
    }


def module_source(scope: ModuleScope, envs: list[EnvInfo]) -> str:
    """The generated Python module for one spec module's base envs."""
    contexts = [_env_context(e) for e in envs]
    code = "\n".join(c["code"] for c in contexts)  # generated code only: spec text cannot add imports
    used = sorted(n for n in TYPE_NAMES if re.search(rf"\b{n}\b", code))
    dists = sorted(n for n in DIST_NAMES if any(re.search(rf"\b{n}\(", src) for c in contexts
                                                 for _, src in c["input_dists"]))
    source = plain_text(Path(scope.path).name)
    return _template().render(
        version=__version__, source=source, type_names=used, dist_names=dists, uses_helpers="_rt." in code,
        envs=contexts, uses_derived=any(c["derived"] for c in contexts),
        docstring=docstring(f"Environments of module `{plain_text(scope.name)}`, compiled from `{source}`."))
