"""Instances streamed to a trainer without a static dataset, scored and fed back.

Why: a procedural environment needs no dataset file, and an adaptive
curriculum cannot have one (what comes next depends on the rewards so far).
A `Feed` hands out instances one at a time, either a fixed round-robin mix of
environments or what a `racesdsl.curriculum.Adaptive` controller picks, scores
completions against them and reports the rewards to the controller. Its state
is plain JSON (`state_dict` / `load_state_dict`), so a trainer checkpoint can
carry it and a resumed run continues with exactly the instances an
uninterrupted run would have drawn next. The TRL (`trl_stream`) and slime
(`slime`) adapters are thin wrappers around it.

Instance k of a fixed mix is environment `names[k % len(names)]` at seed
`step_seed(seed, k)`; with a controller, `InstanceStream` decides, seeded from
the controller's step counter, which its state saves."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from racesdsl.curriculum.adaptive import Adaptive
from racesdsl.curriculum.ids import step_seed
from racesdsl.curriculum.stream import InstanceStream
from racesdsl.integrations.registry import plain, qualname_of, read_json
from racesdsl.runtime.env import Instance
from racesdsl.runtime.score import Score

__all__ = ["STATE_VERSION", "Feed"]

STATE_VERSION = 1
MAX_REMEMBERED = 4096  # handed-out instances kept for scoring (older ones are re-sampled: the same instance)


class Feed:
    """An endless stream of instances of `program`'s environments.

    `names` (default: the program's roots, else all of it) is the fixed mix;
    `controller` (an `Adaptive` over the same program) replaces it with a
    curriculum. `params` apply to every instance of a fixed mix."""

    def __init__(self, program: Mapping[str, Any], names: Sequence[str] | None = None, *,
                 controller: Adaptive | None = None, seed: int = 0,
                 params: Mapping[str, Any] | None = None) -> None:
        if controller is not None and params:
            raise ValueError("params fix the mix's difficulty; a controller sets it per instance: give one")
        self.program = program
        self.names = list(names) if names is not None else list(getattr(program, "roots", None) or program)
        if controller is None and not self.names:
            raise ValueError("a feed needs at least one environment")
        for name in self.names:
            if name not in program:
                raise KeyError(f"no environment `{name}` in the program")
        self.seed, self.params, self.count = seed, dict(params or {}), 0
        self._set_controller(controller)
        self._handed: OrderedDict[str, Instance] = OrderedDict()

    def _set_controller(self, controller: Adaptive | None) -> None:
        self.controller = controller
        self._stream = InstanceStream(self.program, controller, self.seed) if controller is not None else None
        self._drawn: Iterator[Instance] | None = None

    # ------------------------------------------------------------ instances

    def next(self) -> Instance:
        """The next instance (remembered for scoring)."""
        if self._stream is not None:
            if self._drawn is None:
                self._drawn = iter(self._stream)
            inst = next(self._drawn)
        else:
            name = self.names[self.count % len(self.names)]
            inst = self.program[name].sample(step_seed(self.seed, self.count), **self.params)
        self.count += 1
        self._handed[inst.id] = inst
        if len(self._handed) > MAX_REMEMBERED:
            self._handed.popitem(last=False)
        return inst

    def __iter__(self) -> Iterator[Instance]:
        while True:
            yield self.next()

    def instance(self, env: Any, seed: Any, params: Any = None, iid: Any = None) -> Instance:
        """The instance a row names: a handed-out one by id, else re-sampled from
        (env, seed, params), which is the same instance."""
        hit = self._handed.get(iid) if isinstance(iid, str) else None
        if hit is not None:
            return hit
        values = read_json(params) if params is not None else {}
        return self.program[qualname_of(str(env))].sample(int(plain(seed)), **dict(values or {}))

    # -------------------------------------------------------------- scoring

    def score(self, env: Any, seed: Any, params: Any, completion: Any, iid: Any = None, *,
              report: bool = True) -> Score:
        """Verify `completion` against the row's instance and (with a controller, unless
        `report=False`, e.g. for evaluation) report the reward; never raises."""
        try:
            inst = self.instance(env, seed, params, iid)
        except Exception as exc:  # a foreign or broken row: nothing to verify against
            return Score(0.0, f"cannot rebuild the row's instance: {type(exc).__name__}: {exc}")
        if not isinstance(completion, str):
            return Score(0.0, f"the completion is not text (got {type(completion).__name__})")
        score = self.program[inst.env].verify(inst, completion)
        if report and self._stream is not None:
            try:
                self._stream.report(inst, score.value)
            except Exception as exc:  # an env the controller does not know: score it, say so
                return Score(score.value, f"{score.reason} (not reported to the curriculum: {exc})", score.parts)
        return score

    # ---------------------------------------------------------------- state

    def state_dict(self) -> dict[str, Any]:
        """Plain JSON: where the stream is (and the controller's whole state)."""
        return {"version": STATE_VERSION, "seed": self.seed, "count": self.count, "names": list(self.names),
                "params": json.loads(json.dumps(self.params)),
                "controller": self.controller.state_dict() if self.controller is not None else None}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from a saved state: the next instances are the ones the saved feed
        would have handed out next."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported feed state version {state.get('version')!r}")
        if (state["seed"], list(state["names"])) != (self.seed, self.names):
            raise ValueError("the saved feed has another seed or mix than this one; build it with the same arguments")
        self.count = int(state["count"])
        saved = state.get("controller")
        self._set_controller(Adaptive.from_state(saved) if saved is not None else None)
        self._handed.clear()
