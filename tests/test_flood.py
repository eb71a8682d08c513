"""DFlee's flood rules (Flee's move_rules.flood_rules and flood spawning), each against an answer known in
advance: Flee's arithmetic done by hand (djgroen/flee 02cd2cb, flee/moving.py and flee/spawning.py)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from corridor import Simulation
from corridor.errors import ScenarioError
from corridor.scenario.load import load_scenario
from corridor.scenario.model import Demographic, FloodRules, Link, Place, Scenario, SpawnRules
from corridor.sim.components.floods import Floods
from corridor.sim.engine import Engine

FLEE_ROOT = Path(
    os.environ.get("CORRIDOR_FLEE_SCENARIOS") or Path(__file__).resolve().parents[2] / "shared" / "scenarios" / "flee"
)
DFLEE = FLEE_ROOT / "dflee_weather_example"


def flood_scenario(
    levels: dict[str, list[float]],
    *,
    days: int = 3,
    rates: list[float] | None = None,
    mode: str = "constant",
    flood: FloodRules | None = None,
    **kw: object,
) -> Scenario:
    """A flooded place A between two towns B and C (1,000 km away: nobody arrives on day 0), A with 1,000
    people and B with 4,000, flood spawning from flooded places."""
    places = [
        Place(name="A", kind="town", country="X", population=1000),
        Place(name="B", kind="town", country="X", population=4000),
        Place(name="C", kind="town", country="X"),
    ]
    links = [Link(a="A", b="B", distance=1000), Link(a="A", b="C", distance=1000)]
    spawn = SpawnRules(mode="flood", rate_mode=mode, flood_rates=rates or [0, 100, 0, 0, 0], take_from_population=True)
    return Scenario(name="flood", start_date="2020-01-01", days=days, places=places, links=links, flood_levels=levels,
                    spawn=spawn, move={"flood": flood or FloodRules(movechances=[0.3, 1.0, 1.0, 1.0, 1.0],
                                                                   loc_weights=[1.0, 1.0, 1.0, 1.0, 1.0])},
                    **kw)  # fmt: skip


def test_flood_spawning_pop_ratio_takes_from_population():
    # pop_ratio: int(rate[level] x population) a day, each taken from the place's population (Flee's
    # take_from_population). A at level 1 (0.1): 100, 90, 81; B at level 2 (0.2) from day 1: 800, 640.
    sc = flood_scenario({"A": [1, 1.7, 1], "B": [0, 2, 2.2]}, rates=[0.0, 0.1, 0.2, 0.5, 0.9], mode="pop_ratio")
    spawned = Simulation(sc).run(seed=1).record.spawned
    assert spawned[:, 0].tolist() == [100, 90, 81]
    assert spawned[:, 1].tolist() == [0, 800, 640]
    assert spawned[:, 2].tolist() == [0, 0, 0]


def test_flood_spawning_constant_and_poisson():
    # constant: int(rate[level]) a day at each flooded place; poisson: Poisson(int(rate[level]))
    sc = flood_scenario({"A": [1, 0, 2.5]}, rates=[0, 10.7, 30, 0, 0])
    assert Simulation(sc).run(seed=1).record.spawned[:, 0].tolist() == [10, 0, 30]
    sc = flood_scenario({"A": [2] * 40}, days=40, rates=[0, 0, 50.9, 0, 0], mode="poisson")
    spawned = Simulation(sc).run(seed=1).record.spawned[:, 0]
    assert abs(spawned.mean() - 50) < 4 * np.sqrt(50 / 40) and spawned.var() > 10


def test_the_dflee_example_spawns_as_flee_does():
    # Flee's run of dflee_weather_example ends with 3,074 agents (ANCHORS.md): 3,044 spawned by flood level
    # at F1, F2, F3 (1,000, 2,000, 500 people; levels in flood_level.csv; pop_ratio 0.1, 0.2, 0.5 at levels
    # 1, 2, 3, taken from the population) and 30 day-0 camp counts
    if not DFLEE.is_dir():
        pytest.skip(f"{DFLEE} not found (set CORRIDOR_FLEE_SCENARIOS)")
    sc = load_scenario(DFLEE, warn=lambda line: None)
    levels = {k: [int(x) for x in v] for k, v in sc.flood_levels.items()}
    pop, rate, expected = {"F1": 1000, "F2": 2000, "F3": 500}, [0.0, 0.1, 0.2, 0.5, 0.9], []
    for day in range(sc.days):
        n = 0
        for name in pop:
            k = int(rate[levels[name][day]] * pop[name])
            pop[name] -= k
            n += k
        expected.append(n)
    assert expected[:3] == [750, 550, 428] and sum(expected) == 3044
    res = Simulation(sc).run(seed=0)
    idx = sc.place_index()
    flooded = [idx[n] for n in pop]
    assert res.record.spawned[:, flooded].sum(axis=1).tolist() == expected
    assert res.record.population[-1].sum() + res.record.in_transit[-1].sum() == 3074


def test_a_flooded_places_move_chance_replaces_its_kinds():
    # A town's chance is 0.3; flooded at level 1 it is movechances[1]: 1.0 (everyone leaves) or 0.0 (nobody)
    sc = flood_scenario({"A": [1, 0, 0]})
    rec = Simulation(sc).run(seed=1).record
    assert rec.departures[0, 0] == 100
    sc = flood_scenario({"A": [1, 0, 0]}, flood=FloodRules(movechances=[0.3, 0.0, 0.0], loc_weights=[1.0] * 3))
    rec = Simulation(sc).run(seed=1).record
    assert rec.departures[0, 0] == 0 and rec.departures[1, 0] > 0  # day 1: not flooded, a town's 0.3 again


def test_flood_loc_weights_weigh_destinations_by_their_flood_level():
    # 1,000 leave A on day 0 for B or C, each 1,000 km away; B is at level 2 (weight 0.25 there), C dry:
    # B gets 0.25 / 1.25 = a fifth of them (B's level-2 rate 0 spawns nobody)
    flood = FloodRules(movechances=[0.3, 1.0, 0.0, 0.0], loc_weights=[1.0, 1.0, 0.25, 0.0])
    sc = flood_scenario({"A": [1, 0, 0], "B": [2, 0, 0]}, rates=[0, 1000, 0, 0], flood=flood)
    rec = Simulation(sc).run(seed=4).record
    to_b, to_c = rec.in_transit[0, 1], rec.in_transit[0, 2]
    assert to_b + to_c == 1000
    assert abs(to_b - 200) < 4 * np.sqrt(1000 * 0.2 * 0.8)


FORECAST = FloodRules(movechances=[0.3, 0.4, 0.7, 1.0, 1.0], loc_weights=[1.0, 0.5, 0.2, 0.0, 0.0], forecaster=True,
                      forecaster_timescale=3, forecaster_end_time=4,
                      forecaster_weights=[1.0, 0.9, 0.8, 0.7, 0.6, 0.5], awareness_weights=[0.0, 0.5, 1.0])  # fmt: skip
AWARE = Demographic(values=[0.0, 1.0, 2.0], shares={"Default": [0.1, 0.2, 0.7], "B": [0.0, 1.0, 0.0]})


def test_the_forecaster_as_flee_computes_it():
    # A's levels by day: 1, 2, 1, 3, 0.5, 0 (B and C: none). Forecast days d = min(t + x, 4), x = 1..3, stopping
    # at 4; w[d] by the day of the run. Move chance factor: sum of w[d] x lw[int(level on d)] / 3; score factor:
    # lw[today's level] x (S x S / 3), S = sum of w[d] x lw[today's level] over days with a forecast level > 0.
    sc = flood_scenario({"A": [1, 2, 1, 3, 0.5, 0]}, days=6, flood=FORECAST, demographics={"floodawareness": AWARE})
    fl = Engine(sc, seed=0).world.get(Floods)
    assert fl.classes == 3
    aw = np.array([0.0, 0.5, 1.0])
    # day 0: d = 1, 2, 3 at levels 2, 1, 3
    fl.step(0)
    mc = (0.9 * 0.2 + 0.8 * 0.5 + 0.7 * 0.0) / 3
    s = 0.5 * (0.9 + 0.8 + 0.7)
    np.testing.assert_allclose(fl.mc_factor[:, 0], mc * aw)
    np.testing.assert_allclose(fl.score_factor[:, 0], 0.5 * (s * s / 3) * aw)
    np.testing.assert_allclose(fl.mc_factor[:, 1:], 0.0)  # nothing forecast at B and C: factor 0
    np.testing.assert_allclose(fl.score_factor[:, 1:], 0.0)
    assert fl.movechance[0] == 0.4 and np.isnan(fl.movechance[1])
    # day 2: d = 3, then 4 (the end); level 0.5 on day 4 counts for the score (> 0) but not for the move
    # chance (int(0.5) = 0); today's level is 1
    fl.step(2)
    np.testing.assert_allclose(fl.mc_factor[:, 0], (0.7 * 0.0) / 3 * aw)
    s = 0.5 * (0.7 + 0.6)
    np.testing.assert_allclose(fl.score_factor[:, 0], 0.5 * (s * s / 3) * aw)
    # day 5: after the end time, no forecast: factors 1 (move chance) and the level's weight (score; level 0)
    fl.step(5)
    np.testing.assert_allclose(fl.mc_factor, 1.0)
    np.testing.assert_allclose(fl.score_factor, 1.0)


def test_flood_awareness_is_drawn_with_the_places_shares():
    # people setting out from A draw with Default's shares (0.1, 0.2, 0.7); from B all are of value 1
    sc = flood_scenario({"A": [1] * 6, "B": [1] * 6}, days=6, rates=[0, 1000, 0, 0, 0], flood=FORECAST,
                        demographics={"floodawareness": AWARE})  # fmt: skip
    eng = Engine(sc, seed=0)
    eng.step(0)
    a = eng.world.agents
    assert a.has("floodawareness")
    origin = np.repeat([0, 1], 1000)  # day 0: A's 1,000, then B's, in place order
    first = a.floodawareness[:2000]
    assert (first[origin == 1] == 1).all()
    shares = np.bincount(first[origin == 0], minlength=3) / 1000
    assert np.abs(shares - [0.1, 0.2, 0.7]).max() < 0.05


def test_without_the_forecaster_there_is_no_awareness_column():
    eng = Engine(flood_scenario({"A": [1, 0, 0]}), seed=0)
    assert not eng.world.agents.has("floodawareness") and eng.world.get(Floods).classes == 1


def test_lists_too_short_for_the_levels_are_refused_as_flee_stops():
    # Flee's interp needs a level below the list's length - 1: a 3-value list takes levels up to 1
    with pytest.raises(ScenarioError, match="too short"):
        flood_scenario({"A": [2, 0, 0]}, flood=FloodRules(movechances=[0.3, 1.0, 1.0], loc_weights=[1.0] * 5))
    with pytest.raises(ScenarioError, match="fewer flood levels than days"):
        flood_scenario({"A": [1, 0]})
    with pytest.raises(ScenarioError, match="awareness"):
        flood_scenario({"A": [1, 2, 1, 3, 0.5, 0]}, days=6, flood=FORECAST)


def test_the_dflee_example_is_the_same_on_one_or_two_threads():
    if not DFLEE.is_dir():
        pytest.skip(f"{DFLEE} not found (set CORRIDOR_FLEE_SCENARIOS)")
    sc = load_scenario(DFLEE, warn=lambda line: None)
    one = Simulation(sc).run(seed=3, threads=1).record
    two = Simulation(sc).run(seed=3, threads=2).record
    assert (one.population == two.population).all() and (one.link_entries == two.link_entries).all()


# --- reading a Flee folder ---------------------------------------------------------------------------------

LOCATIONS = """\
#name,region,country,lat,lon,location_type,conflict_date,population
F1,A,X,0,0,flood_zone,,1000
T1,A,X,0,1,town,,
C1,A,X,0,2,camp,,500
"""
SETTINGS = """\
spawn_rules:
  conflict_zone_spawning_only: False
  flood_zone_spawning_only: True
  take_from_population: True
  flood_driven_spawn_mode:
    spawn_mode: constant
    displaced_per_flood_day: [0, 10, 20, 30]
