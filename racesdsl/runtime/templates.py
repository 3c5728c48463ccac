"""Template rendering at run time: the sandboxed jinja2 environment and the
filters prompts may use. The checker parses with this same environment, so
what `check` accepts is exactly what renders."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment


def _default(value: Any) -> Any:
    """JSON has no sets: emit them sorted so output does not depend on hashing."""
    if isinstance(value, set | frozenset):
        try:
            return sorted(value)
        except TypeError:
            return sorted(value, key=repr)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class Symbol(str):
    """A value described in words ("the list you obtained in step 1"): composed
    prompts pass these for inputs fed by an earlier step. Every runtime filter
    prints a Symbol as its words."""


def _symbolic(fn: Callable[[Any], str]) -> Callable[[Any], str]:
    def wrapped(value: Any) -> str:
        return str.__str__(value) if isinstance(value, Symbol) else fn(value)

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


def _json(value: Any) -> str:
    """Compact one-line JSON (tuples become lists, key order kept)."""
    return json.dumps(value, sort_keys=False, separators=(", ", ": "), ensure_ascii=False, default=_default)


def _pretty(value: Any) -> str:
    """Multi-line JSON for records and nested lists the model should read easily."""
    return json.dumps(value, sort_keys=False, indent=2, ensure_ascii=False, default=_default)


def _item(value: Any) -> str:
    """One element as text: strings bare, containers as JSON, scalars via `str`."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple | dict | set | frozenset):
        return _json(value)
    return str(value)


def _listing(values: Any) -> str:
    """`[1, 2, 3]` as `1, 2, 3`."""
    return ", ".join(_item(v) for v in values)


def _bullets(values: Any) -> str:
    """One `- item` per line, no trailing newline."""
    return "\n".join(f"- {_item(v)}" for v in values)


RUNTIME_FILTERS: Mapping[str, Callable[[Any], str]] = MappingProxyType(
    {name: _symbolic(fn) for name, fn in
     {"json": _json, "listing": _listing, "bullets": _bullets, "pretty": _pretty}.items()}
)


def runtime_filters() -> dict[str, Callable[[Any], str]]:
    """A fresh copy of the filter table, for registering on an environment."""
    return dict(RUNTIME_FILTERS)


def template_environment() -> SandboxedEnvironment:
    """The environment the runtime renders in; the checker parses with the same settings.
    jinja2 is imported here, on first use, to keep `import <generated package>` fast."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters.update(runtime_filters())
    return env




def compile_template(text: str) -> Callable[..., str]:
    """A template's `render`, compiled once (rendering is on the per-instance path)."""
    return fast_renderer(text) or template_environment().from_string(text).render


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def fast_renderer(text: str) -> Callable[[Mapping[str, Any]], str] | None:
    """For a template made only of text and `{{ name }}`, a `str.format_map` renderer
    that skips jinja's per-call context (it dominates sampling otherwise); None when
    the template uses anything more. Both print a value with `str()`."""
    pieces = _PLACEHOLDER.split(text)
    literals, names = pieces[0::2], pieces[1::2]
    if any(mark in lit for lit in literals for mark in ("{{", "{%", "{#", "}}", "%}", "#}")):
        return None
    escaped = [lit.replace("{", "{{").replace("}", "}}") for lit in literals]
    fmt = escaped[0] + "".join(f"{{{name}}}{lit}" for name, lit in zip(names, escaped[1:], strict=True))
    return fmt.format_map
