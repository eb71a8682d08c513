"""Read a scenario folder in Flee's format, exactly as Flee's users keep it.

Layout: input_csv/{locations,routes,closures,conflicts,sim_period,registration_corrections}.csv,
simsetting.yml, source_data/data_layout.csv and the camp series it names. Headers start with
'#', numbers may be blank; see ../shared/scenarios/flee/README.md.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from ..errors import ScenarioError, _short, at, one_line
from .model import (
    MAX_DAYS,
    MAX_PEOPLE,
    WHY,
    Closure,
    ConflictPeriod,
    Correction,
    Demographic,
    Departure,
    FloodRules,
    Link,
    MajorRoute,
    MoveRules,
    Place,
    Scenario,
    SeriesPoint,
    SpawnRules,
    _suggest,
    build,
    no_spawn_series,
)
from .text import csv_rows, read_text, read_yaml

Warn = Callable[[str], None]


def print_warning(line: str) -> None:
    print(line, file=sys.stderr)


class Notes:
    """Where Flee prints a warning and goes on, corridor does what Flee does and says so in one line
    (`warn`, stderr by default); `strict` makes each of them the usual one-line error instead.

    The lines are held until `flush`, once the whole scenario has loaded: a folder that fails prints its
    one error and nothing else."""

    def __init__(self, strict: bool = False, warn: Warn | None = None) -> None:
        self.strict, self.warn = strict, warn or print_warning
        self.pending: list[str] = []

    def flush(self) -> None:
        for line in self.pending:
            self.warn(line)
        self.pending = []

    def note(
        self,
        problem: str,
        *,
        file: Path | str,
        row: int | None,
        then: str,
        expected: str,
        field: str | None = None,
        value: Any = None,
    ) -> None:
        """`then`: what Flee, and so corridor, does with the input; `expected`: what strict mode wants."""
        if self.strict:
            raise ScenarioError(
                problem, file=str(file), row=row, field=field, value=value, expected=f"{expected} (strict)"
            )
        where = f"{file}:{row}" if row is not None else str(file)
        what = f"field '{field}': " if field is not None else ""
        got = f" (got {_short(repr(value))})" if value is not None else ""
        self.pending.append(one_line(f"{where}: warning: {what}{problem}{got}; {then}"))


def is_flee_folder(path: Path) -> bool:
    return (path / "input_csv" / "locations.csv").is_file()


def _rows(path: Path, comments: bool = False) -> list[tuple[int, list[str]]]:
    """Non-blank rows with their 1-based line numbers; rows whose first cell starts with '#' are
    comments, left out unless `comments`."""
    text = read_text(path, "a file in Flee's scenario layout")
    return [(line, cells) for line, cells in csv_rows(path, text) if comments or not cells[0].startswith("#")]


def _num(text: str, file: Path, row: int | None, field: str, kind: type = float, blank: Any = None) -> Any:
    """A number cell; `kind` int truncates as Flee's int(float(...)) does. NaN and infinity are refused."""
    s = text.strip().strip('"').strip()
    what = f"a {'whole ' if kind is int else ''}number"
    if s == "":
        if blank is not None:
            return blank
        raise ScenarioError("missing value", file=str(file), row=row, field=field, expected=what)
    try:
        x = float(s)
    except ValueError:
        raise ScenarioError("not a number", file=str(file), row=row, field=field, value=s, expected=what) from None
    if not math.isfinite(x):
        raise ScenarioError("not a finite number", file=str(file), row=row, field=field, value=s, expected=what)
    return int(x) if kind is int else x


def _date(text: str, file: Path, row: int, field: str) -> dt.date:
    s = text.strip().strip('"')
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise ScenarioError(
            "malformed date", file=str(file), row=row, field=field, value=s, expected="a date as YYYY-MM-DD"
        ) from None


def _cell(row: list[str], i: int) -> str:
    return row[i] if i < len(row) else ""


_KIND_WORDS = (
    ("camp", "camp"),
    ("conflict", "conflict_zone"),
    ("forward", "forwarding_hub"),
    ("marker", "marker"),
    # a flood zone moves with the default chance, as a town; Flee does not flag it a town (which only
    # avoid_short_stints reads) nor make it a camp below 0.005 (docs/flee-compat.md). Flood levels come from
    # flood_level.csv by name, whatever the kind.
    ("flood_zone", "town"),
    ("default", "town"),
    ("town", "town"),
)


def _place_kind(text: str, file: Path, row: int, notes: Notes) -> str:
    low = text.lower()
    for word, kind in _KIND_WORDS:
        if word in low:
            if kind == "camp" and "idp" in low:
                return "idp_camp"
            return kind
    # Flee prints an error and goes on with a place left at move chance 1 and no kind: a forwarding hub
    notes.note(
        "unknown location_type",
        file=file,
        row=row,
        field="location_type",
        value=text,
        then="read as Flee reads it: a place people always move on from, as a forwarding_hub",
        expected="conflict_zone, town, camp, idpcamp, forwarding_hub, marker or flood_zone",
    )
    return "forwarding_hub"


def _need_columns(row: list[str], n: int, path: Path, lineno: int, expected: str) -> None:
    if len(row) < n:
        raise ScenarioError("too few columns", file=str(path), row=lineno, value=len(row), expected=expected)


LOCATION_COLUMNS = "name,region,country,latitude,longitude,location_type,conflict_date,population"


def _header(rows: list[tuple[int, list[str]]], known: int) -> dict[str, int]:
    """Flee's names for the columns after its `known` fixed ones, from the first '#' row that has any
    (Flee keeps such columns as attributes of each place or road)."""
    for _, cells in rows:
        if cells[0].startswith("#") and len(cells) > known:
            return {name.strip().strip('"'): j for j, name in enumerate(cells) if j >= known and name.strip()}
    return {}


def read_locations(path: Path, notes: Notes | None = None, economic_pull: bool = False) -> list[Place]:
    """The places of locations.csv. With `economic_pull` (Flee's use_economic_pull) a place in another country
    than the first place's scores 1 + trade_volume + hdi ** 2 (its attraction), as Flee's location score."""
    notes = notes or Notes(strict=True)  # alone, nothing would flush its warnings: refuse instead
    places = []
    every = _rows(path, comments=True)
    extra = _header(every, 8)
    rows = [(line, cells) for line, cells in every if not cells[0].startswith("#")]
    if not rows:
        raise ScenarioError("no locations", file=str(path), row=1, expected=f"rows of {LOCATION_COLUMNS}")
    home = _cell(rows[0][1], 2) or "unknown"  # Flee's home country: the first location's
    for lineno, r in rows:
        _need_columns(r, 6, path, lineno, LOCATION_COLUMNS)
        kind = _place_kind(_cell(r, 5), path, lineno, notes)
        pop = _num(_cell(r, 7), path, lineno, "population", int, blank=0)
        date_text = _cell(r, 6)
        conflict_date = _num(date_text, path, lineno, "conflict_date", int) if date_text else None
        camp = kind in ("camp", "idp_camp")
        columns = _place_columns(extra, r, path, lineno, kind, conflict_date, notes)
        country = _cell(r, 2) or "unknown"
        pull = 1.0
        if economic_pull and country != home:
            for column in ("trade_volume", "hdi"):
                if column not in extra:  # Flee stops with a KeyError
                    raise ScenarioError("missing column", file=str(path), row=1, field=column,
                                        expected=f"a {column} column for each foreign place")  # fmt: skip
            tv = _num(_cell(r, extra["trade_volume"]).strip('"'), path, lineno, "trade_volume")
            hdi = _num(_cell(r, extra["hdi"]).strip('"'), path, lineno, "hdi")
            pull = 1.0 + (tv + hdi**2)
        data = dict(
            name=_cell(r, 0),
            region=_cell(r, 1),
            country=country,
            attraction=pull,
            lat=_num(_cell(r, 3), path, lineno, "latitude", blank=0.0),
            lon=_num(_cell(r, 4), path, lineno, "longitude", blank=0.0),
            kind=kind,
            population=0 if camp else pop,
            capacity=(pop or None) if camp else None,
            conflict_date=conflict_date if kind == "conflict_zone" else None,
            deactivation_probability=_num(
                _cell(r, extra["deactivation_probability"]).strip('"'),
                path,
                lineno,
                "deactivation_probability",
                blank=0.0,
            )
            if "deactivation_probability" in extra
            else 0.0,
            **columns,
            at=at(str(path), lineno),
        )
        places.append(
            build(
                Place,
                data,
                str(path),
                lineno,
                {"lat": "latitude", "lon": "longitude", "kind": "location_type", "capacity": "population"},
            )
        )
    return places


