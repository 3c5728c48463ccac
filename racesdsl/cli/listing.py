"""`racesdsl list [PATH]` and `racesdsl show NAME`: what environments a spec (or the
stdlib) offers, with signature, params and doc, without reading its source.

Both read the checked program only (no spec code runs). Env signatures show the
types as written (`List[Small, len=n]`), params in brackets and inputs in
parentheses; a composite has no written types, so it shows the ones the checker
inferred, and its knobs with their ranges."""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from racesdsl.cli.app import EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE, _fail, app, guard
from racesdsl.cli.specs import checked, spec_path, spec_paths, split_spec

if TYPE_CHECKING:
    from racesdsl.ir import CompositeInfo, EnvInfo
    from racesdsl.ir import Program as CheckedProgram

MAX_KNOBS = 8  # nesting can give a composite exponentially many knobs: show the first few


def module_name(info: EnvInfo | CompositeInfo) -> str:
    """`std.lists` for a stdlib module (as a `use` names it), the module's own name otherwise."""
    from racesdsl.resources import stdlib_dir

    path = Path(info.module.path).resolve()
    try:
        rel = path.relative_to(stdlib_dir().resolve())
    except ValueError:
        return info.module.name
    return "std." + rel.with_suffix("").as_posix().replace("/", ".")


def spec_ref(info: EnvInfo | CompositeInfo) -> str:
    """What to pass to `sample`, `test` and `show`: `std.lists:sort_list` or `FILE:env`."""
    module = module_name(info)
    return f"{module if module.startswith('std') else info.module.display}:{info.name}"


def describe(info: EnvInfo | CompositeInfo) -> dict[str, Any]:
    """One env or composite as plain data (the `--json` output, and what the text shows)."""
    from racesdsl.ir import EnvInfo
    from racesdsl.runtime.types import show
    from racesdsl.syntax.printer import print_comp, print_expr, print_type

    where = {"module": module_name(info), "name": info.name, "spec": spec_ref(info), "doc": info.decl.doc,
             "file": info.module.display, "line": info.decl.span.line}
    if isinstance(info, EnvInfo):
        return {"kind": "env", **where,
                "params": [{"name": p.name, "type": print_type(p.decl.type), "default": print_expr(p.decl.default)}
                           for p in info.params.values()],
                "inputs": [{"name": i.name, "type": print_type(i.texpr), "sampled": show(i.type)} for i in info.inputs],
                "output": print_type(info.output_texpr) if info.output_texpr is not None else show(info.output),
                "output_sampled": show(info.output),
                "verify": info.verify, "answer": info.answer}
    knobs = list(itertools.islice(info.iter_knobs(), MAX_KNOBS + 1))
    return {"kind": "composite", **where, "body": print_comp(info.decl.body),
            "knobs": [{"name": k.name, "range": k.range.show() if k.range is not None else None}
                      for k in knobs[:MAX_KNOBS]], "more_knobs": len(knobs) > MAX_KNOBS,
            "inputs": [{"name": n, "type": show(t)} for n, t in info.signature.inputs],
            "output": show(info.signature.output)}


def signature(d: dict[str, Any], qualified: bool = False) -> str:
    """`env sort_list[n: Int[2..12] = 6](xs: List[Small, len=n]) -> List[Small, len=n]`."""
    name = f"{d['module']}.{d['name']}" if qualified else d["name"]
    inputs = ", ".join(f"{i['name']}: {i['type']}" for i in d["inputs"])
    if d["kind"] == "env":
        params = ", ".join(f"{p['name']}: {p['type']} = {p['default']}" for p in d["params"])
        return f"env {name}{f'[{params}]' if params else ''}({inputs}) -> {d['output']}"
    knobs = ", ".join(f"{k['name']}: {k['range']}" if k["range"] else k["name"] for k in d["knobs"])
    knobs += ", ..." if d["more_knobs"] else ""
    return f"compose {name}{f'[{knobs}]' if knobs else ''}({inputs}) -> {d['output']}"


