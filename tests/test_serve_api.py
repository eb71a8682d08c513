"""The what-if server's JSON API: what a planner's page (or a script) can ask, and what it is refused."""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("httpx", reason="the API tests use FastAPI's test client, which needs httpx")
from fastapi.testclient import TestClient  # noqa: E402

import corridor  # noqa: E402
from corridor.output.summary import QUANTILES, summarise  # noqa: E402
from corridor.scenario.parameters import list_params  # noqa: E402
from corridor.serve.app import Limits, create_app  # noqa: E402
from corridor.serve.catalog import Catalog  # noqa: E402
from corridor.serve.jobs import InProcess  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
EXAMPLE_LEVER = "places.fenmoor_camp.capacity"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog([SCENARIOS])


@pytest.fixture(scope="module")
def client(catalog):
    with TestClient(create_app([SCENARIOS], catalog=catalog, limits=Limits(max_runs=50, max_days=400))) as c:
        yield c


def wait(client, job_id: str, timeout: float = 120) -> dict:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        body = client.get(f"/api/runs/{job_id}").json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"run {job_id} not finished in {timeout} s")


def submit(client, **body) -> dict:
    r = client.post("/api/runs", json=body)
    assert r.status_code == 202, r.text
    return wait(client, r.json()["id"])


def test_scenarios_are_listed_with_every_lever_and_its_default(client):
    body = client.get("/api/scenarios").json()
    names = [s["name"] for s in body["scenarios"]]
    assert names == ["example", "necocli-2021", "tijuana-2018"]
    tj = next(s for s in body["scenarios"] if s["name"] == "tijuana-2018")
    levers = {lv["name"]: lv for lv in tj["levers"]}
    own = list_params(corridor.load(SCENARIOS / "tijuana-2018").scenario)
    assert set(levers) == set(own)  # the same list as `corridor params`
    sy = levers["ports.san_ysidro.capacity_per_day"]
    assert (sy["value"], sy["group"], sy["unit"]) == (40.0, "ports", "people a day")
    assert sy["label"] == "San Ysidro: claims processed a day"
    assert levers["asylum.remain_in_mexico_from"]["value"] == "2019-01-29"  # a date, as the page's date input takes
    assert [g["id"] for g in tj["groups"]][:2] == ["ports", "shelters"]
    assert body["limits"]["max_runs"] == 50


def test_one_scenario_carries_its_map(client):
    body = client.get("/api/scenarios/tijuana-2018").json()
    places = {p["name"]: p for p in body["places"]}
    assert places["El Barretal"]["capacity"] == 6000 and places["El Barretal"]["kind"] == "shelter"
    assert body["ports"] == ["San Ysidro", "Otay Mesa", "Calexico"]
    assert {"a", "b", "km"} <= set(body["roads"][0])


def test_a_what_if_has_bands_a_baseline_and_their_difference(client):
    body = submit(client, scenario="example", overrides=[f"{EXAMPLE_LEVER}=500"], runs=6, seed=3)
    assert body["status"] == "done", body["error"]
    assert body["progress"] == {"done": 12, "total": 12, "stage": "done"}  # six what-if runs, six baseline runs
    res = body["result"]
    assert res["seeds"] == [3, 4, 5, 6, 7, 8]
    camp = next(s for s in res["series"] if s["id"] == "place:Fenmoor Camp")
    assert camp["capacity"] == 500
    # the bands are the percentiles over the runs of the scenario with the override, seed by seed
    sim = corridor.load(SCENARIOS / "example")
    from corridor.scenario.parameters import apply_overrides

    what_if = corridor.api.Simulation(apply_overrides(sim.scenario, [f"{EXAMPLE_LEVER}=500"]))
    j = [p.name for p in sim.scenario.places].index("Fenmoor Camp")
    stack = np.stack([summarise(what_if.run(seed=s)).series["population"][:, j] for s in res["seeds"]])
    for q in QUANTILES:
        expected = np.round(np.percentile(stack, q, axis=0), 1)
        assert np.allclose(camp["band"][f"p{q:02d}"], expected)
    base = np.stack([summarise(sim.run(seed=s)).series["population"][:, j] for s in res["seeds"]])
    assert np.allclose(camp["baseline"]["p50"], np.round(np.median(base, axis=0), 1))
    assert np.allclose(camp["difference"]["p50"], np.round(np.median(stack - base, axis=0), 1))
    assert len(res["map"]["population_p50"]) == len(res["dates"]) == sim.scenario.days


def test_a_change_to_nothing_differs_by_exactly_nothing(client):
    """The what-if and the baseline share their seeds, so a lever set to its own value changes no run."""
    own = list_params(corridor.load(SCENARIOS / "example").scenario)[EXAMPLE_LEVER]
    assert own == 9000
    body = submit(client, scenario="example", overrides=[f"{EXAMPLE_LEVER}={own}"], runs=4)
    assert body["status"] == "done"
    camp = next(s for s in body["result"]["series"] if s["id"] == "place:Fenmoor Camp")
    assert camp["capacity"] == 9000 and camp["baseline"] is not None
    for band in (camp["difference"], *[s["difference"] for s in body["result"]["series"]]):
        assert all(v in (0, None) for vs in band.values() for v in vs)


