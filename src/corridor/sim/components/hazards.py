"""Hazards: daily chances of leaving the journey at matching places (deported, going home, asking for
refuge, crossing between ports, moving on to another border city), growing with weeks on a waiting
list and with crowding (docs/model.md, Hazards)."""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from ...scenario.model import Scenario
from ...states import (
    APPREHENDED,
    AT_PLACE,
    CARAVAN_AT,
    CARAVAN_ROAD,
    DEPORTED,
    F_CAUGHT,
    F_DEPORTED,
    F_MOVED,
    F_REFUGE,
    F_RETURNED,
    F_THROUGH,
    H_CROSSED,
    H_DEPORTED,
    H_MOVED,
    H_REFUGE,
    H_RETURNED,
    HAZARD_OUTCOMES,
    ON_LIST,
    ON_ROAD,
    REFUGE,
    REMAIN_MX,
    RETURNED,
    UNDETECTED,
)
from ..agents import CAME_FROM, COHORT, HOUSEHOLD, JOINED, PORT, ROUTE
from ..component import Component, World
from ..parallel import SUB, kernel_args, n_blocks_for, team
from ..rng import agent_stream, drawer, uniform
from .attract import Attract
from .outcomes import OUTCOME_TABLE, Tallies, settle


class Exposed(NamedTuple):
    """The agent columns the hazard kernel reads and writes."""

    state: np.ndarray
    loc: np.ndarray
    joined: np.ndarray
    port: np.ndarray  # the port whose list a person on a list is on
    cohort: np.ndarray
    route: np.ndarray
    came_from: np.ndarray
    household: np.ndarray  # the head whose draws a person makes (households; one unused row without)


class Chances(NamedTuple):
    """Today's hazards by cohort and place: chance of outcome o = a[k, p, o] + b[k, p, o] x weeks waited."""

    a: np.ndarray  # (C, P, hazard outcomes)
    b: np.ndarray
    has: np.ndarray  # (P,) any hazard at the place
    caught: np.ndarray  # (C, P) share of those crossing who are caught
    move_to: np.ndarray  # (C, P) where moving on takes people
    came_via: np.ndarray  # (C, P) for no_backtrack: the last place before move_to on the shortest road


class Hazards(Component):
    name = "hazards"
    doc = "deportation, going home, refuge, crossing between ports, moving on, as chances per day"
    columns = (
        JOINED,
        PORT,
        COHORT,
        ROUTE,
        CAME_FROM,
        HOUSEHOLD,
    )
    tables = (OUTCOME_TABLE,)

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return bool(sc.hazards)

    def __init__(self, world: World) -> None:
        super().__init__(world)
        sc, net = world.sc, world.net
        self.key = world.key("fates")
        # each hazard's places and, for moving on, where people would have come in from (fixed for the run)
        self.where = [np.array(sc.places_matching(h.where)) for h in sc.hazards]
        idx = sc.place_index()
        self.came_via = [
            np.array([net.last_hop(j, idx[h.to]) for j in w], np.int32) if h.to else None
            for h, w in zip(sc.hazards, self.where, strict=True)
        ]
        # The hazards as flat arrays, so that today's tables are one compiled call: as numpy they were some
        # forty small operations a day, 110 us of tijuana-2018's day.
        cohorts, places = sc.cohorts(), sc.places
        far = np.iinfo(np.int64).max
        self.rules = HazardRules(
            np.array([h.start for h in sc.hazards], np.int64),
            np.array([far if h.end is None else h.end for h in sc.hazards], np.int64),
            np.array([cohorts.index(h.cohort) if h.cohort else -1 for h in sc.hazards], np.int64),
            np.array([HAZARD_OUTCOMES.index(h.outcome) for h in sc.hazards], np.int64),
            np.array([h.rate for h in sc.hazards], np.float64),
            np.array([h.per_crowding for h in sc.hazards], np.float64),
            np.array([h.per_week_waited for h in sc.hazards], np.float64),
            np.array([h.apprehended for h in sc.hazards], np.float64),
            np.array([idx[h.to] if h.to else -1 for h in sc.hazards], np.int64),
            np.array([_day_or(places[idx[h.to]].opens, -1) if h.to else -1 for h in sc.hazards], np.int64),
            np.array([_day_or(places[idx[h.to]].closes, far) if h.to else far for h in sc.hazards], np.int64),
            np.cumsum([0, *(len(w) for w in self.where)]).astype(np.int64),
            np.concatenate([np.zeros(0, np.int64), *(w.astype(np.int64) for w in self.where)]),
            np.concatenate([np.zeros(0, np.int32), *(np.full(len(w), -1, np.int32) if v is None else v
                                                     for w, v in zip(self.where, self.came_via, strict=True))]),
        )  # fmt: skip
        C, P = len(cohorts), net.n_places
        n_out = len(HAZARD_OUTCOMES)
        none = np.full((C, P), -1, np.int32)
        self.chances = Chances(np.zeros((C, P, n_out)), np.zeros((C, P, n_out)), np.zeros(P, np.bool_),
                               np.zeros((C, P)), none, none.copy())  # fmt: skip
        self.caught_w = np.zeros((C, P))
        self.tallies = Tallies.zeros(1, P, len(net.port_names))
        self._args: tuple[object, ...] = ()
        self._made_from: tuple[object, ...] | None = None
        self._tables_args: tuple[object, ...] = ()  # hazard_tables's, made again when attract's arrays are replaced
        self._tables_from: tuple[object, ...] | None = None

    def step(self, day: int) -> None:
        w = self.world
        hz = self._today(day)
        if hz is None:
            return
        a = w.agents
        n_blocks = n_blocks_for(a.n, w.threads)
        if self.tallies.counts.shape[0] != n_blocks:
            self.tallies = Tallies.zeros(n_blocks, w.net.n_places, len(w.net.port_names))
        t = self.tallies
        # the arguments are made again only when an array in them was replaced (agents grown, blocks changed)
        made_from = (a.state, t)
        if self._made_from is None or any(x is not y for x, y in zip(made_from, self._made_from, strict=True)):
            people = Exposed(a.state, a.loc, a.joined, a.port, a.cohort, a.route, a.came_from, a.household)
            self._args = kernel_args(people, hz, w.sc.move.no_backtrack, w.net.link_dst, t)
            self._made_from = made_from
        with team(n_blocks):
            fates_day(a.n, n_blocks, day, self.key, *self._args)
        settle(w, day, t)

    def _today(self, day: int) -> Chances | None:
        """Today's hazard tables (filled in place), or None when no hazard is in force."""
        today = self.world.get(Attract).today
        hz = self.chances
        made = self._tables_from
        if made is None or made[0] is not today.crowding or made[1] is not today.dest_full:
            self._tables_args = kernel_args(self.rules, today.crowding, today.dest_full, hz, self.caught_w)
            self._tables_from = (today.crowding, today.dest_full)
        if not hazard_tables(day, *self._tables_args):
            return None
        return hz


