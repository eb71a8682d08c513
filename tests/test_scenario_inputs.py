"""Scenario inputs in both formats: what loads, and one-line errors for what does not.

Every error test asserts that str(ScenarioError) names the file, the line, the field and the bad
value, so that a user can fix the input without reading a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from corridor.api import load
from corridor.errors import ScenarioError
from corridor.scenario.load import detect_format, load_scenario
from corridor.scenario.native import load_native

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "scenarios" / "example"
FLEE_ROOT = Path(
    os.environ.get("CORRIDOR_FLEE_SCENARIOS") or Path(__file__).resolve().parents[2] / "shared" / "scenarios" / "flee"
)
FLEE_NAMES = ("mali2012", "burundi", "car", "ssudan")

needs_flee = pytest.mark.skipif(
    not (FLEE_ROOT / "mali2012" / "input_csv" / "locations.csv").is_file(),
    reason=f"Flee reference scenarios not found at {FLEE_ROOT} (set CORRIDOR_FLEE_SCENARIOS)",
)


def error_of(path: Path, strict: bool = False) -> str:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path, strict=strict)
    msg = str(exc.value)
    assert "\n" not in msg, msg
    return msg


# --- corridor's own format --------------------------------------------------------------------

NATIVE = {
    "scenario.yaml": """\
name: tiny
description: a hand-made test corridor
start_date: 2020-01-01
days: 30
spawn:
  mode: observed
move:
  camp_weight: 2.0
""",
    "places.csv": """\
name,kind,country,lat,lon,population,capacity,conflict_date
# a comment line
A,conflict_zone,X,1.0,2.0,1000,,2020-01-05

B,town,X,,,500,,
C,camp,Y,,,,300,
""",
    "links.csv": """\
a,b,distance,speed
A,B,10,
B,C,20.5,15
""",
    "closures.csv": """\
kind,a,b,start,end
country,X,Y,2020-01-10,2020-01-15
location,B,,2020-01-20,
""",
    "conflicts.csv": """\
place,start,end,intensity
A,2019-12-01,,
B,2020-01-03,2020-01-08,0.5
""",
    "observed.csv": """\