def test_no_overrides_runs_no_baseline(client):
    body = submit(client, scenario="example", runs=3)
    assert body["progress"]["total"] == 3
    assert all(s["baseline"] is None and s["difference"] is None for s in body["result"]["series"])


def test_tijuana_what_if_moves_the_list_the_right_way(client):
    """More claims processed a day at San Ysidro: a shorter list and shorter waits at the end, in every run."""
    body = submit(client, scenario="tijuana-2018", overrides=["ports.san_ysidro.capacity_per_day=100"], runs=5)
    assert body["status"] == "done", body["error"]
    figures = {f["id"]: f for f in body["result"]["figures"]}
    assert figures["port:San Ysidro:waitlist"]["difference"]["p95"] < 0
    assert figures["port:San Ysidro:wait_days"]["difference"]["p95"] < 0


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"scenario": "tijuana-2018", "overrides": ["ports.nowhere.capacity_per_day=1"]}, 422, "unknown parameter"),
        ({"scenario": "tijuana-2018", "overrides": ["ports.san_ysidro.capacity_per_day=-5"]}, 422, "greater than"),
        ({"scenario": "tijuana-2018", "overrides": ["no equals sign"]}, 422, "NAME=VALUE"),
        ({"scenario": "tijuana-2018", "runs": 51}, 422, "at most 50"),
        ({"scenario": "tijuana-2018", "runs": 0}, 422, "runs"),
        ({"scenario": "tijuana-2018", "days": 124}, 422, "at most 123"),
        ({"scenario": "tijuana-2018", "runs": "many"}, 422, "runs"),
        ({"overrides": []}, 422, "scenario"),
        ({"scenario": "nowhere"}, 404, "no scenario named 'nowhere'"),
        ({"scenario": "../scenarios/tijuana-2018"}, 404, "no scenario named"),
        ({"scenario": "/etc"}, 404, "no scenario named"),
    ],
)
def test_bad_requests_get_one_line_errors(client, body, status, words):
    r = client.post("/api/runs", json=body)
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and words in detail


def test_a_bad_override_gets_the_command_lines_error(client, tmp_path):
    from typer.testing import CliRunner

    from corridor.cli import app

    bad = "ports.san_ysidro.capacity_per_day=-5"
    cli = CliRunner().invoke(app, ["run", str(SCENARIOS / "tijuana-2018"), "--set", bad, "-o", str(tmp_path / "r")])
    assert cli.exit_code == 2
    api = client.post("/api/runs", json={"scenario": "tijuana-2018", "overrides": [bad]}).json()["detail"]
    assert " ".join(cli.output.split()) == f"error: {api}"
    assert not (tmp_path / "r").exists()


def test_a_malformed_body_is_refused_in_one_line(client):
    r = client.post("/api/runs", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "\n" not in r.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/scenarios/..%2F..%2Fpyproject.toml",
        "/api/scenarios/../../etc/passwd",
        "/api/scenarios/%2e%2e/%2e%2e/etc/passwd",
        "/api/scenarios/tijuana-2018/../../../pyproject.toml",
        "/static/../pyproject.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%2F..%2F..%2Fpyproject.toml",
        "/static/vendor/../../app.py",
        "/api/runs/..%2F..%2Fetc",
        "/api/runs/nope/run.zip",
    ],
)
def test_nothing_outside_the_served_folders_is_reachable(client, path):
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code, r.text[:200])
    assert "[build-system]" not in r.text and "root:" not in r.text


def test_unknown_scenario_lists_the_served_ones(client):
    r = client.get("/api/scenarios/nowhere")
    assert r.status_code == 404 and "example, necocli-2021, tijuana-2018" in r.json()["detail"]


def test_the_run_folder_and_its_report_download(client):
    body = submit(client, scenario="example", overrides=[f"{EXAMPLE_LEVER}=800"], runs=2)
    z = client.get(f"/api/runs/{body['id']}/run.zip")
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    top = names[0].split("/")[0]
    assert top == "example-seed0"
    for f in ("places.parquet", "places.csv", "out.csv", "manifest.json", "scenario.json", "report.html"):
        assert f"{top}/{f}" in names
    manifest = zipfile.ZipFile(io.BytesIO(z.content)).read(f"{top}/manifest.json").decode()
    assert f"{EXAMPLE_LEVER}=800" in manifest  # the run folder says what was changed
    report = client.get(f"/api/runs/{body['id']}/report.html")
    assert report.status_code == 200 and "corridor report" in report.text


def test_a_run_not_done_cannot_be_downloaded(catalog):
    gate = threading.Event()

    class Held(InProcess):
        def summaries(self, sc, seeds, days, progress):
            gate.wait(30)
            return super().summaries(sc, seeds, days, progress)

    with TestClient(create_app([SCENARIOS], catalog=catalog, runner=Held())) as c:
        job = c.post("/api/runs", json={"scenario": "example", "runs": 2}).json()["id"]
        r = c.get(f"/api/runs/{job}/run.zip")
        assert r.status_code == 409 and "not done" in r.json()["detail"]
        gate.set()
        assert wait(c, job)["status"] == "done"


