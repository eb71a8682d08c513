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
from ..agents import CAME_FROM, COHORT, JOINED, PORT, ROUTE
from ..component import Component, World
from ..parallel import SUB, kernel_args, n_blocks_for, team
from ..rng import agent_stream, uniform
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

    def step(self, day: int) -> None:
        w = self.world
        hz = self._today(day)
        if hz is None:
            return
        a = w.agents
        n_blocks = n_blocks_for(a.n, w.threads)
        t = Tallies.zeros(n_blocks, w.net.n_places, len(w.net.port_names))
        people = Exposed(a.state, a.loc, a.joined, a.port, a.cohort, a.route, a.came_from)
        with team(n_blocks):
            fates_day(*kernel_args(a.n, n_blocks, day, self.key, people, hz, w.sc.move.no_backtrack, w.net.link_dst, t))
        settle(w, day, t)

    def _today(self, day: int) -> Chances | None:
        """Today's hazard tables, or None when no hazard is in force."""
        sc, net = self.world.sc, self.world.net
        live = [i for i, h in enumerate(sc.hazards) if h.start <= day and (h.end is None or day < h.end)]
        if not live:
            return None
        today = self.world.get(Attract).today
        cohorts, idx = sc.cohorts(), sc.place_index()
        C, P = len(cohorts), net.n_places
        n_out = len(HAZARD_OUTCOMES)
        hz_a = np.zeros((C, P, n_out))
        hz_b = np.zeros((C, P, n_out))
        caught_w = np.zeros((C, P))
        move_to = np.full((C, P), -1, np.int32)
        came_via = np.full((C, P), -1, np.int32)
        for i in live:
            h = sc.hazards[i]
            if h.to is not None:
                dest = sc.places[idx[h.to]]
                if not dest.open_on(day) or today.dest_full[idx[h.to]]:
                    continue  # nobody moves to a shelter that is closed, or full and turning people away
            where = self.where[i]
            ks = [cohorts.index(h.cohort)] if h.cohort else list(range(C))
            o = HAZARD_OUTCOMES.index(h.outcome)
            crowd = 1.0 + h.per_crowding * np.maximum(0.0, today.crowding[where] - 1.0)
            for k in ks:
                hz_a[k, where, o] += h.rate * crowd
                hz_b[k, where, o] += h.rate * crowd * h.per_week_waited
                if o == H_CROSSED:
                    caught_w[k, where] += h.rate * crowd * h.apprehended
                if o == H_MOVED:
                    move_to[k, where] = idx[h.to]
                    came_via[k, where] = self.came_via[i]
        total_cross = hz_a[:, :, H_CROSSED]
        caught = np.divide(caught_w, total_cross, out=np.zeros_like(caught_w), where=total_cross > 0)
        has = (hz_a.sum(axis=(0, 2)) + hz_b.sum(axis=(0, 2))) > 0
        return Chances(hz_a, hz_b, has, caught, move_to, came_via)


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
    state, loc, joined, port, cohort, route, came_from = people
    hz_a, hz_b, has_hz, caught, move_to, came_via = hz
    counts, left_list, on_road, moved_in = t
    n_out = hz_a.shape[2]
    n_sub = (n + SUB - 1) // SUB
    for c in nb.prange(n_blocks):
        cnt = counts[c]
        ll = left_list[c]
        rd = on_road[c]
        mi = moved_in[c]
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
                rng, u = uniform(agent_stream(key, day, i))
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
