"""Waiting lists and the people on them when they leave a list, or their shelter closes, and how people come
to a place where a list is signed: the smallest cases of engine bugs that tests/test_conservation.py's
generated scenarios found (the first four), or that writing it brought to light (the last two); each failed
before its fix.

How the engine keeps a list (sim/components/ports.py): a port's queue is agent ids in sign-up order with the day
each signed, and `waiting` a count of the people on it; serve() calls ids in order and skips a number whose
holder is no longer on a list or has signed again since; people who leave a list by a hazard or a march are
taken off `waiting` of the port whose list they signed (the `port` column), wherever they are. Whoever comes to
a place where a list is signed on arrival signs it, whichever way they came.
"""

import pytest

from corridor import Simulation, states
from corridor.scenario.model import (
    Asylum,
    Caravan,
    CaravanStop,
    Departure,
    Hazard,
    Link,
    Place,
    Port,
    PortEvent,
    Reentry,
    Scenario,
    SpawnRules,
)

S = {s.name: s.code for s in states.STATES}

# --- leaving a list and signing it again -------------------------------------------------------------------


def signs_twice(claims_from_day_3, others=0):
    """One person (cohort 'first') walks from Town to the port and signs its list on day 0; on day 1 a
    `moved` hazard (rate 1) takes them back to Town, off the list; on day 2 they walk back and sign again.
    `others` people set out on day 1 and sign then. The port calls nobody until day 3."""
    departures = [Departure(place="Town", start=0, count=1, cohort="first")]
    if others:
        departures.append(Departure(place="Town", start=1, count=others, cohort="other"))
    return Scenario(
        name="signs-twice",
        start_date="2018-11-01",
        days=5,
        places=[Place(name="Town", kind="town", movechance=1.0), Place(name="Port", kind="port_of_entry")],
        links=[Link(a="Town", b="Port", distance=10)],
        ports=[
            Port(place="Port", capacity_per_day=0, events=[PortEvent(day=3, kind="capacity", value=claims_from_day_3)])
        ],
        departures=departures,
        hazards=[Hazard(outcome="moved", where="Port", to="Town", start=1, end=2, rate=1.0, cohort="first")],
        asylum=Asylum(custody_days=1),
        spawn=SpawnRules(mode="departures"),
    )


def test_the_case_of_signing_twice_is_set_up_as_described():
    rec = Simulation(signs_twice(0)).run(seed=0, check=True).record
    assert rec.signups[:, 0].tolist() == [1, 0, 1, 0, 0]
    assert rec.waitlist[:, 0].tolist() == [1, 0, 1, 1, 1]
    assert rec.fates[1, 1, states.F_MOVED] == 1  # moved away from the port on day 1


def test_someone_who_signs_again_is_called_once():
    res = Simulation(signs_twice(2)).run(seed=0, check=True)
    census = res.record.census[-1]
    assert census[S["in_custody_processed"]] + census[S["waiting_in_us"]] == 1
    assert res.record.processed[:, 0].sum() == 1


def test_someone_who_signs_again_goes_to_the_end_of_the_list():
    res = Simulation(signs_twice(1, others=1)).run(seed=0, check=True)
    day, _, waited = res.record.wait_table()
    # called one a day: the other person (signed on day 1), then the one who signed again on day 2
    assert (day - waited).tolist() == [1, 2]


# --- a shelter where a list is signed closes ---------------------------------------------------------------


def closing_shelter(days=5, closes=2, departures=None, hazards=(), port=None, **extra):
    """Shelter signs San Ysidro's list and closes on day `closes`, its people taken to Town, where no list is
    signed. Nobody moves on their own and the port calls nobody."""
    return Scenario(
        name="closing-shelter",
        start_date="2018-11-01",
        days=days,
        places=[
            Place(name="Shelter", kind="shelter", closes=closes, move_to="Town"),
            Place(name="Town", kind="town", movechance=0.0),
            Place(name="San Ysidro", kind="port_of_entry"),
            Place(name="Mexicali", kind="town", movechance=0.0),
        ],
        links=[Link(a="Shelter", b="Town", distance=10), Link(a="Town", b="San Ysidro", distance=10)],
        ports=[port or Port(place="San Ysidro", capacity_per_day=0, signup_places=["Shelter"])],
        departures=departures if departures is not None else [Departure(place="Shelter", start=0, count=3)],
        hazards=list(hazards),
        spawn=SpawnRules(mode="departures"),
        **extra,
    )


def test_people_on_a_list_keep_their_number_when_their_shelter_closes():
    res = Simulation(closing_shelter()).run(seed=0, check=True)
    assert res.record.waitlist[:, 0].tolist() == [3, 3, 3, 3, 3]
    assert res.wide().loc[:, "Town"].tolist() == [0, 0, 3, 3, 3]