def test_a_full_queue_says_so_with_429_and_recovers(catalog):
    gate = threading.Event()

    class Held(InProcess):
        def summaries(self, sc, seeds, days, progress):
            gate.wait(30)
            return super().summaries(sc, seeds, days, progress)

    app = create_app([SCENARIOS], catalog=catalog, runner=Held(), limits=Limits(max_pending=2))
    with TestClient(app) as c:
        ids = [c.post("/api/runs", json={"scenario": "example", "runs": 2}) for _ in range(2)]
        assert [r.status_code for r in ids] == [202, 202]
        full = c.post("/api/runs", json={"scenario": "example", "runs": 2})
        assert full.status_code == 429 and full.headers["retry-after"] == "5"
        assert "2 jobs are queued or running" in full.json()["detail"]
        assert {c.get(f"/api/runs/{r.json()['id']}").json()["status"] for r in ids} <= {"queued", "running"}
        assert c.get("/api/health").json() | {"version": ""} == {
            "status": "ok",
            "pending": 2,
            "max_pending": 2,
            "version": "",
        }
        gate.set()
        assert [wait(c, r.json()["id"])["status"] for r in ids] == ["done", "done"]
        assert c.post("/api/runs", json={"scenario": "example", "runs": 2}).status_code == 202


def test_a_failing_run_fails_its_job_not_the_server(catalog):
    class Broken(InProcess):
        calls = 0

        def summaries(self, sc, seeds, days, progress):
            Broken.calls += 1
            if Broken.calls == 1:
                raise RuntimeError("worker lost")
            return super().summaries(sc, seeds, days, progress)

    with TestClient(create_app([SCENARIOS], catalog=catalog, runner=Broken())) as c:
        first = submit(c, scenario="example", runs=3)
        assert first["status"] == "failed" and first["error"] == "RuntimeError: worker lost"
        assert submit(c, scenario="example", runs=3)["status"] == "done"
        assert c.get("/api/scenarios").status_code == 200


def test_the_api_documents_itself_offline(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources and all(s.startswith("/") for s in sources), sources  # nothing from a CDN
    for s in sources:
        assert client.get(s).status_code == 200, s
    spec = client.get("/openapi.json").json()
    assert {"/api/scenarios", "/api/runs", "/api/runs/{job_id}"} <= set(spec["paths"])


def test_the_page_and_everything_it_loads_ship_in_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and "corridor" in page.text
    sources = re.findall(r'(?:src|href)="([^"#]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for s in sources:
        assert client.get(s).status_code == 200, s
    js = client.get("/static/app.js").text
    assert "http://" not in js and "https://" not in js  # no tiles, fonts or scripts fetched at run time
    assert client.get("/api/basemap.geojson").json()["type"] == "FeatureCollection"


def test_a_folder_with_a_broken_scenario_serves_the_others(tmp_path):
    import shutil

    shutil.copytree(SCENARIOS / "example", tmp_path / "good")
    shutil.copytree(SCENARIOS / "example", tmp_path / "nested" / "bad")
    (tmp_path / "nested" / "bad" / "scenario.yaml").write_text("start_date: not a date\n")
    lines = []
    cat = Catalog([tmp_path], warn=lines.append)
    assert cat.names() == ["good"]
    assert len(lines) == 1 and "bad" in lines[0] and "\n" not in lines[0]


def test_serve_listens_on_loopback_unless_told(monkeypatch):
    from typer.testing import CliRunner

    from corridor.cli import app
    from corridor.serve import server

    seen = {}
    monkeypatch.setattr("uvicorn.run", lambda app, host, port, log_level: seen.update(host=host, port=port))
    result = CliRunner().invoke(app, ["serve", str(SCENARIOS), "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert seen == {"host": "127.0.0.1", "port": 8123}
    assert server.serve.__defaults__[0] == "127.0.0.1"
    empty = CliRunner().invoke(app, ["serve", str(SCENARIOS / "example" / "places.csv")])
    assert empty.exit_code == 2 and "no scenario folder found" in empty.output


def test_runs_on_a_dask_cluster_give_the_same_answer(catalog, client):
    """`corridor serve --workers 2`: the runs go to two worker processes, the answer is the same."""
    from corridor.distributed import connect

    body = {"scenario": "tijuana-2018", "overrides": ["ports.san_ysidro.capacity_per_day=90"], "runs": 4, "days": 60}
    here = submit(client, **body)
    with connect(workers=2) as dask_client:
        with TestClient(create_app([SCENARIOS], catalog=catalog, runner=InProcess(dask_client))) as c:
            there = submit(c, **body)
    assert there["status"] == "done", there["error"]
    assert there["result"] == here["result"]


def test_an_unreachable_scheduler_is_one_line():
    import dask.config
    from typer.testing import CliRunner

    from corridor.cli import app

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        result = CliRunner().invoke(app, ["serve", str(SCENARIOS), "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "no Dask scheduler answered" in result.output and len(result.output.strip().splitlines()) == 1