def _extra(extra: dict[str, int], r: list[str], column: str) -> str:
    return _cell(r, extra[column]).strip().strip('"').strip() if column in extra else ""


def _whole_people(text: str, path: Path, lineno: int, field: str, what: str, notes: Notes) -> int:
    """A count Flee reads with int() of the cell: a whole number (blank: 0, where Flee stops); Flee adds nobody
    for a negative one, and so does corridor, with a note."""
    x = _num(text, path, lineno, field, blank=0.0)
    if not float(x).is_integer() or x > MAX_PEOPLE:
        raise ScenarioError("not a whole number of people", file=str(path), row=lineno, field=field, value=text,
                            expected=f"a whole number from 0 to {MAX_PEOPLE:,} ({what}; blank: 0)")  # fmt: skip
    if x < 0:
        then = "Flee adds nobody for it; read as 0"
        notes.note("negative", file=path, row=lineno, field=field, value=text, then=then,
                   expected=f"a whole number, 0 or more ({what})")  # fmt: skip
        return 0
    return int(x)


def _place_columns(
    extra: dict[str, int], r: list[str], path: Path, lineno: int, kind: str, conflict_date: int | None, notes: Notes
) -> dict[str, Any]:
    """The Place fields of the extra columns Flee acts on, each where Flee reads it.

    capacity_per_day (any place; Flee adds it to the capacity every day) and conflict_intensity (a conflict zone
    Flee makes one at the start, conflict_date 0 or before: one that starts later is a town until then and takes
    intensity 1, as Flee's add_conflict_zone gives it). initial_idps is read by read_initial_idps. Columns read only
    by rules refused in simsetting.yml (ethnicity, religion, farmer_fraction) and any other column change nothing
    and are left alone; deactivation_probability, trade_volume and hdi are read by read_locations."""
    out: dict[str, Any] = {}
    text = _extra(extra, r, "capacity_per_day")
    if text:
        out["capacity_per_day"] = _whole_people(text, path, lineno, "capacity_per_day", "people added a day", notes)
    text = _extra(extra, r, "conflict_intensity")
    if text and kind == "conflict_zone" and (conflict_date or 0) <= 0:
        value = _num(text, path, lineno, "conflict_intensity")
        if not 0 < value <= 1_000_000:
            raise ScenarioError("out of range", file=str(path), row=lineno, field="conflict_intensity", value=text,
                                expected="a number above 0, up to 1,000,000 (blank: 1)")  # fmt: skip
        out["conflict_intensity"] = value
    return out


def read_initial_idps(path: Path, kinds: dict[str, str], notes: Notes) -> list[Departure]:
    """Flee's initial_idps column: people Flee puts in each camp before day 0 (add_initial_refugees, with the camp's
    day-0 count under insert_day0), not divided by hasten; other places' cells are never read. As corridor
    departures on day 0 at the camp: they are counted there and may move on that day, as Flee's. A name repeated
    in locations.csv: the last row's (as the place itself)."""
    every = _rows(path, comments=True)
    extra = _header(every, 8)
    if "initial_idps" not in extra:
        return []
    found: dict[str, Departure] = {}
    for lineno, r in every:
        name = _cell(r, 0)
        if r[0].startswith("#") or kinds.get(name.strip()) not in ("camp", "idp_camp"):
            continue
        n = _whole_people(
            _extra(extra, r, "initial_idps"), path, lineno, "initial_idps", "people in the camp on day 0", notes
        )
        found.pop(name.strip(), None)
        if n:
            found[name.strip()] = Departure(place=name.strip(), start=0, count=n, at=at(str(path), lineno))
    return list(found.values())


def read_agents(path: Path, names: set[str], notes: Notes) -> list[Departure]:
    """Flee's agents.csv (read_from_agents_csv_file): after comments, a header row (location, then attributes),
    then one person a row, at the location named first. They are the day-0 departures of their places, in the
    order the places first appear. A location that is not in locations.csv: Flee prints a line and leaves the
    person out; so does corridor (a warning naming the row; strict: an error). The attribute columns are read by
    Flee's demographic rules only."""
    rows = _rows(path)
    counts: dict[str, int] = {}
    for lineno, cells in rows[1:]:
        name = cells[0].strip().strip('"')
        if name not in names:
            notes.note("unknown place", file=path, row=lineno, field="location", value=name,
                       then="Flee leaves the person out; so does corridor",
                       expected="a name from locations.csv")  # fmt: skip
            continue
        counts[name] = counts.get(name, 0) + 1
    first = {}
    for lineno, cells in rows[1:]:
        first.setdefault(cells[0].strip().strip('"'), lineno)
    return [Departure(place=name, start=0, count=n, at=at(str(path), first[name])) for name, n in counts.items()]


def _chance(text: str, path: Path, lineno: int, field: str, notes: Notes) -> float:
    """A chance Flee compares a uniform draw with: below 0 acts as 0 and above 1 as 1, which corridor takes with
    a note (blank: 0)."""
    x = _num(text, path, lineno, field, blank=0.0)
    if 0.0 <= x <= 1.0:
        return x
    notes.note("not a chance from 0 to 1", file=path, row=lineno, field=field, value=text,
               then=f"Flee's draw is always {'below' if x > 1 else 'above'} it; read as {min(max(x, 0.0), 1.0):g}",
               expected="a number from 0 to 1")  # fmt: skip
    return min(max(x, 0.0), 1.0)


def read_routes(path: Path, notes: Notes) -> list[Link]:
    links = []
    every = _rows(path, comments=True)
    extra = _header(every, 4)
    for lineno, r in every:
        if r[0].startswith("#"):
            continue
        _need_columns(r, 3, path, lineno, "name1,name2,distance[,forced_redirection]")
        # Flee's per-road speed (`max_move_speed` column) replaces move_rules.max_move_speed on that road
        speed = _cell(r, extra["max_move_speed"]) if "max_move_speed" in extra else ""
        # Flee's walk_probability: each day on the road, a chance of going at max_walk_speed instead
        walk = _extra(extra, r, "walk_probability")
        data = dict(
            a=_cell(r, 0),
            b=_cell(r, 1),
            distance=_num(_cell(r, 2), path, lineno, "distance"),
            speed=_num(speed, path, lineno, "max_move_speed") if speed.strip('"') else None,
            forced_redirection=_num(_cell(r, 3), path, lineno, "forced_redirection", int, blank=0),
            walk_probability=_chance(walk, path, lineno, "walk_probability", notes),
            at=at(str(path), lineno),
        )
        if data["a"] == data["b"]:
            # Flee's linkUp takes it without a word: two roads out of the place and back into it, which
            # its route search offers as any other road (dflee_bangladesh_khulna_dist has one)
            notes.note(
                "a road joins a place to itself",
                file=path,
                row=lineno,
                field="name2",
                value=data["b"],
                then="as in Flee it is a road out of the place and back, which people may take",
                expected="two different places",
            )
        links.append(build(Link, data, str(path), lineno, {"a": "name1", "b": "name2", "speed": "max_move_speed"}))
    return links


