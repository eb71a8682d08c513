"""Movement: every person on their own decides, travels, arrives and may go on (Flee's rules), in one
compiled parallel pass over the agent columns a day.

In the kernel, indices that were read from an array are cast to unsigned (np.uint32/np.uint64) before
they index another one. numba makes every signed index wrap around when negative, and that check sits
on the chain of dependent loads a departure is made of; the casts cut the move kernel's time to
0.75-0.79 of what it was on burundi, car and ssudan (bench/ab_kernel.py).
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from ...states import AT_PLACE, ON_ROAD, SIGNING
from ..agents import CAME_FROM, HOUSEHOLD, MOVE_CLASS, ORIGIN, ROUTE, Column
from ..component import Component, World
from ..parallel import SUB, kernel_args, n_blocks_for, team
from ..record import Table
from ..rng import GOLDEN, agent_stream, drawer, mix, uniform
from .attract import Attract, W
from .caravans import Caravans, Flows
from .closures import Closures
from .social import CONNECTIONS, Social

MAX_HOPS_PER_DAY = 64  # guards against endless chains over zero-length links


class People(NamedTuple):
    """The agent columns the move kernel reads and writes."""

    state: np.ndarray
    loc: np.ndarray  # a place, or a directed road while on it
    progress: np.ndarray  # km along the current road
    route: np.ndarray  # planned route id, -1 none
    rpos: np.ndarray  # next hop on the route
    hops: np.ndarray  # roads completed (capped)
    came_from: np.ndarray  # the place last left (one unused row without no_backtrack)
    stint: np.ndarray  # avoid_short_stints: Flee's recent_travel_distance at the end of day stint_day
    stint_day: np.ndarray
    aware: np.ndarray  # the class of people whose move chances and route weights a person reads (moveclass)
    connections: np.ndarray  # Flee's social connections (two_system_decision_making; one unused row without)
    household: np.ndarray  # the head whose draws a person makes (households; one unused row without)
    origin: np.ndarray  # nationality (network.nations index), for arrivals by nationality


class Choice(NamedTuple):
    """Today's choices: move chances (attract), candidate routes and their weights, the route table."""

    leave_below: np.ndarray  # (C, P) move chance as a threshold on a 53-bit draw, by class of people
    dest_full: np.ndarray  # (P,) a camp too full to head for
    cand_start: np.ndarray  # (P+1,) CSR into cand_route
    cand_route: np.ndarray  # route ids open from each place
    cand_cum: np.ndarray  # (C, candidates) cumulative weight within the place's list
    cum_w: np.ndarray  # (C, P, W) padded cumulative weights (branch-free pick)
    rt_links: np.ndarray  # (R, H) each route's directed roads
    rt_len: np.ndarray  # (R,) hops
    rt_dest: np.ndarray  # (R,) last place
    town: np.ndarray  # (P,) Flee's town flag today (avoid_short_stints)
    system2: np.ndarray  # (P,) where a well-connected person leaves for sure today (two_system_decision_making)


class Roads(NamedTuple):
    src: np.ndarray
    dst: np.ndarray
    dist: np.ndarray  # km
    speed: np.ndarray  # km a day
    open: np.ndarray  # open today
    walk: np.ndarray  # each person's daily chance of going at walking speed (Flee's walk_probability)


class Rules(NamedTuple):
    sign_now: np.ndarray  # (P,) arriving here, people stop and sign a port's list
    walk_speed: float
    start_on_foot: bool
    no_backtrack: bool
    short_stints: bool  # Flee's avoid_short_stints
    max_speed: float  # move.max_move_speed, the unit of Flee's recent travel distance
    two_system: bool  # Flee's two_system_decision_making
    by_nation: bool  # count arrivals by nationality too (counters.nation_arrivals)
    follow: bool  # move.follow_routes: someone holding a planned route goes on whatever the place's move chance


