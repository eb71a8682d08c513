"""validation/flee_forecast.py's pieces: the first half's observations and their ranges, the split, the priors
written into a copy of a Flee folder, the ARD of each half. Cheap: no calibration is run."""

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pytest

import corridor
from corridor.calibrate import select
from corridor.evaluate.observations import read_observations, simulate
from corridor.scenario.model import Link, Place, Scenario, SeriesPoint

from conftest import flee_path, line_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "validation"))
import flee_forecast as ff  # noqa: E402


def two_camps(days: int) -> Scenario:
    """A conflict zone and two camps: Big's observed count rises by 100 a day from 0 on day 0, Small's by 1."""
    places = [
        Place(name="Origin", kind="conflict_zone", country="A", population=10_000, conflict_date=0),
        Place(name="Big", kind="camp", country="B"),
        Place(name="Small", kind="camp", country="C"),
    ]
    links = [Link(a="Origin", b="Big", distance=100), Link(a="Origin", b="Small", distance=300)]
    end = days - 1
    observed = {
        "Big": [SeriesPoint(day=0, value=0), SeriesPoint(day=end, value=100 * end)],
        "Small": [SeriesPoint(day=0, value=0), SeriesPoint(day=end, value=end)],
    }
    return Scenario(name="two", start_date="2020-01-01", days=days, places=places, links=links, observed=observed)


def test_observations_known_points_and_ranges():
    sc = two_camps(30)  # first half: days 0-14; observations on days 7 and 14
    got = {(o.date, o.place): o for o in ff.observations(sc)}
    d7, d14 = dt.date(2020, 1, 8), dt.date(2020, 1, 15)
    assert set(got) == {(d, c) for d in (d7, d14) for c in ("Big", "Small")}
    assert all(o.metric == "present" for o in got.values())
    # Big: 10% of the count; Small: 1% of the day's total in the camps (707, then 1,414), cut at 0
    big7, small7, big14, small14 = got[d7, "Big"], got[d7, "Small"], got[d14, "Big"], got[d14, "Small"]
    assert (big7.value, big7.low, big7.high) == (700, 630, 770)
    assert (small7.value, small7.low, small7.high) == (7, 0, 14.1)
    assert (big14.value, big14.low, big14.high) == (1400, 1260, 1540)
    assert (small14.value, small14.low, small14.high) == (14, 0, 28.1)
    wide = {(o.date, o.place): o for o in ff.observations(sc, floor=0.1)}
    assert (wide[d7, "Big"].low, wide[d7, "Big"].high) == (629.3, 770.7)  # 10% of the total 707 > 10% of 700


def test_observations_stay_in_the_first_half(tmp_path):
    for days in (29, 30, 31):
        sc = two_camps(days)
        mid = ff.mid_day(sc)
        rows = ff.observations(sc)
        assert rows and all((o.date - sc.start_date).days < mid for o in rows)
        assert {(o.date - sc.start_date).days for o in rows} == set(range(7, mid, 7))
    assert ff.mid_day(two_camps(29)) == 14  # day 14 opens the second half: no observation on it
    # the CSV reads back as the same observations, and a calibration cut at the first half's last day keeps all
    sc = two_camps(30)
    path = ff.write_observations(tmp_path / "obs.csv", ff.observations(sc))
    back = read_observations(path)
    assert [(o.date, o.place, o.metric, o.value, o.low, o.high) for o in back] == [
        (o.date, o.place, o.metric, o.value, o.low, o.high) for o in ff.observations(sc)
    ]
    sel = select(back, sc.start_date + dt.timedelta(days=ff.mid_day(sc) - 1))
    assert len(sel.used) == len(back) and not sel.excluded


def test_halves_and_score_are_the_ard_of_each_half():
    assert ff.halves(np.array([1.0, 1.0, 3.0, 3.0, 5.0]), 2) == (1.0, 3.0 + 2.0 / 3.0)
    sim = corridor.Simulation(line_scenario([50.0], days=12, arrivals={0: 20, 3: 10}))
    jobs = [({}, k) for k in range(3)]
    res = ff.score(sim, jobs, 6)
    assert res == ff.score(sim, jobs, 6)  # same seeds, same numbers
    rep = sim.validate(jobs)
    first = [v.ard_by_day[:6].mean() for v in rep.validations]
    assert res["first_half"]["ard_median"] == pytest.approx(float(np.median(first)))
    assert res["seeds"] == [0, 1, 2]


def test_flee_copy_gets_the_priors_and_first_half_observations(tmp_path):
    source = flee_path("mali2012")
    before = sorted(p.relative_to(source) for p in source.rglob("*"))
    folder, obs_file = ff.prepare(source, tmp_path)
    assert sorted(p.relative_to(source) for p in source.rglob("*")) == before  # the shared folder is untouched
    assert (folder / "priors.csv").is_file()
    sim = corridor.load(folder)
    sc = sim.scenario
    assert sorted(lv for p in sc.priors for lv in p.levers) == sorted(lv for lv, *_ in ff.PRIORS)
    rows = read_observations(obs_file)
    mid = ff.mid_day(sc)
    assert len(rows) == len(range(7, mid, 7)) * len(sc.camp_names())
    assert max(o.date for o in rows) < sc.start_date + dt.timedelta(days=mid)
    assert all(o.low <= o.value <= o.high for o in rows)
    run = sim.run(seed=0, days=mid)  # every observation is computed by a run of the first half alone
    assert all(simulate(run, o) is not None for o in rows)
