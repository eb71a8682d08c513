#!/usr/bin/env python3
"""Hashes of every result table of a set of runs: the check that a refactor changed nothing.

    python bench/hashes.py > before.json      # on the old commit
    python bench/hashes.py > after.json       # on the new one
    python bench/hashes.py --diff before.json after.json

Each run is written with the public API into a temporary folder; every file in it except
manifest.json (wall times, paths) is hashed whole, and each column of each table is hashed too, so a
difference names the column that moved. The runs: the four Flee scenarios (seed 1), tijuana-2018
(seed 0; with 3 seeds; with San Ysidro at 100 a day) and the example (seed 0).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLEE = Path(os.environ.get("CORRIDOR_FLEE_SCENARIOS", ROOT.parent / "shared" / "scenarios" / "flee"))

# (label, scenario folder, seed, runs, overrides)
RUNS = [
    *((name, FLEE / name, 1, 1, []) for name in ("mali2012", "burundi", "car", "ssudan")),
    ("tijuana-2018", ROOT / "scenarios" / "tijuana-2018", 0, 1, []),
    ("tijuana-2018-3seeds", ROOT / "scenarios" / "tijuana-2018", 0, 3, []),
    ("tijuana-2018-sy100", ROOT / "scenarios" / "tijuana-2018", 0, 1, ["ports.san_ysidro.capacity_per_day=100"]),
    ("example", ROOT / "scenarios" / "example", 0, 1, []),
]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def folder_hashes(folder: Path) -> dict[str, object]:
    import pandas as pd

    out: dict[str, object] = {}
    for f in sorted(folder.iterdir()):
        if f.name == "manifest.json" or f.is_dir():
            continue
        entry: dict[str, object] = {"file": _sha(f.read_bytes())}
        if f.suffix in (".csv", ".parquet"):
            df = pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f)
            cols = {}
            for c in df.columns:
                buf = io.BytesIO()
                df[c].astype(str).to_csv(buf, index=False)
                cols[str(c)] = _sha(buf.getvalue())
            entry["columns"] = cols
        out[f.name] = entry
    return out


def run_all(only: list[str] | None) -> dict[str, object]:
    import corridor
    from corridor.api import Simulation
    from corridor.scenario.parameters import apply_overrides

    result: dict[str, object] = {}
    for label, path, seed, runs, overrides in RUNS:
        if only and label not in only:
            continue
        if not path.exists():
            print(f"skipped {label}: {path} not found", file=sys.stderr)
            continue
        sim = corridor.load(path)
        if overrides:
            sim = Simulation(apply_overrides(sim.scenario, overrides))
        res = sim.run(seed=seed)
        ensemble = [res, *(sim.run(seed=seed + k) for k in range(1, runs))] if runs > 1 else None
        with tempfile.TemporaryDirectory() as tmp:
            folder = res.save(Path(tmp) / "run", ensemble=ensemble)
            result[label] = folder_hashes(folder)
        print(f"hashed {label}", file=sys.stderr)
    return result


def diff(a: dict, b: dict) -> int:
    changed = 0
    for run in sorted(a.keys() | b.keys()):
        if run not in a or run not in b:
            print(f"{run}: only in {'after' if run in b else 'before'}")
            changed += 1
            continue
        for f in sorted(a[run].keys() | b[run].keys()):
            fa, fb = a[run].get(f), b[run].get(f)
            if fa == fb:
                continue
            changed += 1
            if fa is None or fb is None:
                print(f"{run}/{f}: only {'after' if fa is None else 'before'}")
                continue
            ca, cb = fa.get("columns", {}), fb.get("columns", {})
            cols = [c for c in ca.keys() | cb.keys() if ca.get(c) != cb.get(c)]
            print(f"{run}/{f}: differs" + (f" in columns {', '.join(sorted(cols))}" if cols else " (same columns)"))
    if not changed:
        print("identical: every table of every run")
    return changed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="labels of the runs to hash (default all)")
    ap.add_argument("--diff", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.diff:
        before, after = (json.loads(p.read_text()) for p in args.diff)
        sys.exit(1 if diff(before, after) else 0)
    print(json.dumps(run_all(args.only), indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
