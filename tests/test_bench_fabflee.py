"""bench/fabflee.py runs every Flee folder of a FabFlee config_files/ and tabulates what ran and what was
refused: here on a hand-made config_files/ with one scenario that runs, one refused and one folder that is
not a scenario."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("fabflee", Path(__file__).parents[1] / "bench" / "fabflee.py")
assert spec and spec.loader
fabflee = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fabflee)

LOCATIONS = """\
#name,region,country,latitude,longitude,location_type,conflict_date,population
A,R,X,0,0,conflict_zone,0,1000
B,R,Y,0,1,camp,,800
"""
SETTINGS = """\
spawn_rules:
  conflict_driven_spawning:
    spawn_mode: constant
    displaced_per_conflict_day: 10
"""


def scenario(folder: Path, settings: str) -> None:
    for name, text in {
        "input_csv/locations.csv": LOCATIONS,
        "input_csv/routes.csv": "#name1,name2,distance\nA,B,50\n",
        "input_csv/sim_period.csv": "StartDate,2020-01-01\nLength,5\n",
        "simsetting.yml": settings,
    }.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


def test_the_table_names_each_scenario_with_its_days_or_its_refusal(tmp_path: Path, capsys) -> None:
    root = tmp_path / "config_files"
    scenario(root / "runs", SETTINGS)
    scenario(root / "nested" / "refused", SETTINGS + "move_rules:\n  awareness_level: -1\n")
    (root / "not_a_scenario").mkdir()
    (root / "not_a_scenario" / "locations.csv").write_text(LOCATIONS)
    out = tmp_path / "fabflee.json"
    code = fabflee.main([str(root), "--json-out", str(out), "--fabflee-commit", "abc123", "--fabflee-date", "2025"])
    assert code == 0
    table = capsys.readouterr().out
    rows = {line.split(" | ")[0].strip("| "): line for line in table.splitlines() if line.startswith("| ")}
    assert set(rows) == {"scenario", "---", "nested/refused", "runs"}
    assert rows["runs"].startswith("| runs | yes | 5 | 50 |")  # 10 a day from the one conflict zone
    refused = rows["nested/refused"]
    assert refused.startswith("| nested/refused | no | - | - |")
    # the loader's one-line error, verbatim, its path under config_files/
    assert "config_files/nested/refused/simsetting.yml:6: field 'move_rules.awareness_level'" in refused
    saved = json.loads(out.read_text())
    assert saved["fabflee_commit"] == "abc123"
    assert saved["counts"] == {"scenarios": 2, "ran": 1, "refused": 1, "timeout": 0, "crash": 0,
                               "ran_shortened": 0, "loads": 1}  # fmt: skip


def test_no_folder_is_a_clear_message_and_exit_2(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fabflee.ENV, raising=False)
    assert fabflee.main(["--json-out", str(tmp_path / "x.json")]) == 2
    assert "CORRIDOR_FABFLEE" in capsys.readouterr().err
    assert fabflee.main([str(tmp_path / "nowhere")]) == 2
    assert not (tmp_path / "x.json").exists()


def test_a_rerun_of_corridor_alone_merged_keeps_the_earlier_flee_runs(tmp_path: Path) -> None:
    # A sweep made beside Flee's own runs, then one scenario run again by corridor alone with --merge: the
    # fresh row replaces corridor's figures and keeps the Flee run it has no new one of
    root = tmp_path / "config_files"
    scenario(root / "runs", SETTINGS)
    out = tmp_path / "fabflee.json"
    flee = {"status": "ran", "days": 3, "seconds": 1.0}
    earlier = {"scenario": "runs", "status": "timeout", "loads": True, "flee": flee}
    out.write_text(json.dumps({"commands": ["earlier"], "scenarios": [earlier]}))
    code = fabflee.main([str(root), "--only", "runs", "--merge", "--json-out", str(out),
                         "--fabflee-commit", "abc123", "--fabflee-date", "2025"])  # fmt: skip
    assert code == 0
    (row,) = json.loads(out.read_text())["scenarios"]
    assert row["status"] == "ran" and row["days"] == 5 and row["flee"] == flee
