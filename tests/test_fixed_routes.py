"""Flee's fixed_routes (move_rules.fixed_routes, input_csv/major_routes.csv): each place's table of one route per
destination, the major routes people know, and Flee's bookkeeping of both, on small networks whose answer is known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_flee_compat import flee_folder

import corridor
from corridor.errors import ScenarioError
from corridor.scenario.load import load_scenario
from corridor.scenario.model import Link, MajorRoute, MoveRules, Place, Scenario, SeriesPoint, SpawnRules
from corridor.sim.network import RouteBook, compile_network

# Origin - X - Y - Camp in a line, and a longer road from Origin straight to Y. X and Y are in another country
# and weigh nothing (foreign_weight 0): the ordinary choice from Origin is between them, evenly.
LOCATIONS = """\
#name,region,country,latitude,longitude,location_type,conflict_date,population
Origin,R,A,0,0,conflict_zone,0,10000
X,R,B,0,1,town,,100
Y,R,B,0,2,town,,100
Camp,R,A,0,3,camp,,100000
"""
ROUTES = "#name1,name2,distance\nOrigin,X,10\nX,Y,10\nY,Camp,10\nOrigin,Y,30\n"
SETTINGS = """\
spawn_rules:
  conflict_driven_spawning:
    spawn_mode: constant
    displaced_per_conflict_day: 100
move_rules:
  foreign_weight: 0.0
  max_move_speed: 1000
  camp_movechance: 0.0
  default_movechance: 1.0
"""


def folder(tmp_path: Path, fixed: bool = True, routes: str = ROUTES, major: str | None = "Origin,X,Y,Camp\n") -> Path:
    files = {"input_csv/locations.csv": LOCATIONS, "input_csv/routes.csv": routes,
             "simsetting.yml": SETTINGS + ("  fixed_routes: True\n" if fixed else "")}  # fmt: skip
    if major is not None:
        files["input_csv/major_routes.csv"] = major
    return flee_folder(tmp_path, **files)


def by_place(res, column: str) -> dict[str, np.ndarray]:
    t = res.table()
    return {p: t.loc[t.place == p, column].to_numpy() for p in ("Origin", "X", "Y", "Camp")}


def test_a_major_route_takes_everyone_to_the_camp_from_its_second_place_as_flee_keeps_it(tmp_path: Path) -> None:
    # Origin sees only X and Y (awareness 1), which weigh nothing; the major route Origin,X,Y,Camp makes the camp a
    # destination. Flee's table keeps it as Y, Camp (the route's first place dropped), so people take the long road
    # straight to Y, never X, and reach the camp the day they set out: 100 a day.
    res = corridor.load(folder(tmp_path)).run(seed=0, days=4)
    arrivals, population = by_place(res, "arrivals"), by_place(res, "population")
    assert list(arrivals["X"]) == [0, 0, 0, 0]
    assert list(arrivals["Y"]) == [100, 100, 100, 100]
    assert list(population["Camp"]) == [100, 200, 300, 400]
    # without fixed_routes people choose X or Y evenly, so some pass through X
    plain = corridor.load(folder(tmp_path / "plain", fixed=False)).run(seed=0, days=4)
    assert by_place(plain, "arrivals")["X"].sum() > 100


def test_a_major_route_with_no_road_from_here_to_its_second_place_costs_the_day(tmp_path: Path) -> None:
    # Without the road Origin-Y, the route Flee keeps (Y, Camp) cannot be followed from Origin: whoever draws it
    # gives the plan up and stays, and here everyone draws it (X weighs nothing), every day
    res = corridor.load(folder(tmp_path, routes="#name1,name2,distance\nOrigin,X,10\nX,Y,10\nY,Camp,10\n")).run(
        seed=0, days=4
    )
    population = by_place(res, "population")
    assert list(population["Origin"]) == [100, 200, 300, 400]
    assert population["Camp"].sum() == population["X"].sum() == 0


def scenario(places: list[Place], links: list[Link], days: int = 1, majors=(), **move) -> Scenario:
    return Scenario(
        name="fixed",
        start_date="2020-01-01",
        days=days,
        places=places,
        links=links,
        major_routes=list(majors),
        observed={places[-1].name: [SeriesPoint(day=d, value=0) for d in range(days)]},
        spawn=SpawnRules(insert_day0=False),
        move=MoveRules(fixed_routes=True, **move),
    )


def table(sc: Scenario, place: str) -> list[tuple[str, float, float, int]]:
    """A place's fixed_routes table: (destination, km, distance factor, roads to follow) per route."""
    net = compile_network(sc)
    r = net.routes(np.ones(net.n_links, bool), RouteBook())
    p = net.names.index(place)
    ids = r.cand_route[r.cand_start[p] : r.cand_start[p + 1]]
    return [(net.names[r.dest[i]], float(r.dist[i]), float(r.scale[i]), int(r.length[i])) for i in ids]


def test_a_marker_counts_as_a_road_in_the_table_as_in_flees_crawl() -> None:
    places = [Place(name="O", kind="town", country="A"), Place(name="M", kind="marker", country="A"),
              Place(name="C", kind="camp", country="A")]  # fmt: skip
    links = [Link(a="O", b="M", distance=5), Link(a="M", b="C", distance=5)]
    assert table(scenario(places, links, awareness_level=1), "O") == []  # the camp is two roads away
    assert table(scenario(places, links, awareness_level=2), "O") == [("C", 10.0, 1.0, 2)]


