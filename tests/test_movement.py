"""Movement on small networks whose right answer is known in advance."""

import math

import numpy as np
import pytest

from corridor import Simulation
from corridor.scenario.model import Closure, Departure, Link, MoveRules, Place, Scenario, SeriesPoint, SpawnRules

from conftest import line_scenario


def camp_count(res):
    return res.record.population[:, res.places.index("Camp")]


@pytest.mark.parametrize("distance,speed", [(500, 200), (150, 200), (400, 200), (1000, 35), (35, 35)])
def test_one_link_arrival_after_ceil_distance_over_speed_days(distance, speed):
    res = Simulation(line_scenario([distance], speed=speed, days=40)).run(seed=3)
    travel_days = math.ceil(distance / speed)
    first = int(np.argmax(camp_count(res) > 0))
    assert camp_count(res)[travel_days - 1] == 1
    assert first == travel_days - 1, "set out on day 0, in the camp at the end of day ceil(d/v) - 1"
    assert res.record.in_transit[: travel_days - 1, res.places.index("Camp")].tolist() == [1] * (travel_days - 1)


def test_arriving_with_allowance_left_goes_on_with_a_fresh_allowance():
    # 150 + 150 km at 200 km/day: the first road leaves 50 km unused, so the person decides again
    # and takes the whole second road the same day (Flee's rule: a fresh allowance per road).
    res = Simulation(line_scenario([150, 150], speed=200, days=5)).run(seed=1)
    assert camp_count(res).tolist() == [1, 1, 1, 1, 1]
    assert res.record.arrivals[0, res.places.index("Town1")] == 1


def test_a_long_first_road_uses_the_day_up():
    # 250 + 250 km: day 0 ends 200 km along; day 1 reaches Town1 with 150 km spent and starts the
    # second road with a fresh allowance (200 of 250 km); day 2 arrives.
    res = Simulation(line_scenario([250, 250], speed=200, days=5)).run(seed=1)
    assert camp_count(res).tolist() == [0, 0, 1, 1, 1]


def test_closure_blocks_then_releases_the_route():
    closure = Closure(kind="link", a="Origin", b="Camp", start=0, end=5)
    res = Simulation(line_scenario([100], speed=200, days=10, closures=[closure])).run(seed=2)
    origin = res.record.population[:, res.places.index("Origin")]
    assert origin[:5].tolist() == [1] * 5, "nobody can leave while the only road is closed"
    assert camp_count(res).tolist() == [0] * 5 + [1] * 5, "the road reopens on day 5"


def test_country_closure_sends_people_on_the_road_back():
    # Border closes on day 1 while the person is on the 500 km road: they return to its start.
    closure = Closure(kind="country", a="A", b="B", start=1, end=8)
    res = Simulation(line_scenario([500], speed=200, days=12, closures=[closure])).run(seed=2)
    origin = res.record.population[:, res.places.index("Origin")]
    assert origin[2] == 1 and camp_count(res)[2] == 0
    # reopens day 8: leaves that day, 500 km takes 3 days -> in the camp at the end of day 10
    assert camp_count(res).tolist()[8:] == [0, 0, 1, 1]


def two_camps(capacity_a, prefill_a, days=6, people=200):
    places = [
        Place(name="Origin", kind="conflict_zone", country="A", population=1000, conflict_date=0),
        Place(name="CampA", kind="camp", country="B", capacity=capacity_a),
        Place(name="CampB", kind="camp", country="B"),
    ]
    links = [Link(a="Origin", b="CampA", distance=100), Link(a="Origin", b="CampB", distance=100)]
    observed = {
        "CampA": [SeriesPoint(day=0, value=prefill_a)],
        "CampB": [SeriesPoint(day=0, value=0), SeriesPoint(day=1, value=people)],
    }
    return Scenario(
        name="two-camps",
        start_date="2020-01-01",
        days=days,
        places=places,
        links=links,
        observed=observed,
        spawn=SpawnRules(insert_day0=True),
        move=MoveRules(max_move_speed=200, camp_movechance=0.0),
    )


def test_full_camp_is_avoided():
    res = Simulation(two_camps(capacity_a=10, prefill_a=10)).run(seed=5)
    pop = res.record.population[-1]
    assert pop[res.places.index("CampA")] == 10, "nobody new goes to a camp at capacity"
    assert pop[res.places.index("CampB")] == 200


