"""`racesdsl serve`: the reward server (racesdsl/serve/, docs/integrations.md).

The server's imports (Starlette, uvicorn) happen inside the command, so
`racesdsl --help` stays fast."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from racesdsl.cli.app import EXIT_OK, EXIT_USAGE, _fail, app, guard
from racesdsl.cli.specs import load_many, spec_paths


@app.command()
def serve(
    specs: Annotated[list[Path], typer.Argument(metavar="SPEC...", help="`.races` files or folders to serve.")],
    host: Annotated[str, typer.Option("--host", help="Address to bind (keep 127.0.0.1 unless a proxy or "
                                      "firewall guards the port).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port; 0 picks a free one "
                                      "(printed on stderr).")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Scoring processes (0: one per core).")] = 0,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds a request may take; past it "
                                           "its worker is restarted and the request answered 504.")] = 30.0,
    max_body: Annotated[int, typer.Option("--max-body", min=1024, help="Largest request body in bytes "
                                          "(413 beyond).")] = 8 * 1024 * 1024,
    path: Annotated[list[Path] | None, typer.Option("--path", "-p", metavar="DIR", help="Extra folder for `use`.")] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn's log level.")] = "warning",
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """Serve environments over HTTP for trainers: /score, /sample, /envs, /health, /openrlhf, /slime, /verify."""
    with guard(debug):
        specs = spec_paths(specs)
        load_many(specs, path)  # spec errors print as diagnostics (exit 1) before any worker starts
        from racesdsl.serve.server import serve as run
        from racesdsl.serve.workers import PoolError

        try:
            run(specs, path or (), host=host, port=port, workers=workers or os.cpu_count() or 1, timeout=timeout,
                max_body=max_body, log_level=log_level)
        except OSError as exc:
            raise _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_USAGE) from None
        except PoolError as exc:
            raise _fail(f"a worker could not load the specs: {exc}", EXIT_USAGE) from None
    raise typer.Exit(EXIT_OK)
