"""Calibration: ABC-SMC recovers parameters a run was made with, the distance respects reported ranges,
observations after the cutoff stay out, an interrupted calibration resumes into the same history, and
posterior ensembles carry the draws into runs and scored intervals."""

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import corridor
from corridor.api import coverage, interval_fields, run_summary
from corridor.calibrate import Posterior, RangeDistance, select
from corridor.calibrate.smc import Scores, calibrate
from corridor.evaluate.observations import Observation, read_observations
from corridor.scenario.priors import overrides

ROOT = Path(__file__).resolve().parents[1]
TIJUANA = ROOT / "scenarios" / "tijuana-2018"
EXAMPLE = ROOT / "scenarios" / "example"
# the bundled copy of ../shared/observations/tijuana-2018.csv (tests/test_tijuana.py checks they are the same)
OBSERVATIONS = ROOT / "scenarios" / "tijuana-2018" / "observations.csv"
# the two rates of the Suchiate standoff and Chiapas, and the values the synthetic observations are made with
RETURNED, REFUGE = "hazards.returned_ciudad_hidalgo_caravan.rate", "hazards.refuge_chiapas_caravan.rate"
TRUTH = {RETURNED: 0.2, REFUGE: 0.12}
WRONG = {RETURNED: 0.4, REFUGE: 0.05}  # inside each prior, far from the truth


def corridor_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "corridor.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def ob(row, date, place, metric, value=0.0, low=0.0, high=0.0, source="", note=""):
    return Observation(row, dt.date.fromisoformat(date), place, metric, value, low, high, source, note)


@pytest.fixture(scope="module")
def tijuana():
    """tijuana-2018 with two of its priors: the rates the synthetic observations depend on."""
    sc = corridor.load(TIJUANA).scenario
    return sc.model_copy(update={"priors": [p for p in sc.priors if p.name in TRUTH]})


@pytest.fixture(scope="module")
def synthetic(tijuana):
    """Observations of the first four weeks made by one run at TRUTH, each with a range of +-3% around it."""
    shape = [
        ob(1, "2018-10-20", "Ciudad Hidalgo", "returned_to_origin_cumulative"),
        ob(2, "2018-10-23", "Chiapas", "asylum_requests_mexico_cumulative"),
        ob(3, "2018-10-23", "Huixtla", "caravan_size"),
        ob(4, "2018-10-26", "Arriaga", "caravan_size"),
    ]
    priors = [p for p in tijuana.priors if p.name in TRUTH]
    points = run_summary(tijuana, overrides(priors, TRUTH), 12345, 26, shape, threads=1).points
    assert np.all(points > 0)
    made = zip(shape, points, strict=True)
    return [ob(o.row, o.date.isoformat(), o.place, o.metric, v, 0.97 * v, 1.03 * v) for o, v in made]


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory, tijuana, synthetic):
    out = tmp_path_factory.mktemp("cal") / "c"
    calibrate(tijuana, synthetic, out, budget=500, population=50, seed=3, priors=list(TRUTH), workers=1)
    return out


def test_calibration_recovers_the_rates_the_observations_were_made_with(calibrated):
    post = Posterior.read(calibrated)
    lo, med, hi = post.quantile(0.05), post.quantile(0.5), post.quantile(0.95)
    # the posterior median within 0.03 of the truth (the priors are 0.35 and 0.13 wide) ...
    assert abs(med[RETURNED] - TRUTH[RETURNED]) < 0.03
    assert abs(med[REFUGE] - TRUTH[REFUGE]) < 0.03
    # ... and its 90% interval holds the truth but not the wrong values
    for name in TRUTH:
        assert lo[name] <= TRUTH[name] <= hi[name]
        assert not lo[name] <= WRONG[name] <= hi[name]
    m = json.loads((calibrated / "manifest.json").read_text())
    assert m["status"] == "done" and m["simulations"] <= 500
    assert [g["epsilon"] for g in m["generations"]] == sorted((g["epsilon"] for g in m["generations"]), reverse=True)
    pred = pd.read_parquet(calibrated / "predictive.parquet")
    assert sorted(pred["row"].unique()) == [1, 2, 3, 4]


