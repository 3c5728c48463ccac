"""docs/integrations.md: every ```py block of the adapter sections runs as shown.

(The page's three ```python blocks belong to tests/test_docs_examples.py; the
adapter sections use ```py so that test keeps its blocks.) Blocks that import a
trainer which needs torch (TRL) run against a stand-in module that records the
call; the others run for real when their library is installed."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
import types
from argparse import Namespace
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "integrations.md"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
MY_ENVS = "use std.lists.{sort_list, take_first, total}\ncompose top3_sum = seq(sort_list(n=3..12), take_first(k=3), total)\n"


def py_blocks() -> list[str]:
    return [m.group("body") for m in FENCE.finditer(DOC.read_text(encoding="utf-8")) if m.group("info").strip() == "py"]


def block(word: str) -> str:
    found = [b for b in py_blocks() if word in b]
    assert len(found) == 1, f"expected one ```py block with {word!r}, found {len(found)}"
    return found[0]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "specs").symlink_to(ROOT / "specs")
    (tmp_path / "my_envs").mkdir()
    (tmp_path / "my_envs" / "my_envs.races").write_text(MY_ENVS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_py_block_is_covered() -> None:
    words = ["iterable_dataset(feed)", "GRPOTrainer", "make_reward_func", "class MySource",
             "racesdsl_tasks.py", "integrations.skyrl", "gem.make", "racesdsl_openenv_app.py", "GenericEnvClient"]
    assert len(py_blocks()) == len(words)
    for word in words:
        block(word)


def test_trl_stream_blocks(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = pytest.importorskip("datasets", reason="datasets is in the dev extra")
    scope: dict[str, Any] = {}
    exec(compile(block("iterable_dataset(feed)"), "docs/integrations.md", "exec"), scope)
    calls: dict[str, Any] = {}
    trl = types.ModuleType("trl")
    trl.GRPOConfig = lambda **kw: kw  # type: ignore[attr-defined]
    trl.GRPOTrainer = lambda **kw: calls.update(kw)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "trl", trl)
    exec(compile(block("GRPOTrainer"), "docs/integrations.md", "exec"), scope)
    assert isinstance(calls["train_dataset"], datasets.IterableDataset)
    assert calls["args"]["max_steps"] == 1000 and calls["args"]["shuffle_dataset"] is False
    (fn,) = calls["reward_funcs"]
    assert fn.__name__ == "racesdsl_curriculum"
    row = next(iter(calls["train_dataset"]))
    env = scope["program"][row["env"]]
    inst = env.sample(row["seed"], **json.loads(row["params"]))
    keys = {k: [row[k]] for k in ("env", "seed", "params", "id")}
    assert fn(None, [env.render_answer(inst.answer, **inst.params)], **keys) == [1.0]


def test_openrlhf_block(workdir: Path) -> None:
    scope: dict[str, Any] = {}
    exec(compile(block("make_reward_func"), "docs/integrations.md", "exec"), scope)
    import racesdsl

    env = racesdsl.load("my_envs/")["my_envs.top3_sum"]
    inst = env.sample(4)
    answer = scope["reward_func"]([env.render_answer(inst.answer)], [""], [{"env": "my_envs.top3_sum", "seed": 4}])
    assert answer["rewards"] == [1.0]


def test_slime_block(workdir: Path) -> None:
    scope: dict[str, Any] = {}
    exec(compile(block("class MySource"), "docs/integrations.md", "exec"), scope)
    args = Namespace(rollout_seed=1)
    source = scope["MySource"](args)
    assert source.feed.controller is not None and args.racesdsl_feed is source.feed
    assert source.feed.next().env in {"lists.sort_list", "my_envs.top3_sum"}


def test_verifiers_block(workdir: Path) -> None:
    pytest.importorskip("verifiers.v1", reason="verifiers is in the dev extra")
    scope: dict[str, Any] = {}
    exec(compile(block("racesdsl_tasks.py"), "docs/integrations.md", "exec"), scope)
    assert scope["__all__"] == ["RacesTaskset"] and scope["RacesTaskset"].__name__ == "RacesTaskset"


def test_skyrl_block() -> None:
    skyrl_gym = pytest.importorskip("skyrl_gym", reason="skyrl-gym is in the dev extra")
    exec(compile(block("integrations.skyrl"), "docs/integrations.md", "exec"), {})
    assert "racesdsl" in skyrl_gym.registry


def test_gem_block() -> None:
    pytest.importorskip("gem", reason="gem-llm pins reasoning-gym==0.1.23, so it is not in the dev extra")
    scope: dict[str, Any] = {}
    exec(compile(block("gem.make"), "docs/integrations.md", "exec"), scope)
    assert scope["env_id"] == "racesdsl/lists.sort_list" and scope["terminated"] is True
    assert 0.0 <= scope["reward"] <= 1.0 and scope["info"]["reason"]


def test_openenv_blocks(tmp_path: Path) -> None:
    """The app file, served by the doc's uvicorn line (port 0: the OS picks), then the client block."""
    pytest.importorskip("openenv.core.env_server", reason="openenv-core is heavy (gradio, fastmcp, openai), so not "
                                                         "in the dev extra: pip install 'racesdsl[openenv]'")
    (tmp_path / "racesdsl_openenv_app.py").write_text(block("racesdsl_openenv_app.py"), encoding="utf-8")
    (line,) = [m.group("body").strip() for m in FENCE.finditer(DOC.read_text(encoding="utf-8"))
               if "racesdsl_openenv_app:app" in m.group("body")]
    argv = shlex.split(line)
    assert argv[0] == "uvicorn" and argv[argv.index("--port") + 1] == "8000"
    argv[argv.index("--port") + 1] = "0"
    log = tmp_path / "uvicorn.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", *argv], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                                stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline, found = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None:
            found = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", log.read_text(errors="replace"))
            if found:
                break
            time.sleep(0.1)
        assert found, log.read_text(errors="replace")
        port = found.group(1)
        scope: dict[str, Any] = {}
        client = block("GenericEnvClient")
        assert "127.0.0.1:8000" in client
        exec(compile(client.replace("127.0.0.1:8000", f"127.0.0.1:{port}"), "docs/integrations.md", "exec"), scope)
    finally:
        proc.terminate()
        proc.wait(30)
    result = scope["result"]
    assert scope["prompt"].startswith("Sort this list") and result.done is True
    assert result.reward in (0.0, 1.0) and result.observation["reason"]
