"""Randomness: one seeded tree of streams, and the counter-based draws the kernels make per person.

Every stream derives from (seed, stable stream name), so two policy scenarios run with the same seed
share their random numbers wherever the policy does not change what happens (Starsim's lesson). Inside
the kernels each draw comes from a counter-based generator keyed by (stream key, day, person), so no
result depends on the number of threads or on the order in which blocks run.
"""

from __future__ import annotations

import hashlib

import numba as nb
import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # splitmix64's increment


def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def seed_sequence(seed: int, name: str) -> np.random.SeedSequence:
    return np.random.SeedSequence(int(seed), spawn_key=(_name_key(name),))


def generator(seed: int, name: str) -> np.random.Generator:
    """A numpy Generator for vectorised draws (spawning, custody, decisions)."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, name)))


def key64(seed: int, name: str) -> np.uint64:
    """A 64-bit key for the counter-based per-person draws inside the compiled kernels."""
    return np.uint64(seed_sequence(seed, name).generate_state(1, dtype=np.uint64)[0])


@nb.njit(inline="always", cache=True)
def mix(z: np.uint64) -> np.uint64:
    # splitmix64 finaliser
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@nb.njit(inline="always", cache=True)
def agent_stream(key: np.uint64, day: int, agent: int) -> np.uint64:
    # A distinct splitmix64 starting point per (key, day, person); `uniform` does the mixing, so a person
    # who only rolls their daily move chance costs one mix.
    return key ^ (np.uint64(day) << np.uint64(40)) ^ np.uint64(agent)


@nb.njit(inline="always", cache=True)
def uniform(state: np.uint64) -> tuple[np.uint64, float]:
    state = state + GOLDEN
    return state, (mix(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@nb.njit(inline="always", cache=True)
def drawer(household: np.ndarray, i: int) -> np.int64:
    # Whose counter a person's draws use: their household head's where the scenario has households (the
    # column holds a row per person), so its members in the same state draw alike and decide together; else
    # their own (the column is a one-row stub: agents.HOUSEHOLD, households.py).
    return np.int64(household[i]) if household.shape[0] > 1 else np.int64(i)
