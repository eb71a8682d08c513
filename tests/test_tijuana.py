"""The bundled tijuana-2018 scenario: it loads, runs, conserves people and meets its observations."""

from pathlib import Path

import pytest

import corridor
from corridor.evaluate.observations import compare, read_observations

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "tijuana-2018"


@pytest.fixture(scope="module")
def run():
    return corridor.load(SCENARIO).run(seed=0, check=True)


def test_covers_october_2018_to_january_2019(run):
    assert run.dates[0].isoformat() == "2018-10-01"
    assert run.dates[-1].isoformat() >= "2019-01-31"


def test_everyone_is_somewhere_and_the_queue_is_served(run):
    rec = run.record
    assert run.agents == rec.spawned.sum()
    assert rec.waitlist[:, 0].max() > 0
    assert rec.processed[:, 0].sum() > 0
    # the policy switch of 25 Jan 2019 (day 116): 20 claims a day from then on
    jan25 = run.dates.index(next(d for d in run.dates if d.isoformat() == "2019-01-25"))
    assert set(rec.processed[jan25:, 0].tolist()) <= {20}


def test_every_observation_gets_an_entry_and_modelled_metrics_a_value(run):
    obs = read_observations(SCENARIO / "observations.csv")
    rows = compare([run], obs)
    assert len(rows) == 31
    for row in rows:
        assert row["simulated"] is not None, row  # every metric is modelled


def test_at_least_90_percent_of_the_observations_in_range_over_10_seeds():
    sim = corridor.load(SCENARIO)
    runs = sim.ensemble(10, seed=0)
    rows = compare(runs, read_observations(SCENARIO / "observations.csv"))
    hits = sum(bool(r["within_range"]) for r in rows)
    assert hits >= 28, [(r["date"], r["place"], r["metric"], r["simulated"]) for r in rows if not r["within_range"]]


def test_shelters_open_and_close_and_remain_in_mexico_sends_people_back(run):
    pop = run.wide()
    assert (pop.loc[:"2018-11-13", "Benito Juarez shelter"] == 0).all()
    assert (pop.loc["2018-11-29":, "Benito Juarez shelter"] == 0).all()
    assert pop.loc["2018-11-28", "Benito Juarez shelter"] > 3000  # crowded past its 3,000 places
    assert pop.loc["2018-11-29", "El Barretal"] >= pop.loc["2018-11-28", "Benito Juarez shelter"] * 0.9
    states = run.state_table().set_index("date")
    assert (states.loc[:"2019-01-24", "remain_in_mexico"] == 0).all()
    assert states.loc["2019-01-31", "remain_in_mexico"] > 0


def test_people_move_on_from_the_full_mexicali_shelters_to_tijuana(run):
    t = run.table()
    moved = t.groupby("place", observed=True)["moved_away"].sum()
    assert set(moved[moved > 0].index) == {"Mexicali shelters"}
    first = t.loc[t["moved_away"] > 0, "date"].min()
    assert str(first) >= "2018-11-15"
