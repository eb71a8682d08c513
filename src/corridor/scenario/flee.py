"""Read a scenario folder in Flee's format, exactly as Flee's users keep it.

Layout: input_csv/{locations,routes,closures,conflicts,sim_period,registration_corrections}.csv,
simsetting.yml, source_data/data_layout.csv and the camp series it names. Headers start with
'#', numbers may be blank; see ../shared/scenarios/flee/README.md.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from ..errors import ScenarioError, at
from .model import (
    MAX_DAYS,
    MAX_PEOPLE,
    WHY,
    Closure,
    ConflictPeriod,
    Correction,
    Link,
    MoveRules,
    Place,
    Scenario,
    SeriesPoint,
    SpawnRules,
    build,
    no_spawn_series,
)
from .text import csv_rows, read_text, read_yaml


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
    ("default", "town"),
    ("town", "town"),
)


def _place_kind(text: str, file: Path, row: int) -> str:
    low = text.lower()
    for word, kind in _KIND_WORDS:
        if word in low:
            if kind == "camp" and "idp" in low:
                return "idp_camp"
            return kind
    raise ScenarioError(
        "unknown location_type",
        file=str(file),
        row=row,
        field="location_type",
        value=text,
        expected="conflict_zone, town, camp, idpcamp, forwarding_hub or marker",
    )


def _need_columns(row: list[str], n: int, path: Path, lineno: int, expected: str) -> None:
    if len(row) < n:
        raise ScenarioError("too few columns", file=str(path), row=lineno, value=len(row), expected=expected)


LOCATION_COLUMNS = "name,region,country,latitude,longitude,location_type,conflict_date,population"


def read_locations(path: Path) -> list[Place]:
    places = []
    rows = _rows(path)
    if not rows:
        raise ScenarioError("no locations", file=str(path), row=1, expected=f"rows of {LOCATION_COLUMNS}")
    for lineno, r in rows:
        _need_columns(r, 6, path, lineno, LOCATION_COLUMNS)
        kind = _place_kind(_cell(r, 5), path, lineno)
        pop = _num(_cell(r, 7), path, lineno, "population", int, blank=0)
        date_text = _cell(r, 6)
        conflict_date = _num(date_text, path, lineno, "conflict_date", int) if date_text else None
        camp = kind in ("camp", "idp_camp")
        data = dict(
            name=_cell(r, 0),
            region=_cell(r, 1),
            country=_cell(r, 2) or "unknown",
            lat=_num(_cell(r, 3), path, lineno, "latitude", blank=0.0),
            lon=_num(_cell(r, 4), path, lineno, "longitude", blank=0.0),
            kind=kind,
            population=0 if camp else pop,
            capacity=(pop or None) if camp else None,
            conflict_date=conflict_date if kind == "conflict_zone" else None,
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


def read_routes(path: Path) -> list[Link]:
    links = []
    for lineno, r in _rows(path):
        _need_columns(r, 3, path, lineno, "name1,name2,distance[,forced_redirection]")
        data = dict(
            a=_cell(r, 0),
            b=_cell(r, 1),
            distance=_num(_cell(r, 2), path, lineno, "distance"),
            forced_redirection=_num(_cell(r, 3), path, lineno, "forced_redirection", int, blank=0),
            at=at(str(path), lineno),
        )
        links.append(build(Link, data, str(path), lineno, {"a": "name1", "b": "name2"}))
    return links


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


def read_conflicts(path: Path, days: int) -> list[ConflictPeriod] | None:
    """Flee's wide day x place table, as periods of conflict.

    As in Flee, a conflict starts when a place's value turns positive and keeps the intensity of
    that day until the value returns to zero (its age, which drives decay, restarts then). Flee
    indexes the table by row, not by the Day column; the last row holds past the end.
    """
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


# simsetting.yml keys corridor implements, by section; others are refused unless at Flee's default.
_MOVE_KEYS = {
    "max_move_speed",
    "max_walk_speed",
    "foreign_weight",
    "camp_weight",
    "conflict_weight",
    "conflict_movechance",
    "camp_movechance",
    "idpcamp_movechance",
    "default_movechance",
    "awareness_level",
    "capacity_buffer",
    "capacity_scaling",
    "start_on_foot",
    "weight_power",
    "distance_power",
    "weight_softening",
}
_MOVE_RENAMES = {"softening": "softening"}
_INERT_DEFAULTS: dict[str, Any] = {
    # None: only read by Flee rules that corridor refuses, so any value is inert.
    "max_crossing_speed": None,
    "use_v1_rules": False,
    "avoid_short_stints": False,
    "stay_close_to_home": False,
    "home_distance_power": None,
    "use_pop_for_loc_weight": False,
    "pop_power_for_loc_weight": None,
    "movechance_pop_base": None,
    "movechance_pop_scale_factor": 0.0,
    "ChildrenAvoidHazards": False,
    "BoysTakeRisk": False,
    "MatchCampEthnicity": False,
    "MatchTownEthnicity": False,
    "MatchConflictEthnicity": False,
}


_SECTIONS = ("log_levels", "spawn_rules", "move_rules", "optimisations", "number_of_steps", "conflict_input_file")


def read_settings(path: Path) -> tuple[SpawnRules, MoveRules, int]:
    if not path.is_file():
        return SpawnRules(), MoveRules(), 1
    doc, lines = read_yaml(path, read_text(path, "Flee's simsetting.yml"))
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ScenarioError(
            "not a mapping of sections", file=str(path), row=1, value=doc, expected=", ".join(_SECTIONS)
        )

    def refuse(where: tuple[str, ...], value: Any, why: str, expected: str | None = None) -> ScenarioError:
        return ScenarioError(
            why, file=str(path), row=lines.get(where), field=".".join(where), value=value, expected=expected
        )

    def section(key: str) -> dict[Any, Any]:
        value = doc.get(key)
        if value is None:  # `move_rules:` with nothing under it
            return {}
        if not isinstance(value, dict):
            raise refuse((key,), value, "not a mapping", "keys and values under it, one a line")
        return value

    for key in doc:
        if key not in _SECTIONS:
            raise refuse((str(key),), doc[key], "unknown section", "one of " + ", ".join(_SECTIONS))
    move: dict[str, Any] = {}
    where: dict[str, tuple[str, ...]] = {}  # model field -> the key it was read from
    for key, value in section("move_rules").items():
        if key in _MOVE_KEYS or key in _MOVE_RENAMES:
            move[_MOVE_RENAMES.get(key, key)] = value
            where[_MOVE_RENAMES.get(key, key)] = ("move_rules", key)
        elif key in _INERT_DEFAULTS:
            if _INERT_DEFAULTS[key] is not None and value != _INERT_DEFAULTS[key]:
                raise refuse(("move_rules", key), value, "this Flee rule is not supported by corridor yet")
        else:
            raise refuse(("move_rules", str(key)), value, "unknown setting")
    spawn: dict[str, Any] = {}
    for key, value in section("spawn_rules").items():
        if key in ("insert_day0", "conflict_spawn_decay", "sum_from_camps"):
            spawn[key] = value
            where[key] = ("spawn_rules", key)
        elif key == "take_from_population":
            if value:
                raise refuse(("spawn_rules", key), value, "take_from_population is not supported by corridor yet")
        elif key == "conflict_zone_spawning_only":
            pass  # Flee spawns only in conflict zones whatever this says
        elif key == "conflict_driven_spawning":
            rule = {} if value is None else value
            if not isinstance(rule, dict):
                raise refuse(("spawn_rules", key), value, "not a mapping", "spawn_mode and displaced_per_conflict_day")
            mode = str(rule.get("spawn_mode", "constant")).lower()
            spawn.update(mode="conflict", rate_mode=mode)
            spawn["rate"] = rule.get("displaced_per_conflict_day", 0.01 if mode == "pop_ratio" else 500)
            where["rate_mode"] = ("spawn_rules", key, "spawn_mode")
            where["rate"] = ("spawn_rules", key, "displaced_per_conflict_day")
        elif key in ("flood_zone_spawning_only", "camps_are_sinks", "camps_are_sicks", "read_from_agents_csv_file"):
            if value:
                raise refuse(("spawn_rules", key), value, "this Flee option is not supported by corridor yet")
        else:
            raise refuse(("spawn_rules", str(key)), value, "unknown setting")
    hasten = 1
    for key, value in section("optimisations").items():
        if key != "hasten":
            raise refuse(("optimisations", str(key)), value, "unknown setting", "hasten")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PEOPLE:
            raise refuse(
                ("optimisations", "hasten"),
                value,
                "not a whole number" if isinstance(value, bool) or not isinstance(value, int) else "out of range",
                f"a whole number from 1 to {MAX_PEOPLE:,} (it divides every count; a larger one leaves nobody)",
            )
        hasten = value
    spawn_rules = _rules(SpawnRules, spawn, path, lines, where)
    move_rules = _rules(MoveRules, move, path, lines, where)
    spawn_rules.at = f"{path}:{lines.get(('spawn_rules',), 1)}"
    move_rules.at = f"{path}:{lines.get(('move_rules',), 1)}"
    return spawn_rules, move_rules, hasten


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


def load_flee(folder: Path) -> Scenario:
    folder = Path(folder)
    inp = folder / "input_csv"
    start, days = read_period(inp / "sim_period.csv")
    spawn, move, hasten = read_settings(folder / "simsetting.yml")
    data = dict(
        name=folder.resolve().name,
        format="flee",
        start_date=start,
        days=days,
        hasten=hasten,
        places=read_locations(inp / "locations.csv"),
        links=read_routes(inp / "routes.csv"),
        closures=read_closures(inp / "closures.csv"),
        conflicts=read_conflicts(inp / "conflicts.csv", days),
        observed=read_observed(folder, start),
        corrections=read_corrections(inp / "registration_corrections.csv", start),
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
    return build(Scenario, data, str(folder), None)
