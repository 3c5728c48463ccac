"""Environments pickle by reference: the way to find them again, not their state.

An env holds compiled templates, imported python bindings and caches, none of
which should cross a process boundary. So a pickle records where the env
comes from and the unpickling process rebuilds it from there:

- an env from `racesdsl.load()` carries `pickle_ref`, set by the loader (the
  spec paths, the search path, a digest of the spec text and the qualified
  name); the unpickling process loads those specs once and reuses them;
- an env of a compiled package pickles as (package, qualified name) and is
  found again with the package's `get()`.

Pickles are small and deterministic (the same bytes in every process), so
`datasets` fingerprints an env the same way in every run."""

from __future__ import annotations

import importlib
import sys
from typing import Any


def reduce_env(env: Any) -> tuple:
    """`__reduce__` for `Environment` and `Composite`."""
    if env.pickle_ref is not None:
        return env.pickle_ref
    package = _package_of(env)
    if package is None:
        import pickle  # only on this error path: importing a compiled package stays cheap

        raise pickle.PicklingError(f"{env.qualname}: only environments from racesdsl.load() or from a compiled "
                                   "package can be pickled (they pickle by reference)")
    return from_package, (package, env.qualname)


def from_package(package: str, qualname: str) -> Any:
    """Unpickle an env of a compiled package (imported on first use, as `get()` does)."""
    return importlib.import_module(package).get(qualname)


def _package_of(env: Any) -> str | None:
    """The compiled package an env was generated into, found through a base env's module."""
    base = env
    while hasattr(base, "stages"):  # a composite: its first base env lives in the same package
        if not base.stages:
            return None
        base = base.stages[0].env
    module_name = getattr(base.types, "__module__", None) or ""
    module = sys.modules.get(module_name)
    if module is None or getattr(module, "ENVIRONMENTS", {}).get(base.name) is not base:
        return None
    package = module_name.rpartition(".")[0]
    return package if package and callable(getattr(sys.modules.get(package), "get", None)) else None
