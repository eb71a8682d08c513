"""Deaths on a road (links.csv death_rate) and onward movement after a crossing (ports.csv onward_to),
against counts known in advance: a binomial count of deaths, a list served at its capacity, the books kept."""

import math

import numpy as np
import pytest

from corridor import Simulation, load, states
from corridor.errors import ScenarioError
from corridor.scenario.model import Departure, Link, MoveRules, Place, Port, Scenario, SpawnRules

S = {s.name: s.code for s in states.STATES}
F = {o.name: o.code for o in states.OUTCOMES}


def road(n=10_000, rate=0.01, distance=100.0, speed=10.0, days=15):
    """n people set out from A on day 0 along one road of `distance` km at `speed` km a day to the camp B."""
    return Scenario(
        name="road",
        start_date="2021-01-01",
        days=days,
        places=[Place(name="A", kind="town", country="CO"), Place(name="B", kind="camp", country="PA")],
        links=[Link(a="A", b="B", distance=distance, speed=speed, death_rate=rate)],
        departures=[Departure(place="A", start=0, count=n)],
        spawn=SpawnRules(mode="departures"),
        move=MoveRules(default_movechance=1.0, camp_movechance=0.0),
    )


def test_deaths_on_a_road_are_binomial_in_the_nights_spent_on_it():
    # 100 km at 10 km a day: on the road at the end of days 0..8 (9 nights), at B on day 9
    n, p = 10_000, 0.01
    res = Simulation(road(n, p)).run(seed=4, check=True)
    rec = res.record
    dead = int(rec.fates[:, 1, F["died"]].sum())
    q = 1 - (1 - p) ** 9
    mean, sd = n * q, math.sqrt(n * q * (1 - q))
    assert abs(dead - mean) < 5 * sd, (dead, mean, sd)
    assert rec.fates[:, 0, F["died"]].sum() == 0  # counted where the road leads
    assert rec.fates[10:, 1, F["died"]].sum() == 0  # nobody dies once arrived
    assert rec.census[-1, S["died"]] == dead
    assert rec.population[-1, 1] == n - dead  # everyone else reached B
    assert rec.census[-1].sum() == n


def test_deaths_are_the_same_on_any_number_of_threads_and_differ_by_seed():
    sim = Simulation(road(2_000, 0.05))
    a, b = sim.run(seed=1, threads=1), sim.run(seed=1, threads=2)
    assert np.array_equal(a.record.fates, b.record.fates)
    assert not np.array_equal(a.record.fates, sim.run(seed=2).record.fates)


def test_a_road_without_deaths_kills_nobody_and_adds_no_column():
    res = Simulation(road(1_000, 0.0)).run(seed=1, check=True)
    assert "died" not in res.state_table().columns
    assert res.record.census[:, S["died"]].sum() == 0
    res = Simulation(road(1_000, 0.2)).run(seed=1, check=True)
    assert "died" in res.state_table().columns and "died" in res.table().columns
    assert res.table()["died"].sum() == res.state_table()["died"].iloc[-1] > 0


def test_death_rate_in_links_csv_and_its_errors(tmp_path):
    folder = tmp_path / "sc"
    folder.mkdir()
    (folder / "scenario.yaml").write_text("name: r\nstart_date: 2021-01-01\nend_date: 2021-01-20\n"
                                          "spawn:\n  mode: departures\n")  # fmt: skip
    (folder / "places.csv").write_text("name,kind,country\nA,town,CO\nB,camp,PA\n")
    (folder / "departures.csv").write_text("place,start,count\nA,2021-01-01,500\n")
    (folder / "links.csv").write_text("a,b,distance,speed,death_rate\nA,B,100,10,0.02\n")
    sc = load(folder).scenario
    assert sc.links[0].death_rate == 0.02 and sc.has_road_deaths()
    for bad in ("1.5", "-0.1", "x"):
        (folder / "links.csv").write_text(f"a,b,distance,speed,death_rate\nA,B,100,10,{bad}\n")
        with pytest.raises(ScenarioError) as e:
            load(folder)
        msg = str(e.value)
        assert "links.csv" in msg and "death_rate" in msg and bad in msg and "\n" not in msg


def crossing(waiting=1_000, capacity=100, days=14, no_backtrack=False):
    """`waiting` people set out on day 0 at Necocli, where the boats' list is signed; the boats (a port of
    `capacity` a day) take them to Capurgana, from where they walk on to the camp Bajo (50 km, one day)."""
    return Scenario(
        name="crossing",
        start_date="2021-01-01",
        days=days,
        places=[
            Place(name="Necocli", kind="town", country="CO"),
            Place(name="Dock", kind="port_of_entry", country="CO"),
            Place(name="Capurgana", kind="town", country="CO"),
            Place(name="Bajo", kind="camp", country="PA"),
        ],
        links=[Link(a="Necocli", b="Dock", distance=1), Link(a="Capurgana", b="Bajo", distance=50)],
        ports=[Port(place="Dock", capacity_per_day=capacity, signup_places=["Necocli"], onward_to="Capurgana")],
        departures=[Departure(place="Necocli", start=0, count=waiting)],
        spawn=SpawnRules(mode="departures"),
        move=MoveRules(max_move_speed=200, default_movechance=1.0, camp_movechance=0.0, no_backtrack=no_backtrack),
    )