def read_major_routes(path: Path) -> list[MajorRoute]:
    """Flee's major_routes.csv (read with fixed_routes): a route a row, its places' names in order. Flee drops
    empty cells, attaches the row to the place its first cell names and, reversed, to the one its last cell names
    (an empty first or last cell leaves that direction out), and needs each place joined to the next by a road
    (the scenario checks that). Blank and '#' rows are skipped (Flee stops on a blank row and keeps a '#' row as a
    route from a place of that name)."""
    if not path.is_file():
        return []
    out = []
    for lineno, r in _rows(path):
        names = [c.strip('"') for c in r if c.strip('"')]
        if len(names) < 2:
            raise ScenarioError("a major route of fewer than two places", file=str(path), row=lineno,
                                field="place 2", value=",".join(r),
                                expected="two or more place names, each joined to the next by a road")  # fmt: skip
        data = dict(places=names, forward=bool(r[0].strip('"')), backward=bool(r[-1].strip('"')),
                    at=at(str(path), lineno))  # fmt: skip
        out.append(build(MajorRoute, data, str(path), lineno, {}))
    return out


def read_closures(path: Path) -> list[Closure]:
    if not path.is_file():
        return []
    out = []
    for lineno, r in _rows(path):
        kind = _cell(r, 0).lower()
        kind = {"idpcamp": "idp_camp"}.get(kind, kind)
        data = dict(
            kind=kind,
            a=_cell(r, 1),
            b=_cell(r, 2),
            start=_num(_cell(r, 3), path, lineno, "closure_start", int),
            end=_num(_cell(r, 4), path, lineno, "closure_end", int),
            at=at(str(path), lineno),
        )
        out.append(
            build(
                Closure,
                data,
                str(path),
                lineno,
                {"kind": "closure_type", "a": "name1", "b": "name2", "start": "closure_start", "end": "closure_end"},
            )
        )
    return out


def later_conflicts_as_towns(places: list[Place], conflicts: list[ConflictPeriod]) -> list[Place]:
    """Flee's reader makes a conflict zone whose conflict_date is after day 0 a town; only with no conflict table
    does it become a conflict zone on that date (run.py always names input_csv/conflicts.csv, and Flee's flood
    rules read flood_level.csv instead). With a table, then, such a place is in conflict only where the table
    says so, and a town where it has no conflict in it (nigeria2024: 50 of its 238 conflict zones)."""
    in_table = {c.place for c in conflicts}
    return [
        p.model_copy(update={"kind": "town", "conflict_date": None})
        if p.kind == "conflict_zone" and (p.conflict_date or 0) > 0 and p.name not in in_table
        else p
        for p in places
    ]


def read_conflicts(
    path: Path, days: int, places: set[str] | None = None, notes: Notes | None = None
) -> list[ConflictPeriod] | None:
    """Flee's wide day x place table, as periods of conflict.

    As in Flee, a conflict starts when a place's value turns positive and keeps the intensity of
    that day until the value returns to zero (its age, which drives decay, restarts then). Flee
    indexes the table by row, not by the Day column; the last row holds past the end. A column
    naming no place of `places` is left out with a note (Flee prints an error and goes on).
    """
    notes = notes or Notes(strict=True)  # alone, nothing would flush its warnings: refuse instead
    if not path.is_file():
        return None
    lines = _rows(path, comments=True)
    if not lines:
        return None
    head_line, header = lines[0]
    cols = [(j, n) for j, n in enumerate(header) if j > 0 and n]
    body = lines[1:]
    for lineno, r in body:
        _num(_cell(r, 0), path, lineno, "Day", int)
    if not body or not cols:
        return []
    try:  # the whole table at once; only a table with a bad cell is read again cell by cell, to name it
        table = np.array([[_cell(r, j).strip('"') or "0" for j, _ in cols] for _, r in body], dtype=np.float64)
    except ValueError:
        table = np.zeros(0)
    if table.shape != (len(body), len(cols)) or not np.isfinite(table).all():
        table = np.array([[_num(_cell(r, j), path, lineno, n, blank=0.0) for j, n in cols] for lineno, r in body])
    row_of_day = np.minimum(np.arange(days), len(body) - 1)
    values = table[row_of_day]
    if places is not None:
        # Flee looks a column's name up only when its conflict starts within the run
        for k, (_, name) in enumerate(cols):
            if name not in places and (values[:, k] > 1e-6).any():
                then = "Flee finds no such place when its conflict starts, and goes on; column ignored"
                _unknown_column(notes, path, head_line, name, places, then)
        known = [k for k, (_, name) in enumerate(cols) if name in places]
        cols, values = [cols[k] for k in known], values[:, known]
    on = np.zeros((days + 2, len(cols)), dtype=np.int8)
    on[1:-1] = values > 1e-6
    edges = np.diff(on, axis=0)
    periods = []
    for k, (_, name) in enumerate(cols):
        starts, ends = np.flatnonzero(edges[:, k] == 1), np.flatnonzero(edges[:, k] == -1)
        for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
            data = {
                "place": name,
                "start": first,
                "end": last,
                "intensity": float(values[first, k]),
                "at": at(str(path), body[row_of_day[first]][0]),
            }
            periods.append(build(ConflictPeriod, data, str(path), body[row_of_day[first]][0]))
    return periods


def _unknown_column(notes: Notes, path: Path, row: int, name: str, places: set[str], then: str) -> None:
    """A table's column naming no place of locations.csv: Flee goes on without it (`then`), and so does corridor."""
    notes.note("unknown place", file=path, row=row, field="place", value=name, then=then,
               expected="a name from locations.csv" + _suggest(name, dict.fromkeys(places)))  # fmt: skip


def read_flood_levels(
    path: Path, places: set[str], notes: Notes | None = None, rows: int = 0
) -> dict[str, list[float]]:
    """DFlee's flood_level.csv: a '#Day' column and one column of levels per place, a row a day.

    As Flee, rows are read in order (the Day column is not looked at) and a place's level on a day is
    the row's value; a column naming no place is left out with a note (Flee never looks it up). Flee
    stops where it reads a day past the last row: `rows` is how many the run reads."""
    notes = notes or Notes(strict=True)
    if not path.is_file():
        raise ScenarioError(
            "missing file",
            file=str(path),
            expected="flood levels per place and day (Flee stops without it when its flood rules are on)",
        )
    lines = _rows(path, comments=True)
    if not lines:
        raise ScenarioError("empty file", file=str(path), expected="a header row '#Day,<place>,...' and a row a day")
    head_line, header = lines[0]
    cols = [(j, n.strip()) for j, n in enumerate(header) if j > 0 and n.strip()]
    out: dict[str, list[float]] = {}
    for j, name in cols:
        if name not in places:
            _unknown_column(notes, path, head_line, name, places, "Flee never looks it up; column ignored")
            continue
        out[name] = [_num(_cell(r, j), path, lineno, name) for lineno, r in lines[1:]]
        for (lineno, _), level in zip(lines[1:], out[name], strict=True):
            if abs(level) >= 2**31:  # the engine keeps whole levels in 64 bits; no list reaches this far
                raise ScenarioError(
                    "out of range",
                    file=str(path),
                    row=lineno,
                    field=name,
                    value=level,
                    expected="a flood level below 2,147,483,648 in size",
                )
    if len(lines) - 1 < rows:
        raise ScenarioError(
            "too few rows",
            file=str(path),
            row=lines[-1][0],
            value=len(lines) - 1,
            expected=f"a row for each of the {rows} days the run reads (its days, and the flood "
            "forecast up to its end time)",
        )
    return out


