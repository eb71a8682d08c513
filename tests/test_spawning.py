"""Who enters the simulation, when and where."""

import numpy as np

from corridor import Simulation
from corridor.scenario.model import ConflictPeriod, Link, MoveRules, Place, Scenario, SeriesPoint, SpawnRules


def network(**spawn):
    places = [
        Place(name="North", kind="conflict_zone", country="A", population=3000, conflict_date=0),
        Place(name="South", kind="conflict_zone", country="A", population=1000, conflict_date=0),
        Place(name="Camp", kind="camp", country="B"),
    ]
    links = [Link(a="North", b="Camp", distance=300), Link(a="South", b="Camp", distance=300)]
    return places, links


def test_a_fall_in_the_observed_total_is_a_debt_not_a_removal():
    places, links = network()
    series = [SeriesPoint(day=d, value=v) for d, v in enumerate([0, 100, 80, 90, 150, 150])]
    sc = Scenario(
        name="debt",
        start_date="2020-01-01",
        days=6,
        places=places,
        links=links,
        observed={"Camp": series},
        spawn=SpawnRules(insert_day0=True),
    )
    res = Simulation(sc).run(seed=1)
    assert res.record.spawned.sum(axis=1).tolist() == [0, 100, 0, 0, 50, 0]


def test_new_people_appear_in_proportion_to_population_times_intensity():
    places, links = network()
    series = [SeriesPoint(day=0, value=0), SeriesPoint(day=1, value=40_000)]
    sc = Scenario(
        name="weights",
        start_date="2020-01-01",
        days=2,
        places=places,
        links=links,
        observed={"Camp": series},
        spawn=SpawnRules(insert_day0=True),
        conflicts=[
            ConflictPeriod(place="North", start=0, end=2, intensity=1.0),
            ConflictPeriod(place="South", start=0, end=2, intensity=3.0),
        ],
    )
    spawned = Simulation(sc).run(seed=4).record.spawned[1]
    assert spawned.sum() == 40_000
    assert abs(spawned[0] - 20_000) < 4 * np.sqrt(40_000 * 0.25), "3000 x 1 against 1000 x 3: even odds"


def test_conflict_spawn_decay_lowers_an_old_conflicts_share():
    places, links = network()
    series = [SeriesPoint(day=0, value=0), SeriesPoint(day=200, value=200_000)]
    # North has been in conflict since day 0, South only from day 90: after day 90, North's weight is
    # 3000 x 0.1 against South's 1000 x 1.
    sc = Scenario(
        name="decay",
        start_date="2020-01-01",
        days=120,
        places=places,
        links=links,
        observed={"Camp": series},
        spawn=SpawnRules(insert_day0=True, conflict_spawn_decay=[1.0, 1.0, 1.0, 0.1]),
        conflicts=[ConflictPeriod(place="North", start=0, end=120), ConflictPeriod(place="South", start=90, end=120)],
    )
    sp = Simulation(sc).run(seed=2).record.spawned
    late = sp[90:].sum(axis=0)
    assert sp[:90, 1].sum() == 0
    assert abs(late[0] / late[:2].sum() - 300 / 1300) < 0.02


def test_conflict_mode_spawns_a_constant_rate_per_conflict_zone():
    places, links = network()
    sc = Scenario(
        name="rate",
        start_date="2020-01-01",
        days=10,
        places=places,
        links=links,
        spawn=SpawnRules(mode="conflict", rate=7, rate_mode="constant"),
        conflicts=[ConflictPeriod(place="North", start=0, end=10), ConflictPeriod(place="South", start=5, end=10)],
        move=MoveRules(max_move_speed=100),
    )
    res = Simulation(sc).run(seed=0, check=True)
    assert res.record.spawned[:, 0].tolist() == [7] * 10
    assert res.record.spawned[:, 1].tolist() == [0] * 5 + [7] * 5
    assert res.agents == 105


def test_conflict_mode_poisson_grows_the_agent_table_as_needed():
    places, links = network()
    sc = Scenario(
        name="poisson",
        start_date="2020-01-01",
        days=60,
        places=places,
        links=links,
        spawn=SpawnRules(mode="conflict", rate=500, rate_mode="poisson"),
        move=MoveRules(max_move_speed=100),
    )
    res = Simulation(sc).run(seed=9, check=True)
    assert abs(res.agents - 2 * 500 * 60) < 5 * np.sqrt(2 * 500 * 60)


def test_conflict_spawn_decay_steps_every_interval_days():
    from corridor.sim.components.conflicts import conflict_decay

    began = np.array([0, 5, -1], np.int32)  # the third place has no conflict: its own age is day + 1
    steps = np.array([1.0, 0.5, 0.1])
    out = np.empty(3)
    for day, interval, want in [(9, 10.0, [1.0, 1.0, 0.5]), (10, 10.0, [0.5, 1.0, 0.5]), (24, 10.0, [0.1, 0.5, 0.1]),
                                (25, 30.0, [1.0, 1.0, 1.0]), (60, 30.0, [0.1, 0.5, 0.1])]:  # fmt: skip
        conflict_decay(day, began, steps, interval, out)
        assert out.tolist() == want, (day, interval)
    assert SpawnRules().conflict_spawn_decay_interval == 30  # Flee's default


