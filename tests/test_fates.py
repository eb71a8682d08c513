"""Leaving the journey (deportation, going home, refuge, crossing), marches, shelters that open and close,
and what follows a claim, each against an answer known in advance."""

import numpy as np
import pytest
from test_ports import border

from corridor import Simulation
from corridor.scenario.model import Asylum, Departure, Hazard, Link, March, MoveRules, Place, Port, Scenario, SpawnRules
from corridor.states import STATE_NAMES


def town(n=20_000, days=10, hazards=(), marches=(), capacity=None, departures=None, extra_places=(), **extra):
    """n people set out on day 0 and stay in one shelter (nobody moves on)."""
    places = [
        Place(name="Shelter", kind="shelter", country="MX", within="Tijuana", capacity=capacity),
        Place(name="Other", kind="town", country="MX", movechance=0.0),
        Place(name="San Ysidro", kind="port_of_entry", country="US"),
        *extra_places,
    ]
    return Scenario(
        name="town",
        start_date="2018-11-01",
        days=days,
        places=places,
        links=[Link(a="Shelter", b="Other", distance=50)],
        departures=departures or [Departure(place="Shelter", start=0, count=n)],
        hazards=list(hazards),
        marches=list(marches),
        spawn=SpawnRules(mode="departures"),
        move=MoveRules(camp_movechance=0.0),
        **extra,
    )


def sigma(n, p):
    return np.sqrt(n * p * (1 - p))


def test_a_constant_hazard_leaves_n_times_1_minus_r_to_the_t():
    r, n, days = 0.05, 20_000, 10
    res = Simulation(town(n, days, [Hazard(outcome="returned", where="Shelter", rate=r)])).run(seed=1, check=True)
    stay = res.record.population[:, 0]
    for t in range(days):
        expect = n * (1 - r) ** (t + 1)
        assert abs(stay[t] - expect) < 4 * sigma(n, (1 - r) ** (t + 1))
    census = res.state_table()
    assert (census["returned_home"] + census["at_place"] == n).all()  # everyone in exactly one state
    assert res.table()["returned_home"].sum() == census["returned_home"].iloc[-1]


def test_competing_outcomes_split_in_proportion_to_their_rates():
    hz = [
        Hazard(outcome="deported", where="Tijuana", rate=0.03),  # by city: the shelter is within Tijuana
        Hazard(outcome="refuge", where="MX", rate=0.01),  # by country
    ]
    res = Simulation(town(40_000, 20, hz)).run(seed=2, check=True)
    c = res.state_table().iloc[-1]
    gone = c["deported"] + c["refuge_in_mexico"]
    assert abs(gone - 40_000 * (1 - 0.96**20)) < 4 * sigma(40_000, 0.96**20)
    assert abs(c["deported"] / gone - 0.75) < 0.02


def test_hazards_apply_only_while_in_force_and_to_their_cohort():
    both = [
        Departure(place="Shelter", start=0, count=10_000, cohort="a"),
        Departure(place="Shelter", start=0, count=10_000, cohort="b"),
    ]
    hz = [Hazard(outcome="deported", where="Shelter", rate=0.5, start=3, end=5, cohort="b")]
    sc = town(days=10, hazards=hz, departures=both)
    res = Simulation(sc).run(seed=3, check=True)
    dep = res.table().query("place == 'Shelter'")["deported"]
    assert dep.iloc[:3].sum() == 0 and dep.iloc[5:].sum() == 0
    assert abs(dep.iloc[3:5].sum() - 7_500) < 4 * sigma(10_000, 0.75)  # only cohort b, half, then half again


def test_waiting_makes_leaving_likelier():
    # everyone is on the list from day 0 (the port processes nobody): after w weeks the rate is r(1 + k w)
    sc = border(1000, 0, days=29)
    sc.spawn = SpawnRules(mode="conflict", rate=1000)
    sc.hazards = [Hazard(outcome="returned", where="San Ysidro", rate=0.01, per_week_waited=1.0)]
    sc = Scenario(**sc.model_dump())
    res = Simulation(sc).run(seed=4, check=True)
    ret = res.table().query("place == 'San Ysidro'")["returned_home"].to_numpy()
    # those who signed on day 0 leave at 0.01 x (1 + 28/7) = 5% on day 28, five times day 0's 1%
    assert ret[0] < 25 and ret[-1] > ret[7] > ret[0]