def read_food_insecurity(
    path: Path, places: list[Place], spawn: SpawnRules, move: MoveRules, days: int
) -> dict[str, list[SeriesPoint]]:
    """Flee's region_attributes_IPC.csv: a '#Day' column and one column of IPC levels (0-100) per region, a row
    a point in time; Flee interpolates linearly between the rows (lib_math.dict_interp).

    Where Flee stops, a one-line error instead: a day of the run outside the file's days (dict_interp raises),
    and a place a food rule reads whose region has no column (Flee exits, or fails on the missing key):
    every place with flee_when_starving, the places of the first place's country with
    avoid_food_deprived_locations, the conflict zones (or, without conflict_zone_spawning_only, every place)
    with starvation_driven_spawning."""
    if not path.is_file():
        raise ScenarioError("missing file", file=str(path),
                            expected="IPC levels by region and day (Flee stops without them)")  # fmt: skip
    lines = _rows(path, comments=True)
    if len(lines) < 2:
        raise ScenarioError("no rows", file=str(path), row=1, expected="a header row '#Day,<region>,...' and rows")
    head_line, header = lines[0]
    if header[0].strip() != "#Day":
        raise ScenarioError("first column is not #Day", file=str(path), row=head_line, field="#Day",
                            value=header[0].strip(),
                            expected="'#Day' (Flee looks the days up under that name)")  # fmt: skip
    day_of = [_num(_cell(r, 0), path, lineno, "#Day", int) for lineno, r in lines[1:]]
    if any(b <= a for a, b in zip(day_of, day_of[1:], strict=False)) or not day_of[0] <= 0 < days <= day_of[-1] + 1:
        raise ScenarioError("days out of order or not covering the run", file=str(path), row=lines[1][0],
                            field="#Day", value=f"{day_of[0]}..{day_of[-1]}",
                            expected=f"increasing days from 0 or before to {days - 1} or after (Flee stops on a day "
                                     "outside them)")  # fmt: skip
    out = {}
    for j, name in enumerate(header):
        name = name.strip()
        if j == 0 or not name:
            continue
        out[name] = [SeriesPoint(day=d, value=_num(_cell(r, j), path, lineno, name))
                     for d, (lineno, r) in zip(day_of, lines[1:], strict=True)]  # fmt: skip
    home = places[0].country
    for p in places:
        reads = (move.flee_when_starving or (move.avoid_food_deprived_locations and p.country == home)
                 or (spawn.starvation_driven_spawning and (p.kind == "conflict_zone"
                                                           or not spawn.conflict_zone_spawning_only)))  # fmt: skip
        if reads and p.region not in out:
            raise ScenarioError("no IPC level for a place's region", file=str(path), row=head_line, field="region",
                                value=f"{p.region} ({p.name})",
                                expected="a column for every region a food rule reads (Flee stops)")  # fmt: skip
    return out


def read_demographics(folder: Path) -> dict[str, Demographic]:
    """Every demographics_<attribute>.csv of input_csv, by attribute, in name order (Flee reads them all)."""
    out: dict[str, Demographic] = {}
    for path in sorted(folder.glob("demographics_*.csv")):
        attribute = path.stem.split("_")[1]  # Flee's name: the part after the first _
        out[attribute] = read_demographic(path, attribute)
    return out


def read_demographic(path: Path, attribute: str) -> Demographic:
    """Flee's demographics_<attribute>.csv: a column of values, then a weight column 'Default' and one per
    place named (a person setting out from a place draws a value with that place's weights, else Default's)."""
    lines = _rows(path, comments=True)
    if not lines:
        raise ScenarioError("empty file", file=str(path), expected=f"a header row '{attribute},Default,...'")
    _, header = lines[0]
    if not header or header[0].strip() != attribute:
        raise ScenarioError(
            "unexpected header",
            file=str(path),
            row=lines[0][0],
            value=",".join(header),
            expected=f"'{attribute}' as the first column, then Default and place names",
        )
    body = [(n, r) for n, r in lines[1:] if any(c.strip() for c in r)]
    values = []
    for n, r in body:
        v = _cell(r, 0).strip()
        if not v:
            raise ScenarioError(
                "an empty value", file=str(path), row=n, field=attribute, expected=f"a value of {attribute}"
            )
        values.append(v)
    shares = {
        name.strip(): [_num(_cell(r, j), path, n, name.strip()) for n, r in body]
        for j, name in enumerate(header)
        if j > 0 and name.strip()
    }
    return build(Demographic, {"values": values, "shares": shares, "at": at(str(path), 1)}, str(path), 1)


def read_period(path: Path) -> tuple[dt.date, int]:
    start, length = None, None
    for lineno, r in _rows(path):
        key = _cell(r, 0).lower()
        if key == "startdate":
            start = _date(_cell(r, 1), path, lineno, "StartDate")
        elif key == "length":
            length = _num(_cell(r, 1), path, lineno, "Length", int), lineno, _cell(r, 1)
    if start is None or length is None:
        raise ScenarioError(
            "missing StartDate or Length", file=str(path), expected="two rows: StartDate,YYYY-MM-DD and Length,DAYS"
        )
    days, lineno, text = length
    most = min(MAX_DAYS, (dt.date.max - start).days + 1)
    if not 1 <= days <= most:
        why = WHY[MAX_DAYS] if most == MAX_DAYS else "the calendar ends on 9999-12-31"
        raise ScenarioError(
            "out of range",
            file=str(path),
            row=lineno,
            field="Length",
            value=text,
            expected=f"a whole number of days from 1 to {most:,} ({why})",
        )
    return start, days


def read_series(path: Path, start: dt.date) -> list[tuple[int, float]]:
    """One UNHCR series: (day offset, count) rows; header, comments and blank counts skipped."""
    out = []
    for lineno, r in _rows(path):
        if len(r) < 2 or _cell(r, 1) == "" or _cell(r, 0) in ("Date", "DateTime"):
            continue
        d = _date(_cell(r, 0), path, lineno, "Date")
        count = _num(_cell(r, 1), path, lineno, "count")
        if not 0 <= count <= MAX_PEOPLE:
            raise ScenarioError(
                "out of range",
                file=str(path),
                row=lineno,
                field="count",
                value=_cell(r, 1),
                expected=f"a count from 0 to {MAX_PEOPLE:,} ({WHY[MAX_PEOPLE]})",
            )
        out.append(((d - start).days, count))
    if not out:
        raise ScenarioError("no data rows", file=str(path), expected="rows of YYYY-MM-DD,count")
    return out