def test_empty_camps_on_day0_counts_from_day_0():
    # the camp holds 500 on day 0 and the count rises by 100, 0, 50: Flee's start_empty data table counts every
    # series from its day-0 value, so the camp starts empty, nobody is spawned on day 0, the rises are spawned
    # and the camp is compared with 0, 100, 100, 150
    places, links = network()
    series = [SeriesPoint(day=d, value=v) for d, v in enumerate([500, 600, 600, 650])]
    for insert in (True, False):
        sc = Scenario(name="empty", start_date="2020-01-01", days=4, places=places, links=links,
                      observed={"Camp": series},
                      spawn=SpawnRules(insert_day0=insert, empty_camps_on_day0=True))  # fmt: skip
        sim = Simulation(sc)
        res = sim.run(seed=1)
        assert res.record.spawned.sum(axis=1).tolist() == [0, 100, 0, 50]
        assert res.record.population[0, 2] == 0
        assert sim.validate([({}, 1)]).validations[0].observed[:, 0].tolist() == [0, 100, 100, 150]
    without = Simulation(sc.model_copy(update={"spawn": SpawnRules(insert_day0=True)})).run(seed=1)
    assert without.record.population[0, 2] == 500


def test_take_from_population_empties_the_place_people_leave():
    # pop_ratio: each day int(0.1 x population x intensity) are displaced from North (3,000) and South (1,000).
    # Taken from the population, North loses 300, 270, 243, ... (a tenth of what is left); without, 300 a day.
    places, links = network()
    rules = dict(mode="conflict", rate_mode="pop_ratio", rate=0.1)
    sc = Scenario(name="take", start_date="2020-01-01", days=5, places=places, links=links, spawn=SpawnRules(**rules))
    kept = Simulation(sc).run(seed=1).record.spawned[:, 0].tolist()
    assert kept == [300] * 5
    sc.spawn = SpawnRules(take_from_population=True, **rules)
    taken = Simulation(sc).run(seed=1).record.spawned
    north, left = [], 3000
    for _ in range(5):
        north.append(int(0.1 * left))
        left -= north[-1]
    assert taken[:, 0].tolist() == north == [300, 270, 243, 218, 196]
    assert taken[:, 1].tolist() == [100, 90, 81, 72, 65]


def test_take_from_population_moves_observed_spawning_to_where_people_remain():
    # observed mode: 2,000 to place on day 1; North (3,000) and South (1,000) share them by population. Taken
    # from the population, North's weight falls faster (it gives more), so day 2's 2,000 lean towards South.
    places, links = network()
    series = [SeriesPoint(day=0, value=0), SeriesPoint(day=1, value=2000), SeriesPoint(day=2, value=3900)]
    sc = Scenario(name="obs", start_date="2020-01-01", days=3, places=places, links=links,
                  observed={"Camp": series}, spawn=SpawnRules(insert_day0=True, take_from_population=True))  # fmt: skip
    spawned = Simulation(sc).run(seed=2).record.spawned
    assert spawned[1].sum() == 2000 and spawned[2].sum() == 1900
    day1_north = spawned[1, 0]
    assert 1400 < day1_north < 1600  # 3/4 of 2,000
    share = (3000 - day1_north) / (4000 - 2000)  # what is left of North's population over everyone's left
    sd = np.sqrt(1900 * share * (1 - share))
    assert abs(spawned[2, 0] - 1900 * share) < 4 * sd


def test_empty_camps_on_day0_leaves_room_for_newcomers_only():
    # Flee takes a camp's day-0 count off its capacity: with 500 there on day 0 (counted from, not put in),
    # a camp of 2,000 places has room for 1,500 newcomers, x capacity_scaling
    places, links = network()
    places[2] = places[2].model_copy(update={"capacity": 2000})
    series = [SeriesPoint(day=0, value=500), SeriesPoint(day=3, value=650)]
    sc = Scenario(name="room", start_date="2020-01-01", days=4, places=places, links=links, observed={"Camp": series},
                  spawn=SpawnRules(empty_camps_on_day0=True), move=MoveRules(capacity_scaling=1.25))  # fmt: skip
    assert sc.effective_capacities()[2] == 1500 * 1.25
    sc.spawn = SpawnRules()  # the day-0 count is in the camp and counted once against its 2,000
    assert sc.effective_capacities()[2] == 2000 * 1.25


def test_conflict_spawning_still_fills_camps_with_their_day_0_counts():
    # Flee's run.py puts each camp's day-0 count in it whatever the spawning (add_initial_refugees)
    places, links = network()
    observed = {"Camp": [SeriesPoint(day=0, value=500), SeriesPoint(day=3, value=900)]}
    for insert, camp0 in ((True, 500), (False, 0)):
        sc = Scenario(name="c0", start_date="2020-01-01", days=3, places=places, links=links, observed=observed,
                      spawn=SpawnRules(mode="conflict", rate=10, insert_day0=insert))  # fmt: skip
        res = Simulation(sc).run(seed=1, check=True)
        assert res.record.spawned[0].tolist() == [10, 10, camp0]
        assert res.record.population[0, 2] == camp0 + 20  # the 20 displaced today reach it (300 km, 360 a day)
