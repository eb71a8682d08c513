"""Flee's demographics files (input_csv/demographics_<attribute>.csv): read as Flee reads them, each person
drawn a value per attribute when they set out with the shares of their place (else Default's), into a
column per attribute, and counted by place and value when asked (djgroen/flee 02cd2cb, flee/demographics.py)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from corridor import Simulation
from corridor.errors import ScenarioError
from corridor.scenario.flee import read_demographics
from corridor.scenario.model import Demographic, Link, Place, Scenario, SpawnRules
from corridor.sim.components.demographics import value_labels
from corridor.sim.engine import Engine

GENDER = Demographic(values=["male", "female"], shares={"Default": [3, 7], "B": [1, 0]})
AGE = Demographic(values=["0", "30", "70"], shares={"Default": [0.5, 0.25, 0.25]})


def scenario(days: int = 4, **kw: object) -> Scenario:
    """Two flooded towns A and B that each send 1,000 people a day towards C (1,000 km away: nobody arrives
    in the run), A with Default's shares, B with its own."""
    places = [
        Place(name="A", kind="town", country="X", population=10**6),
        Place(name="B", kind="town", country="X", population=10**6),
        Place(name="C", kind="town", country="X"),
    ]
    links = [Link(a="A", b="C", distance=1000), Link(a="B", b="C", distance=1000)]
    spawn = SpawnRules(mode="flood", rate_mode="constant", flood_rates=[0, 1000, 0])
    return Scenario(name="demo", start_date="2020-01-01", days=days, places=places, links=links, spawn=spawn,
                    flood_levels={"A": [1] * days, "B": [1] * days}, move={"flood": {"movechances": [0.3, 0.3, 0.3],
                                                                                    "loc_weights": [1.0] * 3}},
                    **{"demographics": {"gender": GENDER, "age": AGE}, **kw})  # fmt: skip


def within(count: int, n: int, p: float) -> bool:
    """count is within 5 standard deviations of a binomial(n, p)'s mean."""
    return abs(count - n * p) <= 5 * math.sqrt(n * p * (1 - p)) + 1e-9


def test_each_person_draws_a_value_with_their_places_shares():
    eng = Engine(scenario(), seed=2)
    for day in range(4):
        eng.step(day)
    a = eng.world.agents
    n = a.n
    assert n == 8000
    # rows are added place by place each day: A's 1,000 then B's
    origin = np.tile(np.repeat([0, 1], 1000), 4)
    g, age = a.demo_gender[:n], a.demo_age[:n]
    assert (g[origin == 1] == 0).all(), "B's own column: everyone male"
    assert within(int((g[origin == 0] == 1).sum()), 4000, 0.7)
    for k, p in enumerate([0.5, 0.25, 0.25]):  # B has no age column: Default's shares everywhere
        assert within(int((age == k).sum()), 8000, p)
    assert not a.has("floodawareness")


def test_the_values_are_the_same_on_one_or_two_threads_and_other_results_unchanged():
    one = Simulation(scenario(days=3)).run(seed=5, threads=1)
    two = Simulation(scenario(days=3)).run(seed=5, threads=2)
    bare = Simulation(scenario(days=3, counts_by_demographics=False).model_copy(update={"demographics": {}}))
    plain = bare.run(seed=5, threads=1)
    for name in ("population", "in_transit", "departures", "spawned"):
        assert np.array_equal(getattr(one.record, name), getattr(two.record, name))
        assert np.array_equal(getattr(one.record, name), getattr(plain.record, name)), "draws of their own"


def test_counts_by_demographics_split_each_place_by_value_only_when_asked():
    off = Simulation(scenario(days=3)).run(seed=1)
    assert len(off.record.demographics) == 0 and "gender=male" not in off.table()
    sc = scenario(days=3, counts_by_demographics=True)
    res = Simulation(sc).run(seed=1)
    assert value_labels(sc) == ["gender=male", "gender=female", "age=0", "age=30", "age=70"]
    demo = res.record.demographics
    pop = res.record.population
    assert demo.shape == (3, 3, 5)
    assert np.array_equal(demo[:, :, :2].sum(axis=2), pop) and np.array_equal(demo[:, :, 2:].sum(axis=2), pop)
    table = res.table()
    assert np.array_equal(table["gender=female"] + table["gender=male"], table["population"])


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


