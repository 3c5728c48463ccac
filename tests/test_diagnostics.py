"""Diagnostics fixtures, mypy style: every registry code has a fixture under
tests/diagnostics/ (a file CODE.races or a folder CODE/) and the expected
rendered output beside it in CODE.expected. docs/diagnostics.md is generated
from the registry and the fixtures, so it can never drift from them: each
console block is what `racesdsl check FIXTURE` prints, summary line included
(tests/test_docs_examples.py runs every block's command to prove it).
racesdsl/_data/diagnostics.json holds the same entries for `racesdsl explain`,
which the wheel ships (it has no docs/).

Run with UPDATE_GOLDEN=1 to rewrite the expectations, the docs page and the data file."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pytest

from racesdsl.check.pipeline import check_paths
from racesdsl.diagnostics import CODES, render_full

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "diagnostics"
DOCS = ROOT / "docs" / "diagnostics.md"
EXPLAIN_DATA = ROOT / "racesdsl" / "_data" / "diagnostics.json"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def fixture_path(code: str) -> Path:
    folder = FIXTURES / code
    return folder if folder.is_dir() else FIXTURES / f"{code}.races"


def render(code: str) -> str:
    """Check a fixture from the repo root so displayed paths are stable."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = check_paths([fixture_path(code).relative_to(ROOT)])
    finally:
        os.chdir(cwd)
    return "\n".join(render_full(d, result.sources) for d in result.diagnostics) + "\n"


@pytest.mark.parametrize("code", sorted(CODES))
def test_fixture_reports_its_code(code: str) -> None:
    assert fixture_path(code).exists(), f"{code} has no fixture in tests/diagnostics/"
    out = render(code)
    assert f"[{code}]" in out, f"fixture for {code} does not produce it:\n{out}"
    expected = FIXTURES / f"{code}.expected"
    if UPDATE:
        expected.write_text(out, encoding="utf-8")
    assert expected.exists(), f"run UPDATE_GOLDEN=1 to create {expected.name}"
    assert out == expected.read_text(encoding="utf-8")


def test_no_fixture_without_a_code() -> None:
    names = {p.name.split(".")[0] for p in FIXTURES.iterdir()}
    assert names <= set(CODES), f"fixtures for unknown codes: {sorted(names - set(CODES))}"


def cli_check(code: str) -> str:
    """What `racesdsl check FIXTURE` prints from the repo root, without colour: the real
    command (in process, for speed), so the page shows the full output."""
    from typer.testing import CliRunner

    from racesdsl.cli import app

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(app, ["check", str(fixture_path(code).relative_to(ROOT))], env={"NO_COLOR": "1"})
    finally:
        os.chdir(cwd)
    assert result.exit_code in (0, 1), f"check of the {code} fixture exited {result.exit_code}: {result.output}"
    return result.stdout


@functools.cache
def entries() -> tuple[dict[str, object], ...]:
    """What the docs page and `racesdsl explain` say about each code, in code order."""
    out = []
    for code in sorted(CODES):
        info = CODES[code]
        path = fixture_path(code)
        files = sorted(path.glob("*.races")) if path.is_dir() else [path]
        out.append({
            "code": code,
            "title": info.title,
            "explanation": info.explanation,
            "examples": [{"file": f.relative_to(ROOT).as_posix(), "source": f.read_text(encoding="utf-8").rstrip() + "\n"}
                         for f in files],
            "command": "racesdsl check " + path.relative_to(ROOT).as_posix(),
            "output": cli_check(code).rstrip() + "\n",
        })
    return tuple(out)


def explain_data() -> str:
    return json.dumps({e["code"]: e for e in entries()}, indent=1, ensure_ascii=False) + "\n"


def docs_page() -> str:
    parts = [
        "# Diagnostics\n",
        "Every diagnostic `racesdsl check` can report, with its stable code, what it means and a",
        "minimal example taken from the test fixtures (`tests/diagnostics/`). Codes are grouped:",
        "`E01xx` syntax, `E02xx` names and imports, `E03xx` types and fusion, `E04xx` templates,",
        "`E05xx` expressions, `W` warnings. Errors make `check` exit 1; warnings alone do not.",
        "`racesdsl explain CODE` prints a code's section in the terminal.",
        "",
        "This page is generated from the registry in `racesdsl/diagnostics.py` and the fixtures",
        "(`UPDATE_GOLDEN=1 pytest tests/test_diagnostics.py` rewrites it).",
        "",
    ]
    for e in entries():
        parts.append(f"## {e['code']}: {e['title']}\n")
        parts.append(f"{e['explanation']}\n")
        for ex in e["examples"]:
            parts.append(f"`{ex['file']}`:\n")
            parts.append("```races\n" + ex["source"] + "```\n")
        parts.append(f"```console\n$ {e['command']}\n{e['output']}```\n")
    return "\n".join(parts)


def test_docs_page_lists_every_code_with_its_fixture() -> None:
    page = docs_page()
    if UPDATE:
        DOCS.parent.mkdir(exist_ok=True)
        DOCS.write_text(page, encoding="utf-8")
    assert DOCS.exists(), "run UPDATE_GOLDEN=1 pytest tests/test_diagnostics.py"
    text = DOCS.read_text(encoding="utf-8")
    for code in CODES:
        assert f"## {code}:" in text, f"{code} missing from docs/diagnostics.md"
    assert text == page, "docs/diagnostics.md is stale: UPDATE_GOLDEN=1 pytest tests/test_diagnostics.py"


def test_explain_data_is_the_docs_page_data() -> None:
    """`racesdsl explain` reads this file from the installed package: it must say what the page says."""
    data = explain_data()
    if UPDATE:
        EXPLAIN_DATA.parent.mkdir(exist_ok=True)
        EXPLAIN_DATA.write_text(data, encoding="utf-8")
    assert EXPLAIN_DATA.exists(), "run UPDATE_GOLDEN=1 pytest tests/test_diagnostics.py"
    assert set(json.loads(EXPLAIN_DATA.read_text(encoding="utf-8"))) == set(CODES)
    assert EXPLAIN_DATA.read_text(encoding="utf-8") == data, (
        "racesdsl/_data/diagnostics.json is stale: UPDATE_GOLDEN=1 pytest tests/test_diagnostics.py")
