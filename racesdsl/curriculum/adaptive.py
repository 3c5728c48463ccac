"""`Adaptive`: a per-environment difficulty controller that also grows structure.

Why: a fixed difficulty is either too easy (no learning signal) or too hard
(all-zero rewards). The controller keeps each env in a target accuracy band by
moving its level, and once an env is mastered at the top level it brings in
composites one level deeper, so the task distribution grows with the learner,
as in the RACES paper's depth curriculum.

Everything is a pure function of the constructor arguments and the stream of
`report` and `next` calls, and the state is plain JSON: save it with a
checkpoint, restore it with `Adaptive.from_state`, and the run continues with
the same decisions."""

from __future__ import annotations

import hashlib
import math
import random
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from racesdsl.curriculum.difficulty import difficulty

__all__ = ["Adaptive", "Event", "PoolEntry", "make_pool"]

STATE_VERSION = 1


@dataclass(frozen=True)
class PoolEntry:
    """An env the controller may put in rotation: its name (as the program knows
    it), its depth, its base envs (used to promote related composites) and
    whether it has numeric knobs at all (one without starts at level 1.0:
    there is nothing to walk)."""

    name: str
    depth: int
    bases: tuple[str, ...] = ()
    tunable: bool = True

    def to_list(self) -> list[Any]:
        return [self.name, self.depth, list(self.bases), self.tunable]


def make_pool(source: Any, names: Iterable[str] | None = None) -> list[PoolEntry]:
    """Pool entries from a loaded Program (or any name -> env mapping, or a
    name -> depth dict), or from a list of names, `(name, depth)`, `(name, depth, bases)`, dicts with those
    keys, `PoolEntry`s or objects with `.name` and `.depth` (such as
    `racesdsl enumerate`'s survivors). A bare name has depth 1."""
    from racesdsl.curriculum.splits import lineage

    wanted = list(names) if names is not None else None
    if isinstance(source, Mapping):
        keys = wanted if wanted is not None else list(source)
        out = []
        for name in keys:
            env = source[name]
            if isinstance(env, int) and not isinstance(env, bool):  # {name: depth}
                out.append(PoolEntry(name, env))
                continue
            line = lineage(env)
            vector = difficulty(env)
            out.append(PoolEntry(name, vector.depth, tuple(line["bases"]), bool(vector.knobs)))
        return out
    out = [_entry(item) for item in source]
    if wanted is not None:
        keep = set(wanted)
        out = [e for e in out if e.name in keep]
    return out


def _entry(item: Any) -> PoolEntry:
    if isinstance(item, PoolEntry):
        return item
    if isinstance(item, str):
        return PoolEntry(item, 1)
    if isinstance(item, Mapping):
        return PoolEntry(str(item["name"]), int(item.get("depth", 1)), tuple(item.get("bases", ())),
                         bool(item.get("tunable", True)))
    if isinstance(item, (tuple, list)):
        return PoolEntry(str(item[0]), int(item[1]), tuple(item[2]) if len(item) > 2 else (),
                         bool(item[3]) if len(item) > 3 else True)
    return PoolEntry(str(item.name), int(item.depth), tuple(getattr(item, "bases", ()) or ()))


@dataclass(frozen=True)
class Event:
    """What a decision did: `raise`, `lower`, `hold` or `mastered` (with the
    names it promoted into rotation)."""

    env: str
    action: str
    level: float
    accuracy: float
    promoted: tuple[str, ...] = ()


@dataclass
class _Track:
    level: float
    rewards: deque[float]
    since: int = 0  # reports since the last decision
    reports: int = 0


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _hash_int(*parts: object) -> int:
    text = "\n".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


