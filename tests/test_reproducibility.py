"""Same scenario and seed, same run folder byte for byte, on 1 thread or 2; another seed, other results.

Every file of the run folder is compared except manifest.json, which holds wall times, the command line and
the versions. The runs go through `corridor run` in a subprocess with NUMBA_NUM_THREADS set, as a user would
run them, so that the 2-thread runs do not depend on how many cores the test machine has.

The engine splits a kernel over 2 threads only when a run has at least 2 x 8,192 people (sim/kernels.py,
n_blocks_for): both scenarios here pass that early on and end with far more (tijuana-2018 63,125 people,
burundi 91,244 after 60 days), so their 2-thread runs take the parallel path every day from then on —
tijuana-2018 with its ports, hazards, marches and caravans, burundi with Flee's rules alone.
"""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import corridor

from conftest import flee_path

TIJUANA = Path(__file__).resolve().parents[1] / "scenarios" / "tijuana-2018"
TWO_BLOCKS = 2 * 8_192  # people a run needs before a kernel runs on 2 threads (sim/kernels.py n_blocks_for)
NOT_COMPARED = {"manifest.json"}  # wall times, command line, versions


def digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of a run folder but the manifest, by path within the folder."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in NOT_COMPARED
    }


def corridor_run(scenario: Path, out: Path, seed: int, threads: int, *extra: str) -> Path:
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    args = ["run", str(scenario), "--seed", str(seed), "--out", str(out), "-q", *extra]
    r = subprocess.run([sys.executable, "-m", "corridor.cli", *args], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return out


def test_numba_num_threads_sets_the_threads_a_subprocess_runs_on():
    # what the thread comparison below relies on, whatever the number of cores here
    code = "import numba; print(numba.get_num_threads())"
    for n in (1, 2):
        env = {**os.environ, "NUMBA_NUM_THREADS": str(n)}
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert r.stdout.strip() == str(n), r.stderr


SCENARIOS = {
    # (scenario folder, extra arguments of corridor run, files the run folder must have)
    "tijuana-2018": (
        lambda: TIJUANA,
        (),
        {
            "places.parquet",
            "states.parquet",
            "links.parquet",
            "ports.parquet",
            "waits.parquet",
            "caravans.parquet",
            "points.csv",
            "out.csv",
            "scenario.json",
        },
    ),
    "burundi": (
        lambda: flee_path("burundi"),
        ("--days", "60"),
        {"places.parquet", "states.parquet", "links.parquet", "out.csv", "validation.csv", "scenario.json"},
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_seed_gives_the_same_run_folder_on_1_or_2_threads(name, tmp_path):
    where, extra, expected = SCENARIOS[name]
    scenario = where()
    one = digest(corridor_run(scenario, tmp_path / "one", 5, 1, *extra))
    again = digest(corridor_run(scenario, tmp_path / "again", 5, 1, *extra))
    two = corridor_run(scenario, tmp_path / "two", 5, 2, *extra)
    assert json.loads((two / "manifest.json").read_text())["agents"] >= TWO_BLOCKS, "big enough for 2 threads"
    assert expected <= set(one), sorted(one)
    assert again == one, [f for f in one if again.get(f) != one[f]]
    assert digest(two) == one, [f for f in one if digest(two).get(f) != one[f]]


def test_another_seed_gives_other_results(tmp_path):
    sim = corridor.load(TIJUANA)
    a = digest(sim.run(seed=7).save(tmp_path / "a"))
    b = digest(sim.run(seed=8).save(tmp_path / "b"))
    assert a.keys() == b.keys()
    for f in ("places.parquet", "places.csv", "states.csv", "ports.csv", "waits.parquet", "caravans.csv"):
        assert a[f] != b[f], f
    assert a["scenario.json"] == b["scenario.json"]  # the same scenario
