"""The command line as a user meets it: run folders, one-line errors, nothing left behind."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_ports import write_native

from corridor import load as corridor_load

from conftest import flee_path

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"


def corridor(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "corridor.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "120"},
    )


def test_run_writes_the_run_folder(tmp_path):
    out = tmp_path / "run"
    r = corridor("run", flee_path("mali2012"), "--seed", 3, "--out", out)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "links.csv",
        "links.parquet",
        "manifest.json",
        "out.csv",
        "places.csv",
        "places.parquet",
        "scenario.json",
        "states.csv",
        "states.parquet",
        "validation.csv",
    ]
    table = pd.read_parquet(out / "places.parquet")
    assert list(table.columns) == [
        "day",
        "date",
        "place",
        "population",
        "arrivals",
        "departures",
        "in_transit",
        "spawned",
        "crowding",  # people / the capacity the model used, where it has one
    ]
    assert len(table) == 300 * 23
    sc = corridor_load(flee_path("mali2012")).scenario
    last = table[table["day"] == 299]
    last = last.set_index(last["place"].astype(str))
    for place in sc.places:
        c = sc.effective_capacity(place)
        crowding = last.loc[place.name, "crowding"]
        assert pd.isna(crowding) if c is None else crowding == last.loc[place.name, "population"] / c
    flee_out = pd.read_csv(out / "out.csv")
    for col in ("Day", "Date", "Mentao sim", "Mentao data", "Total error", "refugees in camps (simulation)"):
        assert col in flee_out.columns
    man = json.loads((out / "manifest.json").read_text())
    assert man["seed"] == 3 and len(man["scenario"]["hash"]) == 64 and "numba" in man["versions"]


def test_published_crowding_is_the_crowding_that_moves_people(tmp_path):
    # mali2012 runs at hasten 10: a tenth of the people against a tenth of each capacity. The crowding column
    # and the summary divide by the capacity the model used, not by the capacity in the file.
    out = tmp_path / "mali"
    r = corridor("run", flee_path("mali2012"), "--seed", 1, "--out", out)
    assert r.returncode == 0, r.stderr
    sc = corridor_load(flee_path("mali2012")).scenario
    assert sc.hasten == 10
    fassala = next(p for p in sc.places if p.name == "Fassala-Mbera")
    assert fassala.capacity == 75882 and sc.effective_capacity(fassala) == 7588  # 75882 // 10
    table = pd.read_csv(out / "places.csv")
    rows = table[table["place"] == "Fassala-Mbera"]
    last = rows.iloc[-1]
    assert last["crowding"] == pytest.approx(last["population"] / 7588, rel=1e-12)
    assert 0.6 < last["crowding"] < 0.8  # about 0.71 with seed 1 (the raw capacity gave 0.071)
    peak = rows["population"].max()
    assert f"{peak / 7588:.0%} of 7,588" in r.stdout  # the summary's peak crowding, same capacity


def test_days_option_shortens_the_run(tmp_path):
    r = corridor("run", flee_path("mali2012"), "--days", 20, "--out", tmp_path / "r", "--quiet")
    assert r.returncode == 0, r.stderr
    assert pd.read_csv(tmp_path / "r" / "out.csv").shape[0] == 20


def test_validate_json(tmp_path):
    r = corridor("validate", flee_path("mali2012"), "--runs", 2, "--seed", 5, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["runs"] == 2 and d["seed"] == 5 and len(d["ard_by_day"]) == 300
    assert isinstance(d["ard_mean"], float) and 0 < d["ard_mean"] < 1
    assert set(d["per_camp"]) == {
        "Fassala-Mbera",
        "Mentao",
        "Bobo-Dioulasso",
        "Abala",
        "Mangaize",
        "Niamey",
        "Tabareybarey",
    }


def test_validate_with_point_observations(tmp_path):
    obs = tmp_path / "obs.csv"
    obs.write_text(
        "date,place,metric,value,low,high,source,note\n"
        "2012-06-01,Mentao,present,3000,2000,4000,test,\n"
        "2012-06-01,Burkina_Faso,present,3000,2000,4000,test,a country sums its places\n"
        "2012-06,Mentao,present,10,5,20,test,a stock over a month: its mean\n"
    )
    r = corridor("validate", flee_path("mali2012"), "--observations", obs, "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["observations"]
    assert [o["metric"] for o in rows] == ["present", "present", "present"] and rows[2]["date"] == "2012-06"
    assert rows[0]["simulated"] > 0 and rows[1]["simulated"] >= rows[0]["simulated"] and rows[2]["simulated"] > 0
    # a metric the scenario cannot produce (mali2012 has no ports) is a one-line error naming the valid ones
    obs.write_text(obs.read_text().replace("2012-06,Mentao,present", "2012-06,Mentao,waitlist_length"))
    r = corridor("validate", flee_path("mali2012"), "--observations", obs, "--json")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert f"{obs}:4: field 'metric': metric 'waitlist_length' is not produced by this scenario: no ports" in r.stderr
    assert "expected one of present, in_transit" in r.stderr


def test_check_reports_the_scenario():
    r = corridor("check", flee_path("car"))
    assert r.returncode == 0, r.stderr
    assert "car (flee format)" in r.stdout and "ok" in r.stdout


def corrupt(tmp_path, name, file, old, new):
    dst = tmp_path / name
    shutil.copytree(flee_path(name), dst)
    path = dst / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return dst


@pytest.mark.parametrize(
    "file,old,new,expect",
    [
        ("input_csv/routes.csv", "Douentza,Mentao,487", "Douentza,Mentaoo,487", ["routes.csv:2", "name2", "Mentaoo"]),
        ("input_csv/routes.csv", "Douentza,Mentao,487", "Douentza,Mentao,-487", ["routes.csv:2", "distance", "-487"]),
        ("input_csv/routes.csv", "Douentza,Mentao,487", "Douentza,Mentao,4x7", ["routes.csv:2", "distance", "4x7"]),
        # a repeated name is only a warning (as in Flee), but the roads to the renamed place now lead
        # nowhere, which Flee refuses too: the one line names the first such road
        (
            "input_csv/locations.csv",
            '"Timbuktu","Timbuktu"',
            '"Kidal","Timbuktu"',
            ["routes.csv:19", "name1", "Timbuktu"],
        ),
        ("input_csv/sim_period.csv", "2012-02-29", "2012-02-30", ["sim_period.csv:1", "StartDate", "2012-02-30"]),
    ],
)
def test_bad_input_gives_one_line_and_no_output(tmp_path, file, old, new, expect):
    scenario = corrupt(tmp_path, "mali2012", file, old, new)
    out = tmp_path / "out"
    r = corridor("run", scenario, "--out", out)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    for word in expect:
        assert word in lines[0], (word, lines[0])
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")], "no temporary folder left"


def test_missing_file_is_named(tmp_path):
    scenario = tmp_path / "mali2012"
    shutil.copytree(flee_path("mali2012"), scenario)
    (scenario / "input_csv" / "routes.csv").unlink()
    r = corridor("check", scenario)
    assert r.returncode == 2 and "routes.csv" in r.stderr and "file not found" in r.stderr


def test_not_a_scenario_folder(tmp_path):
    r = corridor("run", tmp_path, "--out", tmp_path / "o")
    assert r.returncode == 2 and "not a scenario folder" in r.stderr and not (tmp_path / "o").exists()


@pytest.mark.skipif(not (EXAMPLE / "scenario.yaml").is_file(), reason="bundled example not present")
def test_bundled_example_runs(tmp_path):
    r = corridor("run", EXAMPLE, "--out", tmp_path / "ex")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "ex" / "places.parquet").is_file()


def test_run_with_several_seeds_writes_their_spread(tmp_path):
    out = tmp_path / "ens"
    r = corridor("run", EXAMPLE, "--runs", 3, "--seed", 4, "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    ens = pd.read_parquet(out / "ensemble.parquet")
    assert json.loads((out / "manifest.json").read_text())["ensemble_seeds"] == [4, 5, 6]
    assert set(ens["variable"]) == {"population", "states"}  # the example has no ports
    for lo, hi in (("p05", "p25"), ("p25", "p50"), ("p50", "p75"), ("p75", "p95")):
        assert (ens[lo] <= ens[hi]).all()
    assert (ens["p95"] > ens["p05"]).any(), "different seeds spread somewhere"
    # the main tables are still seed 4's alone
    single = tmp_path / "one"
    corridor("run", EXAMPLE, "--seed", 4, "--out", single, "--quiet")
    assert (out / "places.csv").read_bytes() == (single / "places.csv").read_bytes()


def test_compare_two_policies(tmp_path):
    scn = write_native(tmp_path / "scn", "port,capacity_per_day,signup_places\nSan Ysidro,40,Shelter\n")
    assert corridor("run", scn, "--out", tmp_path / "a", "-q").returncode == 0
    r = corridor("run", scn, "--out", tmp_path / "b", "-q", "--set", "ports.san_ysidro.capacity_per_day=100")
    assert r.returncode == 0, r.stderr
    r = corridor("compare", tmp_path / "a", tmp_path / "b", "--json")
    assert r.returncode == 0, r.stderr
    port = json.loads(r.stdout)["ports"]["San Ysidro"]
    assert port["claims processed"] == [400.0, 1000.0]  # 10 days at 40, then at 100
    assert port["waiting list at the end"] == [600.0, 0.0]
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["overrides"] == [
        "ports.san_ysidro.capacity_per_day=100"
    ]
    bad = corridor("compare", tmp_path / "a", tmp_path / "nothing")
    assert bad.returncode == 2 and "not a run folder" in bad.stderr


def test_run_summary_counts_the_reported_figures_in_range(tmp_path):
    out = tmp_path / "tj"
    r = corridor("run", EXAMPLE.parent / "tijuana-2018", "--out", out)
    assert r.returncode == 0, r.stderr
    points = pd.read_csv(out / "points.csv")
    scored = points[points["simulated"].notna()]
    line = f"reported figures (points.csv): {int(scored['within_range'].sum())} of {len(scored)} within"
    assert line in " ".join(r.stdout.split()), r.stdout


def test_strict_refuses_what_flee_only_warns_about(tmp_path):
    """A repeated place name: Flee warns and goes on (so does corridor, in one line naming file and row);
    --strict makes it the usual one-line error, on every command that reads a scenario."""
    scenario = tmp_path / "mali2012"
    shutil.copytree(flee_path("mali2012"), scenario)
    locations = scenario / "input_csv" / "locations.csv"
    text = locations.read_text()
    last = text.rstrip("\n").splitlines()[-1]
    locations.write_text(text.rstrip("\n") + "\n" + last + "\n")
    row = len(locations.read_text().splitlines())

    lenient = corridor("check", scenario)
    assert lenient.returncode == 0, lenient.stderr
    warnings = [ln for ln in lenient.stderr.splitlines() if ln.strip()]
    assert len(warnings) == 1 and f"locations.csv:{row}" in warnings[0] and "warning" in warnings[0], warnings

    for command in (["check"], ["params"], ["run", "--days", "2", "--out", tmp_path / "out"], ["validate"]):
        r = corridor(*command[:1], scenario, *command[1:], "--strict")
        assert r.returncode == 2, (command, r.stdout, r.stderr)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), (command, lines)
        assert f"locations.csv:{row}" in lines[0] and "Tabareybarey" in lines[0], lines[0]
    assert not (tmp_path / "out").exists()
