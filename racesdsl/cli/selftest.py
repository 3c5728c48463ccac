"""`racesdsl test`: the soundness self-test of every environment (racesdsl.selftest)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from racesdsl.cli.app import EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE, _fail, app, guard
from racesdsl.cli.io import progress_bar
from racesdsl.cli.specs import load_many, split_spec


@app.command(name="test")
def test_(
    specs: Annotated[list[str], typer.Argument(metavar="PATH[:ENV]", help="`.races` files, folders or stdlib "
                                               "modules (`std.lists`); `:ENV` tests that env only.")],
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

        pairs = [split_spec(s) for s in specs]
        paths = [p for p, _ in pairs]
        env = [*(env or ()), *(e for _, e in pairs if e)]
        program = load_many(paths, path)
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
