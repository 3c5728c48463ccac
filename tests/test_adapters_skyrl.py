"""SkyRL-gym: the registered `racesdsl` BaseTextEnv (docs/integrations.md "SkyRL-gym").

skyrl-gym is light (no torch) and in the dev extra: these tests make the env
through skyrl_gym's own registry, with a verl-schema row as `extras`, as
SkyRL's generator does (`skyrl_gym.make(env_class, env_config=..., extras=...)`,
then `init(prompt)` and `step(action)`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import racesdsl
from racesdsl.integrations import export, registry

skyrl_gym = pytest.importorskip("skyrl_gym", reason="skyrl-gym is in the dev extra: pip install 'racesdsl[skyrl]'")
from racesdsl.integrations import skyrl  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::racesdsl.integrations.registry.MissingEnvironmentWarning")

SHOWCASE = Path(__file__).resolve().parent / "fixtures" / "composition" / "showcase.races"


@pytest.fixture(scope="module")
def program() -> Any:
    return racesdsl.load(SHOWCASE)


def make(row: dict[str, Any], env_config: Any = None) -> Any:
    extras = {k: v for k, v in row.items() if k != "prompt"}
    return skyrl_gym.make(skyrl.ENV_ID, env_config=env_config or {"specs": [str(SHOWCASE)]}, extras=extras)


def test_registered_env_scores_a_verl_row(program: Any) -> None:
    for row in export.rows(program, ["showcase.top3_seq", "showcase.trio_par", "showcase.top3_select"], 2,
                           seed=3, schema="verl"):
        env = make(row)
        assert isinstance(env, skyrl.RacesEnv)
        assert env.init(row["prompt"]) == (row["prompt"], {})
        comp = program[row["extra_info"]["env"]]
        inst = comp.sample(row["extra_info"]["seed"])
        out = env.step(comp.render_answer(inst.answer))
        assert out["reward"] == 1.0 and out["done"] is True and out["observations"] == []
        assert out["metadata"]["reason"] == comp.verify(inst, comp.render_answer(inst.answer)).reason
        assert env.get_metrics() == {"racesdsl_correct": 1.0}
        wrong = make(row).step("<answer>no</answer>")
        assert wrong["reward"] < 1.0 and wrong["metadata"]["reason"]


def test_rows_without_extra_info_score_from_ground_truth(program: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(registry.ENV_SPECS, str(SHOWCASE))
    row = next(export.rows(program, ["showcase.top3_seq"], 1, seed=8, schema="verl"))
    extras = {"data_source": row["data_source"],
              "reward_spec": {"method": "rule", "ground_truth": row["reward_model"]["ground_truth"]}}
    env = skyrl_gym.make(skyrl.ENV_ID, env_config={}, extras=extras)
    steps = json.loads(row["reward_model"]["ground_truth"])
    out = env.step(program["showcase.top3_seq"].render_answer([steps[0], steps[1], steps[2] + 1]))
    assert out["reward"] == pytest.approx(2 / 3) and "ground_truth alone" in out["metadata"]["reason"]


def test_register_under_another_id_and_never_raise() -> None:
    skyrl.register("racesdsl_adapters_test")
    skyrl.register("racesdsl_adapters_test")  # again is fine
    env = skyrl_gym.make("racesdsl_adapters_test", env_config={}, extras={})
    out = env.step("anything")
    assert out["reward"] == 0.0 and out["metadata"]["reason"]
