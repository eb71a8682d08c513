"""Crossing between ports as a choice (it grows with the expected wait and with what others did; some
surrender to claim asylum, the rest try to get through) and enforcement that falls with the size of the
group travelling, each against an answer known in advance (docs/model.md)."""

import numpy as np
import pytest
from test_fates import sigma, town
from test_ports import border

from corridor import Simulation
from corridor.errors import ScenarioError
from corridor.scenario.model import (
    Asylum,
    Caravan,
    CaravanStop,
    Departure,
    Hazard,
    Link,
    March,
    MoveRules,
    Place,
    Scenario,
    SpawnRules,
)
from corridor.scenario.native import read_hazards


def test_a_share_surrender_go_to_custody_and_every_one_of_them_claims():
    n, r, s, caught = 40_000, 0.02, 0.4, 0.5
    hz = [Hazard(outcome="crossed", where="Shelter", rate=r, surrender=s, apprehended=caught)]
    # nobody caught claims: whoever waits for a decision in the US surrendered
    sc = town(n, 15, hz, asylum=Asylum(custody_days=2, apprehended_claim=0.0, decision_days=1e9))
    res = Simulation(sc).run(seed=11, check=True)
    t = res.table()
    given, got, through = (int(t[c].sum()) for c in ("crossed_surrendered", "crossed_caught", "crossed_undetected"))
    crossed = given + got + through
    assert abs(crossed - n * (1 - (1 - r) ** 15)) < 4 * sigma(n, (1 - r) ** 15)
    assert abs(given - s * crossed) < 4 * sigma(crossed, s)
    assert abs(got - caught * (crossed - given)) < 4 * sigma(crossed - given, caught)
    end = res.state_table().iloc[-1]
    assert end["in_custody_surrendered"] + end["waiting_in_us"] == given  # all of them claim
    assert end["in_custody_apprehended"] + end["removed"] == got  # none of those caught does
    assert end["crossed_undetected"] == through
    assert end["in_custody_surrendered"] > 0 and end["waiting_in_us"] > 0


def test_zero_power_and_no_surrender_change_nothing():
    plain = [Hazard(outcome="crossed", where="Shelter", rate=0.03, apprehended=0.7, per_crowding=0.5)]
    zeros = [plain[0].model_copy(update={"group_size_power": 0.0, "group_ref": 500.0, "surrender": 0.0,
                                         "per_expected_wait": 0.0, "per_others_crossed": 0.0})]  # fmt: skip
    a = Simulation(town(20_000, 12, plain, capacity=8_000)).run(seed=12)
    b = Simulation(town(20_000, 12, zeros, capacity=8_000)).run(seed=12)
    assert a.table().equals(b.table()) and a.state_table().equals(b.state_table())
    assert "crossed_surrendered" not in a.table() and "in_custody_surrendered" not in a.state_table()


def camp(days, power, rate=0.5, n_caravan=10_000, n_alone=2_000):
    """A caravan of n_caravan walks from A into the town B on day 0 and holds there; n_alone people on
    their own are in B from day 0. Nobody moves on alone."""
    places = [Place(name="A", kind="town", country="MX"), Place(name="B", kind="town", country="MX")]
    stops = [CaravanStop(place="A", pace=50.0), CaravanStop(place="B", hold_until=days + 1),
             CaravanStop(place="C")]  # fmt: skip
    places.append(Place(name="C", kind="town", country="MX"))
    return Scenario(
        name="camp",
        start_date="2018-10-20",
        days=days,
        places=places,
        links=[Link(a="A", b="B", distance=40), Link(a="B", b="C", distance=40)],
        caravans=[Caravan(name="main", stops=stops)],
        departures=[
            Departure(place="A", start=0, count=n_caravan, caravan="main"),
            Departure(place="B", start=0, count=n_alone),
        ],
        hazards=[Hazard(outcome="deported", where="B", rate=rate, group_size_power=power)],
        spawn=SpawnRules(mode="departures"),
        move=MoveRules(default_movechance=0.0),
    )


def test_the_risk_falls_with_the_size_of_the_group_travelling():
    r, beta, days = 0.5, 0.5, 6
    res = Simulation(camp(days, beta, r)).run(seed=13, check=True)
    size = res.record.caravan_size[:, 0]
    # each day a member's chance is r x (members there / 1) ^ -beta: the caravan loses r x N^(1 - beta)
    expect = sum(r * n ** (1 - beta) for n in [10_000, *size[:-1]])
    lost = 10_000 - int(size[-1])
    assert abs(lost - expect) < 4 * np.sqrt(expect)
    assert 250 < lost < 350  # 0.5 x 100 a day, not half of them
    # someone on their own travels in a group of one: the rate itself, half of them each day
    alone = res.table().query("place == 'B'")["deported"].to_numpy() - np.diff(size, prepend=10_000) * -1
    assert abs(alone[0] - 1_000) < 4 * sigma(2_000, 0.5)
    # with no power the caravan is as exposed as anyone: half of it on the first day
    flat = Simulation(camp(1, 0.0, r)).run(seed=13, check=True)
    assert abs(10_000 - flat.record.caravan_size[0, 0] - 5_000) < 4 * sigma(10_000, 0.5)


