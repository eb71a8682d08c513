"""bench/run_flee.py --flee-source reads the out.csv Flee's own run.py prints; this checks that reading and
its ARD on a hand-made file whose answer is worked out below."""

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("run_flee", Path(__file__).parents[1] / "bench" / "run_flee.py")
run_flee = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_flee)

# run.py's header and two days: camp A and camp B, then its totals (Total error divides by the raw UNHCR count)
OUT_CSV = (
    "Day,Date,A sim,A data,A error,B sim,B data,B error,Total error,refugees in camps (UNHCR),"
    "total refugees (simulation),raw UNHCR refugee count,refugees in camps (simulation),refugee_debt\n"
    "0,2022-08-02,0,0,0.0,0,0,0.0,0.0,0,0,0,0,0\n"
    "1,2022-08-03,30,10,2.0,0,10,1.0,0.75,20,50,40,30,0\n"
)


def test_out_csv_gives_camps_counts_agents_and_the_ard_of_anchors_md(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text(OUT_CSV)
    camps, sim, obs, agents, total_error = run_flee.read_out_csv(path)
    assert camps == ["A", "B"]
    assert sim == [[0, 0], [30, 0]] and obs == [[0, 0], [10, 10]]
    assert agents == [0, 50] and total_error == [0.0, 0.75]
    plain, rescaled = run_flee.ard_days(sim, obs)
    # day 0: nothing observed, nothing simulated -> 0 / max(0, 1); day 1: (|30 - 10| + |0 - 10|) / 20
    assert plain == [0.0, 1.5]
    # rescaled: day 1's simulated 30 scaled to the observed 20 -> (|20 - 10| + |0 - 10|) / 20
    assert rescaled == [0.0, pytest.approx(1.0)]


def test_the_commit_is_the_one_versioneer_wrote(tmp_path: Path) -> None:
    (tmp_path / "flee").mkdir()
    (tmp_path / "flee" / "_version.py").write_text('    git_full = "02cd2cbd8a022319bf8a403dcef9412d296b70f1"\n')
    assert run_flee.flee_commit(tmp_path) == "02cd2cbd8a022319bf8a403dcef9412d296b70f1"
    assert run_flee.flee_commit(tmp_path / "nowhere") is None
