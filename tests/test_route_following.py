"""A person holding a planned route follows it for sure, as in Flee (moving.calculateMoveChance returns 1
while the route is not empty): in the morning and at each stop with allowance left, whatever the move chance
of the place they are at. Cases small enough to know the answer in advance."""

import math

import numpy as np

from corridor import Simulation
from corridor.scenario.model import Closure, Link, MoveRules, Place, Scenario, SeriesPoint, SpawnRules

from conftest import line_scenario

SOFTENING, CAMP_WEIGHT, CONFLICT_WEIGHT, TOWN_MOVECHANCE = 10.0, 2.0, 0.25, 0.3


def within_binomial(count: int, n: int, p: float, sds: float = 4.0) -> bool:
    return abs(count - n * p) <= sds * math.sqrt(n * p * (1 - p))


def test_people_planning_past_a_town_go_through_it_whatever_its_move_chance():
    """Origin (conflict zone) - Town (move chance 0.3) - Camp, 100 km roads, 200 km a day, awareness 2:
    the day's allowance covers both roads. At Origin a person plans [Town] or [Town, Camp] in proportion to
    score / (softening + km); at Town, those planning on to Camp go on for sure, the others leave with
    chance 0.3 and choose between [Origin] and [Camp] (Origin being a conflict zone, it weighs
    conflict_weight). After day 0 the camp holds each person with chance
    P(Town, Camp) + P(Town) * 0.3 * P(Camp | Town) = 22/43 + 21/43 * 0.3 * 8/9 = 0.642
    (rerolling 0.3 at Town for everybody, as corridor did, gives 0.3 * (22/43 + 21/43 * 8/9) = 0.284).

    Reference, Flee's own code (commit 02cd2cb: Ecosystem with these three places and settings, 1,000
    agents, one evolve()): 645 in the camp with random.seed(0); a mean of 638.85 over seeds 0-19."""
    n = 1000
    sc = line_scenario([100, 100], speed=200, days=1, arrivals={0: n}, default_movechance=TOWN_MOVECHANCE,
                       awareness_level=2, camp_weight=CAMP_WEIGHT, conflict_weight=CONFLICT_WEIGHT,
                       foreign_weight=1.0, softening=SOFTENING)  # fmt: skip
    w_town, w_camp = 1.0 / (SOFTENING + 100), CAMP_WEIGHT / (SOFTENING + 200)
    p_through = w_camp / (w_town + w_camp)
    p_on_from_town = CAMP_WEIGHT / (CAMP_WEIGHT + CONFLICT_WEIGHT)  # both roads from Town are 100 km
    p_camp = p_through + (1 - p_through) * TOWN_MOVECHANCE * p_on_from_town
    p_back = (1 - p_through) * TOWN_MOVECHANCE * (1 - p_on_from_town)
    assert math.isclose(p_camp, 22 / 43 + 21 / 43 * 0.3 * 8 / 9)
    for seed in (0, 1):
        res = Simulation(sc).run(seed=seed)
        pop = res.record.population[0]
        camp, origin = int(pop[res.places.index("Camp")]), int(pop[res.places.index("Origin")])
        assert within_binomial(camp, n, p_camp), (seed, camp, n * p_camp)
        assert within_binomial(origin, n, p_back), (seed, origin, n * p_back)
        assert pop.sum() == n


def stop_over(stop_kind: str, stop_movechance: float | None, closures=(), first_road=500) -> Scenario:
    """Origin (conflict zone) - Stop (first_road km) - Camp (100 km), 200 km a day, one person setting out on
    day 0, awareness 1.
    Stop is a marker (no destination of its own, so the only plan from Origin is [Stop, Camp]) or a town."""
    places = [
        Place(name="Origin", kind="conflict_zone", country="A", population=10, conflict_date=0),
        Place(name="Stop", kind=stop_kind, country="A", movechance=stop_movechance),
        Place(name="Camp", kind="camp", country="B"),
    ]
    links = [Link(a="Origin", b="Stop", distance=first_road), Link(a="Stop", b="Camp", distance=100)]
    return Scenario(
        name="stop-over",
        start_date="2020-01-01",
        days=9,
        places=places,
        links=links,
        closures=list(closures),
        observed={"Camp": [SeriesPoint(day=0, value=1)]},  # the person sets out on day 0
        spawn=SpawnRules(insert_day0=False),
        move=MoveRules(max_move_speed=200, camp_movechance=0.0, awareness_level=1),
    )


def test_someone_holding_a_route_leaves_the_next_morning_from_a_place_nobody_leaves():
    # 400 + 100 km at 200 a day: the person reaches Stop with the day's allowance spent (day 1), planning on to
    # Camp; Stop's move chance is 0, yet the plan takes them on the next morning: in the camp on day 2.
    sc = stop_over("marker", 0.0, first_road=400)
    for seed in range(5):
        res = Simulation(sc).run(seed=seed)
        stop = res.record.population[:, res.places.index("Stop")]
        camp = res.record.population[:, res.places.index("Camp")]
        assert stop.tolist()[:3] == [0, 1, 0], seed
        assert camp.tolist() == [0, 0] + [1] * 7, seed


def test_a_stop_with_allowance_left_is_passed_whatever_its_move_chance():
    # 500 + 100 km: Stop is reached on day 2 with 100 km of the day left; its move chance of 0 stops nobody
    # who plans on past it (awareness 1: a marker does not count, so [Stop, Camp] is the only plan).
    for seed in range(5):
        res = Simulation(stop_over("marker", 0.0)).run(seed=seed)
        camp = res.record.population[:, res.places.index("Camp")]
        assert camp.tolist() == [0, 0] + [1] * 7, seed


def test_turned_back_off_a_closed_road_the_rest_of_the_plan_costs_the_next_day():
    """The road to Stop is closed on days 1-2 (reopens on day 3); the person reaches its end on day 2 and is
    turned back to Origin. As in Flee, they keep the rest of their plan ([Camp]): the next morning it makes
    them set out for sure, but no road from Origin leads to Camp, so the plan is dropped and they stay a day
    (Origin's move chance of 1 notwithstanding); on day 4 they plan again and set out, reaching Stop
    on day 6 with 100 km left and Camp the same day. Flee's own code (02cd2cb, Ecosystem.close_link and
    reopen_link one way, seed 0) gives the same days: at Origin at the end of days 2 and 3, in the camp from
    day 6."""
    closure = Closure(kind="link", a="Origin", b="Stop", start=1, end=3)
    for seed in range(3):
        res = Simulation(stop_over("marker", None, closures=[closure])).run(seed=seed)
        origin = res.record.population[:, res.places.index("Origin")]
        camp = res.record.population[:, res.places.index("Camp")]
        assert origin.tolist() == [0, 0, 1, 1, 0, 0, 0, 0, 0], seed
        assert camp.tolist() == [0] * 6 + [1] * 3, seed
        assert np.all(res.record.departures[3, :] == 0), "the day after being turned back: no departure"
