"""SkyRL-gym: racesdsl environments as a registered `BaseTextEnv` (env id `racesdsl`).

SkyRL builds one env per trajectory with `skyrl_gym.make(env_class,
env_config=..., extras=row)`, `extras` being the dataset row's columns other
than the prompt, then calls `init(prompt)` and `step(action)`. A `verl`-schema
export is such a dataset (`data_source`, `reward_model.ground_truth`,
`extra_info` with env, seed and params), so `RacesEnv.step` scores the action
exactly as the verl reward function does (verl.score_row: the rebuilt instance,
else the ground truth alone) and ends the episode: one turn, reward in [0, 1],
the reason and the composite's parts in the step's metadata.

Importing this module registers the env (SkyRL's workers know only the envs
their imports register); `register()` does it again under another id."""

from __future__ import annotations

from typing import Any

from skyrl_gym import register as _skyrl_register
from skyrl_gym.envs.base_text_env import BaseTextEnv, BaseTextEnvStepOutput

from racesdsl.integrations.registry import default_registry
from racesdsl.integrations.verl import score_row
from racesdsl.runtime.score import Score, printable

__all__ = ["ENV_ID", "RacesEnv", "register"]

ENV_ID = "racesdsl"


def _get(config: Any, key: str) -> Any:
    try:
        return config.get(key) if config is not None else None
    except Exception:  # an OmegaConf node without the key, or a plain object
        return getattr(config, key, None)


class RacesEnv(BaseTextEnv):
    """One instance of a verl-schema row. `env_config` may name the sources
    (`specs`, `packages`); otherwise RACESDSL_SPECS / RACESDSL_PACKAGES."""

    def __init__(self, env_config: Any = None, extras: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.extras = dict(extras or {})
        specs, packages = _get(env_config, "specs"), _get(env_config, "packages")
        self.registry = default_registry(specs, packages) if specs is not None or packages is not None \
            else default_registry()
        reward = self.extras.get("reward_spec") or self.extras.get("reward_model") or {}
        self.ground_truth = reward.get("ground_truth") if isinstance(reward, dict) else None
        self.last_score: Score | None = None

    def step(self, action: str) -> BaseTextEnvStepOutput:
        self.turns += 1
        try:
            score = score_row(self.registry, self.extras.get("data_source"), action, self.ground_truth,
                              self.extras.get("extra_info"))
        except Exception as exc:  # score_row never raises; the last guard of the rollout
            score = Score(0.0, f"reward error: {type(exc).__name__}: {exc}")
        self.last_score = score
        return BaseTextEnvStepOutput(observations=[], reward=float(score.value), done=True,
                                     metadata={"reason": printable(score.reason),
                                               "parts": [p.value for p in score.parts]})

    def get_metrics(self) -> dict[str, Any]:
        if self.last_score is None:
            return {}
        return {"racesdsl_correct": float(self.last_score.value == 1.0)}


def register(env_id: str = ENV_ID) -> None:
    """Register `RacesEnv` with skyrl_gym under `env_id` (again is fine)."""
    from skyrl_gym.envs.registration import registry

    if env_id not in registry:
        _skyrl_register(id=env_id, entry_point=f"{__name__}:RacesEnv")


register()
