"""Solvers and samplers for `std.strings`: words over the lowercase letters a-z."""

from __future__ import annotations

import random
import string

ALPHABET = string.ascii_lowercase
VOWELS = "aeiou"


def sample_palindrome_or_not(rng: random.Random, n: int, **_: object) -> str:
    """A word of length n that is a palindrome half of the time (from few letters, so
    near-palindromes are common)."""
    letters = rng.sample(ALPHABET, 3)
    half = "".join(rng.choice(letters) for _ in range((n + 1) // 2))
    word = half + half[: n // 2][::-1]
    if rng.random() < 0.5 or n < 2:
        return word
    i = rng.randrange(n // 2)  # break the symmetry at one mirrored pair
    other = rng.choice([c for c in ALPHABET if c != word[n - 1 - i]])
    return word[:i] + other + word[i + 1:]


def sample_runs(rng: random.Random, n: int, **_: object) -> str:
    """A word of length n made of runs of one to three equal letters, taken from a pool
    of three letters, with neighbouring runs of different letters."""
    letters = rng.sample(ALPHABET, 3)
    out = ""
    while len(out) < n:
        choices = [c for c in letters if not out or c != out[-1]]
        out += rng.choice(choices) * rng.randint(1, 3)
    return out[:n]


def caesar_shift(s: str, k: int) -> str:
    """Shift every letter k places forward in the alphabet, wrapping from z to a."""
    return "".join(ALPHABET[(ALPHABET.index(c) + k) % 26] for c in s)


def sort_letters(s: str) -> str:
    """The letters of s in alphabetical order."""
    return "".join(sorted(s))


def dedupe_letters(s: str) -> str:
    """s with every repeated letter removed, keeping each letter's first occurrence."""
    return "".join(dict.fromkeys(s))


def remove_vowels(s: str) -> str:
    """s without the vowels a, e, i, o, u."""
    return "".join(c for c in s if c not in VOWELS)


def run_length_encode(s: str) -> list[tuple[str, int]]:
    """Maximal runs of equal letters as (letter, run length) pairs, in order."""
    out: list[tuple[str, int]] = []
    for c in s:
        if out and out[-1][0] == c:
            out[-1] = (c, out[-1][1] + 1)
        else:
            out.append((c, 1))
    return out


def letters_from_positions(xs: list[int]) -> str:
    """The word whose letters are at the given alphabet positions (1 = a, 26 = z)."""
    return "".join(ALPHABET[x - 1] for x in xs)


def sample_with_letter(rng: random.Random, n: int, c: str, **_: object) -> str:
    """A word of length n over `c` and three other letters, so `c` occurs about n/4 times."""
    letters = [c, *rng.sample([x for x in ALPHABET if x != c], 3)]
    return "".join(rng.choice(letters) for _ in range(n))


def to_lowercase(s: str) -> str:
    """s with every capital letter A-Z replaced by its lowercase letter."""
    return s.lower()