def test_priors_map_to_pyabc_as_normal_scores_of_the_same_distributions():
    by = {p.name: p for p in corridor.load(TIJUANA).scenario.priors}
    names = ["ports.san_ysidro.capacity_per_day", "ports.san_ysidro.sign_rate",
             "places.tijuana_private_shelters.capacity", "hazards.crossed_tijuana.apprehended"]  # fmt: skip
    s = Scores([by[n] for n in names])
    # uniform 20-60, loguniform 0.02-0.5, intuniform 100-600, beta(8, 2): z = 0 is each prior's median
    mid = s.values(dict.fromkeys(names, 0.0))
    assert mid[names[0]] == pytest.approx(40.0)
    assert mid[names[1]] == pytest.approx(math.sqrt(0.02 * 0.5))
    assert mid[names[2]] == 350  # the middle of 99.5 to 600.5, rounded
    assert mid[names[3]] == pytest.approx(by[names[3]].frozen().median())
    # z at the first quartile of N(0, 1) is the prior's first quartile; far tails stay at the ends
    q1 = s.values(dict.fromkeys(names, -0.6744897501960817))
    assert q1[names[0]] == pytest.approx(30.0)
    assert s.values(dict.fromkeys(names, -40.0))[names[2]] == 100
    assert s.values(dict.fromkeys(names, 40.0))[names[2]] == 600
    prior = s.pyabc_prior()
    assert sorted(prior.keys()) == sorted(names)
    assert prior[names[0]].distribution.dist.name == "norm"


def test_distance_is_zero_inside_the_range_and_relative_outside():
    d = RangeDistance(low=[100, 40], high=[200, 40])
    assert d({"y": np.array([150, 40])}) == 0.0
    assert d({"y": np.array([100, 40])}) == 0.0
    # 300 is 50% above 200; 20 is 50% below 40: root mean square of (0.5, 0.5)
    assert d({"y": np.array([300, 20])}) == pytest.approx(0.5)
    # (0.3, 0) -> sqrt(0.09 / 2)
    assert d({"y": np.array([70, 40])}) == pytest.approx(math.sqrt(0.09 / 2))
    assert d.excess([50, 48]) == pytest.approx([0.5, 0.2])
    assert d({"y": np.array([np.nan, 40])}) == math.inf


def test_until_drops_later_observations_and_sources_dated_after_the_cutoff_are_reserved():
    rows = [
        ob(2, "2018-11-20", "Tijuana", "present", source="USA Today"),
        ob(3, "2018-11-28", "Tijuana", "present", source="UNICEF sitrep 30 Nov; AP"),
        ob(4, "2018-11-28", "Tijuana", "returned_voluntarily_cumulative", source="IOM (4-28 Nov assisted returns)"),
        ob(5, "2018-11-19", "Mexicali", "present", source="Desert Sun (more than 1,000 on 18 Nov)"),
        ob(6, "2018-11-19", "Mexicali", "present", source="azcentral, 22 Nov"),
    ]
    sel = select(rows)  # cutoff: the last observation's date, 28 Nov
    assert [o.row for o in sel.used] == [2, 4, 5, 6]
    assert [(o.row, why) for o, why in sel.excluded] == [
        (3, "reserved: its source is dated 2018-11-30, after 2018-11-28")
    ]
    sel = select(rows, until=dt.date(2018, 11, 20))
    assert [o.row for o in sel.used] == [2, 5]  # row 6 is about 19 Nov but was reported on 22 Nov
    assert {o.row: why for o, why in sel.excluded}[4] == "dated after --until 2018-11-20"


def test_the_unicef_sitrep_rows_of_tijuana_2018_are_reserved():
    sel = select(read_observations(OBSERVATIONS))
    # observations #27, #29 and #30 (lines 28, 30 and 31): UNICEF's sitrep of 30 Nov
    assert [o.row for o, _ in sel.excluded] == [28, 30, 31]
    assert len(sel.used) == 28


