"""Python bindings: `python "module:function"` references imported on first use.

A module's identity is its file. `helpers` next to one spec and `helpers` next
to another are two modules, whatever was imported first: each spec folder is
imported as its own package, `racesdsl_bindings._<digest of the folder>`, so
`helpers.py` in it is the module `racesdsl_bindings._<digest>.helpers`. Inside
such a module an absolute import of a sibling (`import helpers2`) resolves in
the same folder, as it would if the folder were a script's; relative imports
work inside sub-packages. Nothing is added to `sys.path`.

Lookup order for `a.b:fn`: the spec's folder (for a compiled package, the
package's folder), then the stdlib's folder, then `sys.path` (installed
packages, so `"mypkg.rules:fn"` still works when no folder has `mypkg`)."""

from __future__ import annotations

import builtins
import hashlib
import importlib
import importlib.machinery
import os
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

ROOT = "racesdsl_bindings"


class BindingError(ImportError):
    """A `python "module:function"` reference cannot be imported."""


def _stdlib_dir() -> str:
    from racesdsl.resources import stdlib_dir

    return str(stdlib_dir())


def folder_package(folder: str) -> str:
    """The module name a spec folder is imported under: deterministic, one per real path."""
    real = os.path.realpath(folder)
    return f"{ROOT}._{hashlib.sha256(real.encode('utf-8', 'surrogateescape')).hexdigest()[:20]}"


def _has_module(folder: str, dotted: str) -> bool:
    """Whether `folder` holds the module `dotted` as a source file or a regular package
    (a bare directory does not count: it may be data, and on sys.path a namespace
    package yields to every regular module of that name)."""
    base = os.path.join(folder, *dotted.split("."))
    return os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py"))


class _FolderImports:
    """The `__import__` of modules loaded from one folder: absolute imports of
    the folder's own modules stay in the folder, everything else is Python's."""

    def __init__(self, folder: str, package: str) -> None:
        self.folder, self.package = folder, package
        self.local: dict[str, bool] = {}  # top-level name -> found in the folder (imports in functions repeat)
        self.builtins = dict(vars(builtins), __import__=self)

    def __call__(self, name: str, globals: Any = None, locals: Any = None, fromlist: Sequence[str] = (),
                 level: int = 0) -> types.ModuleType:
        if level == 0 and name:
            top = name.partition(".")[0]
            local = self.local.get(top)
            if local is None:
                local = self.local[top] = _has_module(self.folder, top)
            if local:
                return builtins.__import__(name, {"__package__": self.package, "__spec__": None},
                                           locals, fromlist, 1)
        return builtins.__import__(name, globals, locals, fromlist, level)


class _FolderLoader(importlib.machinery.SourceFileLoader):
    """Runs a folder module with the folder's `__import__` (see `_FolderImports`)."""

    def __init__(self, fullname: str, path: str, imports: _FolderImports) -> None:
        super().__init__(fullname, path)
        self.imports = imports

    def exec_module(self, module: types.ModuleType) -> None:
        module.__builtins__ = self.imports.builtins  # type: ignore[attr-defined]
        super().exec_module(module)


class _FolderFinder:
    """A meta path finder (not subclassing importlib.abc, which is slow to import): finds
    the modules below a folder package with Python's own path finder and gives their
    source files the folder's loader."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        parts = fullname.split(".")
        if len(parts) < 3 or parts[0] != ROOT:
            return None
        owner = sys.modules.get(".".join(parts[:2]))
        imports = getattr(owner, "__racesdsl_imports__", None)
        if imports is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            spec.loader = _FolderLoader(fullname, spec.origin, imports)
        return spec


_FINDER = _FolderFinder()


def _package(name: str, path: list[str]) -> types.ModuleType:
    module = types.ModuleType(name, "Python bindings of one spec folder (racesdsl.runtime.bindings).")
    module.__path__ = path
    module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
    module.__spec__.submodule_search_locations = path
    return module


def _ensure_folder(folder: str) -> str:
    """Register the folder's package (once per process and real path) and return its name.
    `setdefault` keeps it safe across threads: every thread ends up with the same objects."""
    name = folder_package(folder)
    if name not in sys.modules:
        sys.modules.setdefault(ROOT, _package(ROOT, []))
        if _FINDER not in sys.meta_path:  # a race inserts it twice, which is harmless
            sys.meta_path.insert(0, _FINDER)
        real = os.path.realpath(folder)
        package = _package(name, [real])
        package.__racesdsl_imports__ = _FolderImports(real, name)  # type: ignore[attr-defined]
        sys.modules.setdefault(name, package)
    return name


def import_module(module_name: str, origin: str) -> types.ModuleType:
    """The module `module_name` as the spec in `origin` sees it (see the module docstring)."""
    for folder in (origin, _stdlib_dir()):
        if _has_module(folder, module_name):
            return importlib.import_module(f"{_ensure_folder(folder)}.{module_name}")
    return importlib.import_module(module_name)


def import_ref(target: str, origin: str) -> Callable[..., Any]:
    """Import `module:function` for a spec whose bindings live in `origin`."""
    module_name, _, func = target.partition(":")
    try:
        fn = getattr(import_module(module_name, origin), func)
    except (ImportError, AttributeError) as exc:
        raise BindingError(f'python "{target}" cannot be loaded (looked in {origin}, the stdlib and '
                           f"sys.path): {exc}") from exc
    except Exception as exc:  # the module itself failed (a SyntaxError, a raise at import): the spec's bug
        raise BindingError(f'python "{target}": importing `{module_name}` raised {type(exc).__name__}: {exc}') \
            from exc
    if not callable(fn):
        raise BindingError(f'python "{target}" is not a function')
    return fn


def accepted_params(fn: Callable[..., Any], params: list[str]) -> tuple[str, ...]:
    """The params a python solver takes: those its signature names (all with **kwargs)."""
    import inspect  # only when a python solver is first called: inspect is slow to import

    try:
        sig = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return ()
    if any(p.kind is p.VAR_KEYWORD for p in sig.values()):
        return tuple(params)
    return tuple(p for p in params if p in sig)
