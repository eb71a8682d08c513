"""Households: children set out with an adult, and a household travels, decides and queues as one."""

import numpy as np
import pytest

import corridor
from corridor import Simulation
from corridor.errors import ScenarioError
from corridor.scenario.model import Departure, Link, MoveRules, Place, Port, Scenario, SpawnRules
from corridor.sim.components.households import children_among, household_sizes, shared
from corridor.sim.components.spawn import Spawn
from corridor.sim.engine import Engine
from corridor.states import ON_LIST, ON_ROAD


def crossroads(departures, days=12, movechance=0.3, ports=(), **extra):
    """A town A with three equal roads out (to B, C and D, where people stay), and a place Z with no road; D is
    a port of entry where the scenario has ports."""
    places = [Place(name="A", kind="town", country="X", movechance=movechance)]
    places += [Place(name=n, kind="port_of_entry" if n == "D" and ports else "town", country="X", movechance=0.0)
               for n in "BCDZ"]  # fmt: skip
    links = [Link(a="A", b=n, distance=100, speed=50) for n in "BCD"]
    return Scenario(name="households", start_date="2018-10-12", days=days, places=places, links=links,
                    departures=departures, spawn=SpawnRules(mode="departures"), ports=list(ports),
                    move=MoveRules(camp_movechance=0.0), **extra)  # fmt: skip


def households_of(eng):
    a = eng.agents
    h = a.household[: a.n]
    return h, {k: np.flatnonzero(h == k) for k in np.unique(h)}


def test_household_sizes_cover_everyone_with_the_mean_asked():
    rng = np.random.default_rng(0)
    sizes = household_sizes(rng, 100_000, 2.5)
    assert sizes.sum() == 100_000 and sizes.min() >= 1
    assert sizes.mean() == pytest.approx(2.5, rel=0.03)
    assert (household_sizes(rng, 7, 1.0) == 1).all()


def test_children_are_members_after_the_head_with_the_share_asked():
    rng = np.random.default_rng(1)
    sizes = household_sizes(rng, 60_000, 2.0)
    kids = children_among(rng, sizes, 0.3)
    heads = np.cumsum(sizes) - sizes
    assert not np.isin(heads, kids).any(), "a household's first member is always an adult"
    assert len(kids) / 60_000 == pytest.approx(0.3, abs=0.01)
    # more children asked for than there are members besides the heads: all of those, and no head
    kids = children_among(rng, sizes, 0.9)
    assert len(kids) == 60_000 - len(sizes) and not np.isin(heads, kids).any()


def test_no_child_is_in_a_household_without_an_adult():
    sc = crossroads([Departure(place="A", start=0, end=3, count=3000, household_size=2.2, children=0.4),
                     Departure(place="Z", start=1, count=500, household_size=1.5, children=0.5)])  # fmt: skip
    eng = Engine(sc, seed=4)
    for day in range(4):
        eng.step(day)
    children = eng.world.get(Spawn).children
    h, members = households_of(eng)
    assert len(children) > 1000
    child = np.zeros(len(h), bool)
    child[children] = True
    assert all((~child[m]).any() for m in members.values())
    # a household never spans two places or two departures
    assert all(len(np.unique(eng.agents.loc[m])) == 1 for m in members.values() if eng.agents.state[m[0]] != ON_ROAD)
    assert (h >= 0).all() and (h[h] == h).all(), "everyone has a household, and its head heads their own"


def test_a_household_moves_on_the_same_day_along_the_same_road():
    sc = crossroads([Departure(place="A", start=0, count=600, household_size=3.0)])
    eng = Engine(sc, seed=2)
    left_on = np.full(600, -1)
    road = np.full(600, -1)
    for day in range(sc.days):
        eng.step(day)
        a = eng.agents
        going = (a.state[:600] == ON_ROAD) & (left_on < 0)
        left_on[going] = day
        road[going] = a.loc[:600][going]
    h, members = households_of(eng)
    big = [m for m in members.values() if len(m) > 1]
    assert len(big) > 50 and len(members) < 400
    for m in members.values():
        assert len(set(left_on[m])) == 1 and len(set(road[m])) == 1
    # and households choose apart: they leave on different days, by every road
    assert len(set(left_on[h])) > 3 and len(set(road[road >= 0])) == 3


def test_people_alone_draw_as_before_when_others_set_out_in_households():
    # rows 0-399 set out alone from A in both runs; in the second, households set out later from Z (rows after
    # theirs, no road): A's people must do exactly what they did without any household in the run
    alone = Departure(place="A", start=0, count=400)
    before = Simulation(crossroads([alone])).run(seed=7)
    after = Simulation(crossroads([alone, Departure(place="Z", start=2, count=300, household_size=4.0)])).run(seed=7)
    assert after.record.population[:, 1:4].sum() > 100
    assert np.array_equal(before.record.population[:, :4], after.record.population[:, :4])
    assert np.array_equal(before.record.link_entries, after.record.link_entries)


