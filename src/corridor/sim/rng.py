"""One seeded generator tree: every random stream derives from (seed, stable stream name).

Two policy scenarios run with the same seed therefore share their random numbers wherever the
policy does not change what happens (Starsim's lesson), and no stream depends on thread count.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def seed_sequence(seed: int, name: str) -> np.random.SeedSequence:
    return np.random.SeedSequence(int(seed), spawn_key=(_name_key(name),))


def generator(seed: int, name: str) -> np.random.Generator:
    """A numpy Generator for vectorised draws (spawning, ensembles)."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, name)))


def key64(seed: int, name: str) -> np.uint64:
    """A 64-bit key for the counter-based per-agent draws inside the compiled kernels."""
    return np.uint64(seed_sequence(seed, name).generate_state(1, dtype=np.uint64)[0])
