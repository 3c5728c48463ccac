"""GEM (`gem-llm`): racesdsl envs registered with `gem.register` and made with `gem.make`
(docs/integrations.md "GEM").

gem-llm is light (no torch) but pins `reasoning-gym==0.1.23`, which would
downgrade the reasoning-gym the dev extra tests against, so it is not in the dev
extra and this file skips without it. Run it with:
`pip install --no-deps gem-llm==0.1.0 nltk msgspec math-verify latex2sympy2_extended
antlr4-python3-runtime==4.13.2 cloudpickle joblib && pytest tests/test_adapters_gem.py`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import racesdsl

gem = pytest.importorskip("gem", reason="gem-llm pins reasoning-gym==0.1.23, so it is not in the dev extra "
                                        "(install command in this file's docstring)")
from gem.utils.constants import TERMINAL_STATE  # noqa: E402

from racesdsl.integrations.gem_env import RacesGemEnv, register  # noqa: E402

SHOWCASE = Path(__file__).resolve().parent / "fixtures" / "composition" / "showcase.races"


@pytest.fixture(scope="module")
def program() -> Any:
    return racesdsl.load(SHOWCASE)


def test_registered_env_plays_one_turn(program: Any) -> None:
    env_id = register("showcase.top3_seq", specs=[str(SHOWCASE)], seed=3)
    assert env_id == "racesdsl/showcase.top3_seq" and register("showcase.top3_seq") == env_id
    env = gem.make(env_id)
    assert isinstance(env, RacesGemEnv) and isinstance(env, gem.Env)
    comp = program["showcase.top3_seq"]
    for _ in range(3):
        obs, info = env.reset()
        inst = comp.sample(info["seed"])
        assert obs == inst.prompt and info["id"] == inst.id
        assert env.step(comp.render_answer(inst.answer)) == (TERMINAL_STATE, 1.0, True, True,
                                                              {"reason": "3 of 3 leading steps correct",
                                                               "parts": [1.0, 1.0, 1.0]})
        _, reward, *_ = env.step("<step1>[]</step1>")
        assert reward == 0.0
    obs, _ = env.reset(seed=11)
    assert obs == comp.sample(11).prompt


def test_stream_is_deterministic_and_spawn_keeps_the_state(program: Any) -> None:
    env_id = register("lists.sort_list", env_id="racesdsl_test/sort4", n=4)
    a, b = gem.make(env_id), gem.make(env_id)
    first = [a.reset()[1]["id"] for _ in range(4)]
    assert first == [b.reset()[1]["id"] for _ in range(4)]
    child = a.spawn(same_state=True)
    assert child.reset()[1]["id"] == a.reset()[1]["id"]
    fresh = a.spawn(seed=99)
    assert fresh.reset()[1]["id"] not in first
    assert RacesGemEnv("lists.sort_list").step("x")[1] == 0.0  # a step before reset scores 0, never raises
