"""Run-time helpers for the v0.2 builtins: strings, number theory, combinatorics.

Each helper is Python's own function where that is total and bounded, and a
guarded version where a value could blow up: a result past `MAX_LENGTH`
items or characters, or an integer past `MAX_INT_BITS`, raises `ValueError`
*before* the work is done, so a hostile input costs bounded time and memory.
The checker (check/builtins_more.py) types each one with the same semantics.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from racesdsl.runtime.limits import MAX_INT_DIGITS, MAX_LENGTH, MAX_VALUE_SIZE

__all__ = [
    "MAX_INT_BITS", "MAX_FACTORIAL", "DIGITS", "MORE_HELPERS", "to_str", "join", "split", "replace", "lower",
    "upper", "ord_", "chr_", "zip_", "enumerate_", "round_", "isqrt", "comb", "factorial", "prod",
    "permutations", "combinations", "to_base", "from_base", "pow_",
]

MAX_INT_BITS = int(MAX_INT_DIGITS * math.log2(10)) + 1
"""The largest integer a builtin may produce (as many bits as MAX_INT_DIGITS digits)."""

MAX_FACTORIAL = 1400
"""`factorial(1400)` has 3,795 digits, below MAX_INT_DIGITS."""

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_BASE_DIGITS = re.compile(r"-?[0-9a-zA-Z]+")
_SURROGATES = range(0xD800, 0xE000)


def _too_big(what: str) -> ValueError:
    return ValueError(f"{what} is past the run-time limits")


def _int(v: int) -> int:
    if v.bit_length() > MAX_INT_BITS:
        raise _too_big(f"an integer of {v.bit_length()} bits")
    return v


def _text(s: str) -> str:
    if len(s) > MAX_LENGTH:
        raise _too_big(f"a string of {len(s)} characters")
    return s


def to_str(x: Any) -> str:
    """`str(x)` of a scalar: booleans as the language spells them."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int) and x.bit_length() > MAX_INT_BITS:
        raise _too_big("an integer to print")
    return str(x)


def join(xs: Iterable[str], sep: str) -> str:
    items = list(xs)
    size = sum(map(len, items)) + len(sep) * max(len(items) - 1, 0)
    if size > MAX_LENGTH:
        raise _too_big(f"a string of {size} characters")
    return sep.join(items)


def split(s: str, sep: str | None = None) -> list[str]:
    """`s.split()` (runs of whitespace) or `s.split(sep)`; an empty `sep` is an error, as in Python."""
    return s.split(sep)


def replace(s: str, old: str, new: str) -> str:
    hits = len(s) + 1 if not old else s.count(old)
    if len(s) + hits * (len(new) - len(old)) > MAX_LENGTH:
        raise _too_big("the result of `replace`")
    return s.replace(old, new)


def lower(s: str) -> str:
    return _text(s.lower())


def upper(s: str) -> str:
    return _text(s.upper())


def ord_(c: str) -> int:
    return ord(c)


def chr_(i: int) -> str:
    """`chr(i)`; surrogate code points are refused, since no UTF-8 text can hold them."""
    if i in _SURROGATES:
        raise ValueError(f"chr({i}) is a surrogate code point")
    return chr(i)


def zip_(*seqs: Sequence[Any]) -> list[tuple[Any, ...]]:
    return list(zip(*seqs, strict=False))  # Python truncates to the shortest, as the checker types it


def enumerate_(xs: Iterable[Any], start: int = 0) -> list[tuple[int, Any]]:
    return list(enumerate(xs, start))


def round_(x: int | float, ndigits: int | None = None) -> int | float:
    """Python's `round` (half to even); a huge negative `ndigits` on an int is 0 without computing 10**n."""
    if ndigits is None:
        return round(x)
    if isinstance(x, int):
        return 0 if ndigits < -(len(to_str(abs(x))) + 1) else round(x, ndigits)
    return round(x, max(ndigits, -400))  # a float has no digits past 10**308: -400 rounds as any lower does


