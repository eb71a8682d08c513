"""The engine: agent columns, the daily plan of phases, and the run loop.

Each day runs the phases in `PLAN` in order. A phase is a method taking the day; per-place work
is numpy, per-agent work is the compiled kernel in `kernels.py`. Border and asylum processes are
further phases and agent states on the same columns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numba as nb
import numpy as np

from . import kernels as K
from .model import Scenario
from .network import CAMP, HUB, IDP_CAMP, MARKER, PORT, SHELTER, Network, Routes, compile_network
from .rng import generator, key64
from .series import observed_daily, spawn_schedule

PLAN: tuple[tuple[str, str], ...] = (
    ("conflicts", "which places are in conflict today, how intense, and since when"),
    ("spawn", "new displaced people appear in conflict zones (and day-0 camp populations)"),
    ("closures", "links and camps closed or reopened today; routes rebuilt when that changes"),
    ("attract", "place scores, capacity factors and route weights from start-of-day counts"),
    ("caravans", "caravans take in joiners, lose members who go on alone, and travel at their pace"),
    ("move", "every agent decides, travels, arrives and may go on (compiled kernel)"),
    ("border", "new names go on ports' waiting lists; each port processes its day's capacity in list order"),
    ("fates", "hazards: deportation, going home, refuge, crossing between ports; dated marches"),
    ("asylum", "custody, then waiting for a decision in the US or in Mexico (remain-in-Mexico); decisions"),
    ("record", "stocks and flows per place and port for the day; every person's state counted"),
)


@dataclass
class Agents:
    """Preallocated columns; rows [0, n) are active, later rows are people not yet displaced."""

    state: np.ndarray  # int8
    loc: np.ndarray  # int32: a place, or a directed link while on it
    progress: np.ndarray  # float32 km along the current link
    route: np.ndarray  # int32 planned route id, -1 none
    rpos: np.ndarray  # int8 next hop on the route
    hops: np.ndarray  # int8 links completed (capped)
    joined: np.ndarray  # int16 day the agent entered their border state (list, custody, waiting)
    came_from: np.ndarray  # int32 the place the agent last left, -1 none (one unused row without no_backtrack)
    cohort: np.ndarray  # int8 departures cohort (0: none)
    origin: np.ndarray  # int16 country of origin (network.nations order)
    n: int = 0
    with_came_from: bool = True  # False: the no_backtrack rule is off and came_from is one unused row

    # name, dtype, value of a row not yet in use
    COLUMNS = (
        ("state", np.int8, 0),
        ("loc", np.int32, 0),
        ("progress", np.float32, 0),
        ("route", np.int32, -1),
        ("rpos", np.int8, 0),
        ("hops", np.int8, 0),
        ("joined", np.int16, 0),
        ("came_from", np.int32, -1),
        ("cohort", np.int8, 0),
        ("origin", np.int16, 0),
    )

    @classmethod
    def allocate(cls, size: int, came_from: bool = True) -> Agents:
        cols = {name: np.full(size, fill, dtype) for name, dtype, fill in cls.COLUMNS}
        if not came_from:
            cols["came_from"] = np.full(1, -1, np.int32)
        return cls(**cols, with_came_from=came_from)

    @property
    def size(self) -> int:
        return len(self.state)

    def reserve(self, extra: int) -> None:
        """Grow (rarely: only when spawning is random) so that `extra` more rows fit."""
        if self.n + extra <= self.size:
            return
        old = self.size
        new = max(self.n + extra, 2 * old, 1024)
        for name, dtype, fill in self.COLUMNS:
            if name == "came_from" and not self.with_came_from:
                continue  # unused: stays one row
            arr = np.full(new, fill, dtype)
            arr[:old] = getattr(self, name)
            setattr(self, name, arr)

    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name, _, _ in self.COLUMNS)

    def tracks_came_from(self) -> bool:
        return self.with_came_from


@dataclass
class Record:
    """Per day x place and day x port tables (int64), filled once a day, and the waits of everyone processed."""

    population: np.ndarray
    arrivals: np.ndarray
    departures: np.ndarray
    in_transit: np.ndarray
    spawned: np.ndarray
    signups: np.ndarray  # (days, ports) names added to the list
    processed: np.ndarray  # (days, ports) claims taken
    waitlist: np.ndarray  # (days, ports) names waiting at the end of the day
    link_entries: np.ndarray  # (days, directed links) people who set out along each road, by direction
    census: np.ndarray  # (days, len(K.STATE_NAMES)) people in each state at the end of the day
    fates: np.ndarray  # (days, P, 6) deported, returned, refuge, caught, through, marched; (0, P, 6) if none
    children: np.ndarray  # (days, P) children at each place; (0, P) when no departure has children
    caravan_size: np.ndarray  # (days, caravans) members at the end of the day
    caravan_stop: np.ndarray  # (days, caravans) index of the last stop reached, -1 not yet set out
    caravan_on_road: np.ndarray  # (days, caravans) 1 on the road beyond that stop, 0 at it
    caravan_from: np.ndarray  # (days, caravans) the last stop reached at the start of the day
    waits: list[tuple[int, int, np.ndarray]]  # (day, port, days each person processed that day waited)

    @classmethod
    def zeros(
        cls,
        days: int,
        places: int,
        ports: int,
        links: int,
        fates: bool = False,
        caravans: int = 0,
        children: bool = False,
    ) -> Record:
        tables = [np.zeros((days, places), np.int64) for _ in range(5)]
        tables += [np.zeros((days, ports), np.int64) for _ in range(3)]
        tables += [np.zeros((days, links), np.int64), np.zeros((days, len(K.STATE_NAMES)), np.int64)]
        tables += [np.zeros((days if fates else 0, places, 6), np.int64)]
        tables += [np.zeros((days if children else 0, places), np.int64)]
        tables += [np.zeros((days, caravans), np.int64), np.full((days, caravans), -1, np.int64)]
        tables += [np.zeros((days, caravans), np.int64), np.full((days, caravans), -1, np.int64)]
        return cls(*tables, waits=[])

    def wait_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(day processed, port, days waited), one row per person processed."""
        if not self.waits:
            e = np.zeros(0, np.int64)
            return e, e, e
        day = np.concatenate([np.full(len(w), d, np.int64) for d, _, w in self.waits])
        port = np.concatenate([np.full(len(w), k, np.int64) for _, k, w in self.waits])
        return day, port, np.concatenate([w.astype(np.int64) for _, _, w in self.waits])