def test_camps_with_room_share_arrivals_by_weight():
    res = Simulation(two_camps(capacity_a=None, prefill_a=0, people=4000)).run(seed=5)
    pop = res.record.population[-1]
    a, b = pop[res.places.index("CampA")], pop[res.places.index("CampB")]
    assert a + b == 4000
    assert abs(a - 2000) < 4 * math.sqrt(4000 * 0.25), "equal roads, equal weights: a fair coin per person"


def test_awareness_two_plans_a_route_through_a_town():
    # Origin-Town (100) and Town-Camp (100), plus a direct Origin-Camp road of 1000 km. With awareness 2
    # the 200 km route via Town scores best; people follow it even where Town is unattractive.
    places = [
        Place(name="Origin", kind="conflict_zone", country="A", population=1000, conflict_date=0),
        Place(name="Town", kind="town", country="A"),
        Place(name="Camp", kind="camp", country="B"),
    ]
    links = [
        Link(a="Origin", b="Town", distance=100),
        Link(a="Town", b="Camp", distance=100),
        Link(a="Origin", b="Camp", distance=1000),
    ]
    sc = Scenario(
        name="aware",
        start_date="2020-01-01",
        days=8,
        places=places,
        links=links,
        observed={"Camp": [SeriesPoint(day=0, value=0), SeriesPoint(day=1, value=1000)]},
        spawn=SpawnRules(insert_day0=True),
        move=MoveRules(
            max_move_speed=400, awareness_level=2, camp_weight=10.0, camp_movechance=0.0, default_movechance=1.0
        ),
    )
    res = Simulation(sc).run(seed=0)
    assert res.record.population[-1, 2] == 1000
    assert res.record.arrivals[:, 1].sum() > 500, "most go via the town"


def star(n_camps, full=(), **move):
    """An origin with one road to each of n camps, 100 km x (k + 1) long; camps in `full` are at capacity."""
    places = [Place(name="Origin", kind="conflict_zone", country="A", population=1000, conflict_date=0)]
    places += [
        Place(name=f"Camp{k}", kind="camp", country="B", capacity=1 if k in full else None) for k in range(n_camps)
    ]
    links = [Link(a="Origin", b=f"Camp{k}", distance=100.0 * (k + 1)) for k in range(n_camps)]
    observed = {"Camp0": [SeriesPoint(day=0, value=0), SeriesPoint(day=1, value=20000)]}
    observed |= {f"Camp{k}": [SeriesPoint(day=0, value=1)] for k in full}
    return Scenario(
        name="star",
        start_date="2020-01-01",
        days=14,
        places=places,
        links=links,
        observed=observed,
        spawn=SpawnRules(insert_day0=True),
        move=MoveRules(max_move_speed=2000, camp_movechance=0.0, **move),
    )


def assert_shares(settled, weights):
    """Counts split as independent draws in proportion to `weights` would be: within 4 sd of each share."""
    share = weights / weights.sum()
    total = settled.sum()
    sd = np.sqrt(total * share * (1 - share))
    assert np.all(np.abs(settled - total * share) <= 4 * sd + 1), (settled.tolist(), (total * share).round().tolist())


@pytest.mark.parametrize("n_camps", [3, 8, 12])  # 8 fills the kernel's padded weight row; 12 overflows it
def test_people_choose_among_roads_in_proportion_to_their_weights(n_camps):
    full = (1,)
    res = Simulation(star(n_camps, full)).run(seed=4)
    settled = res.record.population[-1, 1:] - np.isin(np.arange(n_camps), full)
    # a route's weight is its end's score over (softening + km); camps score alike
    softening = MoveRules().softening
    weights = np.array([0.0 if k in full else 1.0 / (softening + 100.0 * (k + 1)) for k in range(n_camps)])
    assert settled.sum() == 20000
    assert settled[1] == 0, "a camp at capacity has weight 0: nobody picks it"
    assert_shares(settled, weights)


def test_branch_free_route_pick_is_the_running_total_pick():
    import numba as nb

    from corridor.sim.components import movement as K

    @nb.njit
    def picks(us, cand_start, cand_route, cand_cum, cum_w, rt_links, link_dst, avoid):
        out = np.empty(len(us), np.int64)
        for j in range(len(us)):
            out[j] = K._choose(0, us[j], cand_start, cand_route, cand_cum, cum_w, rt_links, link_dst, avoid)
        return out

    rng = np.random.default_rng(7)
    for n in range(1, K.W + 1):
        w = rng.random(n) * (rng.random(n) < 0.7)  # some routes weigh nothing
        if w.sum() == 0:
            w[0] = 1.0
        cand_cum = np.cumsum(w)
        cum_w = np.full((1, K.W), np.inf)
        cum_w[0, : n - 1] = cand_cum[: n - 1]
        cand_start = np.array([0, n])
        cand_route = np.arange(n, dtype=np.int32)
        rt_links = np.arange(n, dtype=np.int32).reshape(n, 1)
        link_dst = np.arange(1, n + 1, dtype=np.int32)
        us = rng.random(20000)
        fast = picks(us, cand_start, cand_route, cand_cum, cum_w, rt_links, link_dst, -1)
        # avoiding a place no road leads to takes the running-total loop and must pick the same routes
        loop = picks(us, cand_start, cand_route, cand_cum, cum_w, rt_links, link_dst, n + 5)
        assert np.array_equal(fast, loop)
        assert np.all(w[fast] > 0)


