"""`Score`: what a verifier returns (language.md §6), and `brief` for its reasons.

A score is a number in [0, 1] with a human reason, and, for composites, the
scores of the parts it was computed from. It is immutable so verifiers can
hand out shared instances (`Score.ok()` is one object) on the hot path.

Wrong answers are the common case in RL and most rewards are read for their
value only, so `mismatch()` builds a score whose reason ("expected 6, got 7")
is written on first read of `reason`; building the text eagerly cost more
than the rest of a gcd verification.

Reasons are bounded and always encode as UTF-8, whatever text they quote:
`clip` cuts quoted model text to a few hundred characters, and every Score
cuts its reason at `MAX_REASON` and escapes lone surrogates, so no reason can
copy a 64 KB completion into a log or break a JSONL writer."""

from __future__ import annotations

import json
import math
from typing import Any

MAX_REASON = 1000  # characters; a composite's reason quotes at most its last part's
_SLACK = 1e-9  # float noise from averaging parts, e.g. 1.0000000000000002
_SMALL_INTS = frozenset([int])


class Score:
    """`value` in [0, 1] (1 = fully correct), `reason` for people, `parts` for composites.

    Values within 1e-9 outside [0, 1] are clamped (rounding noise from means);
    anything else (NaN, inf, 1.5, a string) raises: it is a bug in the caller,
    and user-supplied python verifiers are checked before a Score is built.
    The reason is cut to `MAX_REASON` characters, lone surrogates escaped.
    Immutable, compared and hashed by (value, reason, parts)."""

    __slots__ = ("value", "_reason", "parts")
    __match_args__ = ("value", "reason", "parts")
    value: float
    parts: tuple[Score, ...]

    def __init__(self, value: float, reason: str, parts: tuple[Score, ...] = ()) -> None:
        if type(value) is not float or not 0.0 <= value <= 1.0:  # the common case costs one test
            if not isinstance(value, int | float):
                raise TypeError(f"a score value must be a number, got {type(value).__name__}")
            value = float(value)
            if not (-_SLACK <= value <= 1.0 + _SLACK):  # also false for NaN
                raise ValueError(f"a score value must lie in [0, 1], got {value!r}")
            value = min(max(value, 0.0), 1.0)
        if type(reason) is not str:
            if not isinstance(reason, str):
                raise TypeError(f"a score reason must be text, got {type(reason).__name__}")
            reason = str(reason)  # a str subclass becomes plain text
        if len(reason) > MAX_REASON or not reason.isascii():
            reason = _cut(printable(reason[:MAX_REASON + 1]), MAX_REASON)
        if parts or type(parts) is not tuple:
            parts = tuple(parts)
            if not all(isinstance(p, Score) for p in parts):
                raise TypeError("the parts of a score must be scores")
        _set_value(self, value)
        _set_reason(self, reason)
        _set_parts(self, parts)

    @property
    def reason(self) -> str:
        why = self._reason
        if type(why) is _Mismatch:  # (reference, answer, note), written now
            why = f"expected {brief(why[0])}{why[2]}, got {brief(why[1])}"
            _set_reason(self, why)
        return why

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a Score is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a Score is immutable (cannot delete {name!r})")

    def __eq__(self, other: object) -> bool:
        if type(other) is not Score:
            return NotImplemented
        return self.value == other.value and self.reason == other.reason and self.parts == other.parts

    def __hash__(self) -> int:
        return hash((self.value, self.reason, self.parts))

    def __repr__(self) -> str:
        return f"Score(value={self.value!r}, reason={self.reason!r}, parts={self.parts!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return Score, (self.value, self.reason, self.parts)

    @classmethod
    def ok(cls, reason: str = "correct") -> Score:
        return _OK if reason == "correct" else cls(1.0, reason)

    @classmethod
    def fail(cls, reason: str) -> Score:
        return cls(0.0, reason)

    @property
    def correct(self) -> bool:
        return self.value == 1.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the same keys for every score, parts or not)."""
        return {"value": self.value, "reason": self.reason, "parts": [p.to_dict() for p in self.parts]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Score:
        return cls(data["value"], data["reason"], tuple(cls.from_dict(p) for p in data.get("parts", ())))


_set_value = Score.value.__set__  # type: ignore[attr-defined]  # slot descriptors: the only writers
_set_reason = Score._reason.__set__  # type: ignore[attr-defined]
_set_parts = Score.parts.__set__  # type: ignore[attr-defined]
_new_score = object.__new__


class _Mismatch(tuple):
    """A reason not written yet: (reference, answer, note). Its own type, so no text
    given by a caller is ever mistaken for one."""

    __slots__ = ()


def mismatch(reference: Any, answer: Any, note: str = "") -> Score:
    """A zero for a wrong answer: "expected {reference}{note}, got {answer}", written
    when first read. The values are read then, so do not mutate them in between."""
    score = _new_score(Score)
    _set_value(score, 0.0)
    _set_reason(score, _Mismatch((reference, answer, note)))
    _set_parts(score, ())
    return score


def is_unit(x: float) -> bool:
    """Whether a float is a valid score value as given (finite, within [0, 1])."""
    return math.isfinite(x) and 0.0 <= x <= 1.0


_OK = Score(1.0, "correct")


def brief(v: Any, limit: int = 200) -> str:
    """A value in JSON notation for a reason, cut to about `limit` characters.

    Budgeted, so a huge reference costs no more than a small one; safe on any
    value (huge ints, odd objects), because a reason must never raise."""
    kind = type(v)
    if kind is int and -10**12 < v < 10**12 or kind is float:  # fast paths: reasons are built for
        return repr(v)                                          # every wrong answer in the RL loop
    if kind is str and len(v) <= limit:
        return _cut(printable(json.dumps(v, ensure_ascii=False)), limit)
    if kind is list and len(v) <= limit and _SMALL_INTS.issuperset(map(type, v)) and all(
            -10**12 < x < 10**12 for x in v):
        return _cut("[" + ", ".join(map(repr, v)) + "]", limit)
    out: list[str] = []
    room = [limit + 1]

    def put(s: str) -> None:
        out.append(s)
        room[0] -= len(s)

    def walk(x: Any, depth: int) -> None:
        if room[0] <= 0:
            return
        if x is None or isinstance(x, bool):
            put({None: "null", True: "true", False: "false"}[x])
        elif isinstance(x, int):
            put(str(int(x)) if x.bit_length() < 1000 else f"<an integer of {x.bit_length()} bits>")
        elif isinstance(x, float):
            put(repr(float(x)))
        elif isinstance(x, str):
            put(json.dumps(x[: limit + 1], ensure_ascii=False))
        elif isinstance(x, list | tuple | dict) and depth < 32:
            items = x.items() if isinstance(x, dict) else ((None, y) for y in x)
            put("{" if isinstance(x, dict) else "[")
            for i, (k, y) in enumerate(items):
                if room[0] <= 0:
                    break
                put(", " if i else "")
                if isinstance(x, dict):
                    walk(k if isinstance(k, str) else repr(k), depth + 1)
                    put(": ")
                walk(y, depth + 1)
            put("}" if isinstance(x, dict) else "]")
        else:
            put(f"<{type(x).__name__}>")

    try:
        walk(v, 0)
    except Exception:  # a hostile __len__ / items(): the reason must still be built
        out.append("...")
    return _cut(printable("".join(out)), limit)


def clip(text: str, limit: int = 200) -> str:
    """Model (or other foreign) text quoted in a reason: at most `limit` characters,
    cut with "...", lone surrogates escaped."""
    return _cut(printable(text[:limit + 1]), limit)


def error_score(exc: BaseException, who: str = "") -> Score:
    """A zero for a verifier that raised: its exception, briefly (its message may quote the model)."""
    try:
        msg = str(exc)
    except Exception:  # a hostile __str__: the score must still be built
        msg = ""
    head = f"{who} raised " if who else ""
    return Score(0.0, f"verifier error: {head}{type(exc).__name__}" + (f": {clip(msg)}" if msg else ""))


def _cut(s: str, limit: int) -> str:
    return s if len(s) <= limit else s[: limit - 3] + "..."


def printable(s: str) -> str:
    """`s` with lone surrogates escaped, so a reason always encodes as UTF-8 (JSONL, terminals)."""
    return s if s.isascii() else s.encode("utf-8", "backslashreplace").decode("utf-8")
