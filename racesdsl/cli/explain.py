"""`racesdsl explain CODE`: a diagnostic's documentation in the terminal.

Reads racesdsl/_data/diagnostics.json, shipped inside the package (the wheel has
no docs/): tests/test_diagnostics.py writes it with docs/diagnostics.md from the
registry and the fixtures, and fails when either drifts."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from racesdsl.cli.app import EXIT_OK, EXIT_USAGE, _fail, app, guard

DATA = "_data/diagnostics.json"


def load_entries() -> dict[str, dict[str, Any]]:
    """Every code's entry, by code; a missing data file is a broken install (exit 3 through guard)."""
    from importlib import resources

    return json.loads(resources.files("racesdsl").joinpath(DATA).read_text(encoding="utf-8"))


def _indent(text: str) -> str:
    return "".join(f"    {line}".rstrip() + "\n" for line in text.rstrip("\n").splitlines())


def render_entry(entry: dict[str, Any]) -> str:
    """Plain text that reads well in a terminal and in a pipe: headline, meaning, examples, output."""
    parts = [f"{entry['code']}: {entry['title']}\n\n{entry['explanation']}\n"]
    for example in entry["examples"]:
        parts.append(f"\nExample ({example['file']}):\n\n{_indent(example['source'])}")
    session = f"$ {entry['command']}\n{entry['output']}"
    parts.append(f"\nWhat `racesdsl check` reports:\n\n{_indent(session)}")
    return "".join(parts)


def render_index(entries: dict[str, dict[str, Any]]) -> str:
    width = max(map(len, entries))
    return "".join(f"{code:<{width}}  {e['title']}\n" for code, e in entries.items())


def complete_code(incomplete: str) -> list[tuple[str, str]]:
    """Shell completion: the codes starting with what was typed, each with its title."""
    return [(code, e["title"]) for code, e in load_entries().items() if code.startswith(incomplete)]


@app.command()
def explain(
    code: Annotated[str | None, typer.Argument(metavar="[CODE]", autocompletion=complete_code,
                                               help="A diagnostic code such as E0310; "
                                               "without one, every code and its title.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on internal errors.")] = False,
) -> None:
    """What a diagnostic code means, with an example of the spec that causes it and its fix."""
    with guard(debug):
        entries = load_entries()
        if code is None:
            sys.stdout.write(render_index(entries))
            raise typer.Exit(EXIT_OK)
        wanted = code.strip().upper()
        if wanted not in entries:
            from racesdsl.diagnostics import did_you_mean

            hint = did_you_mean(wanted, list(entries))
            raise _fail(f"no diagnostic code `{code}`" + (f"; {hint}" if hint else
                                                           "; `racesdsl explain` lists them all"), EXIT_USAGE)
        sys.stdout.write(render_entry(entries[wanted]))
    raise typer.Exit(EXIT_OK)
