#!/usr/bin/env python3
"""Small runs: the time of one whole run of a small scenario in-process, as a calibration pays it.

    python bench/small_runs.py [--scenario scenarios/tijuana-2018] [--runs 30] [--threads T] --json
    python bench/small_runs.py --compare /tmp/base/src --runs 40        # paired: this tree against another

Runs the scenario `--warmup` times (numba's cache load or compilation, first allocations), then `--runs`
times with the same seed through the public API (`corridor.load(...).run(seed)`), and reports the fastest
and the median of each component's time (`RunResult.timings`) and of the whole run (`total`: building
the engine, the days, the end-of-run recount), as JSON. Noise only ever adds time, so the fastest is the
figure to compare; the median says how noisy the machine was.

`--src DIR` imports corridor from DIR (a `src` folder of another checkout, e.g. `git archive COMMIT src |
tar -x -C /tmp/base`) instead of this tree's. `--compare DIR` imports DIR's corridor as well (a renamed
copy) and alternates runs of the two in this process, one by one, and prints each side's fastest and
median, and the median and quartiles of the paired ratio this/other (below 1: this tree is faster): the
machines here are shared, and only paired runs in one process compare two versions reliably.

The environment is left as it is (`import corridor` sets nothing): numba's OpenMP workers then spin a
while before sleeping (libgomp's default). `--wait-policy passive` sets OMP_WAIT_POLICY=PASSIVE for the
process, as the `corridor` command does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", default=str(ROOT / "scenarios" / "tijuana-2018"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=30, help="timed runs after the warm-up")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs first")
    p.add_argument("--threads", type=int, default=None, help="the run's thread count (default: numba's)")
    p.add_argument(
        "--wait-policy",
        choices=("default", "passive"),
        default="default",
        help="default: leave OMP_WAIT_POLICY as the environment has it; passive: set it to PASSIVE",
    )
    p.add_argument("--src", default=None, help="import corridor from this src folder instead of this tree's")
    p.add_argument("--compare", default=None, metavar="SRC", help="paired rounds: this tree against SRC")
    p.add_argument("--json", action="store_true", help="print one JSON object (default: a short table)")
    return p.parse_args(argv)


def measure(args: argparse.Namespace) -> dict[str, object]:
    if args.src:
        sys.path.insert(0, str(Path(args.src).resolve()))
    import corridor

    sim = corridor.load(args.scenario)
    for _ in range(args.warmup):
        sim.run(seed=args.seed, threads=args.threads)
    runs = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        res = sim.run(seed=args.seed, threads=args.threads)
        timings = dict(res.timings)
        timings["call"] = time.perf_counter() - t0  # with building the RunResult
        runs.append(timings)
    names = list(runs[0])
    return {
        "scenario": Path(args.scenario).name,
        "source": str(Path(corridor.__file__).resolve().parents[1]),
        "seed": args.seed,
        "runs": args.runs,
        "threads": args.threads,
        "wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
        "agent_days": res.agent_days,
        "fastest_s": {k: min(r[k] for r in runs) for k in names},
        "median_s": {k: statistics.median(r[k] for r in runs) for k in names},
    }


def other_package(src: str) -> object:
    """Import the corridor package of another src folder under another name, so that both trees run in
    this process. Its modules import each other relatively, so a renamed copy runs as it is; the copy is
    kept (in the temp folder, by the folder's path) so that numba's cache of it lasts between calls."""
    import hashlib
    import importlib
    import shutil
    import tempfile

    tag = hashlib.sha256(str(Path(src).resolve()).encode()).hexdigest()[:10]
    home = Path(tempfile.gettempdir()) / f"corridor_small_runs_{tag}"
    dest = home / "corridor_other"
    if dest.exists():
        shutil.rmtree(dest)  # copied again each call: the other tree may have changed since
    shutil.copytree(Path(src) / "corridor", dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    sys.path.insert(0, str(home))
    return importlib.import_module("corridor_other")


def compare(args: argparse.Namespace) -> dict[str, object]:
    """Runs of this tree and of the other alternate one by one in this process: a slow spell of the machine
    falls on both alike, and each pair's ratio compares like with like."""
    import corridor

    other = other_package(args.compare)
    sims = {"this": corridor.load(args.scenario), "other": other.load(args.scenario)}  # type: ignore[attr-defined]
    for _ in range(args.warmup):
        for sim in sims.values():
            sim.run(seed=args.seed, threads=args.threads)
    runs: dict[str, list[dict[str, float]]] = {"this": [], "other": []}
    for k in range(args.runs):
        order = ("this", "other") if k % 2 == 0 else ("other", "this")
        for label in order:
            runs[label].append(dict(sims[label].run(seed=args.seed, threads=args.threads).timings))
    ratios = [a["total"] / b["total"] for a, b in zip(runs["this"], runs["other"], strict=True)]
    names = [k for k in runs["this"][0] if k in runs["other"][0]]
    return {
        "scenario": Path(args.scenario).name,
        "this": str(Path(corridor.__file__).resolve().parents[1]),
        "other": str(Path(args.compare).resolve()),
        "runs": args.runs,
        "threads": args.threads,
        "wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
        "paired_ratio_median": statistics.median(ratios),
        "paired_ratio_quartiles": statistics.quantiles(ratios, n=4),
        "this_fastest_s": {k: min(r[k] for r in runs["this"]) for k in names},
        "other_fastest_s": {k: min(r[k] for r in runs["other"]) for k in names},
        "this_median_s": {k: statistics.median(r[k] for r in runs["this"]) for k in names},
        "other_median_s": {k: statistics.median(r[k] for r in runs["other"]) for k in names},
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.wait_policy == "passive":
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # before numba starts its threads; children inherit it
    out = compare(args) if args.compare else measure(args)
    if args.json:
        print(json.dumps(out, indent=1))
        return
    if args.compare:
        q = out["paired_ratio_quartiles"]
        print(f"paired ratio this/other over {args.runs} pairs: median {out['paired_ratio_median']:.3f} "
              f"(quartiles {q[0]:.3f}, {q[2]:.3f})")  # fmt: skip
        print(f"{'phase':10s} {'fastest: this':>14s} {'other':>7s} {'median: this':>13s} {'other':>7s} (ms)")
        for k in out["this_fastest_s"]:
            f, m = (
                (out["this_fastest_s"][k], out["other_fastest_s"][k]),
                (out["this_median_s"][k], out["other_median_s"][k]),
            )
            print(f"{k:10s} {f[0] * 1e3:14.2f} {f[1] * 1e3:7.2f} {m[0] * 1e3:13.2f} {m[1] * 1e3:7.2f}")
        return
    print(f"{out['scenario']}: {args.runs} runs after {args.warmup} warm-up runs (ms)")
    print(f"{'phase':10s} {'fastest':>9s} {'median':>9s}")
    for k in out["fastest_s"]:
        print(f"{k:10s} {out['fastest_s'][k] * 1e3:9.2f} {out['median_s'][k] * 1e3:9.2f}")


if __name__ == "__main__":
    main()
