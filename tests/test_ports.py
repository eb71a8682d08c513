"""A port of entry's waiting list against its closed form: backlog[t+1] = backlog[t] + arrivals - processed."""

import numpy as np
import pytest

from corridor import Simulation
from corridor.errors import ScenarioError
from corridor.scenario.model import ConflictPeriod, Link, MoveRules, Place, Port, PortEvent, Scenario, SpawnRules

from conftest import write_folder


def border(lam, capacity, days=30, events=(), signup_places=()):
    """lam people a day set out from Origin and reach the port (or its shelter) the same day."""
    places = [
        Place(name="Origin", kind="conflict_zone", country="HN", population=10_000),
        Place(name="Shelter", kind="shelter", country="MX", capacity=5_000),
        Place(name="San Ysidro", kind="port_of_entry", country="MX"),
    ]
    links = [Link(a="Origin", b="San Ysidro", distance=10), Link(a="Origin", b="Shelter", distance=10)]
    if not signup_places:
        links = links[:1]
        places = [places[0], places[2]]
    return Scenario(
        name="port",
        start_date="2018-11-01",
        days=days,
        places=places,
        links=links,
        conflicts=[ConflictPeriod(place="Origin", start=0, end=days)],
        ports=[
            Port(place="San Ysidro", capacity_per_day=capacity, events=list(events), signup_places=list(signup_places))
        ],
        spawn=SpawnRules(mode="conflict", rate=lam, rate_mode="constant"),
        move=MoveRules(max_move_speed=200, camp_movechance=0.0),
    )


def test_list_grows_by_arrivals_minus_capacity_when_capacity_is_short():
    lam, c = 100, 40
    res = Simulation(border(lam, c)).run(seed=1, check=True)
    q = res.record.waitlist[:, 0]
    assert res.record.signups[:, 0].tolist() == [lam] * 30
    assert res.record.processed[:, 0].tolist() == [c] * 30
    assert q.tolist() == [(t + 1) * (lam - c) for t in range(30)]


def test_list_stays_bounded_when_capacity_exceeds_arrivals():
    res = Simulation(border(30, 45)).run(seed=1, check=True)
    assert res.record.waitlist[:, 0].max() == 0
    assert res.record.processed[:, 0].sum() == 30 * 30


