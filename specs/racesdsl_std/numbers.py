"""Solvers and samplers for `std.numbers`: number theory on bounded integers.

The samplers draw numbers with a given count of decimal digits, so a single
`digits` param scales the difficulty while the declared input type stays wide
(a wide input accepts the results of many other envs in a `seq`)."""

from __future__ import annotations

import math
import random


def _with_digits(rng: random.Random, digits: int, lowest: int = 0) -> int:
    """A uniform integer with exactly `digits` decimal digits (one digit: lowest..9)."""
    lo = max(lowest, 10 ** (digits - 1) if digits > 1 else 0)
    return rng.randint(lo, 10**digits - 1)


def sample_digits(rng: random.Random, digits: int, **_: object) -> int:
    """A non-negative integer with exactly `digits` digits."""
    return _with_digits(rng, digits)


def sample_up_to_digits(rng: random.Random, digits: int, **_: object) -> int:
    """A non-negative integer with at most `digits` digits, its digit count uniform in 1..digits."""
    return _with_digits(rng, rng.randint(1, digits))


def sample_positive_digits(rng: random.Random, digits: int, **_: object) -> int:
    """A positive integer with exactly `digits` digits."""
    return _with_digits(rng, digits, lowest=1)


def sample_signed_digits(rng: random.Random, digits: int, **_: object) -> int:
    """An integer whose absolute value has exactly `digits` digits, either sign."""
    value = _with_digits(rng, digits)
    return -value if rng.random() < 0.5 else value


def sample_upto(rng: random.Random, hi: int, **_: object) -> int:
    """A uniform integer in 0..hi."""
    return rng.randint(0, hi)


def sample_bits(rng: random.Random, bits: int, **_: object) -> int:
    """A uniform integer that fits in `bits` binary digits (0..2**bits - 1)."""
    return rng.randint(0, 2**bits - 1)


def sample_below_modulus(rng: random.Random, m: int, **_: object) -> int:
    """A uniform integer in 0..m-1 (inputs at or above m make `n! mod m` zero)."""
    return rng.randint(0, m - 1)


def sample_factorable(rng: random.Random, hi: int, **_: object) -> int:
    """An integer in 2..hi, composite three times out of four."""
    composites = [x for x in range(4, hi + 1) if not is_prime(x)]
    if composites and rng.random() < 0.75:
        return rng.choice(composites)
    return rng.randint(2, hi)


def sample_prime_or_not(rng: random.Random, digits: int, **_: object) -> int:
    """A number with `digits` digits that is prime half of the time (odd otherwise, so
    the easy evenness test rarely decides)."""
    want_prime = rng.random() < 0.5
    for _ in range(1000):
        x = _with_digits(rng, digits)
        if is_prime(x) == want_prime and (want_prime or x % 2 == 1 or digits == 1):
            return x
    return _with_digits(rng, digits)


# ------------------------------------------------------------------ solvers


def is_prime(x: int) -> bool:
    """Whether x is a prime number (0 and 1 are not)."""
    if x < 2:
        return False
    if x % 2 == 0:
        return x == 2
    return all(x % d for d in range(3, math.isqrt(x) + 1, 2))


def num_digits(x: int) -> int:
    """The number of decimal digits of a non-negative integer (0 has one digit)."""
    return len(str(x))


def digit_sum(x: int) -> int:
    """The sum of the decimal digits of a non-negative integer."""
    return sum(int(c) for c in str(x))


def reverse_digits(x: int) -> int:
    """The digits of x in reverse order, read as a number (leading zeros vanish: 120 -> 21)."""
    return int(str(x)[::-1])


def isqrt(x: int) -> int:
    """The largest integer r with r * r <= x."""
    return math.isqrt(x)


def collatz_steps(x: int) -> int:
    """Steps of the Collatz map (n/2 if even, 3n+1 if odd) from x until 1 is reached."""
    steps = 0
    while x != 1:
        x = x // 2 if x % 2 == 0 else 3 * x + 1
        steps += 1
    return steps


def euler_phi(x: int) -> int:
    """Euler's totient: how many of 1..x are coprime to x."""
    result, n, p = x, x, 2
    while p * p <= n:
        if n % p == 0:
            while n % p == 0:
                n //= p
            result -= result // p
        p += 1
    if n > 1:
        result -= result // n
    return result


def prime_factors(x: int) -> list[int]:
    """The prime factors of x >= 2 in ascending order, repeated by multiplicity (12 -> [2, 2, 3])."""
    out: list[int] = []
    p = 2
    while p * p <= x:
        while x % p == 0:
            out.append(p)
            x //= p
        p += 1
    if x > 1:
        out.append(x)
    return out


def factorial_mod(n: int, m: int) -> int:
    """n! mod m."""
    acc = 1 % m
    for k in range(2, min(n, m) + 1):  # from k = m on, the product is 0 mod m
        acc = acc * k % m
    return acc if n < m else 0


def power_mod(x: int, e: int, m: int) -> int:
    """x ** e mod m."""
    return pow(x, e, m)
