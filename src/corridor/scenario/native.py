"""corridor's own scenario folder: scenario.yaml + CSV tables (docs/scenario-format.md).

Layout: scenario.yaml (period, spawning and movement rules), places.csv and links.csv (required),
closures.csv, conflicts.csv and observed.csv (optional). Every CSV has a header row naming its
columns; blank lines and lines starting with '#' are skipped; dates are YYYY-MM-DD and become day
offsets from start_date. Every bad input is reported as one ScenarioError naming the file, the
line, the field, the bad value and what is valid.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import ScenarioError, at
from .model import (
    MAX_DAYS,
    MAX_HOUSEHOLD,
    MAX_PEOPLE,
    OUTCOMES,
    PLACE_KINDS,
    REENTRY_OUTCOMES,
    WHY,
    Asylum,
    Caravan,
    CaravanStop,
    Closure,
    ConflictPeriod,
    Departure,
    Hazard,
    Link,
    March,
    MoveRules,
    Place,
    Port,
    PortEvent,
    Reentry,
    ReentryRule,
    ReturnRule,
    Scenario,
    SeriesPoint,
    SpawnRules,
    build,
    no_spawn_series,
)
from .text import csv_rows, read_text
from .text import read_yaml as parse_yaml

SCENARIO_YAML = "scenario.yaml"
YAML_KEYS = (
    "name",
    "description",
    "start_date",
    "end_date",
    "days",
    "hasten",
    "counts_by_nationality",
    "counts_by_cohort",
    "spawn",
    "move",
    "asylum",
    "reentry",
)
YAML_SECTIONS: dict[str, type[BaseModel]] = {
    "spawn": SpawnRules,
    "move": MoveRules,
    "asylum": Asylum,
    "reentry": Reentry,
}

# name -> (required column?); column order is the documented order.
PLACE_COLUMNS = {
    "name": True,
    "kind": False,
    "country": False,
    "region": False,
    "within": False,
    "lat": False,
    "lon": False,
    "population": False,
    "capacity": False,
    "conflict_date": False,
    "movechance": False,
    "attraction": False,
    "turns_away": False,
    "opens": False,
    "closes": False,
    "move_to": False,
    "deactivation_probability": False,
    "capacity_per_day": False,
    "conflict_intensity": False,
}
DEPARTURE_COLUMNS = {
    "place": True,
    "start": True,
    "end": False,
    "count": True,
    "cohort": False,
    "caravan": False,
    "nationality": False,
    "children": False,
    "household_size": False,
}
CARAVAN_COLUMNS = {
    "caravan": True,
    "place": True,
    "hold_until": False,
    "pace": False,
    "leave": False,
    "gather": False,
}
HAZARD_COLUMNS = {
    "outcome": True,
    "where": True,
    "start": False,
    "end": False,
    "rate": True,
    "cohort": False,
    "per_week_waited": False,
    "per_crowding": False,
    "apprehended": False,
    "to": False,
    "surrender": False,
    "per_expected_wait": False,
    "per_others_crossed": False,
    "group_size_power": False,
    "group_ref": False,
    "travelling": False,
}
REENTRY_COLUMNS = {"outcome": True, "share": True, "days": False, "place": True, "cohort": False}
MARCH_COLUMNS = {
    "date": True,
    "where": True,
    "share": True,
    "cross": False,
    "apprehended": False,
    "deported": False,
    "cohort": False,
}
LINK_COLUMNS = {"a": True, "b": True, "distance": True, "speed": False, "death_rate": False, "walk_probability": False}
CLOSURE_COLUMNS = {"kind": True, "a": True, "b": False, "start": True, "end": False}
CONFLICT_COLUMNS = {"place": True, "start": True, "end": False, "intensity": False}
OBSERVED_COLUMNS = {"date": True, "place": True, "count": True}
PORT_COLUMNS = {
    "port": True,
    "capacity_per_day": True,
    "signup_places": False,
    "initial_waitlist": False,
    "fixed_capacity": False,
    "sign_rate": False,
    "onward_to": False,
    "group_size": False,
    "numbers_per_day": False,
    "absent": False,
    "choice_noise": False,
    "waitlist_place": False,
}
PORT_EVENT_COLUMNS = {"date": True, "port": True, "kind": True, "value": True}
RETURN_COLUMNS = {
    "date": True,
    "port": True,
    "per_day": False,
    "return_to": True,
    "hearing_days": False,
    "nationalities": False,
    "exempt": False,
    "children": False,
}

NATIVE_CLOSURE_KINDS = ("country", "location", "link", "camp", "idp_camp")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_REQUIRED = object()


def is_native_folder(path: Path) -> bool:
    return (Path(path) / SCENARIO_YAML).is_file()


# --- CSV tables -----------------------------------------------------------------------------


class Row:
    """One data row of a table: cells by column name, plus where it came from."""

    def __init__(self, path: Path, line: int, cells: dict[str, str]) -> None:
        self.path, self.line, self.cells = path, line, cells
        self.at = at(str(path), line)

    def text(self, column: str) -> str:
        return self.cells.get(column, "")

    def error(
        self, problem: str, column: str | None, value: object = None, expected: str | None = None
    ) -> ScenarioError:
        return ScenarioError(problem, file=str(self.path), row=self.line, field=column, value=value, expected=expected)

    def required(self, column: str, expected: str) -> str:
        s = self.text(column)
        if s == "":
            raise self.error("missing value", column, expected=expected)
        return s

    def number(
        self,
        column: str,
        *,
        whole: bool = False,
        ge: float | None = None,
        gt: float | None = None,
        le: float | None = None,
        blank: Any = _REQUIRED,
        unit: str = "",
    ) -> Any:
        """The cell as a number within bounds; a blank cell gives `blank` (required by default)."""
        s = self.text(column)

        def refuse(problem: str, value: str | None = s) -> ScenarioError:
            bounds = [f"{sym} {_fmt(v)}" for sym, v in ((">=", ge), (">", gt), ("<=", le)) if v is not None]
            expected = "a whole number" if whole else "a number"
            if bounds:
                expected += " " + " and ".join(bounds)
            expected += f" ({unit})" if unit else ""
            return self.error(problem, column, value, expected)

        if s == "":
            if blank is not _REQUIRED:
                return blank
            raise refuse("missing value", None)
        try:
            x = float(s)
        except ValueError:
            raise refuse("not a number") from None
        if not math.isfinite(x):
            raise refuse("not a finite number")
        if whole and x != int(x):
            raise refuse("not a whole number")
        if ge == 0 and x < 0:
            raise refuse("negative value")
        if (ge is not None and x < ge) or (gt is not None and x <= gt) or (le is not None and x > le):
            raise refuse("out of range")
        return int(x) if whole else x

    def date(self, column: str, *, blank: bool = False) -> dt.date | None:
        s = self.text(column)
        if s == "" and blank:
            return None
        return parse_date(s, str(self.path), self.line, column)


def parse_date(value: object, file: str, row: int | None, field: str) -> dt.date:
    s = str(value).strip() if value is not None else ""
    if s == "":
        raise ScenarioError("missing date", file=file, row=row, field=field, expected="a date as YYYY-MM-DD")
    try:
        if not _DATE.match(s):
            raise ValueError
        return dt.date.fromisoformat(s)
    except ValueError:
        raise ScenarioError(
            "malformed date", file=file, row=row, field=field, value=s, expected="a date as YYYY-MM-DD"
        ) from None


def read_table(path: Path, columns: dict[str, bool]) -> list[Row]:
    """The data rows of a CSV table whose header names some of `columns` (all required ones).

    The whole file is read before the first row is returned, so a file cut short is refused before any
    of it is used.
    """
    text = read_text(path, f"a CSV table with columns {','.join(columns)}")
    header: list[str] | None = None
    rows = []
    for line, cells in csv_rows(path, text):
        if cells[0].startswith("#"):
            continue
        if header is None:
            header = _header(cells, path, line, columns)
            continue
        if len(cells) > len(header) and any(cells[len(header) :]):
            raise ScenarioError(
                "more cells than header columns",
                file=str(path),
                row=line,
                value=",".join(cells[len(header) :]),
                expected=f"{len(header)} cells: {','.join(header)}",
            )
        rows.append(Row(path, line, {h: cells[i] if i < len(cells) else "" for i, h in enumerate(header)}))
    if header is None:
        raise ScenarioError(
            "no header row" if text.strip() else "empty file",
            file=str(path),
            row=1,
            expected=f"a first line naming the columns, from {','.join(columns)}",
        )
    return rows


def _header(cells: list[str], path: Path, line: int, columns: dict[str, bool]) -> list[str]:
    valid = ",".join(columns)
    names = [c.lower() for c in cells]
    for c, n in zip(cells, names, strict=True):
        if n not in columns:
            problem = "empty column name" if n == "" else "unknown column"
            raise ScenarioError(
                problem, file=str(path), row=line, field=c or None, value=c or None, expected=f"columns from {valid}"
            )
        if names.count(n) > 1:
            raise ScenarioError(
                "column named twice", file=str(path), row=line, field=c, value=c, expected="each column once"
            )
    for col, required in columns.items():
        if required and col not in names:
            raise ScenarioError(
                "missing required column",
                file=str(path),
                row=line,
                field=col,
                expected="a header with " + ",".join(k for k, r in columns.items() if r) + f" (all columns: {valid})",
            )
    return names


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _build(cls: type[Any], data: dict[str, Any], row: Row) -> Any:
    """Model item from one row; any error left for pydantic is still reported at file:line."""
    return build(cls, data, str(row.path), row.line)


# --- the tables -------------------------------------------------------------------------------


def read_places(path: Path, start: dt.date) -> list[Place]:
    places = []
    for r in read_table(path, PLACE_COLUMNS):
        name = r.required("name", "a place name")
        kind = r.text("kind").lower() or "town"
        if kind not in PLACE_KINDS:
            raise r.error("unknown place kind", "kind", r.text("kind"), "one of " + ", ".join(PLACE_KINDS))
        conflict = r.date("conflict_date", blank=True)
        if conflict is not None and kind != "conflict_zone":
            raise r.error(
                "conflict_date is only read for conflict zones",
                "conflict_date",
                r.text("conflict_date"),
                "a blank cell, or kind conflict_zone",
            )
        data = {
            "name": name,
            "kind": kind,
            "country": r.text("country") or "unknown",
            "region": r.text("region"),
            "within": r.text("within"),
            "lat": r.number("lat", ge=-90, le=90, blank=0.0, unit="degrees"),
            "lon": r.number("lon", ge=-180, le=180, blank=0.0, unit="degrees"),
            "population": r.number("population", whole=True, ge=0, blank=0, unit="people"),
            "capacity": r.number("capacity", whole=True, ge=0, blank=None, unit="people; blank: unlimited"),
            "conflict_date": None if conflict is None else (conflict - start).days,
            "movechance": r.number("movechance", ge=0, le=1, blank=None, unit="a day; blank: by kind"),
            "attraction": r.number("attraction", ge=0, blank=1.0, unit="score multiplier; blank: 1"),
            "turns_away": _yes_no(r, "turns_away"),
            "opens": _day_or_none(r, "opens", start),
            "closes": _day_or_none(r, "closes", start),
            "move_to": r.text("move_to") or None,
            "deactivation_probability": r.number(
                "deactivation_probability",
                ge=0,
                le=1,
                blank=0.0,
                unit="a day, a camp's chance of keeping people for good; blank: 0",
            ),
            "capacity_per_day": r.number(
                "capacity_per_day", whole=True, ge=0, blank=0, unit="people added to the capacity a day; blank: 0"
            ),
            "conflict_intensity": r.number(
                "conflict_intensity", gt=0, blank=1.0, unit="a conflict zone's intensity from conflict_date; blank: 1"
            ),
            "at": r.at,
        }
        places.append(_build(Place, data, r))
    return places


def read_links(path: Path) -> list[Link]:
    links = []
    for r in read_table(path, LINK_COLUMNS):
        data = {
            "a": r.required("a", "a place name"),
            "b": r.required("b", "a place name"),
            "distance": r.number("distance", ge=0, unit="km"),
            "speed": r.number("speed", gt=0, blank=None, unit="km/day; blank: move.max_move_speed"),
            "death_rate": r.number("death_rate", ge=0, le=1, blank=0.0, unit="chance a day on the road; blank: 0"),
            "walk_probability": r.number(
                "walk_probability", ge=0, le=1, blank=0.0, unit="chance a day of going at walking speed; blank: 0"
            ),
            "at": r.at,
        }
        links.append(_build(Link, data, r))
    return links


def read_departures(path: Path, start: dt.date, days: int) -> list[Departure]:
    """departures.csv: `count` people set out from `place` evenly over [start, end) (blank end: one day).

    Only the part inside the run is kept: days before start_date are dropped with their people.
    """
    if not path.is_file():
        return []
    out = []
    for r in read_table(path, DEPARTURE_COLUMNS):
        place = r.required("place", "a place name")
        s, e = _period(r, start)
        count = r.number("count", whole=True, ge=0, unit="people")
        n_days = 1 if e is None else e - s
        first, last = max(s, 0), min(s + n_days, days)
        if last <= first:
            continue
        kept = count * (last - first) // n_days if n_days > 1 else count
        data = {
            "place": place,
            "start": first,
            "end": None if e is None else last,
            "count": kept,
            "cohort": r.text("cohort"),
            "caravan": r.text("caravan"),
            "nationality": r.text("nationality"),
            "children": r.number("children", ge=0, le=1, blank=0.0, unit="share of them"),
            "household_size": r.number("household_size", ge=1, le=MAX_HOUSEHOLD, blank=1.0, unit="people"),
            "at": r.at,
        }
        out.append(_build(Departure, data, r))
    return out


def _yes_no(r: Row, column: str) -> bool:
    v = r.text(column).lower()
    if v in ("", "no", "false", "0"):
        return False
    if v in ("yes", "true", "1"):
        return True
    raise r.error("not yes or no", column, r.text(column), "yes or no (blank: no)")


def _day_or_none(r: Row, column: str, start: dt.date) -> int | None:
    d = r.date(column, blank=True)
    if d is None:
        return None
    if d < start:
        raise r.error("date before the scenario's start_date", column, r.text(column), f"{start.isoformat()} or later")
    return (d - start).days


def read_caravans(path: Path, start: dt.date) -> list[Caravan]:
    """caravans.csv: one row per stop, in route order, grouped by caravan name."""
    if not path.is_file():
        return []
    stops: dict[str, list[CaravanStop]] = {}
    first_row: dict[str, Row] = {}
    for r in read_table(path, CARAVAN_COLUMNS):
        name = r.required("caravan", "a caravan name")
        first_row.setdefault(name, r)
        data = {
            "place": r.required("place", "a place on the caravan's route"),
            "hold_until": _day_or_none(r, "hold_until", start),
            "pace": r.number("pace", gt=0, blank=None, unit="km a day; blank: as before"),
            "leave": r.number("leave", ge=0, le=1, blank=None, unit="chance a day; blank: as before"),
            "gather": _yes_no(r, "gather"),
            "at": r.at,
        }
        stops.setdefault(name, []).append(_build(CaravanStop, data, r))
    return [_build(Caravan, {"name": k, "stops": v, "at": first_row[k].at}, first_row[k]) for k, v in stops.items()]


def read_hazards(path: Path, start: dt.date) -> list[Hazard]:
    """hazards.csv: daily chances of being deported, going home, asking for refuge, crossing, moving on."""
    if not path.is_file():
        return []
    out = []
    for r in read_table(path, HAZARD_COLUMNS):
        outcome = r.required("outcome", "one of " + ", ".join(OUTCOMES)).lower()
        if outcome not in OUTCOMES:
            raise r.error("unknown outcome", "outcome", r.text("outcome"), "one of " + ", ".join(OUTCOMES))
        first = r.date("start", blank=True)
        last = r.date("end", blank=True)
        if first is not None and last is not None and last <= first:
            raise r.error("end is not after start", "end", r.text("end"), f"a date after {first.isoformat()}")
        to = r.text("to") or None
        if outcome == "moved" and to is None:
            raise r.error("a moved hazard needs a destination", "to", "", "the name of the place people move to")
        if outcome != "moved" and to is not None:
            raise r.error(f"only a moved hazard has a destination; this one is {outcome}", "to", to, "a blank cell")
        travelling = r.text("travelling").lower()
        if travelling not in ("", "alone", "caravan"):
            raise r.error("unknown way of travelling", "travelling", r.text("travelling"), "alone, caravan or blank")
        data = {
            "outcome": outcome,
            "to": to,
            "where": r.required("where", "a place, city (within), region or country"),
            "start": 0 if first is None else max(0, (first - start).days),
            "end": None if last is None else max(0, (last - start).days),
            "rate": r.number("rate", ge=0, le=1, unit="chance per person per day"),
            "cohort": r.text("cohort"),
            "per_week_waited": r.number("per_week_waited", ge=0, blank=0.0, unit="added share per week on a list"),
            "per_crowding": r.number("per_crowding", ge=0, blank=0.0, unit="added share per unit over capacity"),
            "apprehended": r.number("apprehended", ge=0, le=1, blank=0.0, unit="share of crossers caught"),
            "surrender": r.number("surrender", ge=0, le=1, blank=0.0, unit="share of crossers who surrender"),
            "per_expected_wait": r.number("per_expected_wait", ge=0, blank=0.0, unit="added share per week ahead"),
            "per_others_crossed": r.number(
                "per_others_crossed", ge=0, blank=0.0, unit="added share per crosser per 1,000 present"
            ),
            "group_size_power": r.number("group_size_power", ge=0, blank=0.0, unit="power of the group size"),
            "group_ref": r.number("group_ref", ge=1, blank=1.0, unit="people"),
            "travelling": travelling,
            "at": r.at,
        }
        out.append(_build(Hazard, data, r))
    return out


def read_reentry(path: Path) -> list[ReentryRule]:
    """reentry.csv: per outcome, the share who set out again, after how many days on average, from where."""
    if not path.is_file():
        return []
    out = []
    for r in read_table(path, REENTRY_COLUMNS):
        outcome = r.required("outcome", "one of " + ", ".join(REENTRY_OUTCOMES))
        if outcome not in REENTRY_OUTCOMES:
            raise r.error("unknown outcome", "outcome", outcome, "one of " + ", ".join(REENTRY_OUTCOMES))
        data = {
            "outcome": outcome,
            "share": r.number("share", ge=0, le=1, unit="share of them"),
            "days": r.number("days", ge=1, blank=30.0, unit="mean days at home"),
            "place": r.required("place", "a place of places.csv"),
            "cohort": r.text("cohort"),
            "at": r.at,
        }
        out.append(_build(ReentryRule, data, r))
    return out


def read_marches(path: Path, start: dt.date, days: int) -> list[March]:
    """marches.csv: dated marches to the border from a city."""
    if not path.is_file():
        return []
    out = []
    for r in read_table(path, MARCH_COLUMNS):
        day = _day(r.date("date"), start)
        data = {
            "day": day,
            "where": r.required("where", "a place, city (within), region or country"),
            "share": r.number("share", ge=0, le=1, unit="share of the people present"),
            "cross": r.number("cross", ge=0, le=1, blank=0.0, unit="share of marchers"),
            "apprehended": r.number("apprehended", ge=0, le=1, blank=0.0, unit="share of those crossing"),
            "deported": r.number("deported", ge=0, le=1, blank=0.0, unit="share of marchers not crossing"),
            "cohort": r.text("cohort"),
            "at": r.at,
        }
        if 0 <= day < days:
            out.append(_build(March, data, r))
    return out


def read_ports(path: Path, events_path: Path, start: dt.date) -> list[Port]:
    """ports.csv (one row a port; signup_places separated by ';') and port_events.csv (dated changes)."""
    if not path.is_file():
        if events_path.is_file():
            raise ScenarioError("port_events.csv without ports.csv", file=str(path), expected="a ports.csv table")
        return []
    ports: dict[str, dict[str, Any]] = {}
    for r in read_table(path, PORT_COLUMNS):
        name = r.required("port", "a place of kind port_of_entry")
        if name in ports:
            raise r.error("port listed twice", "port", name, "each port once")
        ports[name] = {
            "place": name,
            "capacity_per_day": r.number("capacity_per_day", ge=0, unit="claims a day"),
            "signup_places": [x.strip() for x in r.text("signup_places").split(";") if x.strip()],
            "initial_waitlist": r.number("initial_waitlist", whole=True, ge=0, blank=0, unit="people"),
            "fixed_capacity": r.number("fixed_capacity", ge=0, blank=None, unit="claims a day, every day"),
            "sign_rate": r.number("sign_rate", gt=0, le=1, blank=1.0, unit="chance a day; blank: 1, on arrival"),
            "onward_to": r.text("onward_to") or None,
            "group_size": r.number("group_size", whole=True, ge=1, blank=None, unit="people a number; blank: none"),
            "numbers_per_day": r.number("numbers_per_day", ge=0, blank=None, unit="numbers a day; blank: no limit"),
            "absent": r.number("absent", ge=0, le=1, blank=0.0, unit="chance a called number is not there"),
            "choice_noise": r.number("choice_noise", ge=0, blank=0.0, unit="days; blank: 0"),
            "waitlist_place": r.text("waitlist_place") or None,
            "events": [],
            "at": r.at,
            "_row": r,
        }
    if events_path.is_file():
        for r in read_table(events_path, PORT_EVENT_COLUMNS):
            name = r.required("port", "a port from ports.csv")
            if name not in ports:
                raise r.error("unknown port", "port", name, "one of " + ", ".join(ports))
            day = _day(r.date("date"), start)
            kind = r.required("kind", "capacity, closed_hours or numbers").lower()
            if kind not in ("capacity", "closed_hours", "numbers"):
                raise r.error("unknown event kind", "kind", r.text("kind"), "capacity, closed_hours or numbers")
            value = r.number("value", ge=0, le=24 if kind == "closed_hours" else None)
            if day >= 0:
                ports[name]["events"].append(
                    _build(PortEvent, {"day": day, "kind": kind, "value": value, "at": r.at}, r)
                )
    return [_build(Port, {k: v for k, v in d.items() if k != "_row"}, d["_row"]) for d in ports.values()]


def read_return_rules(path: Path, start: dt.date, days: int) -> list[ReturnRule]:
    """remain_in_mexico.csv: from each date, how a port applies remain-in-Mexico (one row per port and date)."""
    if not path.is_file():
        return []
    out = []
    rows = read_table(path, RETURN_COLUMNS)
    if not rows:  # rules that send nobody back would leave remain_in_mexico_from without a place to send them
        raise ScenarioError(
            "no rows", file=str(path), row=1, expected="one row per port and date (without rules, delete the file)"
        )
    for r in rows:
        day = _day(r.date("date"), start)
        if day < 0:
            raise r.error(
                "date before the scenario's start_date", "date", r.text("date"), f"{start.isoformat()} or later"
            )
        data = {
            "day": day,
            "port": r.required("port", "a port of ports.csv"),
            "per_day": r.number("per_day", whole=True, ge=0, le=MAX_PEOPLE, blank=None, unit="people; blank: no limit"),
            "return_to": r.required("return_to", "the place where people sent back wait"),
            "hearing_days": r.number(
                "hearing_days",
                whole=True,
                ge=1,
                le=MAX_DAYS,
                blank=None,
                unit="days to the hearing; blank: none, decided after asylum.decision_days",
            ),
            "nationalities": [x.strip() for x in r.text("nationalities").split(";") if x.strip()],
            "exempt": [x.strip() for x in r.text("exempt").split(";") if x.strip()],
            "children": _yes_no(r, "children"),
            "at": r.at,
        }
        if day < days:
            out.append(_build(ReturnRule, data, r))
    return out


def _day(d: dt.date, start: dt.date) -> int:
    return (d - start).days


def _period(r: Row, start: dt.date) -> tuple[int, int | None]:
    """Start and end day of a [start, end) period; end None when blank (to the end of the run)."""
    first = r.date("start")
    assert first is not None
    last = r.date("end", blank=True)
    if last is not None and last <= first:
        raise r.error(
            "end is not after start",
            "end",
            r.text("end"),
            f"a date after {first.isoformat()} (end is the first day no longer in force)",
        )
    return _day(first, start), None if last is None else _day(last, start)


def read_closures(path: Path, start: dt.date) -> list[Closure]:
    """Closures in force on [start, end); a blank end is stored as -1 (never reopens).

    Dates before start_date are in force from day 0; a closure over before day 0 closes nothing
    (start == end).
    """
    if not path.is_file():
        return []
    out = []
    for r in read_table(path, CLOSURE_COLUMNS):
        kind = r.required("kind", "one of " + ", ".join(NATIVE_CLOSURE_KINDS)).lower()
        if kind not in NATIVE_CLOSURE_KINDS:
            raise r.error("unknown closure kind", "kind", r.text("kind"), "one of " + ", ".join(NATIVE_CLOSURE_KINDS))
        a = r.required("a", "a country name" if kind == "country" else "a place name")
        b = r.text("b")
        if kind in ("country", "link") and not b:
            raise r.error(
                f"a {kind} closure needs a second {'country' if kind == 'country' else 'place'}",
                "b",
                expected="the other end of the closed border"
                if kind == "country"
                else "the place at the other end of the closed link",
            )
        if kind not in ("country", "link") and b:
            raise r.error(f"a {kind} closure takes one place", "b", b, "a blank cell")
        s, e = _period(r, start)
        if e is None:
            s, e = max(s, 0), -1
        elif e <= 0:
            s = e = 0
        else:
            s = max(s, 0)
        out.append(_build(Closure, {"kind": kind, "a": a, "b": b, "start": s, "end": e, "at": r.at}, r))
    return out


def read_conflicts(path: Path, start: dt.date, days: int) -> list[ConflictPeriod] | None:
    """Conflict periods [start, end); a blank end runs to the end of the run.

    Periods over before day 0 are dropped; periods begun before day 0 start on day 0.
    """
    if not path.is_file():
        return None
    out = []
    for r in read_table(path, CONFLICT_COLUMNS):
        place = r.required("place", "a place name")
        s, e = _period(r, start)
        intensity = r.number("intensity", gt=0, blank=1.0)
        e = days if e is None else e
        if e <= 0:
            continue
        data = {"place": place, "start": max(s, 0), "end": e, "intensity": intensity, "at": r.at}
        out.append(_build(ConflictPeriod, data, r))
    return out


def read_observed(path: Path, start: dt.date, places: set[str]) -> dict[str, list[SeriesPoint]]:
    if not path.is_file():
        return {}
    series: dict[str, dict[int, SeriesPoint]] = {}
    lines: dict[tuple[str, int], int] = {}
    for r in read_table(path, OBSERVED_COLUMNS):
        d = r.date("date")
        assert d is not None
        place = r.required("place", "a place name or 'total'")
        if place != "total" and place not in places:
            raise r.error(
                "unknown place", "place", place, "a name from places.csv, or 'total'" + _suggest(place, places)
            )
        count = r.number("count", ge=0, unit="people")
        day = _day(d, start)
        if (place, day) in lines:
            raise r.error(
                "second count for the same place and date",
                "date",
                r.text("date"),
                f"one row per place and date (first at line {lines[place, day]})",
            )
        lines[place, day] = r.line
        point = build(SeriesPoint, {"day": day, "value": count}, str(r.path), r.line, {"value": "count"})
        series.setdefault(place, {})[day] = point
    return {name: [pts[d] for d in sorted(pts)] for name, pts in series.items()}


def _suggest(name: str, names: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(names), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_closures(closures: list[Closure], places: list[Place]) -> None:
    """Closure cross-references, reported with this format's column names (a, b)."""
    kinds = {p.name: p.kind for p in places}
    countries = {p.country for p in places}
    for c in closures:
        file, _, line = (c.at or "").rpartition(":")
        row = int(line) if line.isdigit() else None
        if c.kind == "country":
            for col, v in (("a", c.a), ("b", c.b)):
                if v not in countries:
                    raise ScenarioError(
                        "unknown country",
                        file=file,
                        row=row,
                        field=col,
                        value=v,
                        expected="one of " + ", ".join(sorted(countries)),
                    )
            continue
        for col, v in (("a", c.a), ("b", c.b)) if c.kind == "link" else (("a", c.a),):
            if v not in kinds:
                raise ScenarioError(
                    "unknown place",
                    file=file,
                    row=row,
                    field=col,
                    value=v,
                    expected="a name from places.csv" + _suggest(v, set(kinds)),
                )
        if c.kind in ("camp", "idp_camp") and kinds[c.a] not in ("camp", "idp_camp"):
            raise ScenarioError(
                "camp closure of a place that is not a camp",
                file=file,
                row=row,
                field="a",
                value=c.a,
                expected="a place of kind camp or idp_camp",
            )


