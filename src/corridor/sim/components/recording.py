"""Recording: at the end of the day every component writes its tables, then every person's state is counted
(and, where the departures name nationalities, the people at each place by nationality)."""

from __future__ import annotations

import numba as nb

from ... import states as S
from ..agents import ORIGIN
from ..component import Component, World
from ..record import Table

_AT_PLACE = S.mask("place")


class Recording(Component):
    name = "record"
    doc = "each component's tables for the day (stocks, flows, lists, caravans); every person's state counted"
    columns = (ORIGIN,)
    tables = (
        Table("census", ("state",), "people in each state at the end of the day (states.STATES order)"),
        Table(
            "nations",
            ("place", "nation"),
            "people at each place by nationality at the end of the day (network.nations order)",
            needed=lambda sc: sc.counts_by_nationality and any(d.nationality for d in sc.departures),
        ),
    )

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._recorders: list | None = None
        self.by_nation = len(world.record.nations) > 0

    def step(self, day: int) -> None:
        w = self.world
        if self._recorders is None:  # the components that write tables at the end of the day, in plan order
            self._recorders = [c.record for c in w.components.values() if type(c).record is not Component.record]
        for record in self._recorders:
            record(day)
        w.record.census[day] = w.stocks.census()
        if self.by_nation:
            a = w.agents
            count_by_nation(a.state, a.loc, a.origin, a.n, _AT_PLACE, w.record.nations[day])


@nb.njit(cache=True)
def count_by_nation(state, loc, origin, n, at_place, out):
    """out[p, k] = the people of nationality k at place p (their state is counted at a place)."""
    out[:] = 0
    for i in range(n):
        if at_place[state[i]]:
            out[loc[i], origin[i]] += 1