def combine_series(first: list[tuple[int, float]], second: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Add a second series to a camp's first one the way Flee's data reader does.

    Flee walks the second series' dates, holding its last value between them, and stops at its
    last date; the validation targets in ANCHORS.md were computed with this rule, so corridor
    uses it too for the same numbers.
    """
    out: list[tuple[int, float]] = []
    i, last2 = 0, 0.0
    for d2, v2 in second:
        while d2 > first[i][0]:
            out.append((first[i][0], first[i][1] + last2))
            if i < len(first) - 1:
                i += 1
            else:
                break
        if d2 == first[i][0]:
            out.append((d2, v2 + first[i][1]))
            if i < len(first) - 1:
                i += 1
            last2 = v2
        elif d2 < first[i][0]:
            out.append((d2, v2 + first[i][1]))
            last2 = v2
    return out


def read_observed(folder: Path, start: dt.date) -> dict[str, list[SeriesPoint]]:
    layout = folder / "source_data" / "data_layout.csv"
    if not layout.is_file():
        return {}
    observed: dict[str, list[SeriesPoint]] = {}
    for lineno, r in _rows(layout):
        if len(r) < 2:
            continue
        name = _cell(r, 0)
        files = [folder / "source_data" / _cell(r, j) for j in range(1, len(r)) if _cell(r, j)]
        for j in range(1, len(r)):
            if "\x00" in _cell(r, j) or _cell(r, j).endswith(("/", "\\")):
                raise ScenarioError(
                    "not a file name", file=str(layout), row=lineno, field="file", value=_cell(r, j),
                    expected="the name of a CSV file in source_data/",
                )  # fmt: skip
        if not files:
            raise ScenarioError(
                "no series file named", file=str(layout), row=lineno, value=name, expected="name,file.csv[,more.csv]"
            )
        series = read_series(files[0], start)
        for extra in files[1:]:
            series = combine_series(series, read_series(extra, start))
        # two series added up may pass the limit that each one keeps
        observed[name] = [build(SeriesPoint, {"day": d, "value": v}, str(layout), lineno) for d, v in series]
    return observed


def read_corrections(path: Path, start: dt.date) -> list[Correction]:
    if not path.is_file():
        return []
    out = []
    for lineno, r in _rows(path):
        if len(r) < 2:
            continue
        d = _date(_cell(r, 1), path, lineno, "date")
        data = {"place": _cell(r, 0).strip('"'), "day": (d - start).days, "at": at(str(path), lineno)}
        out.append(build(Correction, data, str(path), lineno))
    return out


# --- simsetting.yml ------------------------------------------------------------------------------

IMPLEMENTED, NO_EFFECT, REFUSED = "implemented", "no effect", "refused"


def _off(value: Any) -> bool:
    # Flee reads its switches with bool(...), so whatever Python finds false leaves the rule off
    return not value


@dataclass(frozen=True)
class FleeKey:
    """What corridor does with one key of Flee's simsetting.yml (docs/flee-compat.md lists them all).

    `field`: implemented keys, the corridor rule they set (section.field of the Scenario).
    `inert`: refused keys, the values that leave Flee's rule off; those are accepted.
    `warn_if`: no-effect keys, the values a user would expect to do something (Flee never reads them).
    """

    status: str
    field: str | None = None
    inert: Callable[[Any], bool] | None = None
    warn_if: Callable[[Any], bool] | None = None
    why: str = ""


def _key(status: str, field: str | None = None, inert: Callable[[Any], bool] | None = None, **kw: Any) -> FleeKey:
    return FleeKey(status, field, inert, **kw)


_FOOD = "read only by the food rules (refused)"
# move_rules.flood_rules keys Flee uses -> FloodRules fields
_FLOOD_KEYS = {
    "flood_movechances": "movechances",
    "flood_loc_weights": "loc_weights",
    "flood_forecaster": "forecaster",
    "flood_forecaster_timescale": "forecaster_timescale",
    "flood_forecaster_weights": "forecaster_weights",
    "flood_forecaster_end_time": "forecaster_end_time",
    "flood_awareness_weights": "awareness_weights",
}
# Every key Flee's SimulationSettings.ReadFromYML reads (djgroen/flee 02cd2cb), by its path in the file,
# plus the keys FabFlee's scenarios write that Flee never reads. Keys absent from this table are unknown:
# Flee ignores them without a word, corridor warns (strict: refuses).
FLEE_SETTINGS: dict[str, FleeKey] = {
    "number_of_steps": _key(NO_EFFECT, why="Flee's run.py ignores it; sim_period.csv sets the length"),
    "conflict_input_file": _key(NO_EFFECT, why="Flee's run.py overwrites it with input_csv/conflicts.csv"),
    "flood_level_input_file": _key(NO_EFFECT, why="Flee's run.py overwrites it with input_csv/flood_level.csv"),
    "default_conflict_intensity": _key(NO_EFFECT, why="read only for location_changes.csv, which run.py never reads"),
    **{
        f"log_levels.{k}": _key(NO_EFFECT, why="what Flee prints; corridor's outputs are always complete")
        for k in ("agent", "link", "camp", "init", "conflict", "idp_totals", "granularity")
    },
    "spawn_rules.take_from_population": _key(IMPLEMENTED, "spawn.take_from_population"),
    "spawn_rules.insert_day0": _key(IMPLEMENTED, "spawn.insert_day0"),
    "spawn_rules.empty_camps_on_day0": _key(IMPLEMENTED, "spawn.empty_camps_on_day0"),
    "spawn_rules.conflict_zone_spawning_only": _key(IMPLEMENTED, "spawn.conflict_zone_spawning_only"),
    "spawn_rules.flood_zone_spawning_only": _key(IMPLEMENTED, "spawn.mode"),
    "spawn_rules.camps_are_sicks": _key(IMPLEMENTED, "places.deactivation_probability"),
    "spawn_rules.camps_are_sinks": _key(
        NO_EFFECT, warn_if=bool, why="Flee reads the misspelt camps_are_sicks instead, so this key does nothing"
    ),
    "spawn_rules.flood_driven_spawning": _key(
        NO_EFFECT, warn_if=bool, why="Flee never reads it (flood_zone_spawning_only switches flood spawning on)"
    ),
    "spawn_rules.read_from_agents_csv_file": _key(IMPLEMENTED, "departures"),
    "spawn_rules.sum_from_camps": _key(IMPLEMENTED, "spawn.sum_from_camps"),
    "spawn_rules.starvation_driven_spawning": _key(IMPLEMENTED, "spawn.starvation_driven_spawning"),
    "spawn_rules.conflict_driven_spawning": _key(IMPLEMENTED, "spawn.mode"),
    "spawn_rules.conflict_driven_spawning.spawn_mode": _key(IMPLEMENTED, "spawn.rate_mode"),
    "spawn_rules.conflict_driven_spawning.displaced_per_conflict_day": _key(IMPLEMENTED, "spawn.rate"),
    "spawn_rules.average_social_connectivity": _key(IMPLEMENTED, "spawn.average_social_connectivity"),
    "spawn_rules.flood_driven_spawn_mode": _key(IMPLEMENTED, "spawn.mode"),
    "spawn_rules.flood_driven_spawn_mode.spawn_mode": _key(IMPLEMENTED, "spawn.rate_mode"),
    "spawn_rules.flood_driven_spawn_mode.displaced_per_flood_day": _key(IMPLEMENTED, "spawn.flood_rates"),
    "spawn_rules.flood_driven_spawn_mode.flood_forecaster_timescale": _key(
        NO_EFFECT, why="Flee reads it only when a flag it has just set to False is True: never"
    ),
    "spawn_rules.conflict_spawn_decay": _key(IMPLEMENTED, "spawn.conflict_spawn_decay"),
    "spawn_rules.conflict_spawn_decay_interval": _key(IMPLEMENTED, "spawn.conflict_spawn_decay_interval"),
    "move_rules.max_move_speed": _key(IMPLEMENTED, "move.max_move_speed"),
    "move_rules.max_walk_speed": _key(IMPLEMENTED, "move.max_walk_speed"),
    "move_rules.max_crossing_speed": _key(NO_EFFECT, why="read only by Flee's micro model, not by run.py"),
    "move_rules.foreign_weight": _key(IMPLEMENTED, "move.foreign_weight"),
    "move_rules.camp_weight": _key(IMPLEMENTED, "move.camp_weight"),
    "move_rules.conflict_weight": _key(IMPLEMENTED, "move.conflict_weight"),
    "move_rules.conflict_movechance": _key(IMPLEMENTED, "move.conflict_movechance"),
    "move_rules.camp_movechance": _key(IMPLEMENTED, "move.camp_movechance"),
    "move_rules.idpcamp_movechance": _key(IMPLEMENTED, "move.idpcamp_movechance"),
    "move_rules.default_movechance": _key(IMPLEMENTED, "move.default_movechance"),
    "move_rules.awareness_level": _key(IMPLEMENTED, "move.awareness_level"),
    "move_rules.capacity_buffer": _key(IMPLEMENTED, "move.capacity_buffer"),
    "move_rules.capacity_scaling": _key(IMPLEMENTED, "move.capacity_scaling"),
    "move_rules.avoid_short_stints": _key(IMPLEMENTED, "move.avoid_short_stints"),
    "move_rules.start_on_foot": _key(IMPLEMENTED, "move.start_on_foot"),
    "move_rules.use_v1_rules": _key(IMPLEMENTED, "move.max_move_speed"),
    "move_rules.softening": _key(IMPLEMENTED, "move.softening"),
    "move_rules.weight_softening": _key(IMPLEMENTED, "move.weight_softening"),
    "move_rules.weight_power": _key(IMPLEMENTED, "move.weight_power"),
    "move_rules.distance_power": _key(IMPLEMENTED, "move.distance_power"),
    "move_rules.stay_close_to_home": _key(IMPLEMENTED, "move.stay_close_to_home"),
    "move_rules.home_distance_power": _key(IMPLEMENTED, "move.home_distance_power"),
    "move_rules.use_pop_for_loc_weight": _key(IMPLEMENTED, "move.use_pop_for_loc_weight"),
    "move_rules.pop_power_for_loc_weight": _key(IMPLEMENTED, "move.pop_power_for_loc_weight"),
    "move_rules.movechance_pop_base": _key(IMPLEMENTED, "move.movechance_pop_base"),
    "move_rules.movechance_pop_scale_factor": _key(IMPLEMENTED, "move.movechance_pop_scale_factor"),
    # Flee prunes only above 1.001 (its comment says the opposite; the code is what runs)
    "move_rules.pruning_threshold": _key(IMPLEMENTED, "move.pruning_threshold"),
    "move_rules.fixed_routes": _key(IMPLEMENTED, "move.fixed_routes"),
    "move_rules.WomenAvoidHazards": _key(IMPLEMENTED, "move.women_avoid_hazards"),
    "move_rules.ChildrenAvoidHazards": _key(IMPLEMENTED, "move.children_avoid_hazards"),
    "move_rules.ElderlyAvoidHazards": _key(IMPLEMENTED, "move.elderly_avoid_hazards"),
    "move_rules.BoysTakeRisk": _key(IMPLEMENTED, "move.boys_take_risk"),
    "move_rules.MatchCampEthnicity": _key(IMPLEMENTED, "move.match_camp_ethnicity"),
    "move_rules.MatchTownEthnicity": _key(IMPLEMENTED, "move.match_town_ethnicity"),
    "move_rules.MatchConflictEthnicity": _key(IMPLEMENTED, "move.match_conflict_ethnicity"),
    "move_rules.MatchCampReligion": _key(IMPLEMENTED, "move.match_camp_religion"),
    "move_rules.avg_religion_fraction": _key(IMPLEMENTED, "move.avg_religion_fraction"),
    "move_rules.use_economic_pull": _key(IMPLEMENTED, "places.attraction"),
    "move_rules.two_system_decision_making": _key(IMPLEMENTED, "move.two_system_decision_making"),
    "move_rules.flee_when_starving": _key(IMPLEMENTED, "move.flee_when_starving"),
    "move_rules.avoid_food_deprived_locations": _key(IMPLEMENTED, "move.avoid_food_deprived_locations"),
    "move_rules.harvest_months": _key(IMPLEMENTED, "move.harvest_months"),
    # `flood_rules:` with nothing under it leaves Flee's flood rules off
    "move_rules.flood_rules": _key(IMPLEMENTED, "move.flood"),
    "move_rules.flood_rules.max_flood_level": _key(NO_EFFECT, why="Flee stores it and never reads it"),
    "move_rules.flood_rules.flood_link_weights": _key(
        NO_EFFECT, why="Flee reads it but does not use it (it prints that flood link weights are not supported yet)"
    ),
    **{f"move_rules.flood_rules.{k}": _key(IMPLEMENTED, f"move.flood.{v}") for k, v in _FLOOD_KEYS.items()},
    "optimisations.hasten": _key(IMPLEMENTED, "hasten"),
}
_SECTIONS = ("log_levels", "spawn_rules", "move_rules", "optimisations")
# implemented keys read into the rules by hand in read_settings, not by the generic loop
_BY_HAND = ("spawn_rules.conflict_driven_spawning", "spawn_rules.flood_", "move_rules.flood_rules")
# mappings whose keys the table lists one by one
_MAPPINGS = {
    "spawn_rules.conflict_driven_spawning",
    "spawn_rules.flood_driven_spawn_mode",
    "move_rules.flood_rules",
    *_SECTIONS,
}
# Flee's use_v1_rules overwrites these after reading everything else (SimulationSettings.ReadFromYML's end)
_V1_RULES = {
    "max_move_speed": 200.0,
    "start_on_foot": False,
    "avoid_short_stints": False,
    "camp_weight": 2.0,
    "conflict_weight": 0.25,
}


class PlaceRules(NamedTuple):
    """Flee's switches whose rule corridor keeps in the places themselves (read with locations.csv)."""

    sinks: bool  # camps_are_sicks (Flee's spelling): the deactivation_probability column counts
    economic_pull: bool  # use_economic_pull: a foreign place's score is 1 + trade_volume + hdi ** 2 (attraction)
    agents_csv: bool = False  # read_from_agents_csv_file: the people of input_csv/agents.csv set out on day 0


# keys Flee's SimulationSettings.ReadFromYML reads with int(), which drops a fraction without a word
# (dflee_test_large_flooding_revised has awareness_level: 1.5, which Flee runs at level 1)
_READ_AS_INT = ("move_rules.awareness_level", "spawn_rules.conflict_spawn_decay_interval")


def read_settings(path: Path, notes: Notes | None = None) -> tuple[SpawnRules, MoveRules, int, PlaceRules]:
    """The settings of simsetting.yml: spawn and move rules, hasten, and the switches of rules kept in the
    places (PlaceRules)."""
    notes = notes or Notes(strict=True)  # alone, nothing would flush its warnings: refuse instead
    if not path.is_file():
        return SpawnRules(), MoveRules(), 1, PlaceRules(False, False)
    doc, lines = read_yaml(path, read_text(path, "Flee's simsetting.yml"))
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ScenarioError(
            "not a mapping of sections", file=str(path), row=1, value=doc, expected=", ".join(_SECTIONS)
        )

    def refuse(where: str, value: Any, why: str, expected: str | None = None) -> ScenarioError:
        return ScenarioError(
            why, file=str(path), row=lines.get(tuple(where.split("."))), field=where, value=value, expected=expected
        )

    found: dict[str, Any] = {}  # key path -> value, for every key the table knows

    def siblings(prefix: str) -> dict[str, None]:
        depth = prefix.count(".")
        names = _SECTIONS if not prefix else [k for k in FLEE_SETTINGS if k.startswith(prefix)]
        return {k.rsplit(".", 1)[-1]: None for k in names if k.count(".") == depth}

    def walk(mapping: dict[Any, Any], prefix: str) -> None:
        for key, value in mapping.items():
            where = f"{prefix}{key}"
            if where not in FLEE_SETTINGS and where not in _SECTIONS:
                elsewhere = [k for k in FLEE_SETTINGS if k.rsplit(".", 1)[-1] == str(key)]
                notes.note(
                    "unknown setting",
                    file=path,
                    row=lines.get(tuple(where.split("."))),
                    field=where,
                    value=value,
                    then="Flee does not read it; ignored"
                    + (f" (Flee reads {' and '.join(elsewhere)})" if elsewhere else ""),
                    expected="a key Flee reads here (docs/flee-compat.md)" + _suggest(str(key), siblings(prefix)),
                )
                continue
            if where in _MAPPINGS and value is not None:
                if not isinstance(value, dict):
                    raise refuse(where, value, "not a mapping", "keys and values under it, one a line")
                if where in _SECTIONS or FLEE_SETTINGS[where].status != REFUSED:
                    walk(value, where + ".")
            found[where] = value

    walk(doc, "")
    for where, value in found.items():
        key = FLEE_SETTINGS.get(where)
        if key is None:
            continue
        if where == "move_rules.avoid_short_stints" and found.get("move_rules.use_v1_rules"):
            continue  # use_v1_rules turns it off, whatever the file says
        if key.status == REFUSED and not (key.inert and key.inert(value)):
            raise refuse(where, value, "this Flee rule is not supported by corridor yet", "docs/flee-compat.md")
        if key.status == NO_EFFECT and key.warn_if and key.warn_if(value):
            notes.note(
                "a setting Flee does not read",
                file=path,
                row=lines.get(tuple(where.split("."))),
                field=where,
                value=value,
                then=f"no effect, as in Flee: {key.why}",
                expected=key.why,
            )
    for where in _READ_AS_INT:
        value = found.get(where)
        if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
            notes.note(
                "not a whole number",
                file=path,
                row=lines.get(tuple(where.split("."))),
                field=where,
                value=value,
                then=f"as in Flee, which reads it with int(), it is {int(value)}",
                expected="a whole number",
            )
            found[where] = int(value)
    move: dict[str, Any] = {}
    spawn: dict[str, Any] = {}
    where_of: dict[str, tuple[str, ...]] = {}  # model field -> the key it was read from
    for where, value in found.items():
        key = FLEE_SETTINGS.get(where)
        if key is None or key.status != IMPLEMENTED or where.startswith(_BY_HAND):
            continue
        section, _, name = key.field.partition(".") if key.field else ("", "", "")
        if where == "move_rules.use_v1_rules" or section not in ("move", "spawn"):
            continue
        (move if section == "move" else spawn)[name] = value
        where_of[name] = tuple(where.split("."))
    flood_spawn = bool(found.get("spawn_rules.flood_zone_spawning_only"))
    if flood_spawn and found.get("spawn_rules.conflict_zone_spawning_only", True):
        raise refuse(
            "spawn_rules.flood_zone_spawning_only",
            True,
            "Flee stops when both flood_zone_spawning_only and conflict_zone_spawning_only (True by default) are on",
            "conflict_zone_spawning_only: False with flood_zone_spawning_only: True",
        )
    if flood_spawn and found.get("spawn_rules.flood_driven_spawn_mode") is not None:
        rule = found["spawn_rules.flood_driven_spawn_mode"]
        if not found.get("spawn_rules.take_from_population"):
            raise refuse(
                "spawn_rules.take_from_population",
                found.get("spawn_rules.take_from_population", False),
                "Flee stops when flood spawning is on without take_from_population",
                "take_from_population: True",
            )
        mode = str(rule.get("spawn_mode", "pop_ratio"))
        mode = "poisson" if mode.lower() == "poisson" else mode
        spawn.update(mode="flood", rate_mode=mode)
        spawn["flood_rates"] = rule.get(
            "displaced_per_flood_day", [0.0, 0.1, 0.2, 0.5, 0.9] if mode == "pop_ratio" else [0, 100, 200, 300, 500]
        )
        where_of["rate_mode"] = ("spawn_rules", "flood_driven_spawn_mode", "spawn_mode")
        where_of["flood_rates"] = ("spawn_rules", "flood_driven_spawn_mode", "displaced_per_flood_day")
    elif "spawn_rules.conflict_driven_spawning" in found and not flood_spawn:
        rule = found["spawn_rules.conflict_driven_spawning"] or {}
        mode = str(rule.get("spawn_mode", "constant")).lower()
        spawn.update(mode="conflict", rate_mode=mode)
        spawn["rate"] = rule.get("displaced_per_conflict_day", 0.01 if mode == "pop_ratio" else 500)
        where_of["rate_mode"] = ("spawn_rules", "conflict_driven_spawning", "spawn_mode")
        where_of["rate"] = ("spawn_rules", "conflict_driven_spawning", "displaced_per_conflict_day")
    if found.get("move_rules.use_v1_rules"):
        move.update(_V1_RULES)
        for name in _V1_RULES:
            where_of[name] = ("move_rules", "use_v1_rules")
    hasten = 1
    if "optimisations.hasten" in found:
        value = found["optimisations.hasten"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PEOPLE:
            raise refuse(
                "optimisations.hasten",
                value,
                "not a whole number" if isinstance(value, bool) or not isinstance(value, int) else "out of range",
                f"a whole number from 1 to {MAX_PEOPLE:,} (it divides every count; a larger one leaves nobody)",
            )
        hasten = value
    if found.get("move_rules.flood_rules") is not None:
        rule = found["move_rules.flood_rules"]
        flood = {field: rule[k] for k, field in _FLOOD_KEYS.items() if k in rule}
        fwhere = {field: ("move_rules", "flood_rules", k) for k, field in _FLOOD_KEYS.items()}
        if "forecaster" in flood:
            flood["forecaster"] = bool(flood["forecaster"])  # Flee's bool(...)
        for k in ("forecaster_timescale", "forecaster_end_time"):
            if isinstance(flood.get(k), float):
                flood[k] = int(flood[k])  # Flee's int(...)
        move["flood"] = _rules(FloodRules, flood, path, lines, fwhere)
        move["flood"].at = f"{path}:{lines.get(('move_rules', 'flood_rules'), 1)}"
    if (spawn.get("mode") == "flood") != ("flood" in move):
        # Flee reads flood_level.csv only with flood spawning, and its move chances need flood_rules' lists
        where = "move_rules.flood_rules" if "flood" in move else "spawn_rules.flood_zone_spawning_only"
        raise refuse(
            where,
            found.get(where),
            "Flee stops when its flood rules are on without flood spawning, or "
            "flood spawning without move_rules.flood_rules",
            "both flood_rules and flood_zone_spawning_only with flood_driven_spawn_mode, or neither",
        )
    spawn_rules = _rules(SpawnRules, spawn, path, lines, where_of)
    move_rules = _rules(MoveRules, move, path, lines, where_of)
    spawn_rules.at = f"{path}:{lines.get(('spawn_rules',), 1)}"
    move_rules.at = f"{path}:{lines.get(('move_rules',), 1)}"
    return (
        spawn_rules,
        move_rules,
        hasten,
        PlaceRules(
            bool(found.get("spawn_rules.camps_are_sicks")),
            bool(found.get("move_rules.use_economic_pull")),
            bool(found.get("spawn_rules.read_from_agents_csv_file")),
        ),
    )


M = TypeVar("M", bound=BaseModel)


def _rules(
    cls: type[M], data: dict[str, Any], path: Path, lines: dict[tuple[str, ...], int], where: dict[str, tuple[str, ...]]
) -> M:
    """A rules model from simsetting.yml; an error names the key and line the bad value was read from."""
    try:
        return cls(**data)
    except ValidationError as exc:
        loc = exc.errors()[0].get("loc", ())
        key = where.get(str(loc[0])) if loc else None
        return build(cls, data, str(path), lines.get(key) if key else None, {f: ".".join(k) for f, k in where.items()})


def keep_last_of_each_name(places: list[Place], notes: Notes) -> list[Place]:
    """Flee keeps every row of locations.csv, but a name finds its last row: roads, closures and the
    camp columns of out.csv go there, and an earlier row of that name is left without roads."""
    last = {p.name: p for p in places}
    kept = []
    for p in places:
        if last[p.name] is not p:
            file, _, row = (last[p.name].at or ":").rpartition(":")
            notes.note(
                "duplicate place name",
                file=file,
                row=int(row) if row else None,
                field="name",
                value=p.name,
                then=f"as in Flee this later row is the place; the earlier row ({p.at}) is left out",
                expected=f"each name once (first at {p.at})",
            )
        else:
            kept.append(p)
    return kept


def closures_flee_applies(
    closures: list[Closure], places: list[Place], links: list[Link], notes: Notes
) -> list[Closure]:
    """The closures that close something in Flee; the others are left out with a note.

    Flee looks names up when a closure starts: an unknown place, or a road or border with no road
    across, closes nothing (Flee prints a warning for roads and borders, nothing for a place)."""
    names = {p.name: p for p in places}
    country = {p.name: p.country for p in places}
    roads = {frozenset((lk.a, lk.b)) for lk in links}
    borders = {frozenset((country[lk.a], country[lk.b])) for lk in links if lk.a in country and lk.b in country}
    kept = []
    for c in closures:
        file, _, row = (c.at or ":").rpartition(":")
        named = [("name1", c.a), ("name2", c.b)]
        if c.kind not in ("country", "link", "remove_forced_redirection"):
            named = named[:1]
        known = set(country.values()) if c.kind == "country" else names
        unknown = next(((f, v) for f, v in named if v not in known), None)
        problem: str | None = None
        if unknown and c.kind == "country":
            problem, (field, value) = "unknown country", unknown
            expected = "one of " + ", ".join(sorted(known))
        elif unknown:
            problem, (field, value) = "unknown place", unknown
            expected = "a name from locations.csv" + _suggest(value, names)
        elif c.kind in ("country", "link") and frozenset((c.a, c.b)) not in (borders if c.kind == "country" else roads):
            what = "countries" if c.kind == "country" else "places"
            problem, field, value = f"no road between the two {what}", "name2", c.b
            expected = f"two {what} joined by a road of routes.csv"
        if problem is None:
            kept.append(c)
            continue
        notes.note(
            problem,
            file=file,
            row=int(row) if row else None,
            field=field,
            value=value,
            then="Flee closes nothing for this row and goes on; left out",
            expected=expected,
        )
    return kept


def _flood_rows(move: MoveRules, days: int) -> int:
    """The rows of flood_level.csv a run reads: one a day, and with the forecaster up to its last forecast day."""
    fr = move.flood
    if fr is None or not fr.forecasting:
        return days
    return max(days, min(fr.forecaster_end_time, days - 1 + fr.forecaster_timescale) + 1)


def load_flee(folder: Path, strict: bool = False, warn: Warn | None = None) -> Scenario:
    """Read a Flee folder. Where Flee warns and goes on, corridor does what Flee does and calls `warn`
    with one line naming the file and row (stderr by default); `strict` refuses those inputs instead."""
    notes = Notes(strict, warn)
    folder = Path(folder)
    inp = folder / "input_csv"
    start, days = read_period(inp / "sim_period.csv")
    spawn, move, hasten, rules = read_settings(folder / "simsetting.yml", notes)
    places = keep_last_of_each_name(read_locations(inp / "locations.csv", notes, rules.economic_pull), notes)
    if not rules.sinks:  # the column counts only with camps_are_sicks
        places = [p.model_copy(update={"deactivation_probability": 0.0}) if p.deactivation_probability else p
                  for p in places]  # fmt: skip
    links = read_routes(inp / "routes.csv", notes)
    floods = spawn.mode == "flood"
    # with its flood rules on, Flee reads flood_level.csv instead of conflicts.csv: no place is in conflict
    conflicts = [] if floods else read_conflicts(inp / "conflicts.csv", days, {p.name for p in places}, notes)
    if conflicts is not None:
        places = later_conflicts_as_towns(places, conflicts)
    data = dict(
        name=folder.resolve().name,
        format="flee",
        start_date=start,
        days=days,
        hasten=hasten,
        places=places,
        links=links,
        closures=closures_flee_applies(read_closures(inp / "closures.csv"), places, links, notes),
        conflicts=conflicts,
        flood_levels=read_flood_levels(
            inp / "flood_level.csv", {p.name for p in places}, notes, _flood_rows(move, days)
        )
        if floods
        else {},
        food_insecurity=read_food_insecurity(inp / "region_attributes_IPC.csv", places, spawn, move, days)
        if move.flee_when_starving or move.avoid_food_deprived_locations or spawn.starvation_driven_spawning
        else {},
        demographics=read_demographics(inp),
        observed=read_observed(folder, start),
        corrections=read_corrections(inp / "registration_corrections.csv", start),
        departures=(read_agents(inp / "agents.csv", {p.name for p in places}, notes) if rules.agents_csv else [])
        # Flee's add_initial_refugees returns early with empty_camps_on_day0: no initial_idps then
        + (
            []
            if spawn.empty_camps_on_day0
            else read_initial_idps(inp / "locations.csv", {p.name: p.kind for p in places}, notes)
        ),
        major_routes=read_major_routes(inp / "major_routes.csv") if move.fixed_routes else [],
        spawn=spawn,
        move=move,
        source=str(folder),
    )
    if no_spawn_series(spawn, data["observed"]):
        raise ScenarioError(
            "observed spawning (Flee's default) but there are no observed counts",
            file=str(folder / "source_data" / "data_layout.csv"),
            expected="camp series named in data_layout.csv, or conflict_driven_spawning in simsetting.yml",
        )
    # every field was checked where it was read; what is left is how they fit together (the model's
    # cross-checks raise ScenarioErrors of their own, naming the row)
    scenario = build(Scenario, data, str(folder), None)
    notes.flush()
    return scenario
