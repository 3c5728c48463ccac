"""Seeds and ids derived with hashlib, so instances are identical on every
machine, process and PYTHONHASHSEED (never `hash()`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def _key(env: str, seed: int, params: Mapping[str, Any]) -> bytes:
    return json.dumps([env, seed, sorted(params.items())], separators=(",", ":"),
                      ensure_ascii=False, default=str).encode("utf-8")


def derive_seed(env: str, seed: int, params: Mapping[str, Any]) -> int:
    """The `random.Random` seed of one instance: a 64-bit digest of its identity."""
    return int.from_bytes(hashlib.sha256(_key(env, seed, params)).digest()[:8], "big")


def instance_id(env: str, seed: int, params: Mapping[str, Any]) -> str:
    """A short content-addressed id for an instance (stable across processes)."""
    return hashlib.sha256(b"id:" + _key(env, seed, params)).hexdigest()[:16]
