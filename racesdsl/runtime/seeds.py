"""Seeds and ids derived with hashlib, so instances are identical on every
machine, process and PYTHONHASHSEED (never `hash()`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def params_key(params: Mapping[str, Any]) -> str:
    """A canonical text for a params value (computed once per value, not per instance)."""
    return json.dumps(sorted(params.items()), separators=(",", ":"), ensure_ascii=False, default=str)


def identity(env: str, seed: int, params_text: str) -> tuple[int, str]:
    """One digest of (env, seed, params) gives both the seed of the instance's
    generator (64 bits, runtime/rng.py) and its short content-addressed id
    (another 64 bits, hex)."""
    digest = hashlib.sha256(f"{env}\n{seed}\n{params_text}".encode()).digest()
    return int.from_bytes(digest[:8], "big"), digest[8:16].hex()


def identity_parts(prefix: bytes, seed: int, suffix: bytes) -> tuple[int, str]:
    """`identity` with the env and params parts already encoded (`env + "\\n"` and
    `"\\n" + params_text`): the same digest, for the per-instance hot path."""
    digest = hashlib.sha256(b"%b%d%b" % (prefix, seed, suffix)).digest()
    return int.from_bytes(digest[:8], "big"), digest[8:16].hex()
