"""End-to-end tests of the `racesdsl` command, run in a subprocess exactly as a
user types it, plus a test that keeps README.md's tour true."""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from racesdsl.cli.check import summary_line

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
ESC = "\x1b"

CLEAN_SPEC = '''\
type Small = Int[-99..99]

env sort_list "Sort a list of integers in ascending order." {
    param n: Int[2..12] = 6
    input xs: List[Small, len=n]
    output List[Small, len=n]
    prompt """Sort this list in ascending order: {{ xs }}"""
    solve sorted(xs)
}

env total "Sum of a list of integers." {
    input xs: List[Small, len=1..12]
    output Int[-1188..1188]
    prompt """What is the sum of {{ xs }}?"""
    solve sum(xs)
}

compose sorted_sum = seq(sort_list, total)
'''

# `total` gives an Int, `sort_list` wants a list: an illegal fusion.
BAD_SPEC = CLEAN_SPEC.replace("seq(sort_list, total)", "seq(total, sort_list)")


def _console_script() -> Path | None:
    """The `racesdsl` script installed beside this interpreter, if any (never another install's)."""
    script = Path(sys.executable).parent / "racesdsl"
    return script if script.exists() else None


def user_env(**extra: str) -> dict[str, str]:
    """The caller's environment without knobs that change output, and with this checkout importable."""
    env = dict(os.environ)
    for var in ("NO_COLOR", "FORCE_COLOR", "RACESDSL_FAULT_INJECTION", "TERM"):
        env.pop(var, None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def racesdsl(*args: str, cwd: Path, env: dict[str, str] | None = None,
             entry: str = "module") -> subprocess.CompletedProcess[str]:
    if entry == "module":
        cmd = [sys.executable, "-m", "racesdsl", *args]
    else:
        script = _console_script()
        assert script is not None
        cmd = [str(script), *args]
    return subprocess.run(cmd, cwd=cwd, env=env or user_env(), capture_output=True, text=True, timeout=120)


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    (tmp_path / "clean.races").write_text(CLEAN_SPEC, encoding="utf-8")
    (tmp_path / "bad.races").write_text(BAD_SPEC, encoding="utf-8")
    return tmp_path


ENTRIES = ["module", pytest.param("script", marks=pytest.mark.skipif(
    _console_script() is None, reason="no `racesdsl` console script beside this interpreter"))]


# ------------------------------------------------------------------ exit 0 / 1


@pytest.mark.parametrize("entry", ENTRIES)
def test_clean_spec_exits_0_with_success_summary(specs: Path, entry: str) -> None:
    res = racesdsl("check", "clean.races", cwd=specs, entry=entry)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.strip().splitlines()[-1] == "Success: no issues found in 1 file"
    assert res.stderr == ""


@pytest.mark.parametrize("entry", ENTRIES)
def test_illegal_fusion_exits_1_with_code_and_caret(specs: Path, entry: str) -> None:
    res = racesdsl("check", "bad.races", cwd=specs, entry=entry)
    assert res.returncode == 1, res.stdout + res.stderr
    assert re.search(r"^bad\.races:\d+:\d+: error: .*\[E0310\]$", res.stdout, re.M), res.stdout
    assert "^" in res.stdout
    assert re.search(r"^Found \d+ errors? in 1 file$", res.stdout, re.M), res.stdout


def test_folder_checks_every_races_file_and_counts_them(specs: Path) -> None:
    res = racesdsl("check", ".", cwd=specs)
    assert res.returncode == 1
    summary, hint = res.stdout.rstrip().splitlines()[-2:]
    assert summary.endswith("in 2 files")
    assert hint == "For more information about this error, try `racesdsl explain E0310`."
    assert "[E0" in res.stdout


def test_concise_is_one_line_per_diagnostic_then_summary(specs: Path) -> None:
    res = racesdsl("check", "--format", "concise", "bad.races", "clean.races", cwd=specs)
    assert res.returncode == 1
    *diags, summary, hint = res.stdout.splitlines()
    assert diags and all(re.match(r"^\S+\.races:\d+:\d+: (error|warning): .* \[[EW]\d{4}\]$", d) for d in diags)
    assert summary.startswith("Found ") and summary.endswith(" in 2 files")
    assert hint.startswith("For more information about ") and "racesdsl explain E" in hint


def test_json_is_only_a_parseable_array_with_stable_keys(specs: Path) -> None:
    res = racesdsl("check", "--format", "json", "bad.races", cwd=specs)
    assert res.returncode == 1
    rows = json.loads(res.stdout)
    assert isinstance(rows, list) and rows
    for row in rows:
        assert {"file", "line", "col", "severity", "code", "message"} <= row.keys()
    assert any(r["code"] == "E0310" and r["file"] == "bad.races" for r in rows)


def test_json_of_clean_spec_is_empty_array(specs: Path) -> None:
    res = racesdsl("check", "-f", "json", "clean.races", cwd=specs)
    assert res.returncode == 0
    assert json.loads(res.stdout) == []


def test_github_format_emits_workflow_commands(specs: Path) -> None:
    res = racesdsl("check", "--format", "github", "bad.races", cwd=specs)
    assert res.returncode == 1
    lines = res.stdout.splitlines()
    assert lines and all(line.startswith(("::error file=", "::warning file=")) for line in lines)
    assert any(line.startswith("::error file=bad.races,") and "title=E0310" in line for line in lines)


# ------------------------------------------------------------------ exit 2


def _assert_usage_error(res: subprocess.CompletedProcess[str]) -> None:
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr.strip()
    assert "Traceback" not in res.stderr


def test_missing_file_exits_2(specs: Path) -> None:
    res = racesdsl("check", "nowhere.races", cwd=specs)
    _assert_usage_error(res)
    assert "nowhere.races" in res.stderr


def test_non_races_file_exits_2(specs: Path) -> None:
    (specs / "notes.txt").write_text("not a spec\n")
    res = racesdsl("check", "notes.txt", cwd=specs)
    _assert_usage_error(res)
    assert "notes.txt" in res.stderr


def test_undecodable_file_exits_2(specs: Path) -> None:
    (specs / "latin1.races").write_bytes("type Caf\u00e9 = Int[1..2]\n".encode("latin-1"))
    res = racesdsl("check", "latin1.races", cwd=specs)
    _assert_usage_error(res)
    assert "latin1.races" in res.stderr


def test_folder_without_specs_exits_2(specs: Path) -> None:
    (specs / "empty").mkdir()
    _assert_usage_error(racesdsl("check", "empty", cwd=specs))


def test_unknown_flag_exits_2(specs: Path) -> None:
    _assert_usage_error(racesdsl("check", "--frobnicate", "clean.races", cwd=specs))


def test_bad_format_value_exits_2(specs: Path) -> None:
    res = racesdsl("check", "--format", "xml", "clean.races", cwd=specs)
    _assert_usage_error(res)
    assert "xml" in res.stderr


def test_missing_search_path_folder_exits_2(specs: Path) -> None:
    _assert_usage_error(racesdsl("check", "--path", "no_such_dir", "clean.races", cwd=specs))


def test_no_arguments_shows_usage_and_exits_2(specs: Path) -> None:
    res = racesdsl("check", cwd=specs)
    _assert_usage_error(res)
    assert "Usage:" in res.stderr


# ------------------------------------------------------------------ exit 3


def test_internal_error_exits_3_without_traceback(specs: Path) -> None:
    res = racesdsl("check", "clean.races", cwd=specs, env=user_env(RACESDSL_FAULT_INJECTION="internal"))
    assert res.returncode == 3
    assert "racesdsl: internal error:" in res.stderr
    assert "this is a bug" in res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout == ""


def test_internal_error_with_debug_shows_traceback(specs: Path) -> None:
    res = racesdsl("check", "--debug", "clean.races", cwd=specs,
                   env=user_env(RACESDSL_FAULT_INJECTION="internal"))
    assert res.returncode == 3
    assert "Traceback (most recent call last)" in res.stderr
    assert "this is a bug" in res.stderr


# ------------------------------------------------------------------ color


def _run_on_tty(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run with stdout on a pseudo-terminal, as a person at a shell would see it."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "racesdsl", *args], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = proc.wait(timeout=120)
    assert proc.stderr is not None
    proc.stderr.close()
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_terminal_output_is_colored(specs: Path) -> None:
    code, out = _run_on_tty(["check", "bad.races"], specs, user_env(TERM="xterm"))
    assert code == 1
    assert ESC in out


@pytest.mark.parametrize("value", ["1", "0", "false", "yes"])
def test_no_color_set_to_anything_disables_color_on_a_terminal(specs: Path, value: str) -> None:
    code, out = _run_on_tty(["check", "bad.races"], specs, user_env(TERM="xterm", NO_COLOR=value))
    assert code == 1
    assert "E0310" in out
    assert ESC not in out


def test_empty_no_color_does_not_disable_color(specs: Path) -> None:
    # no-color.org: "when present and not an empty string".
    code, out = _run_on_tty(["check", "bad.races"], specs, user_env(TERM="xterm", NO_COLOR=""))
    assert code == 1
    assert ESC in out


@pytest.mark.parametrize("fmt", ["full", "concise", "json", "github"])
def test_piped_output_has_no_escape_bytes(specs: Path, fmt: str) -> None:
    res = racesdsl("check", "--format", fmt, "bad.races", "clean.races", cwd=specs,
                   env=user_env(TERM="xterm"))
    assert res.returncode == 1
    assert ESC not in res.stdout and ESC not in res.stderr


# ------------------------------------------------------------------ startup


def test_help_does_not_import_the_checker(tmp_path: Path) -> None:
    """`--help` must stay fast: the parser and checker load only when a command runs."""
    probe = (
        "import sys\n"
        "sys.argv = ['racesdsl', '--help']\n"
        "from racesdsl import cli\n"
        "try:\n"
        "    cli.main()\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "heavy = [m for m in ('lark', 'jinja2', 'racesdsl.check', 'racesdsl.syntax.parser') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    res = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=user_env(),
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "check" in res.stdout


def test_version_flag(tmp_path: Path) -> None:
    from racesdsl import __version__

    res = racesdsl("--version", cwd=tmp_path)
    assert res.returncode == 0
    assert res.stdout.strip() == f"racesdsl {__version__}"


@pytest.mark.parametrize(
    ("errors", "warnings", "files", "line"),
    [
        (0, 0, 3, "Success: no issues found in 3 files"),
        (0, 0, 1, "Success: no issues found in 1 file"),
        (2, 1, 3, "Found 2 errors and 1 warning in 3 files"),
        (1, 0, 1, "Found 1 error in 1 file"),
        (0, 2, 2, "Found 2 warnings in 2 files"),
    ],
)
def test_summary_line_reads_like_mypy(errors: int, warnings: int, files: int, line: str) -> None:
    assert summary_line(errors, warnings, files) == line


# ------------------------------------------------------------------ README


def readme_files(text: str) -> dict[str, str]:
    """`.races` files the README shows: a ```races block right after `<!-- file: NAME -->`."""
    pattern = re.compile(r"<!-- file: (\S+) -->\s*\n```races\n(.*?)^```", re.S | re.M)
    return {name: body for name, body in pattern.findall(text)}


def readme_sessions(text: str) -> list[str]:
    """Every ```console block whose first line runs racesdsl."""
    blocks = re.findall(r"^```console\n(.*?)^```", text, re.S | re.M)
    return [b for b in blocks if b.startswith("$ racesdsl ")]


def _expected_runs(block: str) -> list[tuple[list[str], str, int | None]]:
    """Split a console block into (argv, expected output, expected exit code or None)."""
    runs: list[tuple[list[str], str, int | None]] = []
    for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
        command, _, output = chunk.partition("\n")
        if command.strip() == "echo $?":
            assert runs, "`echo $?` before any command"
            argv, out, _ = runs[-1]
            runs[-1] = (argv, out, int(output.strip()))
            continue
        argv = shlex.split(command)
        runs.append((argv, output, None))
    return runs


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def run_shown(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a README command line: `racesdsl ...` or `[VAR=value ...] python -c ...`."""
    env = user_env()
    while argv and "=" in argv[0] and argv[0].split("=", 1)[0].isidentifier():
        name, value = argv[0].split("=", 1)
        env[name] = value
        argv = argv[1:]
    if argv[0] == "racesdsl":
        return racesdsl(*argv[1:], cwd=cwd, env=env)
    assert argv[0] == "python", f"README console block runs something else: {argv}"
    return subprocess.run([sys.executable, *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True)


def test_readme_tour_commands_run_as_shown(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    files = readme_files(text)
    sessions = readme_sessions(text)
    assert files, "README shows no `<!-- file: NAME -->` ```races block"
    assert sessions, "README shows no ```console block starting with `$ racesdsl`"
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    for block in sessions:
        for argv, expected, code in _expected_runs(block):
            res = run_shown(argv, tmp_path)
            shown = f"$ {shlex.join(argv)}"
            assert _normalise(res.stdout) == _normalise(expected), f"{shown}\n--- got ---\n{res.stdout}{res.stderr}"
            if code is not None:
                assert res.returncode == code, f"{shown}: exit {res.returncode}, README says {code}"


def test_readme_setup_commands_match_ci() -> None:
    """The two commands a newcomer copies are the ones CI runs."""
    text = README.read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    setup = text.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = [line.strip() for block in re.findall(r"^```sh\n(.*?)^```", setup, re.S | re.M)
                for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert commands == [
        "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[dev]' && racesdsl check specs && racesdsl test specs --seeds 50 --strict",
        ".venv/bin/python -m pytest -q",
    ]
    for command in commands:
        assert command in ci, f"CI does not run: {command}"