def test_list_is_served_in_sign_up_order():
    res = Simulation(border(100, 40, days=10)).run(seed=3)
    day, port, waited = res.record.wait_table()
    # list number k signs on day k // 100 and is called on day k // 40
    k = np.arange(400)
    assert day.tolist() == (k // 40).tolist()
    assert waited.tolist() == (k // 40 - k // 100).tolist()
    assert (port == 0).all()


def test_a_closure_of_h_hours_takes_h_over_24_of_the_days_capacity():
    events = [PortEvent(day=5, kind="closed_hours", value=6)]
    res = Simulation(border(100, 48, days=8, events=events)).run(seed=2)
    assert res.record.processed[:, 0].tolist() == [48] * 5 + [36] + [48] * 2


def test_fractional_capacity_carries_to_the_next_day():
    events = [PortEvent(day=0, kind="closed_hours", value=12)]  # 25 x 12/24 = 12.5 on day 0
    res = Simulation(border(100, 25, days=3, events=events)).run(seed=2)
    assert res.record.processed[:, 0].tolist() == [12, 25, 25]
    res = Simulation(border(100, 10.5, days=4)).run(seed=2)
    assert res.record.processed[:, 0].tolist() == [10, 11, 10, 11]


def test_a_policy_switch_changes_capacity_from_its_date():
    events = [PortEvent(day=10, kind="capacity", value=20)]
    res = Simulation(border(100, 100, days=15, events=events)).run(seed=2)
    assert res.record.processed[:, 0].tolist() == [100] * 10 + [20] * 5


def test_people_wait_on_the_list_where_they_signed():
    res = Simulation(border(100, 40, days=5, signup_places=["Shelter"])).run(seed=4, check=True)
    shelter, port = res.places.index("Shelter"), res.places.index("San Ysidro")
    assert res.record.signups[:, 0].sum() == 500
    # everyone still on the list is physically in the shelter or at the port
    on_list = res.record.waitlist[-1, 0]
    assert res.record.population[-1, shelter] + res.record.population[-1, port] == on_list
    assert res.record.processed[:, 0].sum() == 5 * 40


def test_a_port_must_be_a_port_of_entry():
    sc = border(10, 5)
    with pytest.raises(ScenarioError, match="port_of_entry"):
        Scenario(**{**sc.model_dump(), "ports": [Port(place="Origin", capacity_per_day=5)]})


def write_native(folder, ports_csv, events_csv=None):
    files = {
        "scenario.yaml": "name: border\nstart_date: 2018-11-01\ndays: 10\nspawn:\n  mode: conflict\n  rate: 100\n",
        "places.csv": "name,kind,country,population,conflict_date\nOrigin,conflict_zone,HN,1000,2018-11-01\n"
        "Shelter,shelter,MX,,\nSan Ysidro,port_of_entry,MX,,\n",
        "links.csv": "a,b,distance\nOrigin,Shelter,10\nShelter,San Ysidro,20\n",
        "ports.csv": ports_csv,
    }
    if events_csv:
        files["port_events.csv"] = events_csv
    return write_folder(folder, files)


def test_ports_in_the_corridor_folder_format(tmp_path):
    import corridor

    folder = write_native(
        tmp_path / "b",
        "port,capacity_per_day,signup_places\nSan Ysidro,40,Shelter\n",
        "date,port,kind,value\n2018-11-05,San Ysidro,closed_hours,6\n2018-11-08,San Ysidro,capacity,20\n",
    )
    res = corridor.load(folder).run(seed=0)
    assert res.record.processed[:, 0].tolist() == [40] * 4 + [30] + [40] * 2 + [20] * 3
    assert res.record.signups[:, 0].sum() == 1000


@pytest.mark.parametrize(
    "ports,events,words",
    [
        ("port,capacity_per_day\nSan Ysidro,-4\n", None, ["ports.csv:2", "capacity_per_day", "-4"]),
        ("port,capacity_per_day\nShelter,40\n", None, ["ports.csv:2", "port_of_entry", "Shelter"]),
        ("port,capacity_per_day,signup_places\nSan Ysidro,40,Shelterr\n", None, ["ports.csv:2", "Shelterr"]),
        (
            "port,capacity_per_day\nSan Ysidro,40\n",
            "date,port,kind,value\n2018-11-05,San Ysidro,closed_hours,30\n",
            ["port_events.csv:2", "value", "30"],
        ),
        (
            "port,capacity_per_day\nSan Ysidro,40\n",
            "date,port,kind,value\n2018-11-5,San Ysidro,capacity,30\n",
            ["port_events.csv:2", "date", "2018-11-5"],
        ),
    ],
)
def test_bad_port_tables_are_named(tmp_path, ports, events, words):
    import corridor

    folder = write_native(tmp_path / "b", ports, events)
    with pytest.raises(ScenarioError) as exc:
        corridor.load(folder)
    for w in words:
        assert w in str(exc.value), (w, str(exc.value))


def test_people_already_on_the_list_are_served_first():
    sc = border(100, 40, days=5)
    sc.ports[0].initial_waitlist = 120
    res = Simulation(sc).run(seed=1, check=True)
    assert res.record.signups[0, 0] == 220
    assert res.record.waitlist[:, 0].tolist() == [120 + (t + 1) * 60 for t in range(5)]
    day, _, waited = res.record.wait_table()
    assert (waited[day < 3] == day[day < 3]).all(), "the first 120 numbers are the people there on day 0"


def test_run_folder_keeps_every_wait(tmp_path):
    import pandas as pd

    res = Simulation(border(100, 40, days=6)).run(seed=1)
    out = res.save(tmp_path / "run")
    waits = pd.read_parquet(out / "waits.parquet")
    ports = pd.read_parquet(out / "ports.parquet")
    assert len(waits) == ports["processed"].sum() == 240
    assert waits.groupby("day")["days_waited"].median().tolist() == ports["wait_median_days"].tolist()


def test_a_fixed_capacity_replaces_the_dated_changes_but_not_closures():
    events = [PortEvent(day=2, kind="capacity", value=20), PortEvent(day=3, kind="closed_hours", value=12)]
    sc = border(100, 40, days=5, events=events)
    sc.ports[0].fixed_capacity = 60
    res = Simulation(sc).run(seed=0)
    assert res.record.processed[:, 0].tolist() == [60, 60, 60, 30, 60]


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 63, 1000, 100003])
def test_signups_are_found_in_agent_order_whatever_the_word_boundaries(n):
    from corridor.sim.components.ports import collect_signups
    from corridor.states import AT_PLACE, ON_LIST, SIGNING

    rng = np.random.default_rng(n)
    st = rng.choice([AT_PLACE, SIGNING, ON_LIST], n, p=[0.5, 0.1, 0.4]).astype(np.int8)
    tail = np.full(13, SIGNING, np.int8)  # rows past n are not in use and must be left out
    found = collect_signups(np.concatenate([st, tail]), n)
    assert found.tolist() == np.flatnonzero(st == SIGNING).tolist()
