"""The `racesdsl` command line, one module per command group (racesdsl.cli.commands
lists them). `racesdsl.cli:main` is the console script; `app` is the typer app, for
tests that invoke it in process."""

from racesdsl.cli.commands import app, main

__all__ = ["app", "main"]
