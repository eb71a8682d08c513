"""Ensembles on a real dask.distributed cluster of worker processes: the same files in this process and on
one or two workers, a worker killed mid-ensemble losing and duplicating no run, and the command line."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import corridor
from corridor.distributed import assignments, connect
from corridor.errors import CorridorError
from corridor.evaluate.observations import read_observations
from corridor.output.summary import Ensemble, bands, bands_from_files, read_summary, summarise
from corridor.scenario.parameters import apply_overrides, list_params

ROOT = Path(__file__).resolve().parents[1]
TIJUANA = ROOT / "scenarios" / "tijuana-2018"
EXAMPLE = ROOT / "scenarios" / "example"
RUNS = 24  # about 0.1 s each: enough for a worker to die with runs still to do


@pytest.fixture(scope="module")
def sim():
    return corridor.load(TIJUANA)


@pytest.fixture(scope="module")
def client():
    with connect(workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def in_process(sim, tmp_path_factory):
    """The reference: the ensemble run in this process, one run after another. One thread, as on a worker
    (the results are the same on any number; on a busy 2-core machine, two threads made runs 10x slower)."""
    return sim.run_ensemble(RUNS, tmp_path_factory.mktemp("here"), seed=7, threads=1)


def files(ens: Ensemble) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(ens.folder.iterdir())}


def test_the_same_files_in_process_and_on_one_and_two_workers(sim, client, in_process, tmp_path):
    assert sorted(files(in_process)) == [f"run-{i:06d}.npz" for i in range(RUNS)]
    on_two = sim.run_ensemble(RUNS, tmp_path / "two", seed=7, client=client)
    assert files(on_two) == files(in_process)
    with connect(workers=1) as one_worker:
        on_one = sim.run_ensemble(RUNS, tmp_path / "one", seed=7, client=one_worker)
    assert files(on_one) == files(in_process)
    # the run folders written from them: the same bands and scored observations, byte for byte
    res = sim.run(seed=7, threads=1)
    for name, ens in (("a", in_process), ("b", on_two)):
        res.save(tmp_path / name, ensemble=ens)
    for table in ("ensemble.parquet", "points.csv", "places.parquet"):
        assert (tmp_path / "a" / table).read_bytes() == (tmp_path / "b" / table).read_bytes(), table
    ens = pd.read_parquet(tmp_path / "a" / "ensemble.parquet")
    assert {"mean", "p05", "p25", "p50", "p75", "p95", "name", "variable", "day", "date"} <= set(ens.columns)
    assert set(ens["variable"]) == {"population", "waitlist", "processed", "wait_days", "states"}


def test_the_bands_from_the_files_are_those_of_the_runs_in_memory(sim, in_process):
    summaries = [read_summary(p) for p in in_process.paths()]
    assert [s.seed for s in summaries] == list(range(7, 7 + RUNS))
    first = summarise(sim.run(seed=7, threads=1), read_observations(TIJUANA / "observations.csv"))
    assert all(np.array_equal(first.series[v], summaries[0].series[v], equal_nan=True) for v in first.series)
    assert np.array_equal(first.points, summaries[0].points, equal_nan=True)
    expect = bands(summaries)
    for chunk in (16 << 20, 1000):  # one block, and a few columns at a time
        got = bands_from_files(in_process.paths(), chunk_bytes=chunk)
        assert got.seeds == list(range(7, 7 + RUNS))
        for var, q in expect.items():
            assert np.array_equal(got.quantiles[var], q, equal_nan=True), var
    assert (got.quantiles["population"][4] > got.quantiles["population"][0]).any(), "seeds spread somewhere"


def test_each_run_takes_its_own_overrides_and_seed(sim, client, tmp_path):
    port = "ports.san_ysidro.capacity_per_day"
    jobs = [({port: 100.0, "move.camp_movechance": 1e-05}, 3), ([f"{port}=10"], 3), ((), 4)]
    assert assignments(jobs[0][0]) == [f"{port}=100.0", "move.camp_movechance=0.00001"]
    ens = sim.run_ensemble(jobs, tmp_path, client=client, observations=[])
    changed = apply_overrides(sim.scenario, assignments(jobs[0][0]))
    assert list_params(changed)["move.camp_movechance"] == 1e-05  # read back as the float it was
    for i, (overrides, seed) in enumerate(jobs):
        sc = apply_overrides(sim.scenario, assignments(overrides))
        want = summarise(corridor.Simulation(sc).run(seed=seed, threads=1))
        got = ens.summary(i)
        assert got.seed == seed
        assert all(np.array_equal(got.series[v], want.series[v], equal_nan=True) for v in want.series), i
    assert not np.array_equal(ens.summary(0).series["processed"], ens.summary(1).series["processed"])


def test_validate_on_the_cluster_is_validate_here(sim, client):
    obs = read_observations(TIJUANA / "observations.csv")
    here = sim.validate(runs=3, seed=2, observations=obs, threads=1)
    there = sim.validate(runs=3, seed=2, observations=obs, client=client)
    assert there.to_dict() == here.to_dict() and there.observations == here.observations
    full = corridor.ValidationReport.from_runs(sim.ensemble(3, seed=2, threads=1), 2, obs)
    assert full.to_dict() == here.to_dict() and full.observations == here.observations


def corridor_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "corridor.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
    )


def test_run_with_two_workers_writes_what_one_process_writes(tmp_path):
    two = corridor_cli("run", EXAMPLE, "--runs", 4, "--seed", 1, "--workers", 2, "--out", tmp_path / "two", "-q")
    assert two.returncode == 0, two.stderr
    one = corridor_cli("run", EXAMPLE, "--runs", 4, "--seed", 1, "--workers", 1, "--out", tmp_path / "one", "-q")
    assert one.returncode == 0, one.stderr
    for name in ("ensemble.parquet", "places.parquet", *(f"ensemble/run-{i:06d}.npz" for i in range(4))):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]  # no scratch folder left beside them


def test_a_scheduler_that_does_not_answer_is_one_line(tmp_path):
    r = corridor_cli(
        "run", EXAMPLE, "--runs", 2, "--scheduler", "tcp://127.0.0.1:1", "--out", tmp_path / "o",
        env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"},
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "tcp://127.0.0.1:1" in r.stderr and "tcp://HOST:8786" in r.stderr
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(CorridorError, match="give one"):
        with connect(workers=2, scheduler="tcp://127.0.0.1:1"):
            pass


def test_a_worker_killed_mid_ensemble_loses_and_duplicates_no_run(sim, client, in_process, tmp_path):
    # last in the file: the cluster has a fresh worker in place of the killed one only seconds later
    calls, killed = [], []

    def progress(done, total):
        calls.append(done)
        if not killed:
            busy = [addr for addr, keys in client.processing().items() if keys]
            pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append((pid, done))

    ens = sim.run_ensemble(RUNS, tmp_path, seed=7, client=client, progress=progress)
    pid, when = killed[0]
    assert when < RUNS and calls == list(range(1, RUNS + 1))
    assert pid not in client.run(os.getpid).values()  # it did die
    assert files(Ensemble.open(tmp_path)) == files(in_process)  # every run once, none twice, none lost
    assert np.array_equal(ens.bands().quantiles["waitlist"], in_process.bands().quantiles["waitlist"])
