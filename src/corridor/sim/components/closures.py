"""Closures: roads and camps closed or reopened today, and places that close (their people are taken to
another place); the candidate routes are rebuilt when the set of open roads changes."""

from __future__ import annotations

import numpy as np

from ... import states as S
from ...states import AT_PLACE, CARAVAN_AT
from ..agents import CAME_FROM, ROUTE
from ..component import Component, World
from ..network import RouteBook, Routes
from .ports import Ports

_AT_PLACE = S.mask("place")


class Closures(Component):
    """Shared: `open` (L,) directed roads open today, `camp_off` (P,) places whose camp status is
    suspended, `routes` today's candidate routes (network.Routes; ids never change once given)."""

    name = "closures"
    doc = "roads and camps closed or reopened today; a closing place's people taken elsewhere; routes rebuilt"
    columns = (
        ROUTE,
        CAME_FROM,
    )

    def __init__(self, world: World) -> None:
        super().__init__(world)
        net = world.net
        self.open = np.ones(net.n_links, bool)
        self.camp_off = np.zeros(net.n_places, bool)
        self.routes: Routes | None = None
        self.book = RouteBook()  # this run's route ids
        self.in_force: tuple[int, ...] | None = None  # the closures in force, when last checked

    def step(self, day: int) -> None:
        net = self.world.net
        for when, src, dst in net.relocations:
            if when == day:
                self._relocate(src, dst)
        now = net.closures_in_force(day)
        if now == self.in_force:
            return
        self.in_force = now
        open_now = net.open_links(day)
        self.camp_off = net.camp_closed(day)
        if self.routes is None or not np.array_equal(open_now, self.open):
            self.open = open_now
            self.routes = net.routes(open_now, self.book)

    def _relocate(self, src: int, dst: int) -> None:
        """A place closes: everyone there is taken to `dst`, keeping their place on any waiting list; a caravan
        there breaks up (its members go on alone from `dst`)."""
        a = self.world.agents
        st = a.state[: a.n]
        here = np.flatnonzero((a.loc[: a.n] == src) & _AT_PLACE[st])
        a.state[here[st[here] == CARAVAN_AT]] = AT_PLACE
        a.loc[here] = dst
        a.route[here] = -1
        if a.has("came_from"):
            a.came_from[here] = src
        self.world.stocks.relocate(src, dst, len(here))
        ports = self.world.find(Ports)
        if ports is not None:
            ports.came(here)
