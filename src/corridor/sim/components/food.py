"""Food insecurity (Flee's IPC rules): each day, from the places' regional IPC levels, the move chance pull of
hunger and the destination factor of food-deprived places (docs/model.md, The "flee" rule set)."""

from __future__ import annotations

import numpy as np

from ...scenario.model import Scenario
from ..component import Component, World


class Food(Component):
    """Shared: `starve` (P,) f = IPC level / 100 where flee_when_starving (a place's move chance m becomes
    f + (1 - f) m; 0 elsewhere, which leaves m as it is), `fed` (P,) the destination factor 1 - f^2 of a place
    in the first place's country from day 1 with avoid_food_deprived_locations (1 elsewhere), `level` (P,)
    today's IPC levels (NaN where none)."""

    name = "food"
    doc = "food insecurity today: the pull of hunger on move chances, food-deprived destinations weighed down"

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return sc.has_food_rules()

    def __init__(self, world: World) -> None:
        super().__init__(world)
        P = world.net.n_places
        self.starve = np.zeros(P)
        self.fed = np.ones(P)
        self.level = np.full(P, np.nan)

    def step(self, day: int) -> None:
        w = self.world
        mv, net = w.sc.move, w.net
        # filled in place every day, so that the bundles holding them stay valid
        self.level[:] = net.food_level[day]
        f = np.nan_to_num(self.level / 100.0)  # the reader refuses a place a rule reads without a level
        if mv.flee_when_starving:
            self.starve[:] = f
        if mv.avoid_food_deprived_locations:
            # Flee's location score: from day 1, and only where the foreign-country branch does not apply
            self.fed[:] = np.where(net.foreign | (day == 0), 1.0, 1.0 - f**2)