date,place,count
2020-01-20,C,250
2020-01-01,C,10
2020-01-01,total,12
""",
}


def native(root: Path, name: str, text: str | None) -> Path:
    """The tiny native scenario in root/tiny, with one file replaced (text) or left out (None)."""
    folder = root / "tiny"
    folder.mkdir(parents=True)
    for fname, content in {**NATIVE, name: text}.items():
        if content is not None:
            (folder / fname).write_text(content, encoding="utf-8")
    return folder


def test_native_reads_every_table(tmp_path: Path) -> None:
    sc = load_scenario(native(tmp_path, "scenario.yaml", NATIVE["scenario.yaml"]))
    assert detect_format(tmp_path / "tiny") == "corridor"
    assert (sc.name, sc.format, sc.description) == ("tiny", "corridor", "a hand-made test corridor")
    assert sc.start_date == dt.date(2020, 1, 1) and sc.days == 30
    assert sc.source == str(tmp_path / "tiny")
    assert [p.name for p in sc.places] == ["A", "B", "C"]
    a, b, c = sc.places
    assert (a.kind, a.conflict_date, a.population) == ("conflict_zone", 4, 1000)
    assert (b.kind, b.lat, b.capacity) == ("town", 0.0, None)
    assert (c.kind, c.capacity, c.population) == ("camp", 300, 0)
    assert a.at == f"{tmp_path / 'tiny' / 'places.csv'}:3"
    assert [(lk.a, lk.b, lk.distance, lk.speed) for lk in sc.links] == [("A", "B", 10.0, None), ("B", "C", 20.5, 15.0)]
    closed, located = sc.closures
    assert (closed.start, closed.end) == (9, 14)
    assert closed.active(9) and closed.active(13) and not closed.active(14) and not closed.active(8)
    assert (located.start, located.end) == (19, -1)
    assert located.active(19) and located.active(29) and not located.active(18)
    assert sc.conflicts is not None
    assert [(p.place, p.start, p.end, p.intensity) for p in sc.conflicts] == [("A", 0, 30, 1.0), ("B", 2, 7, 0.5)]
    assert [(p.day, p.value) for p in sc.observed["C"]] == [(0, 10.0), (19, 250.0)]
    assert [(p.day, p.value) for p in sc.observed["total"]] == [(0, 12.0)]
    assert sc.move.camp_weight == 2.0 and sc.spawn.mode == "observed"


def test_native_optional_files_and_end_date(tmp_path: Path) -> None:
    yaml_text = NATIVE["scenario.yaml"].replace("days: 30", "end_date: 2020-01-31") + "hasten: 2\n"
    folder = native(tmp_path, "scenario.yaml", yaml_text.replace("name: tiny\n", ""))
    for name in ("closures.csv", "conflicts.csv"):
        (folder / name).unlink()
    sc = load_native(folder)
    assert sc.days == 31 and sc.end_date() == dt.date(2020, 1, 31) and sc.hasten == 2
    assert sc.name == "tiny"  # the folder's name
    assert sc.closures == [] and sc.conflicts is None


def test_native_unknown_place_in_links(tmp_path: Path) -> None:
    msg = error_of(native(tmp_path, "links.csv", "a,b,distance\nA,B,10\nB,Cc,20\n"))
    assert "links.csv:3" in msg and "field 'b'" in msg and "'Cc'" in msg and "unknown place" in msg
    assert "did you mean 'C'" in msg


def test_native_negative_distance(tmp_path: Path) -> None:
    msg = error_of(native(tmp_path, "links.csv", "a,b,distance\nA,B,10\nB,C,-20\n"))
    assert "links.csv:3" in msg and "field 'distance'" in msg and "'-20'" in msg and ">= 0" in msg


def test_native_duplicate_place(tmp_path: Path) -> None:
    text = NATIVE["places.csv"] + "B,town,Y,,,,,\n"
    msg = error_of(native(tmp_path, "places.csv", text))
    assert "places.csv:7" in msg and "field 'name'" in msg and "'B'" in msg and "duplicate" in msg
    assert "places.csv:5" in msg  # where the first one is


@pytest.mark.parametrize(
    ("name", "text", "where", "field", "value"),
    [
        (
            "places.csv",
            NATIVE["places.csv"].replace("2020-01-05", "2020-01-32"),
            "places.csv:3",
            "conflict_date",
            "'2020-01-32'",
        ),
        ("closures.csv", "kind,a,b,start,end\ncountry,X,Y,10/01/2020,\n", "closures.csv:2", "start", "'10/01/2020'"),
        ("conflicts.csv", "place,start,end\nA,2020-01-01,2020-1-9\n", "conflicts.csv:2", "end", "'2020-1-9'"),
        ("observed.csv", "date,place,count\n2020-01-01,C,5\nyesterday,C,9\n", "observed.csv:3", "date", "'yesterday'"),
        (
            "scenario.yaml",
            NATIVE["scenario.yaml"].replace("2020-01-01", "2020-02-30"),
            "scenario.yaml:3",
            "start_date",
            "'2020-02-30'",
        ),
    ],
)
def test_native_malformed_date(tmp_path: Path, name: str, text: str, where: str, field: str, value: str) -> None:
    msg = error_of(native(tmp_path, name, text))
    assert where in msg and f"field '{field}'" in msg and value in msg and "YYYY-MM-DD" in msg


@pytest.mark.parametrize(
    ("name", "text", "where", "field", "value"),
    [
        (
            "places.csv",
            NATIVE["places.csv"].replace("1.0,2.0,1000", "1.0,2.0,lots"),
            "places.csv:3",
            "population",
            "'lots'",
        ),
        ("places.csv", NATIVE["places.csv"].replace("1.0,2.0", "91,2.0"), "places.csv:3", "lat", "'91'"),
        ("places.csv", NATIVE["places.csv"].replace(",300,", ",12.5,"), "places.csv:6", "capacity", "'12.5'"),
        ("links.csv", "a,b,distance,speed\nA,B,ten,\n", "links.csv:2", "distance", "'ten'"),
        ("links.csv", "a,b,distance,speed\nA,B,10,0\n", "links.csv:2", "speed", "'0'"),
        ("conflicts.csv", "place,start,intensity\nA,2020-01-01,high\n", "conflicts.csv:2", "intensity", "'high'"),
        ("observed.csv", "date,place,count\n2020-01-01,C,-3\n", "observed.csv:2", "count", "'-3'"),
        (
            "scenario.yaml",
            NATIVE["scenario.yaml"].replace("days: 30", "days: thirty"),
            "scenario.yaml:4",
            "days",
            "'thirty'",
        ),
        (
            "scenario.yaml",
            NATIVE["scenario.yaml"].replace("camp_weight: 2.0", "camp_weight: heavy"),
            "scenario.yaml:8",
            "move.camp_weight",
            "'heavy'",
        ),
    ],
)
def test_native_malformed_number(tmp_path: Path, name: str, text: str, where: str, field: str, value: str) -> None:
    msg = error_of(native(tmp_path, name, text))
    assert where in msg and f"field '{field}'" in msg and value in msg and "expected" in msg


@pytest.mark.parametrize("name", ["scenario.yaml", "places.csv", "links.csv"])
def test_native_missing_file(tmp_path: Path, name: str) -> None:
    folder = native(tmp_path, name, None)
    with pytest.raises(ScenarioError) as exc:
        load_native(folder)
    msg = str(exc.value)
    assert str(folder / name) in msg and "file not found" in msg


def test_native_unknown_column(tmp_path: Path) -> None:
    msg = error_of(native(tmp_path, "links.csv", "a,b,distance,lanes\nA,B,10,2\n"))
    assert "links.csv:1" in msg and "field 'lanes'" in msg and "unknown column" in msg
    assert "a,b,distance,speed" in msg


def test_native_missing_required_column(tmp_path: Path) -> None:
    msg = error_of(native(tmp_path, "links.csv", "a,b,speed\nA,B,10\n"))
    assert "links.csv:1" in msg and "field 'distance'" in msg and "missing required column" in msg


def test_native_unknown_yaml_key(tmp_path: Path) -> None:
    msg = error_of(native(tmp_path, "scenario.yaml", NATIVE["scenario.yaml"] + "seeds: 3\n"))
    assert "scenario.yaml:9" in msg and "field 'seeds'" in msg and "unknown key" in msg
    assert "start_date" in msg and "end_date" in msg and "move" in msg
    msg = error_of(native(tmp_path / "nested", "scenario.yaml", NATIVE["scenario.yaml"] + "  speed: 3\n"))
    assert "scenario.yaml:9" in msg and "field 'move.speed'" in msg and "max_move_speed" in msg


@pytest.mark.parametrize(
    ("name", "text", "expect"),
    [
        ("scenario.yaml", NATIVE["scenario.yaml"] + "end_date: 2020-01-30\n", "exactly one of days and end_date"),
        (
            "scenario.yaml",
            NATIVE["scenario.yaml"].replace("days: 30", "end_date: 2019-12-01"),
            "scenario.yaml:4: field 'end_date': end_date is before start_date (got '2019-12-01')",
        ),
        (
            "scenario.yaml",
            NATIVE["scenario.yaml"].replace("mode: observed", "mode: [observed"),
            "scenario.yaml:7: not valid YAML",
        ),
        (
            "scenario.yaml",
            NATIVE["scenario.yaml"].replace("mode: observed", "mode: random"),
            "scenario.yaml:6: field 'spawn.mode'",
        ),
        ("links.csv", "# only a comment\n\n", "links.csv:1: no header row"),
        ("links.csv", "a,b,distance,a\nA,B,1,A\n", "links.csv:1: field 'a': column named twice"),
        ("links.csv", "a,b,distance\nA,B,1,9\n", "links.csv:2: more cells than header columns (got '9')"),
        ("links.csv", "a,b,distance\nA,B,\n", "links.csv:2: field 'distance': missing value"),
    ],
)
def test_native_structure_errors(tmp_path: Path, name: str, text: str, expect: str) -> None:
    assert expect in error_of(native(tmp_path, name, text))


@pytest.mark.parametrize(
    ("name", "text", "where", "field", "value"),
    [
        ("places.csv", NATIVE["places.csv"].replace("B,town", "B,city"), "places.csv:5", "kind", "'city'"),
        ("closures.csv", "kind,a,b,start\nborder,X,Y,2020-01-10\n", "closures.csv:2", "kind", "'border'"),
        ("closures.csv", "kind,a,b,start\ncountry,X,Z,2020-01-10\n", "closures.csv:2", "b", "'Z'"),
        ("closures.csv", "kind,a,b,start\ncamp,B,,2020-01-10\n", "closures.csv:2", "a", "'B'"),
        (
            "closures.csv",
            "kind,a,b,start,end\nlocation,B,,2020-01-10,2020-01-10\n",
            "closures.csv:2",
            "end",
            "'2020-01-10'",
        ),
        ("conflicts.csv", "place,start\nQ,2020-01-10\n", "conflicts.csv:2", "place", "'Q'"),
        ("observed.csv", "date,place,count\n2020-01-01,D,5\n", "observed.csv:2", "place", "'D'"),
        (
            "observed.csv",
            "date,place,count\n2020-01-01,C,5\n2020-01-01,C,6\n",
            "observed.csv:3",
            "date",
            "'2020-01-01'",
        ),
        (
            "places.csv",
            NATIVE["places.csv"].replace("B,town,X,,,500,,", "B,town,X,,,500,,2020-01-02"),
            "places.csv:5",
            "conflict_date",
            "'2020-01-02'",
        ),
    ],
)
def test_native_bad_cells(tmp_path: Path, name: str, text: str, where: str, field: str, value: str) -> None:
    msg = error_of(native(tmp_path, name, text))
    assert where in msg and f"field '{field}'" in msg and value in msg


def test_example_scenario_loads() -> None:
    sc = load_scenario(EXAMPLE)
    assert sc.format == "corridor" and sc.name == "example"
    assert "synthetic" in sc.description.lower()
    assert len(sc.places) == 8 and len(sc.links) == 9
    assert sum(p.kind == "conflict_zone" for p in sc.places) == 2
    assert sum(p.kind == "camp" for p in sc.places) == 2
    assert len({p.country for p in sc.places}) == 3
    assert len(sc.closures) == 1 and sc.closures[0].end - sc.closures[0].start == 14
    assert sc.conflicts and sc.spawn.mode == "observed"
    assert set(sc.observed) == {"Fenmoor Camp", "Greyhill Camp"}
    assert all(pts[-1].day == sc.days - 1 for pts in sc.observed.values())


# --- Flee's format ----------------------------------------------------------------------------


@needs_flee
@pytest.mark.parametrize("name", FLEE_NAMES)
def test_flee_scenarios_load(name: str) -> None:
    sc = load_scenario(FLEE_ROOT / name)
    assert sc.format == "flee" and sc.name == name
    assert len(sc.places) > 10 and len(sc.links) > 10 and sc.observed


@pytest.fixture
def mali(tmp_path: Path) -> Path:
    if not (FLEE_ROOT / "mali2012").is_dir():
        pytest.skip(f"Flee reference scenarios not found at {FLEE_ROOT} (set CORRIDOR_FLEE_SCENARIOS)")
    return Path(shutil.copytree(FLEE_ROOT / "mali2012", tmp_path / "mali2012"))


def edit_cell(path: Path, line: int, column: int, value: str) -> str:
    """Set one cell (1-based line, 0-based column) of a CSV file; returns the old value."""
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[line - 1].split(",")
    old, cells[column] = cells[column], value
    lines[line - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return old


def test_flee_unknown_place_in_routes(mali: Path) -> None:
    edit_cell(mali / "input_csv" / "routes.csv", 3, 1, "Mentaoo")
    msg = error_of(mali)
    assert "routes.csv:3" in msg and "field 'name2'" in msg and "'Mentaoo'" in msg and "unknown place" in msg


def test_flee_negative_distance(mali: Path) -> None:
    edit_cell(mali / "input_csv" / "routes.csv", 4, 2, "-462")
    msg = error_of(mali)
    assert "routes.csv:4" in msg and "field 'distance'" in msg and "-462" in msg and ">= 0" in msg


def test_flee_duplicate_place(mali: Path) -> None:
    # Flee goes on with a repeated name (tests/test_flee_compat.py); strict refuses it
    edit_cell(mali / "input_csv" / "locations.csv", 3, 0, '"Kidal"')
    msg = error_of(mali, strict=True)
    assert "locations.csv:3" in msg and "field 'name'" in msg and "'Kidal'" in msg and "duplicate" in msg


def test_flee_malformed_date(mali: Path) -> None:
    edit_cell(mali / "input_csv" / "sim_period.csv", 1, 1, "2012-02-30")
    msg = error_of(mali)
    assert "sim_period.csv:1" in msg and "field 'StartDate'" in msg and "'2012-02-30'" in msg


def test_flee_malformed_number(mali: Path) -> None:
    edit_cell(mali / "input_csv" / "locations.csv", 2, 3, "north")
    msg = error_of(mali)
    assert "locations.csv:2" in msg and "field 'latitude'" in msg and "'north'" in msg and "number" in msg


def test_flee_missing_file(mali: Path) -> None:
    (mali / "input_csv" / "routes.csv").unlink()
    msg = error_of(mali)
    assert str(mali / "input_csv" / "routes.csv") in msg and "file not found" in msg


def test_flee_unknown_setting(mali: Path) -> None:
    path = mali / "simsetting.yml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  camp_weight: 5.0\n", "  camp_weight: 5.0\n  teleport: 2\n")
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  teleport: 2") + 1
    msg = error_of(mali, strict=True)  # Flee ignores it; corridor warns (tests/test_flee_compat.py) or refuses
    assert f"simsetting.yml:{line}" in msg and "field 'move_rules.teleport'" in msg and "2" in msg
    assert "unknown setting" in msg


# --- the border tables (caravans, hazards, marches, asylum) on a copy of tijuana-2018 ----------------


def tijuana_with(tmp_path: Path, name: str, old: str, new: str) -> Path:
    folder = tmp_path / "tj"
    shutil.copytree(REPO / "scenarios" / "tijuana-2018", folder)
    path = folder / name
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return folder


@pytest.mark.parametrize(
    "name,old,new,field,value",
    [
        ("hazards.csv", "returned,Ciudad Hidalgo,", "vanished,Ciudad Hidalgo,", "outcome", "'vanished'"),
        ("hazards.csv", "deported,Chiapas,,,0.3,", "deported,Chiapas,,,1.3,", "rate", "'1.3'"),
        ("hazards.csv", "deported,Oaxaca,", "deported,Oaxacca,", "where", "'Oaxacca'"),
        ("hazards.csv", ",caravan,,,,Tijuana", ",caravan,,,,Tijuna", "to", "'Tijuna'"),
        ("hazards.csv", ",caravan,,,,Tijuana", ",caravan,,,,El Barretal", "to", "'El Barretal'"),
        ("hazards.csv", ",caravan,,,,Tijuana", ",caravan,,,,", "to", "''"),
        ("hazards.csv", "0.003,caravan,0.5,0.5,,", "0.003,caravan,0.5,0.5,,Tijuana", "to", "'Tijuana'"),
        ("caravans.csv", "main,Tapachula,", "main,Tapachulla,", "place", "'Tapachulla'"),
        ("caravans.csv", "main,Ocotepeque,,111,", "main,Ocotepeque,,fast,", "pace", "'fast'"),
        ("marches.csv", "2018-11-25,Tijuana,0.08,", "2018-11-25,Tijuana,1.08,", "share", "'1.08'"),
        ("marches.csv", "0.32,caravan", "0.32,carvan", "cohort", "'carvan'"),
        ("ports.csv", ",14,Tijuana (other lodging)", ",14,Tijuana", "waitlist_place", "'Tijuana'"),
        ("reentry.csv", "returned_home,0.3,", "went_home,0.3,", "outcome", "'went_home'"),
        ("reentry.csv", "returned_home,0.3,", "returned_home,1.3,", "share", "'1.3'"),
        ("reentry.csv", "60,Ciudad Hidalgo,background", "60,Ciudad Hidalog,background", "place", "'Ciudad Hidalog'"),
        (
            "reentry.csv",
            "removed,0.3,60,Ciudad Hidalgo,background",
            "removed,0.3,60,Ciudad Hidalgo,bg",
            "cohort",
            "'bg'",
        ),
        ("reentry.csv", "removed,0.3,", "returned_home,0.2,", "outcome", "'returned_home'"),  # one rule per outcome
        (
            "departures.csv",
            "Ocotepeque,2018-10-15,,600,caravan,main,",
            "Ocotepeque,2018-10-15,,600,caravan,mane,",
            "caravan",
            "'mane'",
        ),  # fmt: skip
        ("places.csv", "Mexicali,0.35,yes,", "Mexicali,0.35,maybe,", "turns_away", "'maybe'"),
        (
            "scenario.yaml",
            "remain_in_mexico_from: 2019-01-29",
            "remain_in_mexico_from: 25 Jan",
            "asylum.remain_in_mexico_from",
            "25 Jan",
        ),  # fmt: skip
    ],
)
def test_border_tables_name_the_bad_cell(tmp_path: Path, name: str, old: str, new: str, field: str, value: str) -> None:
    msg = error_of(tijuana_with(tmp_path, name, old, new))
    assert name in msg and f"field '{field}'" in msg and value in msg, msg


def test_the_old_reentry_keys_and_a_deported_row_of_reentry_csv_are_one_rule_too_many(tmp_path: Path) -> None:
    folder = tijuana_with(tmp_path, "reentry.csv", "removed,0.3,", "deported,0.3,")
    text = (folder / "scenario.yaml").read_text()
    (folder / "scenario.yaml").write_text(text + "reentry:\n  share: 0.1\n  place: Ciudad Hidalgo\n")
    msg = error_of(folder)
    assert "reentry.csv" in msg and "outcome given twice" in msg and "'deported'" in msg, msg


def test_an_observation_cohort_the_departures_do_not_name_is_refused(tmp_path: Path) -> None:
    from corridor.evaluate.observations import read_observations

    folder = tijuana_with(
        tmp_path, "observation_cohorts.csv", "present,Tijuana,caravan;background", "present,Tijuana,caravan;bg"
    )
    with pytest.raises(ScenarioError) as exc:
        read_observations(folder / "observations.csv", load(folder).scenario)
    msg = str(exc.value)
    assert "observation_cohorts.csv" in msg and "field 'cohort'" in msg and "'bg'" in msg, msg


# --- input that never crashes: encodings, empty and cut files, shapes, limits ------------------------


def write_bytes(folder: Path, name: str, data: bytes) -> None:
    (folder / name).write_bytes(data)


def test_native_not_utf8_names_the_byte(tmp_path: Path) -> None:
    folder = native(tmp_path, "links.csv", None)
    write_bytes(folder, "links.csv", b"a,b,distance\nA,B,10\nB,C\xe9,20\n")
    msg = error_of(folder)
    assert "links.csv:3" in msg and "byte 0xe9 at byte offset 23" in msg and "UTF-8" in msg


def test_flee_not_utf8_names_the_byte(mali: Path) -> None:
    path = mali / "input_csv" / "routes.csv"
    data = path.read_bytes()
    path.write_bytes(data + b"Kidal,Gao,3\xff0\n")
    msg = error_of(mali)
    offset = len(data) + len("Kidal,Gao,3")
    line = data.count(b"\n") + 1
    assert f"routes.csv:{line}" in msg and f"byte 0xff at byte offset {offset}" in msg


def test_utf16_file_says_so(tmp_path: Path) -> None:
    folder = native(tmp_path, "links.csv", None)
    write_bytes(folder, "links.csv", "a,b,distance\nA,B,10\n".encode("utf-16"))
    msg = error_of(folder)
    assert "links.csv:1" in msg and "byte offset 0" in msg and "saved as UTF-16" in msg


@pytest.mark.parametrize("name", ["places.csv", "links.csv", "closures.csv", "observed.csv"])
def test_native_empty_file(tmp_path: Path, name: str) -> None:
    msg = error_of(native(tmp_path, name, ""))
    assert f"{name}:1: empty file" in msg and "naming the columns" in msg


def test_flee_empty_locations(mali: Path) -> None:
    (mali / "input_csv" / "locations.csv").write_text("")
    msg = error_of(mali)
    assert "locations.csv:1: no locations" in msg and "name,region,country" in msg


def test_flee_empty_optional_tables_mean_none(mali: Path) -> None:
    for name in ("closures.csv", "registration_corrections.csv"):
        (mali / "input_csv" / name).write_text("")
    sc = load_scenario(mali)
    assert sc.closures == [] and sc.corrections == []


@pytest.mark.parametrize("value", ["0", "-2"])
def test_flee_hasten_below_one(mali: Path, value: str) -> None:
    path = mali / "simsetting.yml"
    text = path.read_text().replace("hasten: 10", f"hasten: {value}")
    path.write_text(text)
    line = text.splitlines().index(f"  hasten: {value} ") + 1
    msg = error_of(mali)
    assert f"simsetting.yml:{line}: field 'optimisations.hasten': out of range (got {value})" in msg
    assert "a whole number from 1 to 2,147,483,647" in msg


@pytest.mark.parametrize(
    ("value", "problem"), [("0", "out of range"), ("-1", "out of range"), ("2.5", "not a whole number")]
)
def test_native_hasten_below_one(tmp_path: Path, value: str, problem: str) -> None:
    msg = error_of(native(tmp_path, "scenario.yaml", NATIVE["scenario.yaml"] + f"hasten: {value}\n"))
    assert f"scenario.yaml:9: field 'hasten': {problem} (got {value})" in msg and "from 1 to" in msg


@pytest.mark.parametrize(
    ("name", "text", "where", "field"),
    [
        ("scenario.yaml", "- a\n- b\n", "scenario.yaml:1", None),
        ("scenario.yaml", NATIVE["scenario.yaml"].replace("  camp_weight: 2.0", "  - 2.0"), "scenario.yaml:7", "move"),
        ("scenario.yaml", NATIVE["scenario.yaml"].replace("  mode: observed\n", "  3\n"), "scenario.yaml:5", "spawn"),
        ("scenario.yaml", NATIVE["scenario.yaml"].replace("days: 30", "days: {n: 30}"), "scenario.yaml:4", "days"),
        ("scenario.yaml", NATIVE["scenario.yaml"].replace("2.0", "{a: 1}"), "scenario.yaml:8", "move.camp_weight"),
        ("scenario.yaml", NATIVE["scenario.yaml"].replace("2.0", ".nan"), "scenario.yaml:8", "move.camp_weight"),
        ("scenario.yaml", NATIVE["scenario.yaml"].replace("2.0", ".inf"), "scenario.yaml:8", "move.camp_weight"),
        ("scenario.yaml", NATIVE["scenario.yaml"].replace("name: tiny", "name: [a, b]"), "scenario.yaml:1", "name"),
    ],
)  # fmt: skip
def test_native_yaml_of_the_wrong_shape(tmp_path: Path, name: str, text: str, where: str, field: str | None) -> None:
    msg = error_of(native(tmp_path, name, text))
    assert where in msg and "expected" in msg, msg
    assert field is None or f"field '{field}'" in msg, msg


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("optimisations:\n  hasten: 10 \n", "optimisations: 5\n", "optimisations"),
        ("  camp_weight: 5.0\n", "  camp_weight: [5.0]\n", "move_rules.camp_weight"),
        ("  camp_weight: 5.0\n", "  camp_weight: .nan\n", "move_rules.camp_weight"),
        ("  insert_day0: True\n", "  insert_day0: {a: 1}\n", "spawn_rules.insert_day0"),
        ("  insert_day0: True\n", "  conflict_driven_spawning: 3\n", "spawn_rules.conflict_driven_spawning"),
        ("  hasten: 10 \n", "  hasten: [10]\n", "optimisations.hasten"),
    ],
)
def test_flee_settings_of_the_wrong_shape(mali: Path, old: str, new: str, field: str) -> None:
    path = mali / "simsetting.yml"
    text = path.read_text()
    assert old in text
    text = text.replace(old, new)
    path.write_text(text)
    line = text.splitlines().index(new.splitlines()[0]) + 1
    msg = error_of(mali)
    assert f"simsetting.yml:{line}: field '{field}'" in msg, msg


def test_flee_settings_not_a_mapping(mali: Path) -> None:
    (mali / "simsetting.yml").write_text("- move_rules\n")
    assert "simsetting.yml:1: not a mapping of sections" in error_of(mali)
    (mali / "simsetting.yml").write_text("optimisations:\n  hasten: 1\nmove_rules: [1, 2]\n")
    assert "simsetting.yml:3: field 'move_rules': not a mapping (got [1, 2])" in error_of(mali)


@pytest.mark.parametrize(
    ("text", "line", "expect"),
    [
        ('"Kidal","Kidal","Mali",18.4,1.4,"conflict_zone",0,2561\n"Gao","Gao', 3, "never closed"),
        ('"Kidal","Kidal","Mali",18.4,1.4,"conf', 2, "never closed"),
        ('"Kidal","Kidal","Mali",18.4\n', 2, "too few columns"),
    ],
)
def test_flee_truncated_locations(mali: Path, text: str, line: int, expect: str) -> None:
    (mali / "input_csv" / "locations.csv").write_text('"#name","region"\n' + text)
    msg = error_of(mali)
    assert f"locations.csv:{line}" in msg and expect in msg, msg


def test_native_truncated_mid_quote(tmp_path: Path) -> None:
    msg = error_of(native(tmp_path, "links.csv", 'a,b,distance\nA,B,10\n"B,C,20\nC,B,5\n'))
    assert "links.csv:3: a quoted cell is never closed" in msg


@pytest.mark.parametrize(
    ("file", "line", "column", "value", "field"),
    [
        ("input_csv/locations.csv", 2, 3, "nan", "latitude"),
        ("input_csv/locations.csv", 2, 7, "inf", "population"),
        ("input_csv/locations.csv", 2, 7, "1e400", "population"),
        ("input_csv/routes.csv", 3, 2, "NaN", "distance"),
        ("input_csv/conflicts.csv", 5, 2, "inf", "Gao"),
        ("input_csv/conflicts.csv", 5, 2, "lots", "Gao"),
        ("input_csv/closures.csv", 2, 3, "-inf", "closure_start"),
        ("source_data/bf-bobo.csv", 3, 1, "nan", "count"),
        ("input_csv/sim_period.csv", 2, 1, "inf", "Length"),
    ],
)
def test_flee_non_finite_numbers(mali: Path, file: str, line: int, column: int, value: str, field: str) -> None:
    edit_cell(mali / file, line, column, value)
    msg = error_of(mali)
    assert f"{Path(file).name}:{line}" in msg and f"field '{field}'" in msg and repr(value) in msg, msg


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999"])
def test_native_non_finite_numbers(tmp_path: Path, value: str) -> None:
    msg = error_of(native(tmp_path, "links.csv", f"a,b,distance\nA,B,{value}\n"))
    assert "links.csv:2: field 'distance': not a finite number" in msg and repr(value) in msg


@pytest.mark.parametrize(
    ("name", "text", "where", "field", "why"),
    [
        (
            "scenario.yaml",
            NATIVE["scenario.yaml"].replace("days: 30", "days: 32768"),
            "scenario.yaml:4",
            "days",
            "16-bit",
        ),
        (
            "scenario.yaml",
            NATIVE["scenario.yaml"].replace("days: 30", "end_date: 2120-01-01"),
            "scenario.yaml:4",
            "end_date",
            "16-bit",
        ),
        (
            "scenario.yaml",
            NATIVE["scenario.yaml"].replace("2020-01-01", "9999-12-31"),
            "scenario.yaml:4",
            "days",
            "9999-12-31",
        ),
        (
            "scenario.yaml",
            NATIVE["scenario.yaml"] + f"hasten: {10**30}\n",
            "scenario.yaml:9",
            "hasten",
            "leaves nobody",
        ),
        (
            "places.csv",
            NATIVE["places.csv"].replace(",1000,", ",3000000000,"),
            "places.csv:3",
            "population",
            "32-bit",
        ),
        ("places.csv", NATIVE["places.csv"].replace(",300,", ",1e12,"), "places.csv:6", "capacity", "32-bit"),
        ("observed.csv", "date,place,count\n2020-01-01,C,2147483648\n", "observed.csv:2", "count", "32-bit"),
    ],
)
def test_native_numbers_too_large(tmp_path: Path, name: str, text: str, where: str, field: str, why: str) -> None:
    msg = error_of(native(tmp_path, name, text))
    assert where in msg and f"field '{field}'" in msg and why in msg, msg


def test_flee_numbers_too_large(mali: Path) -> None:
    edit_cell(mali / "input_csv" / "sim_period.csv", 2, 1, "40000")
    msg = error_of(mali)
    assert "sim_period.csv:2: field 'Length': out of range (got '40000')" in msg and "16-bit" in msg
    edit_cell(mali / "input_csv" / "sim_period.csv", 2, 1, "300")
    edit_cell(mali / "input_csv" / "locations.csv", 2, 7, "3000000000")
    msg = error_of(mali)
    assert "locations.csv:2: field 'population'" in msg and "<= 2147483647" in msg and "32-bit" in msg
    edit_cell(mali / "input_csv" / "locations.csv", 2, 7, "25617")
    edit_cell(mali / "source_data" / "bf-bobo.csv", 3, 1, "3e9")
    msg = error_of(mali)
    assert "bf-bobo.csv:3: field 'count': out of range (got '3e9')" in msg and "32-bit" in msg


def test_flee_dates_past_the_calendar(mali: Path) -> None:
    edit_cell(mali / "input_csv" / "sim_period.csv", 1, 1, "9999-12-01")
    msg = error_of(mali)
    assert "sim_period.csv:2: field 'Length': out of range (got '300')" in msg and "9999-12-31" in msg


def test_native_too_many_cohorts(tmp_path: Path) -> None:
    rows = "".join(f"A,2020-01-02,,1,c{k}\n" for k in range(128))
    folder = native(tmp_path, "scenario.yaml", NATIVE["scenario.yaml"])
    (folder / "departures.csv").write_text("place,start,end,count,cohort\n" + rows)
    msg = error_of(folder)
    assert "departures.csv:129: field 'cohort': more than 127 cohorts (got 'c127')" in msg and "8 bits" in msg


def test_native_zero_length_road_without_softening(tmp_path: Path) -> None:
    folder = native(tmp_path, "links.csv", "a,b,distance\nA,B,0\nB,C,20\n")
    (folder / "scenario.yaml").write_text(NATIVE["scenario.yaml"] + "  softening: 0\n")
    msg = error_of(folder)
    assert "links.csv:2: field 'distance': a road of length 0 while move.softening is 0" in msg
    assert "divide by softening + distance" in msg


Y = NATIVE["scenario.yaml"]


@pytest.mark.parametrize(
    ("files", "expect"),
    [
        ({"scenario.yaml": Y.replace("2.0", "1e305")}, "scenario.yaml:7: field 'move.camp_weight'"),
        ({"scenario.yaml": Y.replace("2.0", "100") + "  weight_power: 1e10\n"}, "field 'move.weight_power'"),
        (
            {
                "scenario.yaml": Y + "  softening: 0\n  distance_power: 1e10\n",
                "links.csv": "a,b,distance\nA,B,0.5\nB,C,2\n",
            },
            "scenario.yaml:7: field 'move.distance_power': (softening + shortest road) ** distance_power rounds to 0",
        ),
        (
            {
                "places.csv": NATIVE["places.csv"]
                .replace("conflict_date\n", "conflict_date,attraction\n")
                .replace("C,camp,Y,,,,300,", "C,camp,Y,,,,300,,1e305")
            },
            "places.csv:6: field 'attraction'",
        ),
        ({"conflicts.csv": "place,start,intensity\nA,2020-01-01,1e299\n"}, "conflicts.csv:2: field 'intensity'"),
    ],
)
def test_weights_that_would_overflow_or_divide_by_zero(tmp_path: Path, files: dict[str, str], expect: str) -> None:
    """The engine's route and spawn weights are float64: an input that would take one past 1e300, or
    make a route's divisor round to 0, is refused and the input that contributes most is blamed."""
    folder = native(tmp_path, "scenario.yaml", NATIVE["scenario.yaml"])
    for name, text in files.items():
        (folder / name).write_text(text)
    msg = error_of(folder)
    assert expect in msg, msg


