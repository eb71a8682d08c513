"""Harvest months (Flee's harvest_months): in those calendar months everyone at a place is counted at home, the
place they set out from, and stays put; after them they are back where they were and go on (docs/model.md,
The "flee" rule set). Flee applies it to every person not on a road, not only to its `farmer`s."""

from __future__ import annotations

import datetime as dt

import numba as nb
import numpy as np

from ...scenario.model import Scenario
from ...states import AT_PLACE, HARVESTING
from ..agents import Column
from ..component import Component, World

_NEEDED = Scenario.has_harvest
HOME = Column("home", np.int32, -1, "the place the person set out from (harvest_months)", needed=_NEEDED)
AWAY = Column("harvest_from", np.int32, -1, "where the person is while counted at home for the harvest",
              needed=_NEEDED)  # fmt: skip


class Harvest(Component):
    name = "harvest"
    doc = "in harvest months everyone at a place is counted at home and stays put; then back where they were"
    columns = (HOME, AWAY)

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return sc.has_harvest()

    def __init__(self, world: World) -> None:
        super().__init__(world)
        sc = world.sc
        months = set(sc.move.harvest_months)
        self.harvest_day = np.array([(sc.start_date + dt.timedelta(days=d)).month in months for d in range(world.days)])
        self.homed = 0  # rows whose home is set: those spawned since are at the place they set out from

    def step(self, day: int) -> None:
        w = self.world
        a = w.agents
        set_homes(a.loc, a.home, self.homed, a.n)
        self.homed = a.n
        P = w.net.n_places
        delta = np.zeros(P, np.int64)
        n = harvest_day(a.state, a.loc, a.home, a.harvest_from, a.n, bool(self.harvest_day[day]), delta)
        if n:
            w.stocks.shift(delta)
            (w.stocks.enter if n > 0 else w.stocks.exit)(HARVESTING, abs(n))


@nb.njit(cache=True)
def set_homes(loc, home, start, stop):
    for i in range(start, stop):
        home[i] = loc[i]


@nb.njit(cache=True)
def harvest_day(state, loc, home, away, n, harvesting, delta):
    """On a harvest day everyone at a place on their own goes home to harvest (counted there: delta); on
    another day everyone harvesting is back where they were. Returns the change in the number harvesting."""
    change = 0
    for i in range(n):
        if harvesting and state[i] == AT_PLACE:
            away[i] = loc[i]
            delta[loc[i]] -= 1
            delta[home[i]] += 1
            loc[i] = home[i]
            state[i] = HARVESTING
            change += 1
        elif not harvesting and state[i] == HARVESTING:
            delta[loc[i]] -= 1
            delta[away[i]] += 1
            loc[i] = away[i]
            state[i] = AT_PLACE
            change -= 1
    return change
