"""What an ensemble keeps of each run, and the bands drawn from it.

A run's full tables are large (a Flee scenario's people per place and day, every person processed at a
port); an ensemble of hundreds of runs, or a run on another machine, keeps only its *summary*: a few
day-by-name arrays, small enough to ship from a worker and to stream to disk. The bands are percentiles
over the summaries of the runs, taken at each day and name.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import states
from .results import RunResult

# the percentiles of a band: the 90% interval (5-95), the 50% interval (25-75) and the median
QUANTILES: tuple[int, ...] = (5, 25, 50, 75, 95)
QUANTILE_NAMES: tuple[str, ...] = tuple(f"p{q:02d}" for q in QUANTILES)
WAIT_WINDOW = 7  # days: the median wait is over those processed in the week ending each day


@dataclass(frozen=True)
class Summary:
    """One run, as an ensemble keeps it: `series[variable]` is a days x len(names[variable]) array."""

    seed: int
    series: dict[str, np.ndarray]
    names: dict[str, list[str]]

    @property
    def days(self) -> int:
        return len(next(iter(self.series.values()))) if self.series else 0


def series_names(res: RunResult) -> dict[str, list[str]]:
    """The names along each summary variable's second axis."""
    return {
        "population": list(res.places),
        "waitlist": list(res.ports),
        "processed": list(res.ports),
        "wait_days": list(res.ports),
        "states": [s.name for s in states.counted()],
        "set_out": directed_roads(res),
    }


def directed_roads(res: RunResult) -> list[str]:
    """Names of the directed roads, in the order of the record's link tables: road i is 2i (a to b) and
    2i+1 (b to a)."""
    out = []
    for ln in res.scenario.links:
        out += [f"{ln.a} -> {ln.b}", f"{ln.b} -> {ln.a}"]
    return out


def weekly_median_wait(res: RunResult) -> np.ndarray:
    """days x ports: the median days waited by those processed in the WAIT_WINDOW days ending each day
    (NaN where nobody was)."""
    K = len(res.ports)
    out = np.full((res.days, K), np.nan)
    day, port, waited = res.record.wait_table()
    if not len(waited):
        return out
    for k in range(K):
        mine = port == k
        d, w = day[mine], waited[mine]
        order = np.argsort(d, kind="stable")
        d, w = d[order], w[order]
        lo = np.searchsorted(d, np.arange(res.days) - WAIT_WINDOW + 1, side="left")
        hi = np.searchsorted(d, np.arange(res.days), side="right")
        for t in np.flatnonzero(hi > lo):
            out[t, k] = np.median(w[lo[t] : hi[t]])
    return out


def summarise(res: RunResult) -> Summary:
    """The summary of one run: people per place, each port's list, claims processed and weekly median wait,
    people in each state, and people setting out along each directed road, per day."""
    rec = res.record
    counted = [s.code for s in states.counted()]
    K = len(res.ports)
    series = {
        "population": rec.population.astype(np.int64, copy=False),
        "waitlist": rec.waitlist if K else np.zeros((res.days, 0), np.int64),
        "processed": rec.processed if K else np.zeros((res.days, 0), np.int64),
        "wait_days": weekly_median_wait(res),
        "states": rec.census[:, counted],
        "set_out": rec.link_entries,
    }
    return Summary(seed=res.seed, series=series, names=series_names(res))


def percentiles(stack: np.ndarray) -> np.ndarray:
    """len(QUANTILES) x ... : the percentiles over the first axis (the runs). Where no run has a value (a
    wait when nobody was processed) the answer is NaN."""
    stack = np.asarray(stack, dtype=np.float64)
    if stack.size == 0:
        return np.zeros((len(QUANTILES), *stack.shape[1:]))
    if not np.isnan(stack).any():
        return np.percentile(stack, QUANTILES, axis=0)
    with warnings.catch_warnings():  # nanpercentile warns of an all-NaN slice; its NaN is the answer
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanpercentile(stack, QUANTILES, axis=0)


def bands(summaries: Sequence[Summary]) -> dict[str, np.ndarray]:
    """variable -> len(QUANTILES) x days x names: the percentiles over the runs at each day and name."""
    if not summaries:
        raise ValueError("no runs to draw bands from")
    return {var: percentiles(np.stack([s.series[var] for s in summaries])) for var in summaries[0].series}
