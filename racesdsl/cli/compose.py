"""`racesdsl graph` and `racesdsl enumerate`: what composes with what, and a search over it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from racesdsl.cli.app import EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE, _fail, app, guard
from racesdsl.cli.io import progress_bar, write_atomic
from racesdsl.cli.specs import checked, spec_paths


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
        result = checked(spec_paths(paths), path)
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


@app.command(name="enumerate")
def enumerate_(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="`.races` files or folders of base envs.")],
    out: Annotated[Path, typer.Option("-o", "--output", help="Write the surviving composites here (FILE.races).")],
    ops: Annotated[str, typer.Option("--ops", help="Operators to use, comma-separated.")] = "seq,par,sort,select",
    depth: Annotated[str, typer.Option("--depth", metavar="LO..HI", help="Stages per composite.")] = "2..4",
    limit: Annotated[int, typer.Option("--limit", min=1, help="Stop after this many survivors.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Search seed; the output is a function of it.")] = 0,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Instances each candidate must pass (at least "
                                         "32 are run: the near-constant rule needs them).")] = 32,
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
                    spec_paths(paths), ops=[o.strip() for o in ops.split(",") if o.strip()], depth=(int(lo), int(hi or lo)),
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
