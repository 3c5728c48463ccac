"""Hostile specs (issue 12's acceptance): mutants of every spec in the repo --
tokens, splices, line edits, hostile text, numbers, names and nesting -- never
make `check`, `sample` or `compile` exit 3, never run as code, stay within a
time and memory bound, and a legal mutant's compiled package behaves as its
`load()`. The harness is tests/hostile_fuzz.py (fixed seeds; run it by hand
with a larger --count for a longer search)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent / "hostile_fuzz.py"


@pytest.mark.parametrize("seed", [0, 1])
def test_hostile_mutants_are_diagnosed_or_run_safely(seed: int) -> None:
    run = subprocess.run([sys.executable, str(HARNESS), "--seed", str(seed), "--count", "200"],
                         capture_output=True, text=True, timeout=600)
    assert run.stdout, run.stderr[-2000:]
    summary = json.loads(run.stdout.splitlines()[-1])
    failures = "\n".join(f"mutant {f['index']} ({f['stage']}, {f['seconds']} s): {f['problem'][:400]}"
                         for f in summary["failures"])
    assert not summary["failures"], f"replay with: python {HARNESS.name} --seed {seed} --count 200 --show N\n{failures}"
    assert run.returncode == 0
    assert summary["legal"] >= 10  # the mutants must also reach load/sample/compile, not only the parser


def test_the_probe_reports_code_that_ran(tmp_path: Path) -> None:
    """The side-effect probe works: a python binding that creates the marker is reported."""
    sys.path.insert(0, str(HARNESS.parent))
    try:
        import hostile_fuzz
    finally:
        sys.path.remove(str(HARNESS.parent))
    origin = tmp_path / "origin"
    origin.mkdir()
    (origin / "touchy.py").write_text(
        "import os\n\ndef solve(x):\n"
        f"    open(os.path.join(os.path.dirname(__file__), {hostile_fuzz.MARKER_NAME!r}), 'w').close()\n"
        "    return 2 * x\n", encoding="utf-8")
    spec = ('env e "Double." { input x: Int[0..9] output Int[0..18] prompt """Double {{ x }}."""'
            ' solve python "touchy:solve" }\n')
    work = tmp_path / "work"
    work.mkdir()
    outcome = hostile_fuzz.run_mutant(0, spec, origin, work)
    assert outcome.stage == "legal"
    assert outcome.problem == "a payload ran as code"