@pytest.mark.parametrize("outcome", ["returned", "moved"])
def test_people_taken_from_a_closed_shelter_leave_the_list_when_they_go(outcome):
    hz = Hazard(outcome=outcome, where="Town", start=3, rate=1.0, to="Mexicali" if outcome == "moved" else None)
    res = Simulation(closing_shelter(hazards=[hz])).run(seed=0, check=True)
    assert res.record.waitlist[:, 0].tolist() == [3, 3, 3, 0, 0]


def test_people_setting_out_at_a_shelter_the_day_it_closes_are_counted_where_they_end_up():
    sc = closing_shelter(closes=1, departures=[Departure(place="Shelter", start=1, count=3)])
    res = Simulation(sc).run(seed=0, check=True)
    census = res.record.census[-1]
    assert census[S["on_list"]] == res.record.waitlist[-1, 0]
    assert census[S["on_list"]] + census[S["at_place"]] == 3


# --- remain-in-Mexico in a place that closes ---------------------------------------------------------------


def test_people_sent_back_to_a_shelter_that_closes_are_decided_where_they_are():
    sc = closing_shelter(
        days=8,
        closes=3,
        departures=[],
        port=Port(place="San Ysidro", capacity_per_day=50, initial_waitlist=50),  # 50 claims on day 0
        asylum=Asylum(custody_days=1, remain_in_mexico_from=0, return_place="Shelter", decision_days=2),
    )
    res = Simulation(sc).run(seed=0, check=True)
    assert res.record.population.min() >= 0


# --- coming to a sign-up place other than by road ----------------------------------------------------------


def comes_to_the_shelter(way):
    """5 people come to Shelter, where San Ysidro's list is signed on arrival (sign_rate 1), on day 0 or 1:
    at the end of a caravan from Town, taken there when Town (a shelter) closes, or setting out again there
    after Mexico deported them from Town. Nobody moves on and the port calls nobody."""
    places = [
        Place(name="Town", kind="town", movechance=0.0),
        Place(name="Shelter", kind="shelter", movechance=0.0),
        Place(name="San Ysidro", kind="port_of_entry"),
    ]
    departures = [Departure(place="Town", start=0, count=5, caravan="K" if way == "caravan" else "")]
    extra = {}
    if way == "caravan":
        extra["caravans"] = [
            Caravan(name="K", stops=[CaravanStop(place="Town", pace=100), CaravanStop(place="Shelter")])
        ]
    elif way == "shelter closing":
        places[0] = Place(name="Town", kind="shelter", movechance=0.0, closes=1, move_to="Shelter")
    else:  # deported on day 0, back after a mean of a day (with seed 0, all five by day 3)
        extra["hazards"] = [Hazard(outcome="deported", where="Town", start=0, end=1, rate=1.0)]
        extra["reentry"] = Reentry(share=1.0, days=1, place="Shelter")
    return Scenario(
        name="comes-to-the-shelter",
        start_date="2018-11-01",
        days=10,
        places=places,
        links=[Link(a="Town", b="Shelter", distance=10), Link(a="Shelter", b="San Ysidro", distance=10)],
        departures=departures,
        ports=[Port(place="San Ysidro", capacity_per_day=0, signup_places=["Shelter"])],
        spawn=SpawnRules(mode="departures"),
        **extra,
    )


WAYS = ["caravan", "shelter closing", "re-entry"]


@pytest.mark.parametrize("way", WAYS)
def test_people_come_to_the_shelter_by_each_way(way):
    res = Simulation(comes_to_the_shelter(way)).run(seed=0, check=True)
    assert res.wide()["Shelter"].iloc[-1] == 5


@pytest.mark.parametrize("way", WAYS)
def test_people_who_come_to_a_sign_up_place_sign_its_list(way):
    res = Simulation(comes_to_the_shelter(way)).run(seed=0, check=True)
    assert res.record.waitlist[-1, 0] == 5


def test_a_caravan_in_a_shelter_that_closes_is_taken_to_move_to():
    sc = Scenario(
        name="caravan-in-a-closing-shelter",
        start_date="2018-11-01",
        days=5,
        places=[
            Place(name="Town", kind="town"),
            Place(name="Shelter", kind="shelter", closes=2, move_to="Other"),
            Place(name="End", kind="town"),
            Place(name="Other", kind="town", movechance=0.0),
        ],
        links=[Link(a="Town", b="Shelter", distance=10), Link(a="Shelter", b="End", distance=10)],
        # reaches Shelter on day 0 and holds there until day 4
        caravans=[
            Caravan(
                name="K",
                stops=[
                    CaravanStop(place="Town", pace=10),
                    CaravanStop(place="Shelter", hold_until=4),
                    CaravanStop(place="End"),
                ],
            )
        ],
        departures=[Departure(place="Town", start=0, count=5, caravan="K")],
        spawn=SpawnRules(mode="departures"),
    )
    res = Simulation(sc).run(seed=0, check=True)
    assert res.wide()["Shelter"].tolist()[:2] == [5, 5]  # the caravan holds there; the shelter closes on day 2
    assert res.wide()["Shelter"].iloc[2:].tolist() == [0, 0, 0]
