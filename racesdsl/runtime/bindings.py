"""Python bindings: `python "module:function"` references imported on first use."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


class BindingError(ImportError):
    """A `python "module:function"` reference cannot be imported."""


def _stdlib_dir() -> str:
    from racesdsl.resources import stdlib_dir

    return str(stdlib_dir())


def import_ref(target: str, origin: str) -> Callable[..., Any]:
    """Import `module:function` from sys.path, then `origin` (the spec's folder or a
    generated package's) and the stdlib's folder. The extra folders are appended, so
    they can never shadow an installed module."""
    module_name, _, func = target.partition(":")
    for extra in (origin, _stdlib_dir()):
        if extra not in sys.path:
            sys.path.append(extra)
    try:
        fn = getattr(importlib.import_module(module_name), func)
    except (ImportError, AttributeError) as exc:
        raise BindingError(f'python "{target}" cannot be loaded (looked in sys.path and {origin}): {exc}') from exc
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
