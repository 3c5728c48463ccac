"""`racesdsl sample` and `racesdsl verify`: the run-time commands.

Kept apart from cli.py so each file stays readable; both share its exit-code
guard. Heavy imports happen inside the commands, so `--help` stays fast."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from racesdsl.cli import EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE, _fail, app, guard, use_color
from racesdsl.cli_io import need_pyarrow, prepare_output, progress_bar, write_atomic
from racesdsl.cli_output import data_stdout

if TYPE_CHECKING:
    from racesdsl.check.pipeline import CheckResult
    from racesdsl.loader import Program


def parse_param(text: str) -> tuple[str, Any]:
    """`k=v` with v read as JSON when it is JSON (`8`, `0.5`, `true`, `"a"`), else as text."""
    if "=" not in text:
        raise _fail(f"--param takes NAME=VALUE, got `{text}`", EXIT_USAGE)
    name, raw = text.split("=", 1)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name.strip(), value


def _load(spec: str, search_path: list[Path] | None) -> tuple[Program, str | None]:
    """Load `SPEC[:ENV]`; spec errors print as diagnostics and exit 1."""
    path, _, env = spec.partition(":")
    return _load_many([Path(path)], search_path), env or None


def _load_many(paths: list[Path], search_path: list[Path] | None) -> Program:
    """Load spec files or folders; a missing file exits 2, spec errors print as diagnostics and exit 1."""
    from racesdsl.diagnostics import render_full
    from racesdsl.errors import BindingError, InputError, SpecError
    from racesdsl.loader import load

    try:
        return load(paths, search_path or ())
    except InputError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    except SpecError as exc:
        text = "\n\n".join(render_full(d, {}, color=use_color(sys.stderr)) for d in exc.diagnostics)
        sys.stderr.write(text + "\n")
        where = " ".join(map(str, paths))
        raise _fail(f"{where} has errors; run `racesdsl check {where}`", EXIT_SPEC_ERRORS) from None
    except BindingError as exc:
        raise _fail(str(exc), EXIT_SPEC_ERRORS) from None


def _checked(paths: list[Path], search_path: list[Path] | None) -> CheckResult:
    """Check spec files or folders (for commands that need the checked program, not envs)."""
    from racesdsl.check.pipeline import check_paths
    from racesdsl.errors import InputError

    try:
        return check_paths(paths, search_path or ())
    except InputError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None


def _pick(program: Program, env: str | None, spec: str) -> list[str]:
    if env is None:
        return program.roots
    try:
        return [program[env].qualname]
    except KeyError as exc:
        from racesdsl.diagnostics import did_you_mean

        names = [q.rsplit(".", 1)[-1] for q in program.roots]
        hint = did_you_mean(env, names)
        msg = exc.args[0] if exc.args and exc.args[0] != env else f"{spec}: no environment `{env}`"
        raise _fail(msg + (f"; {hint}" if hint else ""), EXIT_USAGE) from None


@app.command()
def sample(
    spec: Annotated[str, typer.Argument(metavar="SPEC[:ENV]", help="A .races file, optionally `:env` to pick one.")],
    n: Annotated[int, typer.Option("-n", min=0, help="Instances per environment.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Base seed; instance i uses seed + i.")] = 0,
    param: Annotated[list[str] | None, typer.Option("--param", metavar="NAME=VALUE", help="Set a param (repeatable).")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write JSON lines here instead of stdout "
                                                "(missing folders are created).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Processes (0: all cores); output is identical "
                                         "for any number.")] = 0,
    engine: Annotated[str, typer.Option("--engine", metavar="[local|ray]", help="Run workers as local processes or "
                                        "Ray tasks (pip install 'racesdsl[ray]'); output is identical.")] = "local",
    out_format: Annotated[str, typer.Option("--format", metavar="[jsonl|parquet]", help="Output format.")] = "jsonl",
    schema: Annotated[str, typer.Option("--schema", metavar="[plain|verl|trl]", help="Row schema.")] = "plain",
    split: Annotated[str | None, typer.Option("--split", metavar="NAME=FRACTION,...", help="Split rows by seed, "
                                              "e.g. train=0.9,test=0.1; writes OUTPUT/NAME.FORMAT per split "
                                              "(-o names a folder).")] = None,
    path: Annotated[list[Path] | None, typer.Option("--path", "-p", metavar="DIR", help="Extra folder for `use`.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """Write instances as JSON lines: id, env, seed, params, input, prompt, answer."""
    with guard(debug), data_stdout() as stdout:  # python hooks may print: keep it out of the data
        from racesdsl.runtime.env import SPEC_BUGS, ParamError

        program, env = _load(spec, path)
        names = _pick(program, env, spec)
        params = dict(parse_param(p) for p in param or ())
        if params and len(names) != 1:
            raise _fail("--param needs one environment: write SPEC:ENV", EXIT_USAGE)
        from racesdsl.integrations import export
        from racesdsl.parallel import default_workers, sample_rows

        if out_format not in ("jsonl", "parquet") or schema not in ("plain", "verl", "trl") or \
                engine not in ("local", "ray"):
            raise _fail("--format takes jsonl or parquet, --schema plain, verl or trl, --engine local or ray",
                        EXIT_USAGE)
        if (out_format == "parquet" or split) and output is None:
            raise _fail("parquet output and --split need -o", EXIT_USAGE)
        if out_format == "parquet":
            need_pyarrow()
        if output is not None:
            prepare_output(output, folder=bool(split))
        try:
            fractions = export.parse_split(split) if split else None
            for name in names:  # validate params once, here, so a bad one is a usage error
                program[name].resolve_params(params)
            spec_path = spec.partition(":")[0]
            plain = sample_rows([spec_path], names, n, seed, params, workers or default_workers(), path or (),
                                engine=engine)
            rows = list(export.from_plain(plain, schema, fractions, program))  # verl/trl rows get lineage
        except ParamError as exc:
            raise _fail(str(exc), EXIT_USAGE) from None
        except SPEC_BUGS as exc:
            raise _fail(f"spec bug: {exc}", EXIT_SPEC_ERRORS) from None
        except (ValueError, ImportError) as exc:  # a bad --split, or Ray not installed
            raise _fail(str(exc), EXIT_USAGE) from None
        if output is None:
            export.write(rows, stdout, "jsonl")
            raise typer.Exit(EXIT_OK)
        try:
            if fractions:
                for name, group in export.by_split(rows).items():
                    export.write(group, output / f"{name}.{out_format}", out_format)
            else:
                export.write(rows, output, out_format)
        except OSError as exc:  # a full disk, a folder made read-only meanwhile
            raise _fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_USAGE) from None
    raise typer.Exit(EXIT_OK)


@app.command()
def verify(
    spec: Annotated[str, typer.Argument(metavar="SPEC:ENV", help="The environment the instance came from.")],
    instance: Annotated[Path, typer.Option("--instance", help="A JSON line written by `racesdsl sample`.")],
    completion: Annotated[Path, typer.Option("--completion", help="A file holding the model's completion.")],
    path: Annotated[list[Path] | None, typer.Option("--path", "-p", metavar="DIR", help="Extra folder for `use`.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """Score one completion and print the Score as JSON (for debugging rewards)."""
    with guard(debug), data_stdout() as stdout:  # python hooks may print: keep it out of the data
        from racesdsl.runtime.env import SPEC_BUGS, ParamError

        program, env = _load(spec, path)
        (name,) = _pick(program, env, spec) if env else (None,)
        if name is None:
            raise _fail("verify needs SPEC:ENV", EXIT_USAGE)
        try:
            row = json.loads(instance.read_text(encoding="utf-8").splitlines()[0])
            text = completion.read_text(encoding="utf-8", errors="replace")
            inst = program[name].sample(int(row["seed"]), **row.get("params", {}))
        except SPEC_BUGS as exc:
            raise _fail(f"spec bug: {exc}", EXIT_SPEC_ERRORS) from None
        except (OSError, IndexError, KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ParamError):
                raise _fail(str(exc), EXIT_USAGE) from None
            raise _fail(f"cannot read the instance or completion: {exc}", EXIT_USAGE) from None
        if inst.id != row.get("id", inst.id):
            sys.stderr.write("racesdsl: warning: the instance file does not match this spec's instance "
                             "for its seed and params; scoring against the spec's\n")
        score = program[name].verify(inst, text)
        stdout.write(json.dumps(score.to_dict(), ensure_ascii=False) + "\n")
    raise typer.Exit(EXIT_OK)


@app.command(name="compile")
def compile_(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="`.races` files or folders.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder to write the package into.")],
    package: Annotated[str | None, typer.Option("--package", help="Package name (default: from the first PATH).")] = None,
    check_only: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if the package is stale.")] = False,
    path: Annotated[list[Path] | None, typer.Option("--path", "-p", metavar="DIR", help="Extra folder for `use`.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """Emit a Python package of the specs' environments (deterministic, byte for byte)."""
    with guard(debug):
        from racesdsl.codegen.pyexpr import py_name
        from racesdsl.codegen.writer import package_files, package_name_problem, stale_files, write_files
        from racesdsl.diagnostics import render_full

        first = paths[0].resolve()
        if package is None and not first.exists():
            raise _fail(f"{paths[0]}: no such file or folder", EXIT_USAGE)
        stem = first.stem if first.is_file() else first.name
        if package is None and not stem.isidentifier():
            raise _fail(f"cannot name the package after `{stem}`: give one with --package NAME", EXIT_USAGE)
        name = package if package is not None else py_name(stem)
        problem = package_name_problem(name)
        if problem is not None:
            how = "" if package is not None else " (taken from the first PATH; give one with --package NAME)"
            raise _fail(f"--package: {problem}{how}", EXIT_USAGE)
        result = _checked(paths, path)
        if result.errors:
            sys.stderr.write("\n\n".join(render_full(d, result.sources) for d in result.errors) + "\n")
            raise _fail("the specs have errors; nothing was written", EXIT_SPEC_ERRORS)
        files = package_files(result.program, name)
        if check_only:
            stale = stale_files(files, out)
            for rel in stale:
                sys.stdout.write(f"stale: {out / rel}\n")
            code = EXIT_SPEC_ERRORS if stale else EXIT_OK
            if not stale:
                sys.stdout.write(f"up to date: {out / name}\n")
        else:
            try:
                written = write_files(files, out)
            except (OSError, FileExistsError) as exc:
                raise _fail(str(exc), EXIT_USAGE) from None
            sys.stdout.write(f"wrote {len(written)} of {len(files)} files to {out / name}\n")
            code = EXIT_OK
    raise typer.Exit(code)


