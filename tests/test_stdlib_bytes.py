"""Every stdlib env keeps its instances' bytes across language changes.

The digests in tests/golden/stdlib_instances.json were taken before v0.2
(generics, let/draw, new builtins) and must not move unless an env's meaning
is meant to change: then regenerate with UPDATE_GOLDEN=1 and say why in the
commit. 25 seeds of every env at default params: inputs, prompt, answer, id,
and the rendered reference answer (what the answer format asks for)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import racesdsl

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "stdlib_instances.json"
SEEDS = range(25)


def digest(env) -> str:
    h = hashlib.sha256()
    for seed in SEEDS:
        inst = env.sample(seed)
        row = inst.to_dict()
        row["rendered"] = env.render_answer(inst.answer, **inst.params)
        h.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


@pytest.fixture(scope="module")
def digests() -> dict[str, str]:
    return {name: digest(env) for name, env in sorted(racesdsl.load(ROOT / "specs").items())}


def test_stdlib_instances_are_byte_identical_to_the_golden_digests(digests) -> None:
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(golden) >= 132
    missing = sorted(set(golden) - set(digests))
    assert not missing, f"stdlib envs disappeared: {missing}"
    changed = sorted(name for name in golden if digests[name] != golden[name])
    assert not changed, f"instances changed bytes for {changed}: UPDATE_GOLDEN=1 only if meant"
