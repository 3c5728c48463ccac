"""The grammar itself: LALR without conflicts and without terminal collisions.

Lark's strict mode (it needs `interegular`, in the dev extra) refuses a
grammar whose terminals can match the same text ambiguously, so a new
keyword or literal that shadows another fails here, not in a user's spec."""

from __future__ import annotations

from lark import Lark

from racesdsl.resources import grammar_text


def test_grammar_builds_in_strict_lalr_mode() -> None:
    parser = Lark(grammar_text(), parser="lalr", lexer="contextual", strict=True)
    assert parser.parse("type T = Int[1..2]")