@dataclass
class Adaptive:
    """Per-env levels kept in an accuracy band, plus promotion to deeper composites.
    `pool` takes anything `make_pool` does (a Program, names, tuples, ...).

    - Each env has a level in [0, 1] (start `start_level`) and a sliding window
      of its last `window` rewards; accuracy is their mean.
    - Every `update_every` reports of an env (default: `window`), once that
      many rewards are in its window, the controller decides: accuracy above
      `band[1]` raises the level by `step`, below `band[0]` lowers it (clamped
      to [0, 1]). A change clears the window: old rewards describe the old level.
    - At level 1.0 with accuracy above the band the env is *mastered*: it leaves
      rotation and up to `promote` unseen pool entries of the next depth of the
      pool (the smallest depth above its own) join it, those sharing a base
      env with it first, in pool order. Mastery is final; a mastered env
      that is still reported on (see `review`) keeps adapting its level.
    - `next()` picks uniformly among the active envs (with probability
      `review`, among mastered ones instead, at level 1.0), from its own
      hashlib-derived stream: `seed` and a step counter.
    - An env without numeric knobs (`PoolEntry.tunable` false) sits at level
      1.0 and is only judged for mastery."""

    pool: list[PoolEntry]
    start: list[str] | None = None
    window: int = 64
    band: tuple[float, float] = (0.3, 0.8)
    step: float = 0.1
    update_every: int | None = None
    start_level: float = 0.0
    promote: int | None = 2
    review: float = 0.0
    seed: int = 0
    steps: int = 0
    _tracks: dict[str, _Track] = field(default_factory=dict, init=False, repr=False)
    _active: list[str] = field(default_factory=list, init=False, repr=False)
    _mastered: list[str] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.pool = make_pool(self.pool)
        self.band = (float(self.band[0]), float(self.band[1]))
        if not 0.0 <= self.band[0] <= self.band[1] <= 1.0:
            raise ValueError(f"band must satisfy 0 <= low <= high <= 1, got {self.band}")
        if self.window < 1 or (self.update_every is not None and self.update_every < 1):
            raise ValueError("window and update_every must be positive")
        if not 0.0 < self.step <= 1.0 or not 0.0 <= self.start_level <= 1.0 or not 0.0 <= self.review <= 1.0:
            raise ValueError("step must lie in (0, 1], start_level and review in [0, 1]")
        self._by_name = {e.name: e for e in self.pool}
        if len(self._by_name) != len(self.pool):
            raise ValueError("pool names must be distinct")
        if not self._active and not self._mastered and not self._tracks:
            if self.start is None:
                low = min((e.depth for e in self.pool), default=1)
                self.start = [e.name for e in self.pool if e.depth == low]
            for name in self.start:
                if name not in self._by_name:
                    raise KeyError(f"start env {name!r} is not in the pool")
                self._activate(name)

    # ------------------------------------------------------------- queries

    @property
    def every(self) -> int:
        return self.update_every if self.update_every is not None else self.window

    def active(self) -> list[str]:
        """Envs in rotation, in the order they joined it."""
        return list(self._active)

    def mastered(self) -> list[str]:
        return list(self._mastered)

    def level(self, env: str) -> float:
        return self._track(env).level

    def accuracy(self, env: str) -> float | None:
        """Mean reward of the window, None when it is empty."""
        rewards = self._track(env).rewards
        return sum(rewards) / len(rewards) if rewards else None

    def _track(self, env: str) -> _Track:
        if env not in self._tracks:
            raise KeyError(f"{env!r} has not been in rotation (active: {', '.join(self._active) or 'none'})")
        return self._tracks[env]

    def _activate(self, name: str) -> None:
        if name not in self._tracks:
            level = self.start_level if self._by_name[name].tunable else 1.0
            self._tracks[name] = _Track(level, deque(maxlen=self.window))
        if name not in self._active and name not in self._mastered:
            self._active.append(name)

    # ------------------------------------------------------------- choosing

    def next(self, rng_or_seed: random.Random | int | None = None) -> tuple[str, float]:
        """(env name, level) to sample next. A `random.Random` is used as given;
        an int (or None, meaning `self.seed`) seeds a stream keyed by the step
        counter, so the choice is reproducible from the saved state."""
        if isinstance(rng_or_seed, random.Random):
            rng = rng_or_seed
        else:
            base = self.seed if rng_or_seed is None else rng_or_seed
            rng = random.Random(_hash_int("racesdsl.curriculum.next", base, self.steps))
        self.steps += 1
        reviewing = bool(self._mastered) and (not self._active or (self.review > 0 and rng.random() < self.review))
        names = self._mastered if reviewing else self._active
        if not names:
            raise RuntimeError("no env in rotation: the pool is empty")
        name = names[rng.randrange(len(names))]
        return name, self._tracks[name].level

    # ------------------------------------------------------------ reporting

    def report(self, env: str, reward: float) -> Event | None:
        """Record one reward in [0, 1]; returns the decision when one was due."""
        reward = float(reward)
        if not math.isfinite(reward) or not 0.0 <= reward <= 1.0:
            raise ValueError(f"reward must lie in [0, 1], got {reward!r}")
        track = self._track(env)
        track.rewards.append(reward)
        track.since += 1
        track.reports += 1
        if track.since < self.every or len(track.rewards) < min(self.every, self.window):
            return None
        track.since = 0
        return self._decide(env, track)

    def _decide(self, env: str, track: _Track) -> Event:
        acc = sum(track.rewards) / len(track.rewards)
        low, high = self.band
        entry = self._by_name.get(env)
        if entry is not None and not entry.tunable and acc <= high:
            return Event(env, "hold", track.level, acc)  # no knob: moving the level would change nothing
        if acc > high and track.level >= 1.0:
            if env in self._mastered:
                return Event(env, "hold", track.level, acc)
            self._mastered.append(env)
            if env in self._active:
                self._active.remove(env)
            return Event(env, "mastered", track.level, acc, tuple(self._promote(env)))
        if acc > high:
            return self._move(env, track, +self.step, "raise", acc)
        if acc < low and track.level > 0.0:
            return self._move(env, track, -self.step, "lower", acc)
        return Event(env, "hold", track.level, acc)

    def _move(self, env: str, track: _Track, delta: float, action: str, acc: float) -> Event:
        track.level = round(min(1.0, max(0.0, track.level + delta)), 9)
        track.rewards.clear()
        return Event(env, action, track.level, acc)

    def _promote(self, env: str) -> list[str]:
        """Unseen pool entries of the next depth above `env`'s, related ones first."""
        entry = self._by_name.get(env)
        depth = entry.depth if entry is not None else 1
        mine = set(map(_short, entry.bases if entry is not None and entry.bases else (env,)))
        deeper = [e.depth for e in self.pool if e.depth > depth]
        if not deeper:
            return []
        target = min(deeper)  # one rung up the pool's depth ladder, even when that rung is used up
        level = [e for e in self.pool if e.depth == target and e.name not in self._tracks]
        related = [e for e in level if mine & set(map(_short, e.bases))]
        chosen = related or level
        if self.promote is not None:
            chosen = chosen[: self.promote]
        for e in chosen:
            self._activate(e.name)
        return [e.name for e in chosen]

    # ---------------------------------------------------------------- state

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue with the same decisions, as plain JSON."""
        return {
            "version": STATE_VERSION,
            "config": {"window": self.window, "band": list(self.band), "step": self.step,
                       "update_every": self.update_every, "start_level": self.start_level,
                       "promote": self.promote, "review": self.review, "seed": self.seed},
            "pool": [e.to_list() for e in self.pool],
            "start": list(self.start or []),
            "steps": self.steps,
            "active": list(self._active),
            "mastered": list(self._mastered),
            "envs": {name: {"level": t.level, "rewards": list(t.rewards), "since": t.since, "reports": t.reports}
                     for name, t in self._tracks.items()},
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Adaptive:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported controller state version {state.get('version')!r}")
        cfg = state["config"]
        ctl = cls.__new__(cls)
        ctl.pool = [_entry(e) for e in state["pool"]]
        ctl.start = list(state["start"])
        ctl.window, ctl.band, ctl.step = int(cfg["window"]), (cfg["band"][0], cfg["band"][1]), cfg["step"]
        ctl.update_every, ctl.start_level = cfg["update_every"], cfg["start_level"]
        ctl.promote, ctl.review, ctl.seed = cfg["promote"], cfg["review"], cfg["seed"]
        ctl.steps = int(state["steps"])
        ctl._tracks = {name: _Track(float(t["level"]), deque(map(float, t["rewards"]), maxlen=ctl.window),
                                    int(t["since"]), int(t["reports"]))
                       for name, t in state["envs"].items()}
        ctl._active = list(state["active"])
        ctl._mastered = list(state["mastered"])
        ctl.__post_init__()
        return ctl

    # -------------------------------------------------------------- helpers

    @classmethod
    def from_program(cls, program: Mapping[str, Any], names: Sequence[str] | None = None,
                     **kwargs: Any) -> Adaptive:
        """A controller over a loaded Program (optionally only `names`)."""
        return cls(make_pool(program, names), **kwargs)
