"""Solvers and samplers for `std.dates`: proleptic Gregorian dates as records
`{"y": year, "m": month, "d": day}`."""

from __future__ import annotations

import datetime
import random

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _date(r: dict) -> datetime.date:
    return datetime.date(r["y"], r["m"], r["d"])


def _record(d: datetime.date) -> dict[str, int]:
    return {"y": d.year, "m": d.month, "d": d.day}


def _random_date(rng: random.Random, spread: int) -> datetime.date:
    first = datetime.date(2000 - spread, 1, 1).toordinal()
    last = datetime.date(2000 + spread, 12, 31).toordinal()
    return datetime.date.fromordinal(rng.randint(first, last))


def sample_date(rng: random.Random, spread: int, **_: object) -> dict[str, int]:
    """A uniform valid date in the years 2000-spread .. 2000+spread."""
    return _record(_random_date(rng, spread))


def sample_date_pair(rng: random.Random, spread: int, **_: object) -> dict[str, dict[str, int]]:
    """Two dates in 2000-spread .. 2000+spread, the first not after the second."""
    a, b = sorted((_random_date(rng, spread), _random_date(rng, spread)))
    return {"start": _record(a), "end": _record(b)}


def day_of_week(date: dict) -> str:
    """The weekday's English name."""
    return WEEKDAYS[_date(date).weekday()]


def add_days(date: dict, k: int) -> dict[str, int]:
    """The date k days later."""
    return _record(_date(date) + datetime.timedelta(days=k))


def days_between(start: dict, end: dict) -> int:
    """Days from start to end (negative when end comes first)."""
    return (_date(end) - _date(start)).days
