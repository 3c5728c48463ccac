"""Prime Intellect verifiers (v1): racesdsl environments as a `vf.Taskset`
(docs/integrations.md "verifiers").

verifiers 0.4 has no torch dependency and is in the dev extra, so this runs the
real library: its own plugin loader finds the taskset through a module's
`__all__`, and `vf-validate` runs its gold and noop checks on every task."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

vf = pytest.importorskip("verifiers.v1", reason="verifiers is an extra: pip install 'racesdsl[verifiers]'")
from verifiers.v1.utils.loaders import taskset_class  # noqa: E402

from racesdsl.integrations.verifiers_v1 import RacesConfig, RacesTaskset  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHOWCASE = ROOT / "tests" / "fixtures" / "composition" / "showcase.races"
MODULE = 'from racesdsl.integrations.verifiers_v1 import RacesTaskset\n\n__all__ = ["RacesTaskset"]\n'


@pytest.fixture
def taskset_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The two-line module docs/integrations.md shows, importable as `racesdsl_tasks`."""
    (tmp_path / "racesdsl_tasks.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


class Reply:
    """What `correct` reads of a vf.Trace: its `last_reply`."""

    def __init__(self, text: str) -> None:
        self.last_reply = text


def test_verifiers_finds_the_taskset(taskset_module: Path) -> None:
    assert taskset_class("racesdsl_tasks") is RacesTaskset


def test_tasks_score_with_the_environments_verifier() -> None:
    config = RacesConfig(specs=[str(SHOWCASE)], envs=["showcase.top3_seq", "lists.sort_list"], num_tasks=3, seed=4)
    tasks = list(RacesTaskset(config))
    assert [t.data.env for t in tasks] == ["showcase.top3_seq"] * 3 + ["lists.sort_list"] * 3
    assert [t.data.seed for t in tasks] == [4, 5, 6] * 2
    assert len({t.data.id for t in tasks}) == 6 and all(t.data.prompt for t in tasks)
    for task in tasks:
        assert asyncio.run(task.validate(None)) is True
        assert asyncio.run(task.correct(Reply(task.data.answer))) == 1.0
        assert asyncio.run(task.correct(Reply(""))) == 0.0
    seq = tasks[0]
    first_only = seq.data.answer.split("</step1>")[0] + "</step1>"
    assert asyncio.run(seq.correct(Reply(first_only))) == pytest.approx(1 / 3)
    assert tasks[0].data.model_dump(mode="json")["specs"] == [str(SHOWCASE)]  # tasks travel with their sources


VF_VALIDATE = Path(sys.executable).parent / "vf-validate"


@pytest.mark.skipif(not VF_VALIDATE.is_file(), reason="vf-validate is installed with verifiers, beside python")
def test_vf_validate_passes(taskset_module: Path, tmp_path: Path) -> None:
    exe = str(VF_VALIDATE)
    env = {**os.environ, "PYTHONPATH": str(taskset_module), "RACESDSL_SPECS": str(SHOWCASE)}
    res = subprocess.run([exe, "racesdsl_tasks", "--taskset.num-tasks", "2", "--taskset.envs", "showcase.top3_seq",
                          "showcase.trio_par", "lists.sort_list", "-o", str(tmp_path / "out"), "--rich", "False",
                          "--runtime.type", "subprocess"], env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    summary: dict[str, Any] = json.loads(next((tmp_path / "out").rglob("summary.json")).read_text())
    assert summary["outcomes"]["valid"] == summary["total"] == 6
    assert summary["checks"]["gold"]["valid"] == summary["checks"]["noop"]["valid"] == 6
