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