class Counters(NamedTuple):
    """One row per block (thread) of flow counters, and each block's scratch rows."""

    arrivals: np.ndarray  # (blocks, P)
    departures: np.ndarray  # (blocks, P)
    enter_link: np.ndarray  # (blocks, P) set out on a road towards each place
    leave_link: np.ndarray  # (blocks, P) came off a road at each place
    link_entries: np.ndarray  # (blocks, L)
    rolls: np.ndarray  # (blocks, SUB) scratch: the sub-chunk's move rolls
    movers: np.ndarray  # (blocks, SUB) scratch: rows of those who set out or are on a road
    nation_arrivals: np.ndarray  # (blocks, P, nations) with rules.by_nation, else (blocks, 1, 1) unused


class DayRows(NamedTuple):
    """The record's tables that the day's flows fill (a row a day)."""

    population: np.ndarray
    in_transit: np.ndarray
    arrivals: np.ndarray
    departures: np.ndarray
    link_entries: np.ndarray


class Movement(Component):
    name = "movement"
    doc = "every person on their own decides, travels, arrives and may go on (compiled, parallel)"
    columns = (
        Column("progress", np.float32, 0, "km along the current road"),
        ROUTE,
        Column("rpos", np.int8, 0, "next hop on the route"),
        Column("hops", np.int8, 0, "roads completed (capped at 127)"),
        CAME_FROM,
        Column(
            "stint",
            np.float32,
            0,
            "Flee's recent travel distance (avoid_short_stints): in days' travel, halved "
            "each day and topped up by the day's km / max_move_speed; as it was at the end of day stint_day",
            needed=lambda sc: sc.move.avoid_short_stints,
        ),
        Column(
            "stint_day",
            np.int16,
            0,
            "the day stint was last brought up to date",
            needed=lambda sc: sc.move.avoid_short_stints,
        ),
        MOVE_CLASS,
        CONNECTIONS,
        HOUSEHOLD,
        ORIGIN,
    )
    tables = (
        Table("population", ("place",), "people at each place at the end of the day"),
        Table("arrivals", ("place",), "people who arrived at each place that day"),
        Table("departures", ("place",), "people who left each place that day"),
        Table("in_transit", ("place",), "people on a road towards each place at the end of the day"),
        Table("link_entries", ("link",), "people who set out along each road, by direction"),
        Table(
            "nation_arrivals",
            ("place", "nation"),
            "people on their own who arrived at each place along a road that day, by nationality (network.nations "
            "order; not the caravans' members, nor people brought other than along a road)",
            needed=lambda sc: sc.counts_by_nationality and any(d.nationality for d in sc.departures),
        ),
    )

    def __init__(self, world: World) -> None:
        super().__init__(world)
        net, mv = world.net, world.sc.move
        self.key = world.key("move")
        self.roads = Roads(net.link_src, net.link_dst, net.link_dist, net.link_speed, np.ones(net.n_links, bool),
                           net.link_walk)  # fmt: skip
        self.by_nation = len(world.record.nation_arrivals) > 0
        self.rules = Rules(net.sign_rate >= 1.0, mv.max_walk_speed, mv.start_on_foot, mv.no_backtrack,
                           mv.avoid_short_stints, mv.max_move_speed, mv.two_system_decision_making,
                           self.by_nation, mv.follow_routes)  # fmt: skip
        social = world.find(Social)
        self.system2 = social.system2 if social is not None else np.zeros(net.n_places, np.bool_)
        self.counters = self._counters(1)
        self.n_blocks = 1  # the counters' rows in use today, summed in record
        self.no_caravans = Flows(*(np.zeros(net.n_places, np.int64) for _ in range(4)), np.zeros(net.n_links, np.int64))
        self._bundles: tuple[object, ...] = ()
        self._made_from: tuple[object, ...] | None = None
        self._flows_args: tuple[object, ...] | None = None

    def people(self) -> People:
        a = self.world.agents
        return People(a.state, a.loc, a.progress, a.route, a.rpos, a.hops, a.came_from, a.stint, a.stint_day,
                      a.moveclass, a.connections, a.household, a.origin)  # fmt: skip

    def step(self, day: int) -> None:
        w = self.world
        r = w.get(Closures).routes
        today = w.get(Attract).today
        open_links = w.get(Closures).open
        assert r is not None
        n = w.agents.n
        n_blocks = n_blocks_for(n, w.threads)  # one block of counters per thread, whatever the number of people
        counters = self._counters_for(n_blocks)
        # The bundles are made again only when an array in them was replaced (routes rebuilt, agents grown,
        # counters grown, roads closed or opened): a few microseconds a day is most of a small scenario's day.
        made_from = (r, today, open_links, w.agents.state, counters)
        if self._made_from is None or any(x is not y for x, y in zip(made_from, self._made_from, strict=True)):
            self.roads = self.roads._replace(open=open_links)
            choice = Choice(today.leave_below, today.dest_full, r.cand_start, r.cand_route, today.cand_cum,
                            today.cum_w, r.links, r.length, r.dest, today.town, self.system2)  # fmt: skip
            self._bundles = kernel_args(self.people(), choice, self.roads, self.rules, counters)
            self._made_from = made_from
        with team(n_blocks):
            move_day(n, n_blocks, day, self.key, *self._bundles)
        self.n_blocks = n_blocks

    def record(self, day: int) -> None:
        w = self.world
        stocks = w.stocks
        if self._flows_args is None or self._flows_args[0][0] is not self.counters.arrivals:  # counters grown
            rec, caravans = w.record, w.find(Caravans)
            tables = DayRows(rec.population, rec.in_transit, rec.arrivals, rec.departures, rec.link_entries)
            flows = caravans.flows if caravans else self.no_caravans
            self._flows_args = kernel_args(self.counters, flows, stocks.jumps, stocks.pop, stocks.transit, tables)
        day_flows(self.n_blocks, *self._flows_args, day)
        if self.by_nation:
            self.counters.nation_arrivals[: self.n_blocks].sum(axis=0, out=w.record.nation_arrivals[day])

    def _counters(self, n_blocks: int) -> Counters:
        P, L = self.world.net.n_places, self.world.net.n_links
        by_nation = (P, len(self.world.net.nations)) if self.by_nation else (1, 1)
        return Counters(*(np.zeros((n_blocks, P), np.int64) for _ in range(4)), np.zeros((n_blocks, L), np.int64),
                        np.empty((n_blocks, SUB), np.uint64), np.empty((n_blocks, SUB), np.int32),
                        np.zeros((n_blocks, *by_nation), np.int64))  # fmt: skip

    def _counters_for(self, n_blocks: int) -> Counters:
        if self.counters.arrivals.shape[0] < n_blocks:
            self.counters = self._counters(max(n_blocks, 2 * self.counters.arrivals.shape[0]))
        for c in (*self.counters[:5], self.counters.nation_arrivals):
            c[:n_blocks] = 0
        return self.counters


