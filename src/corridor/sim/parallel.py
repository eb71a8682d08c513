"""How the kernels split people between threads, and the thread count, set for one call at a time.

Agents are split into at most one block per thread; each block counts into its own row of the counter
arrays (no atomics; integer sums do not depend on order) and the rows are summed afterwards. numba's
thread count is per calling thread (each threading layer keeps it in thread-local storage), and `team`
sets it for the calls inside and puts it back, so a run changes nothing outside itself.
"""

from __future__ import annotations

import numba as nb

MIN_BLOCK = 1 << 13  # fewer agents than this per thread: not worth waking a second thread
SUB = 1 << 12  # agents per sub-chunk handed out in turn to the blocks


def available() -> int:
    """Threads a run may use unless told otherwise: numba's count for the calling thread."""
    return nb.get_num_threads()


def n_blocks_for(n: int, threads: int) -> int:
    """Blocks (threads) for a kernel over n agents: one per thread, but none of fewer than MIN_BLOCK."""
    return max(1, min(threads, n // MIN_BLOCK))


def kernel_args(*args: object) -> tuple[object, ...]:
    """The arguments of a kernel call with each bundle (a NamedTuple of arrays) as a plain tuple.

    numba types a plain tuple of arrays in its C dispatcher and a namedtuple in Python: for the move
    kernel's five bundles that was 4 us more a call, which is most of a small scenario's day. A kernel
    unpacks each bundle at its top in the order its NamedTuple declares, so the names still say which
    array is which."""
    return tuple(tuple(a) if isinstance(a, tuple) else a for a in args)


class team:  # noqa: N801 (used as a function: `with team(n):`)
    """Run the kernel calls inside on n_blocks threads. A parallel call wakes every thread of numba's team,
    about 75 us here when they sleep between calls, against 8 us for a team of one; a small day (one
    block) gains nothing from the others. A class rather than a generator context manager: it is entered
    three times a day, and a small run has more days than work."""

    __slots__ = ("n_blocks", "before")

    def __init__(self, n_blocks: int) -> None:
        self.n_blocks = n_blocks
        self.before = 0

    def __enter__(self) -> None:
        self.before = nb.get_num_threads()
        if self.n_blocks != self.before:
            nb.set_num_threads(self.n_blocks)

    def __exit__(self, *exc: object) -> None:
        if self.n_blocks != self.before:
            nb.set_num_threads(self.before)
