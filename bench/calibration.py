#!/usr/bin/env python3
"""The time of a calibration: `corridor.calibrate` of tijuana-2018 to its observations on a local Dask cluster.

    python bench/calibration.py [--budget 5000] [--population 200] [--workers 2] [--seed 0] [--priors forecast]
                                [--known-by all] [--json-out FILE] [--progress]

Loads the scenario and its observations (scenarios/tijuana-2018/observations.csv, 31 rows) as `corridor
calibrate` does, starts a local Dask cluster of `--workers` worker processes (one thread each), and runs
`corridor.calibrate.smc.calibrate` (ABC-SMC, pyabc) into a temporary folder, deleted afterwards, with
`--budget` simulations at most and `--population` particles a generation, to all the observations
(`--known-by all`: also those `corridor calibrate` by default reserves for scoring forecasts, whose source
is dated after the last observation; the simulations run as long either way). `--priors`: `forecast` (default)
calibrates the 16 priors validation/tijuana_forecast.py calibrates, the priors the observations can inform,
and draws the other 14 of priors.csv from their priors in every simulation (as `corridor calibrate
--prior ...` does); `all` calibrates all of priors.csv; or give names, comma-separated.

Prints one JSON object (and writes it to `--json-out`): the wall time from loading the scenario to the
calibration's end, cluster start-up included (`wall_s`), the cluster's start-up (`cluster_start_s`), the
sampling time the manifest records (`sampling_s`), the simulations the history records (`simulations`,
pyabc's sample of the prior included), those of a generation the budget cut short (`simulations_discarded`)
and their sum (`simulations_run`), the generations, simulations per second, the priors calibrated and
drawn, the observations used and left out, the last epsilon, the effective sample size, the load average
before and after, the date, the machine and the versions. The simulations run for as many days as the last
observation used needs (the manifest's `days_run`), one thread each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "tijuana-2018"
sys.path.insert(0, str(ROOT / "validation"))
from tijuana_forecast import CALIBRATED as FORECAST_PRIORS  # noqa: E402  (the priors the observations can inform)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", type=Path, default=SCENARIO)
    p.add_argument("--observations", type=Path, default=None, help="default: the scenario's observations.csv")
    p.add_argument("--budget", type=int, default=5000, help="most simulations in all")
    p.add_argument("--population", type=int, default=200, help="particles per generation")
    p.add_argument("--workers", type=int, default=2, help="worker processes of the local Dask cluster")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--priors",
        default="forecast",
        help="forecast (validation/tijuana_forecast.py's 16), all (all of priors.csv), or names, comma-separated",
    )
    p.add_argument(
        "--known-by",
        default="all",
        help="all (default): every observation, even those `corridor calibrate` reserves for scoring forecasts "
        "because their source is dated after the last observation (known_by = the latest date a source names); "
        "default: corridor's default (the last observation's date); or a date YYYY-MM-DD",
    )
    p.add_argument("--json-out", type=Path, default=None, help="also write the JSON object to this file")
    p.add_argument("--progress", action="store_true", help="print each generation's end to stderr")
    return p.parse_args(argv)


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # not available on this system
        return None


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, val = line.partition(":")
            if key.strip() == "model name":
                cpu = val.strip()
                break
    except OSError:  # not Linux
        cpu = platform.processor() or "unknown"
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def rel(path: Path) -> str:
    p = Path(path).resolve()
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)


def known_by(text: str, observations) -> dt.date | None:
    """The `known_by` of the calibration (module doc, --known-by)."""
    from corridor.calibrate.targets import dates_named

    if text == "default":
        return None
    if text == "all":
        named = [d for o in observations for d in dates_named(f"{o.source} {o.note}", o.date)]
        return max([*named, *(o.last for o in observations)])
    return dt.date.fromisoformat(text)


def prior_names(text: str) -> list[str] | None:
    if text == "all":
        return None
    if text == "forecast":
        return list(FORECAST_PRIORS)
    return [n.strip() for n in text.split(",") if n.strip()]


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    load_before = loadavg()
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()

    import corridor
    from corridor.calibrate.smc import calibrate, chosen_priors
    from corridor.distributed import connect
    from corridor.evaluate.observations import read_observations

    sim = corridor.load(args.scenario)
    scenario = sim.scenario
    obs_path = args.observations or (args.scenario / "observations.csv")
    observations = read_observations(obs_path, scenario)
    names = prior_names(args.priors)
    chosen = chosen_priors(scenario, names)
    known = known_by(args.known_by, observations)

    def progress(event: dict) -> None:
        if args.progress and event.get("event") in ("done", "stopped"):
            print(f"[calibration] {json.dumps(event)} at {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="corridor-bench-calibration-") as tmp:
        t_cluster = time.perf_counter()
        with connect(workers=args.workers) as client:
            cluster_start = time.perf_counter() - t_cluster
            m = calibrate(
                scenario,
                observations,
                Path(tmp) / "cal",
                budget=args.budget,
                population=args.population,
                seed=args.seed,
                known_by=known,
                priors=names,
                client=client,
                progress=progress,
                source={"file": str(obs_path), "command": "bench/calibration.py"},
            )
        wall = time.perf_counter() - t0
    load_after = loadavg()
    gens = m["generations"]
    run = m["simulations"] + m.get("simulations_discarded", 0)
    sampling = m["timings_s"].get("sampling")
    out = {
        "benchmark": "calibration",
        "scenario": scenario.name,
        "observations_file": rel(obs_path),
        "observations_rows": len(observations),
        "observations_used": len(m["observations"]["used"]),
        "observations_known_by": m["observations"].get("known_by"),
        "observations_excluded": [
            {"row": o["row"], "date": o["date"], "place": o["place"], "metric": o["metric"], "why": o["why"]}
            for o in m["observations"]["excluded"]
        ],
        "priors_in_file": len(scenario.priors),
        "priors_calibrated": len(chosen),
        "priors_calibrated_names": [p.name for p in chosen],
        "priors_drawn": len(m["priors_drawn"]),
        "days_run": m["scenario"]["days_run"],
        "budget": args.budget,
        "population": args.population,
        "seed": args.seed,
        "workers": args.workers,
        "wall_s": round(wall, 2),
        "cluster_start_s": round(cluster_start, 2),
        "sampling_s": sampling,
        "calibrate_total_s": m["timings_s"].get("total"),
        "simulations": m["simulations"],
        "simulations_discarded": m.get("simulations_discarded", 0),
        "simulations_run": run,
        "sims_per_s_wall": round(run / wall, 2),
        "sims_per_s_sampling": round(run / sampling, 2) if sampling else None,
        "generations": len(gens),
        "generation_detail": gens,
        "last_epsilon": gens[-1]["epsilon"] if gens else None,
        "effective_sample_size": m.get("effective_sample_size"),
        "posterior_size": m.get("posterior_size"),
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "date": started,
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "corridor": corridor.__version__,
        "versions": m.get("versions", {}),
        "command": "python bench/calibration.py " + " ".join(sys.argv[1:] if argv is None else argv),
    }
    text = json.dumps(out, indent=1)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(text + "\n")
    print(text)
    return out


if __name__ == "__main__":  # worker processes are spawned: they import this file without running it
    main()
