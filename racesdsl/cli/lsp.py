"""`racesdsl lsp`: the language server over stdio (racesdsl/lsp/).

Registered on the app by racesdsl.cli.commands; pygls is imported inside the
command, so `racesdsl --help` stays fast and the `lsp` extra stays optional."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from racesdsl.cli.app import EXIT_OK, EXIT_USAGE, _fail, app


@app.command()
def lsp(
    path: Annotated[list[Path] | None, typer.Option("--path", "-p", metavar="DIR",
                                                    help="Extra folder for `use`.")] = None,
) -> None:
    """Run the language server over stdio (for editors: diagnostics, hover, definitions, completion)."""
    try:
        from racesdsl.lsp.server import serve
    except ImportError as exc:
        raise _fail(f"the language server needs pygls: pip install 'racesdsl[lsp]' ({exc})", EXIT_USAGE) from None
    serve([p.resolve() for p in path or ()])
    raise typer.Exit(EXIT_OK)
