"""Recording: at the end of the day every component writes its tables, then every person's state is counted."""

from __future__ import annotations

from ..component import Component, World
from ..record import Table


class Recording(Component):
    name = "record"
    doc = "each component's tables for the day (stocks, flows, lists, caravans); every person's state counted"
    tables = (Table("census", ("state",), "people in each state at the end of the day (states.STATES order)"),)

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._recorders: list | None = None

    def step(self, day: int) -> None:
        w = self.world
        if self._recorders is None:  # the components that write tables at the end of the day, in plan order
            self._recorders = [c.record for c in w.components.values() if type(c).record is not Component.record]
        for record in self._recorders:
            record(day)
        w.record.census[day] = w.stocks.census()
