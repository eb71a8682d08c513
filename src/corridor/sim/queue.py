"""A list of people in the order they joined it: a port's waiting list, people waiting for a decision."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Queue:
    """Agent ids in order, ids[head:tail] not yet called; a list number is a position. days[k] is the day
    ids[k] signed: someone who left the list and signed again holds only their last number, the one whose
    day is their `joined` day."""

    ids: np.ndarray = field(default_factory=lambda: np.empty(1024, np.int32))
    days: np.ndarray = field(default_factory=lambda: np.empty(1024, np.int16))
    head: int = 0
    tail: int = 0
    waiting: int = 0  # names still waiting (a name called or gone is not)
    credit: float = 0.0  # fraction of a claim carried to the next day

    def append(self, new: np.ndarray, day: int = 0) -> None:
        if self.tail + len(new) > len(self.ids):
            size = max(2 * len(self.ids), self.tail + len(new), 1024)
            ids, days = np.empty(size, np.int32), np.empty(size, np.int16)
            ids[: self.tail], days[: self.tail] = self.ids[: self.tail], self.days[: self.tail]
            self.ids, self.days = ids, days
        self.ids[self.tail : self.tail + len(new)] = new
        self.days[self.tail : self.tail + len(new)] = day
        self.tail += len(new)
        self.waiting += len(new)
