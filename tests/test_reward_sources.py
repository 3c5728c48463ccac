"""A reward function that cannot find an env's source says so (issue 12,
finding 29): every such row still scores 0 with the reason, and one
MissingEnvironmentWarning per missing env or broken source tells the person
running the training job, instead of a run that silently learns from zeros.
And docs/integrations.md's verl command uses the keys verl 0.9 reads."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from racesdsl.integrations.registry import MissingEnvironmentWarning, Registry
from racesdsl.integrations.trl import make_reward_function
from racesdsl.integrations.verl import make_compute_score

ROOT = Path(__file__).resolve().parent.parent
COMPOSITIONS = ROOT / "tests" / "fixtures" / "language" / "compositions.races"


def caught(call) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")  # count our own dedupe, not Python's
        result = call()
    return result, [str(w.message) for w in seen if issubclass(w.category, MissingEnvironmentWarning)]


def test_verl_warns_once_per_missing_env() -> None:
    score = make_compute_score(specs=[COMPOSITIONS], stdlib=False)

    def batch() -> list[dict]:
        rows = [score("racesdsl/mine.gone", "<answer>1</answer>", "1", {"env": "mine.gone", "seed": s})
                for s in range(5)]
        return rows + [score("racesdsl/mine.other", "x", "1", {"env": "mine.other", "seed": 0})]

    results, messages = caught(batch)
    assert all(r["score"] == 0.0 and "unknown environment `mine." in r["reason"] for r in results)
    assert len(messages) == 2 and "mine.gone" in messages[0] and "mine.other" in messages[1]
    assert all("every such row scores 0" in m for m in messages)
    _, again = caught(batch)  # the same process, the same registry: already said
    assert again == []


def test_trl_warns_once_per_broken_source_and_missing_column(tmp_path: Path) -> None:
    reward = make_reward_function(specs=[tmp_path / "missing.races"])
    values, messages = caught(lambda: [reward(None, ["a", "b"], env=["lists.sort_list"] * 2, seed=[0, 1])
                                       for _ in range(3)])
    assert values == [[0.0, 0.0]] * 3
    assert len(messages) == 1 and "missing.races" in messages[0]
    fine = make_reward_function(specs=[COMPOSITIONS])
    values, messages = caught(lambda: [fine(None, ["a"], seed=[0]) for _ in range(3)])
    assert values == [[0.0]] * 3 and len(messages) == 1 and "no `env` column" in messages[0]


def test_found_envs_do_not_warn() -> None:
    registry = Registry(specs=[COMPOSITIONS])
    env = registry.get("compositions.top3_sum")
    inst = env.sample(3)
    score, messages = caught(lambda: registry.score(env.qualname, 3, inst.params, env.render_answer(inst.answer)))
    assert score.value == 1.0 and messages == []


# ------------------------------------------------------------ the documented verl command


def verl_command() -> list[str]:
    text = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
    (block,) = [m.group(1) for m in re.finditer(r"```sh\n(.*?)```", text, re.S) if "verl.trainer.main_ppo" in m.group(1)]
    return shlex.split(block.replace("\\\n", " "), posix=True)


def test_docs_verl_command_uses_the_nested_reward_keys() -> None:
    overrides = dict(arg.split("=", 1) for arg in verl_command() if "=" in arg and "." in arg.split("=", 1)[0])
    # verl >= 0.9 reads config.reward.custom_reward_function; main_ppo ignores the top-level keys.
    assert not any(key.startswith("custom_reward_function.") for key in overrides)
    assert overrides["reward.custom_reward_function.name"] == "compute_score"
    path_expr = overrides["reward.custom_reward_function.path"]
    (snippet,) = re.findall(r"\$\(python -c '(.*)'\)", path_expr)
    path = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, check=True).stdout.strip()
    source = Path(path).read_text(encoding="utf-8")
    assert Path(path).name == "verl.py" and "\ndef compute_score(" in source


@pytest.mark.parametrize("key", ["path", "name"])
def test_module_docstring_names_the_nested_key(key: str) -> None:
    import racesdsl.integrations.verl as verl

    assert f"`reward.custom_reward_function.{key}`" in (verl.__doc__ or "")
