"""How many people are where: at each place, on the road to each place, and in each state.

The stocks are kept as running counts, changed only through the methods below, each of which says
what happened (people arrived, left, were relocated, changed state). The census of states follows
from them through the registry (states.py): a state counted at a place or on a road is tallied unless
it is that where's default (at_place, on_road), which is what remains of the place's or the roads'
people. `check` recounts everything from the agent columns; the engine runs it at the end of every
run, and every day when asked (`Simulation.run(check=True)`, the tests' validation mode).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .. import states as S
from .agents import Agents

_AT_PLACE = S.mask("place")
_ON_ROAD = S.mask("road")
_DEFAULTS = set(S.DEFAULT_AT.values())  # their counts follow from the places' and roads' people
# the states counted at a place (on a road) other than its default, whose tallies the default's count is left of
_OTHERS_AT_PLACE = np.array([s for s in S.codes("place") if s != S.DEFAULT_AT["place"]])
_OTHERS_ON_ROAD = np.array([s for s in S.codes("road") if s != S.DEFAULT_AT["road"]])


class ConservationError(AssertionError):
    """The running stocks no longer match a recount of the people: a bug in a component."""


class Stocks:
    def __init__(self, n_places: int) -> None:
        self.pop = np.zeros(n_places, np.int64)  # people at each place now
        self.transit = np.zeros(n_places, np.int64)  # people on roads heading to each place
        self.tally = np.zeros(S.N_STATES, np.int64)  # people in each state (defaults derived in census)
        # today's arrivals (+) and departures (-) not along a road: relocations, moving on to another city,
        # re-entry, people sent back under remain-in-Mexico and their decisions (counted in the flows)
        self.jumps = np.zeros(n_places, np.int64)

    def new_day(self) -> None:
        self.jumps[:] = 0

    # --- changes --------------------------------------------------------------------------------

    def enter(self, state: int, n: int) -> None:
        """n people entered `state` (from wherever they were: the state they left is counted by its owner)."""
        if state not in _DEFAULTS:
            self.tally[state] += n

    def shift(self, delta: np.ndarray) -> None:
        """delta[p] people more counted at p without travelling (at home for the harvest): not arrivals."""
        self.pop += delta

    def exit(self, state: int, n: int) -> None:
        """n people left `state`."""
        if state not in _DEFAULTS:
            self.tally[state] -= n

    def arrive(self, place: int, n: int, *, jump: bool = True) -> None:
        """n people appear at `place` other than along a road (jump: count them in the day's arrivals)."""
        self.pop[place] += n
        if jump:
            self.jumps[place] += n

    def depart(self, place: int, n: int, *, jump: bool = True) -> None:
        """n people leave `place` other than along a road (jump: count them in the day's departures)."""
        self.pop[place] -= n
        if jump:
            self.jumps[place] -= n

    def leave(self, by_place: np.ndarray, *, jump: bool = False) -> None:
        """by_place[p] people leave the network from place p (jump: count them in the day's departures)."""
        self.pop -= by_place
        if jump:
            self.jumps -= by_place

    def leave_roads(self, by_dest: np.ndarray) -> None:
        """by_dest[p] people leave the network from the roads leading to p."""
        self.transit -= by_dest

    def jump(self, delta: np.ndarray) -> None:
        """Moves between places the same day, other than along a road: delta[p] people more at p."""
        self.pop += delta
        self.jumps += delta

    def relocate(self, src: int, dst: int, n: int) -> None:
        """n people taken from `src` to `dst` the same day (a closing shelter, a bus to another city)."""
        self.pop[src] -= n
        self.pop[dst] += n
        self.jumps[src] -= n
        self.jumps[dst] += n

    def set_out(self, place: int, dest: int, n: int) -> None:
        """n people (a caravan) leave `place` on the road to `dest`."""
        self.pop[place] -= n
        self.transit[dest] += n

    def come_in(self, place: int, n: int) -> None:
        """n people (a caravan) reach `place` off the road leading to it."""
        self.transit[place] -= n
        self.pop[place] += n

    def set_tally(self, state: int, n: int) -> None:
        """The count of a state kept by its component (lists, caravans), handed over at the end of the day."""
        self.tally[state] = n

    # --- census ---------------------------------------------------------------------------------

    def census(self) -> np.ndarray:
        """People in each state now: the tallies, with the defaults as what remains of each where."""
        return census(self.tally, self.pop, self.transit, _OTHERS_AT_PLACE, _OTHERS_ON_ROAD)

    def check(self, agents: Agents, link_dst: np.ndarray, day: int) -> None:
        """Recount every person's state and place and compare with the running stocks."""
        n = agents.n
        pop, transit, recount = recount_people(agents.state, agents.loc, n, _AT_PLACE, _ON_ROAD, link_dst,
                                               len(self.pop))  # fmt: skip
        if not (np.array_equal(pop, self.pop) and np.array_equal(transit, self.transit)):
            raise ConservationError(f"day {day}: people counted at places or on roads differ from the running stocks")
        recount[S.INACTIVE] = 0
        census = self.census()
        if not np.array_equal(recount, census):
            raise ConservationError(f"day {day}: states counted {recount.tolist()} but tallied {census.tolist()}")
        if int(census.sum()) != n:
            raise ConservationError(f"day {day}: {n} people but {int(census.sum())} counted")


@nb.njit(cache=True)
def census(tally, pop, transit, others_at_place, others_on_road):
    """Stocks.census in one compiled call (as numpy, five small operations were 6 us of every day)."""
    c = tally.copy()
    c[S.INACTIVE] = 0
    at_place = pop.sum()
    for s in others_at_place:
        at_place -= c[s]
    on_road = transit.sum()
    for s in others_on_road:
        on_road -= c[s]
    c[S.AT_PLACE] = at_place
    c[S.ON_ROAD] = on_road
    return c


@nb.njit(cache=True)
def recount_people(state, loc, n, at_place, on_road, link_dst, n_places):
    """People at each place, on the road to each place and in each state, counted one by one: one pass and
    no array per person, so that the check every run ends with costs no memory at ten million people."""
    pop = np.zeros(n_places, np.int64)
    transit = np.zeros(n_places, np.int64)
    states = np.zeros(len(at_place), np.int64)
    for i in range(n):
        s = state[i]
        states[s] += 1
        if at_place[s]:
            pop[loc[i]] += 1
        elif on_road[s]:
            transit[link_dst[loc[i]]] += 1
    return pop, transit, states
