"""The engine: builds a run's plan from the components, allocates what they declare, and runs the days.

The plan is the list of components (components.COMPONENTS) that the scenario needs, in order; each day
runs their steps in that order, the last of which (recording) writes every component's tables. Nothing
here knows what a component does: the agent columns, result tables and states all come from the
components' declarations and the registry (states.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numba as nb
import numpy as np

from .. import states as S
from ..errors import CorridorError
from ..scenario.model import MAX_PEOPLE, Scenario
from ..scenario.series import observed_daily
from .agents import CORE, Agents, Column
from .component import Component, World
from .components import COMPONENTS, Spawn
from .network import Network, compile_network
from .parallel import available
from .record import Record, Table
from .stocks import Stocks


@dataclass(frozen=True)
class Phase:
    """One line of the printed plan."""

    name: str
    doc: str
    columns: tuple[str, ...]
    states: tuple[str, ...]
    outcomes: tuple[str, ...]
    tables: tuple[str, ...]
    used: bool  # whether the scenario asked about needs it (True when none was given)


def plan(sc: Scenario | None = None, components: tuple[type[Component], ...] = COMPONENTS) -> list[Phase]:
    """The components of the day, in order, with what each declares; with a scenario, which it uses."""
    return [
        Phase(
            c.name,
            c.doc,
            tuple(col.name for col in (c.columns if sc is None else c.columns_for(sc))),
            tuple(s.name for s in c.states()),
            tuple(o.name for o in c.outcomes()),
            tuple(t.name for t in c.tables),
            sc is None or c.wanted(sc),
        )
        for c in components
    ]


def _available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux's MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _check_memory(sc: Scenario, rows: int, columns: list[Column], tables: list[Table], days: int,
                  sizes: dict[str, int]) -> None:  # fmt: skip
    """Refuse, in one line, a run with more people than the engine can number, or whose columns and tables
    cannot fit in memory, rather than let it die part way (a valid scenario may set out a billion people)."""
    if rows > MAX_PEOPLE:
        raise CorridorError(
            f"{sc.name}: this run would set out {rows:,} people; expected at most {MAX_PEOPLE:,} "
            "(the engine numbers people with 32-bit integers)"
        )
    per_person = sum(np.dtype(c.dtype).itemsize for c in {c.name: c for c in columns}.values())
    tabled = {t.name: t for t in tables}.values()
    table_bytes = sum(8 * days * int(np.prod([sizes[a] for a in t.axes])) for t in tabled)
    need = rows * per_person + table_bytes
    have = _available_memory()
    if have is not None and need > have:
        raise CorridorError(
            f"{sc.name}: this run needs about {need / 1e9:,.1f} GB ({rows:,} people x {per_person} bytes and "
            f"{table_bytes / 1e9:,.1f} GB of daily tables) but {have / 1e9:,.1f} GB of memory is available; "
            "expected a shorter run (--days), fewer people, or a larger hasten"
        )


class Engine:
    """One run of a scenario with one seed."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        days: int | None = None,
        net: Network | None = None,
        threads: int | None = None,
        components: tuple[type[Component], ...] = COMPONENTS,
    ) -> None:
        """`components`: the plan to build from (default: corridor's own, components.COMPONENTS); a
        component the scenario does not need (`wanted`) is left out."""
        self.sc = scenario
        self.seed = int(seed)
        self.days = min(days or scenario.days, scenario.days)
        self.net = net or compile_network(scenario)
        self.threads = max(1, min(threads or available(), nb.config.NUMBA_NUM_THREADS))
        self.observed = observed_daily(scenario)
        used = [c for c in components if c.wanted(scenario)]
        columns = [*CORE, *(col for c in used for col in c.columns_for(scenario))]
        net = self.net
        sizes = {
            "place": net.n_places,
            "port": len(net.port_names),
            "link": net.n_links,
            "state": S.N_STATES,
            "outcome": S.N_OUTCOMES,
            "caravan": len(net.caravans),
            "nation": len(net.nations),
            "cohort": len(scenario.cohorts()),
            "demographic": sum(len(d.values) for d in scenario.demographics.values()),
        }
        # every component's tables, used or not, so that a result always has every table (empty ones too)
        tables = [t for c in components for t in c.tables]
        rows = Spawn.planned_rows(scenario, net, self.days, self.observed)
        _check_memory(scenario, rows, columns, tables, self.days, sizes)
        agents = Agents(columns, rows, scenario)
        record = Record(tables, self.days, sizes, scenario)
        self.world = World(scenario, net, self.days, self.seed, self.threads, agents, Stocks(net.n_places), record,
                           self.observed)  # fmt: skip
        for cls in used:
            self.world.components[cls] = cls(self.world)
        self.phases: list[Component] = list(self.world.components.values())
        self.timings: dict[str, float] = {c.name: 0.0 for c in self.phases}

    @property
    def agents(self) -> Agents:
        return self.world.agents

    @property
    def record(self) -> Record:
        return self.world.record

    @property
    def stocks(self) -> Stocks:
        return self.world.stocks

    def step(self, day: int) -> None:
        self.world.stocks.new_day()
        for c in self.phases:
            t0 = time.perf_counter()
            c.step(day)
            self.timings[c.name] += time.perf_counter() - t0

    def footprint(self) -> dict[str, int]:
        """Bytes held: the agent columns (and rows allocated), the result tables, and the arrays the
        components keep (counters, scratch rows, lists), for the benchmarks' memory figures."""

        def held(obj: object) -> int:
            if isinstance(obj, np.ndarray):
                return obj.nbytes
            if isinstance(obj, tuple | list):
                return sum(held(x) for x in obj)
            return 0

        return {
            "agent_columns": self.agents.nbytes(),
            "agent_rows": self.agents.size,
            "record": sum(a.nbytes for a in self.record.arrays().values()),
            "components": sum(held(v) for c in self.phases for v in vars(c).values()),
        }

    def check_conservation(self, day: int) -> None:
        """Recount everyone's state and place and compare with the running stocks (stocks.ConservationError)."""
        self.world.stocks.check(self.world.agents, self.net.link_dst, day)
