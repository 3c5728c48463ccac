"""Hostile text in diagnostics (issue 12, findings 15 and 16): a file name or spec
text echoed by `check` can neither inject GitHub workflow commands nor send
escape sequences to the terminal, in any output format, and the caret still
points at the right characters."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from racesdsl.diagnostics import error, render_concise, render_full, render_github, render_json, visible
from racesdsl.syntax.spans import Span

REPO = Path(__file__).resolve().parent.parent
# Every character a terminal may act on; `\n` only separates lines of the output itself.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
HOSTILE = "\x1b[2J\x1b]0;title\x07\r\n::set-env name=X::1\u202e\x85\x9b31m\ud800\x00%,:"


def github_unescape(text: str) -> str:
    """What GitHub's runner makes of an escaped property or message."""
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def racesdsl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("RACESDSL_FAULT_INJECTION", None)
    return subprocess.run([sys.executable, "-m", "racesdsl", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_github_escapes_properties_and_messages_as_github_documents() -> None:
    file = "a,b:c%\n::error file=x.races::pwned\r.races"
    d = error("E0101", "bad\n::warning::injected 100%", Span(file, 1, 2, 1, 3), "try `a,b`")
    line = render_github(d)
    assert "\n" not in line and "\r" not in line
    head, _, message = line.partition("::error ")[2].partition("::")
    props = dict(p.split("=", 1) for p in head.split(","))  # no raw `,` or `:` inside a property
    assert list(props) == ["file", "line", "col", "endLine", "endColumn", "title"]
    assert github_unescape(props["file"]) == file and props["title"] == "E0101"
    assert github_unescape(message) == "bad\n::warning::injected 100% (help: try `a,b`)"


def test_a_file_name_with_a_newline_gives_one_annotation(tmp_path: Path) -> None:
    """End to end: the file name (not an identifier, E0106) cannot start a second workflow command."""
    (tmp_path / "x\n::warning file=y.races::pwned.races").write_text("", encoding="utf-8")
    res = racesdsl("check", "--format", "github", ".", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    lines = res.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("::error file=") and "title=E0106" in lines[0], lines


def test_spec_text_with_escape_sequences_is_shown_not_obeyed(tmp_path: Path) -> None:
    spec = ('env e "x\x1b[31mred" {\n    input x: Int[0..9]\n    output Int[0..99]\n'
            '    prompt """{{ x }} \x1b[2J\x9b1m {{ nope }}"""\n    solve x\n}\nenv \x1b[1m\n')
    (tmp_path / "esc.races").write_text(spec, encoding="utf-8")
    for fmt in ("full", "concise", "json", "github"):
        res = racesdsl("check", "--format", fmt, "esc.races", cwd=tmp_path)
        assert res.returncode == 1, res.stderr
        assert not UNSAFE.search(res.stdout + res.stderr), (fmt, res.stdout)
        assert "\\x1b" in res.stdout or "\\u001b" in res.stdout, (fmt, res.stdout)
    full = racesdsl("check", "esc.races", cwd=tmp_path).stdout
    assert "unexpected character `\\x1b`" in full


@settings(max_examples=200, deadline=None)
@given(before=st.text(max_size=30), target=st.text(min_size=1, max_size=8), after=st.text(max_size=30),
       file=st.text(max_size=20), message=st.text(max_size=40))
def test_rendered_diagnostics_are_safe_and_the_caret_stays_aligned(before: str, target: str, after: str,
                                                                    file: str, message: str) -> None:
    line = (before + target + after + ".").replace("\n", " ")
    before, target = before.replace("\n", " "), target.replace("\n", " ")
    col = len(before) + 1
    d = error("E0101", message, Span(file, 2, col, 2, col + len(target)), message, message)
    full = render_full(d, {file: f"first line\n{line}\nlast line"})
    for text in (full, render_concise(d), render_github(d)):
        assert not UNSAFE.search(text)
        text.encode("utf-8")
    shown = full.split("\n")[1:3]
    src, carets = (row.split("| ", 1)[1] for row in shown)
    shown_before = visible(before.expandtabs(1))
    assert src.startswith(shown_before)
    assert carets == " " * len(shown_before) + "^" * len(visible(target.expandtabs(1)))
    assert "\n" not in render_github(d) and "\r" not in render_github(d)
    raw = render_json([d])
    assert not UNSAFE.search(raw)
    (row,) = json.loads(raw)
    assert (row["file"], row["message"], row["help"], row["notes"]) == (file, message, message, [message])


def test_visible_keeps_tabs_and_ordinary_text() -> None:
    assert visible("a\tb é 日本 \\x1b") == "a\tb é 日本 \\x1b"
    assert visible(HOSTILE) == ("\\x1b[2J\\x1b]0;title\\x07\\x0d\\x0a::set-env name=X::1\\u202e\\x85\\x9b31m"
                                "\\ud800\\x00%,:")


def test_error_messages_quoting_paths_show_control_characters(tmp_path: Path) -> None:
    res = racesdsl("check", "x\x1b]0;pwned\x07.races", cwd=tmp_path)
    assert res.returncode == 2
    assert "\x1b" not in res.stderr and "\\x1b]0;pwned\\x07.races" in res.stderr, res.stderr
