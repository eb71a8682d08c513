"""Spawning: people who set out today appear at their places as new rows of the agent columns.

New displaced people appear in conflict zones (following the observed totals, a conflict rate, or only
the scenario's departures), camps get their day-0 observed counts, ports' lists their initial names,
and each departure sets out on its days; joiners of a caravan join it if it is where they set out.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from ... import states as S
from ...scenario.model import Scenario
from ...scenario.series import spawn_schedule
from ...states import AT_PLACE, SIGNING
from ..agents import COHORT, MOVE_CLASS, ORIGIN
from ..component import Component, World
from ..network import Network
from ..parallel import kernel_args
from ..record import Table
from .caravans import Caravans
from .conflicts import Conflicts
from .demographics import Demographics, hazard_classes, match_classes
from .floods import FLOOD_AWARENESS, Floods
from .food import Food
from .households import Households, count_at_places

_AT_PLACE = S.mask("place")


class Rows(NamedTuple):
    """The columns a new person's row sets."""

    state: np.ndarray
    loc: np.ndarray
    cohort: np.ndarray
    origin: np.ndarray


class Spawn(Component):
    """Shared: `children` (ids of the people marked as children, in the order they set out)."""

    name = "spawn"
    doc = "new displaced people appear (and day-0 camp counts, ports' initial lists); departures set out"
    columns = (
        COHORT,
        ORIGIN,
        FLOOD_AWARENESS,
        MOVE_CLASS,
    )
    tables = (
        Table("spawned", ("place",), "people who set out from each place that day"),
        Table(
            "children",
            ("place",),
            "children at each place at the end of the day",
            needed=lambda sc: any(d.children > 0 for d in sc.departures),
        ),
    )

    def __init__(self, world: World) -> None:
        super().__init__(world)
        sc, net = world.sc, world.net
        P = net.n_places
        self.new_per_day, self.day0 = schedule(sc, world.observed)
        self.pending = 0  # people due but not yet placed (no spawn weight anywhere yet)
        self.resident = net.pop.copy()
        self.rng = world.stream("spawn")
        self.children = np.zeros(0, np.int32)
        # setting out where a port's list is kept: they sign it that day
        self.signs_on_spawn = (net.signup_port >= 0) & bool(net.port_names)
        self.signs_everywhere = np.ones(P, bool)
        self.signs_nowhere = np.zeros(P, bool)
        self.has_children = len(world.record.children) > 0
        self._rows: Rows | None = None
        self.floods = world.find(Floods)
        self.demographics = world.find(Demographics)
        self.households = world.find(Households)
        self.hazards = hazard_classes(world.sc)
        self.by_class = world.agents.has(MOVE_CLASS.name)
        # each departure group's people a day, summed once rather than every day
        self.group_totals = [table[: world.days].sum(axis=1).tolist() for *_, table in net.departure_groups]

    @staticmethod
    def planned_rows(sc: Scenario, net: Network, days: int, observed: dict[str, np.ndarray]) -> int:
        """Rows to allocate before the run: everyone the schedule will spawn (a guess in random modes)."""
        new_per_day, day0 = schedule(sc, observed)
        if new_per_day is not None:
            planned = int(new_per_day[:days].sum()) + sum(day0.values())
        else:
            planned = 0 if sc.spawn.mode == "departures" else 1024
        caravans = sum(row[2] for day, rows in net.caravan_departures.items() if day < days for row in rows)
        return planned + int(net.departures[:days].sum()) + caravans + sum(p.initial_waitlist for p in sc.ports)

    def rows(self) -> Rows:
        a = self.world.agents
        if self._rows is None or self._rows.state is not a.state:  # the columns grew
            self._rows = Rows(a.state, a.loc, a.cohort, a.origin)
        return self._rows

    def add(
        self, by_place: np.ndarray, cohort: int, nation: int, signs_here: np.ndarray, day: int, total: int
    ) -> tuple[int, int]:
        """Rows for by_place[p] people at each place p (`total` in all); returns the (start, stop) of the new rows."""
        w, a = self.world, self.world.agents
        a.reserve(total)
        start = a.n
        a.n = spawn_rows(*kernel_args(self.rows(), a.n, by_place, cohort, nation, w.net.nation_of_place, signs_here,
                                      w.stocks.pop, w.record.spawned[day]))  # fmt: skip
        if self.demographics is not None:  # every attribute first: the flood awareness is one of them
            self.demographics.draw(start, a.n)
        if self.floods is not None:
            self.floods.draw_awareness(start, a.n)
        if self.by_class:
            self.set_class(start, a.n)
        return start, a.n

    def set_class(self, start: int, stop: int) -> None:
        """moveclass = (flood awareness x hazard classes + hazard class) x Match* classes + Match* class
        (agents.MOVE_CLASS)."""
        a = self.world.agents
        aware = a.floodawareness[start:stop] if a.has(FLOOD_AWARENESS.name) else 0
        hazard = self.demographics.hazard_of(start, stop) if self.demographics is not None else 0
        match = self.demographics.match_of(start, stop) if self.demographics is not None else 0
        e, r = match_classes(self.world.sc)
        a.moveclass[start:stop] = (np.asarray(aware, np.int8) * np.int8(self.hazards) + hazard) * np.int8(e * r) + match

    def step(self, day: int) -> None:
        w = self.world
        sc, net = w.sc, w.net
        counts = np.zeros(net.n_places, np.int64)
        if day == 0 and self.day0:
            idx = sc.place_index()
            for name, c in self.day0.items():
                counts[idx[name]] += c
        due = int(self.new_per_day[day]) + self.pending if self.new_per_day is not None else 0
        displaced = None
        if sc.spawn.mode == "conflict":
            displaced = self._conflict_spawns()
        elif sc.spawn.mode == "flood":
            displaced = self._flood_spawns()
        elif due > 0:
            weights = self._weights(day)
            tw = weights.sum()
            if tw > 0:
                displaced = self.rng.multinomial(due, weights / tw)
                self.pending = 0
            else:
                self.pending = due
        if displaced is not None:
            counts += displaced
            if sc.spawn.take_from_population:  # Flee: each one spawned leaves the place's population, down to 0
                np.maximum(self.resident - displaced, 0, out=self.resident)
        if day == 0:
            self._initial_waitlists()
        extra = bool(counts.any())  # people spawned today beyond the departures (the first group's)
        for g, (k, nation, children, household, table) in enumerate(net.departure_groups):
            if extra and (k, nation, children, household) == (0, -1, 0.0, 1.0):
                by_place = table[day] + counts
                total = int(by_place.sum())
            else:
                by_place, total = table[day], int(self.group_totals[g][day])
            if not total:
                continue
            start, stop = self.add(by_place, k, nation, self.signs_on_spawn, day, total)
            self._mark_children(start, stop, by_place, children, household)
        for g, place, count, cohort, nation, children, household in net.caravan_departures.get(day, []):
            if not count:
                continue
            by_place = np.zeros(net.n_places, np.int64)
            by_place[place] = count
            # caravan members are not yet at a list even where one is kept: they sign on arriving at the end
            start, stop = self.add(by_place, cohort, nation, self.signs_nowhere, day, count)
            self._mark_children(start, stop, by_place, children, household)
            w.get(Caravans).take_joiners(g, place, start, stop)

    def record(self, day: int) -> None:
        if self.has_children and len(self.children):
            a = self.world.agents
            count_at_places(self.children, a.state, a.loc, _AT_PLACE, self.world.record.children[day])

    def _initial_waitlists(self) -> None:
        """People on a port's list before the run starts: they sign first, so they hold the first numbers."""
        sc, net = self.world.sc, self.world.net
        idx = sc.place_index()
        for port in sc.ports:
            if port.initial_waitlist:
                counts = np.zeros(net.n_places, np.int64)
                counts[idx[port.waitlist_place or port.place]] = port.initial_waitlist
                start, stop = self.add(counts, 0, -1, self.signs_everywhere, 0, port.initial_waitlist)
                if self.households is not None:
                    self.households.alone(start, stop)

    def _mark_children(self, start: int, stop: int, by_place: np.ndarray, share: float, household: float) -> None:
        """Rows [start, stop) are people setting out together (by_place[p] at place p); a share of them are
        children. Set out in households (mean size `household` above 1), children go with an adult."""
        if household > 1 and stop > start:
            kids = self.households.form(start, by_place, share, household)
            self.children = np.concatenate([self.children, kids])
            return
        if self.households is not None:  # the scenario has households, but these people set out alone
            self.households.alone(start, stop)
        if share > 0 and stop > start:
            kids = start + np.flatnonzero(self.rng.random(stop - start) < share).astype(np.int32)
            self.children = np.concatenate([self.children, kids])

    def _weights(self, day: int) -> np.ndarray:
        c = self.world.get(Conflicts)
        w = self.resident * c.intensity * c.decay
        sp = self.world.sc.spawn
        if sp.starvation_driven_spawning and day > 0:
            # Flee's starvation-driven spawning: population x IPC level / 100 more, from day 1; with
            # conflict_zone_spawning_only (Flee's default) only in conflict zones
            food = self.world.get(Food).level
            extra = self.resident * np.nan_to_num(food / 100.0)
            w = w + (np.where(c.intensity > 0, extra, 0.0) if sp.conflict_zone_spawning_only else extra)
        return w

    def _flood_spawns(self) -> np.ndarray:
        """DFlee's flood_driven_spawn_mode: at each flooded place, the rate of its flood level today."""
        sp = self.world.sc.spawn
        level = self.world.get(Floods).level
        flooded = level > 0
        if not flooded.any():
            return np.zeros(len(level), np.int64)
        rate = np.asarray(sp.flood_rates, np.float64)[np.where(flooded, level, 0)]
        if sp.rate_mode == "constant":
            c = np.where(flooded, np.trunc(rate), 0)
        elif sp.rate_mode == "pop_ratio":
            c = np.where(flooded, np.trunc(rate * self.resident), 0)
        else:  # Flee draws Poisson(int(rate))
            c = np.where(flooded, self.rng.poisson(np.trunc(rate)), 0)
        return c.astype(np.int64)

    def _conflict_spawns(self) -> np.ndarray:
        sp = self.world.sc.spawn
        intensity = self.world.get(Conflicts).intensity
        active = intensity > 0
        if sp.rate_mode == "constant":
            c = np.where(active, np.trunc(sp.rate * intensity), 0)
        elif sp.rate_mode == "pop_ratio":
            c = np.where(active, np.trunc(sp.rate * self.resident * intensity), 0)
        else:
            c = np.where(active, self.rng.poisson(sp.rate * intensity), 0)
        return c.astype(np.int64)


