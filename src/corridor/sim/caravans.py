"""Caravans: groups that travel together along their stops (see docs/model.md, Caravans). A handful of
groups are moved in Python each day; their members follow with array writes (mixed into `engine.Engine`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import states as S
from . import kernels as K


@dataclass
class GroupState:
    """Where a caravan is: the last stop reached (-1: not set out), km along the next leg, its members."""

    stop: int = -1
    progress: float = 0.0
    members: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    done: bool = False


class CaravanPhases:
    """The engine's caravan phase and the spawning of caravan joiners."""

    def _spawn_for_caravan(
        self, day: int, g: int, place: int, count: int, cohort: int, nation: int, children: float
    ) -> None:
        """Joiners of caravan g set out from `place`: they join if the caravan is there (or is yet to set
        out from there), else they travel on their own."""
        if not count:
            return
        a, plan, grp = self.agents, self.net.caravans[g], self.groups[g]
        by_place = np.zeros(self.net.n_places, np.int64)
        by_place[place] = count
        a.reserve(count)
        start = a.n
        # caravan members are not yet at a list even where one is kept: they sign on arriving at the end
        a.n = K.spawn_rows(a.state, a.loc, a.cohort, a.origin, a.n, by_place, cohort, nation, self.country_code,
                           self.signs_nowhere, self.pop, self.rec.spawned[day])  # fmt: skip
        self._mark_children(start, a.n, children)
        here = grp.stop if grp.stop >= 0 else 0
        if not grp.done and grp.progress == 0.0 and plan.stops[here] == place:
            a.state[start : a.n] = S.CARAVAN_AT
            grp.members = np.concatenate([grp.members, np.arange(start, a.n, dtype=np.int32)])
            if grp.stop < 0:
                grp.stop = 0

    def phase_caravans(self, day: int) -> None:
        if not self.net.caravans:
            return
        for f in self.group_flows:
            f[:] = 0
        for g, (plan, grp) in enumerate(zip(self.net.caravans, self.groups, strict=True)):
            self.rec.caravan_from[day, g] = grp.stop
            if grp.done or grp.stop < 0:
                continue
            a = self.agents
            grp.members = grp.members[(a.state[grp.members] == S.CARAVAN_AT) | (a.state[grp.members] == S.CARAVAN_ROAD)]
            if grp.progress == 0.0 and plan.gather[grp.stop]:  # people of its cohort in town join it
                n = a.n
                here = np.flatnonzero(
                    (a.loc[:n] == plan.stops[grp.stop]) & (a.state[:n] == S.AT_PLACE) & (a.cohort[:n] == plan.cohort)
                ).astype(np.int32)
                a.state[here] = S.CARAVAN_AT
                grp.members = np.concatenate([grp.members, here])
            if grp.progress == 0.0 and len(grp.members):  # in a town: some go on alone from here
                leave = plan.leave[grp.stop]
                if leave > 0:
                    going = self.group_rng.random(len(grp.members)) < leave
                    alone = grp.members[going]
                    a.state[alone] = S.AT_PLACE
                    a.route[alone] = -1
                    grp.members = grp.members[~going]
            self._travel(day, plan, grp)

    def _travel(self, day: int, plan, grp: GroupState) -> None:
        """Move caravan `grp` along its legs for one day (see model.Caravan)."""
        net, a = self.net, self.agents
        arr, dep, ent, lea, lent = self.group_flows
        n = len(grp.members)
        s = grp.stop
        if grp.progress == 0.0 and plan.hold_until[s] > day:
            return
        budget = plan.pace[s]
        while True:
            lk = plan.legs[s]
            if not self.open[lk]:  # road closed: wait in town (or on the road) until it opens
                break
            left = net.link_dist[lk] - grp.progress
            if grp.progress == 0.0:
                if left > budget and budget < plan.pace[s]:
                    break  # a town reached today, and the next one is beyond what is left of the day
                dep[plan.stops[s]] += n
                ent[net.link_dst[lk]] += n
                lent[lk] += n
                self.pop[plan.stops[s]] -= n
                self.transit[net.link_dst[lk]] += n
            if left > budget:
                grp.progress += budget
                a.state[grp.members] = S.CARAVAN_ROAD
                a.loc[grp.members] = lk
                return
            budget -= left
            s += 1
            grp.stop, grp.progress = s, 0.0
            q = plan.stops[s]
            arr[q] += n
            lea[q] += n
            self.transit[q] -= n
            self.pop[q] += n
            a.state[grp.members] = S.CARAVAN_AT
            a.loc[grp.members] = q
            if a.tracks_came_from():
                a.came_from[grp.members] = plan.stops[s - 1]
            if s == len(plan.stops) - 1:  # the end of the route: everyone goes on alone
                a.state[grp.members] = S.AT_PLACE
                a.route[grp.members] = -1
                grp.members = grp.members[:0]
                grp.done = True
                return
            if plan.hold_until[s] > day or budget <= 0:
                return
