"""Scheduled departures (caravans, flows) and per-place move chances."""

import pytest

import corridor
from corridor import Simulation
from corridor.errors import ScenarioError
from corridor.scenario.model import Departure, Link, MoveRules, Place, Scenario, SpawnRules


def caravan(departures, days=8, town_movechance=None, **move):
    places = [
        Place(name="San Pedro Sula", kind="town", country="Honduras", movechance=1.0),
        Place(name="Tapachula", kind="town", country="Mexico", movechance=town_movechance),
        Place(name="Tijuana", kind="shelter", country="Mexico"),
    ]
    links = [
        Link(a="San Pedro Sula", b="Tapachula", distance=100, speed=50),
        Link(a="Tapachula", b="Tijuana", distance=300, speed=300),
    ]
    return Scenario(
        name="caravan",
        start_date="2018-10-12",
        days=days,
        places=places,
        links=links,
        departures=departures,
        spawn=SpawnRules(mode="departures"),
        move=MoveRules(camp_movechance=0.0, **move),
    )


def test_departures_are_spread_evenly_over_their_days():
    sc = caravan([Departure(place="San Pedro Sula", start=1, end=4, count=1000)])
    res = Simulation(sc).run(seed=0, check=True)
    assert res.record.spawned[:, 0].tolist() == [0, 334, 333, 333, 0, 0, 0, 0]
    assert res.agents == 1000


def test_a_group_walks_then_rides_and_arrives_together():
    # 100 km at 50 km/day, then Tapachula is left at once (move chance 1) and 300 km at 300 km/day
    sc = caravan([Departure(place="San Pedro Sula", start=0, count=500)], town_movechance=1.0, no_backtrack=True)
    res = Simulation(sc).run(seed=0)
    tij = res.record.population[:, 2]
    assert tij.tolist() == [0, 0, 500, 500, 500, 500, 500, 500]


def test_a_place_move_chance_overrides_its_kind():
    sc = caravan([Departure(place="San Pedro Sula", start=0, count=4000)], days=4, town_movechance=0.0)
    res = Simulation(sc).run(seed=0)
    assert res.record.population[-1, 1] == 4000, "nobody leaves a place whose move chance is 0"


def test_departures_in_the_folder_format(tmp_path):
    (tmp_path / "scenario.yaml").write_text("name: c\nstart_date: 2018-10-10\ndays: 6\nspawn:\n  mode: departures\n")
    (tmp_path / "places.csv").write_text("name,kind,movechance\nA,town,1\nB,shelter,\n")
    (tmp_path / "links.csv").write_text("a,b,distance\nA,B,1000\n")
    (tmp_path / "departures.csv").write_text("place,start,end,count\nA,2018-10-12,,70\nA,2018-10-08,2018-10-12,40\n")
    res = corridor.load(tmp_path).run(seed=0)
    # the second row began two days before the run: only its days inside the run are kept
    assert res.record.spawned[:, 0].tolist() == [10, 10, 70, 0, 0, 0]


def test_a_departure_from_an_unknown_place_is_named(tmp_path):
    (tmp_path / "scenario.yaml").write_text("name: c\nstart_date: 2018-10-10\ndays: 6\nspawn:\n  mode: departures\n")
    (tmp_path / "places.csv").write_text("name\nA\nB\n")
    (tmp_path / "links.csv").write_text("a,b,distance\nA,B,1000\n")
    (tmp_path / "departures.csv").write_text("place,start,count\nC,2018-10-12,70\n")
    with pytest.raises(ScenarioError, match=r"departures.csv:2.*'place'.*'C'"):
        corridor.load(tmp_path)


def test_without_no_backtrack_some_turn_back_as_in_flee():
    sc = caravan([Departure(place="San Pedro Sula", start=0, count=2000)], days=4, town_movechance=1.0)
    res = Simulation(sc).run(seed=0)
    back = res.record.arrivals[:, 0].sum()
    # from Tapachula the road back (100 km) outweighs the road on (300 km): 31/41 of 2000 turn back
    assert abs(back - 2000 * (1 / 110) / (1 / 110 + 1 / 310)) < 4 * (2000 * 0.25) ** 0.5
