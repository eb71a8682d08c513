"""Read a scenario folder in Flee's format, exactly as Flee's users keep it.

Layout: input_csv/{locations,routes,closures,conflicts,sim_period,registration_corrections}.csv,
simsetting.yml, source_data/data_layout.csv and the camp series it names. Headers start with
'#', numbers may be blank; see ../shared/scenarios/flee/README.md.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from ..errors import ScenarioError, at
from .model import (
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
)


def is_flee_folder(path: Path) -> bool:
    return (path / "input_csv" / "locations.csv").is_file()


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """Non-empty rows with their 1-based line numbers; comment rows (first cell '#...') skipped."""
    if not path.is_file():
        raise ScenarioError("file not found", file=str(path), expected="a file in Flee's scenario layout")
    out = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for lineno, row in enumerate(csv.reader(fh), start=1):
            if not row or not any(c.strip() for c in row):
                continue
            if row[0].lstrip().startswith("#"):
                continue
            out.append((lineno, row))
    return out


def _num(text: str, file: Path, row: int, field: str, kind: type = float, blank: Any = None) -> Any:
    s = text.strip().strip('"')
    if s == "":
        if blank is not None:
            return blank
        raise ScenarioError(
            "missing value", file=str(file), row=row, field=field, expected=f"a {'whole ' if kind is int else ''}number"
        )
    try:
        return kind(float(s)) if kind is int else float(s)
    except ValueError:
        raise ScenarioError(
            "not a number",
            file=str(file),
            row=row,
            field=field,
            value=s,
            expected=f"a {'whole ' if kind is int else ''}number",
        ) from None


def _date(text: str, file: Path, row: int, field: str) -> dt.date:
    s = text.strip().strip('"')
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise ScenarioError(
            "malformed date", file=str(file), row=row, field=field, value=s, expected="a date as YYYY-MM-DD"
        ) from None


def _cell(row: list[str], i: int) -> str:
    return row[i].strip() if i < len(row) else ""


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


def read_locations(path: Path) -> list[Place]:
    places = []
    for lineno, r in _rows(path):
        _need_columns(
            r, 6, path, lineno, "name,region,country,latitude,longitude,location_type,conflict_date,population"
        )
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
    that day until the value returns to zero (its age, which drives decay, restarts then).
    """
    if not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8-sig") as fh:
        lines = [(i, r) for i, r in enumerate(csv.reader(fh), start=1) if r and any(c.strip() for c in r)]
    if not lines:
        return None
    head_line, header = lines[0]
    names = [h.strip() for h in header[1:]]
    cols = [(j + 1, n) for j, n in enumerate(names) if n]
    # Flee indexes the table by row, not by the Day column; the last row holds past the end.
    table = [[_num(_cell(r, j), path, lineno, n, blank=0.0) for j, n in cols] for lineno, r in lines[1:]]
    for lineno, r in lines[1:]:
        _num(_cell(r, 0), path, lineno, "Day", int)
    periods = []
    for k, (_, name) in enumerate(cols):
        start, intensity = None, 0.0
        for day in range(days):
            v = table[min(day, len(table) - 1)][k] if table else 0.0
            if v > 1e-6 and start is None:
                start, intensity = day, v
            elif v <= 1e-6 and start is not None:
                periods.append(
                    ConflictPeriod(place=name, start=start, end=day, intensity=intensity, at=at(str(path), head_line))
                )
                start = None
        if start is not None:
            periods.append(
                ConflictPeriod(place=name, start=start, end=days, intensity=intensity, at=at(str(path), head_line))
            )
    return periods


def read_period(path: Path) -> tuple[dt.date, int]:
    start, length = None, None
    for lineno, r in _rows(path):
        key = _cell(r, 0).lower()
        if key == "startdate":
            start = _date(_cell(r, 1), path, lineno, "StartDate")
        elif key == "length":
            length = _num(_cell(r, 1), path, lineno, "Length", int)
    if start is None or length is None:
        raise ScenarioError(
            "missing StartDate or Length", file=str(path), expected="two rows: StartDate,YYYY-MM-DD and Length,DAYS"
        )
    return start, length


