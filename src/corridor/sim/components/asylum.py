"""After a claim: custody, then waiting for a decision in the US or, under remain-in-Mexico, in the border
city; decisions (docs/model.md, After a claim)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ... import states as S
from ...scenario.model import Scenario
from ...states import APPREHENDED, GRANTED, PROCESSED, REMAIN_MX, REMOVED, SURRENDERED, WAITING_US
from ..agents import HOUSEHOLD, JOINED, ORIGIN, PORT
from ..component import Component, World
from ..queue import Queue
from ..record import Table
from ..rng import agent_stream, uniform
from .households import shared

# the outcomes that take a person off the network: someone sent back to wait may have ended that way
_GONE = np.array([S.OUTCOMES[o].state is not None and S.BY_NAME[S.OUTCOMES[o].state].where == "off"
                  for o in range(S.N_OUTCOMES)])  # fmt: skip


class Asylum(Component):
    """Takes people into custody: `admit(ids)` (a port took their claim) and `rescan()` (someone was
    caught crossing, or surrendered, today: custody is found by a full scan, which is rare). People who
    surrendered all claim asylum, as those whose claim a port took; under remain-in-Mexico they are under
    the rules of the port whose area they crossed from, as those caught."""

    name = "asylum"
    doc = "custody, then waiting for a decision in the US or in Mexico (remain-in-Mexico); decisions"
    columns = (
        JOINED,
        ORIGIN,
        PORT,  # the port whose rules (remain_in_mexico.csv) apply to someone leaving custody
        HOUSEHOLD,  # a household leaves custody and claims as one
    )
    tables = (
        Table("sent_back", ("port",), "people sent back under remain-in-Mexico through each port",
              needed=lambda sc: bool(sc.remain_in_mexico)),
        Table("hearings", ("port",), "hearings held (cases decided) of people sent back through each port",
              needed=lambda sc: bool(sc.remain_in_mexico)),
    )  # fmt: skip

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return bool(sc.ports or sc.hazards or sc.marches)

    def __init__(self, world: World) -> None:
        super().__init__(world)
        sc = world.sc
        asy = sc.asylum
        self.custody = np.zeros(0, np.int32)  # people in custody (after a claim or an arrest)
        self.waiting = Queue()  # out of custody, waiting for a decision: ids[:tail]
        self.rng = world.stream("asylum")
        self.grant = np.array([asy.grant_rate.get(c, asy.default_grant_rate) for c in world.net.nations], np.float64)
        self.ret = sc.place_index()[asy.return_place] if asy.return_place else -1
        self.places = sc.place_index()
        self._admitted: list[np.ndarray] = []
        self._rescan = False
        self.rules = bool(sc.remain_in_mexico)
        if self.rules:
            self._compile_rules()

    def admit(self, ids: np.ndarray) -> None:
        """People whose claim a port took today go into custody, in list order."""
        self._admitted.append(ids)

    def rescan(self) -> None:
        """Someone was arrested today: find everyone in custody by a scan (in row order)."""
        self._rescan = True

    def step(self, day: int) -> None:
        """Few people are in custody on any day, so they are handled as an array of ids. Everyone waiting has
        the same daily chance of a decision, so the number decided is one binomial draw and who is decided
        a uniform choice among them: the same distribution as a draw per person, at the cost of the
        decisions instead of the waiting list (which holds everyone processed in a run of months)."""
        w = self.world
        a, stocks = w.agents, w.stocks
        if self._rescan:
            self.custody = in_custody(a.state, a.n)
        elif self._admitted:
            self.custody = np.concatenate([self.custody, *self._admitted])
        self._admitted, self._rescan = [], False
        fates = w.record.fates
        if stocks.tally[REMAIN_MX] and len(fates) and fates[day][:, _GONE].any():
            self._forget_the_gone()
        wq = self.waiting
        if self.rules and len(self.heard_ids):
            self._hearings(day)
        if not len(self.custody) and not wq.tail:
            return
        # The draws are numpy's, in the order they always were; what is done with them between draws is
        # compiled (two dozen small numpy operations were about 60 us of tijuana-2018's day).
        asy, rng = w.sc.asylum, self.rng
        u = shared(rng.random(len(self.custody)), self.custody, a.household)
        out, self.custody = leave_custody(self.custody, u, 1.0 / asy.custody_days)
        if len(out) and self.rules:
            self._claims_under_rules(out, shared(rng.random(len(out)), out, a.household), day)
        elif len(out):
            in_mx = asy.remain_in_mexico_from is not None and day >= asy.remain_in_mexico_from
            ret = self._return_place(day) if in_mx else -1
            n_given = _surrendered(a.state, out)
            u = shared(rng.random(len(out)), out, a.household)
            claimants, n_caught = claim(out, u, asy.apprehended_claim, a.state, a.joined, a.loc,
                                        day, REMAIN_MX if in_mx else WAITING_US, ret)  # fmt: skip
            stocks.exit(APPREHENDED, n_caught)
            stocks.exit(SURRENDERED, n_given)
            stocks.exit(PROCESSED, len(out) - n_caught - n_given)
            stocks.enter(REMOVED, len(out) - len(claimants))
            if in_mx:
                stocks.arrive(ret, len(claimants))
                stocks.enter(REMAIN_MX, len(claimants))
            else:
                stocks.enter(WAITING_US, len(claimants))
            wq.append(claimants)
        k = int(rng.binomial(wq.tail, 1.0 / asy.decision_days)) if wq.tail else 0
        if k:
            positions = np.sort(rng.choice(wq.tail, k, replace=False))[::-1].copy()
            decided, wq.tail = swap_out(wq.ids, wq.tail, positions)
            left = np.zeros(w.net.n_places, np.int64)
            n_granted, n_in_mx = decide(decided, rng.random(k), self.grant, a.state, a.origin, a.loc, left)
            stocks.enter(GRANTED, n_granted)
            stocks.enter(REMOVED, k - n_granted)
            stocks.exit(REMAIN_MX, n_in_mx)
            stocks.exit(WAITING_US, k - n_in_mx)
            if n_in_mx:  # from where they wait: the return place, or where its people went when it closed
                stocks.leave(left, jump=True)

    def _return_place(self, day: int) -> int:
        """Where people sent back wait: the return place, or, once it has closed, where its people went."""
        places, p = self.world.sc.places, self.ret
        for _ in range(len(places)):
            place = places[p]
            if place.closes is None or day < place.closes or place.move_to is None:
                break
            p = self.places[place.move_to]
        return p

    def _forget_the_gone(self) -> None:
        """People sent back to wait who left the journey today (deported, gone home...) no longer wait."""
        wq, a = self.waiting, self.world.agents
        ids = wq.ids[: wq.tail]
        keep = ids[(a.state[ids] == WAITING_US) | (a.state[ids] == REMAIN_MX)]
        gone = wq.tail - len(keep)
        wq.ids[: len(keep)] = keep
        wq.tail = len(keep)
        if self.rules and len(self.heard_ids):
            still = a.state[self.heard_ids] == REMAIN_MX
            gone += len(still) - int(still.sum())
            self.heard_ids, self.heard_day, self.heard_port = (
                self.heard_ids[still], self.heard_day[still], self.heard_port[still])  # fmt: skip
        self.world.stocks.exit(REMAIN_MX, gone)

    # --- remain-in-Mexico by port and date (remain_in_mexico.csv) ----------------------------------

    def _compile_rules(self) -> None:
        """The rules as arrays: the rule in force per day and port, and per rule its limit, return place,
        hearing delay and who it applies to (by nationality, and children or not); which port's rules apply
        to someone caught crossing from each place (`area_port`)."""
        w = self.world
        sc, net = w.sc, w.net
        idx = sc.place_index()
        rules = sc.remain_in_mexico
        self.rule_of = np.array(sc.return_rule_days(), np.int32).reshape(sc.days, len(sc.ports))
        self.limit = np.array([-1 if r.per_day is None else r.per_day for r in rules], np.int64)
        self.ret_to = np.array([idx[r.return_to] for r in rules], np.int32)
        self.delay = np.array([-1 if r.hearing_days is None else r.hearing_days for r in rules], np.int64)
        self.kids_too = np.array([r.children for r in rules], bool)
        nations = net.nations
        self.nation_ok = np.zeros((len(rules), len(nations)), bool)
        for j, r in enumerate(rules):
            for n, name in enumerate(nations):
                self.nation_ok[j, n] = (not r.nationalities or name in r.nationalities) and name not in r.exempt
        # a port covers its place, its sign-up places and every place in the same cities
        self.area_port = np.full(net.n_places, -1, np.int32)
        for k, port in enumerate(sc.ports):
            if port.onward_to is not None:
                continue
            names = {port.place, *port.signup_places}
            cities = {p.within for p in sc.places if p.name in names and p.within}
            for i, p in enumerate(sc.places):
                if self.area_port[i] < 0 and (p.name in names or p.name in cities or p.within in cities):
                    self.area_port[i] = k
        self.heard_ids = np.zeros(0, np.int32)  # sent back with a hearing date: who, when, through which port
        self.heard_day = np.zeros(0, np.int64)
        self.heard_port = np.zeros(0, np.int64)
        self.hearing_key = w.key("hearings")

    def _claims_under_rules(self, out: np.ndarray, u: np.ndarray, day: int) -> None:
        """People leaving custody today (in order) under the remain-in-Mexico rules: claimants wait in the US,
        except those the rule in force at their port sends back, the first `per_day` eligible ones a day."""
        w = self.world
        a, stocks, asy = w.agents, w.stocks, w.sc.asylum
        caught = (a.state[out] == APPREHENDED) | (a.state[out] == SURRENDERED)
        # whose rules: a claim's port; for someone caught crossing (or who surrendered), the port whose area
        # they crossed from (else the port whose list they signed)
        near = self.area_port[a.loc[out]]
        port_of = np.where(caught & (near >= 0), near, a.port[out]).astype(np.int64)
        n_given = _surrendered(a.state, out)
        claimants, n_caught = claim(out, u, asy.apprehended_claim, a.state, a.joined, a.loc, day, WAITING_US, -1)
        stocks.exit(APPREHENDED, n_caught)
        stocks.exit(SURRENDERED, n_given)
        stocks.exit(PROCESSED, len(out) - n_caught - n_given)
        stocks.enter(REMOVED, len(out) - len(claimants))
        port_of = port_of[a.state[out] == WAITING_US]  # the claimants', in order
        rule = np.where(port_of >= 0, self.rule_of[day][np.maximum(port_of, 0)], -1)
        ok = rule >= 0
        r = np.maximum(rule, 0)
        ok &= self.nation_ok[r, a.origin[claimants]]
        children = self._children()
        if len(children):
            pos = np.searchsorted(children, claimants)
            child = (pos < len(children)) & (children[np.minimum(pos, len(children) - 1)] == claimants)
            ok &= ~child | self.kids_too[r]
        # the day's limit of each port, in custody order
        sent = np.zeros(len(self.world.sc.ports), np.int64)
        for k in np.unique(port_of[ok]):
            mine = np.flatnonzero(ok & (port_of == k))
            cap = self.limit[rule[mine[0]]]
            if 0 <= cap < len(mine):
                ok[mine[cap:]] = False
            sent[k] = min(len(mine), cap) if cap >= 0 else len(mine)
        back, r = claimants[ok], rule[ok]
        if len(back):
            a.state[back] = REMAIN_MX
            a.loc[back] = self.ret_to[r]
            stocks.jump(np.bincount(self.ret_to[r], minlength=w.net.n_places).astype(np.int64))
            stocks.enter(REMAIN_MX, len(back))
            w.record.sent_back[day] += sent
            dated = self.delay[r] >= 0
            self.heard_ids = np.concatenate([self.heard_ids, back[dated]])
            self.heard_day = np.concatenate([self.heard_day, day + self.delay[r][dated]])
            self.heard_port = np.concatenate([self.heard_port, port_of[ok][dated]])
            self.waiting.append(back[~dated])
        us = claimants[~ok]
        stocks.enter(WAITING_US, len(us))
        self.waiting.append(us)

    def _children(self) -> np.ndarray:
        """Spawn's `children` (ids, in increasing order), found by name: spawn imports caravans, which
        imports ports, which imports this module."""
        for c in self.world.components.values():
            if c.name == "spawn":
                return c.children  # type: ignore[attr-defined,no-any-return]
        return np.zeros(0, np.int32)

    def _hearings(self, day: int) -> None:
        """People sent back whose hearing is today go to it and their case is decided there: granted with
        their nationality's grant rate (a counter-based draw of their own), otherwise removed."""
        w = self.world
        a, stocks = w.agents, w.stocks
        due = self.heard_day == day
        if not due.any():
            return
        ids = self.heard_ids[due]
        w.record.hearings[day] += np.bincount(self.heard_port[due], minlength=len(w.sc.ports))
        self.heard_ids, self.heard_day, self.heard_port = (
            self.heard_ids[~due], self.heard_day[~due], self.heard_port[~due])  # fmt: skip
        left = np.zeros(w.net.n_places, np.int64)
        heads = a.household[ids] if a.has(HOUSEHOLD.name) else ids  # a household's hearing decides for all of it
        n_granted, n_in_mx = decide(ids, hearing_draws(self.hearing_key, day, heads), self.grant, a.state, a.origin,
                                    a.loc, left)  # fmt: skip
        stocks.enter(GRANTED, n_granted)
        stocks.enter(REMOVED, len(ids) - n_granted)
        stocks.exit(REMAIN_MX, n_in_mx)
        stocks.leave(left, jump=True)


