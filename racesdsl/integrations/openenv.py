"""OpenEnv (`openenv-core` 0.3): a racesdsl environment as an OpenEnv `Environment`,
served by OpenEnv's own app factory over HTTP and WebSocket.

OpenEnv serves an `Environment` subclass (`reset(seed, episode_id, **kwargs)` and
`step(action)` return an `Observation` with `reward` and `done`; `state` is a
property) with `create_app(factory, ActionCls, ObservationCls)`. Each episode is
one instance: `reset` samples it (the next seed of a deterministic stream, or the
seed given; `params` and a curriculum `level` as keyword arguments) and the
observation carries its prompt; `step` verifies the action's `text` with the
environment's own verifier, ends the episode and reports the reason and a
composite's parts. A bad action scores 0 with a reason; `step` never raises.

Two facts of OpenEnv 0.3 shape this: its WebSocket sessions (what `EnvClient`
speaks) keep one env per connection, but its HTTP `/reset` and `/step` build a
fresh env per request, so an action may name its instance (`seed`, `params`,
`level`: sampling is a pure function of them, so that is the instance reset
drew); and it drops `metadata` when it serialises an observation, so the reason
and parts are observation fields as well as metadata.

openenv-core is optional (`pip install 'racesdsl[openenv]'`) and takes seconds to
import, so `Episode` (the logic, no OpenEnv) is plain and the OpenEnv classes are
built on first use: `RacesAction`, `RacesObservation` and `RacesOpenEnv` are
attributes of this module, `create_app` the served app."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import cache
from typing import Any

from racesdsl.curriculum.ids import step_seed
from racesdsl.integrations.registry import Env, default_registry
from racesdsl.runtime.env import Instance
from racesdsl.runtime.score import Score, printable
from racesdsl.runtime.values import to_json_value

# Also `RacesAction`, `RacesObservation`, `RacesOpenEnv` (module attributes built on first use; not
# in __all__, so `import *` does not import OpenEnv).
__all__ = ["INSTALL", "Episode", "Stream", "action_fields", "create_app", "identity", "openenv_classes", "outcome"]

INSTALL = "pip install 'racesdsl[openenv]'  (openenv-core>=0.3,<0.4)"
MAX_CONCURRENT_ENVS = 64  # WebSocket sessions one app serves at once (OpenEnv's own default is 1)
_CLASSES = ("RacesAction", "RacesObservation", "RacesOpenEnv")


class Stream:
    """The seeds of resets that give none: instance k at `step_seed(seed, k)`. Locked,
    because one app's envs share it: OpenEnv builds a fresh env per HTTP request, and
    without a shared stream every seedless HTTP reset would draw instance 0."""

    def __init__(self, seed: int = 0) -> None:
        self.seed, self.count = seed, 0
        self._lock = threading.Lock()

    def next_seed(self) -> int:
        with self._lock:
            k, self.count = self.count, self.count + 1
        return step_seed(self.seed, k)


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r:.80}")
    return seed


class Episode:
    """One racesdsl env (`env`: an Environment or Composite, or a qualified name looked up
    in `specs`/`packages`, default RACESDSL_SPECS / RACESDSL_PACKAGES and the stdlib) played
    one instance per episode. `params` and `level` are the defaults resets may override."""

    def __init__(self, env: str | Env, *, seed: int = 0, level: float | None = None,
                 params: Mapping[str, Any] | None = None, specs: Any = None, packages: Any = None,
                 stream: Stream | None = None) -> None:
        self.env: Env = default_registry(specs, packages).get(env) if isinstance(env, str) else env
        self.params, self.level = dict(params or {}), level
        self.env.resolve_params(self.params)  # a bad param fails here, not at the first reset
        self.stream = stream if stream is not None else Stream(_check_seed(seed))
        self.instance: Instance | None = None
        self.episode_id: str | None = None
        self.steps = 0

    def sample(self, seed: Any, params: Mapping[str, Any] | None = None, level: float | None = None) -> Instance:
        """The instance of `seed` at the defaults overridden by `params` and `level`."""
        if params is not None and not isinstance(params, Mapping):
            raise ValueError(f"params must be a mapping of param names to values, got {type(params).__name__}")
        return self.env.sample(_check_seed(seed), level=self.level if level is None else level,
                               **(self.params | dict(params or {})))

    def reset(self, seed: int | None = None, episode_id: str | None = None,
              params: Mapping[str, Any] | None = None, level: float | None = None) -> dict[str, Any]:
        """Start an episode: the observation's fields (the prompt and the instance's identity).
        Bad seeds, params or levels raise ValueError: they are the caller's configuration."""
        inst = self.sample(self.stream.next_seed() if seed is None else seed, params, level)
        self.instance, self.episode_id, self.steps = inst, episode_id or inst.id, 0
        return {"prompt": inst.prompt, **identity(inst)}

    def score(self, text: Any, seed: Any = None, params: Any = None, level: Any = None) -> tuple[Score, Instance | None]:
        """Verify `text` against the instance the action names (`seed` given) or the current
        one; never raises: what cannot be scored scores 0 with the reason."""
        self.steps += 1
        try:
            inst = self.instance if seed is None else self.sample(seed, params, level)
        except Exception as exc:  # a foreign or stale action: nothing to verify against
            return Score(0.0, f"cannot rebuild the action's instance: {type(exc).__name__}: {exc}"), None
        if inst is None:
            return Score(0.0, "step before reset: reset first, or name the instance with the action's seed "
                              "(OpenEnv's HTTP /step builds a fresh env per request)"), None
        if not isinstance(text, str):
            return Score(0.0, f"the action's text is not text (got {type(text).__name__})"), inst
        try:
            return self.env.verify(inst, text), inst
        except Exception as exc:  # verify never raises; the last guard of the rollout
            return Score(0.0, f"reward error: {type(exc).__name__}: {exc}"), inst

    def state(self) -> dict[str, Any]:
        """OpenEnv's State fields plus the current instance's identity."""
        inst = self.instance
        return {"episode_id": self.episode_id, "step_count": self.steps,
                **(identity(inst) if inst is not None else {"env": self.env.qualname})}


