"""Floods: DFlee's flood rules. Each day, every place's flood level (flood_level.csv), the move chance a
flooded place gives, and the factors the flood levels and their forecast put on move chances and
destination scores, by flood awareness; and each person's flood awareness, drawn when they set out.

The rules are Flee's (djgroen/flee 02cd2cb: flee/moving.py `getEndPointScore` and `calculateMoveChance`,
InputGeography's `UpdateLocationAttributes`), quirks included; docs/flee-compat.md lists them.
"""

from __future__ import annotations

import numpy as np

from ...scenario.model import Scenario
from ..agents import Column
from ..component import Component, World
from .demographics import column_name


def _forecasting(sc: Scenario) -> bool:
    return sc.move.flood is not None and sc.move.flood.forecasting


FLOOD_AWARENESS = Column(
    "floodawareness",
    np.int8,
    0,
    "DFlee's flood awareness: the index into move.flood.awareness_weights, drawn at setting out with the shares "
    "of the place (demographics_floodawareness.csv, drawn by the demographics component)",
    needed=_forecasting,
)


class Floods(Component):
    """Shared: `level` (P,) today's flood level of each place (a whole number; 0 or less: not flooded);
    `movechance` (P,) the move chance a flooded place gives today (NaN where the place's own rules decide);
    `mc_factor` (C, P) and `score_factor` (C, P): today's factors of each place's move chance and of its
    score as a destination, for people of flood awareness class c (C = 1 without the forecaster);
    `classes` (C)."""

    name = "floods"
    doc = "flood levels today: move chances of flooded places, destination factors, the flood forecast"
    columns = (FLOOD_AWARENESS,)

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return sc.has_floods()

    def __init__(self, world: World) -> None:
        super().__init__(world)
        sc = world.sc
        P, idx = world.net.n_places, sc.place_index()
        rows = max([sc.days, *(len(v) for v in sc.flood_levels.values())])
        self.raw = np.zeros((rows, P))  # the file's values: the forecast compares them with 0 as they are
        for name, levels in sc.flood_levels.items():
            self.raw[: len(levels), idx[name]] = levels
        self.levels = np.trunc(self.raw).astype(np.int64)  # Flee's int(...) of the day's value
        fr = sc.move.flood
        self.classes = len(fr.awareness_weights or []) if fr is not None and fr.forecasting else 1
        self.level = np.zeros(P, np.int64)
        self.movechance = np.full(P, np.nan)
        self.mc_factor = np.ones((self.classes, P))
        self.score_factor = np.ones((self.classes, P))
        self.rng = world.stream("floodawareness")
        self.aware_cum = np.zeros((P, 0))
        self.aware_value = np.zeros(0, np.int8)
        aware = sc.flood_awareness
        if world.agents.has(FLOOD_AWARENESS.name) and aware is not None:
            shares = np.array([aware.shares.get(p.name, aware.shares.get("Default")) or [] for p in sc.places])
            cum = np.cumsum(shares, axis=1)
            self.aware_cum = cum / cum[:, -1:]
            self.aware_value = np.array([int(float(v)) for v in aware.values], np.int8)  # Flee: int(value)

    def step(self, day: int) -> None:
        fr = self.world.sc.move.flood
        lvl = self.levels[day]
        self.level[:] = lvl
        if fr is None:
            return
        flooded = lvl > 0
        at = np.where(flooded, lvl, 0)  # a list read at level 0 where not flooded, then not used
        mcs = np.asarray(fr.movechances or [np.nan], np.float64)
        locw = np.asarray(fr.loc_weights or [1.0], np.float64)
        self.movechance[:] = np.where(flooded, mcs[at] if flooded.any() else np.nan, np.nan)
        loc = np.where(flooded, locw[at] if flooded.any() else 1.0, 1.0)
        if not (fr.forecasting and day <= fr.forecaster_end_time):
            self.mc_factor[:] = 1.0
            self.score_factor[:] = loc
            return
        # Flee's forecast: days day+1 .. day+timescale, each at most forecaster_end_time (the loop stops
        # there), the forecast weights indexed by that day of the run, not by how far ahead it is
        end, T = fr.forecaster_end_time, fr.forecaster_timescale
        weights = fr.forecaster_weights or []
        mc_sum = np.zeros_like(loc)
        score_sum = np.zeros_like(loc)
        now = locw[np.maximum(lvl, 0)]
        for x in range(1, T + 1):
            fd = min(day + x, end)
            ahead = self.raw[fd]
            whole = np.trunc(ahead).astype(np.int64)
            # move chance: the place's own forecast level, truncated (Flee's int(...))
            mc_sum += np.where(whole > 0, locw[np.maximum(whole, 0)], 0.0) * weights[fd]
            # destination score: Flee tests the forecast level but weighs today's level (a quirk)
            score_sum += np.where(ahead > 0.0, now, 0.0) * weights[fd]
            if fd == end:
                break
        # Flee: the move chance times sum / timescale; the score times sum * (sum / timescale) (a quirk:
        # the sum is squared); both times the person's awareness weight. A place with no flood forecast
        # gets 0: nobody leaves it, and nobody heads there unless every choice weighs 0.
        aw = fr.awareness_weights or [1.0]
        mcf = mc_sum / T
        scf = score_sum * (score_sum / T)
        for c in range(self.classes):
            self.mc_factor[c] = mcf * aw[c]
            self.score_factor[c] = loc * (scf * aw[c])

    def draw_awareness(self, start: int, stop: int) -> None:
        """Flood awareness of the people in rows [start, stop): the awareness of the value the demographics
        component drew for them (demographics_floodawareness.csv), as the forecaster's class."""
        a = self.world.agents
        if stop <= start or not len(self.aware_value):
            return
        a.floodawareness[start:stop] = self.aware_value[getattr(a, column_name("floodawareness"))[start:stop]]
