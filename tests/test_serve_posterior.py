"""The what-if server's ensembles over a calibration's posterior: each run draws its inputs, the baseline
the same draws, a lever the what-if sets keeps its value, and a scenario with no calibration says so."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("httpx", reason="the API tests use FastAPI's test client, which needs httpx")
from fastapi.testclient import TestClient  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

import corridor  # noqa: E402
from corridor.cli import app as cli  # noqa: E402
from corridor.errors import CorridorError  # noqa: E402
from corridor.output.calibration import Posterior  # noqa: E402
from corridor.serve.app import Limits, create_app  # noqa: E402
from corridor.serve.catalog import Catalog  # noqa: E402

from conftest import WAITLIST, hand_made_calibration  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
DAYS = 12


@pytest.fixture(scope="module")
def tijuana():
    return corridor.load(SCENARIOS / "tijuana-2018").scenario


@pytest.fixture(scope="module")
def one_value(tmp_path_factory, tijuana) -> Path:
    """All the posterior's weight on a list of 2,400 on day 0."""
    return hand_made_calibration(tmp_path_factory.mktemp("cal") / "one", tijuana, [600, 2400], [0.0, 1.0])


@pytest.fixture(scope="module")
def two_values(tmp_path_factory, tijuana) -> Path:
    return hand_made_calibration(tmp_path_factory.mktemp("cal") / "two", tijuana, [600, 2400], [0.5, 0.5])


def serve(*posteriors: Path) -> TestClient:
    catalog = Catalog([SCENARIOS], posteriors=list(posteriors))
    return TestClient(create_app([SCENARIOS], catalog=catalog, limits=Limits(max_runs=50, max_days=400)))


def submit(client: TestClient, **body) -> dict:
    r = client.post("/api/runs", json=body)
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    for _ in range(2400):
        got = client.get(f"/api/runs/{job}").json()
        if got["status"] in ("done", "failed"):
            assert got["status"] == "done", got["error"]
            return got
        time.sleep(0.05)
    raise AssertionError("not done in 120 s")


def series(result: dict, sid: str, key: str = "band") -> dict[str, list]:
    return next(s for s in result["series"] if s["id"] == sid)[key]


def waitlist_id(result: dict) -> str:
    return next(s["id"] for s in result["series"] if s["id"].startswith("port:") and s["id"].endswith(":waitlist"))


def test_the_scenario_list_says_which_scenario_can_draw_from_a_calibration(one_value):
    with serve(one_value) as c:
        by = {s["name"]: s for s in c.get("/api/scenarios").json()["scenarios"]}
    assert by["example"]["posterior"] is None
    post = by["tijuana-2018"]["posterior"]
    assert post["name"] == "one" and post["particles"] == 2 and post["levers"] == [WAITLIST]
    assert post["known_by"] == "2018-11-20"


def test_a_posterior_with_all_its_weight_on_one_value_is_that_value_set_by_hand(one_value):
    """Drawing from a posterior that can only give 2,400 is the same ensemble, run by run (same seeds), as
    setting the lever to 2,400: the bands are equal to the last digit."""
    with serve(one_value) as c:
        drawn = submit(c, scenario="tijuana-2018", runs=4, seed=5, days=DAYS, posterior=True)
        by_hand = submit(c, scenario="tijuana-2018", runs=4, seed=5, days=DAYS, overrides=[f"{WAITLIST}=2400"])
    sid = waitlist_id(drawn["result"])
    assert drawn["posterior"] is True and by_hand["posterior"] is False
    assert series(drawn["result"], sid) == series(by_hand["result"], sid)
    assert drawn["result"]["posterior"]["draws"] == [
        {"lever": WAITLIST, "q05": 2400.0, "median": 2400.0, "q95": 2400.0, "set": False}
    ]
    # and it is not the scenario's own list (the baseline of the hand-set run)
    assert series(by_hand["result"], sid, "baseline") != series(by_hand["result"], sid)


def test_runs_draw_different_inputs_and_the_baseline_the_same_draws(two_values, tijuana):
    """With two equally likely lists (600 or 2,400), the 20 runs draw both, as `corridor run --posterior`
    would with the same seed; the baseline draws the same ones, so a lever set to a value the what-if
    does not use changes nothing, run by run: the difference is zero everywhere."""
    with serve(two_values) as c:
        got = submit(
            c, scenario="tijuana-2018", runs=20, seed=0, days=DAYS, posterior=True,
            overrides=["asylum.remain_in_mexico_from=2019-01-29"],  # the scenario's own date: no change
        )  # fmt: skip
    res = got["result"]
    sid = waitlist_id(res)
    band = series(res, sid)
    expected = [d[WAITLIST] for d in Posterior.read(two_values).draw(np.random.default_rng(0), 20)]
    assert sorted(set(expected)) == [600, 2400]  # both drawn
    assert band["p05"][0] < 1000 < 2000 < band["p95"][0]  # so the band spans both lists from day 0
    assert series(res, sid, "baseline") == band
    diff = series(res, sid, "difference")
    assert all(v == 0 for q in diff.values() for v in q if v is not None)


def test_a_lever_the_what_if_sets_keeps_its_value_in_every_run(two_values):
    with serve(two_values) as c:
        got = submit(
            c, scenario="tijuana-2018", runs=10, seed=0, days=DAYS, posterior=True, overrides=[f"{WAITLIST}=1000"]
        )
    res = got["result"]
    sid = waitlist_id(res)
    what_if, baseline = series(res, sid), series(res, sid, "baseline")
    # every what-if run starts from the same list, give or take the first day's own chances (groups away when
    # called, the choice between San Ysidro's and Otay Mesa's lists): tens, against the draws' 600 or 2,400
    assert what_if["p95"][0] - what_if["p05"][0] < 100
    assert baseline["p05"][0] < what_if["p50"][0] < baseline["p95"][0]  # the baseline's come from the draws
    assert res["posterior"]["draws"][0]["set"] is True


def test_a_scenario_with_no_calibration_refuses_posterior_runs_in_one_line(one_value):
    with serve(one_value) as c:
        r = c.post("/api/runs", json={"scenario": "example", "posterior": True, "runs": 2})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "\n" not in detail and "example has no calibration" in detail and "--posterior" in detail


def test_a_calibration_of_a_scenario_not_served_is_refused(tmp_path, tijuana):
    other = tijuana.model_copy(update={"name": "somewhere-else"})
    folder = hand_made_calibration(tmp_path / "cal", other, [1.0], [1.0], content_hash="0" * 64)
    with pytest.raises(CorridorError, match="a calibration of 'somewhere-else', which is not served here"):
        Catalog([SCENARIOS], posteriors=[folder])


def test_a_calibration_of_an_edited_scenario_is_used_with_a_warning(tmp_path, tijuana):
    """Made on another version of the scenario (another content hash, the same name): used, and said so."""
    lines: list[str] = []
    folder = hand_made_calibration(tmp_path / "cal", tijuana, [600.0], [1.0], content_hash="0" * 64)
    catalog = Catalog([SCENARIOS], warn=lines.append, posteriors=[folder])
    assert catalog.get("tijuana-2018").posterior is not None
    assert len(lines) == 1 and "calibrated on another version of tijuana-2018" in lines[0]


def test_the_command_names_a_folder_that_is_no_calibration_in_one_line(tmp_path):
    r = CliRunner().invoke(cli, ["serve", str(SCENARIOS), "--posterior", str(tmp_path)])
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "not a calibration folder" in lines[0]
