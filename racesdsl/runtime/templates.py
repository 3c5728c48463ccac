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
    from racesdsl.runtime.template_budget import BudgetedEnvironment


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


def template_environment() -> BudgetedEnvironment:
    """The environment the runtime renders in; the checker parses with the same settings.
    jinja2 is imported here, on first use, to keep `import <generated package>` fast.

    Besides the budget (racesdsl.runtime.template_budget), two jinja2 defaults go:
    the `lipsum` global and the `random` filter draw from the process-wide random
    state, so a prompt using them would differ from run to run."""
    from jinja2 import StrictUndefined

    from racesdsl.runtime.template_budget import BudgetedEnvironment

    env = BudgetedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
                              optimized=False)
    env.globals.pop("lipsum", None)
    env.filters.pop("random", None)
    env.filters.update(runtime_filters())
    env.guard_filters()
    return env


def compile_template(text: str, where: str = "the template") -> Callable[[Mapping[str, Any]], str]:
    """A template's renderer, compiled once (rendering is on the per-instance path).
    Any failure while rendering, the budget's included, raises TemplateError naming `where`."""
    fast = fast_renderer(text)
    if fast is not None:
        return fast
    from racesdsl.runtime.template_limits import MAX_SIZE, TemplateError

    try:
        tpl = template_environment().from_string(text)
    except Exception as exc:  # `check` rejects what does not compile; stay a spec error regardless
        raise TemplateError(f"{where} does not compile: {type(exc).__name__}: {exc}") from None
    run = tpl.root_render_func

    def render(values: Mapping[str, Any]) -> str:
        try:
            out = "".join(run(tpl.new_context(values)))
        except TemplateError as exc:
            raise TemplateError(f"{where}: {exc}") from None
        except Exception as exc:  # whatever the template did wrong, it is the spec's bug
            raise TemplateError(f"{where} failed: {type(exc).__name__}: {exc}") from None
        if len(out) > MAX_SIZE:
            raise TemplateError(f"{where} renders {len(out):,} characters, over the limit of {MAX_SIZE:,}")
        return out

    return render


# Names jinja2 gives a meaning of its own (`{{ self }}`, a global): rendered by jinja2, which
# reports them properly when they are not a value passed in.
_JINJA_NAMES = frozenset({"self", "loop", "caller", "varargs", "kwargs", "range", "dict", "cycler",
                          "joiner", "namespace", "lipsum"})
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def fast_renderer(text: str) -> Callable[[Mapping[str, Any]], str] | None:
    """For a template made only of text and `{{ name }}`, a `str.format_map` renderer
    that skips jinja's per-call context (it dominates sampling otherwise); None when
    the template uses anything more. Both print a value with `str()`."""
    pieces = _PLACEHOLDER.split(text)
    literals, names = pieces[0::2], pieces[1::2]
    if _JINJA_NAMES.intersection(names) or any(mark in lit for lit in literals for mark in ("{{", "{%", "{#", "}}", "%}", "#}")):
        return None
    escaped = [lit.replace("{", "{{").replace("}", "}}") for lit in literals]
    fmt = escaped[0] + "".join(f"{{{name}}}{lit}" for name, lit in zip(names, escaped[1:], strict=True))
    return fmt.format_map