# --- scenario.yaml ----------------------------------------------------------------------------


def read_yaml(path: Path) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    text = read_text(path, "scenario.yaml with at least start_date and days (or end_date)")
    doc, lines = parse_yaml(path, text)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ScenarioError(
            "not a mapping of keys to values", file=str(path), row=1, expected="keys " + ", ".join(YAML_KEYS)
        )
    for key in doc:
        if key not in YAML_KEYS:
            raise ScenarioError(
                "unknown key",
                file=str(path),
                row=lines.get((str(key),)),
                field=str(key),
                expected="one of " + ", ".join(YAML_KEYS),
            )
    return doc, lines


def _section(doc: dict[str, Any], lines: dict[tuple[str, ...], int], path: Path, key: str) -> Any:
    cls = YAML_SECTIONS[key]
    data = doc.get(key)
    if data is None:  # `move:` with nothing under it
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(
            "not a mapping",
            file=str(path),
            row=lines.get((key,)),
            field=key,
            value=data,
            expected=f"keys from {', '.join(cls.model_fields)}",
        )
    for k in data:
        if str(k) not in cls.model_fields:
            raise ScenarioError(
                "unknown key",
                file=str(path),
                row=lines.get((key, str(k))),
                field=f"{key}.{k}",
                expected="one of " + ", ".join(cls.model_fields),
            )
    try:
        return cls(**data)
    except ValidationError as exc:
        loc = exc.errors()[0].get("loc", ())
        field = str(loc[0]) if loc else ""
        return build(
            cls,
            data,
            str(path),
            lines.get((key, field), lines.get((key,))),
            {f: f"{key}.{f}" for f in cls.model_fields},
        )