def test_a_row_for_a_caravans_members_spares_those_on_their_own_and_the_other_way_round():
    sc = camp(1, 0.5, 0.5)
    sc.hazards = [sc.hazards[0].model_copy(update={"travelling": "caravan"})]
    res = Simulation(Scenario(**sc.model_dump())).run(seed=16, check=True)
    lost = 10_000 - int(res.record.caravan_size[0, 0])
    assert res.table().query("place == 'B'")["deported"].sum() == lost  # nobody on their own
    assert abs(lost - 50) < 4 * np.sqrt(50)  # 0.5 x 10,000^-0.5 of 10,000
    sc.hazards = [sc.hazards[0].model_copy(update={"travelling": "alone"})]
    res = Simulation(Scenario(**sc.model_dump())).run(seed=16, check=True)
    assert res.record.caravan_size[0, 0] == 10_000
    assert abs(res.table().query("place == 'B'")["deported"].sum() - 1_000) < 4 * sigma(2_000, 0.5)


def test_a_longer_expected_wait_makes_crossing_likelier():
    n, c, r, k = 2_000, 10, 0.01, 1.0
    sc = border(0, c, days=3)
    sc.spawn = SpawnRules(mode="departures")
    sc.departures = [Departure(place="Origin", start=0, count=n)]
    sc.conflicts = []
    sc.move = MoveRules(max_move_speed=200, default_movechance=1.0)
    hz = Hazard(outcome="crossed", where="San Ysidro", rate=r, start=1, end=2, per_expected_wait=k)
    sc.hazards = [hz]
    res = Simulation(Scenario(**sc.model_dump())).run(seed=14, check=True)
    assert res.record.signups[0, 0] == n
    # on day 1, after the port took its 10 a day twice, the names left wait j / 10 days for j ahead
    m = n - 2 * c
    chance = r * (1 + k * np.arange(m) / (7 * c))
    got = res.table().query("place == 'San Ysidro' and day == 1")["crossed_undetected"].iloc[0]
    assert abs(got - chance.sum()) < 4 * np.sqrt((chance * (1 - chance)).sum())
    assert got > 3 * r * m  # the back of the list weighs: about 15 times the rate without it


def test_crossings_spread_when_others_crossed_the_day_before():
    n, r, k = 20_000, 0.002, 0.01
    hz = [Hazard(outcome="crossed", where="Shelter", rate=r, apprehended=1.0, per_others_crossed=k)]
    m = March(day=2, where="Tijuana", share=0.1, cross=1.0, apprehended=1.0)
    res = Simulation(town(n, 4, hz, marches=[m])).run(seed=15, check=True)
    t = res.table().query("place == 'Shelter'").set_index("day")
    # day 3: the chance is r x (1 + k x crossers yesterday per 1,000 present), about 2.1 r after the march
    present, before = t.loc[2, "population"], t.loc[2, "crossed_caught"]
    p3 = r * (1 + k * 1000 * before / present)
    assert abs(t.loc[3, "crossed_caught"] - present * p3) < 4 * sigma(present, p3)
    assert p3 > 2 * r
    # day 1 followed day 0's few crossings only
    p1 = r * (1 + k * 1000 * t.loc[0, "crossed_caught"] / t.loc[0, "population"])
    assert abs(t.loc[1, "crossed_caught"] - t.loc[0, "population"] * p1) < 4 * sigma(n, p1)


def test_hazards_csv_reads_the_new_columns_and_refuses_a_surrender_share_off_a_crossing(tmp_path):
    import datetime as dt

    head = "outcome,where,rate,surrender,per_expected_wait,per_others_crossed,group_size_power,group_ref,travelling\n"
    (tmp_path / "hazards.csv").write_text(head + "crossed,Tijuana,0.002,0.6,0.2,0.05,,,\n"
                                          "deported,Chiapas,0.3,,,,0.5,1,caravan\n")  # fmt: skip
    cross, dep = read_hazards(tmp_path / "hazards.csv", dt.date(2018, 10, 1))
    assert (cross.surrender, cross.per_expected_wait, cross.per_others_crossed) == (0.6, 0.2, 0.05)
    assert (cross.group_size_power, cross.group_ref, cross.travelling) == (0.0, 1.0, "")
    assert (dep.group_size_power, dep.surrender, dep.travelling) == (0.5, 0.0, "caravan")
    (tmp_path / "hazards.csv").write_text(head + "deported,Chiapas,0.3,0.5,,,,,\n")
    with pytest.raises(ScenarioError, match="surrender"):
        read_hazards(tmp_path / "hazards.csv", dt.date(2018, 10, 1))
    (tmp_path / "hazards.csv").write_text(head + "deported,Chiapas,0.3,,,,,,by bus\n")
    with pytest.raises(ScenarioError, match="travelling"):
        read_hazards(tmp_path / "hazards.csv", dt.date(2018, 10, 1))
