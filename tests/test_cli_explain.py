"""`racesdsl explain CODE` prints what docs/diagnostics.md says about a code, from the
data file the package ships; `check` points at it once, under its summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from racesdsl.cli import app
from racesdsl.cli.check import explain_hint
from racesdsl.diagnostics import CODES

ROOT = Path(__file__).resolve().parent.parent
DATA = json.loads((ROOT / "racesdsl" / "_data" / "diagnostics.json").read_text(encoding="utf-8"))


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"NO_COLOR": "1"})


@pytest.mark.parametrize("code", sorted(CODES))
def test_explain_prints_the_registry_text_and_the_fixture(code: str) -> None:
    res = invoke("explain", code)
    assert res.exit_code == 0, res.output
    info = CODES[code]
    assert res.stdout.startswith(f"{code}: {info.title}\n\n{info.explanation}\n")
    for example in DATA[code]["examples"]:
        source = (ROOT / example["file"]).read_text(encoding="utf-8")
        assert all(f"    {line}".rstrip() in res.stdout.splitlines() for line in source.splitlines())
    assert "    $ racesdsl check " in res.stdout
    assert f"[{code}]" in res.stdout  # the real `check` output of the fixture


def test_explain_is_case_insensitive() -> None:
    assert invoke("explain", "e0310").stdout == invoke("explain", "E0310").stdout


def test_unknown_code_exits_2_with_a_suggestion() -> None:
    res = invoke("explain", "E0399")
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr.strip() == "racesdsl: no diagnostic code `E0399`; did you mean `E0339`?"


def test_unknown_code_without_a_close_one_points_at_the_index() -> None:
    res = invoke("explain", "banana")
    assert res.exit_code == 2
    assert "`racesdsl explain` lists them all" in res.stderr


def test_explain_without_a_code_lists_every_code_and_title() -> None:
    res = invoke("explain")
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert [line.split()[0] for line in lines] == sorted(CODES)
    assert all(line.endswith(CODES[line.split()[0]].title) for line in lines)


@pytest.mark.parametrize(("codes", "line"), [
    ([], None),
    (["E0310"], "For more information about this error, try `racesdsl explain E0310`."),
    (["E0310", "E0310"], "For more information about this error, try `racesdsl explain E0310`."),
    (["E0202", "E0310"], "For more information about an error, try `racesdsl explain E0202`."),
])
def test_explain_hint_names_the_first_error(codes: list[str], line: str | None) -> None:
    assert explain_hint(codes) == line


def _check(tmp_path: Path, text: str, *flags: str):
    (tmp_path / "spec.races").write_text(text, encoding="utf-8")
    return CliRunner().invoke(app, ["check", *flags, str(tmp_path / "spec.races")], env={"NO_COLOR": "1"})


UNKNOWN_NAME = 'env a "A." {\n    input x: Int[0..9]\n    output Int[0..9]\n    prompt """{{ x }}"""\n    solve y\n}\n'


@pytest.mark.parametrize("fmt", ["full", "concise"])
def test_check_mentions_explain_once_under_the_summary(tmp_path: Path, fmt: str) -> None:
    res = _check(tmp_path, UNKNOWN_NAME, "--format", fmt)
    assert res.exit_code == 1
    *_, summary, hint = res.stdout.splitlines()
    assert summary == "Found 1 error in 1 file"
    assert hint == "For more information about this error, try `racesdsl explain E0501`."
    assert res.stdout.count("racesdsl explain") == 1


@pytest.mark.parametrize("fmt", ["json", "github"])
def test_machine_formats_have_no_hint(tmp_path: Path, fmt: str) -> None:
    res = _check(tmp_path, UNKNOWN_NAME, "--format", fmt)
    assert res.exit_code == 1 and "E0501" in res.stdout
    assert "explain" not in res.stdout


def test_warnings_alone_get_no_hint(tmp_path: Path) -> None:
    res = _check(tmp_path, "use std.lists.{sort_list, total}\ncompose twice = seq(sort_list, sort_list)\n")
    assert res.exit_code == 0
    assert res.stdout.splitlines()[-1] == "Found 1 warning in 1 file"