def _day_or(day: int | None, default: int) -> int:
    return default if day is None else day


class HazardRules(NamedTuple):
    """The scenario's hazards as arrays, one entry per hazard (places in CSR by where_start)."""

    start: np.ndarray
    end: np.ndarray  # first day no longer in force (int64 max: none)
    cohort: np.ndarray  # the only cohort exposed, -1: every cohort
    outcome: np.ndarray  # index into HAZARD_OUTCOMES
    rate: np.ndarray
    per_crowding: np.ndarray
    per_week_waited: np.ndarray
    apprehended: np.ndarray
    to: np.ndarray  # moved: the destination, -1 none
    to_opens: np.ndarray  # the destination's first open day (-1: open from the start)
    to_closes: np.ndarray  # its closing day (int64 max: never)
    where_start: np.ndarray  # (H+1,)
    where: np.ndarray  # the places of each hazard
    came_via: np.ndarray  # aligned with where: for moved under no_backtrack, where they count as coming from


@nb.njit(cache=True)
def hazard_tables(day, rules, crowding, dest_full, hz, caught_w):
    """Fill today's Chances in place from the hazards in force; False when none is (the tables are then
    left as they were). The arithmetic is in the order of the numpy code it replaced (per hazard, rate x
    crowd added to a, then rate x crowd x per_week_waited to b), so the tables are bit for bit the same.
    Bundles come as plain tuples (parallel.kernel_args)."""
    (start, end, cohort, outcome, rate, per_crowding, per_week_waited, apprehended, to, to_opens, to_closes,
     where_start, where, came_via_of) = rules  # fmt: skip
    hz_a, hz_b, has, caught, move_to, came_via = hz
    n_h = len(start)
    live = False
    for i in range(n_h):
        if start[i] <= day < end[i]:
            live = True
    if not live:
        return False
    C, P, n_out = hz_a.shape
    hz_a[:] = 0.0
    hz_b[:] = 0.0
    caught_w[:] = 0.0
    move_to[:] = -1
    came_via[:] = -1
    for i in range(n_h):
        if not start[i] <= day < end[i]:
            continue
        if to[i] >= 0:
            # nobody moves to a shelter that is closed, or full and turning people away
            if not (to_opens[i] < 0 or day >= to_opens[i]) or not day < to_closes[i] or dest_full[to[i]]:
                continue
        o = outcome[i]
        k_lo, k_hi = (cohort[i], cohort[i] + 1) if cohort[i] >= 0 else (0, C)
        for j in range(where_start[i], where_start[i + 1]):
            p = where[j]
            crowd = 1.0 + per_crowding[i] * max(0.0, crowding[p] - 1.0)
            for k in range(k_lo, k_hi):
                hz_a[k, p, o] += rate[i] * crowd
                hz_b[k, p, o] += rate[i] * crowd * per_week_waited[i]
                if o == H_CROSSED:
                    caught_w[k, p] += rate[i] * crowd * apprehended[i]
                if o == H_MOVED:
                    move_to[k, p] = to[i]
                    came_via[k, p] = came_via_of[j]
    for k in range(C):
        for p in range(P):
            total_cross = hz_a[k, p, H_CROSSED]
            caught[k, p] = caught_w[k, p] / total_cross if total_cross > 0 else 0.0
    # every chance is at least 0, so a place has a hazard where any of its chances is above 0
    for p in range(P):
        any_hz = False
        for k in range(C):
            for q in range(n_out):
                if hz_a[k, p, q] > 0 or hz_b[k, p, q] > 0:
                    any_hz = True
        has[p] = any_hz
    return True


