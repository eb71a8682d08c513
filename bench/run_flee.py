#!/usr/bin/env python3
"""Run a Flee scenario with the reference Flee package (PyPI ``flee==3.1``).

This is a benchmark driver only: it runs under Flee's OWN virtual environment,
not corridor's, and uses nothing but Flee's installed public API (no Flee code
is copied here).  Set the environment up once with (commands verified, Python 3.11):

    python3 -m venv /tmp/flee-venv
    /tmp/flee-venv/bin/pip install flee==3.1    # pulls numpy, pandas, pyyaml,
                                                # beartype, mpi4py, ... by itself
    # or: bench/setup_flee.sh [VENV_DIR]        (default <repo>/.flee-venv)

Usage:

    /tmp/flee-venv/bin/python bench/run_flee.py SCENARIO_DIR \
        [--days N] [--out FILE.json] [--seed S] [--no-sum-from-camps]
        [--flee-logs] [--verbose]

SCENARIO_DIR is a Flee scenario folder (input_csv/, source_data/, simsetting.yml),
e.g. /work/shared/scenarios/flee/mali2012.

The day loop mirrors Flee's runscripts/run.py (which the wheel does not ship):
conflict zones -> spawn_daily_displaced -> refresh_spawn_weights ->
enact_border_closures -> evolve, then record camp counts against the UNHCR data.

Flee 3.1 API notes (checked against the installed sources):
  * flee.datamanager.read_period has no ``read_sim_period`` in 3.1; the same
    StartDate/Length reader is called ``read_conflict_period``.
  * ``flee.Ecosystem`` lives in the ``flee.flee`` module (the package
    ``__init__`` exports nothing); SimulationSettings must be read before
    Ecosystem() is built (its constructor reads log_levels).
  * ``spawning.spawn_daily_displaced(e, t, d, SumFromCamps=False)`` accepts
    SumFromCamps (its own default is False, while DataTable.get_daily_difference
    defaults to True).  We pass SumFromCamps=True: daily new arrivals = increase of
    the sum of the camp series (mali2012: 8,996 agents after 300 days).
    ``--no-sum-from-camps`` uses the "total" column (refugees.csv) instead, as a
    bare ``spawn_daily_displaced(e, t, d)`` call does (mali2012: 14,805 agents).
  * Demographic attribute files are globbed from the relative path
    ``input_csv/demographics_*.csv``, and agent/link diagnostics (agents.out.0,
    links.out.0) are written to the current directory, so the run happens in a
    scratch directory that links input_csv/ and is deleted afterwards.
  * Diagnostics file output (log_levels agent/link > 0 in simsetting.yml) does not
    change the dynamics or consume random numbers; it is switched off by default
    so that timings measure the simulation.  ``--flee-logs`` keeps the
    scenario's log levels (and pays for the per-agent file dumps).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("scenario_dir", help="Flee scenario folder (input_csv/, source_data/, simsetting.yml)")
    p.add_argument("--days", type=int, default=None, help="number of days (default: Length in sim_period.csv)")
    p.add_argument("--out", default=None, help="write the JSON result here (default: stdout)")
    p.add_argument("--seed", type=int, default=0, help="seed for random and numpy.random (default 0)")
    p.add_argument(
        "--no-sum-from-camps",
        dest="sum_from_camps",
        action="store_false",
        help="pass SumFromCamps=False to spawn_daily_displaced (arrivals from the 'total' "
        "column / refugees.csv) instead of the default True (sum of camp series)",
    )
    p.add_argument(
        "--flee-logs",
        action="store_true",
        help="keep the scenario's agent/link log levels (Flee writes agents.out.0/links.out.0 each day)",
    )
    p.add_argument("--verbose", action="store_true", help="do not silence Flee's stderr chatter")
    return p.parse_args(argv)


def _read_period(path):
    from flee.datamanager import read_period

    reader = getattr(read_period, "read_sim_period", None) or read_period.read_conflict_period
    start_date, length = reader(path)
    return start_date, int(length)


def run(args, progress):
    import numpy as np
    from flee import InputGeography, spawning
    from flee import flee as flee_mod
    from flee.datamanager import handle_refugee_data
    from flee.SimulationSettings import SimulationSettings

    scen = os.path.abspath(args.scenario_dir)
    inp = os.path.join(scen, "input_csv")
    src = os.path.join(scen, "source_data")

    random.seed(args.seed)
    np.random.seed(args.seed)

    t0 = time.perf_counter()
    start_date, length = _read_period(os.path.join(inp, "sim_period.csv"))
    days = length if args.days is None else args.days

    SimulationSettings.ReadFromYML(os.path.join(scen, "simsetting.yml"))
    if not args.flee_logs:
        SimulationSettings.log_levels["agent"] = 0
        SimulationSettings.log_levels["link"] = 0
    conflicts_csv = os.path.join(inp, "conflicts.csv")
    SimulationSettings.ConflictInputFile = conflicts_csv

    e = flee_mod.Ecosystem()
    ig = InputGeography.InputGeography()
    if hasattr(ig, "ReadConflictInputCSV"):
        ig.ReadConflictInputCSV(conflicts_csv)
    ig.ReadLocationsFromCSV(os.path.join(inp, "locations.csv"))
    ig.ReadLinksFromCSV(os.path.join(inp, "routes.csv"))
    ig.ReadClosuresFromCSV(os.path.join(inp, "closures.csv"))
    e, lm = ig.StoreInputGeographyInEcosystem(e)

    d = handle_refugee_data.RefugeeTable(
        csvformat="generic",
        data_directory=src,
        start_date=start_date,
        data_layout="data_layout.csv",
        population_scaledown_factor=SimulationSettings.optimisations["PopulationScaleDownFactor"],
    )
    d.ReadL1Corrections(os.path.join(inp, "registration_corrections.csv"))

    camps = e.get_camp_names()
    for c in camps:
        spawning.add_initial_refugees(e, d, lm[c])
    setup_s = time.perf_counter() - t0

    sim, obs, ard_by_day = [], [], []
    agent_days = 0
    for t in range(days):
        ig.AddNewConflictZones(e, t)
        spawning.spawn_daily_displaced(e, t, d, SumFromCamps=args.sum_from_camps)
        spawning.refresh_spawn_weights(e)
        e.enact_border_closures(t)
        e.evolve()

        s = [int(lm[c].numAgents) for c in camps]
        o = [int(d.get_field(c, t)) for c in camps]
        sim.append(s)
        obs.append(o)
        ard_by_day.append(sum(abs(a - b) for a, b in zip(s, o, strict=True)) / max(sum(o), 1))
        agent_days += len(e.agents)
        if progress is not None and (t + 1) % 25 == 0:
            print(
                f"[run_flee] day {t + 1}/{days} agents={len(e.agents)} t={time.perf_counter() - t0:.1f}s",
                file=progress,
                flush=True,
            )
    wall_s = time.perf_counter() - t0

    return {
        "scenario": os.path.basename(scen.rstrip("/")),
        "scenario_dir": scen,
        "flee_version": getattr(sys.modules.get("flee"), "__version__", None),
        "days": days,
        "seed": args.seed,
        "sum_from_camps": bool(args.sum_from_camps),
        "flee_logs": bool(args.flee_logs),
        "wall_s": wall_s,
        "setup_s": setup_s,
        "agents_end": len(e.agents),
        "agent_days": agent_days,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "camps": camps,
        "sim": sim,  # the UNHCR counts themselves are not written: they stay in the scenario folder
        "ard_by_day": ard_by_day,
        "ard_mean": sum(ard_by_day) / len(ard_by_day) if ard_by_day else 0.0,
    }


def main(argv=None):
    args = parse_args(argv)
    scen = os.path.abspath(args.scenario_dir)
    for need in ("input_csv", "source_data", "simsetting.yml"):
        if not os.path.exists(os.path.join(scen, need)):
            sys.exit(f"run_flee: {scen} has no {need}")

    # Scratch working directory: Flee reads input_csv/demographics_*.csv relative
    # to the cwd and writes diagnostics files into it.
    old_cwd = os.getcwd()
    work = tempfile.mkdtemp(prefix="run_flee_")
    os.symlink(os.path.join(scen, "input_csv"), os.path.join(work, "input_csv"))

    # Silence Flee's chatter: fd 2 -> /dev/null; Flee's (rare, error) prints to
    # stdout are sent to the real stderr so they stay visible and never mix with
    # JSON on stdout.  Restored before any traceback is shown.
    sys.stdout.flush()
    sys.stderr.flush()
    saved_err_fd = os.dup(2)
    real_err = os.fdopen(os.dup(saved_err_fd), "w", buffering=1)
    real_stdout = sys.stdout
    silenced = not args.verbose
    if silenced:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    sys.stdout = real_err

    def restore():
        sys.stdout = real_stdout
        sys.stderr.flush()
        os.dup2(saved_err_fd, 2)

    try:
        os.chdir(work)
        result = run(args, progress=real_err)
    except BaseException:
        restore()
        os.chdir(old_cwd)
        shutil.rmtree(work, ignore_errors=True)
        raise  # stderr is restored, so the traceback / exit message is visible
    restore()
    os.chdir(old_cwd)
    shutil.rmtree(work, ignore_errors=True)

    text = json.dumps(result)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        print(
            f"[run_flee] {result['scenario']}: days={result['days']} ard_mean={result['ard_mean']:.4f} "
            f"agents_end={result['agents_end']} agent_days={result['agent_days']} "
            f"wall_s={result['wall_s']:.1f} -> {args.out}",
            file=sys.stderr,
        )
    else:
        print(text)


if __name__ == "__main__":
    main()
