"""Deaths on the road: a road's `death_rate` is each day's chance of dying for a person who ends the day on
it (on their own or with a caravan), either way (docs/model.md, Deaths on the road)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ...scenario.model import Scenario
from ...states import CARAVAN_ROAD, DIED, F_DIED, ON_ROAD
from ..component import Component, World
from ..parallel import SUB, n_blocks_for, team
from ..rng import agent_stream, uniform
from .outcomes import OUTCOME_TABLE, Tallies, settle


class RoadDeaths(Component):
    name = "roads"
    doc = "people on a road with a death rate may die there (counted where the road leads)"
    tables = (OUTCOME_TABLE,)

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return sc.has_road_deaths()

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.key = world.key("roads")
        self.tallies = Tallies.zeros(1, world.net.n_places, len(world.net.port_names))

    def step(self, day: int) -> None:
        w = self.world
        a = w.agents
        n_blocks = n_blocks_for(a.n, w.threads)
        if self.tallies.counts.shape[0] != n_blocks:
            self.tallies = Tallies.zeros(n_blocks, w.net.n_places, len(w.net.port_names))
        t = self.tallies
        with team(n_blocks):
            deaths_day(a.n, n_blocks, day, self.key, a.state, a.loc, w.net.link_death, w.net.link_dst,
                       t.counts, t.on_road)  # fmt: skip
        settle(w, day, t)


@nb.njit(parallel=True, cache=True, nogil=True)
def deaths_day(n, n_blocks, day, key, state, loc, death, link_dst, counts, on_road):
    """Each person on a road (loc is the directed road) dies with chance death[road], their own draw
    (agent_stream), so who dies does not depend on the number of threads. counts[block, p, F_DIED] and
    on_road[block, p] count the dead by the place p the road leads to; each block clears its own rows."""
    n_sub = (n + SUB - 1) // SUB
    for c in nb.prange(n_blocks):
        cnt = counts[c]
        rd = on_road[c]
        cnt[:] = 0
        rd[:] = 0
        for sub in range(c, n_sub, n_blocks):
            for i in range(sub * SUB, min(n, (sub + 1) * SUB)):
                s = state[i]
                if s != ON_ROAD and s != CARAVAN_ROAD:
                    continue
                lk = np.uint32(loc[i])
                r = death[lk]
                if r <= 0.0:
                    continue
                _, u = uniform(agent_stream(key, day, i))
                if u < r:
                    state[i] = DIED
                    p = np.uint32(link_dst[lk])
                    cnt[p, F_DIED] += 1
                    rd[p] += 1
