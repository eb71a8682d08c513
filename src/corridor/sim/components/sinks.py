"""Camps as sinks: a place's `deactivation_probability` is each day's chance that a person there on their own
settles for good, still counted at the place but never moving or changing again (Flee's camps_are_sinks;
docs/model.md, Camps as sinks)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ...scenario.model import Scenario
from ...states import AT_PLACE, SETTLED
from ..agents import HOUSEHOLD
from ..component import Component, World
from ..parallel import SUB, n_blocks_for, team
from ..rng import agent_stream, drawer, uniform
from .closures import Closures


class Sinks(Component):
    name = "sinks"
    doc = "people in a camp that is a sink may settle there for good (still counted there)"
    columns = (HOUSEHOLD,)

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return sc.has_camp_sinks()

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.key = world.key("sinks")
        # as in Flee, only a camp keeps people (a shelter is one for movement too)
        camps = ("camp", "idp_camp", "shelter")
        self.chance = np.array([p.deactivation_probability if p.kind in camps else 0.0 for p in world.sc.places])
        self.settled = np.zeros((1, 1), np.int64)

    def step(self, day: int) -> None:
        w = self.world
        a = w.agents
        n_blocks = n_blocks_for(a.n, w.threads)
        if self.settled.shape[0] != n_blocks:
            self.settled = np.zeros((n_blocks, 1), np.int64)
        # Flee deactivates only in a place that is a camp that day: a camp closed (made a town) keeps nobody
        camp_off = w.get(Closures).camp_off
        with team(n_blocks):
            settle_day(a.n, n_blocks, day, self.key, a.state, a.loc, self.chance, camp_off, self.settled, a.household)
        n = int(self.settled.sum())
        if n:
            w.stocks.enter(SETTLED, n)


@nb.njit(parallel=True, cache=True, nogil=True)
def settle_day(n, n_blocks, day, key, state, loc, chance, camp_off, settled, household):
    """Each person at a place on their own (AT_PLACE) settles with chance chance[place], their own draw
    (agent_stream), so who settles does not depend on the number of threads; settled[block, 0] counts them."""
    n_sub = (n + SUB - 1) // SUB
    for c in nb.prange(n_blocks):
        k = 0
        for sub in range(c, n_sub, n_blocks):
            for i in range(sub * SUB, min(n, (sub + 1) * SUB)):
                if state[i] != AT_PLACE:
                    continue
                p = np.uint32(loc[i])
                r = chance[p]
                if r <= 0.0 or camp_off[p]:
                    continue
                _, u = uniform(agent_stream(key, day, drawer(household, i)))
                if u < r:
                    state[i] = SETTLED
                    k += 1
        settled[c, 0] = k
