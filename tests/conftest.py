"""Fixtures shared by several test files."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def importer(tmp_path: Path) -> Iterator[Path]:
    """A folder on sys.path for compiled packages; they are forgotten afterwards."""
    out = tmp_path / "build"
    out.mkdir()
    sys.path.insert(0, str(out))
    before = set(sys.modules)
    try:
        yield out
    finally:
        sys.path.remove(str(out))
        for name in set(sys.modules) - before:
            del sys.modules[name]
        importlib.invalidate_caches()
