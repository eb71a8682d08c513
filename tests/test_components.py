"""The engine is built from components that declare what they own; the registry says what states mean."""

import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

import corridor
from corridor import states as S
from corridor.sim.agents import CORE, Agents, Column
from corridor.sim.component import Component
from corridor.sim.components import COMPONENTS, Recording
from corridor.sim.engine import Engine, plan
from corridor.sim.record import Record, Table
from corridor.sim.stocks import ConservationError

from conftest import flee_path, line_scenario

REPO = Path(__file__).resolve().parents[1]
TIJUANA = REPO / "scenarios" / "tijuana-2018"


def test_every_state_and_outcome_is_owned_by_a_component_of_the_plan():
    names = {c.name for c in COMPONENTS}
    for s in S.STATES:
        assert s.owner in names, f"state {s.name}: no component named {s.owner}"
    for o in S.OUTCOMES:
        assert o.owner in names, f"outcome {o.name}: no component named {o.owner}"
    declared = [s.name for c in COMPONENTS for s in c.states()]
    assert sorted(declared) == sorted(S.STATE_NAMES), "each state is declared by exactly one component"


def test_the_census_default_of_each_where_is_the_one_state_left_untallied():
    # at_place and on_road are what remains of the places' and roads' people: one default per where
    assert S.STATES[S.DEFAULT_AT["place"]].where == "place"
    assert S.STATES[S.DEFAULT_AT["road"]].where == "road"
    assert set(S.codes("place")) == {
        S.AT_PLACE,
        S.SIGNING,
        S.ON_LIST,
        S.REMAIN_MX,
        S.CARAVAN_AT,
        S.SETTLED,
        S.HARVESTING,
    }
    assert set(S.codes("road")) == {S.ON_ROAD, S.CARAVAN_ROAD}


def test_components_that_share_a_column_or_table_declare_it_alike():
    sc = corridor.load(TIJUANA).scenario
    Agents([*CORE, *(col for c in COMPONENTS for col in c.columns)], 4, sc)  # raises on a clash
    sizes = {
        "place": 3,
        "port": 1,
        "link": 2,
        "state": S.N_STATES,
        "outcome": S.N_OUTCOMES,
        "caravan": 1,
        "nation": 2,
        "cohort": 2,
        "demographic": 2,
    }
    Record((t for c in COMPONENTS for t in c.tables), 2, sizes, sc)
    with pytest.raises(ValueError, match="declared twice"):
        Agents([*CORE, Column("state", np.int16, 0, "a clash")], 4, sc)


def test_a_scenario_gets_only_the_components_and_columns_it_needs():
    flee = Engine(corridor.load(flee_path("mali2012")).scenario, seed=0)
    used = [c.name for c in flee.phases]
    assert used == ["conflicts", "demographics", "spawn", "closures", "attract", "movement", "record"]
    assert flee.agents.has("demo_age") and flee.agents.has("demo_gender") and flee.agents.has("demo_ethnicity")
    assert not flee.agents.has("joined"), "no port, hazard or asylum: no day a border state began"
    assert not flee.agents.has("came_from"), "no_backtrack is off: the column is one unused row"
    assert not flee.agents.has("household"), "no departure sets out in households: the column is one unused row"
    border = Engine(corridor.load(TIJUANA).scenario, seed=0)
    # reentry.csv: the reentry component is in
    left_out = ("floods", "food", "demographics", "harvest", "social", "capacities", "roads", "sinks")
    assert [c.name for c in border.phases] == [c.name for c in COMPONENTS if c.name not in left_out]
    assert border.agents.has("joined") and border.agents.has("came_from")
    assert border.agents.has("household"), "the caravans set out in households"


def test_plan_prints_every_component_in_order_and_marks_what_a_scenario_leaves_out():
    from typer.testing import CliRunner

    from corridor.cli import app

    lines = CliRunner().invoke(app, ["plan", str(flee_path("mali2012"))]).output.splitlines()
    heads = [ln for ln in lines if ln[:1].isdigit()]
    assert [h.split(".", 1)[1].split(":", 1)[0].strip() for h in heads] == [c.name for c in COMPONENTS]
    assert "not used by this scenario" in heads[[c.name for c in COMPONENTS].index("ports")]
    assert "not used" not in heads[[c.name for c in COMPONENTS].index("movement")]
    assert any("tables: population" in ln for ln in lines)
    assert [p.name for p in plan()] == [c.name for c in COMPONENTS]