def isqrt(n: int) -> int:
    return math.isqrt(n)


def comb(n: int, k: int) -> int:
    """`comb(n, k)`; refused when the result would be past MAX_INT_BITS (estimated in floats first)."""
    if n >= 0 and 0 <= k <= n:
        k = min(k, n - k)
        if k > 0 and (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2) > MAX_INT_BITS:
            raise _too_big(f"comb({n}, {k})")
    return math.comb(n, k)


def factorial(n: int) -> int:
    if n > MAX_FACTORIAL:
        raise _too_big(f"factorial({n})")
    return math.factorial(n)


def prod(xs: Iterable[Any]) -> Any:
    """`prod(xs)`; an integer product stops as soon as it passes MAX_INT_BITS."""
    out: Any = 1
    for x in xs:
        out *= x
        if isinstance(out, int) and out.bit_length() > MAX_INT_BITS:
            raise _too_big("a product")
    return out


def _count(n: int, r: int, ordered: bool) -> int:
    """How many results, or MAX_VALUE_SIZE + 1 as soon as it is known to be more (no huge products)."""
    if r < 0 or r > n:
        return 0
    k = r if ordered else min(r, n - r)
    count = 1
    for i in range(k):  # comb grows by (n - i) / (i + 1) <= n - i, so it passes the limit no later
        count = count * (n - i) if ordered else count * (n - i) // (i + 1)
        if count > MAX_VALUE_SIZE:
            return MAX_VALUE_SIZE + 1
    return count


def permutations(xs: Sequence[Any], r: int | None = None) -> list[list[Any]]:
    items = list(xs)
    r = len(items) if r is None else r
    if r < 0:
        raise ValueError("r must be non-negative")
    if _count(len(items), r, True) * max(r, 1) > MAX_VALUE_SIZE:
        raise _too_big(f"the permutations of {len(items)} items")
    return [list(p) for p in itertools.permutations(items, r)]


def combinations(xs: Sequence[Any], r: int) -> list[list[Any]]:
    items = list(xs)
    if r < 0:
        raise ValueError("r must be non-negative")
    if _count(len(items), r, False) * max(r, 1) > MAX_VALUE_SIZE:
        raise _too_big(f"the combinations of {len(items)} items")
    return [list(c) for c in itertools.combinations(items, r)]


def _base(b: int) -> int:
    if not 2 <= b <= 36:
        raise ValueError(f"base {b} is not in 2..36")
    return b


def to_base(n: int, b: int) -> str:
    """Digits 0-9a-z, most significant first, `-` for a negative number."""
    _base(b)
    _int(n)
    sign, n = ("-", -n) if n < 0 else ("", n)
    if b == 10:
        return sign + to_str(n)
    out: list[str] = []
    while True:
        n, d = divmod(n, b)
        out.append(DIGITS[d])
        if not n:
            return sign + "".join(reversed(out))


def from_base(s: str, b: int) -> int:
    """The inverse of `to_base` (either case); no signs but `-`, no spaces, underscores or prefixes."""
    _base(b)
    if not _BASE_DIGITS.fullmatch(s) or len(s) > MAX_INT_DIGITS:
        raise ValueError(f"not a number in base {b}: {s[:40]!r}")
    return _int(int(s, b))


def pow_(a: int, b: int, m: int) -> int:
    """`pow(a, b, m)`: Python's modular power (a negative `b` needs an inverse)."""
    return pow(a, b, m)


MORE_HELPERS: dict[str, Any] = {f.__name__: f for f in (
    to_str, join, split, replace, lower, upper, ord_, chr_, zip_, enumerate_, round_, isqrt, comb,
    factorial, prod, permutations, combinations, to_base, from_base, pow_,
)}
"""The helpers by attribute name (codegen/pyexpr.py maps the language's names to these)."""
