"""A component: one part of the day, with the agent columns, states, outcomes and tables it owns.

A component is a class with
- `name` and `doc`: its place and one line in the printed plan (`corridor plan`);
- `columns`: the agent columns it reads or writes beyond `state` and `loc` (agents.Column);
- `tables`: the per-day result tables it fills (record.Table);
- `wanted(scenario)`: whether a scenario needs it at all (no ports: no ports component);
- `step(day)`: its part of the day, and optionally `record(day)`: what it writes into its tables once
  every component has had its step (the last component, recording, calls these in plan order).
The states and outcomes it adds are declared in the registry (states.py), with this component's name
as their owner; `states()` and `outcomes()` read them from there.

A component keeps its own working state as attributes set in `__init__`. What it shares goes through
the `World`: the scenario, the compiled network, the agent columns, the stocks, the record, the
observed series, the seeded random streams, and the other components of the plan (`world.get(Other)`), whose attributes
documented as shared are what it may read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

import numpy as np

from .. import states as S
from ..scenario.model import Scenario
from .agents import Agents, Column
from .network import Network
from .record import Record, Table
from .rng import generator, key64
from .stocks import Stocks

C = TypeVar("C", bound="Component")


@dataclass
class World:
    """What the components of one run share."""

    sc: Scenario
    net: Network
    days: int
    seed: int
    threads: int  # the most threads a kernel call may use
    agents: Agents
    stocks: Stocks
    record: Record
    observed: dict[str, np.ndarray]  # each observed series, one whole number a day (scenario.series)
    components: dict[type, Component] = field(default_factory=dict)

    def get(self, cls: type[C]) -> C:
        """The plan's component of class `cls` (KeyError when the scenario does not use it)."""
        return self.components[cls]  # type: ignore[return-value]

    def find(self, cls: type[C]) -> C | None:
        """The plan's component of class `cls`, or None when the scenario does not use it."""
        return self.components.get(cls)  # type: ignore[return-value]

    def stream(self, name: str) -> np.random.Generator:
        """A numpy generator of the run's seed tree, by stable name."""
        return generator(self.seed, name)

    def key(self, name: str) -> np.uint64:
        """A key for the kernels' counter-based per-person draws, by stable name."""
        return key64(self.seed, name)


class Component:
    name: ClassVar[str]
    doc: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]] = ()
    tables: ClassVar[tuple[Table, ...]] = ()

    def __init__(self, world: World) -> None:
        self.world = world

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return True

    @classmethod
    def columns_for(cls, sc: Scenario) -> tuple[Column, ...]:
        """The columns this component uses in scenario `sc`: its `columns`, or, for a component whose columns
        depend on the scenario (one per demographic attribute), those."""
        return cls.columns

    @classmethod
    def states(cls) -> tuple[S.State, ...]:
        return tuple(s for s in S.STATES if s.owner == cls.name)

    @classmethod
    def outcomes(cls) -> tuple[S.Outcome, ...]:
        return tuple(o for o in S.OUTCOMES if o.owner == cls.name)

    def step(self, day: int) -> None:
        """This component's part of the day. A component that only records (its `record`) has none."""

    def record(self, day: int) -> None:
        """Write this component's tables for the day (called after every step, in plan order)."""