def test_a_household_signs_a_list_on_the_same_day():
    # households walk from A to B, C or D and stay; at B and D they sign D's list with chance 0.2 a day
    port = Port(place="D", capacity_per_day=0.0, signup_places=["B"], sign_rate=0.2)
    sc = crossroads([Departure(place="A", start=0, count=500, household_size=3.0)], movechance=1.0, ports=[port])
    eng = Engine(sc, seed=5)
    for day in range(sc.days):
        eng.step(day)
    a = eng.agents
    _, members = households_of(eng)
    on = a.state[:500] == ON_LIST
    assert 0 < on.sum() < 500
    for m in members.values():
        assert len(set(on[m])) == 1
        if on[m[0]]:
            assert len(set(a.joined[m])) == 1


def test_shared_draws_take_the_first_members_draw():
    household = np.array([0, 0, 2, 3, 3, 3], np.int32)
    u = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    ids = np.array([4, 1, 3, 0, 2], np.int32)  # in the order of a list: 4 and 3 share 3's household
    assert shared(u[:5], ids, household).tolist() == [0.1, 0.2, 0.1, 0.2, 0.5]
    assert shared(u[:5], ids, np.full(1, -1, np.int32)).tolist() == u[:5].tolist(), "no households: as drawn"


def test_household_size_in_the_folder_format_and_its_errors(tmp_path):
    (tmp_path / "scenario.yaml").write_text("name: h\nstart_date: 2018-10-10\ndays: 4\nspawn:\n  mode: departures\n")
    (tmp_path / "places.csv").write_text("name,kind,movechance\nA,town,1\nB,shelter,\n")
    (tmp_path / "links.csv").write_text("a,b,distance\nA,B,1000\n")
    (tmp_path / "departures.csv").write_text("place,start,count,children,household_size\nA,2018-10-10,90,0.2,2.5\n")
    sim = corridor.load(tmp_path)
    assert sim.scenario.departures[0].household_size == 2.5 and sim.scenario.has_households()
    assert sim.run(seed=0).agents == 90
    (tmp_path / "departures.csv").write_text("place,start,count,household_size\nA,2018-10-10,90,0.5\n")
    with pytest.raises(ScenarioError, match="household_size"):
        corridor.load(tmp_path)


def test_the_places_table_counts_people_in_families_and_alone():
    sc = crossroads([Departure(place="A", start=0, count=2000, household_size=2.0, children=0.3),
                     Departure(place="Z", start=0, count=150)], days=2, movechance=0.0)  # fmt: skip
    eng = Engine(sc, seed=9)
    eng.step(0)
    h, members = households_of(eng)
    child = np.isin(np.arange(len(h)), eng.world.get(Spawn).children)
    in_families = sum(len(m) for m in members.values() if child[m].any())
    alone = sum(len(m) == 1 for m in members.values())
    assert eng.record.in_families[0].tolist() == [in_families, 0, 0, 0, 0]
    assert eng.record.alone[0].tolist() == [alone - 150, 0, 0, 0, 150], "Z's 150 set out alone"
    table = Simulation(sc).run(seed=9).table()
    assert {"in_families", "alone"} <= set(table.columns)
    assert "in_families" not in Simulation(crossroads([Departure(place="A", start=0, count=5)])).run(seed=0).table()


def test_present_by_household_type_counts_families_and_people_alone():
    # A: households of mean 2 with children; Z: 150 on their own. At Z everyone is alone and nobody is in a
    # family; at A the two filters count the record's tables, and together they are no more than everyone there
    from corridor.evaluate.metrics import MetricError, daily, resolve

    sc = crossroads([Departure(place="A", start=0, count=2000, household_size=2.0, children=0.3),
                     Departure(place="Z", start=0, count=150)], days=3, movechance=0.0)  # fmt: skip
    res = Simulation(sc).run(seed=9)
    at = {
        k: daily(res, "present", "Z", resolve(sc, f"present[household={k}]", "Z").metric.filters)
        for k in ("alone", "families")
    }
    assert at["alone"].tolist() == [150.0] * 3 and at["families"].tolist() == [0.0] * 3
    families = daily(res, "present", "A", (("household", "families"),))
    alone = daily(res, "present", "A", (("household", "alone"),))
    assert families.tolist() == res.record.in_families[:, 0].tolist() and 0 < families[0] < 2000
    assert alone.tolist() == res.record.alone[:, 0].tolist() and 0 < alone[0]
    assert (families + alone <= daily(res, "present", "A")).all()
    with pytest.raises(MetricError, match="unknown household type 'couples'"):
        resolve(sc, "present[household=couples]", "A")
    plain = crossroads([Departure(place="A", start=0, count=5)])
    with pytest.raises(MetricError, match="nobody sets out in households"):
        resolve(plain, "present[household=alone]", "A")
