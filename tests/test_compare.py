"""`corridor compare` on two ensembles: run i of B against run i of A on common random numbers (the same
seeds and posterior draws), each figure's paired difference with its 90% interval and P(B better)."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from test_ports import write_native
from typer.testing import CliRunner

import corridor
from corridor.cli import app
from corridor.errors import CorridorError
from corridor.output.summary import histogram_quantile
from corridor.report.compare import paired

PORT_40 = "port,capacity_per_day,signup_places\nSan Ysidro,40,Shelter\n"
FASTER = "ports.san_ysidro.capacity_per_day=100"


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "corridor.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "160"},
    )


def ensemble(scn, out, *args, runs=4):
    """`corridor run --runs` in this process (no interpreter to start for each ensemble)."""
    r = CliRunner().invoke(app, list(map(str, ["run", scn, "--runs", runs, "--workers", 1, "-q", "--out", out, *args])))
    assert r.exit_code == 0, r.output
    return out


def posterior(folder, values, capacities=None):
    """A hand-made calibration folder: a prior on the spawn rate (and on the shelter's capacity), its
    particles at `values` (and `capacities`), equal weights."""
    folder.mkdir()
    priors = [{"name": "spawn.rate", "levers": ["spawn.rate"], "distribution": "uniform", "low": 50, "high": 150,
               "source": "a test"}]  # fmt: skip
    table = {"spawn.rate": values}
    if capacities is not None:
        priors.append({"name": "places.shelter.capacity", "levers": ["places.shelter.capacity"],
                       "distribution": "intuniform", "low": 10, "high": 1000, "source": "a test"})  # fmt: skip
        table["places.shelter.capacity"] = capacities
    (folder / "manifest.json").write_text(json.dumps({"kind": "corridor-calibration", "priors": priors}))
    pd.DataFrame({**table, "weight": 1.0}).to_parquet(folder / "posterior.parquet")
    return folder


@pytest.fixture(scope="module")
def border(tmp_path_factory):
    """A port taking 40 claims a day (A) or 100 (B) from 100 people arriving a day for 10 days: after 10
    days A has 600 on its list and B none, whatever the seed."""
    tmp = tmp_path_factory.mktemp("cmp")
    scn = write_native(tmp / "scn", PORT_40)
    a = ensemble(scn, tmp / "a")
    b = ensemble(scn, tmp / "b", "--set", FASTER)
    return scn, a, b


def test_the_faster_port_is_better_in_every_pair(border):
    _, a, b = border
    c = corridor.compare(a, b)
    assert c["runs"] == 4 and c["seeds"] == [0, 1, 2, 3] and c["days"] == 10 and c["last_date"] == "2018-11-10"
    assert c["parameters"] == {"ports.san_ysidro.capacity_per_day": (40.0, 100.0)}
    port = c["sections"]["port San Ysidro"]
    end = port["waiting list at the end"]
    assert end == {"better": "lower", "pairs": 4, "a": 600.0, "b": 0.0, "difference": -600.0, "p05": -600.0,
                   "p95": -600.0, "p_b_better": 1.0}  # fmt: skip
    done = port["claims processed"]
    assert (done["a"], done["b"], done["better"], done["p_b_better"]) == (400.0, 1000.0, "higher", 1.0)
    wait = port["median wait (days)"]
    assert wait["better"] == "lower" and wait["p95"] < 0 and wait["p_b_better"] == 1.0
    assert c["sections"]["people in each state at the end"]["on list"]["difference"] == -600.0
    # a place without a capacity is shown when its people at the end changed: where the list waits
    assert list(c["sections"]) == ["people in each state at the end", "port San Ysidro", "place Shelter"]
    assert c["sections"]["place Shelter"]["people at the end"]["difference"] == -600.0


def test_the_table_states_the_direction_and_the_interval(border):
    _, a, b = border
    r = cli("compare", a, b)
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert "4 pairs of runs (seeds 0..3), to 2018-11-10" in text
    assert "port San Ysidro" in text and "P(B better)" in text and "90% interval" in text
    row = next(line for line in text.splitlines() if "waiting list at the end" in line)
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    assert cells == ["waiting list at the end", "lower", "600", "0", "-600", "[-600, -600]", "1.00"]


def test_identical_policies_differ_by_nothing(border, tmp_path):
    scn, a, _ = border
    same = ensemble(scn, tmp_path / "same")
    c = corridor.compare(a, same)
    rows = [r for section in c["sections"].values() for r in section.values()]
    assert rows and all(r["difference"] == r["p05"] == r["p95"] == 0 for r in rows)
    assert all(r["p_b_better"] == 0.5 for r in rows if r["better"] is not None)


def test_json_is_one_object_and_the_same_bytes_twice(border):
    _, a, b = border
    first, second = cli("compare", a, b, "--json"), cli("compare", a, b, "--json")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and first.stdout.count("\n") == 1
    c = json.loads(first.stdout)
    assert set(c) == {"a", "b", "runs", "seeds", "days", "last_date", "posterior_levers", "parameters", "overrides",
                      "interval", "sections"}  # fmt: skip
    for section in c["sections"].values():
        for row in section.values():
            assert set(row) == {"better", "pairs", "a", "b", "difference", "p05", "p95", "p_b_better"}
            assert row["better"] in ("lower", "higher", None)


@pytest.mark.parametrize(
    "args,says",
    [
        (["--seed", 7], "run 0 has seed 7, against seed 0 in"),
        (["--runs", 3], "3 runs against 4 in"),
        (["--days", 8], "8 days against 10 in"),
    ],
)
def test_runs_without_common_random_numbers_are_refused(border, tmp_path, args, says):
    scn, a, _ = border
    runs = 3 if "--runs" in args else 4
    other = ensemble(scn, tmp_path / "other", *[x for x in args if x not in ("--runs", 3)], "--set", FASTER,
                     runs=runs)  # fmt: skip
    r = cli("compare", a, other)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert says in lines[0] and str(other) in lines[0]
    assert "run both with the same --posterior, --runs, --seed and --days" in lines[0]


def test_an_ensemble_against_a_single_run_is_refused(border, tmp_path):
    scn, a, _ = border
    one = ensemble(scn, tmp_path / "one", runs=1)
    r = cli("compare", one, a)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert f"{one}: a single run, where {a} is an ensemble of 4 runs" in r.stderr


def test_posterior_runs_are_paired_on_the_same_draws(border, tmp_path):
    scn = border[0]
    post = posterior(tmp_path / "post", [60.0, 90.0, 120.0])
    a = ensemble(scn, tmp_path / "pa", "--posterior", post, runs=3)
    b = ensemble(scn, tmp_path / "pb", "--posterior", post, "--set", FASTER, runs=3)
    c = corridor.compare(a, b)
    assert c["posterior_levers"] == ["spawn.rate"]
    assert len(pd.read_parquet(a / "ensemble" / "draws.parquet")) == 3
    processed = c["sections"]["port San Ysidro"]["claims processed"]
    assert processed["p05"] > 0 and processed["p_b_better"] == 1.0
    # the same posterior with another seed draws other rates: refused, naming B's folder
    other = ensemble(scn, tmp_path / "pc", "--posterior", posterior(tmp_path / "p2", [70.0, 140.0]), runs=3)
    r = cli("compare", a, other)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert f"{other}: its posterior draws differ from {a}'s (spawn.rate in run" in r.stderr
    # posterior draws on one side only
    plain = ensemble(scn, tmp_path / "plain", runs=3)
    with pytest.raises(CorridorError, match="no posterior draws"):
        corridor.compare(plain, b)


def test_a_shelter_is_measured_against_each_run_s_own_capacity(border, tmp_path):
    scn = border[0]
    post = posterior(tmp_path / "post", [100.0, 100.0, 100.0, 100.0], [100, 300, 700, 900])
    a = ensemble(scn, tmp_path / "ca", "--posterior", post)
    b = ensemble(scn, tmp_path / "cb", "--posterior", post, "--set", FASTER)
    shelter = corridor.compare(a, b)["sections"]["place Shelter"]
    drawn = pd.read_parquet(a / "ensemble" / "draws.parquet")["places.shelter.capacity"].to_numpy(float)
    assert shelter["capacity"]["a"] == shelter["capacity"]["b"] == np.median(drawn)
    assert shelter["capacity"]["difference"] == 0
    summaries = corridor.output.summary.Ensemble.open(a / "ensemble")
    runs = [summaries.summary(i) for i in range(4)]
    peaks = np.array([s.series["population"][:, s.names["population"].index("Shelter")].max() for s in runs], float)
    assert (peaks > drawn).any() and (peaks < drawn).any()  # over capacity in some runs, not in others
    assert shelter["people over capacity at the peak"]["a"] == np.median(np.maximum(peaks - drawn, 0))


def test_paired_figures_on_a_hand_made_case():
    a = np.array([10.0, 10.0, 10.0, 10.0])
    b = np.array([8.0, 10.0, 12.0, np.nan])  # the last pair has no value in B: left out
    r = paired(a, b, "lower")
    assert r["pairs"] == 3 and r["difference"] == 0.0 and r["p05"] == pytest.approx(-1.8)
    assert r["p_b_better"] == pytest.approx((1 + 0.5) / 3)  # one better, one tie
    assert paired(a, b, "higher")["p_b_better"] == pytest.approx((1 + 0.5) / 3)
    assert paired(a, b, None)["p_b_better"] is None


def test_the_median_wait_from_the_histogram_is_numpys():
    rng = np.random.default_rng(0)
    for _ in range(50):
        waits = rng.integers(0, 20, rng.integers(1, 40))
        counts = np.bincount(waits, minlength=20)[None, :, None]
        for q in (50, 90):
            assert histogram_quantile(counts, q)[0, 0] == pytest.approx(np.percentile(waits, q))
    assert np.isnan(histogram_quantile(np.zeros((1, 5, 1), int), 50)[0, 0])
