"""Bad input never gives a traceback: random and mutated spec text going
through the whole checker yields diagnostics (or success), nothing else."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from racesdsl.check.pipeline import check_text
from racesdsl.diagnostics import CODES

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted(p.read_text(encoding="utf-8") for d in ("specs", "tests/fixtures", "tests/diagnostics")
                for p in (ROOT / d).rglob("*.races"))
TOKENS = ["env", "compose", "seq(", "par(", "select(", ";", "distractors:", "{", "}", "[", "]", "(", ")",
          "..", "len=", "Int", "List[", "\"\"\"", "\"", "{{", "}}", "{%", "=", ",", "input", "output",
          "param", "solve", "where", "prompt", "use", "std.lists", "-", "**", "1e999", "\\", "\x00", "é"]


def assert_only_diagnostics(text: str) -> None:
    result = check_text(text)
    for d in result.diagnostics:
        assert d.code in CODES and d.span.line >= 1 and d.message


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["delete", "insert", "token", "swap"]))
        if kind == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 12)):]
        elif kind == "insert":
            text = text[:pos] + draw(st.text(max_size=6)) + text[pos:]
        elif kind == "token":
            text = text[:pos] + draw(st.sampled_from(TOKENS)) + text[pos:]
        else:
            other = draw(st.integers(0, len(text)))
            a, b = sorted((pos, other))
            text = text[:a] + text[b:] + text[a:b]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_specs_give_only_diagnostics(text: str) -> None:
    assert_only_diagnostics(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_random_text_gives_only_diagnostics(text: str) -> None:
    assert_only_diagnostics(text)


def test_corpus_is_not_empty() -> None:
    assert len(CORPUS) >= 40