def test_the_table_keeps_the_shortest_route_to_each_destination() -> None:
    places = [Place(name=n, kind="town", country="A") for n in "OABD"]
    links = [Link(a="O", b="A", distance=10), Link(a="A", b="D", distance=50),
             Link(a="O", b="B", distance=20), Link(a="B", b="D", distance=10)]  # fmt: skip
    got = table(scenario(places, links, awareness_level=2), "O")
    assert sorted(got) == [("A", 10.0, 1.0, 1), ("B", 20.0, 1.0, 1), ("D", 30.0, 1.0, 2)]


def test_the_last_major_route_that_beats_the_road_before_its_end_is_kept_not_the_best() -> None:
    # Three major routes from O to E (awareness 1: E is not in O's own table). Flee admits one when its distance
    # (softening 10 included) / 4 is below the route of the place before E to E, and each admitted one replaces
    # the last: O,A,E (30 / 4 < 20), then O,B,E (70 / 4 < 40) replaces it although longer; O,C,E (120 / 4 >= 20)
    # is not admitted. Flee's table keeps [E] for the kept one, and O has no road to E: a route of no roads.
    places = [Place(name=n, kind="town", country="A") for n in "OABCE"]
    roads = [("O", "A", 10), ("A", "E", 10), ("O", "B", 30), ("B", "E", 30), ("O", "C", 100), ("C", "E", 10)]
    links = [Link(a=a, b=b, distance=d) for a, b, d in roads]
    majors = [MajorRoute(places=list(s)) for s in ("OAE", "OBE", "OCE")]
    got = table(scenario(places, links, majors=majors), "O")
    assert [g for g in got if g[0] == "E"] == [("E", 60.0, 0.25, 0)]
    assert sorted(g[0] for g in got) == ["A", "B", "C", "E"]


def test_fixed_routes_weigh_the_destination_score_twice() -> None:
    # From O, a camp (camp_weight 2) and a town, 10 km each: Flee's table weighs the camp 2 and its choice multiplies
    # by the score again, 4 to 1; without fixed routes it is 2 to 1. 20,000 people set out on day 0.
    places = [Place(name="O", kind="conflict_zone", country="A", population=10**6, conflict_date=0),
              Place(name="T", kind="town", country="A"), Place(name="C", kind="camp", country="A")]  # fmt: skip
    links = [Link(a="O", b="C", distance=10), Link(a="O", b="T", distance=10)]

    def share(fixed: bool) -> float:
        sc = scenario(places, links, camp_weight=2.0, max_move_speed=10.0)
        sc = sc.model_copy(update={"move": sc.move.model_copy(update={"fixed_routes": fixed}),
                                   "observed": {"C": [SeriesPoint(day=0, value=20000)]}})  # fmt: skip
        t = corridor.Simulation(sc).run(seed=1).table()
        camp, town = (int(t.loc[t.place == p, "arrivals"].iloc[0]) for p in ("C", "T"))
        assert camp + town == 20000
        return camp / 20000

    assert share(True) == pytest.approx(0.8, abs=0.015)
    assert share(False) == pytest.approx(2 / 3, abs=0.015)


@pytest.mark.parametrize(
    ("text", "row", "field", "value"),
    [
        ("Origin,X,Nowhere\n", 1, "place 3", "Nowhere"),
        ("#from,...,to\nOrigin,X,Y\nCamp\n", 3, "place 2", "Camp"),
        ("Origin,X\nOrigin,Camp\n", 2, "place 2", "Camp"),  # no road Origin-Camp
    ],
)
def test_a_malformed_major_route_is_one_line_naming_file_row_field_and_value(
    tmp_path: Path, text: str, row: int, field: str, value: str
) -> None:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(folder(tmp_path, major=text), warn=lambda line: None)
    msg = str(exc.value)
    assert "\n" not in msg
    assert f"major_routes.csv:{row}: field '{field}'" in msg and repr(value) in msg, msg


def test_major_routes_are_read_as_flee_attaches_them(tmp_path: Path) -> None:
    # comment rows are skipped, empty cells dropped; an empty last cell leaves the reversed direction out
    sc = load_scenario(folder(tmp_path, major="# from,to\nOrigin,,X,Y,\nCamp,Y\n"), warn=lambda line: None)
    assert [(m.places, m.forward, m.backward) for m in sc.major_routes] == [
        (["Origin", "X", "Y"], True, False),
        (["Camp", "Y"], True, True),
    ]
    # without fixed_routes Flee never uses the file, and corridor does not read it
    assert load_scenario(folder(tmp_path / "off", fixed=False, major="Nowhere\n")).major_routes == []


def test_a_major_route_over_a_road_closed_that_day_stops_the_run_as_flee_does(tmp_path: Path) -> None:
    closures = "#closure_type,name1,name2,closure_start,closure_end\nlink,X,Y,1,-1\n"
    f = folder(tmp_path, major="Origin,X,Y,Camp\n")
    (f / "input_csv" / "closures.csv").write_text(closures, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"major_routes.csv:1: a major route known at 'Origin' crosses a closed"):
        corridor.load(f).run(seed=0, days=3)
