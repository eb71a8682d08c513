"""Hazards: daily chances of leaving the journey at matching places (deported, going home, asking for
refuge, crossing between ports, moving on to another border city), growing with weeks on a waiting
list and with crowding (docs/model.md, Hazards); opt-in, with the expected wait still ahead, with how many
crossed the day before, and falling with the size of the group travelling (docs/model.md, Crossing between
ports as a choice; Enforcement in transit and group size)."""

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
    F_SURRENDERED,
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
    SURRENDERED,
    UNDETECTED,
)
from ..agents import CAME_FROM, COHORT, HOUSEHOLD, JOINED, PORT, ROUTE
from ..component import Component, World
from ..parallel import SUB, kernel_args, n_blocks_for, team
from ..rng import agent_stream, drawer, uniform
from .attract import Attract
from .caravans import Caravans
from .outcomes import OUTCOME_TABLE, Tallies, settle
from .ports import Ports

# nobody reckons an expected wait beyond a year (a port that takes nobody would make it endless)
MAX_EXPECTED_WEEKS = 52.0


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
    """Today's hazards by cohort and place: for someone on their own, the chance of outcome o is a[k, p, o]
    + b[k, p, o] x weeks waited + e[k, p, o] x weeks of expected wait still ahead; for a caravan's member
    g[k, p, o] (the group's size at the place counted; on no list, with nothing to wait for)."""

    a: np.ndarray  # (C, P, hazard outcomes)
    b: np.ndarray
    has: np.ndarray  # (P,) any hazard at the place
    caught: np.ndarray  # (C, P) share of those crossing without surrendering who are caught
    move_to: np.ndarray  # (C, P) where moving on takes people
    came_via: np.ndarray  # (C, P) for no_backtrack: the last place before move_to on the shortest road
    e: np.ndarray  # (C, P, hazard outcomes)
    g: np.ndarray  # (C, P, hazard outcomes)
    surrender: np.ndarray  # (C, P) share of those crossing who surrender


