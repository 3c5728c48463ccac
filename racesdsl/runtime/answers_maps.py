"""Answers of the `Map` and `Optional` types (language.md §3): the typed conversions
answers.py applies to a parsed tree. Kept apart so answers.py stays one screenful per part.

A Map answer is a JSON object (or the Python-ish `{a: 1}`); its keys are strings in JSON,
so an Int key is read from its digits (`{"3": true}`) and two spellings of one integer
(`"3"`, `"03"`) are refused as a repeated key. An Optional answer is `null` (also `none`,
`None`, any case) or a value of the inner type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from racesdsl.runtime.lenient import Reject, Word, expected, preview
from racesdsl.runtime.types import Interval, TInt, TMap, _show_len

NULLS = frozenset({"null", "none"})


def is_null(x: Any) -> bool:
    """JSON `null`, or a bare word naming it (a quoted "null" is a string)."""
    return x is None or (type(x) is Word and x.strip().removesuffix(".").casefold() in NULLS)


def optional_conv(inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda x: None if is_null(x) else inner(x)


def map_conv(t: TMap, key: Callable[[Any], Any], value: Callable[[Any], Any]) -> Callable[[Any], dict[Any, Any]]:
    int_keys, length = isinstance(t.key, TInt), t.length
    llo, lhi = length.lo, length.hi

    def read_map(x: Any) -> dict[Any, Any]:
        if type(x) is list and not x:  # the lenient reader's `{}`
            x = {}
        if type(x) is not dict:
            raise Reject(expected("an object", x))
        if not llo <= len(x) <= lhi:
            raise Reject(f"{len(x)} keys, not in len={_show_len(length)}")
        out: dict[Any, Any] = {}
        for raw, item in x.items():
            try:
                k = key(Word(raw) if int_keys else raw)
            except Reject as r:
                raise Reject(f"key {preview(raw)}: {r}") from None
            if k in out:
                raise Reject(f"key {preview(raw)} repeats a key")
            try:
                out[k] = value(item)
            except Reject as r:
                raise Reject(f"value at {preview(raw)}: {r}") from None
        return {k: out[k] for k in sorted(out)}
    return read_map


def map_phrase(key: str, value: str, length: Interval) -> str:
    """`keys (integers) to values (strings)` for the format instruction."""
    del length  # the prompt states sizes; the instruction names only the shape
    return f"mapping keys ({key}) to values ({value})"