def _asylum(
    doc: dict[str, Any], lines: dict[tuple[str, ...], int], path: Path, start: dt.date, first_rule: int | None = None
) -> Asylum:
    """The asylum section; remain_in_mexico_from is a date here (a day number in the model). With
    remain_in_mexico.csv (its first date: `first_rule`) and no remain_in_mexico_from key, the rules start
    on their first date; `remain_in_mexico_from:` left empty switches them off."""
    raw = doc.get("asylum")
    if first_rule is not None and not (isinstance(raw, dict) and "remain_in_mexico_from" in raw):
        asylum = _asylum(doc, lines, path, start)
        asylum.remain_in_mexico_from = first_rule
        return asylum
    if isinstance(raw, dict) and raw.get("remain_in_mexico_from") is not None:
        key = ("asylum", "remain_in_mexico_from")
        when = parse_date(raw["remain_in_mexico_from"], str(path), lines.get(key), "asylum.remain_in_mexico_from")
        if when < start:
            raise ScenarioError(
                "date before start_date",
                file=str(path),
                row=lines.get(key),
                field="asylum.remain_in_mexico_from",
                value=when.isoformat(),
                expected=f"{start.isoformat()} or later",
            )
        doc = {**doc, "asylum": {**raw, "remain_in_mexico_from": (when - start).days}}
    asylum = _section(doc, lines, path, "asylum")
    asylum.at = f"{path}:{lines.get(('asylum',), 1)}"
    return asylum


