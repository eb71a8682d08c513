"""The engine: agent columns, the daily plan of phases, and the run loop.

Each day runs the phases in `PLAN` in order. A phase is a method taking the day; per-place work
is numpy, per-agent work is the compiled kernels in `kernels.py`. Border and asylum processes
(`border.py`) and caravans (`caravans.py`) are further phases and agent states on the same columns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import states as S
from ..scenario.model import Scenario
from ..scenario.series import observed_daily, spawn_schedule
from . import kernels as K
from .border import BorderPhases, PortQueue
from .caravans import CaravanPhases, GroupState
from .network import Network, Routes, compile_network
from .rng import generator, key64
from .scores import attract_day, conflict_decay

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
    census: np.ndarray  # (days, len(S.STATE_NAMES)) people in each state at the end of the day
    fates: np.ndarray  # (days, P, 7) kernels.F_*: deported, returned, refuge, caught, through, marched, moved
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
        tables += [np.zeros((days, links), np.int64), np.zeros((days, len(S.STATE_NAMES)), np.int64)]
        tables += [np.zeros((days if fates else 0, places, S.N_OUTCOMES), np.int64)]
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


class Engine(BorderPhases, CaravanPhases):
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
        self.tally = np.zeros(len(S.STATE_NAMES), np.int64)  # people in the states that leave the places
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
        # Each hazard's places and, for moving on, where people would have come in from (fixed for the run)
        self.hazard_where = [np.array(scenario.places_matching(h.where)) for h in scenario.hazards]
        idx = scenario.place_index()
        self.hazard_came_via = [
            np.array([self.net.last_hop(j, idx[h.to]) for j in w], np.int32) if h.to else None
            for h, w in zip(scenario.hazards, self.hazard_where, strict=True)
        ]
        self.sign_now = self.net.sign_rate >= 1.0
        # setting out where a port's list is kept: they sign it that day (spawn_rows' sign-here masks)
        self.signs_on_spawn = (self.net.signup_port >= 0) & bool(self.queues)
        self.signs_everywhere = np.ones(P, bool)
        self.signs_nowhere = np.zeros(P, bool)
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
        self.decay_steps = np.asarray(scenario.spawn.conflict_spawn_decay or [], np.float64)
        self.decay = np.ones(P)
        self.open = np.ones(self.net.n_links, bool)
        self.camp_off = np.zeros(P, bool)
        self.routes: Routes | None = None
        self.closures_now: tuple[int, ...] | None = None  # the closures in force, when last checked
        # filled by phase_attract every day (cand_cum: re-sized when the routes change)
        self.movechance = np.empty(P)
        self.leave_below = np.empty(P, np.uint64)
        self.crowding = np.empty(P)
        self.dest_full = np.empty(P, np.bool_)
        self.cand_cum = np.empty(0)
        self.cum_w = np.empty((P, K.W))
        self.timings: dict[str, float] = {name: 0.0 for name, _ in PLAN}
        self._make_counters(1)
        self.phases: list[tuple[str, Callable[[int], None]]] = [(n, getattr(self, f"phase_{n}")) for n, _ in PLAN]

    # --- phases -------------------------------------------------------------------------

    def phase_conflicts(self, day: int) -> None:
        self.intensity = self.net.conflict_intensity[day]
        self.began = self.net.conflict_start[day]
        if len(self.decay_steps):
            conflict_decay(day, self.began, self.decay_steps, self.decay)

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
            a.n = K.spawn_rows(a.state, a.loc, a.cohort, a.origin, a.n, by_place, k, nation, self.country_code,
                               self.signs_on_spawn, self.pop, self.rec.spawned[day])  # fmt: skip
            self._mark_children(start, a.n, children)
        for g, place, count, cohort, nation, children in self.net.caravan_departures.get(day, []):
            self._spawn_for_caravan(day, g, place, count, cohort, nation, children)

    def _mark_children(self, start: int, stop: int, share: float) -> None:
        """Rows [start, stop) are people setting out together; a share of them are children."""
        if share > 0 and stop > start:
            kids = start + np.flatnonzero(self.spawn_rng.random(stop - start) < share).astype(np.int32)
            self.children = np.concatenate([self.children, kids])

    def phase_closures(self, day: int) -> None:
        self.moved[:] = 0
        if self.coming_back:
            self._reenter(day)
        for when, src, dst in self.net.relocations:
            if when == day:
                self._relocate(src, dst)
        now = self.net.closures_in_force(day)
        if now == self.closures_now:
            return
        self.closures_now = now
        open_now = self.net.open_links(day)
        self.camp_off = self.net.camp_closed(day)
        if self.routes is None or not np.array_equal(open_now, self.open):
            self.open = open_now
            self.routes = self.net.routes(open_now)
            self.cand_cum = np.empty(len(self.routes.cand_route))

    def _relocate(self, src: int, dst: int) -> None:
        """A place closes: everyone there (waiting lists keep their numbers) is taken to `dst`."""
        a = self.agents
        st = a.state[: a.n]
        staying = (st == S.AT_PLACE) | (st == S.SIGNING) | (st == S.ON_LIST) | (st == S.REMAIN_MX)
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
        """Move chances, place scores, capacity factors and cumulative route weights from start-of-day
        counts (scores.attract_day; the rules are in docs/model.md)."""
        net, mv, r = self.net, self.mv, self.routes
        assert r is not None
        attract_day(net.kind, self.camp_off, self.intensity, self.decay, net.movechance_override,
                    net.capacity, self.pop, net.soft, net.attraction, net.foreign, r.cand_route, r.dest, r.dist,
                    r.cand_start, net.awareness != 0, mv.camp_movechance, mv.idpcamp_movechance,
                    mv.default_movechance, mv.conflict_movechance, mv.crowded_movechance, mv.foreign_weight,
                    mv.camp_weight, mv.conflict_weight, mv.capacity_buffer, mv.weight_softening, mv.softening,
                    mv.distance_power, mv.weight_power, self.movechance, self.leave_below, self.crowding,
                    self.dest_full, self.cand_cum, self.cum_w)  # fmt: skip

    def phase_move(self, day: int) -> None:
        a, net, r = self.agents, self.net, self.routes
        assert r is not None
        # One block of counters per thread (at most), whatever the number of agents.
        n_chunks = K.n_blocks_for(a.n)
        arr, dep, ent, lea, lent = self._counters_for(n_chunks)
        rolls, movers = self._scratch
        with K.team(n_chunks):
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
                self.cum_w,
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
                rolls,
                movers,
            )
        self.n_blocks = n_chunks  # the counters' rows in use, summed in phase_record

    def phase_record(self, day: int) -> None:
        rec = self.rec
        g_arr, g_dep, _, _, g_lent = self.group_flows
        K.day_flows(self.n_blocks, *self._counters, self.moved, g_arr, g_dep, g_lent, self.pop, self.transit,
                    rec.population[day], rec.in_transit[day], rec.arrivals[day], rec.departures[day],
                    rec.link_entries[day])  # fmt: skip
        a = self.agents
        self.tally[S.CARAVAN_AT] = self.tally[S.CARAVAN_ROAD] = 0
        for g, grp in enumerate(self.groups):
            if len(grp.members):
                st = a.state[grp.members]
                grp.members = grp.members[(st == S.CARAVAN_AT) | (st == S.CARAVAN_ROAD)]
            size = len(grp.members)
            self.tally[S.CARAVAN_ROAD if grp.progress > 0 else S.CARAVAN_AT] += size
            rec.caravan_size[day, g] = size
            rec.caravan_stop[day, g] = grp.stop
            rec.caravan_on_road[day, g] = int(grp.progress > 0)
        rec.census[day] = self.census()
        if self.has_children and len(self.children):
            st = a.state[self.children]
            here = (st == S.AT_PLACE) | (st == S.ON_LIST) | (st == S.SIGNING) | (st == S.CARAVAN_AT)
            here |= st == S.REMAIN_MX
            rec.children[day] = np.bincount(a.loc[self.children[here]], minlength=self.net.n_places)
        for k, q in enumerate(self.queues):  # after the day's hazards and marches took names off
            rec.waitlist[day, k] = q.waiting

    def census(self) -> np.ndarray:
        """People in each state now, from the running tallies (check_conservation recounts them)."""
        c = self.tally.copy()
        c[S.ON_ROAD] = self.transit.sum() - c[S.CARAVAN_ROAD]
        c[S.ON_LIST] = sum(q.waiting for q in self.queues)
        c[S.AT_PLACE] = self.pop.sum() - c[S.ON_LIST] - c[S.REMAIN_MX] - c[S.CARAVAN_AT]
        c[S.INACTIVE] = 0
        return c

    # --- helpers ------------------------------------------------------------------------

    def _spawn_weights(self, day: int) -> np.ndarray:
        return self.resident * self.intensity * self.decay

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

    def _make_counters(self, n_chunks: int) -> None:
        """Per-block flow counters (4 per place, 1 per link) and the move kernel's scratch rows."""
        P, L = self.net.n_places, self.net.n_links
        self._counters = (*(np.zeros((n_chunks, P), np.int64) for _ in range(4)), np.zeros((n_chunks, L), np.int64))
        self._scratch = (np.empty((n_chunks, K.SUB), np.uint64), np.empty((n_chunks, K.SUB), np.int32))

    def _counters_for(self, n_chunks: int) -> tuple[np.ndarray, ...]:
        if self._counters[0].shape[0] < n_chunks:
            self._make_counters(max(n_chunks, 2 * self._counters[0].shape[0]))
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
        at_place = (st == S.AT_PLACE) | (st == S.SIGNING) | (st == S.ON_LIST) | (st == S.REMAIN_MX)
        at_place |= st == S.CARAVAN_AT
        on_link = (st == S.ON_ROAD) | (st == S.CARAVAN_ROAD)
        pop = np.bincount(a.loc[: a.n][at_place], minlength=self.net.n_places)
        dest = self.net.link_dst[a.loc[: a.n][on_link]]
        transit = np.bincount(dest, minlength=self.net.n_places)
        if not (np.array_equal(pop, self.pop) and np.array_equal(transit, self.transit)):
            raise AssertionError(f"day {day}: counted stocks differ from stocks built from flows")
        recount = np.bincount(st, minlength=len(S.STATE_NAMES))
        recount[S.INACTIVE] = 0
        if not np.array_equal(recount, self.census()):
            raise AssertionError(f"day {day}: states counted {recount.tolist()} but tallied {self.census().tolist()}")
        if int(self.census().sum()) != a.n:
            raise AssertionError(f"day {day}: {a.n} agents but {int(self.census().sum())} counted")
