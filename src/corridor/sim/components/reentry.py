"""Setting out again: of the people deported by a transit country, those who gave up and went home and those
the destination country removed, a share set out once more after some time at home, from a place per outcome
(scenario.yaml, section reentry, for the deported; reentry.csv for every outcome)."""

from __future__ import annotations

import numpy as np

from ...scenario.model import ReentryRule, Scenario
from ...states import AT_PLACE, DEPORTED, F_DEPORTED, REMOVED, RETURNED
from ..agents import COHORT, JOINED, ROUTE
from ..component import Component, World
from .ports import Ports

# the state each rule's people wait in at home
STATE_AFTER = {"deported": DEPORTED, "returned_home": RETURNED, "removed": REMOVED}


class Reentry(Component):
    name = "reentry"
    doc = "of those deported, gone home or removed by yesterday, a share will set out again after a time at home"
    columns = (
        ROUTE,
        JOINED,
        COHORT,
    )

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return bool(sc.reentry.all_rules()) and bool(sc.hazards or sc.marches or sc.ports)

    def __init__(self, world: World) -> None:
        super().__init__(world)
        idx, cohorts = world.sc.place_index(), world.sc.cohorts()
        self.rules: list[_Rule] = []
        for rule in world.sc.reentry.all_rules():
            # the first rule for the deported keeps the stream it always had, so its draws do not change
            stream = "reentry" if rule.outcome == "deported" else f"reentry.{rule.outcome}"
            cohort = cohorts.index(rule.cohort) if rule.cohort else -1
            self.rules.append(_Rule(rule, STATE_AFTER[rule.outcome], idx[rule.place], cohort, world.stream(stream)))
        self.seen = np.zeros(len(world.agents.state), np.bool_)  # people in a rule's state already drawn for

    def step(self, day: int) -> None:
        for r in self.rules:
            if r.state == DEPORTED:
                # Planned the morning after, from yesterday's deportations (their `joined` day): the same draws,
                # in the same order, as planning them the evening before; nothing happens to them in between.
                fates = self.world.record.fates  # not kept without hazards or marches: nobody is deported
                if day > 0 and len(fates) and fates[day - 1, :, F_DEPORTED].any():
                    self._plan_deported(r, day - 1)
            else:
                self._plan_new(r, day)
            if r.coming_back:
                self._release(r, day)

    def _plan_deported(self, r: _Rule, deported_on: int) -> None:
        a = self.world.agents
        st, joined = a.state[: a.n], a.joined[: a.n]
        self._plan(r, np.flatnonzero((st == DEPORTED) & (joined == deported_on)).astype(np.int32), deported_on + 1)

    def _plan_new(self, r: _Rule, day: int) -> None:
        """Those in the rule's state not drawn for yet (they reached it yesterday or before the run's first day)."""
        n = self._grow_seen()
        new = np.flatnonzero((self.world.agents.state[:n] == r.state) & ~self.seen[:n]).astype(np.int32)
        self.seen[new] = True
        self._plan(r, new, day)

    def _grow_seen(self) -> int:
        """Extend `seen` to the rows in use (rows reserved since: Agents.reserve); the count of rows."""
        n = self.world.agents.n
        if len(self.seen) < n:
            self.seen = np.concatenate([self.seen, np.zeros(n - len(self.seen), np.bool_)])
        return n

    def _plan(self, r: _Rule, people: np.ndarray, first: int) -> None:
        """Of `people`, a share will set out again on day `first` + an exponential time at home (whole days)."""
        again = people[r.rng.random(len(people)) < r.rule.share]
        if not len(again):
            return
        due = first + np.floor(r.rng.exponential(r.rule.days, len(again))).astype(np.int64)
        for d in np.unique(due):
            if d < self.world.days:
                r.coming_back.append((int(d), again[due == d]))

    def _release(self, r: _Rule, day: int) -> None:
        """People due today set out again from the rule's place."""
        due = [ids for d, ids in r.coming_back if d == day]
        if not due:
            return
        r.coming_back = [(d, ids) for d, ids in r.coming_back if d != day]
        a, stocks = self.world.agents, self.world.stocks
        ids = np.concatenate(due)
        ids = ids[a.state[ids] == r.state]
        a.state[ids] = AT_PLACE
        a.loc[ids] = r.place
        a.route[ids] = -1
        if r.cohort >= 0:
            a.cohort[ids] = r.cohort
        self._grow_seen()
        self.seen[ids] = False  # should they reach the state again, they are drawn for again
        stocks.exit(r.state, len(ids))
        stocks.arrive(r.place, len(ids))
        ports = self.world.find(Ports)
        if ports is not None:
            ports.came(ids)


class _Rule:
    def __init__(self, rule: ReentryRule, state: int, place: int, cohort: int, rng: np.random.Generator) -> None:
        self.rule, self.state, self.place, self.cohort, self.rng = rule, state, place, cohort, rng
        self.coming_back: list[tuple[int, np.ndarray]] = []  # (day due, ids) of people setting out again