def _whole(
    doc: dict[str, Any],
    lines: dict[tuple[str, ...], int],
    path: Path,
    key: str,
    low: int,
    high: int,
    why: str,
    default: int | None = None,
) -> int:
    v = doc.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        raise ScenarioError(
            "not a whole number" if not isinstance(v, int) or isinstance(v, bool) else "out of range",
            file=str(path),
            row=lines.get((key,)),
            field=key,
            value=v,
            expected=f"a whole number from {low} to {high:,} ({why})",
        )
    return v


def read_period(doc: dict[str, Any], lines: dict[tuple[str, ...], int], path: Path) -> tuple[dt.date, int]:
    if "start_date" not in doc:
        raise ScenarioError("missing key", file=str(path), field="start_date", expected="start_date: YYYY-MM-DD")
    start = parse_date(doc["start_date"], str(path), lines.get(("start_date",)), "start_date")
    if ("days" in doc) == ("end_date" in doc):
        raise ScenarioError(
            "give exactly one of days and end_date",
            file=str(path),
            row=lines.get(("days",), lines.get(("end_date",))),
            field="days",
            expected="days: N (run length) or end_date: YYYY-MM-DD (last day simulated)",
        )
    most = min(MAX_DAYS, (dt.date.max - start).days + 1)
    why = WHY[MAX_DAYS] if most == MAX_DAYS else "the calendar ends on 9999-12-31"
    if "days" in doc:
        return start, _whole(doc, lines, path, "days", 1, most, why)
    end = parse_date(doc["end_date"], str(path), lines.get(("end_date",)), "end_date")
    if not start <= end < start + dt.timedelta(days=most):
        raise ScenarioError(
            "end_date is before start_date" if end < start else "end_date is too far after start_date",
            file=str(path),
            row=lines.get(("end_date",)),
            field="end_date",
            value=end.isoformat(),
            expected=f"a date from {start.isoformat()} to {(start + dt.timedelta(days=most - 1)).isoformat()}"
            + ("" if end < start else f" ({WHY[MAX_DAYS]})"),
        )
    return start, (end - start).days + 1