@nb.njit(inline="always", cache=True)
def _choose(p, u, cand_start, cand_route, cand_cum, cum_w, rt_links, link_dst, avoid):
    """Draw one of place p's candidate routes in proportion to weight, leaving out routes whose first
    road leads to place `avoid` (-1: none) unless nothing else is open."""
    up = np.uint32(p)
    lo, hi = cand_start[up], cand_start[up + np.uint32(1)]
    if hi == lo:
        return -1
    total = cand_cum[np.uint32(hi - 1)]
    n_ok = hi - lo
    if avoid < 0 and n_ok <= W and 1e-300 < total < np.inf:
        # The same pick as the loop below (the first route whose running total exceeds the target)
        # as a count over the place's padded row, without a data-dependent branch to mispredict.
        target = u * total
        pick = 0
        for j in range(W - 1):
            pick += cum_w[up, j] <= target
        return cand_route[np.uint32(lo + pick)]
    if avoid >= 0:
        for k in range(lo, hi):
            if link_dst[rt_links[cand_route[k], 0]] == avoid:
                total -= cand_cum[k] - (cand_cum[k - 1] if k > lo else 0.0)
                n_ok -= 1
        if n_ok == 0:
            avoid = -1
            total = cand_cum[hi - 1]
            n_ok = hi - lo
    if total <= 1e-300:  # all weights zero: equal chances, as Flee does
        pick = min(int(u * n_ok), n_ok - 1)
        for k in range(lo, hi):
            if avoid >= 0 and link_dst[rt_links[cand_route[k], 0]] == avoid:
                continue
            if pick == 0:
                return cand_route[k]
            pick -= 1
        return cand_route[hi - 1]
    target = u * total
    acc = 0.0
    last = -1
    for k in range(lo, hi):
        if avoid >= 0 and link_dst[rt_links[cand_route[k], 0]] == avoid:
            continue
        acc += cand_cum[k] - (cand_cum[k - 1] if k > lo else 0.0)
        last = cand_route[k]
        if target < acc:
            return last
    return last


