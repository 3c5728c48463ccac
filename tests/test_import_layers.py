"""The package's layers: walk every module's imports (module level and inside
functions, as parsed by `ast`; `if TYPE_CHECKING:` blocks never run, so they do
not count) and check that the runtime stands alone and that no module of
racesdsl reaches itself through its imports."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "racesdsl"
# What the runtime may never reach: everything built on top of it.
ABOVE_RUNTIME = ("curriculum", "integrations", "compose", "check", "cli", "serve", "syntax", "codegen", "loader",
                 "parallel", "selftest", "lsp", "formatter", "format_layout", "lexer")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every racesdsl module a file imports, wherever the import statement is."""
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and _is_type_checking(block.test)
                   for stmt in block.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "racesdsl")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] == "racesdsl":
                # `from racesdsl.cli import build` imports the submodule (its package is only
                # initialised first, which is no circle); `from racesdsl.x import name` imports x.
                subs = {f"{module}.{a.name}" for a in node.names if _is_module(f"{module}.{a.name}")}
                found.update(subs if len(subs) == len(node.names) else {module, *subs})
    return found


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


@lru_cache(maxsize=1)
def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _part(module: str) -> str:
    """The top-level part of racesdsl a module belongs to: `runtime`, `cli`, ..."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "racesdsl"


def test_the_walk_sees_function_level_imports_and_skips_typing_ones() -> None:
    # The walker itself: an import inside a function counts as much as one at the top...
    assert "racesdsl.runtime.models" in _imports(PACKAGE / "runtime" / "env.py")  # in Environment.input_model
    # ... and one under `if TYPE_CHECKING:` does not (levels names env's types only there).
    assert "racesdsl.runtime.env" not in _imports(PACKAGE / "runtime" / "levels.py")


@pytest.mark.parametrize("module", sorted(m for m in _graph() if _part(m) == "runtime"))
def test_the_runtime_imports_nothing_built_on_it(module: str) -> None:
    bad = sorted(i for i in _graph()[module] if _part(i) in ABOVE_RUNTIME)
    assert not bad, f"{module} imports {bad}: the runtime must stand alone"


def test_no_module_reaches_itself_through_its_imports() -> None:
    """Module by module, function-level imports included: a lazy import that closes
    a circle is still a circle (it only moves the failure to run time)."""
    graph = _graph()
    edges = {m: sorted(i for i in imported if i in graph and i not in (m, "racesdsl")) for m, imported in graph.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in edges[node]:
            if state.get(nxt) == 1:
                pytest.fail("import circle: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