def test_crowding_past_capacity_raises_the_hazard():
    hz = [Hazard(outcome="returned", where="Shelter", rate=0.01, per_crowding=1.0)]
    full = Simulation(town(20_000, 1, hz, capacity=20_000)).run(seed=5).table()["returned_home"].sum()
    crowded = Simulation(town(20_000, 1, hz, capacity=5_000)).run(seed=5).table()["returned_home"].sum()
    # 4 people a place: rate x (1 + 3) = 4%
    assert abs(full - 200) < 4 * sigma(20_000, 0.01)
    assert abs(crowded - 800) < 4 * sigma(20_000, 0.04)


def test_shelters_crowd_past_capacity_instead_of_turning_people_away():
    sc = town(0, 5, capacity=100)
    sc.places.insert(0, Place(name="Origin", kind="town", country="MX"))
    sc.links.append(Link(a="Origin", b="Shelter", distance=10))
    sc.departures = [Departure(place="Origin", start=0, count=1000)]
    sc.move = MoveRules(default_movechance=1.0, camp_movechance=0.0, max_move_speed=100)
    res = Simulation(Scenario(**sc.model_dump())).run(seed=1)
    t = res.table().query("place == 'Shelter'")
    assert t["population"].iloc[-1] == 1000
    assert t["crowding"].iloc[-1] == 10.0


def test_a_march_draws_its_share_and_splits_into_crossers_and_deported():
    m = March(day=2, where="Tijuana", share=0.1, cross=0.5, apprehended=0.2, deported=0.4)
    res = Simulation(town(50_000, 4, marches=[m])).run(seed=6, check=True)
    t = res.table().query("day == 2 and place == 'Shelter'").iloc[0]
    assert abs(t["marched"] - 5_000) < 4 * sigma(50_000, 0.1)
    assert t["crossed_undetected"] == 0  # those not caught at the fence are turned back
    assert abs(t["crossed_caught"] / t["marched"] - 0.5 * 0.2) < 0.015
    assert abs(t["deported"] / t["marched"] - 0.5 * 0.4) < 0.02
    stayed = res.table().query("day == 3 and place == 'Shelter'").iloc[0]["population"]
    assert stayed == 50_000 - t["crossed_caught"] - t["deported"]
    assert res.table()["marched"].sum() == t["marched"]  # one day only


def test_a_closing_shelter_moves_its_people_who_keep_their_list_numbers():
    sc = border(100, 10, days=12, signup_places=["Shelter"])
    sc.places.append(Place(name="Barretal", kind="shelter", country="MX"))
    sc.links.append(Link(a="Origin", b="Barretal", distance=10))
    sc.places[1] = Place(name="Shelter", kind="shelter", country="MX", closes=6, move_to="Barretal")
    sc.places[3] = Place(name="Barretal", kind="shelter", country="MX", opens=6)
    sc.links = [Link(a="Origin", b="Shelter", distance=10), Link(a="Origin", b="Barretal", distance=10)]
    sc.ports = [Port(place="San Ysidro", capacity_per_day=10, signup_places=["Shelter", "Barretal"])]
    res = Simulation(Scenario(**sc.model_dump())).run(seed=7, check=True)
    pop = res.wide()
    assert (pop["Barretal"].iloc[:6] == 0).all()  # not open yet
    assert (pop["Shelter"].iloc[6:] == 0).all()  # closed: everyone moved
    assert pop["Barretal"].iloc[6] >= pop["Shelter"].iloc[5]
    # the list went on in order through the move: waits grow steadily, nobody lost their place
    day, _, waited = res.record.wait_table()
    assert np.all(np.diff(waited[np.argsort(day, kind="stable")]) >= -1)
    assert res.record.processed[:, 0].sum() == 120


def test_after_processing_custody_then_waiting_in_the_us_or_remain_in_mexico():
    def run(mpp_from):
        sc = border(50, 50, days=40)
        sc.places.append(Place(name="Tijuana", kind="town", country="MX"))
        sc.asylum = Asylum(custody_days=2, remain_in_mexico_from=mpp_from, return_place="Tijuana", decision_days=1e9)
        return Simulation(Scenario(**sc.model_dump())).run(seed=8, check=True)

    us = run(None).state_table().iloc[-1]
    assert us["remain_in_mexico"] == 0
    assert us["waiting_in_us"] + us["in_custody_processed"] == 50 * 40
    assert 50 * 0.5 < us["in_custody_processed"] < 50 * 4  # mean two days in custody
    mx = run(20)
    last = mx.state_table().iloc[-1]
    assert last["remain_in_mexico"] > 50 * 15
    # those sent back wait in Tijuana: counted there
    assert mx.wide()["Tijuana"].iloc[-1] == last["remain_in_mexico"]