def identity(inst: Instance) -> dict[str, Any]:
    """What names an instance in JSON: env, seed, params (which rebuild it) and its id."""
    return {"env": inst.env, "seed": inst.seed, "params": to_json_value(dict(inst.params)), "instance_id": inst.id}


def action_fields(action: Any) -> tuple[Any, Any, Any, Any]:
    """(text, seed, params, level) of a RacesAction, a mapping with those keys, or bare text."""
    if isinstance(action, str):
        return action, None, None, None
    get = action.get if isinstance(action, Mapping) else lambda key: getattr(action, key, None)
    return get("text"), get("seed"), get("params"), get("level")


def outcome(score: Score) -> dict[str, Any]:
    """The reward and what explains it, as plain JSON."""
    return {"reward": float(score.value), "reason": printable(score.reason), "parts": [p.value for p in score.parts]}


def create_app(env: str | Env, *, seed: int = 0, level: float | None = None, specs: Any = None,
               packages: Any = None, max_concurrent_envs: int = MAX_CONCURRENT_ENVS, **params: Any) -> Any:
    """OpenEnv's FastAPI app (`openenv.core.env_server.create_app`) serving `env`: serve it
    with `uvicorn module:app`. The env is looked up once and its envs share one seed stream."""
    from openenv.core.env_server.http_server import create_app as openenv_create_app

    action_cls, observation_cls, env_cls = openenv_classes()
    proto = Episode(env, seed=seed, level=level, params=params, specs=specs, packages=packages)

    def factory() -> Any:
        return env_cls(proto.env, level=level, stream=proto.stream, **params)

    return openenv_create_app(factory, action_cls, observation_cls, env_name=proto.env.qualname,
                              max_concurrent_envs=max_concurrent_envs)