move_rules:
  flood_rules:
    max_flood_level: 2
    flood_movechances: [0.3, 0.5, 1.0, 1.0]
    flood_loc_weights: [1.0, 0.5, 0.1, 0.0]
    flood_link_weights: [1.0, 1.0, 1.0, 1.0]
"""


def flee_flood_folder(tmp_path: Path, settings: str = SETTINGS, levels: str = "#Day,F1,Nowhere\n0,1,0\n1,2.9,0\n"
                      ) -> Path:  # fmt: skip
    folder = tmp_path / "dflee"
    files = {
        "input_csv/locations.csv": LOCATIONS,
        "input_csv/routes.csv": "#name1,name2,distance\nF1,T1,10\nT1,C1,10\n",
        "input_csv/sim_period.csv": "StartDate,2023-08-01\nLength,2\n",
        "input_csv/flood_level.csv": levels,
        "input_csv/conflicts.csv": "#Day,F1\n0,1\n1,1\n",  # not read with flood rules, as in Flee
        "simsetting.yml": settings,
    }
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_flee_folder_with_flood_rules_reads_as_flee_does(tmp_path: Path):
    warned: list[str] = []
    sc = load_scenario(flee_flood_folder(tmp_path), warn=warned.append)
    assert (sc.spawn.mode, sc.spawn.rate_mode, sc.spawn.flood_rates) == ("flood", "constant", [0, 10, 20, 30])
    assert sc.move.flood is not None and sc.move.flood.movechances == [0.3, 0.5, 1.0, 1.0]
    assert not sc.move.flood.forecasting and sc.conflicts == []
    assert sc.flood_levels == {"F1": [1.0, 2.9]}
    assert len(warned) == 1 and "Nowhere" in warned[0] and "flood_level.csv" in warned[0]
    # level int(2.9) = 2 on day 1: 20 people
    assert Simulation(sc).run(seed=0).record.spawned[:, 0].tolist() == [10, 20]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("  conflict_zone_spawning_only: False\n", ""), "conflict_zone_spawning_only"),
        (("  take_from_population: True\n", ""), "take_from_population"),
        (("  flood_rules:\n", "  x_flood_rules:\n"), "without move_rules.flood_rules"),
        (("  flood_zone_spawning_only: True\n", ""), "without flood spawning"),
        (("[0.3, 0.5, 1.0, 1.0]", "[0.3, 0.5, 1.0]"), "too short"),
    ],
)
def test_where_flee_stops_with_flood_rules_corridor_refuses_in_one_line(tmp_path: Path, change, words: str):
    folder = flee_flood_folder(tmp_path, SETTINGS.replace(*change))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(folder, warn=lambda line: None)
    assert "\n" not in str(exc.value) and words in str(exc.value), str(exc.value)


def test_a_flood_level_file_shorter_than_the_run_or_its_forecast_is_refused_naming_it(tmp_path: Path):
    # two days need two rows; with the forecaster (timescale 3, end time 3) the forecast reads rows up to day 3
    folder = flee_flood_folder(tmp_path, levels="#Day,F1\n0,1\n")
    with pytest.raises(ScenarioError, match=r"flood_level.csv:2: .*too few rows"):
        load_scenario(folder, warn=lambda line: None)
    forecast = SETTINGS + "    flood_forecaster: True\n    flood_forecaster_timescale: 3\n"
    forecast += "    flood_forecaster_end_time: 3\n"
    folder = flee_flood_folder(tmp_path, forecast, levels="#Day,F1\n0,1\n1,1\n2,1\n")
    with pytest.raises(ScenarioError, match=r"flood_level.csv:4: .*too few rows.*4 days"):
        load_scenario(folder, warn=lambda line: None)


@pytest.mark.parametrize("bad", ["[0.3, -0.5, 1.0, 1.0]", "[0.3, .nan, 1.0, 1.0]"])
def test_flood_lists_take_finite_values_not_below_0(tmp_path: Path, bad: str):
    folder = flee_flood_folder(tmp_path, SETTINGS.replace("[0.3, 0.5, 1.0, 1.0]", bad))
    with pytest.raises(ScenarioError, match="flood_movechances"):
        load_scenario(folder, warn=lambda line: None)
