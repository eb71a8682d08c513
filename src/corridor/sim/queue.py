"""A list of people in the order they joined it: a port's waiting list, people waiting for a decision."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Queue:
    """Agent ids in order, ids[head:tail] not yet called; a list number is a position. days[k] is the day
    ids[k] signed: someone who left the list and signed again holds only their last number, the one whose
    day is their `joined` day.

    A numbered list (docs/model.md, Numbered lists) also keeps nums[k], the number position k belongs to:
    the holders of a number sit side by side and numbers only grow along the list."""

    ids: np.ndarray = field(default_factory=lambda: np.empty(1024, np.int32))
    days: np.ndarray = field(default_factory=lambda: np.empty(1024, np.int16))
    head: int = 0
    tail: int = 0
    waiting: int = 0  # names still waiting (a name called or gone is not)
    credit: float = 0.0  # fraction of a claim carried to the next day (negative: a group taken past the day's)
    nums: np.ndarray | None = None  # a numbered list's number of each position (None: the list counts people)
    numbers: int = 0  # numbers handed out so far
    largest: int = 0  # the most holders of any number handed out
    number_credit: float = 0.0  # fraction of a number carried to the next day

    def append(self, new: np.ndarray, day: int = 0, nums: np.ndarray | None = None) -> None:
        """Put `new` at the end of the list, signed on `day`; on a numbered list nums[j] is the number of new[j]
        counted from this day's first (0, 0, 1, 1, 1, 2...)."""
        if self.tail + len(new) > len(self.ids):
            size = max(2 * len(self.ids), self.tail + len(new), 1024)
            ids, days = np.empty(size, np.int32), np.empty(size, np.int16)
            ids[: self.tail], days[: self.tail] = self.ids[: self.tail], self.days[: self.tail]
            self.ids, self.days = ids, days
        self.ids[self.tail : self.tail + len(new)] = new
        self.days[self.tail : self.tail + len(new)] = day
        if nums is not None:
            if self.nums is None or len(self.nums) < len(self.ids):
                grown = np.empty(len(self.ids), np.int32)
                if self.nums is not None:
                    grown[: self.tail] = self.nums[: self.tail]
                self.nums = grown
            self.nums[self.tail : self.tail + len(new)] = self.numbers + nums
            if len(nums):
                self.numbers += int(nums[-1]) + 1
                self.largest = max(self.largest, int(np.bincount(nums).max()))
        self.tail += len(new)
        self.waiting += len(new)
