"""Content-addressed identity for specs, instances and composite stages.

Why: the runtime's instance `id` hashes (env name, seed, params) only, so the
same name in an edited spec yields the same id for different content. A
dataset that mixes spec versions, or an eval set that must be traceable to the
exact spec text, needs the spec in the key. Everything here is hashlib over
canonical text, so keys are equal on every machine, process and
PYTHONHASHSEED."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from racesdsl.runtime.answers import format_instruction
from racesdsl.runtime.composite import Composite, _Run
from racesdsl.runtime.env import Environment, Instance
from racesdsl.runtime.seeds import identity, params_key

__all__ = ["instance_key", "replay_stage", "spec_hash", "stage_seed", "step_seed"]

SUFFIXES = (".races", ".py")


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\n".join(parts).encode()).digest()


def _text(data: bytes) -> str:
    """Spec text with line endings normalised: a Windows checkout hashes the same."""
    return data.decode("utf-8").replace("\r\n", "\n")


def spec_hash(path_or_text: str | Path) -> str:
    """16 hex digits identifying spec content. A file hashes as its text (so
    `spec_hash(path) == spec_hash(path.read_text())`); a folder as the sorted
    relative paths and hashes of every `.races` and `.py` file in it (python
    bindings change instances too). A `str` is taken as a path when it names
    an existing file or folder, else as spec text."""
    path = path_or_text if isinstance(path_or_text, Path) else None
    if path is None and "\n" not in path_or_text and len(path_or_text) < 4096:
        candidate = Path(path_or_text)
        path = candidate if candidate.exists() else None
    if path is None:
        return _digest("racesdsl.spec", _text(str(path_or_text).encode())).hex()[:16]
    if path.is_file():
        return _digest("racesdsl.spec", _text(path.read_bytes())).hex()[:16]
    files = sorted(f for f in path.rglob("*")
                   if f.is_file() and f.suffix in SUFFIXES and "__pycache__" not in f.parts)
    lines = [f"{f.relative_to(path).as_posix()}\t{spec_hash(f)}" for f in files]
    return _digest("racesdsl.specs", *lines).hex()[:16]


def instance_key(spec_hash: str, env: str | Environment | Composite, params: Mapping[str, Any], seed: int) -> str:
    """16 hex digits for (spec content, env, params, seed): the runtime id with the spec in it."""
    name = env if isinstance(env, str) else env.qualname
    return _digest("racesdsl.instance", spec_hash, name, str(seed), params_key(params)).hex()[:16]


def stage_seed(seed: int, path: Sequence[str]) -> int:
    """A seed tree: each label of `path` derives a child seed from its parent,
    so `stage_seed(stage_seed(s, a), b) == stage_seed(s, a + b)` and
    `stage_seed(s, ()) == s`. 63 bits, non-negative."""
    for label in path:
        seed = int.from_bytes(_digest("racesdsl.stage", str(seed), str(label))[:8], "big") >> 1
    return seed


def step_seed(seed: int, step: int) -> int:
    """The instance seed of step `step` of a stream seeded with `seed`."""
    return stage_seed(seed, (f"step:{step}",))


def replay_stage(comp: Composite, seed: int, path: Sequence[str], **knobs: Any) -> Instance:
    """The base stage at `path` (stage labels, or 0-based indices as strings,
    through nested composites) of instance `seed` of `comp`, as a standalone
    instance of that stage's env: its prompt shows every input, fed ones
    included, and its answer is the stage's reference answer, so the stage can
    be posed and verified alone. The runtime draws all stages from one
    `random.Random` per instance, so this re-runs the chain to get the exact
    values; the standalone instance's seed is `stage_seed(seed, (qualname, *labels))`."""
    run = comp._sample_run(seed, comp.resolve_params(knobs))[0]
    labels = []
    for label in path:
        match = [c for c in run.children if c.label == label]
        if not match and label.isdigit() and int(label) < len(run.children):
            match = [run.children[int(label)]]
        if not match:
            known = ", ".join(c.label for c in run.children) or "none"
            raise KeyError(f"no stage {label!r} at this point of {comp.name} (stages: {known})")
        run = match[0]
        labels.append(run.label)
    return _standalone(comp, seed, tuple(labels), run)


def _standalone(comp: Composite, seed: int, path: tuple[str, ...], run: _Run) -> Instance:
    env = run.env
    if not isinstance(env, Environment):
        raise ValueError(f"{'/'.join(path) or comp.name} is a composite; extend the path to one of its stages")
    child = stage_seed(seed, (comp.qualname, *path))
    prompt = env.render_prompt(run.params | run.inputs) + "\n\n" + format_instruction(
        env.output_type(**run.params), env.answer_format)
    _, iid = identity(env.qualname, child, params_key(run.params))
    stored = {n: v for n, v in run.inputs.items() if n not in dict(env.lets)}  # lets are derived, not stored
    return Instance(env.qualname, child, dict(run.params), stored, prompt, run.output, iid)
