"""Everyone spawned is in exactly one place or on exactly one road, every day, whatever the network."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor import Simulation
from corridor.scenario.model import Closure, Link, MoveRules, Place, Scenario, SeriesPoint, SpawnRules

KINDS = ["conflict_zone", "town", "camp", "forwarding_hub", "marker"]


@st.composite
def scenarios(draw):
    n = draw(st.integers(3, 8))
    kinds = ["conflict_zone"] + [draw(st.sampled_from(KINDS)) for _ in range(n - 2)] + ["camp"]
    places = [
        Place(
            name=f"P{i}",
            kind=k,
            country=draw(st.sampled_from(["A", "B"])),
            population=draw(st.integers(1, 10_000)),
            capacity=draw(st.one_of(st.none(), st.integers(1, 300))) if k == "camp" else None,
            conflict_date=draw(st.integers(0, 5)) if k == "conflict_zone" else None,
        )
        for i, k in enumerate(kinds)
    ]
    pairs = {(i, i + 1) for i in range(n - 1)}  # connected
    for _ in range(draw(st.integers(0, n))):
        a, b = sorted(draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True)))
        pairs.add((a, b))
    links = [Link(a=f"P{a}", b=f"P{b}", distance=draw(st.floats(0, 600))) for a, b in sorted(pairs)]
    days = draw(st.integers(1, 25))
    closures = []
    for _ in range(draw(st.integers(0, 3))):
        a, b = sorted(pairs)[draw(st.integers(0, len(pairs) - 1))]
        countries = {p.country for p in places}
        kind = draw(st.sampled_from(["link", "location", "country"] if len(countries) == 2 else ["link", "location"]))
        c = dict(link=(f"P{a}", f"P{b}"), location=(f"P{a}", ""), country=("A", "B"))[kind]
        closures.append(
            Closure(kind=kind, a=c[0], b=c[1], start=draw(st.integers(0, days)), end=draw(st.integers(-1, days + 2)))
        )
    camp = places[-1].name
    total, series = 0, []
    for d in range(days):
        total += draw(st.integers(0, 400))
        series.append(SeriesPoint(day=d, value=max(0, total - draw(st.integers(0, 50)))))
    move = MoveRules(
        max_move_speed=draw(st.floats(20, 400)),
        awareness_level=draw(st.integers(0, 3)),
        start_on_foot=draw(st.booleans()),
        default_movechance=draw(st.floats(0, 1)),
    )
    return Scenario(
        name="random",
        start_date="2020-01-01",
        days=days,
        places=places,
        links=links,
        closures=closures,
        observed={camp: series},
        spawn=SpawnRules(insert_day0=draw(st.booleans())),
        move=move,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_agents_are_conserved_every_day(sc, seed):
    res = Simulation(sc).run(seed=seed, check=True)  # check: stocks rebuilt from agents == stocks from flows
    rec = res.record
    alive = np.cumsum(rec.spawned.sum(axis=1))
    assert np.array_equal(rec.population.sum(axis=1) + rec.in_transit.sum(axis=1), alive)
    assert (rec.population >= 0).all() and (rec.in_transit >= 0).all()
    assert res.agents == alive[-1]
    # every departure from a place is a start along one of its roads, and arrivals come off roads
    idx = sc.place_index()
    out = np.zeros_like(rec.departures)
    for k, ln in enumerate(sc.links):  # directed link 2k runs a -> b, 2k+1 runs b -> a
        out[:, idx[ln.a]] += rec.link_entries[:, 2 * k]
        out[:, idx[ln.b]] += rec.link_entries[:, 2 * k + 1]
    assert np.array_equal(out, rec.departures)


def test_road_table_adds_up_to_departures(tmp_path):
    import corridor

    from conftest import flee_path

    res = corridor.load(flee_path("mali2012")).run(seed=3, days=120)
    links = res.link_table()
    assert (links["set_out"] > 0).all()
    by_place = links.groupby(["day", "from"], observed=True)["set_out"].sum()
    dep = res.table().set_index(["day", "place"])["departures"]
    dep = dep[dep > 0]
    assert by_place.sort_index().to_dict() == {k: v for k, v in dep.sort_index().items()}
    # a road's two directions are told apart: nobody sets out from a place towards itself
    assert (links["from"].astype(str) != links["to"].astype(str)).all()
