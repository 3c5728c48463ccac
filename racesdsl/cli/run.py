"""`racesdsl sample` and `racesdsl verify`: the run-time commands.

Heavy imports happen inside the commands, so `--help` stays fast."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from racesdsl.cli.app import EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE, _fail, app, guard
from racesdsl.cli.io import need_pyarrow, prepare_output
from racesdsl.cli.output import data_stdout
from racesdsl.cli.specs import load_spec, parse_param, pick, split_spec


@app.command()
def sample(
    spec: Annotated[str, typer.Argument(metavar="SPEC[:ENV]", help="A .races file, folder or stdlib module (`std.lists`), optionally `:env` to pick one.")],
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
    shard_size: Annotated[int | None, typer.Option("--shard-size", min=1, metavar="ROWS", help="Write -o as a "
                                                   "folder of shards of ROWS rows each (part-00000-of-00004.FORMAT, "
                                                   "or NAME-... per split), written by the workers in parallel; "
                                                   "the bytes are the same for any --workers or --engine.")] = None,
    path: Annotated[list[Path] | None, typer.Option("--path", "-p", metavar="DIR", help="Extra folder for `use`.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """Write instances as JSON lines: id, env, seed, params, input, prompt, answer."""
    with guard(debug), data_stdout() as stdout:  # python hooks may print: keep it out of the data
        from racesdsl.runtime.env import SPEC_BUGS, ParamError

        program, env = load_spec(spec, path)
        names = pick(program, env, spec)
        params = dict(parse_param(p) for p in param or ())
        if params and len(names) != 1:
            raise _fail("--param needs one environment: write SPEC:ENV", EXIT_USAGE)
        from racesdsl.integrations import export, export_parallel
        from racesdsl.parallel import default_workers

        if out_format not in ("jsonl", "parquet") or schema not in ("plain", "verl", "trl") or \
                engine not in ("local", "ray"):
            raise _fail("--format takes jsonl or parquet, --schema plain, verl or trl, --engine local or ray",
                        EXIT_USAGE)
        if (out_format == "parquet" or split or shard_size) and output is None:
            raise _fail("parquet output, --split and --shard-size need -o", EXIT_USAGE)
        if out_format == "parquet":
            need_pyarrow()
        if output is not None:
            prepare_output(output, folder=bool(split or shard_size))
        try:
            fractions = export.parse_split(split) if split else None
            for name in names:  # validate params once, here, so a bad one is a usage error
                program[name].resolve_params(params)
            job = export_parallel.Job((str(split_spec(spec)[0]),), tuple(names), n, seed, params, schema, fractions,
                                      out_format, tuple(str(p) for p in path or ()))
            # Streams: rows are written as they are made (verl/trl rows get lineage).
            export_parallel.write(job, stdout if output is None else output, shard_size=shard_size,
                                  workers=workers or default_workers(), engine=engine, program=program)
        except ParamError as exc:
            raise _fail(str(exc), EXIT_USAGE) from None
        except SPEC_BUGS as exc:
            raise _fail(f"spec bug: {exc}", EXIT_SPEC_ERRORS) from None
        except (ValueError, ImportError) as exc:  # a bad --split, or Ray not installed
            raise _fail(str(exc), EXIT_USAGE) from None
        except BrokenPipeError:  # `racesdsl sample ... | head`: guard() ends quietly
            raise
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

        program, env = load_spec(spec, path)
        (name,) = pick(program, env, spec) if env else (None,)
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
