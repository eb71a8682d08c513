"""Numbered lists (groups signed and called together, absent groups losing their turn) and the choice among
ports that keep lists at the same place (docs/model.md, Numbered lists; Choosing among ports)."""

import numpy as np
import pytest

from corridor import Simulation
from corridor.errors import ScenarioError
from corridor.scenario.model import ConflictPeriod, Link, MoveRules, Place, Port, PortEvent, Scenario, SpawnRules
from corridor.sim.components.ports import choose_ports, number_households
from corridor.sim.rng import key64

from conftest import write_folder


def border(lam, days=10, **port):
    """lam people a day set out from Origin and reach the port the same day, signing its list on arrival."""
    return Scenario(
        name="numbers",
        start_date="2018-11-01",
        days=days,
        places=[
            Place(name="Origin", kind="conflict_zone", country="HN", population=100_000),
            Place(name="San Ysidro", kind="port_of_entry", country="MX"),
        ],
        links=[Link(a="Origin", b="San Ysidro", distance=10)],
        conflicts=[ConflictPeriod(place="Origin", start=0, end=days)],
        ports=[Port(place="San Ysidro", **port)],
        spawn=SpawnRules(mode="conflict", rate=lam, rate_mode="constant"),
        move=MoveRules(max_move_speed=200),
    )


def two_ports(lam, capacities, noise=0.0, days=10, waiting=(0, 0)):
    """lam people a day reach a shelter where the lists of two ports are signed on arrival."""
    return Scenario(
        name="two ports",
        start_date="2018-11-01",
        days=days,
        places=[
            Place(name="Origin", kind="conflict_zone", country="HN", population=100_000),
            Place(name="Shelter", kind="shelter", country="MX", capacity=100_000),
            Place(name="Slow", kind="port_of_entry", country="US"),
            Place(name="Fast", kind="port_of_entry", country="US"),
        ],
        links=[Link(a="Origin", b="Shelter", distance=10)],
        conflicts=[ConflictPeriod(place="Origin", start=0, end=days)],
        ports=[
            Port(place=p, capacity_per_day=c, signup_places=["Shelter"], choice_noise=noise, initial_waitlist=w)
            for p, c, w in zip(("Slow", "Fast"), capacities, waiting, strict=True)
        ],
        spawn=SpawnRules(mode="conflict", rate=lam, rate_mode="constant"),
        move=MoveRules(max_move_speed=200, camp_movechance=0.0),
    )


# --- numbering --------------------------------------------------------------------------------


def test_households_fill_numbers_of_ten_without_being_split():
    # 25 people in households of 3, 3, 4, 3, 3, 4, 3, 2: [3+3+4] [3+3+4] [3+2] is three numbers
    sizes = [3, 3, 4, 3, 3, 4, 3, 2]
    household = np.repeat(np.arange(len(sizes)) * 7, sizes)  # ids need not be small or in order
    order, nums = number_households(household, 10)
    assert len(nums) == 25
    assert order.tolist() == list(range(25))
    assert nums.tolist() == [0] * 10 + [1] * 10 + [2] * 5


def test_a_household_signing_apart_sits_together_where_its_first_member_signed():
    # in sign order: a, b, a, c, b, a (households a: 3, b: 2, c: 1); groups of 4
    household = np.array([5, 9, 5, 2, 9, 5])
    order, nums = number_households(household, 4)
    assert household[order].tolist() == [5, 5, 5, 9, 9, 2]
    assert order.tolist() == [0, 2, 5, 1, 4, 3]
    # a (3) fills the first number; b (2) does not fit beside it, so starts the second; c (1) joins b
    assert nums.tolist() == [0, 0, 0, 1, 1, 1]


def test_a_household_larger_than_a_group_holds_a_number_alone():
    household = np.array([1] * 2 + [2] * 12 + [3] * 3)
    _, nums = number_households(household, 10)
    assert nums.tolist() == [0] * 2 + [1] * 12 + [2] * 3


def test_people_signing_alone_make_numbers_of_the_group_size_each_day():
    # 25 a day in numbers of 10: 10, 10 and 5, a day's last number never filled from the next day's
    res = Simulation(border(25, days=3, capacity_per_day=100, group_size=10)).run(seed=1, check=True)
    assert res.record.signups[:, 0].tolist() == [25, 25, 25]
    assert res.record.numbers[:, 0].tolist() == [3, 3, 3]
    assert res.record.processed[:, 0].tolist() == [25, 25, 25]
    ports = res.port_table()
    assert ports["numbers_called"].tolist() == [3, 3, 3] and ports["lost_turn"].tolist() == [0, 0, 0]


