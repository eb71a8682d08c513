"""Ports of entry: people at a port's sign-up places put their name on its waiting list, and each port
takes its day's capacity of claims in list order (docs/model.md, Ports of entry); a crossing (a port with
`onward_to`) takes its day's capacity to its far side instead, where they travel on (docs/model.md, Crossings).
A numbered list hands out numbers to groups and calls them whole (Numbered lists); where several ports keep
lists at one place, people signing there choose among them (Choosing among ports)."""

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
        Table("numbers", ("port",), "numbers called with a holder still on the list", needed=lambda sc: _numbered(sc)),
        Table(
            "lost_turn",
            ("port",),
            "people whose number was called while they were away: off the list",
            needed=lambda sc: _numbered(sc),
        ),
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
        lists = net.port_lists
        self.chooses = len(lists.choice) > 0
        self.choice_key = world.key("port choice")
        self.absent_key = world.key("absent")

    def step(self, day: int) -> None:
        w = self.world
        a, net, rec = w.agents, w.net, w.record
        if self.signs_later:
            n_blocks = n_blocks_for(a.n, w.threads)
            with team(n_blocks):
                sign_day(a.n, n_blocks, day, self.sign_key, a.state, a.loc, self.sign_later, a.household)
        new, port_of = sign_up(collect_signups(a.state, a.n), a.state, a.loc, a.joined, a.port, net.signup_port, day)
        lists = net.port_lists
        if self.chooses and len(new):
            waiting = np.array([q.waiting for q in self.queues], np.float64)
            pace, key = self._pace(day), self.choice_key
            choose_ports(new, port_of, a.loc, a.port, lists.choice, lists.choice_noise, waiting, pace, key, day)
        if len(new):
            for k in range(len(self.queues)):
                mine = new if len(self.queues) == 1 else new[port_of == k]
                self._append(k, mine, day)
                rec.signups[day, k] = len(mine)
        left = np.zeros(net.n_places, np.int64)
        called = Called(a.state, a.loc, a.joined)
        for k, q in enumerate(self.queues):
            # A closure of h hours removes h/24 of the day's capacity; fractions carry to the next day.
            open_share = 1.0 - net.port_closed_hours[day, k] / 24.0
            today = net.port_capacity[day, k] * open_share + q.credit
            n_serve = max(0, int(np.floor(today + 1e-9)))
            q.credit = max(0.0, today - n_serve) if today >= 0 else today
            onward = int(net.port_onward[k])
            took = left if onward < 0 else np.zeros(net.n_places, np.int64)
            if lists.group_size[k] > 0:
                served, ids, waits = self._call_numbers(k, q, n_serve, open_share, called, day, took)
            else:
                # no more can be called than are waiting: a port that could take millions a day needs no more room
                n_call = min(n_serve, q.waiting)
                waits = np.empty(n_call, np.int16)  # days on the list (a run is shorter than 32,767 days)
                ids = np.empty(n_call, np.int32)
                args = kernel_args(q.ids, q.days, q.head, q.tail, n_call, called, day, took, waits, ids)
                q.head, served = serve(*args)
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

    def _pace(self, day: int) -> np.ndarray:
        """People a day each port is expected to take, as someone choosing a list would reckon it: its
        capacity today (a numbered list: no more than its numbers a day of full groups)."""
        net = self.world.net
        lists = net.port_lists
        pace = net.port_capacity[day].copy()
        g = lists.group_size
        numbered = g > 0
        pace[numbered] = np.minimum(pace[numbered], lists.numbers_per_day[day, numbered] * g[numbered])
        return pace

    def _append(self, k: int, mine: np.ndarray, day: int) -> None:
        """Today's new names on port k's list, in sign order; on a numbered list, households side by side in
        the order their first member signed, each number filled up to the group size."""
        q = self.queues[k]
        g = int(self.world.net.port_lists.group_size[k])
        if g <= 0:
            q.append(mine, day)
            return
        a = self.world.agents
        household = a.household[mine] if a.has("household") else mine
        order, nums = number_households(household, g)
        q.append(mine[order], day, nums)

    def _call_numbers(
        self, k: int, q: Queue, n_serve: int, open_share: float, called: Called, day: int, took: np.ndarray
    ) -> tuple[int, np.ndarray, np.ndarray]:
        """Call port k's numbers in order while people (n_serve) and numbers allow; a group is taken whole,
        what it takes past the day's people comes off the next day's. Holders absent when called lose their
        turn: off the list, and those at a place where the list is signed on arrival sign again at its end."""
        w = self.world
        a, net, rec = w.agents, w.net, w.record
        lists = net.port_lists
        per_day = lists.numbers_per_day[day, k]
        if np.isinf(per_day):
            n_numbers = q.tail - q.head
        else:
            numbers = per_day * open_share + q.number_credit
            n_numbers = int(np.floor(numbers + 1e-9))
            q.number_credit = max(0.0, numbers - n_numbers)
        room = min(q.waiting, n_serve + q.largest)
        waits = np.empty(room, np.int16)
        ids = np.empty(room, np.int32)
        absent = float(lists.absent[k])
        lost = np.empty(q.waiting if absent > 0 else 0, np.int32)
        args = (q.ids, q.days, q.nums, q.head, q.tail, n_serve, n_numbers, called, day, took, waits, ids)
        q.head, served, n_called, n_lost = serve_numbers(*kernel_args(*args, self.absent_key, absent, lost))
        q.waiting -= served + n_lost
        if served > n_serve:
            q.credit -= served - n_serve
        rec.numbers[day, k] = n_called
        rec.lost_turn[day, k] = n_lost
        if n_lost:
            again = lost[:n_lost]
            again = again[self.sign_now[a.loc[again]]]
            if len(again):
                a.state[again] = ON_LIST
                a.joined[again] = day
                self._append(k, again, day)
                rec.signups[day, k] += len(again)
        return served, ids[:served], waits[:served]

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


