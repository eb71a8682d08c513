"""Conflicts: which places are in conflict today, how intense, and since when (for spawning and scores)."""

from __future__ import annotations

import numba as nb
import numpy as np

from ..component import Component, World


class Conflicts(Component):
    """Shared: `intensity` (P,) today's conflict intensity (0: none), `began` (P,) the day the place's
    current conflict began (-1: none), `decay` (P,) Flee's conflict_spawn_decay factor."""

    name = "conflicts"
    doc = "which places are in conflict today, how intense, and since when"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        P = world.net.n_places
        self.intensity = np.zeros(P)
        self.began = np.full(P, -1, np.int32)
        self.decay_steps = np.asarray(world.sc.spawn.conflict_spawn_decay or [], np.float64)
        self.interval = float(world.sc.spawn.conflict_spawn_decay_interval)
        self.decay = np.ones(P)

    def step(self, day: int) -> None:
        net = self.world.net
        # copied into the same arrays every day, so that the bundles holding them stay valid
        self.intensity[:] = net.conflict_intensity[day]
        self.began[:] = net.conflict_start[day]
        if len(self.decay_steps):
            conflict_decay(day, self.began, self.decay_steps, self.interval, self.decay)


@nb.njit(cache=True)
def conflict_decay(day, began, steps, interval, out):
    """Flee's conflict_spawn_decay: the factor for each place from how long its conflict has lasted
    (one step per `interval` days, Flee's conflict_spawn_decay_interval, the last one from then on)."""
    last = len(steps) - 1
    for p in range(len(began)):
        i = min(int((day - began[p]) / interval), last)
        out[p] = steps[max(i, 0)]
