"""Moved to `racesdsl.runtime.types` (generated code needs the types without the checker).

Kept only while in-flight code still imports the old path."""

from racesdsl.runtime.types import *  # noqa: F403
from racesdsl.runtime.types import _join_chars, _num, _str_length  # noqa: F401
