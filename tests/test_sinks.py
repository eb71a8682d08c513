"""Camps as sinks (docs/model.md, Camps as sinks; Flee's camps_are_sicks): people settle for good in a camp
with its daily deactivation_probability, still counted there."""

import numpy as np
import pytest

from corridor import Simulation, states
from corridor.errors import ScenarioError
from corridor.scenario.flee import load_flee
from corridor.scenario.model import Departure, Link, MoveRules, Place, Scenario, SpawnRules

from conftest import write_folder


def two_camps(rate, days=6, camp_movechance=0.5):
    """10,000 people in camp A on day 0 (departures), a 10 km road to camp B; a camp's move chance of 0.5 so
    that people would leave A at half a day: those settled stay."""
    places = [Place(name="A", kind="camp", country="X", deactivation_probability=rate),
              Place(name="B", kind="camp", country="X")]  # fmt: skip
    return Scenario(name="sink", start_date="2020-01-01", days=days, places=places,
                    links=[Link(a="A", b="B", distance=10.0)], spawn=SpawnRules(mode="departures"),
                    departures=[Departure(place="A", start=0, count=10_000)],
                    move=MoveRules(camp_movechance=camp_movechance))  # fmt: skip


def test_people_settle_in_a_sink_with_its_daily_chance_and_stay_counted_there():
    res = Simulation(two_camps(0.2)).run(seed=3, check=True)
    settled = res.record.census[:, states.SETTLED]
    # day 0: everyone sets out from A or stays; of those who stay (half), a fifth settle
    stay0 = res.record.population[0, 0]
    assert abs(settled[0] - 0.2 * stay0) < 4 * np.sqrt(stay0 * 0.2 * 0.8)
    assert np.all(np.diff(settled) >= 0), "settled is for good"
    # the settled are counted in A's population and never leave it
    assert np.all(res.record.population[:, 0] >= settled)
    assert settled[-1] > settled[0]  # people coming back from B settle too


def test_a_perfect_sink_keeps_everyone_who_stays_a_day():
    res = Simulation(two_camps(1.0)).run(seed=1)
    # whoever is in A at the end of a day (stayed, or came back from B) settles that day, and stays
    settled, in_a = res.record.census[:, states.SETTLED], res.record.population[:, 0]
    assert np.array_equal(settled, in_a) and settled[0] > 0


def test_no_sink_no_settled_column_and_same_results_on_any_threads():
    res = Simulation(two_camps(0.0)).run(seed=1, check=True)
    assert "settled" not in res.state_table().columns
    assert res.record.census[:, states.SETTLED].sum() == 0
    assert "settled" in Simulation(two_camps(0.3)).run(seed=1).state_table().columns
    a = Simulation(two_camps(0.3)).run(seed=5, threads=1).record.census
    b = Simulation(two_camps(0.3)).run(seed=5, threads=2).record.census
    assert np.array_equal(a, b)


def flee_folder(tmp_path, sicks):
    settings = "spawn_rules:\n  conflict_driven_spawning:\n    spawn_mode: constant\n"
    settings += "    displaced_per_conflict_day: 100\n"
    if sicks is not None:
        settings += f"  camps_are_sicks: {sicks}\n"
    return write_folder(tmp_path / "sinkflee", {
        "input_csv/locations.csv": "#name,region,country,latitude,longitude,location_type,conflict_date,population,"
        "deactivation_probability\nA,R,X,0,0,conflict_zone,0,10000,\nC,R,Y,0,2,camp,,8000,0.25\n",
        "input_csv/routes.csv": "#name1,name2,distance,forced_redirection\nA,C,100,0\n",
        "input_csv/sim_period.csv": "StartDate,2020-01-01\nLength,20\n",
        "simsetting.yml": settings,
    })  # fmt: skip


@pytest.mark.parametrize("sicks,rate", [(True, 0.25), (False, 0.0), (None, 0.0)])
def test_flee_reads_deactivation_probability_only_with_camps_are_sicks(tmp_path, sicks, rate):
    sc = load_flee(flee_folder(tmp_path, sicks))
    assert [p.deactivation_probability for p in sc.places] == [0.0, rate]
    assert sc.has_camp_sinks() == (rate > 0)


def test_a_bad_deactivation_probability_is_one_line_naming_the_cell(tmp_path):
    folder = flee_folder(tmp_path, True)
    path = folder / "input_csv/locations.csv"
    path.write_text(path.read_text().replace("0.25", "1.5"))
    with pytest.raises(ScenarioError) as exc:
        load_flee(folder)
    msg = str(exc.value)
    assert "\n" not in msg and "locations.csv:3" in msg and "deactivation_probability" in msg and "1.5" in msg