@pytest.mark.parametrize("distance_power,weight_power", [(2.0, 1.0), (1.0, 0.5), (1.5, 2.0)])
def test_route_weights_follow_the_distance_and_weight_powers(distance_power, weight_power):
    # weight = (score / (softening + km) ** distance_power) ** weight_power, camps scoring alike
    res = Simulation(star(4, distance_power=distance_power, weight_power=weight_power)).run(seed=6)
    settled = res.record.population[-1, 1:]
    km = MoveRules().softening + 100.0 * np.arange(1, 5)
    weights = (1.0 / km**distance_power) ** weight_power
    assert_shares(settled, weights)


# --- Flee's population and distance rules (docs/flee-compat.md) ---------------------------------------------


def towns(populations, **move):
    """20,000 people set out on day 0 from a conflict zone with one 100 km road to each town; at 100 km a
    day they arrive on day 0 with nothing left to go on with, so day 0's arrivals are their first choice."""
    places = [Place(name="Origin", kind="conflict_zone", country="A", conflict_date=0)]
    places += [Place(name=f"Town{k}", kind="town", country="A", population=pop) for k, pop in enumerate(populations)]
    links = [Link(a="Origin", b=f"Town{k}", distance=100.0) for k in range(len(populations))]
    return Scenario(name="towns", start_date="2020-01-01", days=2, places=places, links=links,
                    spawn=SpawnRules(mode="departures"), departures=[Departure(place="Origin", start=0, count=20000)],
                    move=MoveRules(max_move_speed=100, **move))  # fmt: skip


def test_use_pop_for_loc_weight_weights_towns_by_population():
    populations = [1, 100, 10_000]
    res = Simulation(towns(populations, use_pop_for_loc_weight=True, pop_power_for_loc_weight=0.5)).run(seed=2)
    first = res.record.arrivals[0, 1:]
    assert first.sum() == 20000
    assert_shares(first, np.array([1.0, 10.0, 100.0]))  # max(1, population) ** 0.5
    off = Simulation(towns(populations)).run(seed=2).record.arrivals[0, 1:]
    assert_shares(off, np.ones(3))


def test_use_pop_for_loc_weight_leaves_camps_alone():
    sc = towns([10_000, 10_000], use_pop_for_loc_weight=True, pop_power_for_loc_weight=0.5)
    sc.places[1] = sc.places[1].model_copy(update={"kind": "camp"})  # 100 times the town's score without the rule
    first = Simulation(sc).run(seed=3).record.arrivals[0, 1:]
    assert_shares(first, np.array([1.0, 100.0]))


@pytest.mark.parametrize("population,factor", [(2_500, 1.0), (40_000, 0.5), (0, 1.0)])
def test_movechance_pop_scale_factor_scales_a_towns_move_chance(population, factor):
    # Flee: move chance x (max(population, capacity) / movechance_pop_base) ** factor
    places = [Place(name="Start", kind="town", country="A", population=population),
              Place(name="Camp", kind="camp", country="A")]  # fmt: skip
    sc = Scenario(name="pop", start_date="2020-01-01", days=1, places=places,
                  links=[Link(a="Start", b="Camp", distance=10.0)], spawn=SpawnRules(mode="departures"),
                  departures=[Departure(place="Start", start=0, count=40000)],
                  move=MoveRules(default_movechance=0.3, movechance_pop_scale_factor=factor))  # fmt: skip
    left = int(Simulation(sc).run(seed=5).record.departures[0, 0])
    chance = min(1.0, 0.3 * (population / 10_000) ** factor)
    sd = math.sqrt(40000 * chance * (1 - chance))
    assert abs(left - 40000 * chance) <= 4 * sd + 1, (left, 40000 * chance)


