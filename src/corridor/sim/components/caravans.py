"""Caravans: groups that travel together along their stops (docs/model.md, Caravans).

A handful of groups are moved in Python each day; their members follow with array writes. A caravan
ends each day in the last town its pace reaches (or on a road longer than a day's pace), holds where
told to, takes in joiners where it is, loses members who go on alone, and breaks up at its last stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numba as nb
import numpy as np

from ...scenario.model import Scenario
from ...states import AT_PLACE, CARAVAN_AT, CARAVAN_ROAD
from ..agents import CAME_FROM, COHORT, HOUSEHOLD, ROUTE
from ..component import Component, World
from ..network import CaravanPlan
from ..record import Table
from .closures import Closures
from .households import shared
from .ports import Ports


@dataclass
class GroupState:
    """Where a caravan is: the last stop reached (-1: not set out), km along the next leg, its members."""

    stop: int = -1
    progress: float = 0.0
    members: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    done: bool = False


class Flows(NamedTuple):
    """The caravans' flows today, added to the movement's in the day's tables."""

    arrivals: np.ndarray  # (P,)
    departures: np.ndarray  # (P,)
    enter_link: np.ndarray  # (P,) people who set out on a road towards each place
    leave_link: np.ndarray  # (P,) people who came off a road at each place
    link_entries: np.ndarray  # (L,)


class Caravans(Component):
    """Shared: `flows` (Flows) today's caravan flows."""

    name = "caravans"
    doc = "caravans take in joiners, lose members who go on alone, and travel at their pace"
    columns = (
        COHORT,
        ROUTE,
        CAME_FROM,
        HOUSEHOLD,
    )
    tables = (
        Table("caravan_size", ("caravan",), "members at the end of the day"),
        Table("caravan_stop", ("caravan",), "index of the last stop reached (-1: not yet set out)", fill=-1),
        Table("caravan_on_road", ("caravan",), "1 on the road beyond that stop, 0 at it"),
        Table("caravan_from", ("caravan",), "the last stop reached at the start of the day", fill=-1),
    )

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return bool(sc.caravans)

    def __init__(self, world: World) -> None:
        super().__init__(world)
        net = world.net
        self.groups = [GroupState() for _ in net.caravans]
        self.rng = world.stream("caravans")
        P = net.n_places
        self.flows = Flows(*(np.zeros(P, np.int64) for _ in range(4)), np.zeros(net.n_links, np.int64))

    def take_joiners(self, g: int, place: int, start: int, stop: int) -> None:
        """Rows [start, stop), who set out today from `place` to join caravan g, join it if it is there
        (or is yet to set out from there); otherwise they travel on their own."""
        plan, grp = self.world.net.caravans[g], self.groups[g]
        here = grp.stop if grp.stop >= 0 else 0
        if not grp.done and grp.progress == 0.0 and plan.stops[here] == place:
            self.world.agents.state[start:stop] = CARAVAN_AT
            grp.members = np.concatenate([grp.members, np.arange(start, stop, dtype=np.int32)])
            if grp.stop < 0:
                grp.stop = 0

    def step(self, day: int) -> None:
        for f in self.flows:
            f[:] = 0
        a, rec = self.world.agents, self.world.record
        # everyone who left a caravan since yesterday (a closing shelter relocated them...) leaves every
        # list before any caravan gathers: one who joined another today must not be counted in both
        for grp in self.groups:
            if len(grp.members):
                grp.members = still_in(grp.members, a.state)
        for g, (plan, grp) in enumerate(zip(self.world.net.caravans, self.groups, strict=True)):
            rec.caravan_from[day, g] = grp.stop
            if grp.done or grp.stop < 0:
                continue
            if grp.progress == 0.0 and plan.gather[grp.stop]:  # people of its cohort in town join it
                n = a.n
                here = np.flatnonzero(
                    (a.loc[:n] == plan.stops[grp.stop]) & (a.state[:n] == AT_PLACE) & (a.cohort[:n] == plan.cohort)
                ).astype(np.int32)
                a.state[here] = CARAVAN_AT
                grp.members = np.concatenate([grp.members, here])
            if grp.progress == 0.0 and len(grp.members):  # in a town: some go on alone from here
                leave = plan.leave[grp.stop]
                if leave > 0:
                    going = shared(self.rng.random(len(grp.members)), grp.members, a.household) < leave
                    alone = grp.members[going]
                    a.state[alone] = AT_PLACE
                    a.route[alone] = -1
                    grp.members = grp.members[~going]
            self._travel(day, plan, grp)

    def record(self, day: int) -> None:
        a, rec = self.world.agents, self.world.record
        at = road = 0
        for g, grp in enumerate(self.groups):
            if len(grp.members):
                grp.members = still_in(grp.members, a.state)
            size = len(grp.members)
            if grp.progress > 0:
                road += size
            else:
                at += size
            rec.caravan_size[day, g] = size
            rec.caravan_stop[day, g] = grp.stop
            rec.caravan_on_road[day, g] = int(grp.progress > 0)
        self.world.stocks.set_tally(CARAVAN_AT, at)
        self.world.stocks.set_tally(CARAVAN_ROAD, road)

    def _travel(self, day: int, plan: CaravanPlan, grp: GroupState) -> None:
        """Move a caravan along its legs for one day."""
        net, a, stocks, f = self.world.net, self.world.agents, self.world.stocks, self.flows
        open_links = self.world.get(Closures).open
        n = len(grp.members)
        s = grp.stop
        if grp.progress == 0.0 and plan.hold_until[s] > day:
            return
        budget = plan.pace[s]
        while True:
            lk = plan.legs[s]
            if not open_links[lk]:  # road closed: wait in town (or on the road) until it opens
                break
            left = net.link_dist[lk] - grp.progress
            if grp.progress == 0.0:
                if left > budget and budget < plan.pace[s]:
                    break  # a town reached today, and the next one is beyond what is left of the day
                f.departures[plan.stops[s]] += n
                f.enter_link[net.link_dst[lk]] += n
                f.link_entries[lk] += n
                stocks.set_out(plan.stops[s], net.link_dst[lk], n)
            if left > budget:
                grp.progress += budget
                a.state[grp.members] = CARAVAN_ROAD
                a.loc[grp.members] = lk
                return
            budget -= left
            s += 1
            grp.stop, grp.progress = s, 0.0
            q = plan.stops[s]
            f.arrivals[q] += n
            f.leave_link[q] += n
            stocks.come_in(q, n)
            a.state[grp.members] = CARAVAN_AT
            a.loc[grp.members] = q
            if a.has("came_from"):
                a.came_from[grp.members] = plan.stops[s - 1]
            if s == len(plan.stops) - 1:  # the end of the route: everyone goes on alone
                a.state[grp.members] = AT_PLACE
                a.route[grp.members] = -1
                ports = self.world.find(Ports)
                if ports is not None:
                    ports.came(grp.members)
                grp.members = grp.members[:0]
                grp.done = True
                return
            if plan.hold_until[s] > day or budget <= 0:
                return


@nb.njit(cache=True)
def still_in(members, state):
    """The members still in the caravan (in town or on the road with it), in order: one pass instead of
    numpy's gather, two comparisons and a mask, twice a day for each caravan."""
    out = np.empty(len(members), members.dtype)
    k = 0
    for i in members:
        s = state[i]
        if s == CARAVAN_AT or s == CARAVAN_ROAD:
            out[k] = i
            k += 1
    return out[:k]