def schedule(sc: Scenario, observed: dict[str, np.ndarray]) -> tuple[np.ndarray | None, dict[str, int]]:
    """New people per day in observed mode (None in the others), and the day-0 camp counts: Flee's run.py fills
    the camps with them whatever the spawning (add_initial_refugees), so conflict and flood modes have them too;
    corridor's own departures mode does not."""
    if sc.spawn.mode == "observed":
        return spawn_schedule(sc, observed)
    if sc.spawn.mode in ("flood", "conflict") and sc.spawn.insert_day0:
        return None, {p.name: int(observed[p.name][0]) for p in sc.places
                      if p.kind in ("camp", "idp_camp") and p.name in observed}  # fmt: skip
    return None, {}


@nb.njit(cache=True)
def spawn_rows(rows, start, counts, k, nation, nation_of_place, signs_here, pop, spawned):
    """Activate rows [start, start + sum(counts)) at their places, in place order, as cohort k of
    `nation` (-1: their place's country); where a port's list is kept they sign it today. Adds them
    to pop and to the day's spawned row. Returns the new end of the active rows. `rows` comes as a plain tuple."""
    state, loc, cohort, origin = rows
    i = start
    for p in range(counts.shape[0]):
        c = counts[p]
        if c == 0:
            continue
        pop[p] += c
        spawned[p] += c
        st = SIGNING if signs_here[p] else AT_PLACE
        nat = nation_of_place[p] if nation < 0 else nation
        for _ in range(c):
            state[i] = st
            loc[i] = p
            cohort[i] = k
            origin[i] = nat
            i += 1
    return i