@pytest.mark.parametrize("no_backtrack", [False, True])
def test_a_crossing_serves_its_capacity_and_its_people_go_on(no_backtrack):
    res = Simulation(crossing(no_backtrack=no_backtrack)).run(seed=3, check=True)
    rec = res.record
    idx = {n: i for i, n in enumerate(res.places)}
    assert rec.signups[:, 0].tolist() == [1_000] + [0] * 13
    assert rec.processed[:, 0].tolist() == [100] * 10 + [0] * 4
    assert rec.waitlist[:, 0].tolist() == [1_000 - 100 * (t + 1) for t in range(10)] + [0] * 4
    # called on day t, at Capurgana that night, at Bajo the next day
    assert rec.population[:10, idx["Capurgana"]].tolist() == [100] * 10
    assert rec.arrivals[:10, idx["Capurgana"]].tolist() == [100] * 10
    assert rec.departures[:10, idx["Necocli"]].tolist() == [100] * 10
    assert rec.population[:, idx["Bajo"]].tolist() == [0] + [100 * t for t in range(1, 11)] + [1_000] * 3
    assert rec.population[-1, idx["Necocli"]] == rec.population[-1, idx["Capurgana"]] == 0
    # nobody enters custody: the asylum states stay empty
    assert rec.census[:, S["in_custody_processed"]].sum() == 0
    assert rec.census[-1, S["at_place"]] == 1_000


def test_a_crossing_smaller_than_its_arrivals_keeps_a_list_that_grows_by_the_difference():
    sc = crossing(waiting=0, capacity=40, days=20)
    sc.departures = [Departure(place="Necocli", start=0, end=20, count=2_000)]  # 100 a day
    rec = Simulation(sc).run(seed=1, check=True).record
    assert rec.processed[:, 0].tolist() == [40] * 20
    assert rec.waitlist[:, 0].tolist() == [60 * (t + 1) for t in range(20)]


def test_onward_to_in_ports_csv_and_its_errors(tmp_path):
    folder = tmp_path / "sc"
    folder.mkdir()
    (folder / "scenario.yaml").write_text("name: c\nstart_date: 2021-01-01\nend_date: 2021-01-20\n"
                                          "spawn:\n  mode: departures\n")  # fmt: skip
    (folder / "places.csv").write_text("name,kind,country\nNecocli,town,CO\nDock,port_of_entry,CO\n"
                                       "Capurgana,town,CO\nBajo,camp,PA\n")  # fmt: skip
    (folder / "links.csv").write_text("a,b,distance\nNecocli,Dock,1\nCapurgana,Bajo,50\n")
    (folder / "departures.csv").write_text("place,start,count\nNecocli,2021-01-01,500\n")
    head = "port,capacity_per_day,signup_places,onward_to\n"
    (folder / "ports.csv").write_text(head + "Dock,100,Necocli,Capurgana\n")
    assert load(folder).scenario.ports[0].onward_to == "Capurgana"
    for bad, words in (("Capurgan", "unknown place"), ("Necocli", "sign-up place"), ("Dock", "sign-up place")):
        (folder / "ports.csv").write_text(head + f"Dock,100,Necocli,{bad}\n")
        with pytest.raises(ScenarioError) as e:
            load(folder)
        msg = str(e.value)
        assert "ports.csv" in msg and "onward_to" in msg and bad in msg and words in msg and "\n" not in msg


def test_the_necocli_scenario_runs_and_keeps_its_books():
    """scenarios/necocli-2021 needs nothing but the general features: two crossings and a deadly road."""
    from pathlib import Path

    sim = load(Path(__file__).resolve().parents[1] / "scenarios" / "necocli-2021")
    sc = sim.scenario
    assert [p.onward_to for p in sc.ports] == ["Capurgana", "Costa Rica"] and sc.has_road_deaths()
    res = sim.run(seed=0, days=250, check=True)
    rec = res.record
    assert rec.fates[:, :, F["died"]].sum() == rec.census[-1, S["died"]] > 0
    assert (rec.processed[:, 0] <= np.ceil(rec.waitlist[:, 0] + rec.processed[:, 0])).all()
    assert rec.processed[:, 0].max() <= 1_400  # the boats never take more than the largest capacity
