"""Flee's two_system_decision_making: social connections and "system 2" departures from long conflicts."""

import math

import numpy as np

from corridor import Simulation
from corridor.scenario.model import Departure, Link, MoveRules, Place, Scenario, SpawnRules
from corridor.sim.components.social import draw_connections, update_connections
from corridor.states import AT_PLACE, ON_ROAD

ALONE = np.full(1, -1, np.int32)  # no households: the column is a one-row stub


def conflict(spawn_day, mean=6.0, two_system=True):
    """10,000 people appear on `spawn_day` in a conflict zone whose conflict began on day 0 (intensity 1) and
    whose move chance is 0: only system 2 takes anyone out, to a camp 50 km away."""
    places = [Place(name="A", kind="conflict_zone", country="X", population=100_000, conflict_date=0),
              Place(name="Camp", kind="camp", country="X")]  # fmt: skip
    return Scenario(name="s2", start_date="2020-01-01", days=spawn_day + 1, places=places,
                    links=[Link(a="A", b="Camp", distance=50.0)],
                    spawn=SpawnRules(mode="departures", average_social_connectivity=mean),
                    departures=[Departure(place="A", start=spawn_day, count=10_000)],
                    move=MoveRules(conflict_movechance=0.0, two_system_decision_making=two_system))  # fmt: skip


def poisson_at_least(k, mean):
    return 1.0 - sum(math.exp(-mean) * mean**j / math.factorial(j) for j in range(k))


def test_system2_takes_the_well_connected_out_of_a_conflict_ten_days_old():
    # on the day they appear, the crowd raises their connections by 2 and the conflict lowers them by 2 from
    # the first value (Flee's factors each start from it: the conflict's wins), so c = c0 - 2, and those with
    # c >= 3, i.e. Poisson(6) >= 5, leave for sure once the conflict is 10 days old
    late = Simulation(conflict(12)).run(seed=3).record.departures[12, 0]
    share = poisson_at_least(5, 6.0)
    assert abs(late - 10_000 * share) < 4 * math.sqrt(10_000 * share * (1 - share)), (late, 10_000 * share)
    assert Simulation(conflict(5)).run(seed=3).record.departures[5, 0] == 0, "a conflict 5 days old: nobody"
    assert Simulation(conflict(12, two_system=False)).run(seed=3).record.departures[12, 0] == 0


def test_connections_are_poisson_draws_of_the_mean():
    c = np.zeros(200_000, np.int8)
    draw_connections(np.uint64(7), 0, c, 0, len(c), 3.0, ALONE)
    assert abs(c.mean() - 3.0) < 0.02 and abs(c.var() - 3.0) < 0.05
    again = np.zeros_like(c)
    draw_connections(np.uint64(7), 0, again, 0, len(c), 3.0, ALONE)
    assert np.array_equal(c, again), "each person's own draws"


def test_connections_change_as_flee_writes_them():
    # people at: 0 a crowded town (300), 1 an empty town (5), 2 a camp, 3 a conflict zone; one on a road
    state = np.array([AT_PLACE, AT_PLACE, AT_PLACE, AT_PLACE, ON_ROAD], np.int8)
    loc = np.array([0, 1, 2, 3, 0], np.int32)
    conn = np.array([4, 4, 4, 4, 4], np.int8)
    days = np.zeros(5, np.int16)
    last = np.full(5, -1, np.int16)
    pop = np.array([300, 5, 50, 50], np.int64)
    camp = np.array([False, False, True, False])
    intensity = np.array([0.0, 0.0, 0.0, 1.0])
    update_connections(0, state, loc, conn, days, last, 5, pop, camp, intensity)
    assert conn.tolist() == [6, 3, 4, 2, 4] and days.tolist() == [1, 1, 2, 1, 0]
    for day in range(1, 5):  # in the camp the days grow by two a day: past 7 on day 4, one connection more
        update_connections(day, state, loc, conn, days, last, 5, pop, camp, intensity)
    assert conn[2] == 5 and days[2] == 10
    # unseen for more than 30 days: one less, from the day's first value
    state[4] = AT_PLACE
    last[4] = 0
    pop[0] = 50  # neither crowded nor empty
    update_connections(40, state, loc, conn, days, last, 5, pop, camp, intensity)
    assert conn[4] == 3
