"""The CLI package's shape: one module per command group, all registered on one app
by racesdsl.cli.commands, and no import circle between them (the old cli.py and
cli_run.py imported each other)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "racesdsl" / "cli"


def _module(path: Path) -> str:
    return "racesdsl.cli" if path.name == "__init__.py" else f"racesdsl.cli.{path.stem}"


def _module_level_imports(path: Path) -> set[str]:
    """racesdsl.cli modules imported when `path` is imported (not inside functions or TYPE_CHECKING);
    the implicit import of a submodule's parent package is no edge."""
    known = {_module(p) for p in PACKAGE.glob("*.py")}
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            # `from racesdsl.cli import check` imports the submodule (its package is already loading)
            subs = {f"{node.module}.{a.name}" for a in node.names} & known
            found.update(subs or {node.module})
    return {m for m in found if m in known} - {_module(path)}


def _graph() -> dict[str, set[str]]:
    return {_module(p): _module_level_imports(p) for p in PACKAGE.glob("*.py")}


def _registers_commands(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "command"
               for node in tree.body if isinstance(node, ast.FunctionDef) for d in node.decorator_list)


def test_cli_modules_import_no_circle() -> None:
    graph = _graph()
    state: dict[str, str] = {}

    def visit(mod: str, trail: list[str]) -> None:
        if state.get(mod) == "done":
            return
        assert state.get(mod) != "active", "import circle: " + " -> ".join([*trail, mod])
        state[mod] = "active"
        for dep in sorted(graph[mod]):
            visit(dep, [*trail, mod])
        state[mod] = "done"

    for mod in sorted(graph):
        visit(mod, [])
    assert graph["racesdsl.cli.app"] == set(), "app.py is the root every command imports: it imports none"


def test_commands_imports_every_command_module() -> None:
    command_modules = {_module(p) for p in PACKAGE.glob("*.py") if _registers_commands(p)}
    assert {"racesdsl.cli.check", "racesdsl.cli.run", "racesdsl.cli.serve"} <= command_modules
    assert command_modules <= _graph()["racesdsl.cli.commands"]


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_command_modules_import_no_other_command_module(path: Path) -> None:
    """Only commands.py gathers commands; the others share app.py, specs.py, io.py, output.py."""
    if path.name in ("commands.py", "__init__.py"):
        return
    command_modules = {_module(p) for p in PACKAGE.glob("*.py") if _registers_commands(p)}
    assert not _module_level_imports(path) & command_modules


def test_one_app_has_every_command() -> None:
    from racesdsl.cli import app
    from racesdsl.cli.app import app as root

    assert app is root
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert {"check", "sample", "verify", "compile", "graph", "enumerate", "test", "serve"} <= names