@cache
def openenv_classes() -> tuple[type, type, type]:
    """(RacesAction, RacesObservation, RacesOpenEnv), built on first use: they subclass
    OpenEnv's types, which take seconds to import and are an optional extra."""
    try:
        from openenv.core.env_server.interfaces import Environment
        from openenv.core.env_server.types import Action, EnvironmentMetadata, Observation, State
    except ImportError as exc:
        raise ImportError(f"the OpenEnv adapter needs openenv-core: {INSTALL}") from exc
    from pydantic import Field

    class RacesAction(Action):
        """The model's completion; `seed` (with `params`, `level`) names the instance when
        the env has none (OpenEnv's stateless HTTP /step)."""

        text: str = Field(..., description="The model's completion")
        seed: int | None = Field(default=None, ge=0, description="The instance's seed (from the observation)")
        params: dict[str, Any] | None = Field(default=None, description="The instance's params")
        level: float | None = Field(default=None, ge=0.0, le=1.0, description="A curriculum level in [0, 1]")

    class RacesObservation(Observation):
        """The prompt at reset; the instance's identity, and after a step the reason and parts."""

        prompt: str = Field(default="", description="The instance's prompt (empty after the step)")
        env: str = Field(default="", description="The environment's qualified name")
        seed: int | None = Field(default=None, description="The instance's seed")
        params: dict[str, Any] = Field(default_factory=dict, description="The instance's params")
        instance_id: str = Field(default="", description="The instance's id")
        reason: str = Field(default="", description="Why the step scored what it did")
        parts: list[float] = Field(default_factory=list, description="A composite's part scores")

    class RacesOpenEnv(Environment):
        """A racesdsl env as an OpenEnv Environment: one instance per episode (`Episode`)."""

        SUPPORTS_CONCURRENT_SESSIONS = True  # each env has its own episode; a shared stream is locked

        def __init__(self, env: str | Env, *, seed: int = 0, level: float | None = None, specs: Any = None,
                     packages: Any = None, stream: Stream | None = None, **params: Any) -> None:
            super().__init__()
            self.episode = Episode(env, seed=seed, level=level, params=params, specs=specs, packages=packages,
                                   stream=stream)

        def reset(self, seed: int | None = None, episode_id: str | None = None, params: Any = None,
                  level: float | None = None, **kwargs: Any) -> RacesObservation:
            if kwargs:  # OpenEnv passes every field of the request: a misspelt option must not vanish
                raise ValueError(f"unknown reset options {sorted(kwargs)}: this env takes seed, episode_id, "
                                 "params and level")
            return RacesObservation(**self.episode.reset(seed, episode_id, params, level))

        def step(self, action: Any, timeout_s: float | None = None, **kwargs: Any) -> RacesObservation:
            score, inst = self.episode.score(*action_fields(action))
            result = outcome(score)
            return RacesObservation(done=True, reward=result["reward"], reason=result["reason"],
                                    parts=result["parts"], metadata=result,
                                    **(identity(inst) if inst is not None else {}))

        @property
        def state(self) -> State:
            return State(**self.episode.state())

        def get_metadata(self) -> EnvironmentMetadata:
            name = self.episode.env.qualname
            return EnvironmentMetadata(name=name, description=f"racesdsl environment {name}: one instance "
                                       "per episode, reward in [0, 1]", version="1.0.0")

    for cls in (RacesAction, RacesObservation, RacesOpenEnv):  # picklable by reference, readable in reprs
        cls.__module__, cls.__qualname__ = __name__, cls.__name__
    return RacesAction, RacesObservation, RacesOpenEnv


def __getattr__(name: str) -> type:
    if name in _CLASSES:
        return openenv_classes()[_CLASSES.index(name)]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