def test_an_interrupted_calibration_resumes_into_the_same_history_as_one_on_two_workers(tmp_path, tijuana, synthetic):
    kw = dict(budget=260, population=20, seed=5, priors=list(TRUTH))

    def stop_at_generation_2(event):
        if event["event"] == "start" and event["t"] == 2:
            raise KeyboardInterrupt

    cut = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        calibrate(tijuana, synthetic, cut, workers=1, progress=stop_at_generation_2, **kw)
    assert json.loads((cut / "manifest.json").read_text())["status"] == "running"
    assert not (cut / "posterior.parquet").exists()
    import pyabc

    before = pyabc.History(f"sqlite:///{cut / 'history.db'}")
    assert before.max_t == 1
    first = [before.get_distribution(t=t)[0] for t in (0, 1)]
    with pytest.raises(corridor.errors.CorridorError, match="resume"):
        calibrate(tijuana, synthetic, cut, workers=1, **kw)  # not without --resume
    m = calibrate(tijuana, synthetic, cut, workers=1, resume=True, **kw)
    after = pyabc.History(f"sqlite:///{cut / 'history.db'}")
    assert after.max_t > 1 and m["status"] == "done"
    for t in (0, 1):
        pd.testing.assert_frame_equal(after.get_distribution(t=t)[0], first[t])
    # the same calibration, never interrupted, on a local Dask cluster of two workers
    whole = tmp_path / "whole"
    calibrate(tijuana, synthetic, whole, workers=2, **kw)
    pd.testing.assert_frame_equal(
        pd.read_parquet(cut / "posterior.parquet"), pd.read_parquet(whole / "posterior.parquet")
    )


def test_posterior_draws_follow_the_weights_and_set_every_lever_of_a_shared_prior():
    by = {p.name: p for p in corridor.load(TIJUANA).scenario.priors}
    priors = [by["north_markers"], by["ports.san_ysidro.initial_waitlist"]]
    values = pd.DataFrame({"north_markers": [0.81, 0.9, 0.99], "ports.san_ysidro.initial_waitlist": [600, 1500, 2400]})
    post = Posterior(priors, values, np.array([0.0, 1.0, 0.0]))
    draws = post.draw(np.random.default_rng(0), 5)
    assert len(draws) == 5
    for d in draws:
        assert d["ports.san_ysidro.initial_waitlist"] == 1500
        assert {k for k in d if k.endswith(".movechance")} == set(by["north_markers"].levers)
        assert all(d[lever] == 0.9 for lever in by["north_markers"].levers)


def test_interval_fields_and_coverage_on_a_hand_made_case():
    values = list(range(1, 101))  # percentiles 5.95, 25.75, 50.5, 75.25, 95.05
    inside_90 = interval_fields(values, 80, 90)
    assert inside_90["simulated_q25"] == pytest.approx(25.75) and inside_90["simulated_q95"] == pytest.approx(95.05)
    assert (inside_90["in_50"], inside_90["in_90"]) == (False, True)
    assert (interval_fields(values, 0, 3)["in_50"], interval_fields(values, 0, 3)["in_90"]) == (False, False)
    assert interval_fields(values, 30, 40)["in_50"] is True
    assert interval_fields([None, float("nan")], 1, 2)["in_90"] is None
    rows = [inside_90, interval_fields(values, 0, 3), interval_fields(values, 30, 40), interval_fields([], 1, 2)]
    assert coverage(rows) == {"intervals_scored": 3, "coverage_50": 1 / 3, "coverage_90": 2 / 3}


