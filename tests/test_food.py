"""Flee's food insecurity rules (region_attributes_IPC.csv): hunger pulls people out, food-deprived places
draw fewer, and starvation displaces people where they live. Small cases whose answer is known."""

from pathlib import Path

import numpy as np
import pytest

import corridor
from corridor.errors import ScenarioError
from corridor.scenario.flee import load_flee
from corridor.sim.network import food_levels

from conftest import write_folder

LOCATIONS = """\
#name,region,country,latitude,longitude,location_type,conflict_date,population
A,North,X,0,0,conflict_zone,0,10000
B,South,X,0,1,town,,5000
C,East,Y,0,2,camp,,8000
D,South,X,0,3,town,,5000
"""
ROUTES = "#name1,name2,distance,forced_redirection\nA,B,100,0\nB,C,100,0\nA,D,100,0\n"
# IPC 40 in the South on day 0, 80 from day 10; 20 in the North and the East throughout
IPC = "#Day,North,South,East\n0,20,40,20\n10,20,80,20\n30,20,80,20\n"


def folder(tmp_path: Path, settings: str, ipc: str | None = IPC, days: int = 20) -> Path:
    base = "spawn_rules:\n  conflict_driven_spawning:\n    spawn_mode: constant\n    displaced_per_conflict_day: 100\n"
    files = {
        "input_csv/locations.csv": LOCATIONS,
        "input_csv/routes.csv": ROUTES,
        "input_csv/sim_period.csv": f"StartDate,2020-01-01\nLength,{days}\n",
        "simsetting.yml": base + settings,
    }
    if ipc is not None:
        files["input_csv/region_attributes_IPC.csv"] = ipc
    return write_folder(tmp_path / "food", files)


def test_ipc_levels_are_read_by_region_and_interpolated_by_day(tmp_path):
    sc = load_flee(folder(tmp_path, "move_rules:\n  flee_when_starving: True\n"))
    levels = food_levels(sc)
    assert levels.shape == (20, 4)
    assert levels[:, 0].tolist() == [20.0] * 20  # A, in the North
    assert levels[0, 1] == 40 and levels[5, 1] == 60 and levels[10:, 1].tolist() == [80.0] * 10  # B, South
    assert np.array_equal(levels[:, 1], levels[:, 3])


def test_flee_when_starving_raises_the_move_chance_as_f_plus_one_minus_f_m(tmp_path):
    # B and D are towns (default move chance 0.3): with IPC 80 the chance is 0.8 + 0.2 x 0.3 = 0.86
    sc = load_flee(folder(tmp_path, "move_rules:\n  flee_when_starving: True\n"))
    sim = corridor.Simulation(sc)
    from corridor.sim.components.attract import Attract
    from corridor.sim.engine import Engine

    eng = Engine(sc, seed=0)
    for day in range(12):
        eng.step(day)
        mc = eng.world.get(Attract).today.movechance
        f = sc.food_insecurity["South"]
        south = np.interp(day, [p.day for p in f], [p.value for p in f]) / 100
        assert mc[1] == pytest.approx(south + (1 - south) * 0.3)
        assert mc[0] == pytest.approx(0.2 + 0.8 * 1.0)  # the conflict zone's chance is 1 already
    assert sim.run(seed=0).agents > 0


def test_avoid_food_deprived_locations_weighs_home_places_down_from_day_1(tmp_path):
    # from A, B and D weigh alike without the rule; with it their scores are 1 - 0.8^2 from day 10 (home
    # country), while the foreign camp C is untouched: test the scores the kernel uses
    sc = load_flee(folder(tmp_path, "move_rules:\n  avoid_food_deprived_locations: True\n"))
    from corridor.sim.components.food import Food
    from corridor.sim.engine import Engine

    eng = Engine(sc, seed=0)
    seen = []
    for day in range(12):
        eng.step(day)
        seen.append(eng.world.get(Food).fed.copy())
    assert seen[0].tolist() == [1.0, 1.0, 1.0, 1.0]  # day 0: Flee applies it from day 1
    assert seen[11] == pytest.approx([1 - 0.2**2, 1 - 0.8**2, 1.0, 1 - 0.8**2])


def test_starvation_driven_spawning_weighs_places_by_population_and_ipc(tmp_path):
    # observed spawning needs camp series: use the model directly, 10,000 new people on day 1
    from corridor.scenario.model import Link, Place, Scenario, SeriesPoint, SpawnRules

    places = [Place(name="A", kind="conflict_zone", region="North", country="X", population=10000, conflict_date=0),
              Place(name="B", kind="town", region="South", country="X", population=5000),
              Place(name="C", kind="camp", region="East", country="Y")]  # fmt: skip
    links = [Link(a="A", b="B", distance=100), Link(a="B", b="C", distance=100)]
    food = {"North": [SeriesPoint(day=0, value=20)], "South": [SeriesPoint(day=0, value=80)],
            "East": [SeriesPoint(day=0, value=0)]}  # fmt: skip
    observed = {"C": [SeriesPoint(day=0, value=0), SeriesPoint(day=1, value=10000)]}

    def spawned(only_conflict: bool) -> np.ndarray:
        sc = Scenario(name="starve", start_date="2020-01-01", days=2, places=places, links=links, observed=observed,
                      food_insecurity=food, spawn=SpawnRules(starvation_driven_spawning=True,
                                                             conflict_zone_spawning_only=only_conflict))  # fmt: skip
        return corridor.Simulation(sc).run(seed=4).record.spawned[1]

    # A: 10,000 x 1 (conflict) + 10,000 x 0.2; B: 5,000 x 0.8 only without conflict_zone_spawning_only
    weights = np.array([12000.0, 4000.0])
    both = spawned(False)[:2]
    share = weights / weights.sum()
    assert np.all(np.abs(both - 10000 * share) < 4 * np.sqrt(10000 * share * (1 - share)))
    assert spawned(True)[:2].tolist() == [10000, 0]


@pytest.mark.parametrize(
    "settings,ipc,says",
    [
        ("move_rules:\n  flee_when_starving: True\n", None, "region_attributes_IPC.csv: missing file"),
        (
            "move_rules:\n  flee_when_starving: True\n",
            "#Day,North,South\n0,20,40\n30,20,80\n",
            "no IPC level for a place's region (got 'East (C)')",
        ),
        ("move_rules:\n  avoid_food_deprived_locations: True\n", "#Day,North,South\n0,20,40\n30,20,80\n", None),
        (
            "move_rules:\n  flee_when_starving: True\n",
            "#Day,North,South,East\n0,20,40,20\n5,20,40,20\n",
            "field '#Day': days out of order or not covering the run (got '0..5')",
        ),
        (
            "move_rules:\n  flee_when_starving: True\n",
            "Day,North,South,East\n0,20,40,20\n30,20,40,20\n",
            "first column is not #Day",
        ),
    ],
)
def test_where_flee_stops_on_the_ipc_file_corridor_says_so_in_one_line(tmp_path, settings, ipc, says):
    f = folder(tmp_path, settings, ipc)
    if says is None:  # the foreign camp's region is not read by avoid_food_deprived_locations
        assert load_flee(f).food_insecurity.keys() == {"North", "South"}
        return
    with pytest.raises(ScenarioError) as exc:
        load_flee(f)
    assert "\n" not in str(exc.value) and says in str(exc.value), str(exc.value)


def test_without_a_food_rule_the_ipc_file_is_not_read(tmp_path):
    sc = load_flee(folder(tmp_path, "", ipc="not, a, valid, file\n"))
    assert sc.food_insecurity == {} and not sc.has_food_rules()
