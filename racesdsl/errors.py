"""Exceptions that cross the public API boundary.

User mistakes inside specs are diagnostics, not exceptions; these two cover
what a caller must handle: bad paths/flags (CLI exit 2) and `load()` of a spec
that has errors."""

from __future__ import annotations

from racesdsl.diagnostics import Diagnostic
from racesdsl.runtime.bindings import BindingError

__all__ = ["BindingError", "InputError", "SpecError"]


class InputError(Exception):
    """A path is missing or unreadable, or an argument is malformed."""


class SpecError(Exception):
    """A spec failed to check; `diagnostics` holds every finding."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        first = next((d for d in diagnostics if d.is_error), None)
        summary = f"{first.span}: {first.message} [{first.code}]" if first else "spec has errors"
        more = len([d for d in diagnostics if d.is_error]) - 1
        super().__init__(summary + (f" (and {more} more)" if more > 0 else ""))
