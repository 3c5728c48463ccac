"""The bounds a template render runs under, and the error it ends in: kept
apart from the jinja2 machinery (racesdsl.runtime.template_budget) so that
importing an environment, or `check` reading the bounds, loads no jinja2."""

from __future__ import annotations

from typing import Any

from racesdsl.runtime.values import SamplingError

MAX_OPS = 250_000  # operations per render: under a second of the cheapest ones
CALL_COST = 10  # a call or filter costs this many operations (a macro call is 10-30x a loop step)
MAX_SIZE = 1_000_000  # characters or items of any one value, and of the rendered text
MAX_INT_BITS = 65_536  # an integer a template computes (about 20,000 digits)
MAX_RANGE = 100_000  # jinja2's sandbox refuses longer ranges (its MAX_RANGE); `check` knows the same bound
CHARS_PER_OP = 8
MAX_BLOCK_DEPTH = 16  # nested {% for %}/{% if %}/... blocks: the compiled template allows about 20
MAX_TEMPLATE_CHARS = 65_536  # template source `check` parses: jinja2's parser takes ~1 s per 200 KB


class TemplateError(SamplingError):
    """A prompt or step template failed to render or went over its budget: a spec bug
    (the CLI exits 1, as for any other sampling error)."""

    def at(self, seed: int, params: dict[str, Any]) -> TemplateError:
        """The same error, saying which instance hit it."""
        return TemplateError(f"{self} (seed {seed}, params {params})")


class BudgetExceeded(TemplateError):
    """The render went over one of the bounds above."""


