"""People as columns of arrays, declared by the components that use them.

Rows [0, n) are people who have set out; later rows are preallocated for people not yet displaced
(LASER's lesson: size the table up front and never append row by row). Every component lists the
columns it reads or writes (`Column`); the engine allocates the union of the columns of the components
in the plan, so a scenario without ports, hazards or asylum carries no `joined` column at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ..errors import CorridorError
from ..scenario.model import MAX_PEOPLE, Scenario
from ..states import INACTIVE


@dataclass(frozen=True)
class Column:
    name: str
    dtype: type
    fill: int | float  # the value of a row not yet in use
    doc: str
    # False for a scenario that never reads the column: it is then one unused row (kernels still take it)
    needed: Callable[[Scenario], bool] | None = None


# Every component reads these two; the engine owns them.
CORE = (
    Column("state", np.int8, INACTIVE, "the person's state (states.py)"),
    Column("loc", np.int32, 0, "a place, or a directed road while on it"),
)
# Columns that several components use, declared once here so that each of them declares the same column.
ROUTE = Column("route", np.int32, -1, "planned route id (-1: none)")
CAME_FROM = Column(
    "came_from", np.int32, -1, "the place last left (no_backtrack)", needed=lambda sc: sc.move.no_backtrack
)
COHORT = Column("cohort", np.int8, 0, "departures cohort (scenario.cohorts() index; 0: none)")
ORIGIN = Column("origin", np.int16, 0, "country of origin (network.nations index)")
JOINED = Column("joined", np.int16, 0, "the day the person entered their border state (list, custody...)")
# The class of people whose move chances and route weights a person reads: (their flood awareness class (DFlee's
# forecaster) x the number of hazard classes + their hazard class (Flee's demographic hazard rules)) x the number
# of Match* classes + their Match* class (ethnicity x religions + religion)
MOVE_CLASS = Column(
    "moveclass",
    np.int8,
    0,
    "the class of people whose move chances and route weights the person reads "
    "(flood awareness x hazard classes + hazard class)",
    needed=lambda sc: (
        (sc.move.flood is not None and sc.move.flood.forecasting)
        or sc.move.hazard_rules
        or sc.move.match_ethnicity
        or sc.move.match_camp_religion
    ),
)
# The row of the person's household's head (its first member; their own row when alone): the key of their
# per-person draws (rng.drawer), and what a numbered waiting list keeps together (households.py)
HOUSEHOLD = Column(
    "household",
    np.int32,
    -1,
    "the row of the head of the person's household (their own row when alone)",
    needed=lambda sc: sc.has_households(),
)
PORT = Column("port", np.int8, -1, "the port whose list the person signed last", needed=lambda sc: bool(sc.ports))


class Agents:
    """The columns, by name (`agents.state`, `agents.loc`, ...), and the number of rows in use."""

    def __init__(self, columns: Iterable[Column], size: int, sc: Scenario) -> None:
        self.n = 0
        self.columns: dict[str, Column] = {}
        self.stubs: set[str] = set()  # columns the scenario does not use: one row, never grown
        for col in columns:
            seen = self.columns.setdefault(col.name, col)
            if (seen.dtype, seen.fill) != (col.dtype, col.fill):
                raise ValueError(f"column {col.name} declared twice with different types or fills")
            if col.needed is not None and not col.needed(sc):
                self.stubs.add(col.name)
        for col in self.columns.values():
            rows = 1 if col.name in self.stubs else size
            setattr(self, col.name, np.full(rows, col.fill, col.dtype))

    def __getattr__(self, name: str) -> np.ndarray:  # for type checkers: columns are set in __init__
        raise AttributeError(f"no agent column {name!r}: no component in the plan declares it")

    @property
    def size(self) -> int:
        return len(self.state)

    def reserve(self, extra: int) -> None:
        """Grow (rarely: only when spawning is random) so that `extra` more rows fit."""
        if self.n + extra <= self.size:
            return
        if self.n + extra > MAX_PEOPLE:
            raise CorridorError(
                f"the run has set out {self.n + extra:,} people; expected at most {MAX_PEOPLE:,} "
                "(the engine numbers people with 32-bit integers)"
            )
        old = self.size
        new = max(self.n + extra, 2 * old, 1024)
        for col in self.columns.values():
            if col.name in self.stubs:
                continue
            arr = np.full(new, col.fill, col.dtype)
            arr[:old] = getattr(self, col.name)
            setattr(self, col.name, arr)

    def has(self, name: str) -> bool:
        """Whether the column holds a value per person (not absent, not a one-row stub)."""
        return name in self.columns and name not in self.stubs

    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in self.columns)
