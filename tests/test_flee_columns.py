"""The extra columns of Flee's locations.csv and routes.csv that change a run (docs/flee-compat.md): initial_idps,
capacity_per_day, conflict_intensity and walk_probability, each on a tiny hand-made Flee folder whose answer is
known in advance. Flee's own numbers (its development version, djgroen/flee 02cd2cb, run as its run.py does on
the same folders, seed 0, with bench/flee_columns.py) are given where a case was run through it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import corridor
from corridor.errors import ScenarioError
from corridor.output.runfolder import flee_out_table
from corridor.scenario.load import load_scenario

from conftest import write_folder

HEAD = "#name,region,country,latitude,longitude,location_type,conflict_date,population"
ROADS = "#name1,name2,distance,forced_redirection"


def settings(rate: int, **move: float) -> str:
    rules = "".join(f"  {k}: {v}\n" for k, v in move.items())
    return (
        "spawn_rules:\n  conflict_driven_spawning:\n    spawn_mode: constant\n"
        f"    displaced_per_conflict_day: {rate}\nmove_rules:\n{rules}"
    )


def case(locations: str, routes: str, days: int, simsetting: str) -> dict[str, str]:
    """A Flee folder as Flee's run.py needs it: the camp C has a series (0 on day 0) for add_initial_refugees, and
    conflicts.csv a row a day, for a place that is never in conflict (no conflict zone has a column)."""
    conflicts = "#Day,C\n" + "".join(f"{d},0\n" for d in range(days))
    return {
        "input_csv/locations.csv": locations,
        "input_csv/routes.csv": routes,
        "input_csv/closures.csv": "#closure_type,name1,name2,closure_start,closure_end\n",
        "input_csv/conflicts.csv": conflicts,
        "input_csv/sim_period.csv": f"StartDate,2020-01-01\nLength,{days}\n",
        "source_data/data_layout.csv": "total,total.csv\nC,C.csv\n",
        "source_data/total.csv": "2020-01-01,0\n",
        "source_data/C.csv": "2020-01-01,0\n",
        "simsetting.yml": simsetting,
    }


STILL = dict(camp_movechance=0.0)  # nobody leaves the camp: its count is exactly who came
CASES: dict[str, tuple[dict[str, str], int]] = {
    # 50 people in camp C before day 0; B is a town, where Flee never reads the column
    "initial_idps": (
        case(
            f"{HEAD},initial_idps\nA,R,X,0,0,conflict_zone,0,10000,\nB,R,X,0,1,town,,5000,30\n"
            "C,R,Y,0,2,camp,,8000,50\n",
            f"{ROADS}\nA,B,100,0\nB,C,100,0\n",
            5,
            settings(0, **STILL),
        ),
        5,
    ),
    # camp C without a population (Flee's capacity 0) gains 20 places a day; 100 a day set out from A, 10 km off
    "capacity_per_day": (
        case(
            f"{HEAD},capacity_per_day\nA,R,X,0,0,conflict_zone,0,100000,0\nC,R,Y,0,2,camp,,,20\n",
            f"{ROADS}\nA,C,10,0\n",
            10,
            settings(100, **STILL),
        ),
        10,
    ),
    # A's conflict, at intensity 2.5 from the start, displaces 2.5 x 100 a day (conflicts.csv has no column for A)
    "conflict_intensity": (
        case(
            f"{HEAD},conflict_intensity\nA,R,X,0,0,conflict_zone,0,100000,2.5\nB,R,X,0,1,town,,5000,\n"
            "C,R,Y,0,2,camp,,8000,\n",
            f"{ROADS}\nA,B,100,0\nB,C,100,0\n",
            3,
            settings(100, **STILL),
        ),
        3,
    ),
}
for walk in (0, 1):
    # a 100 km road at 200 km a day, or at 35 km a day on foot (35, 70, 105: there on the third day)
    CASES[f"walk_probability_{walk}"] = (
        case(
            f"{HEAD}\nA,R,X,0,0,conflict_zone,0,100000\nC,R,Y,0,2,camp,,8000\n",
            f"{ROADS},walk_probability\nA,C,100,0,{walk}\n",
            4,
            settings(100, max_move_speed=200.0, max_walk_speed=35.0, **STILL),
        ),
        4,
    )


def folder(tmp_path: Path, name: str, **replace: str) -> Path:
    return write_folder(tmp_path / name, {**CASES[name][0], **replace})


def run(path: Path, seed: int = 0) -> corridor.RunResult:
    return corridor.Simulation(load_scenario(path)).run(seed=seed)


def at_place(res: corridor.RunResult, name: str) -> list[int]:
    return res.record.population[:, res.scenario.place_index()[name]].tolist()


def test_initial_idps_are_in_their_camp_on_day_0_and_counted_as_flee_counts_them(tmp_path: Path) -> None:
    """Flee (same folder, 5 days): C holds 50 every day, 50 people in all; B's 30 are never read."""
    sc = load_scenario(folder(tmp_path, "initial_idps"))
    assert [(d.place, d.start, d.count) for d in sc.departures] == [("C", 0, 50)]
    res = corridor.Simulation(sc).run(seed=0)
    assert at_place(res, "C") == [50] * 5 and at_place(res, "B") == [0] * 5
    out = flee_out_table(res)
    assert out["C sim"].tolist() == [50] * 5
    assert out["total refugees (simulation)"].tolist() == [50] * 5
    # Flee's add_initial_refugees puts nobody in the camps with empty_camps_on_day0
    empty = settings(0, **STILL).replace("spawn_rules:\n", "spawn_rules:\n  empty_camps_on_day0: True\n")
    assert load_scenario(folder(tmp_path / "empty", "initial_idps", **{"simsetting.yml": empty})).departures == []