def test_decisions_grant_by_origin_country():
    sc = border(200, 200, days=60)
    sc.asylum = Asylum(custody_days=1, decision_days=2, grant_rate={"HN": 0.25})
    res = Simulation(Scenario(**sc.model_dump())).run(seed=9, check=True)
    last = res.state_table().iloc[-1]
    decided = last["granted"] + last["removed"]
    assert decided > 10_000
    assert abs(last["granted"] / decided - 0.25) < 0.02


def test_state_names_are_the_census_columns():
    res = Simulation(town(10, 2)).run(seed=0)
    cols = set(res.state_table().columns) - {"day", "date"}
    # `died` is a column only where a road has a death rate, `settled` where a camp is a sink, and
    # `in_custody_surrendered` where someone can surrender (State.when)
    assert cols == set(STATE_NAMES) - {"inactive", "signing", "died", "settled", "harvesting", "in_custody_surrendered"}


@pytest.mark.parametrize(
    "hazard,message",
    [
        (dict(outcome="deported", where="Nowhere", rate=0.1), "no place matches"),
        (dict(outcome="deported", where="Shelter", rate=0.1, cohort="x"), "unknown cohort"),
        (dict(outcome="moved", where="Shelter", rate=0.1, to="Nowhere"), "unknown place"),
        (dict(outcome="moved", where="Tijuana", rate=0.1, to="Shelter"), "move to where they are"),
        (dict(outcome="moved", where="Other", rate=0.1, to="San Ysidro"), "sign-up place"),
    ],
)
def test_hazards_that_name_nothing_are_refused(hazard, message):
    from corridor.errors import ScenarioError

    with pytest.raises(ScenarioError, match=message):
        town(10, 2, [Hazard(**hazard)], ports=[Port(place="San Ysidro", capacity_per_day=1)])


def test_a_moved_hazard_needs_a_destination_and_only_it_has_one():
    with pytest.raises(ValueError, match="needs a destination"):
        Hazard(outcome="moved", where="Shelter", rate=0.1)
    with pytest.raises(ValueError, match="only a moved hazard"):
        Hazard(outcome="returned", where="Shelter", rate=0.1, to="Other")


def test_two_destinations_for_the_same_people_are_refused():
    from corridor.errors import ScenarioError

    hz = [Hazard(outcome="moved", where="Shelter", rate=0.1, to="Other"),
          Hazard(outcome="moved", where="Tijuana", rate=0.1, to="Elsewhere")]  # fmt: skip
    with pytest.raises(ScenarioError, match="already move to Other"):
        town(10, 2, hz, extra_places=[Place(name="Elsewhere", kind="town", country="MX")])


def test_grant_rates_follow_the_nationality_given_in_departures():
    sc = border(0, 500, days=40)
    sc.places[0].country = "MX"  # they set out from a Mexican place...
    sc.departures = [Departure(place="Origin", start=0, count=4000, nationality="SV")]  # ...but are Salvadoran
    sc.spawn = SpawnRules(mode="departures")
    sc.asylum = Asylum(custody_days=1, decision_days=1, grant_rate={"SV": 1.0, "MX": 0.0}, default_grant_rate=0.0)
    res = Simulation(Scenario(**sc.model_dump())).run(seed=10, check=True)
    last = res.state_table().iloc[-1]
    assert last["granted"] > 3000 and last["removed"] == 0


def test_a_share_of_the_deported_set_out_again_from_the_reentry_place():
    from corridor.scenario.model import Reentry

    sc = town(20_000, 40, [Hazard(outcome="deported", where="Shelter", rate=1.0, start=0, end=1)])
    sc.reentry = Reentry(share=0.5, days=3, place="Other")
    res = Simulation(Scenario(**sc.model_dump())).run(seed=11, check=True)
    st = res.state_table().iloc[-1]
    assert res.table()["deported"].sum() == 20_000  # every deportation counted once: nobody is deported again
    assert abs(st["deported"] - 10_000) < 4 * sigma(20_000, 0.5)  # the other half set out again
    assert res.table().query("place == 'Other'")["arrivals"].sum() > 9_000
    assert res.record.spawned.sum() == 20_000  # the same people, not new ones


