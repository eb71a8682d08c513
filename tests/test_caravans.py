"""Caravans travel together at their pace, town to town, hold where told, take in joiners where they are,
lose those who go on alone, and break up at their last stop."""

import datetime as dt

import numpy as np
import pytest

from corridor import Simulation
from corridor.errors import ScenarioError
from corridor.evaluate.observations import Observation, simulate
from corridor.scenario.model import Caravan, CaravanStop, Departure, Link, MoveRules, Place, Scenario, SpawnRules

# A --40-- B --40-- C --120-- D
LEGS = (("A", "B", 40.0), ("B", "C", 40.0), ("C", "D", 120.0))


def road(n=1000, days=8, hold=None, leave=None, joiners=(), pace=50.0):
    places = [Place(name=x, kind="marker" if x != "D" else "town", country="MX") for x in "ABCD"]
    stops = [
        CaravanStop(place="A", pace=pace, leave=leave),
        CaravanStop(place="B", hold_until=hold),
        CaravanStop(place="C"),
        CaravanStop(place="D"),
    ]
    return Scenario(
        name="road",
        start_date="2018-10-12",
        days=days,
        places=places,
        links=[Link(a=a, b=b, distance=d) for a, b, d in LEGS],
        caravans=[Caravan(name="main", stops=stops)],
        departures=[Departure(place="A", start=0, count=n, caravan="main"), *joiners],
        spawn=SpawnRules(mode="departures"),
        move=MoveRules(default_movechance=0.0),  # nobody moves on alone: only the caravan moves
    )


def test_the_caravan_ends_each_day_in_the_last_town_its_pace_reaches():
    res = Simulation(road()).run(seed=1, check=True)
    rec = res.record
    # day 0: A->B (40 km; the next 40 would pass 50): B. day 1: C. days 2-3 on the 120 km road, day 4: D
    assert rec.caravan_stop[:5, 0].tolist() == [1, 2, 2, 2, 3]
    assert rec.caravan_on_road[:5, 0].tolist() == [0, 0, 1, 1, 0]
    pop = res.wide()
    assert pop["B"].iloc[0] == 1000 and pop["C"].iloc[1] == 1000 and pop["D"].iloc[4] == 1000
    assert res.record.in_transit[2:4].sum(axis=1).tolist() == [1000, 1000]
    # at the last stop the caravan breaks up: everyone is on their own there
    assert rec.caravan_size[4:, 0].tolist() == [0] * 4
    assert res.state_table()["at_place"].iloc[-1] == 1000
    # its flows are on the roads it took
    links = res.link_table().groupby(["from", "to"], observed=True)["set_out"].sum().to_dict()
    assert links == {("A", "B"): 1000, ("B", "C"): 1000, ("C", "D"): 1000}


def test_a_hold_keeps_the_caravan_in_town_until_its_day():
    res = Simulation(road(hold=3)).run(seed=1, check=True)
    assert res.record.caravan_stop[:5, 0].tolist() == [1, 1, 1, 2, 2]


def test_joiners_join_where_the_caravan_is_and_travel_alone_elsewhere():
    joiners = [
        Departure(place="B", start=0, count=300, caravan="main"),  # the caravan is still in A that morning: alone
        Departure(place="C", start=1, count=200, caravan="main"),  # not there yet when they set out: alone
        Departure(place="B", start=2, count=100, caravan="main"),  # held at B until day 3: they join
    ]
    res = Simulation(road(hold=3, joiners=joiners)).run(seed=2, check=True)
    size = res.record.caravan_size[:, 0]
    assert size[0] == 1000 and size[2] == 1100
    st = res.state_table()
    assert st["at_place"].iloc[0] == 300 and st["at_place"].iloc[1] == 500


def test_members_who_go_on_alone_leave_at_the_daily_rate():
    res = Simulation(road(n=20_000, hold=6, leave=0.1, days=6)).run(seed=3, check=True)
    size = res.record.caravan_size[:, 0]
    # the morning in A (day 0), then one morning a day in B
    for t in range(6):
        p = 0.9 ** (t + 1)
        assert abs(size[t] - 20_000 * p) < 4 * np.sqrt(20_000 * p * (1 - p))


def test_caravan_size_observation_counts_the_caravan_where_it_is():
    res = Simulation(road()).run(seed=1)
    start = dt.date(2018, 10, 12)

    def obs(day, place):
        return Observation(
            row=2, date=start + dt.timedelta(days=day), place=place, metric="caravan_size", value=1, low=1, high=1
        )

    assert simulate(res, obs(1, "C")) == 1000  # in C
    assert simulate(res, obs(2, "C")) == 1000  # on the road out of C
    assert simulate(res, obs(1, "A")) == 1000  # nowhere near A: the caravan that set out from A
    assert simulate(res, obs(1, "D")) == 0


def test_stops_must_be_joined_by_roads():
    with pytest.raises(ScenarioError, match="no road between consecutive caravan stops"):
        sc = road()
        Scenario(**{**sc.model_dump(), "links": [lk.model_dump() for lk in sc.links[:2]]})