def test_capacity_per_day_lets_a_full_camp_take_more_each_day(tmp_path: Path) -> None:
    """C's capacity on day d is 20 x (d + 1) (Flee adds the column before anyone moves, from day 0). Everyone at A
    sets out while C holds at most 90% of that, nobody once it holds all of it: day 0 (capacity 20, C empty) all 100
    go; days 1-4 (40 to 100) C's 100 fill it and A's people wait; day 5 (120: 100 is under 108) all 500 go; then
    C's 600 fill it again to the end. Flee (same folder): C holds 100, 100, 100, 100, 100, 600, 600, 600, 600, 600.
    Without the column C (capacity 0: none) takes everyone: 100 a day."""
    res = run(folder(tmp_path, "capacity_per_day"))
    assert at_place(res, "C") == [100] * 5 + [600] * 5
    assert at_place(res, "A") == [0, 100, 200, 300, 400, 0, 100, 200, 300, 400]
    plain = CASES["capacity_per_day"][0]["input_csv/locations.csv"].replace(",20\n", ",\n")
    res = run(folder(tmp_path / "plain", "capacity_per_day", **{"input_csv/locations.csv": plain}))
    assert at_place(res, "C") == [100 * (d + 1) for d in range(10)]


def test_conflict_intensity_multiplies_the_conflict_spawns_from_day_0(tmp_path: Path) -> None:
    """Flee (same folder): 250 new people a day, int(100 x 2.5) (and 250, 500, 750 people in all)."""
    res = run(folder(tmp_path, "conflict_intensity"))
    a = res.scenario.place_index()["A"]
    assert res.record.spawned[:, a].tolist() == [250, 250, 250]
    # a conflict zone that starts later is a town in Flee until then: the column is not read there
    later = CASES["conflict_intensity"][0]["input_csv/locations.csv"].replace("conflict_zone,0,", "conflict_zone,1,")
    sc = load_scenario(folder(tmp_path / "later", "conflict_intensity", **{"input_csv/locations.csv": later}))
    assert sc.places[0].conflict_intensity == 1.0


def test_walk_probability_one_walks_the_road_and_zero_rides_it(tmp_path: Path) -> None:
    """Flee (same folders): with walk_probability 0, C holds 100, 200, 300, 400; with 1, 0, 0, 100, 200."""
    assert at_place(run(folder(tmp_path, "walk_probability_0")), "C") == [100, 200, 300, 400]
    assert at_place(run(folder(tmp_path, "walk_probability_1")), "C") == [0, 0, 100, 200]


