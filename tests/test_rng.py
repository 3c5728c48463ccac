"""The per-instance generator (racesdsl/runtime/rng.py): a documented, machine-independent
stream behind the whole `random.Random` API."""

from __future__ import annotations

import hashlib
import math
import pickle
import random
import struct
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from racesdsl.runtime.rng import InstanceRandom, new_rng


def reference_floats(key: bytes, blocks: int) -> list[float]:
    """The stream as the module docstring describes it, written out independently:
    BLAKE2b-512 of b"key:index"; each little-endian 64-bit lane's low 52 bits are a
    mantissa m, and the float is m / 2**52."""
    out = []
    for index in range(blocks):
        digest = hashlib.blake2b(b"%b:%d" % (key, index)).digest()
        for (lane,) in struct.iter_unpack("<Q", digest):
            out.append((lane & (2**52 - 1)) / 2**52)
    return out


@pytest.mark.parametrize("seed", [0, 7, -3, 2**64 - 1, 10**30])
def test_stream_is_blake2b_in_counter_mode(seed: int) -> None:
    rng = new_rng(seed)
    assert [rng.random() for _ in range(24)] == reference_floats(b"%d" % seed, 3)


def test_stream_is_the_same_in_another_process_and_hash_seed() -> None:
    code = "from racesdsl.runtime.rng import new_rng; r = new_rng(12345); print([r.random() for _ in range(20)])"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": h, "PATH": ""}).stdout for h in ("0", "1", "4242")}
    assert len(outs) == 1
    rng = new_rng(12345)
    assert outs.pop().strip() == str([rng.random() for _ in range(20)])


@given(st.integers(), st.integers(0, 100))
def test_constructor_and_fast_path_agree(seed: int, skip: int) -> None:
    a, b = InstanceRandom(seed), new_rng(seed)
    for _ in range(skip):
        a.random(), b.random()
    assert a.random() == b.random() and a.randrange(10**6) == b.randrange(10**6)


@given(st.integers(), st.integers(0, 300))
def test_random_and_getrandbits_stay_in_range(seed: int, k: int) -> None:
    rng = new_rng(seed)
    x = rng.random()
    assert 0.0 <= x < 1.0 and (x * 2**52).is_integer()
    bits = rng.getrandbits(k)
    assert type(bits) is int and 0 <= bits < 2**k


@pytest.mark.parametrize("k", [1, 52, 53, 104, 130, 1000])
def test_getrandbits_is_the_stream_read_52_bits_at_a_time(k: int) -> None:
    """Chunks of 52 bits (one float each), most significant first, cut to k bits."""
    chunks = -(-k // 52)
    floats = reference_floats(b"%d" % k, -(-chunks // 8))[:chunks]
    bits = 0
    for f in floats:
        bits = bits << 52 | int(f * 2**52)
    assert new_rng(k).getrandbits(k) == bits >> (52 * chunks - k)


def test_huge_seeds_are_accepted() -> None:
    assert InstanceRandom(10**5000).random() != InstanceRandom(10**5000 + 1).random()
    assert len(new_rng(1).randbytes(200_000)) == 200_000  # linear in the size: no quadratic join


def test_every_bit_of_getrandbits_varies() -> None:
    rng = new_rng(1)
    ones = [0] * 130
    for _ in range(2000):
        x = rng.getrandbits(130)
        for i in range(130):
            ones[i] += x >> i & 1
    assert all(850 < n < 1150 for n in ones), ones


def test_floats_are_uniform_and_adjacent_seeds_independent() -> None:
    """Chi-square over 20 buckets (fixed seeds, so not flaky): 1% critical value ~36.2."""
    n, k = 40_000, 20
    for seed in (0, 1, 2):
        counts = [0] * k
        rng = new_rng(seed)
        for _ in range(n):
            counts[int(rng.random() * k)] += 1
        chi2 = sum((c - n / k) ** 2 / (n / k) for c in counts)
        assert chi2 < 36.2, (seed, chi2)
    xs = [new_rng(s).random() for s in range(5000)]
    ys = [new_rng(s + 1).random() for s in range(5000)]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    corr = cov / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))
    assert abs(corr) < 0.05


def test_the_random_api_works_on_top_of_the_stream() -> None:
    rng = new_rng(9)
    assert 1 <= rng.randint(1, 6) <= 6
    assert rng.choice("abc") in "abc"
    picked = rng.sample(range(50), 10)
    assert len(set(picked)) == 10 and all(0 <= x < 50 for x in picked)
    xs = list(range(20))
    rng.shuffle(xs)
    assert sorted(xs) == list(range(20)) and xs != list(range(20))
    assert 2.0 <= rng.uniform(2.0, 3.0) <= 3.0
    assert math.isfinite(rng.gauss(0.0, 1.0))
    assert len(rng.randbytes(7)) == 7
    assert 0 <= rng.randrange(10**40) < 10**40


@pytest.mark.parametrize("seed", ["text", b"bytes", bytearray(b"ba"), 1.5, True])
def test_seed_types_give_reproducible_streams(seed: object) -> None:
    assert InstanceRandom(seed).random() == InstanceRandom(seed).random()
    rng = InstanceRandom(0)
    rng.seed(seed)
    assert rng.random() == InstanceRandom(seed).random()


def test_unseeded_streams_differ_and_bad_seeds_are_rejected() -> None:
    assert InstanceRandom().random() != InstanceRandom().random()
    with pytest.raises(TypeError, match="seed types"):
        InstanceRandom([1, 2])
    assert InstanceRandom("1").random() != InstanceRandom(1).random()


def test_there_is_no_state_to_save_and_the_error_says_so() -> None:
    rng = new_rng(3)
    with pytest.raises(TypeError, match="no state to save"):
        rng.getstate()
    with pytest.raises(TypeError, match="no state to save"):
        rng.setstate(random.Random(1).getstate())
    with pytest.raises(TypeError, match="no state to save"):
        pickle.dumps(rng)
    with pytest.raises(ValueError):
        rng.getrandbits(-1)