@dataclass
class GroupState:
    """Where a caravan is: the last stop reached (-1: not set out), km along the next leg, its members."""

    stop: int = -1
    progress: float = 0.0
    members: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    done: bool = False


@dataclass
class PortQueue:
    """A port's waiting list: agent ids in sign-up order; list number = position."""

    ids: np.ndarray
    head: int = 0
    tail: int = 0
    waiting: int = 0
    credit: float = 0.0  # fraction of a claim carried to the next day

    def append(self, new: np.ndarray) -> None:
        if self.tail + len(new) > len(self.ids):
            grown = np.empty(max(2 * len(self.ids), self.tail + len(new), 1024), np.int32)
            grown[: self.tail] = self.ids[: self.tail]
            self.ids = grown
        self.ids[self.tail : self.tail + len(new)] = new
        self.tail += len(new)
        self.waiting += len(new)


class Engine:
    """One run of a scenario with one seed."""

    def __init__(self, scenario: Scenario, seed: int, days: int | None = None, net: Network | None = None) -> None:
        self.sc = scenario
        self.seed = int(seed)
        self.days = min(days or scenario.days, scenario.days)
        self.net = net or compile_network(scenario)
        mv = scenario.move
        self.mv = mv
        P = self.net.n_places
        self.obs = observed_daily(scenario)
        if scenario.spawn.mode == "observed":
            self.new_per_day, self.day0 = spawn_schedule(scenario, self.obs)
            planned = int(self.new_per_day[: self.days].sum()) + sum(self.day0.values())
        else:
            self.new_per_day, self.day0 = None, {}
            planned = 0 if scenario.spawn.mode == "departures" else 1024
        planned += int(self.net.departures[: self.days].sum()) + sum(p.initial_waitlist for p in scenario.ports)
        self.agents = Agents.allocate(planned, came_from=mv.no_backtrack)
        self.has_fates = bool(scenario.hazards or scenario.marches)
        self.has_children = any(d.children > 0 for d in scenario.departures)
        self.rec = Record.zeros(
            self.days,
            P,
            len(self.net.port_names),
            self.net.n_links,
            self.has_fates,
            len(self.net.caravans),
            self.has_children,
        )
        self.queues = [PortQueue(ids=np.empty(1024, np.int32)) for _ in self.net.port_names]
        self.tally = np.zeros(len(K.STATE_NAMES), np.int64)  # people in the states that leave the places
        self.fate_key = key64(self.seed, "fates")
        self.march_key = key64(self.seed, "march")
        self.moved = np.zeros(P, np.int64)  # today's relocations out (-) and in (+) of closing places
        self.groups = [GroupState() for _ in self.net.caravans]
        self.custody = np.zeros(0, np.int32)  # people in custody (after a claim or an arrest)
        self.children = np.zeros(0, np.int32)  # ids of the children (departures' `children` share)
        self.waiting = PortQueue(ids=np.empty(1024, np.int32))  # out of custody, waiting for a decision: ids[:tail]
        self.asylum_rng = generator(self.seed, "asylum")
        self.reentry_rng = generator(self.seed, "reentry")
        self.coming_back: list[tuple[int, np.ndarray]] = []  # (day due, ids) of deported people setting out again
        self.sign_now = self.net.sign_rate >= 1.0
        self.sign_later = np.where(self.sign_now, 0.0, self.net.sign_rate)
        self.sign_key = key64(self.seed, "sign")
        self.group_rng = generator(self.seed, "caravans")
        self.group_flows = [np.zeros(P, np.int64) for _ in range(4)] + [np.zeros(self.net.n_links, np.int64)]
        countries = self.net.nations
        self.country_code = self.net.nation_of_place
        self.grant = np.array(
            [scenario.asylum.grant_rate.get(c, scenario.asylum.default_grant_rate) for c in countries], np.float64
        )
        self.pop = np.zeros(P, np.int64)  # agents at each place now
        self.transit = np.zeros(P, np.int64)  # agents on links heading to each place
        self.spawn_rng = generator(self.seed, "spawn")
        self.move_key = key64(self.seed, "move")
        self.pending = 0  # agents due but not yet placed (no spawn weight anywhere yet)
        self.resident = self.net.pop.copy()
        # today's place state
        self.intensity = np.zeros(P)
        self.began = np.full(P, -1, np.int32)
        self.open = np.ones(self.net.n_links, bool)
        self.camp_off = np.zeros(P, bool)
        self.routes: Routes | None = None
        self.timings: dict[str, float] = {name: 0.0 for name, _ in PLAN}
        self._counters = self._make_counters(1)
        self.phases: list[tuple[str, Callable[[int], None]]] = [(n, getattr(self, f"phase_{n}")) for n, _ in PLAN]

    # --- phases -------------------------------------------------------------------------

    def phase_conflicts(self, day: int) -> None:
        self.intensity = self.net.conflict_intensity[day]
        self.began = self.net.conflict_start[day]

    def phase_spawn(self, day: int) -> None:
        P = self.net.n_places
        counts = np.zeros(P, np.int64)
        if day == 0 and self.day0:
            idx = self.sc.place_index()
            for name, c in self.day0.items():
                counts[idx[name]] += c
        if self.new_per_day is not None:
            due = int(self.new_per_day[day]) + self.pending
        else:
            due = 0
        if self.sc.spawn.mode == "conflict":
            counts += self._conflict_spawns()
        elif due > 0:
            weights = self._spawn_weights(day)
            tw = weights.sum()
            if tw > 0:
                counts += self.spawn_rng.multinomial(due, weights / tw)
                self.pending = 0
            else:
                self.pending = due
        if day == 0:
            self._place_initial_waitlists()
        a = self.agents
        for k, nation, children, table in self.net.departure_groups:
            by_place = table[day] + counts if (k, nation, children) == (0, -1, 0.0) else table[day]
            total = int(by_place.sum())
            if not total:
                continue
            a.reserve(total)
            start = a.n
            a.n = K.place_agents(a.state, a.loc, a.n, by_place)
            a.cohort[start : a.n] = k
            a.origin[start : a.n] = self.country_code[a.loc[start : a.n]] if nation < 0 else nation
            self._mark_children(start, a.n, children)
            if self.queues:  # setting out where a port's list is kept: they sign it today
                at_list = self.net.signup_port[a.loc[start : a.n]] >= 0
                a.state[start : a.n][at_list] = K.SIGNING
            self.pop += by_place
            self.rec.spawned[day] += by_place
        for g, place, count, cohort, nation, children in self.net.caravan_departures.get(day, []):
            self._spawn_for_caravan(day, g, place, count, cohort, nation, children)

    def _mark_children(self, start: int, stop: int, share: float) -> None:
        """Rows [start, stop) are people setting out together; a share of them are children."""
        if share > 0 and stop > start:
            kids = start + np.flatnonzero(self.spawn_rng.random(stop - start) < share).astype(np.int32)
            self.children = np.concatenate([self.children, kids])

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
        a.n = K.place_agents(a.state, a.loc, a.n, by_place)
        a.cohort[start : a.n] = cohort
        a.origin[start : a.n] = self.country_code[place] if nation < 0 else nation
        self._mark_children(start, a.n, children)
        self.pop += by_place
        self.rec.spawned[day] += by_place
        here = grp.stop if grp.stop >= 0 else 0
        if not grp.done and grp.progress == 0.0 and plan.stops[here] == place:
            a.state[start : a.n] = K.GROUP_AT
            grp.members = np.concatenate([grp.members, np.arange(start, a.n, dtype=np.int32)])
            if grp.stop < 0:
                grp.stop = 0

    def _place_initial_waitlists(self) -> None:
        """People on a port's list before the run starts: they sign first, so they hold the first numbers."""
        idx = self.sc.place_index()
        for port in self.sc.ports:
            if port.initial_waitlist:
                where = idx[port.place]  # where they stay is not modelled: at the port
                counts = np.zeros(self.net.n_places, np.int64)
                counts[where] = port.initial_waitlist
                a = self.agents
                a.reserve(port.initial_waitlist)
                start = a.n
                a.n = K.place_agents(a.state, a.loc, a.n, counts)
                a.state[start : a.n] = K.SIGNING
                a.origin[start : a.n] = self.country_code[where]
                self.pop += counts
                self.rec.spawned[0] += counts

    def phase_closures(self, day: int) -> None:
        self.moved[:] = 0
        if self.coming_back:
            self._reenter(day)
        for when, src, dst in self.net.relocations:
            if when == day:
                self._relocate(src, dst)
        open_now = self.net.open_links(day)
        self.camp_off = self.net.camp_closed(day)
        if self.routes is None or not np.array_equal(open_now, self.open):
            self.open = open_now
            self.routes = self.net.routes(open_now)

    def _relocate(self, src: int, dst: int) -> None:
        """A place closes: everyone there (waiting lists keep their numbers) is taken to `dst`."""
        a = self.agents
        st = a.state[: a.n]
        staying = (st == K.AT_PLACE) | (st == K.SIGNING) | (st == K.WAITLISTED) | (st == K.REMAIN_MX)
        here = np.flatnonzero((a.loc[: a.n] == src) & staying)
        a.loc[here] = dst
        a.route[here] = -1
        if a.tracks_came_from():
            a.came_from[here] = src
        self.pop[src] -= len(here)
        self.pop[dst] += len(here)
        self.moved[src] -= len(here)
        self.moved[dst] += len(here)

    def phase_attract(self, day: int) -> None:
        net, mv = self.net, self.mv
        kind = net.kind
        in_conflict = self.intensity > 0
        # Shelters hold people as camps do; nobody walks on from a port (everyone there is on its list).
        camp = ((kind == CAMP) | (kind == IDP_CAMP) | (kind == SHELTER)) & ~self.camp_off
        movechance = np.where(kind == IDP_CAMP, mv.idpcamp_movechance, mv.camp_movechance)
        movechance = np.where(camp, movechance, mv.default_movechance)
        movechance = np.where((kind == HUB) | (kind == MARKER), 1.0, movechance)
        movechance = np.where(kind == PORT, 0.0, movechance)
        movechance = np.where(np.isnan(net.movechance_override), movechance, net.movechance_override)
        movechance = np.where(in_conflict, mv.conflict_movechance, movechance)
        crowding = np.where(net.capacity >= 1, self.pop / np.maximum(net.capacity, 1.0), 0.0)
        if mv.crowded_movechance > 0:  # an overfull shelter pushes people on to the next city
            extra = mv.crowded_movechance * np.maximum(0.0, crowding - 1.0)
            movechance = np.where(net.soft, np.minimum(1.0, movechance + extra), movechance)
        # Flee treats any place too sticky to leave (< 0.005 a day) as a camp.
        camp = camp | (movechance < 0.005)
        self.movechance = movechance.astype(np.float64)
        # u < chance  <=>  53-bit integer < ceil(chance * 2**53): same draws, no float conversion
        self.leave_below = np.ceil(self.movechance * 2.0**53).astype(np.uint64)

        score = net.attraction.copy()
        score = np.where(net.foreign, score * mv.foreign_weight, score)
        score = np.where(camp, score * mv.camp_weight, score)
        decay = self._decay(day)
        score = np.where(in_conflict, score * mv.conflict_weight ** (decay * self.intensity), score)

        capf = _capacity_factor(self.pop, net.capacity, mv.capacity_buffer)
        # A shelter's capacity is what it was planned for: when full, people still come and crowd in
        # (Benito Juarez held 6,100 in 3,000 places); crowding drives the hazards instead.
        # (in route weights a crowded shelter counts for less: 1 / crowding above capacity)
        capf = np.where(net.soft, 1.0 / np.maximum(1.0, crowding), capf)
        self.crowding = crowding
        self.dest_full = camp & (capf < 0.5) & ~net.soft  # a crowding shelter never turns people away
        r = self.routes
        assert r is not None
        cand = r.cand_route
        dest = r.dest[cand]
        if net.awareness == 0:
            w = np.ones(len(cand))
        else:
            w = (mv.weight_softening + score[dest]) / (mv.softening + r.dist[cand]) ** mv.distance_power
            w = (w * capf[dest]) ** mv.weight_power
        # cumulative weights within each place's candidate list
        cum = np.concatenate([[0.0], np.cumsum(w)])
        self.cand_cum = cum[1:] - np.repeat(cum[r.cand_start[:-1]], np.diff(r.cand_start))

    def phase_caravans(self, day: int) -> None:
        for f in self.group_flows:
            f[:] = 0
        for g, (plan, grp) in enumerate(zip(self.net.caravans, self.groups, strict=True)):
            self.rec.caravan_from[day, g] = grp.stop
            if grp.done or grp.stop < 0:
                continue
            a = self.agents
            grp.members = grp.members[(a.state[grp.members] == K.GROUP_AT) | (a.state[grp.members] == K.GROUP_ROAD)]
            if grp.progress == 0.0 and plan.gather[grp.stop]:  # people of its cohort in town join it
                n = a.n
                here = np.flatnonzero(
                    (a.loc[:n] == plan.stops[grp.stop]) & (a.state[:n] == K.AT_PLACE) & (a.cohort[:n] == plan.cohort)
                ).astype(np.int32)
                a.state[here] = K.GROUP_AT
                grp.members = np.concatenate([grp.members, here])
            if grp.progress == 0.0 and len(grp.members):  # in a town: some go on alone from here
                leave = plan.leave[grp.stop]
                if leave > 0:
                    going = self.group_rng.random(len(grp.members)) < leave
                    alone = grp.members[going]
                    a.state[alone] = K.AT_PLACE
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
                a.state[grp.members] = K.GROUP_ROAD
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
            a.state[grp.members] = K.GROUP_AT
            a.loc[grp.members] = q
            if a.tracks_came_from():
                a.came_from[grp.members] = plan.stops[s - 1]
            if s == len(plan.stops) - 1:  # the end of the route: everyone goes on alone
                a.state[grp.members] = K.AT_PLACE
                a.route[grp.members] = -1
                grp.members = grp.members[:0]
                grp.done = True
                return
            if plan.hold_until[s] > day or budget <= 0:
                return

    def phase_move(self, day: int) -> None:
        a, net, r = self.agents, self.net, self.routes
        assert r is not None
        # One block of counters per thread (at most), whatever the number of agents.
        n_chunks = max(1, min(nb.get_num_threads(), a.n // K.MIN_BLOCK))
        arr, dep, ent, lea, lent = self._counters_for(n_chunks)
        K.move_day(
            a.n,
            n_chunks,
            day,
            self.move_key,
            a.state,
            a.loc,
            a.progress,
            a.route,
            a.rpos,
            a.hops,
            a.came_from,
            self.leave_below,
            self.dest_full,
            r.cand_start,
            r.cand_route,
            self.cand_cum,
            r.links,
            r.length,
            r.dest,
            net.link_src,
            net.link_dst,
            net.link_dist,
            net.link_speed,
            self.open,
            self.sign_now,
            self.mv.max_walk_speed,
            self.mv.start_on_foot,
            self.mv.no_backtrack,
            arr,
            dep,
            ent,
            lea,
            lent,
        )
        self._flows = (arr[:n_chunks].sum(0), dep[:n_chunks].sum(0), ent[:n_chunks].sum(0), lea[:n_chunks].sum(0))
        self.rec.link_entries[day] = lent[:n_chunks].sum(0)

    def phase_border(self, day: int) -> None:
        if not self.queues:
            return
        a, net, rec = self.agents, self.net, self.rec
        if self.sign_later.any():
            n_blocks = max(1, min(nb.get_num_threads(), a.n // K.MIN_BLOCK))
            K.sign_day(a.n, n_blocks, day, self.sign_key, a.state, a.loc, self.sign_later)
        new = K.collect_signups(a.state, a.n)
        if len(new):
            a.state[new] = K.WAITLISTED
            a.joined[new] = day
            port_of = net.signup_port[a.loc[new]]
            for k, q in enumerate(self.queues):
                mine = new[port_of == k]
                q.append(mine)
                rec.signups[day, k] = len(mine)
        left = np.zeros(net.n_places, np.int64)
        for k, q in enumerate(self.queues):
            # A closure of h hours removes h/24 of the day's capacity; fractions carry to the next day.
            today = net.port_capacity[day, k] * (1.0 - net.port_closed_hours[day, k] / 24.0) + q.credit
            n_serve = int(np.floor(today + 1e-9))
            q.credit = max(0.0, today - n_serve)
            waits = np.empty(n_serve, np.int16)  # days on the list (the run is shorter than 32,767 days)
            first = q.head
            q.head, served = K.serve(q.ids, q.head, q.tail, n_serve, a.state, a.loc, a.joined, day, left, waits)
            if served:
                called = q.ids[first : q.head]
                self.custody = np.concatenate([self.custody, called[a.state[called] == K.PROCESSED]])
            q.waiting -= served
            self.tally[K.PROCESSED] += served
            rec.processed[day, k] = served
            if served:
                rec.waits.append((day, k, waits[:served]))
        self.pop -= left

    def phase_fates(self, day: int) -> None:
        if not self.has_fates:
            return
        a, net = self.agents, self.net
        P = net.n_places
        n_blocks = max(1, min(nb.get_num_threads(), a.n // K.MIN_BLOCK))
        counts = np.zeros((n_blocks, P, 6), np.int64)
        left = np.zeros((n_blocks, P), np.int64)
        road = np.zeros((n_blocks, P), np.int64)
        hz = self._hazards_today(day)
        if hz is not None:
            K.fates_day(a.n, n_blocks, day, self.fate_key, a.state, a.loc, a.joined, a.cohort, *hz, net.link_dst,
                        counts, left, road)  # fmt: skip
        for m in self.sc.marches:
            if m.day == day:
                in_city = np.zeros(P, bool)
                in_city[self.sc.places_matching(m.where)] = True
                K.march_day(a.n, n_blocks, day, self.march_key, a.state, a.loc, a.joined, in_city, m.share, m.cross,
                            m.apprehended, m.deported, counts, left)  # fmt: skip
        c = counts.sum(0)
        self.rec.fates[day] = c
        if self.sc.reentry.share > 0 and c[:, K.F_DEPORTED].any():
            self._plan_reentry(day)
        if c[:, K.F_CAUGHT].any():  # people arrested today go into custody (found by a rare full scan)
            st = a.state[: a.n]
            self.custody = np.flatnonzero((st == K.PROCESSED) | (st == K.APPREHENDED)).astype(np.int32)
        gone = c[:, K.F_DEPORTED] + c[:, K.F_RETURNED] + c[:, K.F_REFUGE] + c[:, K.F_CAUGHT] + c[:, K.F_THROUGH]
        on_road = road.sum(0)
        self.pop -= gone - on_road
        self.transit -= on_road
        for state, f in ((K.DEPORTED, K.F_DEPORTED), (K.RETURNED, K.F_RETURNED), (K.REFUGE, K.F_REFUGE),
                         (K.APPREHENDED, K.F_CAUGHT), (K.UNDETECTED, K.F_THROUGH)):  # fmt: skip
            self.tally[state] += int(c[:, f].sum())
        left_list = left.sum(0)
        for k, q in enumerate(self.queues):
            q.waiting -= int(left_list[net.signup_port == k].sum())
        if self.tally[K.REMAIN_MX] and c[:, : K.F_THROUGH + 1].any():  # some sent back may have given up
            w = self.waiting
            ids = w.ids[: w.tail]
            keep = ids[(a.state[ids] == K.WAITING_US) | (a.state[ids] == K.REMAIN_MX)]
            gone = w.tail - len(keep)
            w.ids[: len(keep)] = keep
            w.tail = len(keep)
            self.tally[K.REMAIN_MX] -= gone

    def _plan_reentry(self, day: int) -> None:
        """Of those deported today, a share will set out again after an exponential time at home."""
        a, re = self.agents, self.sc.reentry
        today = np.flatnonzero((a.state[: a.n] == K.DEPORTED) & (a.joined[: a.n] == day)).astype(np.int32)
        rng = self.reentry_rng
        again = today[rng.random(len(today)) < re.share]
        if not len(again):
            return
        due = day + 1 + np.floor(rng.exponential(re.days, len(again))).astype(np.int64)
        for d in np.unique(due):
            if d < self.days:
                self.coming_back.append((int(d), again[due == d]))

    def _reenter(self, day: int) -> None:
        """Deported people due today set out again from the re-entry place."""
        due = [ids for d, ids in self.coming_back if d == day]
        if not due:
            return
        self.coming_back = [(d, ids) for d, ids in self.coming_back if d != day]
        ids = np.concatenate(due)
        ids = ids[self.agents.state[ids] == K.DEPORTED]
        a, place = self.agents, self.sc.place_index()[self.sc.reentry.place]
        a.state[ids] = K.AT_PLACE
        a.loc[ids] = place
        a.route[ids] = -1
        self.tally[K.DEPORTED] -= len(ids)
        self.pop[place] += len(ids)
        self.moved[place] += len(ids)

    def _hazards_today(self, day: int):
        """Today's hazard tables for fates_day, or None when no hazard is in force."""
        sc, net = self.sc, self.net
        live = [h for h in sc.hazards if h.start <= day and (h.end is None or day < h.end)]
        if not live:
            return None
        C, P = len(sc.cohorts()), net.n_places
        hz_a = np.zeros((C, P, 4))
        hz_b = np.zeros((C, P, 4))
        caught_w = np.zeros((C, P))
        cohorts = sc.cohorts()
        for h in live:
            where = np.array(sc.places_matching(h.where))
            ks = [cohorts.index(h.cohort)] if h.cohort else list(range(C))
            o = ("deported", "returned", "refuge", "crossed").index(h.outcome)
            crowd = 1.0 + h.per_crowding * np.maximum(0.0, self.crowding[where] - 1.0)
            for k in ks:
                hz_a[k, where, o] += h.rate * crowd
                hz_b[k, where, o] += h.rate * crowd * h.per_week_waited
                if o == 3:
                    caught_w[k, where] += h.rate * crowd * h.apprehended
        total_cross = hz_a[:, :, 3]
        caught = np.divide(caught_w, total_cross, out=np.zeros_like(caught_w), where=total_cross > 0)
        has = (hz_a.sum(axis=(0, 2)) + hz_b.sum(axis=(0, 2))) > 0
        return hz_a, hz_b, has, caught

    def phase_asylum(self, day: int) -> None:
        """Custody, then waiting for a decision (in the US, or in `return_place` under remain-in-Mexico).

        Few people are in custody on any day, so they are handled as an array of ids. Everyone waiting has
        the same daily chance of a decision, so the number decided is one binomial draw and who is decided
        a uniform choice among them: the same distribution as a draw per person, at the cost of the
        decisions instead of the waiting list (which holds everyone processed in a run of months).
        """
        w = self.waiting
        if not len(self.custody) and not w.tail:
            return
        a, asy, t, rng = self.agents, self.sc.asylum, self.tally, self.asylum_rng
        ret = self.sc.place_index()[asy.return_place] if asy.return_place else -1
        leaving = rng.random(len(self.custody)) < 1.0 / asy.custody_days
        out, self.custody = self.custody[leaving], self.custody[~leaving]
        if len(out):
            caught = a.state[out] == K.APPREHENDED
            t[K.APPREHENDED] -= int(caught.sum())
            t[K.PROCESSED] -= int((~caught).sum())
            claims = ~caught | (rng.random(len(out)) < asy.apprehended_claim)
            a.state[out[~claims]] = K.REMOVED
            t[K.REMOVED] += int((~claims).sum())
            claimants = out[claims]
            a.joined[claimants] = day
            if asy.remain_in_mexico_from is not None and day >= asy.remain_in_mexico_from:
                a.state[claimants] = K.REMAIN_MX
                a.loc[claimants] = ret
                self.pop[ret] += len(claimants)
                self.moved[ret] += len(claimants)
                t[K.REMAIN_MX] += len(claimants)
            else:
                a.state[claimants] = K.WAITING_US
                t[K.WAITING_US] += len(claimants)
            w.append(claimants)
        k = int(rng.binomial(w.tail, 1.0 / asy.decision_days)) if w.tail else 0
        if k:
            positions = np.sort(rng.choice(w.tail, k, replace=False))[::-1].copy()
            decided, w.tail = K.swap_out(w.ids, w.tail, positions)
            in_mx = a.state[decided] == K.REMAIN_MX
            granted = rng.random(k) < self.grant[a.origin[decided]]
            a.state[decided] = np.where(granted, K.GRANTED, K.REMOVED).astype(np.int8)
            t[K.GRANTED] += int(granted.sum())
            t[K.REMOVED] += int((~granted).sum())
            t[K.REMAIN_MX] -= int(in_mx.sum())
            t[K.WAITING_US] -= int((~in_mx).sum())
            if ret >= 0:
                self.pop[ret] -= int(in_mx.sum())
                self.moved[ret] -= int(in_mx.sum())

    def phase_record(self, day: int) -> None:
        arr, dep, ent, lea = self._flows
        self.pop += arr - dep
        self.transit += ent - lea
        rec = self.rec
        rec.population[day] = self.pop
        rec.in_transit[day] = self.transit
        g_arr, g_dep, _, _, g_lent = self.group_flows
        rec.arrivals[day] = arr + np.maximum(self.moved, 0) + g_arr
        rec.departures[day] = dep + np.maximum(-self.moved, 0) + g_dep
        rec.link_entries[day] += g_lent
        a = self.agents
        self.tally[K.GROUP_AT] = self.tally[K.GROUP_ROAD] = 0
        for g, grp in enumerate(self.groups):
            if len(grp.members):
                st = a.state[grp.members]
                grp.members = grp.members[(st == K.GROUP_AT) | (st == K.GROUP_ROAD)]
            size = len(grp.members)
            self.tally[K.GROUP_ROAD if grp.progress > 0 else K.GROUP_AT] += size
            rec.caravan_size[day, g] = size
            rec.caravan_stop[day, g] = grp.stop
            rec.caravan_on_road[day, g] = int(grp.progress > 0)
        rec.census[day] = self.census()
        if self.has_children and len(self.children):
            st = a.state[self.children]
            here = (st == K.AT_PLACE) | (st == K.WAITLISTED) | (st == K.SIGNING) | (st == K.GROUP_AT)
            here |= st == K.REMAIN_MX
            rec.children[day] = np.bincount(a.loc[self.children[here]], minlength=self.net.n_places)
        for k, q in enumerate(self.queues):  # after the day's hazards and marches took names off
            rec.waitlist[day, k] = q.waiting

    def census(self) -> np.ndarray:
        """People in each state now, from the running tallies (check_conservation recounts them)."""
        c = self.tally.copy()
        c[K.ON_LINK] = self.transit.sum() - c[K.GROUP_ROAD]
        c[K.WAITLISTED] = sum(q.waiting for q in self.queues)
        c[K.AT_PLACE] = self.pop.sum() - c[K.WAITLISTED] - c[K.REMAIN_MX] - c[K.GROUP_AT]
        c[K.INACTIVE] = 0
        return c

    # --- helpers ------------------------------------------------------------------------

    def _decay(self, day: int) -> np.ndarray:
        decay = self.sc.spawn.conflict_spawn_decay
        if not decay:
            return np.ones(self.net.n_places)
        age = day - self.began
        i = np.minimum((age / 30.0).astype(np.int64), len(decay) - 1)
        return np.asarray(decay, dtype=np.float64)[np.maximum(i, 0)]

    def _spawn_weights(self, day: int) -> np.ndarray:
        return self.resident * self.intensity * self._decay(day)

    def _conflict_spawns(self) -> np.ndarray:
        sp = self.sc.spawn
        active = self.intensity > 0
        if sp.rate_mode == "constant":
            c = np.where(active, np.trunc(sp.rate * self.intensity), 0)
        elif sp.rate_mode == "pop_ratio":
            c = np.where(active, np.trunc(sp.rate * self.resident * self.intensity), 0)
        else:
            c = np.where(active, self.spawn_rng.poisson(sp.rate * self.intensity), 0)
        return c.astype(np.int64)

    def _make_counters(self, n_chunks: int) -> tuple[np.ndarray, ...]:
        P, L = self.net.n_places, self.net.n_links
        return (*(np.zeros((n_chunks, P), np.int64) for _ in range(4)), np.zeros((n_chunks, L), np.int64))

    def _counters_for(self, n_chunks: int) -> tuple[np.ndarray, ...]:
        if self._counters[0].shape[0] < n_chunks:
            self._counters = self._make_counters(max(n_chunks, 2 * self._counters[0].shape[0]))
        for c in self._counters:
            c[:n_chunks] = 0
        return self._counters

    # --- driver -------------------------------------------------------------------------

    def step(self, day: int) -> None:
        for name, fn in self.phases:
            t0 = time.perf_counter()
            fn(day)
            self.timings[name] += time.perf_counter() - t0

    def check_conservation(self, day: int) -> None:
        """Stocks equal flows: everyone spawned is at exactly one place or on one link."""
        a = self.agents
        st = a.state[: a.n]
        at_place = (st == K.AT_PLACE) | (st == K.SIGNING) | (st == K.WAITLISTED) | (st == K.REMAIN_MX)
        at_place |= st == K.GROUP_AT
        on_link = (st == K.ON_LINK) | (st == K.GROUP_ROAD)
        pop = np.bincount(a.loc[: a.n][at_place], minlength=self.net.n_places)
        dest = self.net.link_dst[a.loc[: a.n][on_link]]
        transit = np.bincount(dest, minlength=self.net.n_places)
        if not (np.array_equal(pop, self.pop) and np.array_equal(transit, self.transit)):
            raise AssertionError(f"day {day}: counted stocks differ from stocks built from flows")
        recount = np.bincount(st, minlength=len(K.STATE_NAMES))
        recount[K.INACTIVE] = 0
        if not np.array_equal(recount, self.census()):
            raise AssertionError(f"day {day}: states counted {recount.tolist()} but tallied {self.census().tolist()}")
        if int(self.census().sum()) != a.n:
            raise AssertionError(f"day {day}: {a.n} agents but {int(self.census().sum())} counted")


def _capacity_factor(pop: np.ndarray, cap: np.ndarray, buffer: float) -> np.ndarray:
    """1 below buffer x capacity, 0 at capacity, linear between; 1 where capacity is unlimited."""
    out = np.ones(len(pop))
    has = cap >= 1
    c = np.where(has, cap, 1.0)
    f = 1.0 - (pop - buffer * c) / np.maximum(c * (1.0 - buffer), 1e-12)
    f = np.clip(f, 0.0, 1.0)
    f = np.where(pop >= c, 0.0, f)
    f = np.where(pop <= buffer * c, 1.0, f)
    return np.where(has, f, out)
