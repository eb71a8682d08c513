"""Marches: on a date, a share of the people in a city march to the border; some try to cross (and are
caught or turned back), some of the others are deported, and the rest go back (docs/model.md, Marches)."""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from ...scenario.model import Scenario
from ...states import APPREHENDED, AT_PLACE, CARAVAN_AT, DEPORTED, F_CAUGHT, F_DEPORTED, F_MARCHED, ON_LIST
from ..agents import COHORT, HOUSEHOLD, JOINED, PORT
from ..component import Component, World
from ..parallel import SUB, kernel_args, n_blocks_for, team
from ..rng import agent_stream, drawer, uniform
from .outcomes import OUTCOME_TABLE, Tallies, settle


class Marchers(NamedTuple):
    state: np.ndarray
    loc: np.ndarray
    joined: np.ndarray
    port: np.ndarray  # the port whose list a person on a list is on
    household: np.ndarray  # the head whose draws a person makes (households; one unused row without)
    cohort: np.ndarray  # departures cohort: a march may be of one cohort only


class Shares(NamedTuple):
    """A march's shares: of those present who march, of marchers who try to cross, of those crossing who
    are caught, of the other marchers who are deported."""

    march: float
    cross: float
    caught: float
    deported: float


class Marches(Component):
    name = "marches"
    doc = "dated marches to the border: crossings, arrests, deportations"
    columns = (
        JOINED,
        PORT,
        HOUSEHOLD,
        COHORT,
    )
    tables = (OUTCOME_TABLE,)

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return bool(sc.marches)

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.key = world.key("march")

    def step(self, day: int) -> None:
        w = self.world
        today = [m for m in w.sc.marches if m.day == day]
        if not today:
            return
        a, P = w.agents, w.net.n_places
        n_blocks = n_blocks_for(a.n, w.threads)
        t = Tallies.zeros(n_blocks, P, len(w.net.port_names))
        people = Marchers(a.state, a.loc, a.joined, a.port, a.household, a.cohort)
        cohorts = w.sc.cohorts()
        with team(n_blocks):
            for m in today:
                in_city = np.zeros(P, bool)
                in_city[w.sc.places_matching(m.where)] = True
                shares = Shares(m.share, m.cross, m.apprehended, m.deported)
                who = cohorts.index(m.cohort) if m.cohort else -1
                march_day(*kernel_args(a.n, n_blocks, day, self.key, people, in_city, who, shares, t))
        settle(w, day, t)


@nb.njit(parallel=True, cache=True, nogil=True)
def march_day(n, n_blocks, day, key, people, in_city, who, shares, t):
    """A march: each person present in the city (of cohort `who`; -1: of any) marches with chance
    `shares.march`; a marcher tries to cross with chance `shares.cross` and is caught with chance
    `shares.caught` (the others are turned back); a marcher who does not try is deported with chance
    `shares.deported`; everyone not caught or deported goes back to where they were."""
    # Every bundle comes as a plain tuple (parallel.kernel_args) and is taken apart here, before the parallel
    # loop, in the order of its NamedTuple: numba also loses writes made through a namedtuple's field inside
    # a prange body (numba issues 7135 and 10338).
    state, loc, joined, port, household, cohort = people
    share, cross, caught, deported = shares
    counts, left_list, _, _ = t
    n_sub = (n + SUB - 1) // SUB
    for c in nb.prange(n_blocks):
        cnt = counts[c]
        ll = left_list[c]
        for sub in range(c, n_sub, n_blocks):
            for i in range(sub * SUB, min(n, (sub + 1) * SUB)):
                s = state[i]
                if s != AT_PLACE and s != ON_LIST and s != CARAVAN_AT:
                    continue
                p = np.uint32(loc[i])
                if not in_city[p] or (who >= 0 and cohort[i] != who):
                    continue
                rng, u = uniform(agent_stream(key, day, drawer(household, i)))
                if u >= share:
                    continue
                cnt[p, F_MARCHED] += 1
                rng, u = uniform(rng)
                if u < cross:
                    rng, u = uniform(rng)
                    if u >= caught:
                        continue  # turned back at the fence
                    state[i] = APPREHENDED
                    joined[i] = day
                    cnt[p, F_CAUGHT] += 1
                else:
                    rng, u = uniform(rng)
                    if u >= deported:
                        continue
                    state[i] = DEPORTED
                    joined[i] = day
                    cnt[p, F_DEPORTED] += 1
                if s == ON_LIST:
                    ll[np.uint32(port[i])] += 1
