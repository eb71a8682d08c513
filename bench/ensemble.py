#!/usr/bin/env python3
"""Simulations per second of an ensemble: in this process, and on a local Dask cluster of 1 and 2 workers.

    python bench/ensemble.py [--scenario scenarios/tijuana-2018] [--runs 200] [--workers 1 2] [--repeat 3]

Each setting runs `Simulation.run_ensemble` as `corridor run --runs K` does: each run summarised and
streamed to its file, seeds 0..K-1. In this process the runs use one thread (`--threads`), as a worker's
do. A cluster's start-up (`start_s`: worker processes up) and its first runs (`warmup_s`: each worker
imports corridor and loads numba's cached kernels, 2 runs a worker) are timed apart from the `--repeat`
timed ensembles, of which the fastest and the median rate are printed: noise only ever adds time. Prints
one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed_rates(sim, runs: int, repeat: int, folder: Path, **where) -> list[float]:
    rates = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        sim.run_ensemble(runs, folder, **where)
        rates.append(runs / (time.perf_counter() - t0))
    return rates


def setting(rates: list[float], **facts) -> dict:
    return {**facts, "sims_per_s_best": max(rates), "sims_per_s_median": statistics.median(rates), "sims_per_s": rates}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "tijuana-2018")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="cluster sizes to time")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="threads of a run in this process")
    args = ap.parse_args()

    import corridor
    from corridor.distributed import connect

    sim = corridor.load(args.scenario)
    out = {
        "scenario": str(args.scenario),
        "runs": args.runs,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_avg": os.getloadavg()},
        "corridor": corridor.__version__,
        "settings": [],
    }
    with tempfile.TemporaryDirectory(prefix="corridor-bench-ensemble-") as tmp:
        folder = Path(tmp) / "ensemble"
        t0 = time.perf_counter()
        sim.run_ensemble(2, folder, threads=args.threads)
        warm = time.perf_counter() - t0
        rates = timed_rates(sim, args.runs, args.repeat, folder, threads=args.threads)
        out["settings"].append(setting(rates, where="in-process", threads=args.threads, warmup_s=warm))
        for w in args.workers:
            t0 = time.perf_counter()
            with connect(workers=w) as client:
                start = time.perf_counter() - t0
                t0 = time.perf_counter()
                sim.run_ensemble(2 * w, folder, client=client)
                warm = time.perf_counter() - t0
                rates = timed_rates(sim, args.runs, args.repeat, folder, client=client)
            out["settings"].append(setting(rates, where="local cluster", workers=w, start_s=start, warmup_s=warm))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":  # worker processes are spawned: they import this file without running it
    main()
