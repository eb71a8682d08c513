"""The bundled tijuana-2018 scenario (first version): it loads, runs, conserves people and is scored."""

from pathlib import Path

import pytest

import corridor
from corridor.observations import compare, read_observations

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
        if row["metric"] in ("present", "passed_through", "departed", "in_transit", "waitlist_length"):
            assert row["simulated"] is not None, row