class Waits(NamedTuple):
    """The expected wait still ahead, in weeks, read by the kernel where a hazard has per_expected_wait."""

    on: bool  # any hazard uses it
    ahead: np.ndarray  # (people) names ahead of each person on their list (read for people on a list)
    per_name: np.ndarray  # (ports) weeks of wait per name ahead: 1 / (7 x the port's recent daily capacity)
    at_place: np.ndarray  # (P) for someone at a place where a list is signed and not yet on it: the whole list


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
            np.array([h.surrender for h in sc.hazards], np.float64),
            np.array([h.per_expected_wait for h in sc.hazards], np.float64),
            np.array([h.per_others_crossed for h in sc.hazards], np.float64),
            np.array([h.group_size_power for h in sc.hazards], np.float64),
            np.array([h.group_ref for h in sc.hazards], np.float64),
            np.array([("", "alone", "caravan").index(h.travelling) for h in sc.hazards], np.int64),
        )  # fmt: skip
        C, P = len(cohorts), net.n_places
        n_out = len(HAZARD_OUTCOMES)
        none = np.full((C, P), -1, np.int32)
        self.chances = Chances(np.zeros((C, P, n_out)), np.zeros((C, P, n_out)), np.zeros(P, np.bool_),
                               np.zeros((C, P)), none, none.copy(), np.zeros((C, P, n_out)),
                               np.zeros((C, P, n_out)), np.zeros((C, P)))  # fmt: skip
        self.scratch = np.zeros((3, C, P))  # hazard_tables' weights of the crossing's three ends
        # the opt-in inputs of the tables, kept up to date only where a hazard uses them
        self.uses_others = any(h.per_others_crossed > 0 for h in sc.hazards)
        self.uses_group = any(h.group_size_power > 0 for h in sc.hazards) and bool(sc.caravans)
        self.others = np.zeros(P)  # people who crossed between ports from each place yesterday, per 1,000 present
        self.group = np.ones(P)  # people of the caravans at (or on a road towards) each place
        uses_wait = any(h.per_expected_wait > 0 for h in sc.hazards) and bool(sc.ports)
        n_ports = max(len(net.port_names), 1)
        self.waits = Waits(uses_wait, np.zeros(0, np.int32), np.zeros(n_ports), np.zeros(P))
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
        if self.waits.on:
            self._expected_waits(day)
        # the arguments are made again only when an array in them was replaced (agents grown, blocks changed)
        made_from = (a.state, t, self.waits.ahead)
        if self._made_from is None or any(x is not y for x, y in zip(made_from, self._made_from, strict=True)):
            people = Exposed(a.state, a.loc, a.joined, a.port, a.cohort, a.route, a.came_from, a.household)
            self._args = kernel_args(people, hz, w.sc.move.no_backtrack, w.net.link_dst, t, self.waits)
            self._made_from = made_from
        with team(n_blocks):
            fates_day(a.n, n_blocks, day, self.key, *self._args)
        settle(w, day, t)

    def _today(self, day: int) -> Chances | None:
        """Today's hazard tables (filled in place), or None when no hazard is in force."""
        today = self.world.get(Attract).today
        hz = self.chances
        if self.uses_others:
            self._others_crossed(day)
        if self.uses_group:
            self._groups()
        made = self._tables_from
        if made is None or made[0] is not today.crowding or made[1] is not today.dest_full:
            self._tables_args = kernel_args(self.rules, today.crowding, today.dest_full, hz, self.scratch,
                                            self.others, self.group)  # fmt: skip
            self._tables_from = (today.crowding, today.dest_full)
        if not hazard_tables(day, *self._tables_args):
            return None
        return hz

    def _others_crossed(self, day: int) -> None:
        """What others did: the people who crossed between ports from each place yesterday (every way: caught,
        through or surrendered, and a march's crossers), per 1,000 people there now."""
        self.others[:] = 0.0
        fates = self.world.record.fates
        if day == 0 or not len(fates):
            return
        crossed = fates[day - 1][:, [F_CAUGHT, F_THROUGH, F_SURRENDERED]].sum(axis=1)
        self.others[:] = 1000.0 * crossed / np.maximum(self.world.stocks.pop, 1)

    def _groups(self) -> None:
        """The size of the group each caravan member travels in: the members of the caravans at each place,
        or on a road towards it, in people (times `hasten`). Someone on their own travels in a group of 1."""
        a, link_dst = self.world.agents, self.world.net.link_dst
        members = np.zeros(len(self.group))
        for grp in self.world.get(Caravans).groups:
            if grp.done or not len(grp.members):
                continue
            st = a.state[grp.members]
            inside = grp.members[(st == CARAVAN_AT) | (st == CARAVAN_ROAD)]
            if not len(inside):
                continue
            i = inside[0]
            p = link_dst[a.loc[i]] if a.state[i] == CARAVAN_ROAD else a.loc[i]
            members[p] += len(inside) * self.world.sc.hasten
        np.maximum(members, 1.0, out=self.group)

    def _expected_waits(self, day: int) -> None:
        """Each port's names ahead of each person on its list, and the weeks of wait a name ahead stands for:
        1 / (7 x the port's daily capacity over the last 7 days, closures counted)."""
        a, net = self.world.agents, self.world.net
        if len(self.waits.ahead) < a.n:
            self.waits = self.waits._replace(ahead=np.zeros(max(a.n, 2 * len(self.waits.ahead)), np.int32))
        lo = max(0, day - 6)
        cap = (net.port_capacity[lo : day + 1] * (1.0 - net.port_closed_hours[lo : day + 1] / 24.0)).mean(axis=0)
        per_name, at_place = self.waits.per_name, self.waits.at_place
        at_place[:] = 0.0
        for k, q in enumerate(self.world.get(Ports).queues):
            # a port that took nobody lately: a name ahead already stands for the longest wait reckoned
            per_name[k] = 1.0 / (7.0 * cap[k]) if cap[k] > 0 else MAX_EXPECTED_WEEKS
            names_ahead(q.ids, q.days, q.head, q.tail, a.state, a.joined, self.waits.ahead)
            at_place[net.signup_port == k] = min(MAX_EXPECTED_WEEKS, q.waiting * per_name[k])


def _day_or(day: int | None, default: int) -> int:
    return default if day is None else day


@nb.njit(cache=True)
def names_ahead(queue, signed, head, tail, state, joined, ahead):
    """ahead[i] = the names still waiting ahead of each person i on the list queue[head:tail] (a number whose
    holder is no longer waiting, or holds a later one, is not counted: ports.serve skips it)."""
    count = 0
    for j in range(head, tail):
        i = queue[j]
        if state[i] == ON_LIST and joined[i] == signed[j]:
            ahead[i] = count
            count += 1


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
    surrender: np.ndarray
    per_expected_wait: np.ndarray
    per_others_crossed: np.ndarray
    group_size_power: np.ndarray
    group_ref: np.ndarray
    travelling: np.ndarray  # 0: everyone, 1: only people on their own, 2: only a caravan's members