# --- calling ----------------------------------------------------------------------------------


def test_one_number_a_day_calls_exactly_one_group_a_day():
    res = Simulation(border(30, capacity_per_day=10, group_size=10, numbers_per_day=1)).run(seed=1, check=True)
    assert res.record.processed[:, 0].tolist() == [10] * 10
    assert res.record.numbers[:, 0].tolist() == [1] * 10
    assert res.record.waitlist[:, 0].tolist() == [20 * (t + 1) for t in range(10)]
    # the numbers cap binds before the people: 100 people a day still call one group of 10
    res = Simulation(border(30, capacity_per_day=100, group_size=10, numbers_per_day=1)).run(seed=1)
    assert res.record.processed[:, 0].tolist() == [10] * 10


def test_a_group_is_taken_whole_and_what_it_takes_past_the_day_comes_off_the_next():
    # numbers of 4 and 10 people a day: 4 + 4 + 4 = 12, then 8 (= 10 - 2), then 12, 8...
    res = Simulation(border(40, days=6, capacity_per_day=10, group_size=4)).run(seed=1, check=True)
    assert res.record.processed[:, 0].tolist() == [12, 8] * 3
    assert res.record.numbers[:, 0].tolist() == [3, 2] * 3


def test_numbers_events_and_closures_change_the_numbers_called():
    events = [PortEvent(day=4, kind="numbers", value=3), PortEvent(day=6, kind="closed_hours", value=8)]
    sc = border(50, days=8, capacity_per_day=1000, group_size=5, numbers_per_day=1, events=events)
    res = Simulation(sc).run(seed=1, check=True)
    # 3 numbers x 16/24 open = 2 on day 6, the third of a number carried to day 7 (3 + 1/3: 3)
    assert res.record.numbers[:, 0].tolist() == [1] * 4 + [3, 3, 2, 3]
    assert res.record.processed[:, 0].tolist() == [5] * 4 + [15, 15, 10, 15]


def test_when_every_group_is_away_nobody_is_called_and_everyone_signs_again():
    res = Simulation(border(30, days=5, capacity_per_day=100, group_size=10, absent=1.0)).run(seed=1, check=True)
    r = res.record
    assert r.processed[:, 0].tolist() == [0] * 5
    assert r.lost_turn[:, 0].tolist() == [30 * (t + 1) for t in range(5)]
    assert r.numbers[:, 0].tolist() == [3 * (t + 1) for t in range(5)]
    # those who lost their turn sign again at the end of the list the same day (the port signs on arrival)
    assert r.signups[:, 0].tolist() == [30 + 30 * (t + 1) for t in range(5)]
    assert r.waitlist[:, 0].tolist() == [30 * (t + 1) for t in range(5)]


def test_a_group_away_loses_its_turn_with_the_given_chance():
    a = 0.3
    res = Simulation(border(2000, days=20, capacity_per_day=1500, group_size=10, absent=a)).run(seed=4, check=True)
    r = res.record
    called = int(r.numbers[:, 0].sum())
    away = int(r.lost_turn[:, 0].sum()) // 10  # everyone signs alone: every number holds 10
    assert r.lost_turn[:, 0].sum() % 10 == 0
    share, sd = away / called, np.sqrt(a * (1 - a) / called)
    assert abs(share - a) < 4 * sd, (share, called)
    # a group away uses a number but none of the day's people
    assert (r.processed[:, 0] == 1500).all()


def test_lists_without_numbers_have_no_numbers_tables():
    res = Simulation(border(30, days=3, capacity_per_day=10)).run(seed=1)
    assert len(res.record.numbers) == 0 and len(res.record.lost_turn) == 0
    assert "numbers_called" not in res.port_table().columns


def test_numbers_without_a_group_size_are_refused():
    with pytest.raises((ScenarioError, ValueError), match="group_size"):
        Port(place="San Ysidro", capacity_per_day=10, numbers_per_day=2)


# --- choosing among ports ----------------------------------------------------------------------


def test_people_choose_the_faster_port_with_the_logit_chance():
    # equal lists of a million, 10 and 30 a day: 100,000 against 33,333 days; with a noise of the
    # difference the faster is chosen with chance 1 / (1 + e^-1) = 0.731
    n = 20_000
    waiting = np.array([1e6, 1e6])
    pace = np.array([10.0, 30.0])
    noise = np.array([1e6 / 10 - 1e6 / 30])
    new = np.arange(n, dtype=np.int32)
    port_of = np.zeros(n, np.int8)
    port = np.full(n, -1, np.int8)
    loc = np.zeros(n, np.int32)
    choice = np.ones((1, 2), dtype=bool)
    choose_ports(new, port_of, loc, port, choice, noise, waiting, pace, key64(1, "test"), 0)
    share = (port_of == 1).mean()
    p = 1 / (1 + np.exp(-1))
    assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n), share
    assert (port == port_of).all()
    assert waiting.tolist() == [1e6 + (port_of == 0).sum(), 1e6 + (port_of == 1).sum()]


