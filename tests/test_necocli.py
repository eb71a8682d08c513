"""scenarios/necocli-2021 against the shared observations of January-September 2021, read as they are."""

from pathlib import Path

import pytest

import corridor
from corridor.evaluate.observations import compare, read_observations

ROOT = Path(__file__).resolve().parents[1]
NECOCLI = ROOT / "scenarios" / "necocli-2021"
SHARED = ROOT.parent / "shared" / "observations" / "necocli-2021.csv"


def test_the_bundled_observations_are_the_shared_file():
    if not SHARED.is_file():
        pytest.skip(f"{SHARED} not found (the shared observations folder is absent here)")
    assert (NECOCLI / "observations.csv").read_bytes() == SHARED.read_bytes()


def test_every_row_of_the_shared_file_is_read_and_either_scored_or_says_why_not():
    sim = corridor.load(NECOCLI)
    rows = read_observations(NECOCLI / "observations.csv", sim.scenario)  # strict: any unknown name would raise
    assert len(rows) == 96 and max(o.last for o in rows).isoformat() <= "2021-09-30"  # nothing reserved
    res = sim.run(seed=0, days=273)  # to 30 Sep
    out = compare([res], rows)
    scored = [r for r in out if r["simulated"] is not None]
    assert len(scored) == 79  # the arrivals by nationality too (counts_by_nationality)
    why = {r["why_no_value"] for r in out if r["simulated"] is None}
    assert "a place the scenario does not model (place_names.csv: -)" in why  # the Chiriquí station
    assert any("not counted by age" in w for w in why) and any(w.startswith("capacity:") for w in why)
    # the boats' quota sets the flow from August: 500 a day crossed on 9 Sep (the mayor's figure)
    sep9 = next(r for r in out if r["date"] == "2021-09-09" and r["metric"] == "crossed_per_day")
    assert sep9["within_range"]
