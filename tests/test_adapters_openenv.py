"""OpenEnv (`openenv-core`): a racesdsl env served through OpenEnv's environment-server
interface (docs/integrations.md "OpenEnv").

`Episode` (reset, scoring, state; no OpenEnv) is tested everywhere. The OpenEnv
classes and the served app need openenv-core, which is heavy (gradio, fastmcp,
openai, huggingface_hub) and so not in the dev extra: those tests skip without it.
Run them with:
`python3 -m venv /tmp/oevenv && /tmp/oevenv/bin/pip install -e '.[dev,openenv]'
&& /tmp/oevenv/bin/python -m pytest tests/test_adapters_openenv.py`. They serve the
app with uvicorn on 127.0.0.1 and talk to it with OpenEnv's own client and httpx."""

from __future__ import annotations

import importlib
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import racesdsl
from racesdsl.check.pipeline import check_paths
from racesdsl.codegen.writer import package_files, write_files
from racesdsl.curriculum.ids import step_seed
from racesdsl.integrations import openenv as oe
from racesdsl.integrations.registry import default_registry
from racesdsl.runtime.levels import params_at_level

SHOWCASE = Path(__file__).resolve().parent / "fixtures" / "composition" / "showcase.races"
SKIP = "openenv-core is heavy (gradio, fastmcp, openai), so not in the dev extra; install command in this file's docstring"


@pytest.fixture(scope="module")
def program() -> Any:
    return racesdsl.load(SHOWCASE)


def reference(env: Any, inst: Any) -> str:
    return env.render_answer(inst.answer, **inst.params)


# ------------------------------------------------------------------ no OpenEnv needed


def test_reset_samples_the_seeds_instance_and_hides_the_answer(program: Any) -> None:
    comp = program["showcase.top3_seq"]
    ep = oe.Episode(comp)
    fields = ep.reset(seed=7)
    inst = comp.sample(7)
    assert fields == {"prompt": inst.prompt, "env": "showcase.top3_seq", "seed": 7, "params": inst.params,
                      "instance_id": inst.id}
    assert json.loads(json.dumps(fields)) == fields and "answer" not in json.dumps(fields)
    assert ep.state() == {"episode_id": inst.id, "step_count": 0, **{k: fields[k] for k in fields if k != "prompt"}}


