#!/usr/bin/env python3
"""Run Flee's development version on the hand-made folders of tests/test_flee_columns.py (the four extra columns
initial_idps, capacity_per_day, conflict_intensity, walk_probability) and print each day's count per place, the
numbers the tests' docstrings quote.

Needs Flee's sources and the one module it needs beyond corridor's environment (docs/flee-compat.md):

    git clone https://github.com/djgroen/flee /tmp/flee-dev
    pip install --target /tmp/flee-deps beartype
    PYTHONPATH=/tmp/flee-dev:/tmp/flee-deps python bench/flee_columns.py

The day loop is Flee's run.py's: add_initial_refugees for each camp, then each day AddNewConflictZones,
spawn_daily_displaced, refresh_spawn_weights, enact_border_closures, evolve (seed 0 for Python's and numpy's
generators). Nothing of Flee is copied here.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def run_flee(folder: Path, days: int, seed: int = 0) -> list[dict[str, int]]:
    from flee import InputGeography, flee, spawning
    from flee.datamanager import handle_refugee_data, read_period

    random.seed(seed)
    np.random.seed(seed)
    inp = folder / "input_csv"
    start, _ = read_period.read_sim_period(f"{inp}/sim_period.csv")
    flee.SimulationSettings.ReadFromYML(str(folder / "simsetting.yml"))
    flee.SimulationSettings.ConflictInputFile = f"{inp}/conflicts.csv"
    e = flee.Ecosystem()
    ig = InputGeography.InputGeography()
    ig.ReadLocationsFromCSV(f"{inp}/locations.csv")
    ig.ReadLinksFromCSV(f"{inp}/routes.csv")
    ig.ReadClosuresFromCSV(f"{inp}/closures.csv")
    e, lm = ig.StoreInputGeographyInEcosystem(e)
    d = handle_refugee_data.RefugeeTable(
        csvformat="generic", data_directory=str(folder / "source_data"), start_date=start, data_layout="data_layout.csv"
    )
    for name in e.get_camp_names():
        spawning.add_initial_refugees(e, d, lm[name])
    rows = []
    for t in range(days):
        ig.AddNewConflictZones(e, t)
        spawning.spawn_daily_displaced(e, t, d)
        spawning.refresh_spawn_weights(e)
        e.enact_border_closures(t)
        e.evolve()
        rows.append({loc.name: loc.numAgents for loc in e.locations} | {"all": e.numAgents()})
    return rows


def main() -> None:
    import test_flee_columns as cases

    for name, (files, days) in cases.CASES.items():
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / name
            for path, text in files.items():
                (folder / path).parent.mkdir(parents=True, exist_ok=True)
                (folder / path).write_text(text, encoding="utf-8")
            here = os.getcwd()
            os.chdir(folder)  # Flee globs input_csv/demographics_*.csv and writes its logs in the working folder
            try:
                with contextlib.redirect_stderr(io.StringIO()):
                    rows = run_flee(folder, days)
            finally:
                os.chdir(here)
        print(name)
        for place in rows[0]:
            print(f"  {place}: {[r[place] for r in rows]}")


if __name__ == "__main__":
    main()
