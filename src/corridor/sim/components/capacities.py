"""Capacities that grow: places whose capacity rises by a number of people every day (Flee's capacity_per_day)."""

from __future__ import annotations

import numpy as np

from ...scenario.model import Scenario
from ..component import Component, World


class Capacities(Component):
    """Shared: `capacity` (P,) today's capacity in the units of network.capacity (-1 where none), read by
    attract in place of the fixed one.

    Flee adds capacity_per_day to the place's capacity in its evolve, before anyone moves, from day 0 on: the
    moves of day d see capacity + (d + 1) x capacity_per_day. Flee's capacity of a place with none is -1 (a
    camp's is its population, 0 when blank), and a capacity under one person after capacity_scaling is none
    (Flee's capacity factor is 1 there), as network.capacity's."""

    name = "capacities"
    doc = "capacities growing by a number of people a day (Flee's capacity_per_day)"

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return any(p.capacity_per_day for p in sc.places)

    def __init__(self, world: World) -> None:
        super().__init__(world)
        sc = world.sc
        # the capacity before scaling (hasten, day-0 counts taken off); with none, Flee's -1 (a camp's 0)
        unscaled = [sc.unscaled_capacity(p) for p in sc.places]
        none = [0 if p.kind in ("camp", "idp_camp") else -1 for p in sc.places]
        self.base = np.array([c if c is not None else n for c, n in zip(unscaled, none, strict=True)], np.float64)
        self.per_day = np.array([p.capacity_per_day for p in sc.places], dtype=np.float64)
        self.scaling = sc.move.capacity_scaling
        self.capacity = world.net.capacity.copy()

    def step(self, day: int) -> None:
        # filled in place every day, so that the bundles holding it stay valid
        today = (self.base + (day + 1) * self.per_day) * self.scaling
        self.capacity[:] = np.where(today >= 1.0, today, -1.0)