def test_the_old_reentry_keys_and_a_deported_rule_of_reentry_csv_are_the_same_rule():
    from corridor.scenario.model import Reentry, ReentryRule

    hz = [Hazard(outcome="deported", where="Shelter", rate=0.3, start=0, end=3)]
    old = town(5_000, 30, hz)
    old.reentry = Reentry(share=0.5, days=3, place="Other")
    new = town(5_000, 30, hz)
    new.reentry = Reentry(rules=[ReentryRule(outcome="deported", share=0.5, days=3, place="Other")])
    a = Simulation(Scenario(**old.model_dump())).run(seed=4, check=True)
    b = Simulation(Scenario(**new.model_dump())).run(seed=4, check=True)
    assert a.record.population.sum() > 0 and all(
        np.array_equal(x, b.record.arrays()[k]) for k, x in a.record.arrays().items()
    )


def test_everyone_who_went_home_sets_out_again_when_the_share_is_one():
    from corridor.scenario.model import Reentry, ReentryRule

    # everyone gives up on day 0, then all of them set out again from Other within days (mean 2), as cohort b
    deps = [
        Departure(place="Shelter", start=0, count=10_000, cohort="a"),
        Departure(place="Other", start=5, count=0, cohort="b"),
    ]
    sc = town(days=40, hazards=[Hazard(outcome="returned", where="Shelter", rate=1.0, start=0, end=1)], departures=deps)
    sc.reentry = Reentry(rules=[ReentryRule(outcome="returned_home", share=1.0, days=2, place="Other", cohort="b")])
    res = Simulation(Scenario(**sc.model_dump(), counts_by_cohort=True)).run(seed=5, check=True)
    st = res.state_table()
    other, b = res.scenario.place_index()["Other"], res.scenario.cohorts().index("b")
    assert res.table()["returned_home"].sum() == 10_000  # counted once, on the day they went home
    assert st["returned_home"].iloc[-1] == 0  # all of them set out again (2 days on average: none left by day 40)
    assert res.record.cohorts[-1, other, b] == 10_000  # at Other (nobody moves on from there), as cohort b
    assert res.record.spawned.sum() == 10_000  # the same people, not new ones
    # half of them within about 2 days of the day after going home: exponential, mean 2, whole days
    back = res.record.population[:, other]
    assert abs(back[2] - 10_000 * (1 - np.exp(-2 / 2))) < 4 * sigma(10_000, np.exp(-1))


def test_a_share_of_those_removed_by_the_us_set_out_again():
    from corridor.scenario.model import Reentry, ReentryRule

    sc = border(0, 500, days=60)
    sc.places.append(Place(name="Home", kind="town", country="SV", movechance=0.0))  # no road: they stay there
    sc.spawn = SpawnRules(mode="departures")
    sc.departures = [Departure(place="Origin", start=0, count=4000, nationality="SV")]
    sc.asylum = Asylum(custody_days=1, decision_days=1, grant_rate={"SV": 0.0}, default_grant_rate=0.0)
    sc.reentry = Reentry(rules=[ReentryRule(outcome="removed", share=0.25, days=2, place="Home")])
    res = Simulation(Scenario(**sc.model_dump())).run(seed=10, check=True)
    st = res.state_table().iloc[-1]
    home = res.record.population[-1, res.scenario.place_index()["Home"]]
    # every claim is denied within about two weeks; a quarter of those removed are back out within days
    assert home + st["removed"] == 4000
    assert abs(home - 1000) < 4 * sigma(4000, 0.25)


def test_children_are_counted_where_they_are():
    sc = town(departures=[Departure(place="Shelter", start=0, count=20_000, children=0.25)], days=3)
    res = Simulation(sc).run(seed=12, check=True)
    kids = res.table().query("place == 'Shelter'")["children"]
    assert abs(kids.iloc[0] - 5_000) < 4 * sigma(20_000, 0.25)
    assert (kids == kids.iloc[0]).all()  # nobody moves: the same children every day
    assert "children" not in Simulation(town(100, 2)).run(seed=0).table().columns  # none declared: no column


def test_people_sent_back_to_wait_in_mexico_face_the_hazards_there():
    sc = border(50, 50, days=30)
    sc.places.append(Place(name="Tijuana", kind="town", country="MX"))
    sc.asylum = Asylum(custody_days=1, remain_in_mexico_from=0, return_place="Tijuana", decision_days=1e9)
    sc.hazards = [Hazard(outcome="returned", where="Tijuana", rate=0.2)]
    res = Simulation(Scenario(**sc.model_dump())).run(seed=13, check=True)
    st = res.state_table().iloc[-1]
    assert st["returned_home"] > 50 * 20 * 0.5  # most of those sent back give up within the month
    assert st["remain_in_mexico"] == res.wide()["Tijuana"].iloc[-1] < 50 * 10