def _surrendered(state: np.ndarray, out: np.ndarray) -> int:
    """How many of those leaving custody had surrendered at the border (they claim as a port's claimants do)."""
    return int(np.count_nonzero(state[out] == SURRENDERED))


@nb.njit(cache=True)
def hearing_draws(key, day, ids):
    """One uniform draw per person from their own stream (key, day, person): the same whatever the order."""
    u = np.empty(len(ids), np.float64)
    for j in range(len(ids)):
        _, u[j] = uniform(agent_stream(key, day, ids[j]))
    return u


@nb.njit(cache=True)
def swap_out(ids, length, positions):
    """Take ids[positions] out of ids[:length] by moving the last ones into their slots; `positions` must
    be unique and sorted in decreasing order. Returns (the ids taken, the new length)."""
    out = np.empty(len(positions), ids.dtype)
    for j in range(len(positions)):
        pos = positions[j]
        out[j] = ids[pos]
        length -= 1
        ids[pos] = ids[length]
    return out, length


@nb.njit(cache=True)
def in_custody(state, n):
    """The people in custody (their claim taken, caught crossing, or surrendered), in row order.

    Few are on any day, so after the count the search reads the states eight at a time, looking inside a
    word only where one of its bytes is either state, and stops at the last one (ports.collect_signups)."""
    count = 0
    for i in range(n):
        s = state[i]
        count += (s == PROCESSED) + (s == APPREHENDED) + (s == SURRENDERED)
    out = np.empty(count, np.int32)
    if count == 0:
        return out
    k = 0
    words = n // 8
    w = state[: words * 8].view(np.uint64)
    ones = np.uint64(0x0101010101010101)
    processed, caught, given = np.uint64(PROCESSED) * ones, np.uint64(APPREHENDED) * ones, np.uint64(SURRENDERED) * ones
    low7 = np.uint64(0x7F7F7F7F7F7F7F7F)
    full = np.uint64(0xFFFFFFFFFFFFFFFF)
    for j in range(words):
        y, z, v = w[j] ^ processed, w[j] ^ caught, w[j] ^ given
        if (
            (((y & low7) + low7) | y | low7) != full
            or (((z & low7) + low7) | z | low7) != full
            or (((v & low7) + low7) | v | low7) != full
        ):  # a zero byte
            for i in range(j * 8, j * 8 + 8):
                if state[i] == PROCESSED or state[i] == APPREHENDED or state[i] == SURRENDERED:
                    out[k] = i
                    k += 1
            if k == count:
                return out
    for i in range(words * 8, n):
        if state[i] == PROCESSED or state[i] == APPREHENDED or state[i] == SURRENDERED:
            out[k] = i
            k += 1
    return out