def test_without_noise_people_take_the_shortest_expected_wait_and_the_lists_keep_pace():
    # 40 a day, ports of 10 and 30: each signer takes the list that empties first, so a day's names
    # split 10 : 30, and each port calls its whole day's list
    res = Simulation(two_ports(40, (10, 30))).run(seed=1, check=True)
    r = res.record
    assert r.signups.sum(axis=1).tolist() == [40] * 10
    assert (np.abs(r.signups[:, 0] - 10) <= 1).all() and (np.abs(r.signups[:, 1] - 30) <= 1).all()
    assert r.waitlist.max() <= 1


def test_a_much_longer_list_sends_everyone_to_the_other_port():
    res = Simulation(two_ports(40, (30, 30), waiting=(3000, 0), days=5)).run(seed=1, check=True)
    r = res.record
    assert r.signups[0].tolist() == [3000, 40]  # the list already there signs at its port on day 0
    assert r.signups[1:, 0].tolist() == [0] * 4
    assert r.signups[1:, 1].tolist() == [40] * 4


def test_a_port_taking_nobody_is_chosen_by_nobody():
    res = Simulation(two_ports(40, (0, 30), noise=5.0, days=5)).run(seed=1, check=True)
    assert res.record.signups[:, 0].sum() == 0
    assert res.record.signups[:, 1].sum() == 200


# --- the folder format ---------------------------------------------------------------------------


def native(folder, ports_csv, events_csv=None):
    files = {
        "scenario.yaml": "name: numbers\nstart_date: 2018-11-01\ndays: 4\nspawn:\n  mode: conflict\n  rate: 30\n",
        "places.csv": "name,kind,country,population,conflict_date\nOrigin,conflict_zone,HN,1000,2018-11-01\n"
        "Shelter,shelter,MX,,\nSan Ysidro,port_of_entry,US,,\nOtay Mesa,port_of_entry,US,,\n",
        "links.csv": "a,b,distance\nOrigin,Shelter,10\n",
        "ports.csv": ports_csv,
    }
    if events_csv:
        files["port_events.csv"] = events_csv
    return write_folder(folder, files)


def test_numbers_and_a_shared_sign_up_place_in_the_folder_format(tmp_path):
    import corridor

    folder = native(
        tmp_path / "b",
        "port,capacity_per_day,signup_places,group_size,numbers_per_day,absent,choice_noise\n"
        "San Ysidro,100,Shelter,10,1,,3\nOtay Mesa,100,Shelter,,,,\n",
        "date,port,kind,value\n2018-11-03,San Ysidro,numbers,2\n",
    )
    sim = corridor.load(folder)
    sy, om = sim.scenario.ports
    assert (sy.group_size, sy.numbers_per_day, sy.absent, sy.choice_noise) == (10, 1.0, 0.0, 3.0)
    assert om.group_size is None and om.choice_noise == 0.0
    assert [(e.day, e.kind, e.value) for e in sy.events] == [(2, "numbers", 2.0)]
    res = sim.run(seed=0, check=True)
    assert res.record.signups.sum() == 120  # everyone who reached the shelter signed one of the two lists
    assert (res.record.signups > 0).all()  # and both lists were chosen every day


@pytest.mark.parametrize(
    "ports,words",
    [
        ("port,capacity_per_day,group_size\nSan Ysidro,40,0\n", ["ports.csv:2", "group_size", "0"]),
        ("port,capacity_per_day,group_size\nSan Ysidro,40,2.5\n", ["ports.csv:2", "group_size", "whole"]),
        ("port,capacity_per_day,group_size,absent\nSan Ysidro,40,10,1.5\n", ["ports.csv:2", "absent", "1.5"]),
        ("port,capacity_per_day,absent\nSan Ysidro,40,0.5\n", ["group_size"]),
    ],
)
def test_bad_numbered_lists_are_named(tmp_path, ports, words):
    import corridor

    with pytest.raises(ScenarioError) as exc:
        corridor.load(native(tmp_path / "b", ports))
    for w in words:
        assert w in str(exc.value), (w, str(exc.value))
