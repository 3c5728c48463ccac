"""GEM (`gem-llm`): racesdsl environments as single-turn `gem.Env`s, registered
with `gem.register` so `gem.make(id)` (and what builds on GEM: ROLL, Oat)
creates them.

`reset()` draws the next instance of a deterministic stream (instance k at
seed `step_seed(seed, k)`, a `Feed`), `reset(seed=s)` the instance of seed s;
the observation is the prompt. `step(action)` verifies the action with the
environment's own verifier and ends the episode, as GEM's reasoning-gym envs
do: `(TERMINAL_STATE, reward, True, True, {"reason", "parts"})`.
`get_state`/`set_state` and `spawn(same_state=True)` carry the stream position,
so a copy continues where the original is."""

from __future__ import annotations

from typing import Any

from gem.core import Env
from gem.envs.registration import ENV_REGISTRY
from gem.envs.registration import register as _gem_register
from gem.utils.constants import TERMINAL_STATE

from racesdsl.integrations.feed import Feed
from racesdsl.integrations.registry import Registry, default_registry
from racesdsl.runtime.env import Instance
from racesdsl.runtime.score import printable

__all__ = ["ID_PREFIX", "RacesGemEnv", "register"]

ID_PREFIX = "racesdsl/"


class RacesGemEnv(Env):
    """One racesdsl environment `env` (a qualified name) at `params`."""

    def __init__(self, env: str, seed: int = 0, specs: Any = None, packages: Any = None, **params: Any) -> None:
        super().__init__()
        self.name, self.seed, self.params = env, seed, dict(params)
        self.specs, self.packages = specs, packages
        registry: Registry = default_registry(specs, packages) if specs is not None or packages is not None \
            else default_registry()
        self.env = registry.get(env)
        self.env.resolve_params(self.params)  # fail at make(), not at the first reset
        self.feed = Feed({self.env.qualname: self.env}, [self.env.qualname], seed=seed, params=self.params)
        self.instance: Instance | None = None

    def reset(self, seed: int | None = None) -> tuple[str, dict[str, Any]]:
        self.instance = self.feed.next() if seed is None else self.env.sample(seed, **self.params)
        return self.instance.prompt, {"id": self.instance.id, "seed": self.instance.seed}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self.instance is None:
            return TERMINAL_STATE, 0.0, True, True, {"reason": "step before reset", "parts": []}
        score = self.env.verify(self.instance, action)
        return TERMINAL_STATE, float(score.value), True, True, {"reason": printable(score.reason),
                                                                  "parts": [p.value for p in score.parts]}

    def get_state(self) -> dict[str, Any]:
        inst = self.instance
        return {"feed": self.feed.state_dict(),
                "instance": None if inst is None else {"seed": inst.seed, "params": dict(inst.params)}}

    def set_state(self, state: dict[str, Any]) -> None:
        self.feed.load_state_dict(state["feed"])
        saved = state.get("instance")
        self.instance = None if saved is None else self.env.sample(saved["seed"], **saved["params"])

    def spawn(self, same_state: bool = False, **kwargs: Any) -> RacesGemEnv:
        options = {"env": self.name, "seed": self.seed, "specs": self.specs, "packages": self.packages,
                   **self.params, **kwargs}
        child = RacesGemEnv(**options)
        if same_state:
            child.set_state(self.get_state())
        return child


def register(env: str, env_id: str | None = None, **kwargs: Any) -> str:
    """Register racesdsl environment `env` with GEM as `env_id` (default
    `racesdsl/<env>`); `kwargs` (seed, specs, packages, params) become make()'s
    defaults. Registering the same id again is a no-op. Returns the id."""
    env_id = env_id or ID_PREFIX + env
    if env_id not in ENV_REGISTRY:
        _gem_register(env_id, entry_point=f"{__name__}:RacesGemEnv", env=env, **kwargs)
    return env_id