def test_every_demographics_file_of_a_folder_is_read(tmp_path: Path):
    write(tmp_path, "demographics_gender.csv", "gender,Default,B\nmale,0.5,1\nfemale,0.5,0\n")
    write(tmp_path, "demographics_age.csv", "age,Default\n0,3\n1,3\n")
    write(tmp_path, "other.csv", "x\n")
    demo = read_demographics(tmp_path)
    assert list(demo) == ["age", "gender"]
    assert demo["gender"].values == ["male", "female"] and demo["gender"].shares == {"Default": [0.5, 0.5],
                                                                                     "B": [1.0, 0.0]}  # fmt: skip
    assert demo["age"].values == ["0", "1"] and demo["age"].shares == {"Default": [3.0, 3.0]}
    assert read_demographics(tmp_path / "none") == {}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("gender,Default\nmale,0.5\nfemale,x\n", r"csv:3: field .Default.: not a number"),
        ("sex,Default\nmale,0.5\n", "unexpected header"),
        ("gender,Default\n,0.5\n", "an empty value"),
        ("", "empty file"),
    ],
)
def test_a_bad_cell_is_one_line_naming_file_and_row(tmp_path: Path, text: str, match: str):
    write(tmp_path, "demographics_gender.csv", text)
    with pytest.raises(ScenarioError, match=match) as err:
        read_demographics(tmp_path)
    assert "demographics_gender.csv" in str(err.value) and "\n" not in str(err.value)


def test_shares_that_cannot_be_drawn_from_are_refused():
    with pytest.raises(ScenarioError, match="gender shares"):
        scenario(demographics={"gender": Demographic(values=["m", "f"], shares={"Default": [0, 0]})})
    with pytest.raises(ScenarioError, match="gender shares"):
        scenario(demographics={"gender": Demographic(values=["m", "f"], shares={"Default": [1]})})
    with pytest.raises(ScenarioError, match="no Default column"):
        scenario(demographics={"gender": Demographic(values=["m", "f"], shares={"A": [1, 1]})})


# Flee's demographic hazard rules (flee/moving.py getEndPointScore): the place's score squared, or 1


def test_hazard_class_follows_flees_branches():
    from corridor.sim.components.demographics import AS_IS, ONE, SQUARED, hazard_class

    def cls(age: str, gender: str, **rules: bool) -> int:
        sc = hazard_scenario(rules)
        return hazard_class(sc, age, gender)

    assert cls("30", "female", women_avoid_hazards=True) == SQUARED
    assert cls("30", "male", women_avoid_hazards=True) == AS_IS
    assert cls("18", "male", children_avoid_hazards=True) == SQUARED
    assert cls("19", "male", children_avoid_hazards=True) == AS_IS
    assert cls("60", "male", elderly_avoid_hazards=True) == SQUARED
    assert cls("59", "male", elderly_avoid_hazards=True) == AS_IS
    # BoysTakeRisk sits inside ChildrenAvoidHazards: males over 14, men too, score 1; a boy of 14 is squared
    assert cls("15", "male", children_avoid_hazards=True, boys_take_risk=True) == ONE
    assert cls("40", "male", children_avoid_hazards=True, boys_take_risk=True) == ONE
    assert cls("14", "male", children_avoid_hazards=True, boys_take_risk=True) == SQUARED
    assert cls("40", "male", boys_take_risk=True, elderly_avoid_hazards=True) == AS_IS, "not without children's"
    # 1 squared is 1; a girl squared once, not again for being female
    assert cls("70", "male", children_avoid_hazards=True, boys_take_risk=True, elderly_avoid_hazards=True) == ONE
    assert cls("10", "female", children_avoid_hazards=True, women_avoid_hazards=True) == SQUARED


def hazard_scenario(rules: dict[str, bool], **kw: object) -> Scenario:
    """A town A whose 6,000 people all leave on day 0 for a camp B (score 2: camp_weight) or a town C (score 1),
    both 1,000 km away: by route weight 2 : 1 (2/3 to B), squared 4 : 1 (4/5), or 1 : 1 (1/2)."""
    from corridor.scenario.model import Departure

    places = [
        Place(name="A", kind="town", country="X"),
        Place(name="B", kind="camp", country="X"),
        Place(name="C", kind="town", country="X"),
    ]
    links = [Link(a="A", b="B", distance=1000), Link(a="A", b="C", distance=1000)]
    demo = {"gender": Demographic(values=["male", "female"], shares={"Default": [1, 1]}),
            "age": Demographic(values=["10", "30", "70"], shares={"Default": [1, 1, 1]})}  # fmt: skip
    return Scenario(name="hazards", start_date="2020-01-01", days=2, places=places, links=links,
                    departures=[Departure(place="A", start=0, count=6000)], spawn=SpawnRules(mode="departures"),
                    move={"camp_weight": 2.0, "weight_softening": 0.0, "default_movechance": 1.0, **rules},
                    **{"demographics": demo, **kw})  # fmt: skip


