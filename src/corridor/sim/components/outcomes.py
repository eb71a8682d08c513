"""What hazards and marches share: the day x place x outcome table and the bookkeeping of an outcome.

An outcome (states.OUTCOMES) is counted where it happened; the registry says which state it puts people
in, and so whether they leave the network (deported, gone home, in custody...) or only move (moved away).
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from ... import states as S
from ..component import World
from ..parallel import kernel_args
from ..record import Table
from .asylum import Asylum
from .ports import Ports

OUTCOME_TABLE = Table(
    "fates",
    ("place", "outcome"),
    "people each outcome took at each place (states.OUTCOMES order)",
    needed=lambda sc: bool(sc.hazards or sc.marches or sc.has_road_deaths()),
)

# outcomes that take people off the network, with the state each puts them in
_OFF = [(o.code, S.BY_NAME[o.state].code) for o in S.OUTCOMES if o.state and S.BY_NAME[o.state].where == "off"]
_OFF_CODES = np.array([o for o, _ in _OFF], np.int64)


class Tallies(NamedTuple):
    """Per-block counts a hazard or march kernel fills."""

    counts: np.ndarray  # (blocks, P, outcomes) outcomes at each place
    left_list: np.ndarray  # (blocks, ports) people who left each port's waiting list
    on_road: np.ndarray  # (blocks, P) people taken off a road towards each place
    moved_in: np.ndarray  # (blocks, P) people who moved to each place (outcome moved_away)

    @classmethod
    def zeros(cls, n_blocks: int, n_places: int, n_ports: int) -> Tallies:
        return cls(
            np.zeros((n_blocks, n_places, S.N_OUTCOMES), np.int64),
            np.zeros((n_blocks, max(n_ports, 1)), np.int64),
            np.zeros((n_blocks, n_places), np.int64),
            np.zeros((n_blocks, n_places), np.int64),
        )


def settle(world: World, day: int, t: Tallies) -> None:
    """Book a day's outcomes: the table, the stocks and tallies, the waiting lists, custody."""
    stocks = world.stocks
    # the blocks' tallies summed in one compiled pass (a dozen numpy reductions were 45 us a day)
    by_outcome, gone, on_road, moved, left = sum_tallies(*kernel_args(t, world.record.fates[day], _OFF_CODES))
    if by_outcome[S.F_CAUGHT] or by_outcome[S.F_SURRENDERED]:
        world.get(Asylum).rescan()
    stocks.leave(gone - on_road)
    stocks.leave_roads(on_road)
    if by_outcome[S.F_MOVED]:  # moved on to another city: they arrive there today
        stocks.jump(moved)
    for o, state in _OFF:
        stocks.enter(state, int(by_outcome[o]))
    ports = world.find(Ports)
    if ports is not None:
        ports.left_lists(left)


@nb.njit(cache=True)
def sum_tallies(t, fates, off):
    """Sum the blocks' tallies and add them to the day's row of the fates table. Returns the day's count of
    each outcome; by place, the people who left the network (outcomes `off`) and those of them who left
    from a road leading there, and the people moved on to (+) or from (-) it; the people who left each
    port's list. Integer sums: the order does not matter."""
    counts, left_list, on_road, moved_in = t
    n_blocks, P, n_out = counts.shape
    by_outcome = np.zeros(n_out, np.int64)
    gone = np.zeros(P, np.int64)
    road = np.zeros(P, np.int64)
    moved = np.zeros(P, np.int64)
    for p in range(P):
        for o in range(n_out):
            c = 0
            for b in range(n_blocks):
                c += counts[b, p, o]
            fates[p, o] += c
            by_outcome[o] += c
        for o in off:
            for b in range(n_blocks):
                gone[p] += counts[b, p, o]
        for b in range(n_blocks):
            road[p] += on_road[b, p]
            moved[p] += moved_in[b, p] - counts[b, p, S.F_MOVED]
    left = np.zeros(left_list.shape[1], np.int64)
    for b in range(n_blocks):
        for k in range(left_list.shape[1]):
            left[k] += left_list[b, k]
    return by_outcome, gone, road, moved, left
