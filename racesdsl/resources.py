"""Locate files shipped with the package (the grammar, the stdlib specs).

An installed wheel carries them inside `racesdsl/`; an editable checkout
keeps them at the repository's top level. Both are found the same way."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent


def _find(inside: str, top_level: str) -> Path:
    packaged = resources.files("racesdsl").joinpath(inside)
    if packaged.is_dir() or packaged.is_file():
        return Path(str(packaged))
    return _REPO_ROOT / top_level


def grammar_path() -> Path:
    return _find("_data/races.lark", "grammars/races.lark")


def grammar_text() -> str:
    return grammar_path().read_text(encoding="utf-8")


def stdlib_dir() -> Path:
    """The folder behind the reserved `std` namespace."""
    return _find("_data/specs", "specs")