def _text(doc: dict[str, Any], lines: dict[tuple[str, ...], int], path: Path, key: str) -> str | None:
    v = doc.get(key)
    if v is None:
        return None
    if isinstance(v, (dict, list)):
        raise ScenarioError(
            "not text", file=str(path), row=lines.get((key,)), field=key, value=v, expected="a line of text"
        )
    return str(v).strip()


# --- the folder -------------------------------------------------------------------------------


def load_native(folder: Path) -> Scenario:
    """Read and validate a scenario folder in corridor's own format."""
    folder = Path(folder)
    ypath = folder / SCENARIO_YAML
    doc, lines = read_yaml(ypath)
    start, days = read_period(doc, lines, ypath)
    hasten = _whole(doc, lines, ypath, "hasten", 1, MAX_PEOPLE, "a larger hasten leaves nobody", default=1)
    by_nation, by_cohort = doc.get("counts_by_nationality", False), doc.get("counts_by_cohort", False)
    for key, flag in (("counts_by_nationality", by_nation), ("counts_by_cohort", by_cohort)):
        if not isinstance(flag, bool):
            raise ScenarioError("not true or false", file=str(ypath), row=lines.get((key,)),
                                field=key, value=flag, expected="true or false")  # fmt: skip
    spawn, move = _section(doc, lines, ypath, "spawn"), _section(doc, lines, ypath, "move")
    spawn.at = f"{ypath}:{lines.get(('spawn',), 1)}"
    move.at = f"{ypath}:{lines.get(('move',), 1)}"
    returns = read_return_rules(folder / "remain_in_mexico.csv", start, days)
    asylum = _asylum(doc, lines, ypath, start, min((r.day for r in returns), default=None))
    reentry = _section(doc, lines, ypath, "reentry")
    reentry.at = f"{ypath}:{lines.get(('reentry',), 1)}"
    reentry.rules = [*reentry.rules, *read_reentry(folder / "reentry.csv")]  # scenario.yaml's `rules:`, then the file's

    places = read_places(folder / "places.csv", start)
    links = read_links(folder / "links.csv")
    closures = read_closures(folder / "closures.csv", start)
    conflicts = read_conflicts(folder / "conflicts.csv", start, days)
    observed = read_observed(folder / "observed.csv", start, {p.name for p in places})
    ports = read_ports(folder / "ports.csv", folder / "port_events.csv", start)
    departures = read_departures(folder / "departures.csv", start, days)
    caravans = read_caravans(folder / "caravans.csv", start)
    hazards = read_hazards(folder / "hazards.csv", start)
    marches = read_marches(folder / "marches.csv", start, days)

    data: dict[str, Any] = {
        "name": _text(doc, lines, ypath, "name") or folder.resolve().name,
        "description": _text(doc, lines, ypath, "description") or "",
        "format": "corridor",
        "start_date": start,
        "days": days,
        "hasten": hasten,
        "counts_by_nationality": by_nation,
        "counts_by_cohort": by_cohort,
        "places": places,
        "links": links,
        "closures": [],
        "conflicts": conflicts,
        "observed": observed,
        "ports": ports,
        "departures": departures,
        "caravans": caravans,
        "hazards": hazards,
        "marches": marches,
        "remain_in_mexico": returns,
        "asylum": asylum,
        "reentry": reentry,
        "spawn": spawn,
        "move": move,
        "source": str(folder),
    }
    if no_spawn_series(spawn, observed):
        raise ScenarioError(
            "spawn.mode is 'observed' but there are no observed counts",
            file=str(folder / "observed.csv"),
            expected="counts in observed.csv, or in scenario.yaml spawn.mode: conflict or departures",
        )
    # Places are checked first (duplicates, then link ends), then closures with this format's names.
    scenario: Scenario = _validated(data, ypath)
    check_closures(closures, places)
    scenario.closures = closures
    return scenario


def _validated(data: dict[str, Any], ypath: Path) -> Scenario:
    try:
        return Scenario(**data)
    except ValidationError:
        return build(Scenario, data, str(ypath), None)
