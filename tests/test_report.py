"""`corridor report`: a self-contained HTML report of one run folder, or two compared."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_ports import write_native
from typer.testing import CliRunner

from corridor.cli import app
from corridor.errors import CorridorError
from corridor.output.runfolder import load_run
from corridor.report.compare import compare_runs
from corridor.report.html import (
    BASEMAP,
    OUTCOME_STATES,
    _capacities,
    _road_flows,
    build_report,
    fig_port,
    port_capacity,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"
PORTS_CSV = "port,capacity_per_day,signup_places\nSan Ysidro,40,Shelter\n"
runner = CliRunner()


def make_run(scenario: Path, out: Path, seed: int = 0) -> Path:
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--seed", str(seed), "-q"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> Path:
    return make_run(EXAMPLE, tmp_path_factory.mktemp("ex") / "example")


@pytest.fixture(scope="module")
def port_run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("port")
    return make_run(write_native(base / "scn", PORTS_CSV), base / "border")


def assert_self_contained(text: str) -> None:
    assert "http://" not in text and "https://" not in text
    assert "<script src" not in text.lower()
    assert "<link" not in text.lower()


def test_report_of_the_example(example_run):
    result = runner.invoke(app, ["report", str(example_run)])
    assert result.exit_code == 0, result.output
    page = (example_run / "report.html").read_text()
    assert_self_contained(page)
    assert "<title>corridor report: example" in page
    sections = ("Summary", "People per place over time", "Map of places, roads and flows", "Validation: ARD per day")
    for section in sections:
        assert f">{section}</h2>" in page
    assert 'id="manifest"' in page and 'id="parameters"' in page
    # every lever as `corridor params` names it, move and spawn rules among them
    assert ">move.max_move_speed<" in page and ">spawn.mode<" in page
    assert '<tr class="set">' not in page and "was run with" not in page  # a run without overrides marks none
    assert "Fenmoor Camp" in page
    assert "data:image/png;base64," in page
    figs = sorted(p.name for p in (example_run / "figures").glob("*.png"))
    assert {"places.png", "map.png", "map-dates.png", "ard.png"} <= set(figs)
    assert all((example_run / "figures" / f).stat().st_size > 5000 for f in figs)
    assert "Ports of entry" not in page
    assert "set out along the road" in page  # road widths drawn from links.parquet


def test_road_flows_drawn_on_the_map_add_up_to_departures(example_run):
    run = load_run(example_run)
    days = len(run.wide())
    whole = _road_flows(run, 0, days - 1)
    assert whole.sum() == run.places["departures"].sum() > 0
    # the map's dated panels split the run into windows that add up to the whole
    cut = days // 2
    assert np.array_equal(_road_flows(run, 0, cut) + _road_flows(run, cut + 1, days - 1), whole)


def test_report_of_a_port_run(port_run):
    path = build_report([port_run])
    page = path.read_text()
    assert_self_contained(page)
    assert ">Ports of entry</h2>" in page and "<h3>San Ysidro</h3>" in page
    assert "claims processed" in page
    # 10 days x 40 a day processed; the list grows by 60 a day
    assert '<td class="n">400</td>' in page and '<td class="n">600</td>' in page
    assert "no coordinates" in page  # the places have no lat/lon: map skipped with a note
    assert (port_run / "figures" / "port-1.png").is_file()
    assert "Capacity as run: 40 claims a day." in page
    assert "Validation" not in page


def test_the_basemap_ships_with_the_package():
    # the report draws country outlines from corridor/data/; a wrong path silently drew maps without them
    assert BASEMAP.is_file() and BASEMAP.stat().st_size > 100_000


def test_report_without_the_scenario_skips_the_map(port_run, tmp_path):
    moved = tmp_path / "copy"
    shutil.copytree(port_run, moved)
    mf = json.loads((moved / "manifest.json").read_text())
    mf["scenario"]["source"] = str(tmp_path / "gone")
    (moved / "manifest.json").write_text(json.dumps(mf))
    # the run folder keeps the scenario as run: the report needs no scenario folder
    page = build_report([moved]).read_text()
    assert "could not be re-loaded" not in page and ">ports.san_ysidro.capacity_per_day<" in page
    assert "Capacity as run: 40 claims a day." in page
    # a folder written before scenario.json existed, whose scenario folder is gone: no map, no parameters
    (moved / "scenario.json").unlink()
    page = build_report([moved]).read_text()
    assert "no map" in page and "could not be re-loaded" in page and "named in manifest.json is not there" in page
    assert ">Ports of entry</h2>" in page


def test_two_runs_compared(example_run, tmp_path):
    other = make_run(EXAMPLE, tmp_path / "example-seed3", seed=3)
    out = tmp_path / "cmp" / "compare.html"
    result = runner.invoke(app, ["report", str(example_run), str(other), "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert_self_contained(page)
    assert "example vs example-seed3" in page
    assert page.count("<td>example-seed3</td>") >= 1  # a summary row per run
    figs = {p.name for p in (tmp_path / "cmp" / "figures" / "compare").glob("*.png")}
    assert {"places.png", "ard.png", "map-1.png", "map-2.png", "map-compare.png"} <= figs
    assert "Both runs on one map" in page


def test_two_port_runs_compared(port_run, tmp_path):
    base = tmp_path / "p2"
    base.mkdir()
    other = make_run(write_native(base / "scn", PORTS_CSV.replace(",40,", ",25,")), base / "slower")
    path = build_report([port_run, other])
    assert path == port_run / "compare-slower.html"
    page = path.read_text()
    assert "<h3>San Ysidro</h3>" in page
    assert '<td class="n">250</td>' in page  # the slower port processed 25 a day
    assert (port_run / "figures" / "compare-slower" / "port-1.png").is_file()


@pytest.mark.parametrize("make", ["empty", "missing", "bad-json"])
def test_not_a_run_folder(tmp_path, make):
    folder = tmp_path / "x"
    if make != "missing":
        folder.mkdir()
    if make == "bad-json":
        (folder / "manifest.json").write_text("{not json")
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == 2
    assert "error:" in result.output and str(folder) in result.output
    assert "Traceback" not in result.output
    with pytest.raises(CorridorError):
        build_report([folder])


def test_scenario_folder_is_not_a_run_folder():
    result = runner.invoke(app, ["report", str(EXAMPLE)])
    assert result.exit_code == 2
    assert "not a run folder" in result.output


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def tijuana_run(tmp_path_factory) -> Path:
    return make_run(
        Path(__file__).resolve().parents[1] / "scenarios" / "tijuana-2018", tmp_path_factory.mktemp("tj") / "R"
    )


@pytest.mark.parametrize("which", ["example", "tijuana-2018"])
def test_report_opens_in_a_headless_browser(which, request, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not on PATH (install the Debian package 'chromium' to run this test)")
    run = request.getfixturevalue("example_run" if which == "example" else "tijuana_run")
    report = build_report([run])
    assert_self_contained(report.read_text())
    shot = tmp_path / "shot.png"
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    shot_run = subprocess.run(
        [*cmd, f"--screenshot={shot}", "--window-size=1200,2000", report.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.is_file(), shot_run.stderr[-2000:]
    assert shot.stat().st_size > 20_000
    dom = subprocess.run([*cmd, "--dump-dom", report.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    assert f"corridor report: {which}" in dom.stdout
    assert "People per place over time" in dom.stdout
    assert "Map of places, roads and flows" in dom.stdout
    # every figure written to figures/ is in the page the browser loaded, as an embedded PNG
    figures = list((run / "figures").glob("*.png"))
    assert len(figures) >= 3 and dom.stdout.count('src="data:image/png;base64,') == len(figures)
    for stderr in (shot_run.stderr, dom.stderr):
        bad = [line for line in stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
        assert not bad, bad


def test_point_observations_are_kept_and_drawn(tmp_path):
    import pandas as pd

    import corridor

    root = Path(__file__).resolve().parents[1]
    res = corridor.load(root / "scenarios" / "tijuana-2018").run(seed=0)
    out = res.save(tmp_path / "tj")
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 31
    assert points.loc[points["metric"] == "present", "simulated"].notna().all()
    html = build_report([out]).read_text()
    assert 'id="observations"' in html and (out / "figures" / "observations.png").is_file()
    assert 'id="occupancy"' in html and (out / "figures" / "occupancy.png").is_file()
    assert 'id="outcomes"' in html and (out / "figures" / "outcomes.png").is_file()  # lists, custody, returns


TIJUANA = Path(__file__).resolve().parents[1] / "scenarios" / "tijuana-2018"
SY100 = "ports.san_ysidro.capacity_per_day=100"
PRIVATE = "places.tijuana_private_shelters.capacity=150"


def make_short_run(out: Path, *overrides: str) -> Path:
    args = ["run", str(TIJUANA), "--out", str(out), "--days", "50", "-q"]
    for o in overrides:
        args += ["--set", o]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def tijuana_pair(tmp_path_factory) -> tuple[Path, Path]:
    """tijuana-2018 for 50 days as it is, and with San Ysidro at 100 a day and the private shelters at 150."""
    base = tmp_path_factory.mktemp("tjset")
    return make_short_run(base / "baseline"), make_short_run(base / "sy100", SY100, PRIVATE)


def test_report_of_a_run_with_overrides_shows_the_run_as_run(tijuana_pair):
    _, run_dir = tijuana_pair
    page = build_report([run_dir]).read_text()
    # the lever at the value the run used, marked as set, with the scenario's own value beside it
    row = (
        '<tr class="set"><td>ports.san_ysidro.capacity_per_day</td>'
        '<td class="n">100 (set with --set; the scenario&#x27;s own value: 40)</td></tr>'
    )
    assert row in page
    assert 'places.tijuana_private_shelters.capacity</td><td class="n">150 (set with --set' in page
    assert page.count('<tr class="set">') == 2  # only the levers set
    assert "changed since this run" not in page
    # drawn as run: the port's capacity and the shelter's
    run = load_run(run_dir)
    cap = port_capacity(run, "San Ysidro")
    # 100 a day as set until the scenario's own dated change (14 Nov, also 100); 19 Nov closed 3 hours
    assert cap is not None and len(cap) == 50 and (cap[:49] == 100).all() and cap[49] == 100 * (1 - 3 / 24)
    assert "Capacity as run: 87.5 to 100 claims a day" in page
    assert "(capacity 87.5 to 100 claims a day" in fig_port([run], "San Ysidro").get_suptitle()
    assert _capacities([run])["Tijuana private shelters"] == [150.0]


def test_compare_shows_what_the_overrides_changed(tijuana_pair):
    a, b = tijuana_pair
    c = compare_runs(a, b)
    assert c["parameters"] == {
        "ports.san_ysidro.capacity_per_day": (40.0, 100.0),
        "places.tijuana_private_shelters.capacity": (300, 150),
    }
    assert c["overrides"] == ([], [SY100, PRIVATE])
    html = build_report([a, b]).read_text()
    assert "2 of " in html and " levers differ between the runs" in html
    assert '<tr class="set differs"><td>ports.san_ysidro.capacity_per_day</td><td class="n">40</td>' in html
    assert "Capacity as run: baseline: 40 to 100 claims a day" in html  # 40, then 100 from 14 Nov
    ca, cb = port_capacity(load_run(a), "San Ysidro"), port_capacity(load_run(b), "San Ysidro")
    assert (ca[:44] == 40).all() and (cb[:44] == 100).all() and (ca[44:] == cb[44:]).all()
    assert _capacities([load_run(a), load_run(b)])["Tijuana private shelters"] == [300.0, 150.0]
    result = runner.invoke(app, ["compare", str(a), str(b)])
    assert result.exit_code == 0, result.output
    assert "parameters that differ" in result.output and "ports.san_ysidro.capacity_per_day" in result.output


def test_outcome_charts_are_the_registry_states_of_the_border_processes():
    from corridor import states

    drawn = set(OUTCOME_STATES)
    for s in states.STATES:
        travelling = s.owner in ("movement", "caravans")
        assert (s.name in drawn) == (s.counted and not travelling), s.name