def _numbered(sc: Scenario) -> bool:
    return any(p.group_size is not None for p in sc.ports)


def number_households(household: np.ndarray, group_size: int) -> tuple[np.ndarray, np.ndarray]:
    """One day's new names at a numbered list, in sign order, by household id: the order that puts each
    household side by side where its first member signed, and the number of each name in that order
    (0, 0, ..., 1, ...). A number takes households while they fit in group_size people; a household that
    does not fit starts the next one, and a household larger than a group holds a number alone."""
    if len(household) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int32)
    _, first, which = np.unique(household, return_index=True, return_inverse=True)
    order = np.argsort(first[which], kind="stable")
    sizes = np.bincount(which)[np.argsort(first)]  # households in the order their first member signed
    return order, np.repeat(_fill_numbers(sizes, group_size), sizes)


@nb.njit(cache=True)
def _fill_numbers(sizes, group_size):
    out = np.empty(len(sizes), np.int32)
    number, filled = 0, 0
    for h in range(len(sizes)):
        if filled > 0 and filled + sizes[h] > group_size:
            number += 1
            filled = 0
        out[h] = number
        filled += sizes[h]
    return out


@nb.njit(cache=True)
def choose_ports(new, port_of, loc, port, choice, noise, waiting, pace, key, day):
    """Each person signing today at a place where several ports keep lists (choice[place]) takes one:
    the port with the shortest expected wait (names waiting / people a day) where noise[place] is 0, else
    with chance proportional to exp(-expected wait / noise). Signers are taken in row order and each one's
    name counts in the waits of those after them; each one's draw is their own (agent_stream)."""
    n_ports = len(waiting)
    wait = np.empty(n_ports)
    for m in range(len(new)):
        i = new[m]
        p = loc[i]
        k = port_of[m]
        options = 0
        for j in range(n_ports):
            options += choice[p, j]
        if options > 1:
            best = np.inf
            for j in range(n_ports):
                if choice[p, j]:
                    # a port taking nobody: a wait longer than any run
                    wait[j] = waiting[j] / pace[j] if pace[j] > 0 else 1e9
                    if wait[j] < best:
                        best = wait[j]
                        k = j
            if noise[p] > 0:
                total = 0.0
                for j in range(n_ports):
                    if choice[p, j]:
                        wait[j] = np.exp(-(wait[j] - best) / noise[p])
                        total += wait[j]
                _, u = uniform(agent_stream(key, day, i))
                u *= total
                for j in range(n_ports):
                    if choice[p, j]:
                        k = j
                        u -= wait[j]
                        if u < 0:
                            break
            port_of[m] = k
            port[i] = k
        waiting[k] += 1


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


@nb.njit(cache=True)
def serve_numbers(
    queue, signed, nums, head, tail, n_serve, n_numbers, people, day, left_place, waits, served_ids, key, absent, lost
):
    """Call numbers from queue[head:tail] in order while fewer than n_serve people and n_numbers numbers
    have been taken; a number is taken whole. A number none of whose holders is still waiting is skipped
    without using anything; one whose holders are away (chance `absent`, one draw a number) uses a number
    and no people: its holders go back to being at their place (lost[:n_lost]).

    Returns (new head, people served, numbers called, people who lost their turn); waits[:served] and
    served_ids[:served] get each person's days on the list and id.
    """
    state, loc, joined = people  # a plain tuple (parallel.kernel_args), in the order of Called
    served = 0
    n_called = 0
    n_lost = 0
    while head < tail and served < n_serve and n_called < n_numbers:
        num = nums[head]
        end = head + 1
        while end < tail and nums[end] == num:
            end += 1
        first = -1
        for k in range(head, end):
            i = queue[k]
            if state[i] == ON_LIST and joined[i] == signed[k]:
                first = i
                break
        if first < 0:
            head = end
            continue
        n_called += 1
        away = False
        if absent > 0.0:
            _, u = uniform(agent_stream(key, day, first))
            away = u < absent
        for k in range(head, end):
            i = queue[k]
            if state[i] != ON_LIST or joined[i] != signed[k]:
                continue
            if away:
                state[i] = AT_PLACE
                lost[n_lost] = i
                n_lost += 1
            else:
                state[i] = PROCESSED
                left_place[loc[i]] += 1
                waits[served] = day - joined[i]
                served_ids[served] = i
                served += 1
        head = end
    return head, served, n_called, n_lost
