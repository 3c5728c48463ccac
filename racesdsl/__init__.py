"""racesdsl: a typed spec language and compiler for composable verifiable RL environments."""

__version__ = "0.1.0"
