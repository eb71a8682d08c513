"""The run folder: the scenario as run is kept in it (scenario.json) and read back with the tables; the result
tables and observation metrics read the states registry."""

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import corridor
from corridor import states
from corridor.api import Simulation
from corridor.evaluate.observations import FATE_ALIASES, FATE_METRICS, Observation, simulate
from corridor.output.runfolder import load_run, scenario_json
from corridor.scenario.model import Scenario
from corridor.scenario.parameters import apply_overrides, list_params

from conftest import flee_path

ROOT = Path(__file__).resolve().parents[1]
TIJUANA = ROOT / "scenarios" / "tijuana-2018"
SY100 = "ports.san_ysidro.capacity_per_day=100"


@pytest.mark.parametrize("which", ["example", "tijuana-2018", "mali2012"])
def test_scenario_json_reads_back_to_the_scenario_as_run(which, tmp_path):
    path = flee_path(which) if which == "mali2012" else ROOT / "scenarios" / which
    sim = corridor.load(path)
    res = sim.run(seed=2, days=20)
    out = res.save(tmp_path / "a")
    text = (out / "scenario.json").read_text(encoding="utf-8")
    back = Scenario.model_validate(json.loads(text))
    assert back.model_dump(mode="json") == sim.scenario.model_dump(mode="json")
    assert (
        back.content_hash()
        == sim.scenario.content_hash()
        == json.loads((out / "manifest.json").read_text())["scenario"]["hash"]
    )
    # deterministic: the same scenario gives the same bytes, run after run
    assert res.save(tmp_path / "b").joinpath("scenario.json").read_bytes() == text.encode("utf-8")
    assert scenario_json(back) == text
    # and the scenario read back runs to the same tables
    again = Simulation(back).run(seed=2, days=20).save(tmp_path / "c")
    for name in ("places.csv", "states.csv", "links.csv", "out.csv"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


@pytest.fixture(scope="module")
def sy100_run(tmp_path_factory) -> Path:
    """tijuana-2018 for 30 days with San Ysidro at 100 a day, written as `corridor run --set` writes it."""
    from typer.testing import CliRunner

    from corridor.cli import app

    out = tmp_path_factory.mktemp("sy") / "sy100"
    result = CliRunner().invoke(app, ["run", str(TIJUANA), "--days", "30", "--out", str(out), "-q", "--set", SY100])
    assert result.exit_code == 0, result.output
    return out


def _san_ysidro(sc: Scenario) -> float:
    return next(p for p in sc.ports if p.place == "San Ysidro").capacity_per_day


def test_load_run_returns_the_scenario_as_run(sy100_run):
    run = load_run(sy100_run)
    assert _san_ysidro(run.scenario) == 100
    assert run.scenario.source == str(TIJUANA)
    assert run.scenario_note == ""
    assert run.overrides == [SY100]
    assert run.overridden == {"ports.san_ysidro.capacity_per_day": 40}
    assert run.params()["ports.san_ysidro.capacity_per_day"] == 100
    assert run.scenario.content_hash() == run.manifest["scenario"]["hash"]


def test_older_folders_reload_the_source_with_the_manifests_overrides(sy100_run, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(sy100_run, old)
    (old / "scenario.json").unlink()
    mf = json.loads((old / "manifest.json").read_text())
    del mf["overridden"]  # written before the scenario's own values were recorded
    (old / "manifest.json").write_text(json.dumps(mf))
    run = load_run(old)
    assert _san_ysidro(run.scenario) == 100 and run.scenario_note == ""  # same hash as the run: no note
    assert run.overridden == {"ports.san_ysidro.capacity_per_day": 40}
    # a folder whose scenario folder has changed since says so
    mf["overrides"] = []
    (old / "manifest.json").write_text(json.dumps(mf))
    run = load_run(old)
    assert _san_ysidro(run.scenario) == 40 and "changed since this run" in run.scenario_note


def test_an_edited_scenario_json_is_noted(sy100_run, tmp_path):
    copy = tmp_path / "edited"
    shutil.copytree(sy100_run, copy)
    data = json.loads((copy / "scenario.json").read_text())
    data["ports"][0]["capacity_per_day"] = 55.0
    (copy / "scenario.json").write_text(json.dumps(data))
    run = load_run(copy)
    assert _san_ysidro(run.scenario) == 55 and "differs from the scenario the manifest's hash names" in (
        run.scenario_note
    )
    (copy / "scenario.json").write_text("{not json")
    run = load_run(copy)  # falls back to the source with the overrides
    assert _san_ysidro(run.scenario) == 100 and "scenario.json does not load" in run.scenario_note


# ---------------------------------------------------------------- the registry's consumers


@pytest.fixture(scope="module")
def tijuana_res():
    return corridor.load(TIJUANA).run(seed=0, days=70)


def test_tables_have_a_column_per_registry_state_and_outcome(tijuana_res):
    # every state and outcome the scenario can reach (the registry's `when`: no road deaths in tijuana-2018)
    sc = tijuana_res.scenario
    table = tijuana_res.table()
    outcomes = states.outcomes(sc)
    assert [c for c in table.columns if c in states.OUTCOME_NAMES] == [o.name for o in outcomes]
    assert len(outcomes) < len(states.OUTCOMES) and "died" not in table.columns
    for o in outcomes:
        assert (table[o.name].to_numpy() == tijuana_res.record.fates[:, :, o.code].reshape(-1)).all()
    st = tijuana_res.state_table()
    assert list(st.columns) == ["day", "date", *(s.name for s in states.counted(sc))]
    for s in states.counted(sc):
        assert (st[s.name].to_numpy() == tijuana_res.record.census[:, s.code]).all()


def test_every_outcome_is_a_daily_and_a_cumulative_metric(tijuana_res):
    for o in states.OUTCOMES:
        assert FATE_METRICS[o.name] == ((o.name,), False)
        assert FATE_METRICS[f"{o.name}_cumulative"] == ((o.name,), True)
    day = tijuana_res.scenario.start_date + dt.timedelta(days=60)

    def value(metric: str, place: str = "Mexico") -> float | None:
        ob = Observation(row=2, date=day, place=place, metric=metric, value=0, low=0, high=0)
        return simulate(tijuana_res, ob)

    fates = tijuana_res.record.fates
    mexico = tijuana_res.scenario.places_matching("Mexico")
    deported = fates[:61, mexico, states.F_DEPORTED].sum()
    assert deported > 0 and value("deported_cumulative") == deported
    assert value("deported") == fates[60, mexico, states.F_DEPORTED].sum()
    # the names observations.csv files use are aliases of the registry's metrics, with the same values
    for alias, (names, cumulative) in FATE_ALIASES.items():
        if len(names) == 1:
            assert value(alias) == value(names[0] + ("_cumulative" if cumulative else "")), alias
    both = value("deported_cumulative") + value("returned_home_cumulative")
    assert value("returned_to_origin_cumulative") == both


def test_the_params_of_a_run_are_the_levers_of_its_scenario(sy100_run):
    sc = apply_overrides(corridor.load(TIJUANA).scenario, [SY100])
    assert load_run(sy100_run).params() == list_params(sc)


def test_places_table_crowding_uses_the_models_capacity():
    sim = corridor.load(ROOT / "scenarios" / "example")
    sc = sim.scenario.model_copy(update={"hasten": 3})
    res = Simulation(sc).run(seed=0, days=30)
    table = res.table()
    for j, place in enumerate(sc.places):
        rows = table[table["place"] == place.name]
        cap = sc.effective_capacity(place)
        if cap is None:
            assert rows["crowding"].isna().all()
        else:
            assert cap == (place.capacity // 3) * sc.move.capacity_scaling
            assert (rows["crowding"].to_numpy() == res.record.population[:, j] / cap).all()
    assert pd.notna(table["crowding"]).any()
