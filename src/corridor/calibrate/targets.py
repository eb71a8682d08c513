"""What a calibration fits: the observations it may use, and the distance between a run and them.

An observation is used when it is dated up to `until` and what it reports was known by then: a row whose
`source` or `note` names a later date (a sitrep of 30 Nov about 28 Nov) is *reserved* for scoring
forecasts. Without `until`, the cutoff is the last observation's date, so figures published after the
period the observations cover stay out of a calibration unless asked for (`known_by`).

The distance respects the reported ranges: a run inside [low, high] of an observation is at distance 0
from it; outside, at its relative distance from the nearest end (0.2 is 20% beyond it, the tolerance of
`corridor validate`); a run's distance is the root mean square over the observations
(docs/calibration.md says why).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..evaluate.observations import Observation

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"), start=1)}  # fmt: skip
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
# '30 Nov', '4-28 Nov 2018' (its last day), 'Nov 30, 2018', '2018-11-30', 'December 2018' (its first day)
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})\s+{_MONTH}(?:,?\s+(\d{{4}}))?", re.IGNORECASE)
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:,\s+(\d{{4}}))?\b", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(\d{{4}})\b", re.IGNORECASE)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _date(year: int, month: int, day: int, near: dt.date, explicit: bool) -> dt.date | None:
    try:
        d = dt.date(year, month, day)
    except ValueError:
        return None
    if not explicit and d < near - dt.timedelta(days=183):  # '3 Jan' in a report about December
        d = d.replace(year=year + 1)
    return d


def dates_named(text: str, near: dt.date) -> list[dt.date]:
    """The dates a source or note names ('UNICEF sitrep 30 Nov'); a date without a year takes the year of
    `near` (the observation's date), or the next year when that would put it half a year before."""
    out = []
    for m in _DAY_MONTH.finditer(text):
        year = int(m.group(3)) if m.group(3) else near.year
        out.append(_date(year, _MONTHS[m.group(2).lower()[:3]], int(m.group(1)), near, bool(m.group(3))))
    for m in _MONTH_DAY.finditer(text):
        year = int(m.group(3)) if m.group(3) else near.year
        out.append(_date(year, _MONTHS[m.group(1).lower()[:3]], int(m.group(2)), near, bool(m.group(3))))
    taken = {m.span() for m in _MONTH_DAY.finditer(text)}
    for m in _MONTH_YEAR.finditer(text):
        if m.span() not in taken:
            out.append(_date(int(m.group(2)), _MONTHS[m.group(1).lower()[:3]], 1, near, True))
    for m in _ISO.finditer(text):
        out.append(_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), near, True))
    return [d for d in out if d is not None]


@dataclass
class Selection:
    """The observations a calibration uses, and each one left out with why."""

    used: list[Observation]
    excluded: list[tuple[Observation, str]] = field(default_factory=list)
    until: dt.date | None = None
    known_by: dt.date | None = None

    def records(self) -> dict[str, Any]:
        """For the manifest: the rows used and the rows excluded (with why), by line of the file."""
        return {
            "until": self.until.isoformat() if self.until else None,
            "known_by": self.known_by.isoformat() if self.known_by else None,
            "used": [_record(o) for o in self.used],
            "excluded": [{**_record(o), "why": why} for o, why in self.excluded],
        }


def _record(o: Observation) -> dict[str, Any]:
    return {"row": o.row, "date": o.when, "place": o.place, "metric": o.metric, "value": o.value,
            "low": o.low, "high": o.high}  # fmt: skip


def select(
    observations: Sequence[Observation], until: dt.date | None = None, known_by: dt.date | None = None
) -> Selection:
    """The observations dated up to `until` (all if None) whose source and note name no date after
    `known_by` (default: `until`, else the last observation's date); the others with why."""
    if known_by is None:
        known_by = until or max((o.last for o in observations), default=None)
    sel = Selection(used=[], until=until, known_by=known_by)
    for o in observations:
        if until is not None and o.last > until:  # a month's figure is known at its end
            sel.excluded.append((o, f"dated after --until {until.isoformat()}"))
            continue
        later = [d for d in dates_named(f"{o.source} {o.note}", o.date) if known_by and d > known_by]
        if later:
            sel.excluded.append(
                (o, f"reserved: its source is dated {max(later).isoformat()}, after {known_by.isoformat()}")
            )
            continue
        sel.used.append(o)
    return sel


class RangeDistance:
    """The distance between a run's values of the observations and their reported ranges (module doc).

    Called as pyabc calls a distance, `d(x, x_0)` with x = {"y": the run's values} (x_0, the reported
    values, is not needed: the ranges are the distance's own)."""

    def __init__(self, low: Sequence[float], high: Sequence[float]) -> None:
        self.low = np.asarray(low, dtype=np.float64)
        self.high = np.asarray(high, dtype=np.float64)
        if self.low.shape != self.high.shape or np.any(self.low > self.high):
            raise ValueError("low and high must be as long as each other, with low <= high")

    def excess(self, values: Any) -> np.ndarray:
        """Per observation: 0 inside [low, high], else the distance to the nearest end over that end
        (an end of 0 counts as 1); NaN where the run has no value."""
        x = np.asarray(values, dtype=np.float64)
        below = np.maximum(self.low - x, 0.0) / np.maximum(np.abs(self.low), 1.0)
        above = np.maximum(x - self.high, 0.0) / np.maximum(np.abs(self.high), 1.0)
        return below + above

    def __call__(self, x: Mapping[str, Any] | Any, x_0: Any = None) -> float:
        """Root mean square of the excesses; infinite when the run has no value for an observation."""
        d = self.excess(x["y"] if isinstance(x, Mapping) else x)
        if d.size == 0:
            return 0.0
        if np.any(np.isnan(d)):
            return math.inf
        return float(np.sqrt(np.mean(d * d)))
