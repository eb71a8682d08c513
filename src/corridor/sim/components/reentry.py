"""Setting out again: a share of the people a transit country deports set out once more after some time at
home, from the re-entry place (scenario.yaml, section reentry)."""

from __future__ import annotations

import numpy as np

from ...scenario.model import Scenario
from ...states import AT_PLACE, DEPORTED, F_DEPORTED
from ..agents import JOINED, ROUTE
from ..component import Component, World
from .ports import Ports


class Reentry(Component):
    name = "reentry"
    doc = "of those deported yesterday, a share will set out again after a time at home; those due today do"
    columns = (
        ROUTE,
        JOINED,
    )

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return sc.reentry.share > 0 and bool(sc.hazards or sc.marches)

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.rng = world.stream("reentry")
        self.place = world.sc.place_index()[world.sc.reentry.place]
        self.coming_back: list[tuple[int, np.ndarray]] = []  # (day due, ids) of deported people setting out again

    def step(self, day: int) -> None:
        fates = self.world.record.fates
        # Planned the morning after, from yesterday's deportations: the same draws, in the same order, as
        # planning them the evening before, and nothing happens to a deported person in between.
        if day > 0 and fates[day - 1, :, F_DEPORTED].any():
            self._plan(day - 1)
        if self.coming_back:
            self._release(day)

    def _plan(self, deported_on: int) -> None:
        """Of those deported that day, a share will set out again after an exponential time at home."""
        a, re = self.world.agents, self.world.sc.reentry
        st, joined = a.state[: a.n], a.joined[: a.n]
        today = np.flatnonzero((st == DEPORTED) & (joined == deported_on)).astype(np.int32)
        again = today[self.rng.random(len(today)) < re.share]
        if not len(again):
            return
        due = deported_on + 1 + np.floor(self.rng.exponential(re.days, len(again))).astype(np.int64)
        for d in np.unique(due):
            if d < self.world.days:
                self.coming_back.append((int(d), again[due == d]))

    def _release(self, day: int) -> None:
        """Deported people due today set out again from the re-entry place."""
        due = [ids for d, ids in self.coming_back if d == day]
        if not due:
            return
        self.coming_back = [(d, ids) for d, ids in self.coming_back if d != day]
        a, stocks = self.world.agents, self.world.stocks
        ids = np.concatenate(due)
        ids = ids[a.state[ids] == DEPORTED]
        a.state[ids] = AT_PLACE
        a.loc[ids] = self.place
        a.route[ids] = -1
        stocks.exit(DEPORTED, len(ids))
        stocks.arrive(self.place, len(ids))
        ports = self.world.find(Ports)
        if ports is not None:
            ports.came(ids)
