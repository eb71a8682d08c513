"""corridor against runs of Flee 3.1 recorded by bench/run_flee.py, over the same days.

    python validation/flee_side_by_side.py [--seeds 3]

Reads bench/results/flee-<scenario>.json (Flee's camp counts and ARD per day, seed 0) and prints, per
scenario, Flee's mean ARD, corridor's (mean over seeds 0..seeds-1, same days) and both every 25 days.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from common import ROOT, add_flee_dir

import corridor


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    add_flee_dir(ap)
    args = ap.parse_args()
    print("| run | Flee 3.1 ARD | corridor ARD | Flee 3.1 wall (s) |\n|---|---|---|---|")
    trajectories = []
    for path in sorted((ROOT / "bench" / "results").glob("flee-*.json")):
        flee = json.loads(path.read_text())
        name, days = flee["scenario"], flee["days"]
        sim = corridor.load(args.flee_dir / name)
        ard = np.mean([sim.run(seed=s, days=days).validation().ard_by_day for s in range(args.seeds)], axis=0)
        fard = np.asarray(flee["ard_by_day"])
        print(f"| {name}, {days} days | {fard.mean():.4f} | {ard.mean():.4f} | {flee['wall_s']:.0f} |")
        every = range(0, days, 25)
        trajectories.append(
            f"{name}: corridor "
            + "/".join(f"{ard[d]:.3f}" for d in every)
            + "\n"
            + " " * len(name)
            + "  Flee 3.1 "
            + "/".join(f"{fard[d]:.3f}" for d in every)
        )
    print("\nARD every 25 days from day 0:\n" + "\n".join(trajectories))


if __name__ == "__main__":
    main()