@nb.njit(cache=True)
def leave_custody(custody, u, chance):
    """Split custody, in order, into those whose draw u is below `chance` (they leave today) and the rest."""
    going = 0
    for j in range(len(custody)):
        going += u[j] < chance
    out = np.empty(going, custody.dtype)
    stay = np.empty(len(custody) - going, custody.dtype)
    a = b = 0
    for j in range(len(custody)):
        if u[j] < chance:
            out[a] = custody[j]
            a += 1
        else:
            stay[b] = custody[j]
            b += 1
    return out, stay


@nb.njit(cache=True)
def claim(out, u, claim_chance, state, joined, loc, day, waiting_state, ret):
    """People leaving custody: those caught crossing claim asylum if their draw u is below claim_chance
    (the others are removed), those whose claim a port took, and those who surrendered, always do.
    Claimants wait in `waiting_state` from today (at place `ret` if it is not -1). Returns the claimants,
    in order, and how many of those leaving had been caught."""
    n_caught = 0
    n_claims = 0
    for j in range(len(out)):
        caught = state[out[j]] == APPREHENDED
        n_caught += caught
        n_claims += not caught or u[j] < claim_chance
    claimants = np.empty(n_claims, out.dtype)
    c = 0
    for j in range(len(out)):
        i = out[j]
        if state[i] != APPREHENDED or u[j] < claim_chance:
            claimants[c] = i
            c += 1
            joined[i] = day
            state[i] = waiting_state
            if ret >= 0:
                loc[i] = ret
        else:
            state[i] = REMOVED
    return claimants, n_caught


@nb.njit(cache=True)
def decide(decided, u, grant, state, origin, loc, left):
    """Decisions for `decided`: granted if their draw u is below their nationality's grant rate, else
    removed. Those who waited in Mexico are counted in left[place]. Returns (granted, waited in Mexico)."""
    n_granted = 0
    n_in_mx = 0
    for j in range(len(decided)):
        i = decided[j]
        if state[i] == REMAIN_MX:
            n_in_mx += 1
            left[loc[i]] += 1
        if u[j] < grant[origin[i]]:
            state[i] = GRANTED
            n_granted += 1
        else:
            state[i] = REMOVED
    return n_granted, n_in_mx
