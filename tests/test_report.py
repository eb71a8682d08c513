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
from corridor.report.html import _road_flows, build_report, load_run

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
    assert ">max_move_speed<" in page and ">mode<" in page  # move and spawn parameters
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
    assert "Validation" not in page


def test_report_without_the_scenario_skips_the_map(port_run, tmp_path):
    moved = tmp_path / "copy"
    shutil.copytree(port_run, moved)
    mf = json.loads((moved / "manifest.json").read_text())
    mf["scenario"]["source"] = str(tmp_path / "gone")
    (moved / "manifest.json").write_text(json.dumps(mf))
    page = build_report([moved]).read_text()
    assert "no map" in page and "could not be re-loaded" in page
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
