"""Point observations (date, place, metric, value, low, high) and what a run says about each.

A place in an observation may be a place name, the city a place lies `within`, a region or a country:
'present' in a city, region or country is the sum over its places. Every `simulated` value is
computed from the run's tables.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import states
from ..errors import ScenarioError
from ..scenario.text import csv_rows, read_text

if TYPE_CHECKING:  # evaluate/ sits below output/: it reads a run's record, never imports the output layer
    from ..output.results import RunResult
    from ..scenario.model import Scenario

COLUMNS = ("date", "place", "metric", "value", "low", "high", "source", "note")


@dataclass
class Observation:
    row: int
    date: dt.date
    place: str
    metric: str
    value: float
    low: float
    high: float
    source: str = ""
    note: str = ""


def read_observations(path: str | Path) -> list[Observation]:
    """The rows of an observations CSV; every bad cell is a one-line ScenarioError (file, line, column)."""
    path = Path(path)
    file = str(path)
    text = read_text(path, "a CSV with columns " + ",".join(COLUMNS))
    rows = csv_rows(path, text)
    if not rows:
        raise ScenarioError("empty file", file=file, row=1, expected="a header line: " + ",".join(COLUMNS))
    line, header = rows[0]
    header = [h.lower() for h in header]
    for h in header:
        if h not in COLUMNS or header.count(h) > 1:
            raise ScenarioError(
                "column named twice" if h in COLUMNS else "unknown column",
                file=file,
                row=line,
                field=h or None,
                value=h,
                expected="each of " + ",".join(COLUMNS) + " once",
            )
    missing = [c for c in COLUMNS[:6] if c not in header]
    if missing:
        raise ScenarioError(
            "missing column", file=file, row=line, field=missing[0], expected="columns " + ",".join(COLUMNS)
        )
    out = []
    for lineno, cells in rows[1:]:
        if len(cells) > len(header) and any(cells[len(header) :]):
            raise ScenarioError(
                "more cells than header columns",
                file=file,
                row=lineno,
                value=",".join(cells[len(header) :]),
                expected=f"{len(header)} cells: {','.join(header)}",
            )
        rec = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=False))
        try:
            date = dt.date.fromisoformat(rec["date"])
        except ValueError:
            raise ScenarioError(
                "malformed date", file=file, row=lineno, field="date", value=rec["date"], expected="YYYY-MM-DD"
            ) from None
        nums = {}
        for f in ("value", "low", "high"):
            try:
                nums[f] = float(rec[f])
            except ValueError:
                nums[f] = math.nan
            if not math.isfinite(nums[f]):
                raise ScenarioError(
                    "not a number", file=file, row=lineno, field=f, value=rec[f], expected="a finite number"
                )
        for f in ("place", "metric"):
            if not rec[f]:
                raise ScenarioError("missing value", file=file, row=lineno, field=f, expected=f"a {f} name")
        out.append(
            Observation(
                row=lineno,
                date=date,
                place=rec["place"],
                metric=rec["metric"],
                source=rec.get("source", ""),
                note=rec.get("note", ""),
                **nums,
            )
        )
    return out


def _members(sc: Scenario, where: str) -> np.ndarray:
    """The places an observation's `place` covers. For a port that is where its people are: the port,
    the places where its list is signed and every place in the same cities."""
    port = next((p for p in sc.ports if p.place == where), None)
    if port is None:
        return np.array(sc.places_matching(where), dtype=np.int64)
    names = {port.place, *port.signup_places}
    cities = {p.within for p in sc.places if p.name in names and p.within}
    return np.array([i for i, p in enumerate(sc.places) if p.name in names or p.name in cities or p.within in cities])


def _waypoints(res: RunResult, cols: np.ndarray) -> np.ndarray:
    """Route waypoints (markers) among `cols`, leaving out those in a region where a port's list is
    signed: people there have reached the border."""
    sc = res.scenario
    names = {n for port in sc.ports for n in (port.place, *port.signup_places)}
    border = {p.region for p in sc.places if p.name in names and p.region}
    keep = [j for j in cols if sc.places[j].kind == "marker" and sc.places[j].region not in border]
    return np.array(keep, dtype=np.int64)


_SINCE = re.compile(r"since (\d{1,2} [A-Za-z]{3,9} \d{4}|\d{4}-\d{2}-\d{2})")


def since(note: str) -> dt.date | None:
    """The start date a cumulative observation's note names ('... since 19 Oct 2018'), if any."""
    m = _SINCE.search(note or "")
    if not m:
        return None
    text = m.group(1)
    for fmt in ("%d %b %Y", "%d %B %Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


# The names the reported figures of the 2018 caravans were first written under (observations.csv of
# tijuana-2018 and the shared observation files): metric -> (outcomes summed, cumulative?). Kept as aliases
# of the registry's metrics so those files read as they always did.
FATE_ALIASES: dict[str, tuple[tuple[str, ...], bool]] = {
    "deported_by_mexico": (("deported",), False),
    "deported_by_mexico_cumulative": (("deported",), True),
    "returned_to_origin_cumulative": (("deported", "returned_home"), True),
    "returned_voluntarily_cumulative": (("returned_home",), True),
    "asylum_requests_mexico_cumulative": (("refuge",), True),
    "apprehended_us": (("crossed_caught",), False),
}


def _fate_metrics() -> dict[str, tuple[tuple[str, ...], bool]]:
    """Every outcome of the registry (states.OUTCOMES) as two metrics, `<name>` (that day) and
    `<name>_cumulative`, then the aliases."""
    out: dict[str, tuple[tuple[str, ...], bool]] = {}
    for o in states.OUTCOMES:
        out[o.name] = ((o.name,), False)
        out[f"{o.name}_cumulative"] = ((o.name,), True)
    for alias, rule in FATE_ALIASES.items():
        assert alias not in out, f"alias {alias} hides an outcome's metric"
        assert all(n in states.OUTCOME_NAMES for n in rule[0]), f"alias {alias}: unknown outcome"
        out[alias] = rule
    return out


# metric -> (outcomes summed, cumulative?); a cumulative count starts on the day its note names
# ('since 19 Oct 2018'), else on the first day of the run
FATE_METRICS = _fate_metrics()


def _caravan_size(res: RunResult, day: int, places: set[int]) -> float:
    """Members of the caravans at or around one of `places` that day (in town, passing through, leaving
    or on the road out of it); where no caravan is there, members of the caravans that set out from
    there and are still together."""
    idx = res.scenario.place_index()
    rec = res.record
    at, origin = 0, 0
    for g, cv in enumerate(res.scenario.caravans):
        stops = [idx[s.place] for s in cv.stops]
        last = rec.caravan_stop[day, g]
        first = max(0, rec.caravan_from[day, g])
        if last >= 0 and any(stops[k] in places for k in range(first, last + 1)):
            at += rec.caravan_size[day, g]
        if stops[0] in places:
            origin += rec.caravan_size[day, g]
    return float(at if at else origin)


def simulate(res: RunResult, ob: Observation) -> float | None:
    """The run's value for one observation, or None when the engine does not model the metric."""
    day = (ob.date - res.scenario.start_date).days
    if not 0 <= day < res.days:
        return None
    rec = res.record
    if ob.metric == "waitlist_length" and ob.place in res.ports:
        return float(rec.waitlist[day, res.ports.index(ob.place)])
    cols = _members(res.scenario, ob.place)
    if len(cols) == 0:
        return None
    if ob.metric == "present":
        return float(rec.population[day, cols].sum())
    if ob.metric == "children_present" and len(rec.children):
        return float(rec.children[day, cols].sum())
    if ob.metric == "in_transit":
        return float(rec.in_transit[day, cols].sum() + rec.population[day, _waypoints(res, cols)].sum())
    if ob.metric == "departed":
        return float(rec.departures[: day + 1, cols].sum())
    if ob.metric == "passed_through":
        return float(rec.arrivals[: day + 1, cols].sum())
    if ob.metric == "caravan_size" and res.scenario.caravans:
        return _caravan_size(res, day, set(cols.tolist()))
    if ob.metric in FATE_METRICS and len(rec.fates):
        names, cumulative = FATE_METRICS[ob.metric]
        js = [states.OUTCOME_NAMES.index(n) for n in names]  # Record.fates' last axis is the outcome code
        first = 0
        if cumulative and since(ob.note):
            first = max(0, (since(ob.note) - res.scenario.start_date).days)
        rows = rec.fates[first : day + 1] if cumulative else rec.fates[day : day + 1]
        return float(rows[:, cols][:, :, js].sum())
    return None


def compare(runs: list[RunResult], observations: list[Observation]) -> list[dict[str, Any]]:
    values = [[simulate(r, ob) for r in runs] for ob in observations]
    return compare_values(values, observations, runs[0].scenario, runs[0].days)


def compare_values(
    values: Sequence[Sequence[float | None]], observations: Sequence[Observation], scenario: Scenario, days: int
) -> list[dict[str, Any]]:
    """One row per observation from each run's value of it (`values[i][k]`: run k's value of observation i,
    None or NaN where the run does not model it): the mean over the runs, their lowest and highest, and
    whether the mean is within [0.8 low, 1.2 high]."""
    rows = []
    for ob, vals in zip(observations, values, strict=True):
        known = [float(v) for v in vals if v is not None and not math.isnan(v)]
        sim = float(np.mean(known)) if known else None
        entry: dict[str, Any] = {
            "date": ob.date.isoformat(),
            "place": ob.place,
            "metric": ob.metric,
            "value": ob.value,
            "low": ob.low,
            "high": ob.high,
            "simulated": sim,
        }
        if sim is not None and known:
            entry["simulated_low"] = float(np.min(known))
            entry["simulated_high"] = float(np.max(known))
            entry["within_range"] = bool(0.8 * ob.low <= sim <= 1.2 * ob.high)
        else:
            entry["within_range"] = None
            entry["why_no_value"] = _why(scenario, days, ob)
        rows.append(entry)
    return rows


def _why(scenario: Scenario, days: int, ob: Observation) -> str:
    day = (ob.date - scenario.start_date).days
    if not 0 <= day < days:
        return "date outside the simulated period"
    if len(_members(scenario, ob.place)) == 0:
        return "no place, region or country of that name in the scenario"
    return f"metric '{ob.metric}' is not produced by this scenario"
