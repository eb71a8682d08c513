"""A list of people in the order they joined it: a port's waiting list, people waiting for a decision."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Queue:
    """Agent ids in order, ids[head:tail] not yet called; a list number is a position."""

    ids: np.ndarray = field(default_factory=lambda: np.empty(1024, np.int32))
    head: int = 0
    tail: int = 0
    waiting: int = 0  # names still waiting (a name called or gone is not)
    credit: float = 0.0  # fraction of a claim carried to the next day

    def append(self, new: np.ndarray) -> None:
        if self.tail + len(new) > len(self.ids):
            grown = np.empty(max(2 * len(self.ids), self.tail + len(new), 1024), np.int32)
            grown[: self.tail] = self.ids[: self.tail]
            self.ids = grown
        self.ids[self.tail : self.tail + len(new)] = new
        self.tail += len(new)
        self.waiting += len(new)