def heading_to_b(rules: dict[str, bool], seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    eng = Engine(hazard_scenario(rules), seed=seed)
    eng.step(0)
    a, net = eng.world.agents, eng.world.net
    n = a.n
    assert n == 6000
    to_b = net.link_dst[a.loc[:n]] == 1  # everyone is on a road after day 0
    return to_b, a.demo_gender[:n], a.demo_age[:n]


def test_women_avoid_hazards_squares_their_scores():
    to_b, gender, _ = heading_to_b({"women_avoid_hazards": True})
    men, women = gender == 0, gender == 1
    assert within(int(to_b[women].sum()), int(women.sum()), 4 / 5)
    assert within(int(to_b[men].sum()), int(men.sum()), 2 / 3)
    assert not within(int(to_b[women].sum()), int(women.sum()), 2 / 3)


def test_children_boys_and_elderly():
    rules = {"children_avoid_hazards": True, "boys_take_risk": True, "elderly_avoid_hazards": True}
    to_b, gender, age = heading_to_b(rules)
    for g, k, p in [(0, 0, 4 / 5), (0, 1, 1 / 2), (0, 2, 1 / 2), (1, 0, 4 / 5), (1, 1, 2 / 3), (1, 2, 4 / 5)]:
        who = (gender == g) & (age == k)
        assert within(int(to_b[who].sum()), int(who.sum()), p), (g, k)


def test_with_the_rules_off_the_run_is_the_run_without_demographics():
    to_b, _, _ = heading_to_b({})
    eng = Engine(hazard_scenario({}).model_copy(update={"demographics": {}}), seed=0)
    eng.step(0)
    a = eng.world.agents
    assert np.array_equal(eng.world.net.link_dst[a.loc[: a.n]] == 1, to_b)
    assert not a.has("moveclass")


def test_a_hazard_rule_without_its_demographics_is_refused():
    with pytest.raises(ScenarioError, match="needs each person's age"):
        hazard_scenario({"children_avoid_hazards": True}, demographics={})
    with pytest.raises(ScenarioError, match="needs each person's gender"):
        hazard_scenario({"women_avoid_hazards": True},
                        demographics={"age": Demographic(values=["1"], shares={"Default": [1]})})  # fmt: skip
    with pytest.raises(ScenarioError, match="age that is not a number"):
        hazard_scenario({"elderly_avoid_hazards": True},
                        demographics={"age": Demographic(values=["old"], shares={"Default": [1]})})  # fmt: skip


def test_a_flee_folder_with_the_hazard_rules_reads_them_and_its_demographics(tmp_path: Path):
    from test_flee_compat import flee_folder, lenient

    rules = "".join(f"  {k}: True\n" for k in ("WomenAvoidHazards", "ChildrenAvoidHazards", "ElderlyAvoidHazards",
                                                 "BoysTakeRisk"))  # fmt: skip
    folder = flee_folder(tmp_path, **{
        "simsetting.yml": "spawn_rules:\n  conflict_driven_spawning:\n    spawn_mode: constant\n"
                          "    displaced_per_conflict_day: 100\nmove_rules:\n" + rules,
        "input_csv/demographics_age.csv": "age,Default,A\n5,1,0\n40,1,1\n",
        "input_csv/demographics_gender.csv": "gender,Default\nmale,1\nfemale,1\n",
    })  # fmt: skip
    sc, warned = lenient(folder)
    assert warned == []
    mv = sc.move
    assert mv.women_avoid_hazards and mv.children_avoid_hazards and mv.elderly_avoid_hazards and mv.boys_take_risk
    assert sc.demographics["age"].shares == {"Default": [1.0, 1.0], "A": [0.0, 1.0]}
    res = Simulation(sc).run(seed=0, days=5)
    assert res.record.spawned.sum() > 0
    (folder / "input_csv/demographics_gender.csv").unlink()
    with pytest.raises(ScenarioError, match="gender"):
        lenient(folder)


# Flee's Match* rules: a destination x (its people of the person's ethnicity / its population) x 10


def match_scenario(move: dict[str, object]) -> Scenario:
    """B and C (population 1,000 each, move chance 0, so Flee's camps) hold 400 and 200 people on day 0, of
    ethnicities a : b drawn 3 : 1 at B and 1 : 3 at C; on day 1, 6,000 people of each ethnicity half and half
    leave A for B or C (1,000 km away, scores equal but for the rule)."""
    from corridor.scenario.model import Departure

    places = [
        Place(name="A", kind="town", country="X"),
        Place(name="B", kind="town", country="X", population=1000, movechance=0.0),
        Place(name="C", kind="town", country="X", population=1000, movechance=0.0),
    ]
    links = [Link(a="A", b="B", distance=1000), Link(a="A", b="C", distance=1000)]
    eth = Demographic(values=["a", "b"], shares={"Default": [1, 1], "B": [3, 1], "C": [1, 3]})
    rel = Demographic(values=["p", "q"], shares={"Default": [1, 1], "B": [1, 0], "C": [0, 1]})
    deps = [Departure(place="B", start=0, count=400), Departure(place="C", start=0, count=200),
            Departure(place="A", start=1, count=6000)]  # fmt: skip
    return Scenario(name="match", start_date="2020-01-01", days=3, places=places, links=links, departures=deps,
                    spawn=SpawnRules(mode="departures"), demographics={"ethnicity": eth, "religion": rel},
                    move={"weight_softening": 0.0, "default_movechance": 1.0, **move})  # fmt: skip


def test_match_camp_ethnicity_weighs_camps_by_the_share_of_ones_own():
    eng = Engine(match_scenario({"match_camp_ethnicity": True}), seed=4)
    eng.step(0)
    a, net = eng.world.agents, eng.world.net
    eth = a.demo_ethnicity
    at_b = [int(((a.loc[:600] == 1) & (eth[:600] == k)).sum()) for k in (0, 1)]
    at_c = [int(((a.loc[:600] == 2) & (eth[:600] == k)).sum()) for k in (0, 1)]
    eng.step(1)
    new = slice(600, a.n)
    to_b = net.link_dst[a.loc[new]] == 1
    for k in (0, 1):
        who = eth[new] == k
        # both are camps to Flee (move chance 0): x (people of k / 1,000) x 10 each; the 1,000s cancel
        assert within(int(to_b[who].sum()), int(who.sum()), at_b[k] / (at_b[k] + at_c[k]))
    assert not within(int(to_b[eth[new] == 0].sum()), int((eth[new] == 0).sum()), 0.5)


def test_match_town_ethnicity_does_not_reach_camps_and_religion_does():
    # B and C are camps to Flee: MatchTownEthnicity leaves them as they are (half and half)
    eng = Engine(match_scenario({"match_town_ethnicity": True}), seed=4)
    eng.step(0)
    eng.step(1)
    a, net = eng.world.agents, eng.world.net
    to_b = net.link_dst[a.loc[600 : a.n]] == 1
    assert within(int(to_b.sum()), a.n - 600, 0.5)
    # MatchCampReligion: everyone at B is of religion p, everyone at C of q: each goes where their own are
    eng = Engine(match_scenario({"match_camp_religion": True, "avg_religion_fraction": 0.5}), seed=4)
    eng.step(0)
    eng.step(1)
    a = eng.world.agents
    to_b = net.link_dst[a.loc[600 : a.n]] == 1
    assert np.array_equal(to_b, a.demo_religion[600 : a.n] == 0)


def test_a_match_rule_without_its_demographics_is_refused():
    with pytest.raises(ScenarioError, match="needs each person's ethnicity"):
        match_scenario({"match_conflict_ethnicity": True}).model_validate(
            {**match_scenario({}).model_dump(), "demographics": {}, "move": {"match_conflict_ethnicity": True}}
        )


def test_a_flee_folder_with_match_rules_and_hazard_rules_runs(tmp_path: Path):
    from test_flee_compat import flee_folder, lenient

    rules = "".join(f"  {k}: True\n" for k in ("MatchCampEthnicity", "MatchTownEthnicity", "MatchConflictEthnicity",
                                                 "MatchCampReligion", "WomenAvoidHazards"))  # fmt: skip
    folder = flee_folder(tmp_path, **{
        "simsetting.yml": "spawn_rules:\n  conflict_driven_spawning:\n    spawn_mode: constant\n"
                          "    displaced_per_conflict_day: 100\nmove_rules:\n" + rules
                          + "  avg_religion_fraction: 0.5\n",
        "input_csv/demographics_ethnicity.csv": "ethnicity,Default,A\nx,1,0\ny,1,1\n",
        "input_csv/demographics_religion.csv": "religion,Default\np,1\nq,1\nr,2\n",
        "input_csv/demographics_gender.csv": "gender,Default\nmale,1\nfemale,1\n",
    })  # fmt: skip
    sc, warned = lenient(folder)
    assert warned == []
    mv = sc.move
    assert mv.match_camp_ethnicity and mv.match_town_ethnicity and mv.match_conflict_ethnicity
    assert mv.match_camp_religion and mv.avg_religion_fraction == 0.5
    one = Simulation(sc).run(seed=0, days=6, threads=1)
    two = Simulation(sc).run(seed=0, days=6, threads=2)
    assert one.record.spawned.sum() > 0
    assert np.array_equal(one.record.population, two.record.population)
    (folder / "input_csv/demographics_religion.csv").unlink()
    with pytest.raises(ScenarioError, match="religion"):
        lenient(folder)
