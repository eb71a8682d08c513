"""Observed count series: corrections, daily interpolation, and the spawn schedule they imply."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # model reads the day-0 counts from here (Scenario.effective_capacity): no import at run time
    from .model import Scenario


def corrected_points(sc: Scenario) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each series as (days, values), divided by hasten, with registration corrections applied.

    A correction on day d for a camp whose series has a point on day d rescales every earlier point
    by (value on d) / (value just before d): early counts were level-1 registrations that later
    level-2 registrations revised (Flee's `correctLevel1Registrations`).
    """
    out = {}
    for name, pts in sc.observed.items():
        days = np.array([p.day for p in pts], dtype=np.float64)
        vals = np.array([p.value for p in pts], dtype=np.float64) / sc.hasten
        for corr in sc.corrections:
            if corr.place != name:
                continue
            hits = np.nonzero(days.astype(np.int64) == corr.day)[0]
            if len(hits) and hits[0] > 0 and vals[hits[0] - 1] > 0:
                i = hits[0]
                vals[:i] *= vals[i] / vals[i - 1]
        out[name] = (days, vals)
    return out


def daily(days: np.ndarray, vals: np.ndarray, n_days: int) -> np.ndarray:
    """Whole-number count for each simulated day: linear between points, flat outside them."""
    t = np.arange(n_days, dtype=np.float64)
    # np.interp needs increasing x; duplicate days keep their first value as Flee's lookup does.
    keep = np.concatenate([[True], np.diff(days) > 0]) if len(days) else np.array([], bool)
    return np.trunc(np.interp(t, days[keep], vals[keep])).astype(np.int64)


def observed_daily(sc: Scenario) -> dict[str, np.ndarray]:
    """Each series, a whole number a day. With `spawn.empty_camps_on_day0` each is counted from its day-0 value
    (Flee's start_empty data table): the camps start empty, nobody is spawned on day 0 and the counts compared
    with the camps' are the rises since then."""
    out = {name: daily(d, v, sc.days) for name, (d, v) in corrected_points(sc).items()}
    if sc.spawn.empty_camps_on_day0:
        out = {name: v - v[0] for name, v in out.items()}
    return out


def spawn_total(sc: Scenario, obs: dict[str, np.ndarray]) -> np.ndarray:
    """The observed total that drives spawning: the sum of all camp series, or the 'total' series."""
    if sc.spawn.sum_from_camps:
        parts = [v for k, v in obs.items() if k != "total"]
        if parts:
            return np.sum(parts, axis=0).astype(np.int64)
    return obs.get("total", np.zeros(sc.days, dtype=np.int64)).astype(np.int64)


def raw_count(sc: Scenario, obs: dict[str, np.ndarray]) -> np.ndarray:
    """Flee's 'raw UNHCR refugee count' each day (out.csv): the running sum of the daily counts its spawning uses.

    Flee adds up, day by day, the numbers its spawning takes from the data. On day 0 that number is the
    day-0 value of every data_layout series, `total` included; afterwards the day's change of the series
    that drives spawning. With `sum_from_camps` (Flee's default) the count is therefore the camps' sum
    plus the `total` series' day-0 value, which never cancels out; without it, the `total` series
    itself. Flee keeps the count at 0 when spawning does not follow observed counts, and so does this.
    """
    if sc.spawn.mode != "observed":
        return np.zeros(sc.days, dtype=np.int64)
    raw = spawn_total(sc, obs)
    from_camps = sc.spawn.sum_from_camps and any(k != "total" for k in obs)
    if from_camps and "total" in obs and len(raw):
        raw = raw + obs["total"][0]
    return raw.astype(np.int64)


def spawn_schedule(sc: Scenario, obs: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, int]]:
    """New agents per day in observed mode, and the day-0 count per camp.

    New arrivals follow the day-to-day increase of the observed total; a fall becomes a debt that
    later increases pay off first, so agents are never removed: the cumulative number spawned is
    the running maximum of the total (Flee's spawning rule).
    """
    total = spawn_total(sc, obs)
    day0: dict[str, int] = {}
    if sc.spawn.insert_day0:
        for p in sc.places:
            if p.kind in ("camp", "idp_camp") and p.name in obs:
                day0[p.name] = int(obs[p.name][0])
        base = total[0]
    else:
        base = 0
    cum = np.maximum.accumulate(np.asarray(total, dtype=np.int64)) - base
    cum = np.maximum(cum, 0)
    new = np.diff(np.concatenate([[0], cum]))
    return new.astype(np.int64), day0