def read_series(path: Path, start: dt.date) -> list[tuple[int, float]]:
    """One UNHCR series: (day offset, count) rows; header, comments and blank counts skipped."""
    out = []
    for lineno, r in _rows(path):
        if len(r) < 2 or _cell(r, 1) == "" or _cell(r, 0) in ("Date", "DateTime"):
            continue
        d = _date(_cell(r, 0), path, lineno, "Date")
        out.append(((d - start).days, _num(_cell(r, 1), path, lineno, "count")))
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
    for _lineno, r in _rows(layout):
        if len(r) < 2:
            continue
        name = _cell(r, 0)
        files = [folder / "source_data" / _cell(r, j) for j in range(1, len(r)) if _cell(r, j)]
        series = read_series(files[0], start)
        for extra in files[1:]:
            series = combine_series(series, read_series(extra, start))
        observed[name] = [SeriesPoint(day=d, value=v) for d, v in series]
    return observed


def read_corrections(path: Path, start: dt.date) -> list[Correction]:
    if not path.is_file():
        return []
    out = []
    for lineno, r in _rows(path):
        if len(r) < 2:
            continue
        d = _date(_cell(r, 1), path, lineno, "date")
        out.append(Correction(place=_cell(r, 0).strip('"'), day=(d - start).days, at=at(str(path), lineno)))
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


def read_settings(path: Path) -> tuple[SpawnRules, MoveRules, int]:
    if not path.is_file():
        return SpawnRules(), MoveRules(), 1
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path), row=mark.line + 1 if mark else None
        ) from None
    if not isinstance(doc, dict):
        raise ScenarioError("not a mapping", file=str(path), expected="sections spawn_rules, move_rules, ...")

    def line_of(key: str) -> int | None:
        for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if text.strip().startswith(f"{key}:"):
                return i
        return None

    def refuse(section: str, key: str, value: Any, why: str) -> ScenarioError:
        return ScenarioError(why, file=str(path), row=line_of(key), field=f"{section}.{key}", value=value)

    move: dict[str, Any] = {}
    for key, value in (doc.get("move_rules") or {}).items():
        if key in _MOVE_KEYS or key in _MOVE_RENAMES:
            move[_MOVE_RENAMES.get(key, key)] = value
        elif key in _INERT_DEFAULTS:
            if _INERT_DEFAULTS[key] is not None and value != _INERT_DEFAULTS[key]:
                raise refuse("move_rules", key, value, "this Flee rule is not supported by corridor yet")
        else:
            raise refuse("move_rules", key, value, "unknown setting")
    spawn: dict[str, Any] = {}
    for key, value in (doc.get("spawn_rules") or {}).items():
        if key in ("insert_day0", "conflict_spawn_decay", "sum_from_camps"):
            spawn[key] = value
        elif key == "take_from_population":
            if value:
                raise refuse("spawn_rules", key, value, "take_from_population is not supported by corridor yet")
        elif key == "conflict_zone_spawning_only":
            pass  # Flee spawns only in conflict zones whatever this says
        elif key == "conflict_driven_spawning":
            spawn["mode"] = "conflict"
            mode = str((value or {}).get("spawn_mode", "constant")).lower()
            spawn["rate_mode"] = mode
            spawn["rate"] = (value or {}).get("displaced_per_conflict_day", 0.01 if mode == "pop_ratio" else 500)
        elif key in ("flood_zone_spawning_only", "camps_are_sinks", "camps_are_sicks", "read_from_agents_csv_file"):
            if value:
                raise refuse("spawn_rules", key, value, "this Flee option is not supported by corridor yet")
        else:
            raise refuse("spawn_rules", key, value, "unknown setting")
    hasten = 1
    for key, value in (doc.get("optimisations") or {}).items():
        if key == "hasten":
            hasten = value
        else:
            raise refuse("optimisations", key, value, "unknown setting")
    for key in doc:
        if key not in (
            "log_levels",
            "spawn_rules",
            "move_rules",
            "optimisations",
            "number_of_steps",
            "conflict_input_file",
        ):
            raise refuse("", key, doc[key], "unknown section")
    return (
        build(SpawnRules, spawn, str(path), None),
        build(MoveRules, move, str(path), None),
        _num(str(hasten), path, line_of("hasten") or 0, "hasten", int),
    )


def load_flee(folder: Path) -> Scenario:
    folder = Path(folder)
    inp = folder / "input_csv"
    start, days = read_period(inp / "sim_period.csv")
    spawn, move, hasten = read_settings(folder / "simsetting.yml")
    scenario = Scenario(
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
    return scenario