@app.command()
def graph(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="`.races` files or folders.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the graph: FILE.dot, or FILE.svg "
                                                "(needs Graphviz's `dot`).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the statistics as JSON.")] = False,
    path: Annotated[list[Path] | None, typer.Option("--path", "-p", metavar="DIR", help="Extra folder for `use`.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """The fusion graph: base envs as nodes, legal `seq` edges between them."""
    with guard(debug):
        import shutil
        import subprocess

        from racesdsl.compose.graph import graph_stats, seq_edges, summary, to_dot

        if output is not None and output.suffix not in (".dot", ".svg"):
            raise _fail(f"-o must end in .dot or .svg, got `{output.name}`", EXIT_USAGE)
        result = _checked(paths, path)
        if result.errors:
            raise _fail(f"the specs have {len(result.errors)} error(s); run `racesdsl check` first", EXIT_SPEC_ERRORS)
        edges = seq_edges(result.program, include_self=True)
        stats = graph_stats(result.program, edges)
        if output is not None:
            dot = to_dot(result.program, [e for e in edges if e[0] != e[1]])
            if output.suffix == ".dot":
                write_atomic(output, dot)
            elif shutil.which("dot") is None:
                raise _fail("writing SVG needs Graphviz's `dot` on PATH; write a .dot file instead", EXIT_USAGE)
            else:
                svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
                write_atomic(output, svg)
        sys.stdout.write(json.dumps(stats, indent=2) + "\n" if as_json else summary(stats))
    raise typer.Exit(EXIT_OK)


@app.command(name="test")
def test_(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="`.races` files or folders.")],
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Seeds per environment (0 .. N-1).")] = 20,
    fmt: Annotated[str, typer.Option("--format", metavar="[table|json]", help="Report format.")] = "table",
    env: Annotated[list[str] | None, typer.Option("--env", help="Only these envs (repeatable).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Processes (0: all cores); the report is "
                                         "the same for any number.")] = 0,
    path: Annotated[list[Path] | None, typer.Option("--path", "-p", metavar="DIR", help="Extra folder for `use`.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0, metavar="SECONDS", help="Per-env limit; an env "
                                           "that exceeds it fails with `timeout` (0: no limit).")] = 60.0,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings (a prompt that leaks the answer, a near "
                                         "miss that scores 1) fail too.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """Soundness self-test of every environment; exits 1 on any failure (with --strict, any warning).

    Checks that the reference answer scores 1, near misses score less, sampling
    is deterministic, solver outputs and sampled inputs inhabit their types, both
    ends of every param range sample, and prompts do not leak the answer."""
    if fmt not in ("table", "json"):
        raise _fail(f"--format must be table or json, got `{fmt}`", EXIT_USAGE)
    if not math.isfinite(timeout):
        raise _fail(f"--timeout takes a number of seconds (0 for no limit), got {timeout}", EXIT_USAGE)
    with guard(debug):
        from racesdsl.diagnostics import did_you_mean
        from racesdsl.parallel import default_workers, selftest
        from racesdsl.selftest import render_table

        program = _load_many(paths, path)
        try:
            names = [program[e].qualname for e in env] if env else list(program.roots)
        except KeyError as exc:
            wanted = str(exc.args[0])
            known = [*program, *(q.rsplit(".", 1)[-1] for q in program.roots)]
            hint = did_you_mean(wanted, known)
            raise _fail(f"no environment `{wanted}`" + (f"; {hint}" if hint else ""), EXIT_USAGE) from None
        with progress_bar("self-test", len(names)) as advance:
            done = [0]

            def step(_line: str) -> None:
                done[0] += 1
                advance(done[0])

            report = selftest(paths, names, seeds, workers or default_workers(), path or (), progress=step,
                              timeout=timeout or None)
        ok = report.ok and not (strict and report.n_warnings)
        text = json.dumps({**report.to_json(), "ok": ok, "strict": strict}, indent=2) if fmt == "json" \
            else render_table(report)
        sys.stdout.write(text.rstrip("\n") + "\n")
        code = EXIT_OK if ok else EXIT_SPEC_ERRORS
    raise typer.Exit(code)


@app.command(name="enumerate")
def enumerate_(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="`.races` files or folders of base envs.")],
    out: Annotated[Path, typer.Option("-o", "--output", help="Write the surviving composites here (FILE.races).")],
    ops: Annotated[str, typer.Option("--ops", help="Operators to use, comma-separated.")] = "seq,par,sort,select",
    depth: Annotated[str, typer.Option("--depth", metavar="LO..HI", help="Stages per composite.")] = "2..4",
    limit: Annotated[int, typer.Option("--limit", min=1, help="Stop after this many survivors.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Search seed; the output is a function of it.")] = 0,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Instances each candidate must pass.")] = 8,
    stats: Annotated[Path | None, typer.Option("--stats", help="Write search statistics as JSON here.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Processes (0: all cores).")] = 0,
    time_budget: Annotated[float | None, typer.Option("--time-budget", help="Stop after this many seconds.")] = None,
    path: Annotated[list[Path] | None, typer.Option("--path", "-p", metavar="DIR", help="Extra folder for `use`.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """Search compositions automatically: type-indexed, filtered by execution; writes `.races` source."""
    with guard(debug):
        from racesdsl.compose.enumerate import enumerate_compositions
        from racesdsl.errors import InputError, SpecError
        from racesdsl.parallel import default_workers

        lo, _, hi = depth.partition("..")
        if not (lo.isdigit() and (hi or lo).isdigit()) or out.suffix != ".races":
            raise _fail("--depth takes LO..HI (e.g. 2..4) and -o a FILE.races", EXIT_USAGE)
        try:
            with progress_bar("survivors", limit) as advance:
                result = enumerate_compositions(
                    paths, ops=[o.strip() for o in ops.split(",") if o.strip()], depth=(int(lo), int(hi or lo)),
                    limit=limit, seed=seed, samples=samples, workers=workers or default_workers(),
                    time_budget=time_budget, search_path=path or (), module=out.stem,
                    progress=lambda tried, kept: advance(kept))
        except (ValueError, InputError) as exc:
            raise _fail(str(exc), EXIT_USAGE) from None
        except SpecError as exc:
            raise _fail(f"the specs have errors: {exc}", EXIT_SPEC_ERRORS) from None
        write_atomic(out, result.source)
        if stats is not None:
            write_atomic(stats, json.dumps(result.stats, indent=2) + "\n")
        kept, tried = result.stats["kept"], result.stats["tried"]
        sys.stdout.write(f"kept {kept} of {tried} candidates; wrote {out}\n")
    raise typer.Exit(EXIT_OK)
