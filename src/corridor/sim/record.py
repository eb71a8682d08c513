"""The per-day result tables, declared by the components that fill them.

A table is a day-by-something array of int64 counts (`Table`: its name, its axes after the day, the
value of a day not yet recorded). The record allocates the tables of every component once, before the
run: a table the scenario cannot fill (no hazards, no children) has no days, so readers can test its
length. `record.population`, `record.fates`, ... are the tables by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ..scenario.model import Scenario


@dataclass(frozen=True)
class Table:
    name: str
    axes: tuple[str, ...]  # after the day: 'place', 'port', 'link', 'state', 'outcome', 'caravan', 'nation'
    doc: str
    fill: int = 0
    needed: Callable[[Scenario], bool] | None = None  # False: the table has no days


class Record:
    def __init__(self, tables: Iterable[Table], days: int, sizes: dict[str, int], sc: Scenario) -> None:
        self.tables: dict[str, Table] = {}
        for t in tables:
            seen = self.tables.setdefault(t.name, t)
            if (seen.axes, seen.fill) != (t.axes, t.fill):
                raise ValueError(f"table {t.name} declared twice with different axes or fills")
        for t in self.tables.values():
            rows = days if t.needed is None or t.needed(sc) else 0
            setattr(self, t.name, np.full((rows, *(sizes[a] for a in t.axes)), t.fill, np.int64))
        # (day, port, days waited by each person processed that day), filled by the ports
        self.waits: list[tuple[int, int, np.ndarray]] = []

    def __getattr__(self, name: str) -> np.ndarray:  # for type checkers: tables are set in __init__
        raise AttributeError(f"no result table {name!r}: no component declares it")

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.tables}

    def wait_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(day processed, port, days waited), one row per person processed."""
        if not self.waits:
            e = np.zeros(0, np.int64)
            return e, e, e
        day = np.concatenate([np.full(len(w), d, np.int64) for d, _, w in self.waits])
        port = np.concatenate([np.full(len(w), k, np.int64) for _, k, w in self.waits])
        return day, port, np.concatenate([w.astype(np.int64) for _, _, w in self.waits])
