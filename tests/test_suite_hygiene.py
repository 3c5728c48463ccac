"""The suite runs what it can (issue 12, finding 28): tools come from this
interpreter's environment, never from PATH, so the README's own command
(`.venv/bin/python -m pytest`, venv not activated) skips nothing that can run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
PATH_LOOKUP = re.compile(r"shutil\.which\(|find_executable\(")
SYSTEM_TOOL = "# a system tool, not a Python one"  # e.g. node: it lives on PATH, not in the venv


def test_no_test_looks_tools_up_on_path() -> None:
    offenders = [f"{p.name}:{n}" for p in sorted(TESTS.glob("*.py")) if p.name != Path(__file__).name
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if PATH_LOOKUP.search(line) and SYSTEM_TOOL not in line]
    assert not offenders, f"use `sys.executable -m TOOL` (or Path(sys.executable).parent / TOOL): {offenders}"


def test_ruff_test_runs_with_the_venv_not_activated() -> None:
    env = {**os.environ, "PATH": os.pathsep.join(["/usr/bin", "/bin"])}  # no venv bin: as the README runs it
    env.pop("VIRTUAL_ENV", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                          "tests/test_pyexpr.py::test_generated_source_passes_ruff"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "1 passed" in run.stdout and "skipped" not in run.stdout, run.stdout + run.stderr