@nb.njit(cache=True)
def hazard_tables(day, rules, crowding, dest_full, hz, scratch, others, group):
    """Fill today's Chances in place from the hazards in force; False when none is (the tables are then
    left as they were). The arithmetic is in the order of the numpy code it replaced (per hazard, rate x
    crowd added to a, then rate x crowd x per_week_waited to b), so the tables are bit for bit the same;
    the opt-in factors (others crossed, group size) multiply in only where a hazard uses them.
    Bundles come as plain tuples (parallel.kernel_args)."""
    (start, end, cohort, outcome, rate, per_crowding, per_week_waited, apprehended, to, to_opens, to_closes,
     where_start, where, came_via_of, surrender, per_expected_wait, per_others_crossed, group_size_power,
     group_ref, travelling) = rules  # fmt: skip
    hz_a, hz_b, has, caught, move_to, came_via, hz_e, hz_g, surr = hz
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
    hz_e[:] = 0.0
    hz_g[:] = 0.0
    scratch[:] = 0.0
    caught_w, evade_w, surr_w = scratch[0], scratch[1], scratch[2]
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
            w = rate[i] * crowd
            if per_others_crossed[i] > 0:
                w *= 1.0 + per_others_crossed[i] * others[p]
            w_group = w
            if group_size_power[i] > 0:
                # alone: a group of 1; in a caravan: the caravan members there
                w_group = w * (group[p] / group_ref[i]) ** -group_size_power[i]
                w = w * (1.0 / group_ref[i]) ** -group_size_power[i]
            for k in range(k_lo, k_hi):
                if travelling[i] != 2:
                    hz_a[k, p, o] += w
                    hz_b[k, p, o] += w * per_week_waited[i]
                    hz_e[k, p, o] += w * per_expected_wait[i]
                if travelling[i] != 1:
                    hz_g[k, p, o] += w_group
                if o == H_CROSSED:  # a row for a caravan's members only weighs the shares by their chance
                    wc = w_group if travelling[i] == 2 else w
                    caught_w[k, p] += wc * (1.0 - surrender[i]) * apprehended[i]
                    evade_w[k, p] += wc * (1.0 - surrender[i])
                    surr_w[k, p] += wc * surrender[i]
                if o == H_MOVED:
                    move_to[k, p] = to[i]
                    came_via[k, p] = came_via_of[j]
    for k in range(C):
        for p in range(P):
            caught[k, p] = caught_w[k, p] / evade_w[k, p] if evade_w[k, p] > 0 else 0.0
            total_cross = surr_w[k, p] + evade_w[k, p]
            surr[k, p] = surr_w[k, p] / total_cross if total_cross > 0 else 0.0
    # every chance is at least 0, so a place has a hazard where any of its chances is above 0
    for p in range(P):
        any_hz = False
        for k in range(C):
            for q in range(n_out):
                if hz_a[k, p, q] > 0 or hz_b[k, p, q] > 0 or hz_e[k, p, q] > 0 or hz_g[k, p, q] > 0:
                    any_hz = True
        has[p] = any_hz
    return True


@nb.njit(parallel=True, cache=True, nogil=True)
def fates_day(n, n_blocks, day, key, people, hz, no_backtrack, link_dst, t, waits):
    """Hazards: people at a place with a hazard may be deported, go home, ask for refuge, cross or move on.

    The chance of outcome o for a person of cohort k at place p is hz.a[k, p, o] + hz.b[k, p, o] x weeks
    on the list (0 if not on one) + hz.e[k, p, o] x weeks of expected wait ahead (where a hazard uses it);
    for a caravan's member hz.g[k, p, o]. Outcomes compete (one draw). Someone crossing surrenders with
    chance hz.surrender[k, p] (a second draw, made only where someone can), else is caught with chance
    hz.caught[k, p]. t.counts[block, p, F_*] tallies them;
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
    hz_a, hz_b, has_hz, caught, move_to, came_via, hz_e, hz_g, surrender = hz
    counts, left_list, on_road, moved_in = t
    use_wait, ahead, per_name, wait_at_place = waits
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
                in_caravan = s == CARAVAN_AT or s == CARAVAN_ROAD
                # waiting: on a list, or (remain-in-Mexico) for a hearing
                weeks = (day - joined[i]) / 7.0 if (s == ON_LIST or s == REMAIN_MX) else 0.0
                ahead_weeks = 0.0
                if use_wait:
                    if s == ON_LIST:
                        ahead_weeks = min(MAX_EXPECTED_WEEKS, ahead[i] * per_name[np.uint32(port[i])])
                    elif s == AT_PLACE:
                        ahead_weeks = wait_at_place[p]
                rng, u = uniform(agent_stream(key, day, drawer(household, i)))  # a household's fate is one
                acc = 0.0
                o = -1
                for q in range(n_out):
                    if in_caravan:
                        acc += hz_g[k, p, q]
                    elif use_wait:
                        acc += hz_a[k, p, q] + hz_b[k, p, q] * weeks + hz_e[k, p, q] * ahead_weeks
                    else:
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
                    gives_up = False
                    if surrender[k, p] > 0:
                        rng, u = uniform(rng)
                        gives_up = u < surrender[k, p]
                    if gives_up:
                        state[i] = SURRENDERED
                        joined[i] = day
                        loc[i] = p  # where they crossed from, for remain-in-Mexico
                        cnt[p, F_SURRENDERED] += 1
                    else:
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