@nb.njit(parallel=True, cache=True, nogil=True)
def move_day(n, n_blocks, day, key, people, choice, roads, rules, counters):
    """One day of movement for people [0, n): decide, travel, arrive, maybe go on (Flee's rules).

    counters.rolls and .movers are scratch rows (n_blocks x SUB) for each block's sub-chunk in turn:
    first everyone's move roll (a loop the compiler vectorises), then, without branches, the rows of
    those who set out or are on a road; only they go through the branchy part. Most people stay put,
    so this keeps their cost to the roll and one comparison.
    """
    # Every bundle comes as a plain tuple (parallel.kernel_args) and is taken apart here, before the parallel
    # loop, in the order of its NamedTuple: numba also loses writes made through a namedtuple's field inside
    # a prange body (numba issues 7135 and 10338).
    state, loc, progress, route, rpos, hops, came_from, stint, stint_day, aware, connections, household, origin = people
    leave_below, dest_full, cand_start, cand_route, cand_cum, cum_w, rt_links, rt_len, rt_dest, town, system2 = choice
    link_src, link_dst, link_dist, link_speed, link_open, link_walk = roads
    sign_now, walk_speed, start_on_foot, no_backtrack, short_stints, max_speed, two_system, by_nation, follow = rules
    arrivals, departures, enter_link, leave_link, link_entries, rolls, movers, nation_arrivals = counters
    n_sub = (n + SUB - 1) // SUB
    base = agent_stream(key, day, 0)
    # households: each person rolls their head's numbers, so a household at one place goes or stays as one
    grouped = household.shape[0] > 1
    # one class of people (no flood forecaster): the class's rows once, and the loops as they were
    by_class = leave_below.shape[0] > 1
    lb0, cc0, cw0 = leave_below[0], cand_cum[0], cum_w[0]
    for c in nb.prange(n_blocks):
        arr = arrivals[c]
        narr = nation_arrivals[c]
        dep = departures[c]
        ent = enter_link[c]
        lea = leave_link[c]
        lent = link_entries[c]
        roll = rolls[c]
        ids = movers[c]
        # Blocks take sub-chunks in turn: people who arrived late (high rows) are the ones still on the
        # move, so contiguous halves would leave one thread with most of the work.
        for sub in range(c, n_sub, n_blocks):
            lo = sub * SUB
            m = min(n, lo + SUB) - lo
            if grouped:
                for j in range(m):
                    roll[j] = mix((base ^ np.uint64(household[lo + j])) + GOLDEN) >> np.uint64(11)
            else:
                for j in range(m):
                    roll[j] = mix((base ^ np.uint64(lo + j)) + GOLDEN) >> np.uint64(11)
            k = np.uint64(0)
            ulo = np.uint64(lo)
            # Someone holding a planned route sets out for sure (Flee's calculateMoveChance: 1 while the route
            # is not empty); their roll is drawn all the same, so that nobody else's draws shift.
            if two_system:
                # two_system_decision_making: where system 2 applies today, a person with 3 connections or
                # more leaves for sure (Flee's move chance 1)
                for j in range(np.uint64(m)):
                    s = state[ulo + j]
                    at = s == AT_PLACE
                    p = np.uint32(loc[ulo + j]) if at else np.uint32(0)  # on a road, loc is a link
                    cl = np.uint32(aware[ulo + j]) if by_class else np.uint32(0)
                    go = (roll[j] < leave_below[cl, p]) | (system2[p] & (connections[ulo + j] >= 3))
                    ids[k] = ulo + j
                    k += np.uint64((at & (go | (follow & (route[ulo + j] >= 0)))) | (s == ON_ROAD))
            elif by_class:
                for j in range(np.uint64(m)):
                    s = state[ulo + j]
                    at = s == AT_PLACE
                    p = np.uint32(loc[ulo + j]) if at else np.uint32(0)  # on a road, loc is a link
                    go = (roll[j] < leave_below[np.uint32(aware[ulo + j]), p]) | (follow & (route[ulo + j] >= 0))
                    ids[k] = ulo + j
                    k += np.uint64((at & go) | (s == ON_ROAD))
            else:
                for j in range(np.uint64(m)):
                    s = state[ulo + j]
                    at = s == AT_PLACE
                    p = np.uint32(loc[ulo + j]) if at else np.uint32(0)  # on a road, loc is a link
                    ids[k] = ulo + j
                    k += np.uint64((at & ((roll[j] < lb0[p]) | (follow & (route[ulo + j] >= 0)))) | (s == ON_ROAD))
            for t in range(k):
                i = np.uint32(ids[t])
                cl = np.uint32(aware[i]) if by_class else np.uint32(0)
                lb = leave_below[cl] if by_class else lb0
                ccum = cand_cum[cl] if by_class else cc0
                cw = cum_w[cl] if by_class else cw0
                rng = agent_stream(key, day, drawer(household, i))
                setting_out = state[i] == AT_PLACE  # their roll said go (else they are on a road)
                if setting_out:
                    rng = rng + GOLDEN  # the draw of that roll
                moved = 0.0
                # Flee's recent_travel_distance as of yesterday: it halves every day (stint holds it as of
                # stint_day, so that only those who move are written)
                recent = stint[i] * 0.5 ** (day - 1 - stint_day[i]) if short_stints else 0.0
                # Each pass: set out if the last roll said go, then a full day's allowance on the current
                # road; on arrival with allowance left, roll again (Flee's evolve and finish_travel). The
                # last pass only sets out.
                for hop in range(MAX_HOPS_PER_DAY + 1):
                    if setting_out:
                        # pick a route if they have none; set out on its next road unless it is closed, does
                        # not start here (they were turned back off a closed road) or heads for a camp that is
                        # (nearly) full, in which case the plan is given up and they stay (Flee's
                        # take_next_step)
                        p = np.uint32(loc[i])
                        r = route[i]
                        if r < 0:
                            rng, u = uniform(rng)
                            avoid = came_from[i] if no_backtrack else -1
                            r = _choose(p, u, cand_start, cand_route, ccum, cw, rt_links, link_dst, avoid)
                            if r < 0 or rt_len[np.uint32(r)] == 0:  # a fixed_routes major route not followable
                                break  # from here (Flee's first stop dropped): the plan is given up, nobody moves
                            route[i] = r
                            rpos[i] = 0
                        ur = np.uint32(r)
                        if dest_full[np.uint32(rt_dest[ur])]:
                            route[i] = -1
                            break
                        lk = np.uint32(rt_links[ur, np.uint32(rpos[i])])
                        if not link_open[lk] or link_src[lk] != p:
                            route[i] = -1
                            break
                        rpos[i] += 1
                        if rpos[i] >= rt_len[ur]:
                            route[i] = -1
                        dep[p] += 1
                        ent[np.uint32(link_dst[lk])] += 1
                        lent[lk] += 1
                        state[i] = ON_ROAD
                        loc[i] = lk
                        progress[i] = 0.0
                    if hop == MAX_HOPS_PER_DAY:
                        break
                    lk = np.uint32(loc[i])
                    speed = walk_speed if (start_on_foot and hops[i] == 0) else link_speed[lk]
                    if link_walk[lk] > 0.0:
                        # walk_probability: each pass along the road, a draw for going at walking speed today
                        # (Flee's finish_travel); no draw on other roads, so their streams are as they were
                        rng, u = uniform(rng)
                        if u < link_walk[lk]:
                            speed = walk_speed
                    prog = progress[i] + speed
                    moved += speed
                    # Arrive once the allowance covers the road (Flee needs strictly more, which makes
                    # a 200 km road take two days at 200 km/day).
                    if prog < link_dist[lk]:
                        progress[i] = prog
                        break
                    moved += link_dist[lk] - prog
                    if hops[i] < 127:
                        hops[i] += 1
                    lea[np.uint32(link_dst[lk])] += 1
                    state[i] = AT_PLACE
                    progress[i] = 0.0
                    if not link_open[lk]:
                        # closed while on it: back to where the road starts, for the day. The rest of the plan
                        # is kept, as Flee keeps it: it makes tomorrow's move chance 1, and its next road,
                        # which starts elsewhere, ends it without a move.
                        q = np.uint32(link_src[lk])
                        loc[i] = q
                        if not follow:  # without Flee's rule the plan would only hold them back: dropped now
                            route[i] = -1
                        arr[q] += 1
                        if by_nation:
                            narr[q, np.uint32(origin[i])] += 1
                        break
                    q = np.uint32(link_dst[lk])
                    loc[i] = q
                    if no_backtrack:
                        came_from[i] = link_src[lk]
                    arr[q] += 1
                    if by_nation:
                        narr[q, np.uint32(origin[i])] += 1
                    if sign_now[q]:  # the border city: put one's name on the list, stop here
                        state[i] = SIGNING
                        break
                    if moved >= speed:
                        break
                    # the move chance as a threshold on the 53 random bits `uniform` would make a float of; a
                    # person with the rest of a route ahead goes on for sure (the roll is drawn all the same)
                    rng = rng + GOLDEN
                    if (mix(rng) >> np.uint64(11)) >= lb[q] and (route[i] < 0 or not follow):
                        # avoid_short_stints: in a town, someone who has come less than half a day's travel
                        # on average over yesterday's record and today goes on (Flee's ForceTownMove)
                        if not (short_stints and town[q] and (recent + moved / max_speed) / 2.0 < 0.5) and not (
                            two_system and system2[q] and connections[i] >= 3
                        ):
                            break
                    setting_out = True
                if short_stints:
                    stint[i] = (recent + moved / max_speed) / 2.0
                    stint_day[i] = day