def flee_km(a, b):
    """Flee's Location.calculateDistance: the haversine with a place's lon as latitude and lat as longitude."""
    phi1, phi2, dlam = math.radians(a.lon), math.radians(b.lon), math.radians(b.lat - a.lat)
    h = math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 6371.0 * 2 * math.atan2(math.sqrt(h), math.sqrt(1 - h))


def test_stay_close_to_home_weights_destinations_down_by_distance_as_the_crow_flies():
    # the roads are alike (100 km); the camps lie 1, 4 and 9 degrees away (read as Flee reads coordinates)
    sc = star(3, stay_close_to_home=True, home_distance_power=1.0)
    sc.links = [lk.model_copy(update={"distance": 100.0}) for lk in sc.links]
    sc.places[0] = sc.places[0].model_copy(update={"lat": 0.0, "lon": 50.0})
    for k, deg in enumerate((1.0, 4.0, 9.0)):
        sc.places[k + 1] = sc.places[k + 1].model_copy(update={"lat": deg, "lon": 50.0})
    km = np.array([flee_km(sc.places[0], sc.places[k + 1]) for k in range(3)])
    assert 60 < km[0] < 75  # a degree of longitude at latitude 50 (Flee's reading), not 111 km of latitude
    settled = Simulation(sc).run(seed=6).record.population[-1, 1:]
    assert_shares(settled, 1.0 / np.maximum(1.0, km))


@pytest.mark.parametrize("threshold,kept", [(1.0, 4), (1.0009, 4), (1.001, 1), (2.5, 2), (100.0, 4)])
def test_pruning_threshold_drops_routes_far_below_the_best(threshold, kept):
    # camps at 100, 200, 300, 400 km weigh 1/110, 1/210, 1/310, 1/410: with threshold t Flee keeps those
    # at least the best's / t (2.5: 1/275 -> the first two); below 1.001 nothing is pruned
    res = Simulation(star(4, pruning_threshold=threshold)).run(seed=6)
    settled = res.record.population[-1, 1:]
    km = MoveRules().softening + 100.0 * np.arange(1, 5)
    weights = 1.0 / km
    if threshold >= 1.001:
        weights[weights < weights.max() / threshold] = 0.0
    assert (settled > 0).sum() == kept
    assert_shares(settled, weights)


def towns_in_a_row(avoid_short_stints):
    """1,000 people leave a conflict zone on day 0 along a row of towns 50 km apart (200 km a day; a town's
    move chance 1%; no turning back), towards a camp 400 km away."""
    names = ["Origin", *(f"Town{k}" for k in range(1, 8)), "Camp"]
    places = [Place(name="Origin", kind="conflict_zone", country="A", population=1000, conflict_date=0)]
    places += [Place(name=n, kind="town", country="A") for n in names[1:-1]]
    places += [Place(name="Camp", kind="camp", country="A")]
    links = [Link(a=a, b=b, distance=50.0) for a, b in zip(names, names[1:], strict=False)]
    return Scenario(name="row", start_date="2020-01-01", days=3, places=places, links=links,
                    spawn=SpawnRules(mode="departures"), departures=[Departure(place="Origin", start=0, count=1000)],
                    move=MoveRules(max_move_speed=200, default_movechance=0.01, no_backtrack=True,
                                   avoid_short_stints=avoid_short_stints))  # fmt: skip


def test_avoid_short_stints_carries_people_through_towns_to_a_days_travel():
    # day 0: 50, 100 and 150 km average under half a day's travel ((0 + km/200) / 2 < 0.5), so each town is
    # passed; at 200 km the day's allowance is spent
    on = Simulation(towns_in_a_row(True)).run(seed=1).record.population
    assert on[0, 4] == 1000, on[0].tolist()
    # without the rule each town keeps 99% of those who reach it
    off = Simulation(towns_in_a_row(False)).run(seed=1).record.population
    assert 970 <= off[0, 1] <= 1000 and off[0, 4] < 5, off[0].tolist()


def test_avoid_short_stints_remembers_yesterdays_travel():
    # day 1 from Town4 (yesterday's record: (0 + 200/200) / 2 = 0.5): a 50 km hop averages (0.5 + 0.25) / 2 =
    # 0.375 and is passed; 100 km, (0.5 + 0.5) / 2 = 0.5, is not: those who leave Town4 stop at Town6
    # unless they roll to go on there (1%)
    res = Simulation(towns_in_a_row(True)).run(seed=1).record.population
    left = 1000 - res[1, 4]
    assert 0 < left < 40  # Town4's 1% chance
    assert res[1, 6] >= left - 3 and res[1, 5] == 0 and res[1, 7] + res[1, 8] <= 3, res[1].tolist()
