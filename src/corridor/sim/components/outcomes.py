"""What hazards and marches share: the day x place x outcome table and the bookkeeping of an outcome.

An outcome (states.OUTCOMES) is counted where it happened; the registry says which state it puts people
in, and so whether they leave the network (deported, gone home, in custody...) or only move (moved away).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ... import states as S
from ..component import World
from ..record import Table
from .asylum import Asylum
from .ports import Ports

OUTCOME_TABLE = Table(
    "fates",
    ("place", "outcome"),
    "people each outcome took at each place (states.OUTCOMES order)",
    needed=lambda sc: bool(sc.hazards or sc.marches),
)

# outcomes that take people off the network, with the state each puts them in
_OFF = [(o.code, S.BY_NAME[o.state].code) for o in S.OUTCOMES if o.state and S.BY_NAME[o.state].where == "off"]


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
    c = t.counts.sum(0)
    world.record.fates[day] += c
    stocks = world.stocks
    if c[:, S.F_CAUGHT].any():
        world.get(Asylum).rescan()
    gone = sum(c[:, o] for o, _ in _OFF)
    on_road = t.on_road.sum(0)
    stocks.leave(gone - on_road)
    stocks.leave_roads(on_road)
    if c[:, S.F_MOVED].any():  # moved on to another city: they arrive there today
        stocks.jump(t.moved_in.sum(0) - c[:, S.F_MOVED])
    for o, state in _OFF:
        stocks.enter(state, int(c[:, o].sum()))
    ports = world.find(Ports)
    if ports is not None:
        ports.left_lists(t.left_list.sum(0))