class Stayers(Component):
    """A component written for this test: it records the people at each place on their own."""

    name = "stayers"
    doc = "people at each place on their own, at the end of the day"
    tables = (Table("stayers", ("place",), "people at each place in state at_place"),)

    def record(self, day: int) -> None:
        a = self.world.agents
        here = a.state[: a.n] == S.AT_PLACE
        self.world.record.stayers[day] = np.bincount(a.loc[: a.n][here], minlength=self.world.net.n_places)


def test_a_new_component_is_one_class_in_the_plan():
    sc = line_scenario([100, 100], days=8, arrivals={0: 50, 3: 20})
    mine = (*[c for c in COMPONENTS if c is not Recording], Stayers, Recording)
    eng = Engine(sc, seed=3, components=mine)
    for day in range(eng.days):
        eng.step(day)
    assert "stayers" in [p.name for p in plan(sc, mine)]
    # with no ports, lists or caravans, everyone at a place is there on their own
    assert np.array_equal(eng.record.stayers, eng.record.population)
    assert eng.record.stayers[-1].sum() > 0


def test_the_conservation_check_catches_a_stock_that_drifts():
    eng = Engine(corridor.load(TIJUANA).scenario, seed=0, days=40)
    for day in range(eng.days):
        eng.step(day)
    eng.check_conservation(eng.days - 1)
    eng.stocks.pop[3] += 1  # a component that forgot someone
    with pytest.raises(ConservationError, match="differ from the running stocks"):
        eng.check_conservation(eng.days - 1)
    eng.stocks.pop[3] -= 1
    eng.stocks.tally[S.DEPORTED] += 1
    with pytest.raises(ConservationError, match="states counted"):
        eng.check_conservation(eng.days - 1)


def test_a_run_sets_its_thread_count_for_its_kernels_only():
    before = numba.get_num_threads()
    sim = corridor.load(flee_path("burundi"))
    one = sim.run(seed=2, days=30, threads=1)
    assert numba.get_num_threads() == before
    two = sim.run(seed=2, days=30, threads=2)
    assert numba.get_num_threads() == before
    for name, table in one.record.arrays().items():
        assert np.array_equal(table, two.record.arrays()[name]), name


def test_importing_corridor_changes_nothing_outside_it():
    probe = """
import logging, os, random, sys, warnings
import numba, numpy as np
def snapshot():
    return (dict(os.environ), numba.get_num_threads(), np.random.get_state()[1].tobytes(), random.getstate(),
            list(warnings.filters), list(logging.getLogger().handlers), np.get_printoptions(), sys.getrecursionlimit())
before = snapshot()
import corridor, corridor.cli, corridor.report.html, corridor.sim.engine, corridor.evaluate.observations
import corridor.sim.components
after = snapshot()
names = ["environment", "numba threads", "numpy's global random state", "random's state", "warning filters",
         "logging handlers", "numpy print options", "recursion limit"]
changed = [n for n, a, b in zip(names, before, after) if a != b]
print("changed:", ", ".join(changed) if changed else "nothing")
"""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "changed: nothing", out.stdout + out.stderr


def test_a_run_too_big_for_memory_is_refused_in_one_line_before_anything_is_allocated(tmp_path):
    from corridor.errors import CorridorError
    from corridor.scenario.model import Departure, SpawnRules

    sc = line_scenario([100], days=5)
    big = sc.model_copy(update={"departures": [Departure(place="Origin", start=0, count=2_000_000_000)],
                                "spawn": SpawnRules(mode="departures")})  # fmt: skip
    have = __import__("corridor.sim.engine", fromlist=["_available_memory"])._available_memory()
    if have is not None and have < 2_000_000_000 * 18:  # 18 bytes a person at the least
        with pytest.raises(CorridorError, match=r"needs about [\d.,]+ GB \(2,000,000,000 people x \d+ bytes"):
            Engine(big, seed=0)
    twice = big.model_copy(update={"departures": big.departures * 2})
    with pytest.raises(CorridorError, match="would set out 4,000,000,000 people; expected at most 2,147,483,647"):
        Engine(twice, seed=0)
