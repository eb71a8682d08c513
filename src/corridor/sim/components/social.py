"""Social connectivity and "system 2" decisions (Flee's two_system_decision_making): each person's number of
connections changes with the places they are at; in a place in serious conflict for ten days or more, a
well-connected person (3 connections or more) leaves for sure (docs/model.md, The "flee" rule set)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ...scenario.model import Scenario
from ...states import AT_PLACE
from ..agents import HOUSEHOLD, Column
from ..component import Component, World
from ..network import CAMP, IDP_CAMP
from ..rng import agent_stream, drawer, uniform
from .closures import Closures
from .conflicts import Conflicts


def _needed(sc: Scenario) -> bool:
    return sc.move.two_system_decision_making


CONNECTIONS = Column("connections", np.int8, 0, "Flee's social connections (two_system_decision_making)",
                     needed=_needed)  # fmt: skip
DAYS_HERE = Column("days_here", np.int16, 0, "Flee's days_in_current_location, as Flee counts them", needed=_needed)
LAST_SEEN = Column("connections_day", np.int16, -1, "the day the connections were last brought up to date",
                   needed=_needed)  # fmt: skip


class Social(Component):
    """Shared: `system2` (P,) a place where system 2 applies today: conflict intensity above 0.6 that began 10
    days ago or more (Flee's time_of_conflict)."""

    name = "social"
    doc = "each person's social connections change with where they are; well-connected people decide in conflict"
    columns = (CONNECTIONS, DAYS_HERE, LAST_SEEN, HOUSEHOLD)

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return _needed(sc)

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.key = world.key("social")
        self.mean = world.sc.spawn.average_social_connectivity
        self.camp_kind = np.isin(world.net.kind, (CAMP, IDP_CAMP))
        self.system2 = np.zeros(world.net.n_places, np.bool_)
        self.seen = 0  # rows whose connections were drawn

    def step(self, day: int) -> None:
        w = self.world
        a = w.agents
        conflicts = w.get(Conflicts)
        draw_connections(self.key, day, a.connections, self.seen, a.n, self.mean, a.household)
        self.seen = a.n
        camp = self.camp_kind & ~w.get(Closures).camp_off
        update_connections(day, a.state, a.loc, a.connections, a.days_here, a.connections_day, a.n, w.stocks.pop,
                           camp, conflicts.intensity)  # fmt: skip
        self.system2[:] = (conflicts.intensity > 0.6) & (conflicts.began >= 0) & (day >= conflicts.began + 10)


@nb.njit(cache=True)
def draw_connections(key, day, connections, start, stop, mean, household):
    """Each new person's connections: Poisson(mean) (Flee's average_social_connectivity), their own draws (their
    household's: a household shares its connections)."""
    limit = np.exp(-mean)
    for i in range(start, stop):
        rng = agent_stream(key, day, drawer(household, i))
        k = 0
        p = 1.0
        while True:
            rng, u = uniform(rng)
            p *= u
            if p <= limit or k >= 127:
                break
            k += 1
        connections[i] = k


@nb.njit(cache=True)
def update_connections(day, state, loc, connections, days_here, last, n, pop, camp, intensity):
    """Flee's update_social_connectivity, for everyone at a place (on a road it does nothing), as Flee writes
    it: each factor sets the count from the day's first value, so a later one overrides an earlier one; in a
    camp the days there grow by two a day (once here, once more in Flee's evolve), elsewhere they are 1."""
    for i in range(n):
        if state[i] != AT_PLACE:
            continue
        p = loc[i]
        c0 = np.int64(connections[i])
        c = c0
        if pop[p] > 100:
            c = min(10, c0 + min(2, pop[p] // 100))
        elif pop[p] < 10:
            c = max(0, c0 - 1)
        if camp[p]:
            d = days_here[i] + 1
            if d > 7:
                c = min(8, c0 + 1)
            days_here[i] = d + 1
        else:
            days_here[i] = 1
        if intensity[p] > 0.5:
            c = max(0, c0 - 2)
        if last[i] >= 0 and day - last[i] > 30:
            c = max(0, c0 - 1)
        last[i] = day
        connections[i] = c
