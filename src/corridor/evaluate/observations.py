"""Point observations (date, place, metric, value, low, high) and what a run says about each.

A row's `metric` is read by the grammar of evaluate.metrics (docs/model.md, "Observation metrics"); its
`place` may be a place name, the city a place lies `within`, a region, a country, 'total', or a name the
scenario's place_names.csv maps to one of those; its `date` a day (YYYY-MM-DD), a month (YYYY-MM) or two
(YYYY-MM/MM). Every `simulated` value is computed from the run's tables.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import states
from ..errors import ScenarioError
from ..scenario.text import csv_rows, read_text
from . import metrics
from .metrics import FATE_ALIASES, MetricError

if TYPE_CHECKING:  # evaluate/ sits below output/: it reads a run's record, never imports the output layer
    from ..output.results import RunResult
    from ..scenario.model import Scenario

__all__ = [
    "COLUMNS",
    "FATE_ALIASES",
    "FATE_METRICS",
    "OBSERVATION_COHORTS",
    "PLACE_NAMES",
    "Observation",
    "bind",
    "compare",
    "compare_values",
    "read_observation_cohorts",
    "read_observations",
    "read_place_names",
    "simulate",
    "since",
]

COLUMNS = ("date", "place", "metric", "value", "low", "high", "source", "note")
PLACE_NAMES = "place_names.csv"  # in a scenario folder: names the observation files use -> the scenario's
# in a scenario folder: (metric, place) of the observation files -> the departures cohort the reported figure counts
OBSERVATION_COHORTS = "observation_cohorts.csv"
DATE_FORMS = "YYYY-MM-DD, YYYY-MM (a month) or YYYY-MM/MM (two months of one year)"


@dataclass
class Observation:
    row: int
    date: dt.date  # the day, or the first day of the month(s) `period` names
    place: str
    metric: str
    value: float
    low: float
    high: float
    source: str = ""
    note: str = ""
    period: str = ""  # the date cell when it names a month ('2021-08') or two ('2021-05/06'); '' for a day
    target: str = ""  # the scenario's name for `place` when it is not `place` itself (place_names.csv)
    spec: str = ""  # the metric in the grammar's own words when the row's resolves to another

    @property
    def first(self) -> dt.date:
        return self.date

    @property
    def last(self) -> dt.date:
        """The last day the observation covers: the date, or the last day of its month(s)."""
        if not self.period:
            return self.date
        month = int(self.period.rpartition("/")[2][-2:]) if "/" in self.period else self.date.month
        return dt.date(self.date.year, month, calendar.monthrange(self.date.year, month)[1])

    @property
    def when(self) -> str:
        return self.period or self.date.isoformat()


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTHS = re.compile(r"^(\d{4})-(\d{2})(?:/(\d{2}))?$")


def parse_date(text: str) -> tuple[dt.date, str]:
    """(first day, period) of a date cell: a day, a month or two months; ValueError when it is neither."""
    m = _MONTHS.match(text)
    if not m:
        if not _DAY.match(text):  # fromisoformat alone would take 20181025 and 2018-W43-4 too
            raise ValueError(text)
        return dt.date.fromisoformat(text), ""
    year, first, last = int(m.group(1)), int(m.group(2)), int(m.group(3) or m.group(2))
    if not (1 <= first <= last <= 12):
        raise ValueError(text)
    return dt.date(year, first, 1), text


def read_observations(path: str | Path, scenario: Scenario | None = None, strict: bool = True) -> list[Observation]:
    """The rows of an observations CSV; every bad cell is a one-line ScenarioError (file, line, column).

    Each metric must be in the grammar (evaluate.metrics). With `scenario`, each row's place and metric are
    also checked against it (the place through its place_names.csv): a place it does not have, or a metric
    it cannot produce, is the one-line error, with the valid ones. `strict=False` leaves such rows
    unresolved instead (no simulated value, and the reason, in the comparison)."""
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
    names = read_place_names(scenario) if scenario is not None else {}
    cohorts = read_observation_cohorts(scenario) if scenario is not None else {}
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
            date, period = parse_date(rec["date"])
        except ValueError:
            raise ScenarioError(
                "malformed date", file=file, row=lineno, field="date", value=rec["date"], expected=DATE_FORMS
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
        ob = Observation(
            row=lineno,
            date=date,
            place=rec["place"],
            metric=rec["metric"],
            source=rec.get("source", ""),
            note=rec.get("note", ""),
            period=period,
            **nums,
        )
        try:
            metrics.parse(ob.metric)
            if scenario is not None:
                r = metrics.resolve(scenario, _of_cohort(ob, cohorts), ob.place, names)
                ob.target = r.target if r.target != ob.place else ""
                canonical = r.metric.canonical()
                ob.spec = canonical if canonical != ob.metric else ""
        except MetricError as exc:
            if strict:
                raise ScenarioError(
                    exc.problem, file=file, row=lineno, field=exc.field, value=rec[exc.field], expected=exc.expected
                ) from None
        out.append(ob)
    return out


def _of_cohort(ob: Observation, cohorts: Mapping[tuple[str, str], str]) -> str:
    """The row's metric, filtered to the cohort the scenario's observation_cohorts.csv says it counts."""
    cohort = cohorts.get((ob.metric, ob.place))
    if not cohort:
        return ob.metric
    body, bracket, rest = ob.metric.partition("[")
    return f"{body}[cohort={cohort}," + rest if bracket else f"{ob.metric}[cohort={cohort}]"


def read_observation_cohorts(sc: Scenario) -> dict[tuple[str, str], str]:
    """The scenario folder's observation_cohorts.csv (columns metric,place,cohort): the rows of the observation
    files (a metric at a place, as the file writes them) whose figure counts some departures cohorts only (the
    caravans' migrants, not everyone there; several separated by ';'), so that the run's value counts them
    too. The shared observation files stay as the sources wrote them. {} where there is none."""
    if not sc.source:
        return {}
    path = Path(sc.source)
    path = (path if path.is_dir() else path.parent) / OBSERVATION_COHORTS
    if not path.is_file():
        return {}
    return dict(_observation_cohorts(str(path), path.stat().st_mtime_ns, tuple(sc.cohorts()[1:])))


@lru_cache(maxsize=16)
def _observation_cohorts(file: str, _mtime: int, known: tuple[str, ...]) -> tuple[tuple[tuple[str, str], str], ...]:
    from ..scenario.native import read_table

    out: dict[tuple[str, str], tuple[str, int]] = {}
    for r in read_table(Path(file), {"metric": True, "place": True, "cohort": True}):
        metric = r.required("metric", "a metric as the observation file writes it")
        place = r.required("place", "a place as the observation file writes it")
        cohort = r.required("cohort", "cohorts of departures.csv, separated by ';'")
        for c in cohort.split(";"):
            if c not in known:
                raise r.error("unknown cohort", "cohort", c, "cohorts of departures.csv, separated by ';': "
                              + (", ".join(known) or "none"))  # fmt: skip
        if (metric, place) in out:
            raise r.error("row given twice", "metric", metric, f"one row per metric and place (first at line "
                          f"{out[(metric, place)][1]})")  # fmt: skip
        out[(metric, place)] = (cohort, r.line)
    return tuple((k, v) for k, (v, _) in out.items())


def read_place_names(sc: Scenario) -> dict[str, str]:
    """The scenario folder's place_names.csv (columns name,place): a name the observation files use ->
    a place, city (within), region or country of the scenario, 'total', or '-' for a place the scenario
    does not model (its rows are read and shown without a value, with the reason). {} where there is none."""
    if not sc.source:
        return {}
    path = Path(sc.source)
    path = (path if path.is_dir() else path.parent) / PLACE_NAMES
    if not path.is_file():
        return {}
    return dict(_place_names(str(path), path.stat().st_mtime_ns, frozenset(metrics.scenario_names(sc))))


@lru_cache(maxsize=16)
def _place_names(file: str, _mtime: int, known: frozenset[str]) -> tuple[tuple[str, str], ...]:
    import difflib

    from ..scenario.native import read_table

    out: dict[str, tuple[str, int]] = {}
    for r in read_table(Path(file), {"name": True, "place": True}):
        name = r.required("name", "the name an observation file gives a place")
        place = r.required("place", "a place, city, region or country of the scenario, 'total', or '-' (not modelled)")
        if place not in (metrics.TOTAL, metrics.OUTSIDE) and place not in known:
            close = difflib.get_close_matches(place, sorted(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise r.error(
                "unknown place", "place", place, "a place, city (within), region or country of the scenario" + hint
            )
        if name in out:
            raise r.error("name given twice", "name", name, f"one row per name (first at line {out[name][1]})")
        out[name] = (place, r.line)
    return tuple((k, v) for k, (v, _) in out.items())


_SINCE = re.compile(r"since (\d{1,2} [A-Za-z]{3,9} \d{4}|\d{4}-\d{2}-\d{2})", re.IGNORECASE)


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
        parsed = metrics.parse(alias)
        assert (parsed.quantities, parsed.window == "cumulative") == rule, f"alias {alias}: the grammar differs"
        out[alias] = rule
    return out


# the outcomes' metrics: metric -> (outcomes summed, cumulative?); a cumulative count starts on the day its
# note names ('since 19 Oct 2018'), else on the first day of the run (the grammar reads them all)
FATE_METRICS = _fate_metrics()


def resolved(sc: Scenario, ob: Observation, names: Mapping[str, str] | None = None) -> metrics.Resolved:
    """An observation's metric and place checked against scenario `sc` (MetricError when it cannot)."""
    if names is None and not ob.target:
        names = read_place_names(sc)
    return metrics.resolve(sc, ob.spec or _of_cohort(ob, read_observation_cohorts(sc)), ob.target or ob.place, names)


def bind(sc: Scenario, observations: Sequence[Observation]) -> list[Observation]:
    """The observations with each row's place and metric in the scenario's own words (`target`, `spec`: its
    place_names.csv and observation_cohorts.csv applied), so that they resolve without the scenario folder:
    on a worker, where a scenario comes without it. A row that does not resolve is left as it is."""
    try:
        names, cohorts = read_place_names(sc), read_observation_cohorts(sc)
    except ScenarioError:
        return list(observations)
    out = []
    for ob in observations:
        if ob.target or ob.spec:
            out.append(ob)
            continue
        try:
            r = metrics.resolve(sc, _of_cohort(ob, cohorts), ob.place, names)
        except MetricError:
            out.append(ob)
            continue
        canonical = r.metric.canonical()
        target = r.target if r.target != ob.place else ""
        out.append(replace(ob, target=target, spec=canonical if canonical != ob.metric else ""))
    return out


def simulate(res: RunResult, ob: Observation) -> float | None:
    """The run's value for one observation, or None when the scenario does not produce the metric, the
    period is not wholly simulated, or the metric is an input (not scored)."""
    try:
        r = resolved(res.scenario, ob)
    except (MetricError, ScenarioError):
        return None
    start = since(ob.note) if r.metric.window == "cumulative" else None
    return metrics.value(res, r, ob.first, ob.last, start)


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
            "date": ob.when,
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
    try:
        r = resolved(scenario, ob)
    except MetricError as exc:
        if exc.field == "place":
            return "no place, region or country of that name in the scenario"
        return exc.problem
    except ScenarioError as exc:
        return str(exc)
    if not r.scored:
        return r.why_not
    first, last = ob.first, ob.last
    if r.metric.window == "month":
        first, last = metrics.month_span(first, last)
    if (first - scenario.start_date).days < 0 or (last - scenario.start_date).days >= days:
        return "date outside the simulated period" if first == last else "period not wholly simulated"
    return f"metric '{ob.metric}' has no value on that date (nothing counted)"