def test_a_compiled_package_serves_the_same_episodes(program: Any, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(package_files(check_paths([SHOWCASE]).program, "oe_showcase_pkg"), tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = oe.Episode("showcase.top3_seq", packages="oe_showcase_pkg")
    assert ep.env is importlib.import_module("oe_showcase_pkg").get("showcase.top3_seq")
    loaded = oe.Episode(program["showcase.top3_seq"])
    for seed in (0, 5):
        assert ep.reset(seed=seed) == loaded.reset(seed=seed)
        inst = program["showcase.top3_seq"].sample(seed)
        assert oe.outcome(ep.score(reference(loaded.env, inst))[0]) == oe.outcome(loaded.score(
            reference(loaded.env, inst))[0]) == {"reward": 1.0, "reason": "3 of 3 leading steps correct",
                                                 "parts": [1.0, 1.0, 1.0]}


def test_seedless_resets_walk_one_deterministic_stream() -> None:
    a, b = oe.Episode("lists.sort_list", seed=5), oe.Episode("lists.sort_list", seed=5)
    seeds = [a.reset()["seed"] for _ in range(4)]
    assert seeds == [step_seed(5, k) for k in range(4)] == [b.reset()["seed"] for _ in range(4)]
    shared = oe.Stream(5)
    first, second = (oe.Episode("lists.sort_list", stream=shared) for _ in range(2))
    assert [first.reset()["seed"], second.reset()["seed"], first.reset()["seed"]] == seeds[:3]


def test_params_and_level_come_through_reset() -> None:
    ep = oe.Episode("lists.sort_list", params={"n": 4})
    env = ep.env
    assert ep.reset(seed=2)["prompt"] == env.sample(2, n=4).prompt
    assert ep.reset(seed=2, params={"n": 9})["params"]["n"] == 9
    top = ep.reset(seed=2, level=1.0, params={})
    assert top["params"]["n"] == 4  # a default given by name outranks the level
    leveled = oe.Episode("lists.sort_list").reset(seed=2, level=1.0)
    assert leveled["params"] == params_at_level(env, 1.0) and leveled["prompt"] == env.sample(2, level=1.0).prompt


@pytest.mark.parametrize("bad", [{"seed": -1}, {"seed": True}, {"seed": "3"}, {"seed": 1, "params": {"zz": 1}},
                                 {"seed": 1, "params": [1]}, {"seed": 1, "level": 2.0}])
def test_bad_resets_raise_value_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        oe.Episode("lists.sort_list").reset(**bad)


def test_bad_construction_fails_at_once() -> None:
    with pytest.raises(ValueError, match="no param `zz`"):
        oe.Episode("lists.sort_list", params={"zz": 1})
    with pytest.raises(LookupError):
        oe.Episode("lists.no_such_env")


def test_scores_reference_garbage_and_partial_credit(program: Any) -> None:
    comp = program["showcase.top3_seq"]
    ep = oe.Episode(comp)
    ep.reset(seed=3)
    inst = comp.sample(3)
    score, got = ep.score(reference(comp, inst))
    assert got == inst and oe.outcome(score) == {"reward": 1.0, "reason": "3 of 3 leading steps correct",
                                                 "parts": [1.0, 1.0, 1.0]}
    assert ep.score("garbage")[0].value == 0.0
    partial = ep.score("<step1>" + reference(comp, inst).split("<step1>")[1].split("</step1>")[0] + "</step1>")[0]
    assert 0.0 < partial.value < 1.0 and partial.parts[0].value == 1.0
    assert ep.state()["step_count"] == 3


def test_an_action_may_name_its_instance() -> None:
    """OpenEnv's HTTP /step gets a fresh env: the action's seed rebuilds the very instance."""
    ep = oe.Episode("lists.sort_list", params={"n": 5})
    inst = ep.env.sample(11, n=5)
    assert ep.score(reference(ep.env, inst), 11)[0].value == 1.0
    assert ep.score(reference(ep.env, inst), 11, {"n": 5})[1] == inst
    assert ep.score(reference(ep.env, inst), 12)[0].value == 0.0


@pytest.mark.parametrize(("args", "reason"), [
    (("x",), "step before reset"),
    ((7,), "not text (got int)"),
    (("x", 3, {"zz": 1}), "cannot rebuild the action's instance: ParamError"),
    (("x", -4), "cannot rebuild the action's instance: ValueError: seed must be"),
    (("x", 3, "n=4"), "params must be a mapping"),
])
def test_what_cannot_be_scored_scores_zero_with_a_reason(args: tuple[Any, ...], reason: str) -> None:
    ep = oe.Episode("lists.sort_list")
    if args[0] == 7:
        ep.reset(seed=1)
    score, _ = ep.score(*args)
    assert score.value == 0.0 and reason in score.reason


def test_action_fields_reads_actions_mappings_and_text() -> None:
    class Obj:
        text, seed, params, level = "t", 1, {"n": 3}, 0.5

    assert oe.action_fields(Obj()) == ("t", 1, {"n": 3}, 0.5)
    assert oe.action_fields({"text": "t", "seed": 2}) == ("t", 2, None, None)
    assert oe.action_fields("t") == ("t", None, None, None)
    assert oe.action_fields(None) == (None, None, None, None)


def test_the_openenv_classes_say_how_to_install_when_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openenv.core.env_server.interfaces", None)
    with pytest.raises(ImportError, match=r"racesdsl\[openenv\]"):
        oe.openenv_classes.__wrapped__()
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        oe.Nope  # noqa: B018


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**63 - 1), n=st.integers(2, 12))
def test_reset_is_a_pure_function_of_seed_and_params(seed: int, n: int) -> None:
    a, b = oe.Episode("lists.sort_list", seed=1), oe.Episode("lists.sort_list", seed=2)
    fields = a.reset(seed=seed, params={"n": n})
    assert fields == b.reset(seed=seed, params={"n": n})
    inst = a.env.sample(seed, n=n)
    assert a.score(reference(a.env, inst))[0].value == 1.0 == b.score(reference(a.env, inst), seed, {"n": n})[0].value