@nb.njit(cache=True)
def day_flows(n_blocks, counters, caravans, jumps, pop, transit, tables, day):
    """Sum the move kernel's per-block counters into the day's stocks and flows: pop and transit
    (running stocks) and the record's rows for `day`. `jumps` (arrivals (+) and departures (-) other than along
    a road) and the caravans' flows count as arrivals and departures too. Bundles come as plain tuples."""
    arrivals, departures, enter_link, leave_link, link_entries, _, _, _ = counters
    c_arrivals, c_departures, _, _, c_link_entries = caravans
    population, in_transit, day_arrivals, day_departures, day_link_entries = tables
    for p in range(pop.shape[0]):
        a = 0
        d = 0
        e = 0
        lv = 0
        for c in range(n_blocks):
            a += arrivals[c, p]
            d += departures[c, p]
            e += enter_link[c, p]
            lv += leave_link[c, p]
        pop[p] += a - d
        transit[p] += e - lv
        population[day, p] = pop[p]
        in_transit[day, p] = transit[p]
        day_arrivals[day, p] = a + max(jumps[p], 0) + c_arrivals[p]
        day_departures[day, p] = d + max(-jumps[p], 0) + c_departures[p]
    for lk in range(day_link_entries.shape[1]):
        t = c_link_entries[lk]
        for c in range(n_blocks):
            t += link_entries[c, lk]
        day_link_entries[day, lk] = t
