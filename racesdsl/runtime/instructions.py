"""The format instruction appended to every prompt: the output type in words ("a JSON
list of integers", "either an integer or null") and where the answer goes."""

from __future__ import annotations

import json

from racesdsl.runtime.answers_maps import map_phrase
from racesdsl.runtime.extract import finder
from racesdsl.runtime.types import (
    TBool,
    TEnum,
    TFloat,
    TInt,
    TList,
    TMap,
    TOptional,
    TRecord,
    TSet,
    TStr,
    TTuple,
    TType,
)

__all__ = ["format_instruction"]


def _choices(values: tuple[str, ...], quoted: bool) -> str:
    """The literals, in full up to 20 of them or 400 characters; a larger Enum by its first
    literals and its size, so 3,000 words do not put 30 KB into every prompt."""
    plain = not quoted and all(v and v == v.strip() and not set(v) & set(",\"'") for v in values)
    shown = list(values if plain else map(json.dumps, values))
    full = ", ".join(shown)
    if len(shown) <= 20 and len(full) <= 400:
        return full
    head = [shown[0] if len(shown[0]) <= 200 else shown[0][:200] + "…"]
    for v in shown[1:10]:
        if len(", ".join(head)) + len(v) > 200:
            break
        head.append(v)
    return f"{', '.join(head)}, … ({len(shown):,} in all)"


def _a(t: TType, quoted: bool, j: str = "") -> str:
    """`t` with an article: "an integer", "a JSON list of integers"; `quoted`: inside JSON."""
    match t:
        case TInt():
            return "an integer"
        case TFloat():
            return "a number"
        case TBool():
            return "true or false"
        case TStr():
            return "a string" if quoted else "text"
        case TEnum(values):
            return "one of " + _choices(values, quoted)
        case TList() | TSet() | TTuple():
            return f"a {j}list {_many(t)[6:]}"  # "lists of X" -> "a list of X"
        case TRecord():
            return f"{'a JSON' if j else 'an'} object with {_keys(t)}"
        case TMap(k, v, length):
            return f"{'a JSON' if j else 'an'} object {map_phrase(_many(k), _a(v, True), length)}"
        case TOptional(inner):
            return f"either {_a(inner, quoted, j)} or null"
    return "a JSON value"


def _many(t: TType) -> str:
    """`t` in the plural: "integers", "lists of integers"."""
    match t:
        case TInt():
            return "integers"
        case TFloat():
            return "numbers"
        case TBool():
            return "booleans (true or false)"
        case TStr():
            return "strings"
        case TEnum(values):
            return "strings, each one of " + _choices(values, True)
        case TList(e):
            return "lists of " + _many(e)
        case TSet(e):
            return "lists of distinct " + _many(e)
        case TTuple(items):
            n = len(items)
            if n > 1 and all(i == items[0] for i in items) and not isinstance(items[0], TEnum):
                return f"lists of {n} {_many(items[0])}"
            return f"lists of {n} item{'s' * (n != 1)} ({', '.join(_a(i, True) for i in items)})"
        case TRecord():
            return "objects with " + _keys(t)
        case TMap(k, v, length):
            return "objects " + map_phrase(_many(k), _a(v, True), length)
        case TOptional(inner):
            return f"{_many(inner)} or nulls"
    return "JSON values"


def _keys(t: TRecord) -> str:
    parts = [f"{json.dumps(n)} ({_a(ft, True)})" for n, ft in t.fields]
    if not parts:
        return "no keys"
    return f"the key {parts[0]}" if len(parts) == 1 else "keys " + ", ".join(parts[:-1]) + " and " + parts[-1]


def format_instruction(t: TType, fmt: str) -> str:
    """The sentence appended to every prompt, derived from the output type and format."""
    finder(fmt)
    if fmt == "json":
        return f"Give your final answer at the end of your reply as a JSON value: {_a(t, True)}."
    where = "inside <answer></answer>" if fmt == "tags" else "inside \\boxed{}"
    return f"Give your final answer as {_a(t, False, 'JSON ')} {where}."