@nb.njit(parallel=True, cache=True, nogil=True)
def fates_day(n, n_blocks, day, key, people, hz, no_backtrack, link_dst, t):
    """Hazards: people at a place with a hazard may be deported, go home, ask for refuge, cross or move on.

    The chance of outcome o for a person of cohort k at place p is hz.a[k, p, o] + hz.b[k, p, o] x weeks
    on the list (0 if not on one); outcomes compete (one draw). t.counts[block, p, F_*] tallies them;
    t.left_list[block, k] the people who left port k's waiting list. People on a road are exposed to the
    hazards of the place it leads to (t.on_road[block, p] counts those who leave the road). Moving on
    (to hz.move_to[k, p], counted in t.moved_in at the destination) is open only to people at a place on
    their own: not to those on a road, in a caravan or sent back to wait for a hearing. Under
    no_backtrack they count as having come in from hz.came_via[k, p], so they do not head straight back.
    """
    # Every bundle comes as a plain tuple (parallel.kernel_args) and is taken apart here, before the parallel
    # loop, in the order of its NamedTuple: numba also loses writes made through a namedtuple's field inside
    # a prange body (numba issues 7135 and 10338).
    state, loc, joined, port, cohort, route, came_from, household = people
    hz_a, hz_b, has_hz, caught, move_to, came_via = hz
    counts, left_list, on_road, moved_in = t
    n_out = hz_a.shape[2]
    n_sub = (n + SUB - 1) // SUB
    for c in nb.prange(n_blocks):
        cnt = counts[c]
        ll = left_list[c]
        rd = on_road[c]
        mi = moved_in[c]
        # each block clears its own tallies: the component keeps them from day to day
        cnt[:] = 0
        ll[:] = 0
        rd[:] = 0
        mi[:] = 0
        for sub in range(c, n_sub, n_blocks):
            for i in range(sub * SUB, min(n, (sub + 1) * SUB)):
                s = state[i]
                road = s == ON_ROAD or s == CARAVAN_ROAD
                if s != AT_PLACE and s != ON_LIST and s != CARAVAN_AT and s != REMAIN_MX and not road:
                    continue
                p = np.uint32(link_dst[np.uint32(loc[i])]) if road else np.uint32(loc[i])
                if not has_hz[p]:
                    continue
                k = np.uint32(cohort[i])
                # waiting: on a list, or (remain-in-Mexico) for a hearing
                weeks = (day - joined[i]) / 7.0 if (s == ON_LIST or s == REMAIN_MX) else 0.0
                rng, u = uniform(agent_stream(key, day, drawer(household, i)))  # a household's fate is one
                acc = 0.0
                o = -1
                for q in range(n_out):
                    acc += hz_a[k, p, q] + hz_b[k, p, q] * weeks
                    if u < acc:
                        o = q
                        break
                if o < 0 or (o == H_MOVED and s != AT_PLACE and s != ON_LIST):
                    continue
                if s == ON_LIST:
                    ll[np.uint32(port[i])] += 1
                if road:
                    rd[p] += 1
                if o == H_CROSSED:
                    rng, u = uniform(rng)
                    if u < caught[k, p]:
                        state[i] = APPREHENDED
                        joined[i] = day
                        loc[i] = p  # where they crossed from (someone on a road: its end), for remain-in-Mexico
                        cnt[p, F_CAUGHT] += 1
                    else:
                        state[i] = UNDETECTED
                        cnt[p, F_THROUGH] += 1
                elif o == H_DEPORTED:
                    state[i] = DEPORTED
                    joined[i] = day
                    cnt[p, F_DEPORTED] += 1
                elif o == H_RETURNED:
                    state[i] = RETURNED
                    cnt[p, F_RETURNED] += 1
                elif o == H_REFUGE:
                    state[i] = REFUGE
                    cnt[p, F_REFUGE] += 1
                else:
                    state[i] = AT_PLACE
                    loc[i] = move_to[k, p]
                    route[i] = -1
                    if no_backtrack:
                        came_from[i] = came_via[k, p]
                    cnt[p, F_MOVED] += 1
                    mi[np.uint32(move_to[k, p])] += 1
