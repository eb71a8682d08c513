"""Ports of entry: people at a port's sign-up places put their name on its waiting list, and each port
takes its day's capacity of claims in list order (docs/model.md, Ports of entry); a crossing (a port with
`onward_to`) takes its day's capacity to its far side instead, where they travel on (docs/model.md, Crossings)."""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from ...scenario.model import Scenario
from ...states import AT_PLACE, ON_LIST, PROCESSED, SIGNING
from ..agents import CAME_FROM, HOUSEHOLD, JOINED, PORT, ROUTE
from ..component import Component, World
from ..parallel import SUB, kernel_args, n_blocks_for, team
from ..queue import Queue
from ..record import Table
from ..rng import agent_stream, drawer, uniform
from .asylum import Asylum


class Called(NamedTuple):
    """The columns the call of a list reads and writes."""

    state: np.ndarray
    loc: np.ndarray
    joined: np.ndarray


class Ports(Component):
    """Shared: `queues` (a Queue per port). People who leave a list for another reason (a hazard, a
    march, a move) are taken off with `left_lists`."""

    name = "ports"
    doc = "new names go on ports' waiting lists; each port processes its day's capacity in list order"
    columns = (
        JOINED,
        PORT,
        ROUTE,  # a crossing's people go on with no route planned
        CAME_FROM,
        HOUSEHOLD,  # a household signs on the same day (their head's draws)
    )
    tables = (
        Table("signups", ("port",), "names added to each port's list"),
        Table("processed", ("port",), "claims each port took"),
        Table("waitlist", ("port",), "names waiting on each list at the end of the day"),
    )

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return bool(sc.ports)

    def __init__(self, world: World) -> None:
        super().__init__(world)
        net = world.net
        self.queues = [Queue() for _ in net.port_names]
        self.sign_now = net.sign_rate >= 1.0
        self.sign_later = np.where(self.sign_now, 0.0, net.sign_rate)
        self.signs_later = bool(self.sign_later.any())
        self.sign_key = world.key("sign")

    def step(self, day: int) -> None:
        w = self.world
        a, net, rec = w.agents, w.net, w.record
        if self.signs_later:
            n_blocks = n_blocks_for(a.n, w.threads)
            with team(n_blocks):
                sign_day(a.n, n_blocks, day, self.sign_key, a.state, a.loc, self.sign_later, a.household)
        new, port_of = sign_up(collect_signups(a.state, a.n), a.state, a.loc, a.joined, a.port, net.signup_port, day)
        if len(new):
            for k, q in enumerate(self.queues):
                mine = new if len(self.queues) == 1 else new[port_of == k]
                q.append(mine, day)
                rec.signups[day, k] = len(mine)
        left = np.zeros(net.n_places, np.int64)
        called = Called(a.state, a.loc, a.joined)
        for k, q in enumerate(self.queues):
            # A closure of h hours removes h/24 of the day's capacity; fractions carry to the next day.
            today = net.port_capacity[day, k] * (1.0 - net.port_closed_hours[day, k] / 24.0) + q.credit
            n_serve = int(np.floor(today + 1e-9))
            q.credit = max(0.0, today - n_serve)
            # no more can be called than are waiting: a port that could take millions a day needs no more room
            n_call = min(n_serve, q.waiting)
            waits = np.empty(n_call, np.int16)  # days on the list (a run is shorter than 32,767 days)
            ids = np.empty(n_call, np.int32)
            onward = int(net.port_onward[k])
            took = left if onward < 0 else np.zeros(net.n_places, np.int64)
            q.head, served = serve(*kernel_args(q.ids, q.days, q.head, q.tail, n_call, called, day, took, waits, ids))
            q.waiting -= served
            rec.processed[day, k] = served
            if served:
                rec.waits.append((day, k, waits[:served]))
            if onward >= 0:  # a crossing: they go on from its far side
                if served:
                    self._go_on(ids[:served], onward, int(net.port_place[k]), took)
            else:
                if served:
                    w.get(Asylum).admit(ids[:served])
                w.stocks.enter(PROCESSED, served)
        w.stocks.leave(left)

    def _go_on(self, ids: np.ndarray, onward: int, port_place: int, took: np.ndarray) -> None:
        """The people a crossing called today (`took`: how many from each place) are at its `onward_to`,
        arrived there other than by road, with no route planned; under no_backtrack they count as having
        come from the crossing's own place. They travel on from tomorrow by the ordinary rules."""
        a = self.world.agents
        a.state[ids] = AT_PLACE
        a.loc[ids] = onward
        a.route[ids] = -1
        if self.world.sc.move.no_backtrack:
            a.came_from[ids] = port_place
        took[onward] -= len(ids)
        self.world.stocks.jump(-took)

    def came(self, ids: np.ndarray) -> None:
        """People brought today other than by road (a caravan's end, a closing shelter, re-entry) who are at
        a place where a list is signed on arrival sign it today, as those who walk in do."""
        a = self.world.agents
        here = ids[(a.state[ids] == AT_PLACE) & self.sign_now[a.loc[ids]]]
        a.state[here] = SIGNING

    def left_lists(self, by_port: np.ndarray) -> None:
        """by_port[k] people left port k's list today other than by being called (hazards, marches, moves)."""
        for k, q in enumerate(self.queues):
            q.waiting -= int(by_port[k])

    def record(self, day: int) -> None:
        for k, q in enumerate(self.queues):  # after the day's hazards and marches took names off
            self.world.record.waitlist[day, k] = q.waiting
        self.world.stocks.set_tally(ON_LIST, sum(q.waiting for q in self.queues))


