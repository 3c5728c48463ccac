"""Public entry points check their argument types (typeguard), so a caller's
mistake is a clear TypeCheckError at the boundary, not a failure deep inside."""

from __future__ import annotations

import pytest
from typeguard import TypeCheckError

import racesdsl
from racesdsl.check.pipeline import check_paths, check_text
from racesdsl.syntax.parser import parse_text


@pytest.mark.parametrize("call", [
    lambda: check_paths(123),
    lambda: check_text(b"env e {}"),
    lambda: parse_text(None),
    lambda: racesdsl.load(5),
])
def test_wrong_argument_types_are_rejected_at_the_boundary(call) -> None:
    with pytest.raises(TypeCheckError):
        call()


def test_lazy_top_level_api() -> None:
    assert callable(racesdsl.load)
    assert issubclass(racesdsl.SpecError, Exception)
    with pytest.raises(AttributeError):
        racesdsl.no_such_thing  # noqa: B018
