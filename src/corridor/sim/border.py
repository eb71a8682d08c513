"""Border and asylum processes: ports' waiting lists, the hazards that end journeys (deportation, going
home, refuge, crossing), marches, re-entry after deportation, and custody, waiting and decisions after a
claim. Phases of the engine's daily plan, on the same agent columns (mixed into `engine.Engine`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import states as S
from ..states import HAZARD_OUTCOMES as OUTCOMES
from . import kernels as K


@dataclass
class PortQueue:
    """A port's waiting list: agent ids in sign-up order; list number = position."""

    ids: np.ndarray
    head: int = 0
    tail: int = 0
    waiting: int = 0
    credit: float = 0.0  # fraction of a claim carried to the next day

    def append(self, new: np.ndarray) -> None:
        if self.tail + len(new) > len(self.ids):
            grown = np.empty(max(2 * len(self.ids), self.tail + len(new), 1024), np.int32)
            grown[: self.tail] = self.ids[: self.tail]
            self.ids = grown
        self.ids[self.tail : self.tail + len(new)] = new
        self.tail += len(new)
        self.waiting += len(new)


class BorderPhases:
    """The engine's border phases; `engine.Engine` holds the state they read and write."""

    def _place_initial_waitlists(self) -> None:
        """People on a port's list before the run starts: they sign first, so they hold the first numbers."""
        idx = self.sc.place_index()
        for port in self.sc.ports:
            if port.initial_waitlist:
                where = idx[port.place]  # where they stay is not modelled: at the port
                counts = np.zeros(self.net.n_places, np.int64)
                counts[where] = port.initial_waitlist
                a = self.agents
                a.reserve(port.initial_waitlist)
                a.n = K.spawn_rows(a.state, a.loc, a.cohort, a.origin, a.n, counts, 0, -1, self.country_code,
                                   self.signs_everywhere, self.pop, self.rec.spawned[0])  # fmt: skip

    def phase_border(self, day: int) -> None:
        if not self.queues:
            return
        a, net, rec = self.agents, self.net, self.rec
        if self.sign_later.any():
            n_blocks = K.n_blocks_for(a.n)
            with K.team(n_blocks):
                K.sign_day(a.n, n_blocks, day, self.sign_key, a.state, a.loc, self.sign_later)
        new = K.collect_signups(a.state, a.n)
        if len(new):
            a.state[new] = S.ON_LIST
            a.joined[new] = day
            port_of = net.signup_port[a.loc[new]]
            for k, q in enumerate(self.queues):
                mine = new[port_of == k]
                q.append(mine)
                rec.signups[day, k] = len(mine)
        left = np.zeros(net.n_places, np.int64)
        for k, q in enumerate(self.queues):
            # A closure of h hours removes h/24 of the day's capacity; fractions carry to the next day.
            today = net.port_capacity[day, k] * (1.0 - net.port_closed_hours[day, k] / 24.0) + q.credit
            n_serve = int(np.floor(today + 1e-9))
            q.credit = max(0.0, today - n_serve)
            waits = np.empty(n_serve, np.int16)  # days on the list (the run is shorter than 32,767 days)
            first = q.head
            q.head, served = K.serve(q.ids, q.head, q.tail, n_serve, a.state, a.loc, a.joined, day, left, waits)
            if served:
                called = q.ids[first : q.head]
                self.custody = np.concatenate([self.custody, called[a.state[called] == S.PROCESSED]])
            q.waiting -= served
            self.tally[S.PROCESSED] += served
            rec.processed[day, k] = served
            if served:
                rec.waits.append((day, k, waits[:served]))
        self.pop -= left

    def phase_fates(self, day: int) -> None:
        if not self.has_fates:
            return
        a, net = self.agents, self.net
        P = net.n_places
        n_blocks = K.n_blocks_for(a.n)
        counts = np.zeros((n_blocks, P, S.N_OUTCOMES), np.int64)
        left = np.zeros((n_blocks, P), np.int64)
        road = np.zeros((n_blocks, P), np.int64)
        moved_in = np.zeros((n_blocks, P), np.int64)
        hz = self._hazards_today(day)
        with K.team(n_blocks):
            if hz is not None:
                K.fates_day(a.n, n_blocks, day, self.fate_key, a.state, a.loc, a.joined, a.cohort, a.route,
                            a.came_from, self.mv.no_backtrack, *hz, net.link_dst, counts, left, road,
                            moved_in)  # fmt: skip
            for m in self.sc.marches:
                if m.day == day:
                    in_city = np.zeros(P, bool)
                    in_city[self.sc.places_matching(m.where)] = True
                    K.march_day(a.n, n_blocks, day, self.march_key, a.state, a.loc, a.joined, in_city, m.share,
                                m.cross, m.apprehended, m.deported, counts, left)  # fmt: skip
        c = counts.sum(0)
        self.rec.fates[day] = c
        if self.sc.reentry.share > 0 and c[:, S.F_DEPORTED].any():
            self._plan_reentry(day)
        if c[:, S.F_CAUGHT].any():  # people arrested today go into custody (found by a rare full scan)
            st = a.state[: a.n]
            self.custody = np.flatnonzero((st == S.PROCESSED) | (st == S.APPREHENDED)).astype(np.int32)
        gone = c[:, S.F_DEPORTED] + c[:, S.F_RETURNED] + c[:, S.F_REFUGE] + c[:, S.F_CAUGHT] + c[:, S.F_THROUGH]
        on_road = road.sum(0)
        self.pop -= gone - on_road
        if c[:, S.F_MOVED].any():  # moved on to another city: they arrive there today
            came = moved_in.sum(0)
            self.pop += came - c[:, S.F_MOVED]
            self.moved += came - c[:, S.F_MOVED]
        self.transit -= on_road
        for state, f in ((S.DEPORTED, S.F_DEPORTED), (S.RETURNED, S.F_RETURNED), (S.REFUGE, S.F_REFUGE),
                         (S.APPREHENDED, S.F_CAUGHT), (S.UNDETECTED, S.F_THROUGH)):  # fmt: skip
            self.tally[state] += int(c[:, f].sum())
        left_list = left.sum(0)
        for k, q in enumerate(self.queues):
            q.waiting -= int(left_list[net.signup_port == k].sum())
        if self.tally[S.REMAIN_MX] and c[:, : S.F_THROUGH + 1].any():  # some sent back may have given up
            w = self.waiting
            ids = w.ids[: w.tail]
            keep = ids[(a.state[ids] == S.WAITING_US) | (a.state[ids] == S.REMAIN_MX)]
            gone = w.tail - len(keep)
            w.ids[: len(keep)] = keep
            w.tail = len(keep)
            self.tally[S.REMAIN_MX] -= gone

    def _plan_reentry(self, day: int) -> None:
        """Of those deported today, a share will set out again after an exponential time at home."""
        a, re = self.agents, self.sc.reentry
        today = np.flatnonzero((a.state[: a.n] == S.DEPORTED) & (a.joined[: a.n] == day)).astype(np.int32)
        rng = self.reentry_rng
        again = today[rng.random(len(today)) < re.share]
        if not len(again):
            return
        due = day + 1 + np.floor(rng.exponential(re.days, len(again))).astype(np.int64)
        for d in np.unique(due):
            if d < self.days:
                self.coming_back.append((int(d), again[due == d]))

    def _reenter(self, day: int) -> None:
        """Deported people due today set out again from the re-entry place."""
        due = [ids for d, ids in self.coming_back if d == day]
        if not due:
            return
        self.coming_back = [(d, ids) for d, ids in self.coming_back if d != day]
        ids = np.concatenate(due)
        ids = ids[self.agents.state[ids] == S.DEPORTED]
        a, place = self.agents, self.sc.place_index()[self.sc.reentry.place]
        a.state[ids] = S.AT_PLACE
        a.loc[ids] = place
        a.route[ids] = -1
        self.tally[S.DEPORTED] -= len(ids)
        self.pop[place] += len(ids)
        self.moved[place] += len(ids)

    def _hazards_today(self, day: int):
        """Today's hazard tables for fates_day, or None when no hazard is in force."""
        sc, net = self.sc, self.net
        live = [i for i, h in enumerate(sc.hazards) if h.start <= day and (h.end is None or day < h.end)]
        if not live:
            return None
        C, P = len(sc.cohorts()), net.n_places
        n_out = len(OUTCOMES)
        hz_a = np.zeros((C, P, n_out))
        hz_b = np.zeros((C, P, n_out))
        caught_w = np.zeros((C, P))
        move_to = np.full((C, P), -1, np.int32)
        came_via = np.full((C, P), -1, np.int32)  # for no_backtrack: the road's last place before move_to
        cohorts, idx = sc.cohorts(), sc.place_index()
        for i in live:
            h = sc.hazards[i]
            if h.to is not None:
                dest = sc.places[idx[h.to]]
                if not dest.open_on(day) or self.dest_full[idx[h.to]]:
                    continue  # nobody moves to a shelter that is closed, or full and turning people away
            where = self.hazard_where[i]
            ks = [cohorts.index(h.cohort)] if h.cohort else list(range(C))
            o = OUTCOMES.index(h.outcome)
            crowd = 1.0 + h.per_crowding * np.maximum(0.0, self.crowding[where] - 1.0)
            for k in ks:
                hz_a[k, where, o] += h.rate * crowd
                hz_b[k, where, o] += h.rate * crowd * h.per_week_waited
                if o == S.H_CROSSED:
                    caught_w[k, where] += h.rate * crowd * h.apprehended
                if o == S.H_MOVED:
                    move_to[k, where] = idx[h.to]
                    came_via[k, where] = self.hazard_came_via[i]
        total_cross = hz_a[:, :, S.H_CROSSED]
        caught = np.divide(caught_w, total_cross, out=np.zeros_like(caught_w), where=total_cross > 0)
        has = (hz_a.sum(axis=(0, 2)) + hz_b.sum(axis=(0, 2))) > 0
        return hz_a, hz_b, has, caught, move_to, came_via

    def phase_asylum(self, day: int) -> None:
        """Custody, then waiting for a decision (in the US, or in `return_place` under remain-in-Mexico).

        Few people are in custody on any day, so they are handled as an array of ids. Everyone waiting has
        the same daily chance of a decision, so the number decided is one binomial draw and who is decided
        a uniform choice among them: the same distribution as a draw per person, at the cost of the
        decisions instead of the waiting list (which holds everyone processed in a run of months).
        """
        w = self.waiting
        if not len(self.custody) and not w.tail:
            return
        a, asy, t, rng = self.agents, self.sc.asylum, self.tally, self.asylum_rng
        ret = self.sc.place_index()[asy.return_place] if asy.return_place else -1
        leaving = rng.random(len(self.custody)) < 1.0 / asy.custody_days
        out, self.custody = self.custody[leaving], self.custody[~leaving]
        if len(out):
            caught = a.state[out] == S.APPREHENDED
            t[S.APPREHENDED] -= int(caught.sum())
            t[S.PROCESSED] -= int((~caught).sum())
            claims = ~caught | (rng.random(len(out)) < asy.apprehended_claim)
            a.state[out[~claims]] = S.REMOVED
            t[S.REMOVED] += int((~claims).sum())
            claimants = out[claims]
            a.joined[claimants] = day
            if asy.remain_in_mexico_from is not None and day >= asy.remain_in_mexico_from:
                a.state[claimants] = S.REMAIN_MX
                a.loc[claimants] = ret
                self.pop[ret] += len(claimants)
                self.moved[ret] += len(claimants)
                t[S.REMAIN_MX] += len(claimants)
            else:
                a.state[claimants] = S.WAITING_US
                t[S.WAITING_US] += len(claimants)
            w.append(claimants)
        k = int(rng.binomial(w.tail, 1.0 / asy.decision_days)) if w.tail else 0
        if k:
            positions = np.sort(rng.choice(w.tail, k, replace=False))[::-1].copy()
            decided, w.tail = K.swap_out(w.ids, w.tail, positions)
            in_mx = a.state[decided] == S.REMAIN_MX
            granted = rng.random(k) < self.grant[a.origin[decided]]
            a.state[decided] = np.where(granted, S.GRANTED, S.REMOVED).astype(np.int8)
            t[S.GRANTED] += int(granted.sum())
            t[S.REMOVED] += int((~granted).sum())
            t[S.REMAIN_MX] -= int(in_mx.sum())
            t[S.WAITING_US] -= int((~in_mx).sum())
            if ret >= 0:
                self.pop[ret] -= int(in_mx.sum())
                self.moved[ret] -= int(in_mx.sum())
