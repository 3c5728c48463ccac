"""The per-instance random generator: BLAKE2b in counter mode behind `random.Random`.

Every instance gets a fresh generator seeded from its identity digest, so
seeding is on the hot path. Seeding Python's Mersenne Twister costs ~3.5 us
(it initialises 624 words whatever the seed), more than a small env spends on
everything else; most envs draw fewer than 16 numbers. Here seeding costs
nothing: `random()` reads floats from BLAKE2b(key:counter) blocks, 8 per
64-byte digest, turned into floats in C (bit masks on one 512-bit int, one
struct unpack): a block costs ~0.8 us, then a draw ~50 ns (the Twister's
`random()`: ~35 ns), so a small env's instance is ~2.5 us cheaper.

`InstanceRandom` is a `random.Random`, so custom samplers get the whole API
(`randint`, `choice`, `shuffle`, `sample`, `uniform`, `gauss`...): Python's
own methods, built on `random()` and `getrandbits()`, which read this stream.
The stream is a pure function of the seed: the same on every machine and
process (explicit little-endian conversions, IEEE doubles, no `hash()`).
`random()` has 52 random bits (multiples of 2**-52 in [0, 1)). There is no
Mersenne Twister state, so `getstate`/`setstate` (and pickling) raise a clear
error; `seed(x)` restarts the stream from x."""

from __future__ import annotations

import hashlib
import os
import random
import struct
from collections.abc import Callable, Iterator
from itertools import chain, count, repeat
from typing import Any, NoReturn

__all__ = ["InstanceRandom", "new_rng"]

_FLOATS = 8  # per BLAKE2b digest (64 bytes)
_UNPACK = struct.Struct(f"<{_FLOATS}d").unpack
# Each 64-bit lane keeps 52 random mantissa bits and gets the exponent of [1, 2).
_MANTISSAS = int.from_bytes(b"\xff\xff\xff\xff\xff\xff\x0f\x00" * _FLOATS, "little")
_ONE_EXPONENTS = int.from_bytes(b"\x00\x00\x00\x00\x00\x00\xf0\x3f" * _FLOATS, "little")
_MINUS_ONE = (-1.0).__add__  # [1, 2) -> [0, 1), exact
_TWO_52 = 4503599627370496.0
_blake2b = hashlib.blake2b
_from_bytes = int.from_bytes


def _block(key: bytes, index: int) -> Iterator[float]:
    """The `index`-th 8 floats of the stream for `key`, computed in C."""
    lanes = _from_bytes(_blake2b(b"%b:%d" % (key, index)).digest(), "little") & _MANTISSAS | _ONE_EXPONENTS
    return map(_MINUS_ONE, _UNPACK(lanes.to_bytes(8 * _FLOATS, "little")))


def _stream(key: bytes) -> Callable[[], float]:
    """`random()` for a key: the next float of its endless stream (blocks made on demand)."""
    return chain.from_iterable(map(_block, repeat(key), count())).__next__


def _key(seed: Any) -> bytes:
    if seed is None:
        return b"u" + os.urandom(16).hex().encode()
    if isinstance(seed, int):  # bool too, as random.Random does
        return b"%d" % seed if seed.bit_length() < 8192 else b"x" + hashlib.sha256(b"%x" % seed).hexdigest().encode()
    if isinstance(seed, str):
        seed = seed.encode("utf-8", "surrogatepass")
    if isinstance(seed, bytes | bytearray):
        return b"b" + hashlib.sha256(seed).hexdigest().encode()
    if isinstance(seed, float):
        return b"f" + repr(seed).encode()
    raise TypeError("the only supported seed types are: None, int, float, str, bytes, and bytearray")


class InstanceRandom(random.Random):
    """`random.Random` over a BLAKE2b counter-mode stream (see the module docstring)."""

    def seed(self, a: Any = None, version: int = 2) -> None:
        """Restart the stream from `a` (None: from the OS's entropy)."""
        self.random = _stream(_key(a))  # an instance attribute: a C-level call per draw
        self.gauss_next = None

    def random(self) -> float:  # shadowed per instance by seed()/new_rng; here for the API's sake
        return self.__dict__["random"]()

    def getrandbits(self, k: int) -> int:
        """k random bits from the stream (52 per float), as `random.Random.getrandbits`."""
        if k <= 52:
            if k < 0:
                raise ValueError("number of bits must be non-negative")
            return int(self.random() * _TWO_52) >> (52 - k)
        chunks = -(-k // 52)  # joined as hex text: shifting a growing int would be quadratic in k
        draw = self.random
        digits = "".join([format(int(draw() * _TWO_52), "013x") for _ in range(chunks)])
        return int(digits, 16) >> (52 * chunks - k)

    def getstate(self) -> NoReturn:
        raise TypeError("racesdsl's instance generator is a counter-mode stream with no state to save; "
                        "draw a seed from it instead: random.Random(rng.getrandbits(64))")

    def setstate(self, state: Any) -> NoReturn:
        self.getstate()


_new = random.Random.__new__


def new_rng(seed: int) -> InstanceRandom:
    """`InstanceRandom(seed)` without the Python-level constructor: the hot path's way."""
    rng = _new(InstanceRandom)
    rng.random = _stream(b"%d" % seed)
    rng.gauss_next = None
    return rng