def test_moving_on_takes_people_to_the_other_city_the_same_day():
    r, n, days = 0.05, 20_000, 10
    hz = [Hazard(outcome="moved", where="Shelter", rate=r, to="Other")]
    res = Simulation(town(n, days, hz)).run(seed=7, check=True)
    t = res.table()
    shelter, other = t.query("place == 'Shelter'"), t.query("place == 'Other'")
    for day in range(days):
        expect = n * (1 - r) ** (day + 1)
        assert abs(shelter["population"].iloc[day] - expect) < 4 * sigma(n, (1 - r) ** (day + 1))
    assert (shelter["population"].to_numpy() + other["population"].to_numpy() == n).all()
    # every move is a departure from the shelter and an arrival in the other city, on the same day
    assert (shelter["moved_away"].to_numpy() == other["arrivals"].to_numpy()).all()
    assert (shelter["departures"].to_numpy() == shelter["moved_away"].to_numpy()).all()
    assert res.state_table()["at_place"].eq(n).all()  # moving on ends no journey


def test_moving_on_leaves_the_waiting_list_and_grows_with_weeks_waited():
    # everyone signs the list on day 0 and nobody is called: after d days the chance is r(1 + d/7)
    r, n, days = 0.01, 20_000, 22
    hz = [Hazard(outcome="moved", where="Shelter", rate=r, per_week_waited=1.0, to="Other")]
    sc = town(n, days, hz, ports=[Port(place="San Ysidro", capacity_per_day=0, signup_places=["Shelter"])])
    res = Simulation(sc).run(seed=8, check=True)
    q = res.record.waitlist[:, 0]
    survive = np.cumprod([1 - r * (1 + d / 7) for d in range(days)])
    for day in range(days):
        assert abs(q[day] - n * survive[day]) < 4 * sigma(n, survive[day])
    moved = res.table().query("place == 'Shelter'")["moved_away"].to_numpy()
    assert moved[-1] > 2 * moved[0]  # three weeks on the list: four times the first day's chance
    census = res.state_table()
    assert (census["on_list"] == q).all() and (census["on_list"] + census["at_place"] == n).all()


def test_people_who_moved_on_are_skipped_when_their_number_is_called():
    hz = [Hazard(outcome="moved", where="Shelter", rate=0.2, to="Other")]
    sc = town(5_000, 20, hz, ports=[Port(place="San Ysidro", capacity_per_day=100, signup_places=["Shelter"])])
    res = Simulation(sc).run(seed=9, check=True)
    t = res.table()
    processed = int(res.record.processed[:, 0].sum())
    moved = int(t["moved_away"].sum())
    assert processed + moved + int(res.record.waitlist[-1, 0]) == 5_000
    assert t.query("place == 'Other'")["population"].iloc[-1] == moved


def test_nobody_moves_to_a_shelter_before_it_opens():
    hz = [Hazard(outcome="moved", where="Shelter", rate=0.5, to="New")]
    new = Place(name="New", kind="shelter", country="MX", capacity=10_000, opens=5)
    res = Simulation(town(1_000, 8, hz, extra_places=[new])).run(seed=10, check=True)
    arrived = res.table().query("place == 'New'")["arrivals"].to_numpy()
    assert arrived[:5].sum() == 0 and arrived[5] > 0


@pytest.mark.parametrize("no_backtrack", [True, False])
def test_under_no_backtrack_people_who_moved_on_do_not_head_straight_back(no_backtrack):
    hz = [Hazard(outcome="moved", where="Shelter", rate=0.5, to="Other")]
    third = Place(name="Third", kind="shelter", country="MX", capacity=10_000)
    sc = town(2_000, 6, hz, extra_places=[third])
    sc.places[1] = Place(name="Other", kind="town", country="MX", movechance=1.0)
    sc.links.append(Link(a="Other", b="Third", distance=50))
    sc.move = MoveRules(camp_movechance=0.0, no_backtrack=no_backtrack, max_move_speed=100)
    res = Simulation(Scenario(**sc.model_dump())).run(seed=11, check=True)
    back = res.link_table().query("`from` == 'Other' and to == 'Shelter'")["set_out"].sum()
    on = res.link_table().query("`from` == 'Other' and to == 'Third'")["set_out"].sum()
    assert on > 500
    assert (back == 0) if no_backtrack else (back > 100)
