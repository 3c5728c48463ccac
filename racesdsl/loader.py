"""`racesdsl.load()`: checked specs -> in-process `Environment` objects.

Each spec module is compiled to the same Python source `racesdsl compile`
writes, and executed in memory: the loaded and the compiled environments are
one implementation, so they cannot drift apart."""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from typeguard import typechecked

from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.module import module_source
from racesdsl.errors import SpecError
from racesdsl.ir import Program as CheckedProgram
from racesdsl.runtime.env import Environment


class Program(Mapping[str, Environment]):
    """Loaded environments by qualified name (`lists.sort_list`); short names
    work for the envs declared in the files you loaded."""

    def __init__(self, envs: dict[str, Environment], checked: CheckedProgram) -> None:
        self._envs = envs
        self.checked = checked

    def __getitem__(self, name: str) -> Environment:
        if name in self._envs:
            return self._envs[name]
        matches = [q for q in self.roots if q.rsplit(".", 1)[-1] == name]
        if len(matches) == 1:
            return self._envs[matches[0]]
        if any(q.rsplit(".", 1)[-1] == name for q in self.checked.composites):
            raise KeyError(f"`{name}` is a composite; composites are not sampled yet")
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._envs)

    def __len__(self) -> int:
        return len(self._envs)

    @property
    def roots(self) -> list[str]:
        """Qualified names of the base envs declared in the loaded files, in source order."""
        return [q for q in self.checked.roots if q in self._envs]


@typechecked
def load(paths: str | Path | Sequence[str | Path], search_path: Sequence[str | Path] = ()) -> Program:
    """Check and load specs; raises `SpecError` (with every diagnostic) if they have errors."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    result = check_paths(items, search_path)
    if result.errors:
        raise SpecError(result.diagnostics)
    by_module: dict[object, list] = {}
    for info in result.program.envs.values():
        by_module.setdefault(info.module, []).append(info)
    envs: dict[str, Environment] = {}
    for scope, infos in by_module.items():
        namespace = execute_module(module_source(scope, infos), scope.name, Path(scope.path))
        for name, env in namespace["ENVIRONMENTS"].items():
            envs[f"{scope.name}.{name}"] = env
    return Program(envs, result.program)


def execute_module(source: str, name: str, path: Path) -> dict:
    """Run generated source as a module whose `__file__` is the spec, so python
    bindings are looked up next to it."""
    module = types.ModuleType(f"racesdsl_loaded.{name}")
    module.__file__ = str(path)
    exec(compile(source, f"<racesdsl generated from {path.name}>", "exec"), module.__dict__)  # noqa: S102
    return module.__dict__
