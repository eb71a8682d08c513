"""Recording: at the end of the day every component writes its tables, then every person's state is counted
(and, where asked, the people at each place by nationality and by departures cohort)."""

from __future__ import annotations

import numba as nb

from ... import states as S
from ...scenario.model import Scenario
from ..agents import COHORT, ORIGIN
from ..component import Component, World
from ..record import Table

_AT_PLACE = S.mask("place")


def _by_nation(sc: Scenario) -> bool:
    return sc.counts_by_nationality and any(d.nationality for d in sc.departures)


def _by_cohort(sc: Scenario) -> bool:
    return sc.counts_by_cohort and len(sc.cohorts()) > 1


class Recording(Component):
    name = "record"
    doc = "each component's tables for the day (stocks, flows, lists, caravans); every person's state counted"
    columns = (ORIGIN, COHORT)
    tables = (
        Table("census", ("state",), "people in each state at the end of the day (states.STATES order)"),
        Table(
            "nations",
            ("place", "nation"),
            "people at each place by nationality at the end of the day (network.nations order)",
            needed=_by_nation,
        ),
        Table(
            "cohorts",
            ("place", "cohort"),
            "people at each place by departures cohort at the end of the day (scenario.cohorts() order)",
            needed=_by_cohort,
        ),
    )

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._recorders: list | None = None
        self.by_nation = len(world.record.nations) > 0
        self.by_cohort = len(world.record.cohorts) > 0

    def step(self, day: int) -> None:
        w = self.world
        if self._recorders is None:  # the components that write tables at the end of the day, in plan order
            self._recorders = [c.record for c in w.components.values() if type(c).record is not Component.record]
        for record in self._recorders:
            record(day)
        w.record.census[day] = w.stocks.census()
        a = w.agents
        if self.by_nation:
            count_by_nation(a.state, a.loc, a.origin, a.n, _AT_PLACE, w.record.nations[day])
        if self.by_cohort:
            count_by_nation(a.state, a.loc, a.cohort, a.n, _AT_PLACE, w.record.cohorts[day])


@nb.njit(cache=True)
def count_by_nation(state, loc, group, n, at_place, out):
    """out[p, k] = the people of group k (a nationality, a cohort) at place p (their state is counted at a place)."""
    out[:] = 0
    for i in range(n):
        if at_place[state[i]]:
            out[loc[i], group[i]] += 1
