"""`racesdsl fmt -`: standard input to standard output, for editors and pipes."""

from __future__ import annotations

import os
import subprocess
import sys

from test_fmt import MESSY, TIDY


def fmt_stdin(*args: str, text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "racesdsl", "fmt", *args], input=text, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})


def test_stdin_is_formatted_to_stdout() -> None:
    run = fmt_stdin("-", text=MESSY)
    assert (run.returncode, run.stdout, run.stderr) == (0, TIDY, "")
    assert fmt_stdin("-", text=TIDY).stdout == TIDY


def test_check_on_stdin_prints_nothing_and_exits_1_only_when_the_text_would_change() -> None:
    would = fmt_stdin("--check", "-", text=MESSY)
    assert (would.returncode, would.stdout) == (1, "")
    assert fmt_stdin("--check", "-", text=TIDY).returncode == 0


def test_diff_on_stdin_names_stdin() -> None:
    run = fmt_stdin("--diff", "-", text=MESSY)
    assert run.returncode == 1
    assert run.stdout.startswith("--- <stdin>\n+++ <stdin>\n")


def test_a_syntax_error_on_stdin_is_a_diagnostic_and_exit_1() -> None:
    run = fmt_stdin("-", text='env broken {\n  input x: Int[\n')
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr.startswith("<stdin>:2:15: error: unexpected end of file [E0101]")
    assert "Traceback" not in run.stderr


def test_stdin_cannot_be_mixed_with_paths_and_bad_bytes_exit_2() -> None:
    assert fmt_stdin("-", "specs", text=TIDY).returncode == 2
    run = subprocess.run([sys.executable, "-m", "racesdsl", "fmt", "-"], input=b"\xff\xfe", capture_output=True,
                         timeout=120)
    assert run.returncode == 2 and b"cannot read" in run.stderr and b"Traceback" not in run.stderr
