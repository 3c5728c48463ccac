"""racesdsl: a typed spec language and compiler for composable verifiable RL environments.

`racesdsl.load(path)` checks specs and returns their environments. The import
is lazy so that generated packages, which need only `racesdsl.runtime`, never
pay for the parser."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["SpecError", "__version__", "load"]


def __getattr__(name: str) -> Any:
    if name == "load":
        from racesdsl.loader import load

        return load
    if name == "SpecError":
        from racesdsl.errors import SpecError

        return SpecError
    raise AttributeError(f"module 'racesdsl' has no attribute {name!r}")