@nb.njit(parallel=True, cache=True, nogil=True)
def sign_day(n, n_blocks, day, key, state, loc, sign_rate, household):
    """People at a sign-up place not yet on its list sign it today with chance sign_rate[place].

    Most people are elsewhere (on a list, in custody, gone), so the states are read eight at a time and
    a word is looked inside only where one of its bytes is AT_PLACE (as in collect_signups): a small
    scenario's day spent most of this kernel stepping over them one by one. Each person's draw is their
    own (agent_stream), so who signs does not depend on the order they are looked at."""
    n_sub = (n + SUB - 1) // SUB
    words = state[: n - n % 8].view(np.uint64)
    at = np.uint64(AT_PLACE) * np.uint64(0x0101010101010101)
    low7 = np.uint64(0x7F7F7F7F7F7F7F7F)
    full = np.uint64(0xFFFFFFFFFFFFFFFF)
    for c in nb.prange(n_blocks):
        for sub in range(c, n_sub, n_blocks):
            lo = sub * SUB  # a multiple of 8
            hi = min(n, lo + SUB)
            for j in range(lo // 8, hi // 8):
                y = words[j] ^ at
                if (((y & low7) + low7) | y | low7) != full:  # a byte of y is zero: someone here is at a place
                    for i in range(8 * j, 8 * j + 8):
                        _sign(i, day, key, state, loc, sign_rate, household)
            for i in range(hi - hi % 8, hi):
                _sign(i, day, key, state, loc, sign_rate, household)


@nb.njit(inline="always", cache=True)
def _sign(i, day, key, state, loc, sign_rate, household):
    if state[i] != AT_PLACE:
        return
    r = sign_rate[np.uint32(loc[i])]
    if r <= 0.0:
        return
    _, u = uniform(agent_stream(key, day, drawer(household, i)))
    if u < r:
        state[i] = SIGNING


@nb.njit(cache=True)
def collect_signups(state, n):
    """People who reached a waiting list today, in row order (so list numbers never depend on threads).

    Few of the people sign on any day: the count is a loop the compiler vectorises, and the search
    reads the states eight at a time, looking inside a word only where one of its bytes is SIGNING."""
    count = 0
    for i in range(n):
        count += state[i] == SIGNING
    out = np.empty(count, np.int32)
    k = 0
    words = n // 8
    w = state[: words * 8].view(np.uint64)
    pattern = np.uint64(SIGNING) * np.uint64(0x0101010101010101)
    low7 = np.uint64(0x7F7F7F7F7F7F7F7F)
    for j in range(words):
        y = w[j] ^ pattern
        if (((y & low7) + low7) | y | low7) != np.uint64(0xFFFFFFFFFFFFFFFF):  # a byte of y is zero
            for i in range(j * 8, j * 8 + 8):
                if state[i] == SIGNING:
                    out[k] = i
                    k += 1
    for i in range(words * 8, n):
        if state[i] == SIGNING:
            out[k] = i
            k += 1
    return out


@nb.njit(cache=True)
def sign_up(new, state, loc, joined, port, signup_port, day):
    """People who reached a list today (`new`, in row order) go on the list of the port where they are, from
    today; those with no list where they are now (taken from a closing sign-up place before they signed)
    never signed. Returns those on a list, in order, and each one's port."""
    ids = np.empty(len(new), np.int32)
    ports = np.empty(len(new), signup_port.dtype)
    m = 0
    for i in new:
        k = signup_port[loc[i]]
        if k < 0:
            state[i] = AT_PLACE
            continue
        state[i] = ON_LIST
        joined[i] = day
        port[i] = k
        ids[m] = i
        ports[m] = k
        m += 1
    return ids[:m], ports[:m]


@nb.njit(cache=True)
def serve(queue, signed, head, tail, n_serve, people, day, left_place, waits, served_ids):
    """Process up to n_serve people from queue[head:tail] in list order; skip numbers whose holder is no
    longer waiting, or holds a later number (signed[k] is the day queue[k] signed).

    Returns (new head, number served); waits[:served] and served_ids[:served] get each person's days on
    the list and id.
    """
    state, loc, joined = people  # a plain tuple (parallel.kernel_args), in the order of Called
    served = 0
    while head < tail and served < n_serve:
        i = queue[head]
        k = head
        head += 1
        if state[i] != ON_LIST or joined[i] != signed[k]:
            continue
        state[i] = PROCESSED
        left_place[loc[i]] += 1
        waits[served] = day - joined[i]
        served_ids[served] = i
        served += 1
    return head, served