def render_list(entries: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for (module, file), group in itertools.groupby(entries, key=lambda d: (d["module"], d["file"])):
        lines.append(f"{module} ({file})" if lines == [] else f"\n{module} ({file})")
        for d in group:
            lines.append(f"  {signature(d)}")
            if d["doc"]:
                lines.append(f"      {d['doc']}")
    return "\n".join(lines) + "\n" if lines else ""


def render_show(d: dict[str, Any]) -> str:
    lines = [signature(d, qualified=True)]
    if d["doc"]:
        lines.append(f"  {d['doc']}")
    lines.append(f"  defined at {d['file']}:{d['line']}")
    if d["kind"] == "env":
        lines += [f"  param {p['name']}: {p['type']} = {p['default']}" for p in d["params"]]
        for i in d["inputs"]:
            widened = f"  (over the param ranges: {i['sampled']})" if i["sampled"] != i["type"] else ""
            lines.append(f"  input {i['name']}: {i['type']}{widened}")
        widened = f"  (over the param ranges: {d['output_sampled']})" if d["output_sampled"] != d["output"] else ""
        lines += [f"  output {d['output']}{widened}", f"  verify {d['verify']}, answer {d['answer']}"]
    else:
        lines.append(f"  = {d['body']}")
        lines += [f"  input {i['name']}: {i['type']}" for i in d["inputs"]]
        lines.append(f"  output {d['output']}")
        lines += [f"  knob {k['name']}: {k['range']}" for k in d["knobs"]]
        if d["more_knobs"]:
            lines.append(f"  ... more knobs (the first {MAX_KNOBS} are shown)")
    lines.append(f"  try: racesdsl sample {d['spec']} -n 1")
    return "\n".join(lines) + "\n"


def declared(program: CheckedProgram) -> list[EnvInfo | CompositeInfo]:
    """The envs and composites declared in the files named (not those pulled in by `use`), in order."""
    return [program[q] for q in program.roots]


def _program(paths: list[Path], search_path: list[Path] | None) -> CheckedProgram:
    result = checked(paths, search_path)
    if result.errors:
        where = " ".join(map(str, paths))
        raise _fail(f"{where} has errors; run `racesdsl check {where}`", EXIT_SPEC_ERRORS)
    return result.program


@app.command(name="list")
def list_(
    paths: Annotated[list[Path] | None, typer.Argument(metavar="[PATH]...", help="`.races` files, folders or "
                                                       "stdlib modules (`std.lists`); default: the stdlib.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON.")] = False,
    where: Annotated[bool, typer.Option("--where", help="Print the folder of the bundled stdlib specs "
                                        "and exit.")] = False,
    path: Annotated[list[Path] | None, typer.Option("--path", "-p", metavar="DIR", help="Extra folder for `use`.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """The environments and composites of specs (default: the stdlib), with signature, params and doc."""
    with guard(debug):
        if where:
            sys.stdout.write(f"{spec_path('std')}\n")
            raise typer.Exit(EXIT_OK)
        entries = [describe(info) for info in declared(_program(spec_paths(paths or ["std"]), path))]
        sys.stdout.write(json.dumps(entries, indent=2) + "\n" if as_json else render_list(entries))
    raise typer.Exit(EXIT_OK)


def _find(name: str, search_path: list[Path] | None) -> EnvInfo | CompositeInfo:
    """`SPEC:ENV`, `std.lists.sort_list`, or a name the stdlib declares once (`sort_list`)."""
    from racesdsl.diagnostics import did_you_mean

    if ":" in name:
        label, spec, env = name.partition(":")[0], *split_spec(name)
    elif name.startswith("std.") and name.count(".") >= 2:
        label, env = name.rsplit(".", 1)
        spec = spec_path(label)
    else:
        label, spec, env = "the stdlib", spec_path("std"), name
    if env is None:
        raise _fail(f"show takes SPEC:ENV, got `{name}`", EXIT_USAGE)
    infos = declared(_program([spec], search_path))
    matches = [i for i in infos if i.name == env]
    if len(matches) == 1:
        return matches[0]
    if matches:
        refs = ", ".join(spec_ref(i) for i in matches)
        raise _fail(f"`{env}` is declared {len(matches)} times: name one of {refs}", EXIT_USAGE)
    hint = did_you_mean(env, [i.name for i in infos])
    raise _fail(f"{label}: no environment `{env}`" + (f"; {hint}" if hint else ""), EXIT_USAGE)


def complete_name(incomplete: str) -> list[str]:
    """Shell completion: stdlib envs and composites, by bare name and as `std.module.name`
    (parsed only, not checked: completion must answer quickly)."""
    from racesdsl.resources import stdlib_dir
    from racesdsl.syntax import ast as A
    from racesdsl.syntax.parser import parse_text

    names: list[str] = []
    for file in sorted(stdlib_dir().rglob("*.races")):
        module, _ = parse_text(file.read_text(encoding="utf-8"), str(file))
        dotted = "std." + file.relative_to(stdlib_dir()).with_suffix("").as_posix().replace("/", ".")
        for decl in module.decls if module is not None else ():
            if isinstance(decl, A.EnvDecl | A.ComposeDecl):
                names += [decl.name, f"{dotted}.{decl.name}"]
    return [n for n in dict.fromkeys(names) if n.startswith(incomplete)]


@app.command()
def show(
    name: Annotated[str, typer.Argument(metavar="NAME", autocompletion=complete_name, help="`SPEC:ENV` (`std.lists:sort_list`, "
                                        "`my.races:env`), `std.lists.sort_list`, or a stdlib env's name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the entry as JSON.")] = False,
    path: Annotated[list[Path] | None, typer.Option("--path", "-p", metavar="DIR", help="Extra folder for `use`.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """One environment or composite: signature, doc, params, inputs, output, verifier, knobs."""
    with guard(debug):
        entry = describe(_find(name, path))
        sys.stdout.write(json.dumps(entry, indent=2) + "\n" if as_json else render_show(entry))
    raise typer.Exit(EXIT_OK)