# ------------------------------------------------------------------ the real OpenEnv


@pytest.fixture(scope="module")
def openenv() -> Any:
    return pytest.importorskip("openenv.core.env_server", reason=SKIP)


def test_the_classes_are_openenvs(openenv: Any, program: Any) -> None:
    from openenv.core.env_server.types import Action, Observation

    assert issubclass(oe.RacesOpenEnv, openenv.Environment) and oe.RacesOpenEnv.SUPPORTS_CONCURRENT_SESSIONS
    assert issubclass(oe.RacesAction, Action) and issubclass(oe.RacesObservation, Observation)
    env = oe.RacesOpenEnv(program["showcase.trio_par"])
    obs = env.reset(seed=4, episode_id="ep-1")
    inst = program["showcase.trio_par"].sample(4)
    assert (obs.prompt, obs.done, obs.reward, obs.instance_id) == (inst.prompt, False, None, inst.id)
    done = env.step(oe.RacesAction(text=reference(program["showcase.trio_par"], inst)))
    assert (done.done, done.reward, done.parts, done.prompt) == (True, 1.0, [1.0, 1.0, 1.0], "")
    assert done.metadata == {"reward": 1.0, "reason": done.reason, "parts": [1.0, 1.0, 1.0]}
    assert env.state.episode_id == "ep-1" and env.state.step_count == 1
    assert env.step("<step1>[]</step1>").reward == 0.0
    with pytest.raises(ValueError, match=r"unknown reset options \['parms'\]"):
        env.reset(seed=1, parms={"n": 3})
    assert env.get_metadata().name == "showcase.trio_par"


@pytest.fixture(scope="module")
def served(openenv: Any) -> Iterator[str]:
    """create_app's app on uvicorn, 127.0.0.1, a port the OS picked."""
    import uvicorn

    app = oe.create_app("lists.sort_list", seed=9, n=5)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(30)
    sock.close()


def test_http_round_trip(served: str) -> None:
    import httpx

    env = default_registry().get("lists.sort_list")
    with httpx.Client(base_url=served, timeout=30) as http:
        assert http.get("/health").json()["status"] == "healthy"
        assert "text" in http.get("/schema").json()["action"]["properties"]
        first = http.post("/reset", json={"seed": 3}).json()
        inst = env.sample(3, n=5)
        assert first["observation"]["prompt"] == inst.prompt and first["done"] is False
        right = http.post("/step", json={"action": {"text": reference(env, inst), "seed": 3}}).json()
        assert (right["reward"], right["done"], right["observation"]["reason"]) == (1.0, True, "correct")
        wrong = http.post("/step", json={"action": {"text": "garbage", "seed": 3}}).json()
        assert wrong["reward"] == 0.0 and wrong["observation"]["reason"]
        lost = http.post("/step", json={"action": {"text": reference(env, inst)}}).json()
        assert lost["reward"] == 0.0 and "step before reset" in lost["observation"]["reason"]
        seeds = [http.post("/reset", json={}).json()["observation"]["seed"] for _ in range(3)]
        assert seeds == [step_seed(9, k) for k in range(3)]  # one stream across the per-request envs
        assert http.post("/step", json={"action": {"message": "hi"}}).status_code == 422  # OpenEnv's validation


def test_websocket_round_trip_with_openenvs_client(served: str) -> None:
    from openenv import GenericEnvClient

    env = default_registry().get("lists.sort_list")
    with GenericEnvClient(base_url=served).sync() as one, GenericEnvClient(base_url=served).sync() as two:
        a, b = one.reset(seed=3, params={"n": 6}), two.reset(seed=4)
        ia, ib = env.sample(3, n=6), env.sample(4, n=5)
        assert (a.observation["prompt"], b.observation["prompt"]) == (ia.prompt, ib.prompt)
        assert one.step({"text": reference(env, ia)}).reward == 1.0  # the session keeps its instance
        assert two.step({"text": "garbage"}).reward == 0.0
        assert two.step({"text": reference(env, ib)}).reward == 1.0
        assert one.state()["instance_id"] == ia.id
        with pytest.raises(RuntimeError, match="no param `zz`"):
            one.reset(seed=1, params={"zz": 1})