def test_run_and_validate_with_a_posterior(tmp_path, calibrated, synthetic):
    out = tmp_path / "run"
    r = corridor_cli("run", TIJUANA, "--posterior", calibrated, "--runs", 3, "--workers", 1, "--days", 30,
                     "--seed", 7, "--out", out, "-q")  # fmt: skip
    assert r.returncode == 0, r.stderr
    draws = pd.read_parquet(out / "ensemble" / "draws.parquet")
    assert list(draws["seed"]) == [7, 8, 9] and set(TRUTH) <= set(draws.columns)
    expected = Posterior.read(calibrated).draw(np.random.default_rng(7), 3)
    assert list(draws[RETURNED]) == [d[RETURNED] for d in expected]
    own = json.loads((out / "scenario.json").read_text())  # the run folder's own run is the first draw's
    rate = next(h["rate"] for h in own["hazards"] if (h["outcome"], h["where"]) == ("returned", "Ciudad Hidalgo"))
    assert rate == pytest.approx(expected[0][RETURNED])
    obs = tmp_path / "obs.csv"
    pd.DataFrame(
        [
            {
                "date": o.date.isoformat(),
                "place": o.place,
                "metric": o.metric,
                "value": o.value,
                "low": o.low,
                "high": o.high,
                "source": "synthetic",
                "note": "",
            }
            for o in synthetic
        ]  # fmt: skip
    ).to_csv(obs, index=False)
    r = corridor_cli("validate", TIJUANA, "--posterior", calibrated, "--runs", 4, "--workers", 1, "--days", 30,
                     "--observations", obs, "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    rows = res["observations"]
    assert all({"simulated_q05", "simulated_median", "simulated_q95", "in_50", "in_90"} <= set(o) for o in rows)
    assert res["coverage_90"] == sum(o["in_90"] for o in rows) / len(rows)
    assert res["intervals_scored"] == 4


def test_the_calibration_report(calibrated):
    r = corridor_cli("report", calibrated)
    assert r.returncode == 0, r.stderr
    html = (calibrated / "report.html").read_text()
    assert "Marginals" in html and "Posterior predictive" in html and "data:image/png;base64" in html
    assert sorted(p.name for p in (calibrated / "figures").iterdir()) == [
        "epsilon.png", "marginals.png", "pairs.png", "predictive.png"]  # fmt: skip


def test_the_command_calibrates_a_scenario_folder_and_says_what_it_left_out(tmp_path, synthetic):
    folder = tmp_path / "tj"
    shutil.copytree(TIJUANA, folder)
    lines = (folder / "priors.csv").read_text().splitlines()
    (folder / "priors.csv").write_text(
        "\n".join([lines[0]] + [x for x in lines if x.startswith("," + RETURNED)]) + "\n"
    )
    obs = tmp_path / "obs.csv"
    rows = [{"date": o.date.isoformat(), "place": o.place, "metric": o.metric, "value": o.value, "low": o.low,
             "high": o.high, "source": "synthetic", "note": ""} for o in synthetic]  # fmt: skip
    rows[1]["source"] = "a report of 30 Oct 2018"  # about 23 Oct, published after the last row's date
    pd.DataFrame(rows).to_csv(obs, index=False)
    out = tmp_path / "cal"
    r = corridor_cli("calibrate", folder, "--observations", obs, "--out", out, "--budget", 80, "--population", 20,
                     "--workers", 1)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert (
        "line 3: 2018-10-23 Chiapas asylum_requests_mexico_cumulative: reserved: its source is dated 2018-10-30"
        in r.stdout
    )
    assert "generation 0: epsilon" in r.stderr and "simulations/s" in r.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert [o["row"] for o in m["observations"]["used"]] == [2, 4, 5]
    assert m["priors_calibrated"] == [RETURNED] and m["budget"] == 80 and m["simulations"] <= 80
    assert list(pd.read_parquet(out / "posterior.parquet").columns) == [RETURNED, "weight", "distance", "particle"]


@pytest.mark.parametrize(
    "args, says",
    [
        (["calibrate", EXAMPLE, "--observations", OBSERVATIONS, "--out", "{tmp}/c"], "no priors"),
        (["calibrate", TIJUANA, "--observations", "{tmp}/nothing.csv", "--out", "{tmp}/c"], "nothing.csv"),
        (
            ["calibrate", TIJUANA, "--observations", OBSERVATIONS, "--out", "{tmp}/c", "--until", "2018-10-01"],
            "no observation left",
        ),
        (["calibrate", TIJUANA, "--observations", OBSERVATIONS, "--out", "{tmp}/c", "--until", "20 Nov"], "YYYY-MM-DD"),
        (["report", "{tmp}"], "{tmp}"),
        (["run", TIJUANA, "--posterior", "{tmp}", "--runs", "2", "--out", "{tmp}/r"], "not a calibration folder"),
    ],
)
def test_one_line_errors(tmp_path, args, says):
    r = corridor_cli(*[str(a).format(tmp=tmp_path) for a in args])
    assert r.returncode == 2
    assert r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert says.format(tmp=tmp_path) in r.stderr
    assert not (tmp_path / "c").exists() and not (tmp_path / "r").exists()
