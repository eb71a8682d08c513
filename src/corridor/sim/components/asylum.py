"""After a claim: custody, then waiting for a decision in the US or, under remain-in-Mexico, in the border
city; decisions (docs/model.md, After a claim)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ... import states as S
from ...scenario.model import Scenario
from ...states import APPREHENDED, GRANTED, PROCESSED, REMAIN_MX, REMOVED, WAITING_US
from ..agents import JOINED, ORIGIN
from ..component import Component, World
from ..queue import Queue

# the outcomes that take a person off the network: someone sent back to wait may have ended that way
_GONE = np.array([S.OUTCOMES[o].state is not None and S.BY_NAME[S.OUTCOMES[o].state].where == "off"
                  for o in range(S.N_OUTCOMES)])  # fmt: skip


class Asylum(Component):
    """Takes people into custody: `admit(ids)` (a port took their claim) and `rescan()` (someone was
    caught crossing today: custody is found by a full scan, which is rare)."""

    name = "asylum"
    doc = "custody, then waiting for a decision in the US or in Mexico (remain-in-Mexico); decisions"
    columns = (
        JOINED,
        ORIGIN,
    )

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
            st = a.state[: a.n]
            self.custody = np.flatnonzero((st == PROCESSED) | (st == APPREHENDED)).astype(np.int32)
        elif self._admitted:
            self.custody = np.concatenate([self.custody, *self._admitted])
        self._admitted, self._rescan = [], False
        fates = w.record.fates
        if stocks.tally[REMAIN_MX] and len(fates) and fates[day][:, _GONE].any():
            self._forget_the_gone()
        wq = self.waiting
        if not len(self.custody) and not wq.tail:
            return
        asy, rng = w.sc.asylum, self.rng
        leaving = rng.random(len(self.custody)) < 1.0 / asy.custody_days
        out, self.custody = self.custody[leaving], self.custody[~leaving]
        if len(out):
            caught = a.state[out] == APPREHENDED
            stocks.exit(APPREHENDED, int(caught.sum()))
            stocks.exit(PROCESSED, int((~caught).sum()))
            claims = ~caught | (rng.random(len(out)) < asy.apprehended_claim)
            a.state[out[~claims]] = REMOVED
            stocks.enter(REMOVED, int((~claims).sum()))
            claimants = out[claims]
            a.joined[claimants] = day
            if asy.remain_in_mexico_from is not None and day >= asy.remain_in_mexico_from:
                ret = self._return_place(day)
                a.state[claimants] = REMAIN_MX
                a.loc[claimants] = ret
                stocks.arrive(ret, len(claimants))
                stocks.enter(REMAIN_MX, len(claimants))
            else:
                a.state[claimants] = WAITING_US
                stocks.enter(WAITING_US, len(claimants))
            wq.append(claimants)
        k = int(rng.binomial(wq.tail, 1.0 / asy.decision_days)) if wq.tail else 0
        if k:
            positions = np.sort(rng.choice(wq.tail, k, replace=False))[::-1].copy()
            decided, wq.tail = swap_out(wq.ids, wq.tail, positions)
            in_mx = a.state[decided] == REMAIN_MX
            granted = rng.random(k) < self.grant[a.origin[decided]]
            a.state[decided] = np.where(granted, GRANTED, REMOVED).astype(np.int8)
            stocks.enter(GRANTED, int(granted.sum()))
            stocks.enter(REMOVED, int((~granted).sum()))
            stocks.exit(REMAIN_MX, int(in_mx.sum()))
            stocks.exit(WAITING_US, int((~in_mx).sum()))
            if in_mx.any():  # from where they wait: the return place, or where its people went when it closed
                stocks.leave(np.bincount(a.loc[decided[in_mx]], minlength=w.net.n_places), jump=True)

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
        self.world.stocks.exit(REMAIN_MX, gone)


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