def test_conflict_spawning_past_the_people_limit(tmp_path: Path) -> None:
    text = NATIVE["scenario.yaml"].replace("mode: observed", "mode: conflict\n  rate: 3000000000")
    msg = error_of(native(tmp_path, "scenario.yaml", text))
    assert "scenario.yaml:5: field 'spawn.rate'" in msg and "2,147,483,647" in msg


def test_error_lines_stay_one_line(tmp_path: Path) -> None:
    msg = error_of(native(tmp_path, "links.csv", 'a,b,distance\nA,"B\nB",10\n'))
    assert "links.csv:2: field 'b': unknown place (got 'B\\nB')" in msg


def test_cli_prints_brackets_as_written(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from corridor.cli import app

    folder = native(tmp_path, "links.csv", "a,b,distance\nA,[/x],10\n")
    result = CliRunner().invoke(app, ["check", str(folder)])
    assert result.exit_code == 2 and "got '[/x]'" in result.output


# --- observations.csv (read_observations) -------------------------------------------------------------

OBS = 'date,place,metric,value,low,high,source,note\n2018-11-16,Tijuana,present,2397,2397,2397,"a, b",\n'


@pytest.mark.parametrize(
    ("data", "expect"),
    [
        (OBS.encode().replace(b"Tijuana", b"Tiju\xe1na"), "observations.csv:2: not UTF-8 text: byte 0xe1 at byte"),
        (b"", "observations.csv:1: empty file"),
        (OBS.replace("metric,", "").encode(), "observations.csv:1: field 'metric': missing column"),
        (OBS.replace("note", "notes").encode(), "observations.csv:1: field 'notes': unknown column"),
        (OBS.replace("2397,2397,2397", "nan,2397,2397").encode(), "observations.csv:2: field 'value': not a number"),
        (OBS.replace("2397,2397,2397", "1,2,inf").encode(), "observations.csv:2: field 'high': not a number"),
        (OBS.replace("2018-11-16", "2018-11-31").encode(), "observations.csv:2: field 'date': malformed date"),
        (OBS.encode()[:-4], "observations.csv:2: a quoted cell is never closed"),
        (OBS.replace(",\n", ",,x\n").encode(), "observations.csv:2: more cells than header columns"),
        (OBS.replace("Tijuana", "").encode(), "observations.csv:2: field 'place': missing value"),
    ],
)  # fmt: skip
def test_observations_errors(tmp_path: Path, data: bytes, expect: str) -> None:
    from corridor.evaluate.observations import read_observations

    path = tmp_path / "observations.csv"
    path.write_bytes(data)
    with pytest.raises(ScenarioError) as exc:
        read_observations(path)
    assert expect in str(exc.value) and "\n" not in str(exc.value), str(exc.value)


def test_observations_read_with_bom_crlf_and_spaces(tmp_path: Path) -> None:
    from corridor.evaluate.observations import read_observations

    path = tmp_path / "observations.csv"
    path.write_text(OBS)
    plain = read_observations(path)
    spaced = (
        ' date , place,metric ,value,low,high,source,note\n 2018-11-16 ,Tijuana , present,2397,2397,2397, "a, b" ,\n'
    )
    path.write_bytes(b"\xef\xbb\xbf" + spaced.replace("\n", "\r\n").encode() + b"\r\n\r\n")
    assert read_observations(path) == plain
    assert plain[0].source == "a, b" and plain[0].value == 2397


def test_folder_missing_the_file_that_marks_its_format(tmp_path: Path, mali: Path) -> None:
    folder = native(tmp_path, "scenario.yaml", None)
    assert f"{folder / 'scenario.yaml'}: file not found" in error_of(folder)
    (mali / "input_csv" / "locations.csv").unlink()
    assert f"{mali / 'input_csv' / 'locations.csv'}: file not found" in error_of(mali)
    assert "not a scenario folder" in error_of(tmp_path / "mali2012" / "input_csv")


@pytest.mark.parametrize("name", ["bf\x00.csv", "sub/"])
def test_flee_data_layout_names_no_file(mali: Path, name: str) -> None:
    (mali / "source_data" / "data_layout.csv").write_text(f"total,refugees.csv\nMentao,{name}\n")
    msg = error_of(mali)
    assert "data_layout.csv:2: field 'file': not a file name" in msg and "\n" not in msg


def test_native_too_many_ports(tmp_path: Path) -> None:
    folder = native(
        tmp_path, "places.csv", NATIVE["places.csv"] + "".join(f"P{k},port_of_entry,Y\n" for k in range(128))
    )
    (folder / "ports.csv").write_text("port,capacity_per_day\n" + "".join(f"P{k},10\n" for k in range(128)))
    msg = error_of(folder)
    assert "ports.csv:129: field 'port': more than 127 ports (got 'P127')" in msg and "8 bits" in msg


def test_route_through_too_many_markers(tmp_path: Path) -> None:
    """Markers cost no awareness, so a chain of them makes one route of many roads; the engine counts a
    route's roads in 8 bits (a chain of 130 crashed the run with an OverflowError)."""
    names = ["A", *(f"M{k}" for k in range(127)), "C"]
    places = NATIVE["places.csv"].replace("B,town", "B,marker") + "".join(f"M{k},marker,X,,,,,\n" for k in range(127))
    links = "a,b,distance\n" + "".join(f"{a},{b},1\n" for a, b in zip(names, names[1:], strict=False))
    folder = native(tmp_path, "places.csv", places)
    (folder / "links.csv").write_text(links + "A,B,1\n")
    msg = error_of(folder)
    assert "places.csv:7: field 'kind': a route could pass 127 markers" in msg and "128 roads in all" in msg, msg
    (folder / "places.csv").write_text(places.replace("M0,marker", "M0,town"))
    res = load(folder).run(days=3)  # 126 markers in a row: a route of 127 roads, the most there can be
    assert res.record.population[-1].sum() > 0
