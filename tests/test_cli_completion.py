"""Shell completion (typer's --install-completion / --show-completion) and `-V`.

Run through the real entry point in a subprocess: completion is an environment-variable
protocol between the shell script and the program, so in-process runners skip it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from racesdsl import __version__
from racesdsl.diagnostics import CODES

REPO = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("_RACESDSL", "_TYPER", "COMP_"))}
    # `python -m racesdsl` would be named `__main__.py`; the console script's name is what shells complete
    code = "import sys; sys.argv[0] = 'racesdsl'; from racesdsl.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env={**base, **env},
                          capture_output=True, text=True, timeout=60)


def complete_bash(line: str, cwd: Path) -> list[str]:
    """What bash gets back for the words of `line` (the last word is the one being completed)."""
    words = line.split(" ")
    res = run(cwd=cwd, _RACESDSL_COMPLETE="complete_bash", COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    assert res.returncode == 0, res.stderr
    return res.stdout.split()


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_short_and_long_version_flags(tmp_path: Path, flag: str) -> None:
    res = run(flag, cwd=tmp_path)
    assert res.returncode == 0
    assert res.stdout == f"racesdsl {__version__}\n"


@pytest.mark.parametrize(("shell", "needle"), [
    ("bash", "complete -o default -F _racesdsl_completion racesdsl"),
    ("zsh", "compdef _racesdsl_completion racesdsl"),
    ("fish", "complete --command racesdsl"),
])
def test_show_completion_prints_the_shells_script(tmp_path: Path, shell: str, needle: str) -> None:
    res = run("--show-completion", shell, cwd=tmp_path, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    assert res.returncode == 0, res.stderr
    assert needle in res.stdout
    assert "_RACESDSL_COMPLETE" in res.stdout


def test_install_completion_writes_the_script_and_sources_it(tmp_path: Path) -> None:
    res = run("--install-completion", "bash", cwd=tmp_path, HOME=str(tmp_path),
              _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    assert res.returncode == 0, res.stderr
    script = tmp_path / ".bash_completions" / "racesdsl.sh"
    assert "_RACESDSL_COMPLETE=complete_bash" in script.read_text(encoding="utf-8")
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text(encoding="utf-8")


def test_commands_and_options_complete(tmp_path: Path) -> None:
    assert complete_bash("racesdsl ch", tmp_path) == ["check"]
    assert set(complete_bash("racesdsl ", tmp_path)) >= {"check", "sample", "explain", "list", "show", "new"}
    assert complete_bash("racesdsl check --format ", tmp_path) == ["full", "concise", "json", "github"]


def test_explain_completes_diagnostic_codes(tmp_path: Path) -> None:
    assert complete_bash("racesdsl explain E03", tmp_path) == sorted(c for c in CODES if c.startswith("E03"))
    assert complete_bash("racesdsl explain W", tmp_path) == sorted(c for c in CODES if c.startswith("W"))


def test_show_completes_stdlib_env_names(tmp_path: Path) -> None:
    names = complete_bash("racesdsl show sort_", tmp_path)
    assert "sort_list" in names and all(n.startswith("sort_") for n in names)
    assert complete_bash("racesdsl show std.lists.take", tmp_path) == ["std.lists.take_first"]