def test_walk_probability_is_a_chance_a_day_for_each_person(tmp_path: Path) -> None:
    # at 0.5 about half of each day's 100 ride the 100 km in a day; the rest walk 35 km and roll again the next
    # day: half of them arrive on the second day, the others on the third (105 km)
    roads = f"{ROADS},walk_probability\nA,C,100,0,0.5\n"
    path = folder(tmp_path, "walk_probability_0", **{"input_csv/routes.csv": roads})
    first = [at_place(run(path, seed), "C")[0] for seed in range(20)]
    assert 40 <= np.mean(first) <= 60 and len(set(first)) > 1


@pytest.mark.parametrize(
    "name,file,old,new,field",
    [
        ("initial_idps", "locations.csv", "camp,,8000,50", "camp,,8000,2.5", "initial_idps"),
        ("capacity_per_day", "locations.csv", "camp,,,20", "camp,,,lots", "capacity_per_day"),
        ("conflict_intensity", "locations.csv", "100000,2.5", "100000,0", "conflict_intensity"),
        ("walk_probability_1", "routes.csv", "100,0,1", "100,0,often", "walk_probability"),
    ],
)
def test_a_bad_value_is_one_line_naming_file_row_and_field(
    tmp_path: Path, name: str, file: str, old: str, new: str, field: str
) -> None:
    text = CASES[name][0][f"input_csv/{file}"]
    assert old in text
    with pytest.raises(ScenarioError) as exc:
        load_scenario(folder(tmp_path, name, **{f"input_csv/{file}": text.replace(old, new)}))
    msg = str(exc.value)
    assert "\n" not in msg and f"{file}:" in msg and f"field '{field}'" in msg, msg


def test_values_flee_takes_as_nothing_or_always_are_taken_with_a_warning(tmp_path: Path) -> None:
    text = CASES["walk_probability_1"][0]["input_csv/routes.csv"].replace("100,0,1", "100,0,1.5")
    lines: list[str] = []
    sc = load_scenario(folder(tmp_path, "walk_probability_1", **{"input_csv/routes.csv": text}), warn=lines.append)
    assert sc.links[0].walk_probability == 1.0 and len(lines) == 1 and "routes.csv:2" in lines[0]
    text = CASES["initial_idps"][0]["input_csv/locations.csv"].replace("camp,,8000,50", "camp,,8000,-5")
    lines = []
    sc = load_scenario(folder(tmp_path / "neg", "initial_idps", **{"input_csv/locations.csv": text}), warn=lines.append)
    assert sc.departures == [] and len(lines) == 1 and "locations.csv:4" in lines[0]


def test_the_native_format_takes_the_same_columns(tmp_path: Path) -> None:
    """The walk_probability case in corridor's own format (conflict spawning: 100 a day x intensity 2)."""
    root = tmp_path / "native"
    root.mkdir()
    (root / "scenario.yaml").write_text(
        "name: walk\nstart_date: 2020-01-01\ndays: 4\nspawn:\n  mode: conflict\n  rate: 100\n"
        "move:\n  max_move_speed: 200\n  max_walk_speed: 35\n  camp_movechance: 0\n"
    )
    (root / "places.csv").write_text(
        "name,kind,country,population,conflict_date,conflict_intensity,capacity_per_day\n"
        "A,conflict_zone,X,100000,2020-01-01,2,\nC,camp,Y,,,,0\n"
    )
    (root / "links.csv").write_text("a,b,distance,walk_probability\nA,C,100,1\n")
    sc = load_scenario(root)
    assert sc.places[0].conflict_intensity == 2.0 and sc.links[0].walk_probability == 1.0
    assert at_place(corridor.Simulation(sc).run(seed=0), "C") == [0, 0, 200, 400]
    (root / "places.csv").write_text("name,kind,country,conflict_intensity\nA,town,X,2\nC,camp,Y,\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(root)
    assert "places.csv:2" in str(exc.value) and "conflict zones" in str(exc.value)
