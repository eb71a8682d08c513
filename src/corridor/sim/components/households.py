"""Households: people who set out together as a family (or friends) travel, decide and queue together.

A departure with `household_size` above 1 (departures.csv) sets out in households: at each place, its
people are cut, in row order, into households whose sizes are 1 + a geometric number of further members
(mean `household_size`; 1 is someone on their own), the last one cut to what is left. Each person's
`household` column holds the row of their household's first member (its head), their own row when alone.
A departure's children are placed only among the members after the head, so every child is in a household
with at least one adult (the head).

Deciding together needs no list of members: every per-person draw in the kernels (rng.agent_stream) is
keyed by the head's row instead of the person's own (rng.drawer), so members in the same state at the same
place roll the same numbers and make the same choice the same day. Where their states differ (a death on
the road takes one person; a caravan member is kept apart by a closing shelter...) they part and each then
decides alone, with the same numbers but from a different state.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ... import states as S
from ...scenario.model import Scenario
from ..agents import HOUSEHOLD
from ..component import Component, World
from ..record import Table

_AT_PLACE = S.mask("place")


def household_sizes(rng: np.random.Generator, people: int, mean: float) -> np.ndarray:
    """Sizes of the households `people` people set out in: geometric with mean `mean`, sizes 1, 2, 3... with
    chances p, p(1 - p), p(1 - p)^2... (p = 1 / mean), drawn until they cover everyone; the last is cut to
    fit."""
    if people <= 0:
        return np.zeros(0, np.int64)
    if mean <= 1.0:
        return np.ones(people, np.int64)
    parts, total = [], 0
    while total < people:
        batch = rng.geometric(1.0 / mean, int((people - total) / mean * 1.1) + 16).astype(np.int64)
        parts.append(batch)
        total += int(batch.sum())
    sizes = np.concatenate(parts)
    cum = np.cumsum(sizes)
    last = int(np.searchsorted(cum, people))  # the first household that reaches the count
    sizes = sizes[: last + 1]
    sizes[-1] -= int(cum[last]) - people
    return sizes


def children_among(rng: np.random.Generator, sizes: np.ndarray, share: float) -> np.ndarray:
    """Offsets (from the first person) of the children among people set out in households of `sizes`, a
    share `share` of them on average: each member after a household's head is a child with the chance that
    makes the share, at most 1 (then fewer children than the share: every member but the heads)."""
    people, heads = int(sizes.sum()), len(sizes)
    u = rng.random(people)  # one draw a person whatever the share, so the stream does not depend on it
    if share <= 0 or people == heads:
        return np.zeros(0, np.int64)
    chance = min(1.0, share * people / (people - heads))
    first = np.repeat(np.cumsum(sizes) - sizes, sizes)
    member = np.arange(people) > first
    return np.flatnonzero(member & (u < chance))


def shared(u: np.ndarray, ids: np.ndarray, household: np.ndarray) -> np.ndarray:
    """Draws `u` of the people `ids` (one each, from a numpy stream), made the same within a household: each
    person takes the draw of the first of their household among `ids`. The stream is read as before, one
    draw a person; without households (the column a one-row stub) `u` is returned as it is."""
    if household.shape[0] <= 1 or len(ids) == 0:
        return u
    _, first, which = np.unique(household[ids], return_index=True, return_inverse=True)
    return u[first[which]]


class Households(Component):
    """Shared: `form(start, by_place, share, mean)`, called by spawn for the rows of a departure, and `alone(start,
    stop)` for rows that set out on their own."""

    name = "households"
    doc = "people set out in households (children with an adult) that travel, decide and queue together"
    columns = (HOUSEHOLD,)
    tables = (
        Table(
            "in_families",
            ("place",),
            "people in a household with children at each place at the end of the day",
            needed=lambda sc: sc.has_households(),
        ),
        Table(
            "alone",
            ("place",),
            "people on their own (a household of one) at each place at the end of the day",
            needed=lambda sc: sc.has_households(),
        ),
    )

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return sc.has_households()

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.rng = world.stream("households")
        # the rows of the people in a household with children, and of those alone, in increasing order: the
        # parts added since the last record, then joined
        self.families: list[np.ndarray] = [np.zeros(0, np.int32)]
        self.singles: list[np.ndarray] = [np.zeros(0, np.int32)]

    def alone(self, start: int, stop: int) -> None:
        """Rows [start, stop) are each their own household."""
        rows = np.arange(start, stop, dtype=np.int32)
        self.world.agents.household[start:stop] = rows
        self.singles.append(rows)

    def form(self, start: int, by_place: np.ndarray, share: float, mean: float) -> np.ndarray:
        """The rows from `start` on, by_place[p] at each place p in place order (as spawn lays them out), set
        out in households of mean size `mean` (households never span two places); returns the rows of the
        children among them, a share `share` on average."""
        household = self.world.agents.household
        kids = []
        row = start
        for p in np.flatnonzero(by_place):
            count = int(by_place[p])
            sizes = household_sizes(self.rng, count, mean)
            heads = row + np.cumsum(sizes) - sizes
            which = np.repeat(np.arange(len(sizes)), sizes)  # each person's household, 0, 0, 1, ...
            household[row : row + count] = heads[which]
            mine = children_among(self.rng, sizes, share)
            kids.append(row + mine)
            family = np.zeros(len(sizes), bool)
            family[which[mine]] = True
            self.families.append((row + np.flatnonzero(family[which])).astype(np.int32))
            self.singles.append((row + np.flatnonzero((sizes == 1)[which])).astype(np.int32))
            row += count
        return np.concatenate(kids).astype(np.int32) if kids else np.zeros(0, np.int32)

    def record(self, day: int) -> None:
        a, rec = self.world.agents, self.world.record
        for ids, table in ((self.families, rec.in_families), (self.singles, rec.alone)):
            if len(ids) > 1:  # rows added since yesterday, after the earlier ones
                ids[:] = [np.concatenate(ids)]
            count_at_places(ids[0], a.state, a.loc, _AT_PLACE, table[day])


@nb.njit(cache=True)
def count_at_places(ids, state, loc, at_place, out):
    """out[p] = the people `ids` counted at place p (their state is counted at a place), in one pass
    instead of numpy's three fancy-indexing steps and a bincount every day."""
    out[:] = 0
    for i in ids:
        if at_place[state[i]]:
            out[loc[i]] += 1
