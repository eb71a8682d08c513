#!/usr/bin/env python3
"""Run a Flee scenario with the reference Flee package (PyPI ``flee==3.1``), or Flee's own run.py.

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
        [--flee-logs] [--verbose] [--flee-source FLEE_CHECKOUT]

SCENARIO_DIR is a Flee scenario folder (input_csv/, source_data/, simsetting.yml),
e.g. /work/shared/scenarios/flee/mali2012.

With ``--flee-source DIR`` (a checkout of djgroen/flee: DIR/flee/ and DIR/runscripts/run.py,
e.g. the development version, which PyPI does not ship) nothing of Flee is imported here:
Flee's own ``runscripts/run.py input_csv source_data DAYS simsetting.yml`` runs as a child
process in a scratch folder, exactly as FabFlee calls it, and the figures are read from the
out.csv it prints.  Its Python is this script's (Flee's venv: numpy, pandas, pyyaml, beartype;
mpi4py is not needed by the serial run.py).  run.py sets no seed, so ``seed`` is recorded as
null; the wall time is the child's, Python start-up and imports included (about a second);
peak RSS is the child's.  ARD is computed from out.csv's per-camp ``sim`` and ``data`` columns
(``data`` = the camp series interpolated, after registration_corrections, / hasten), each day
sum |sim - data| / max(sum data, 1), as in the in-process mode; the file's own ``Total error``
column divides by the raw UNHCR total instead and is kept apart as ``total_error_mean``.

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
import csv
import json
import os
import random
import re
import resource
import shlex
import shutil
import subprocess
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
    p.add_argument(
        "--flee-source",
        default=None,
        help="a djgroen/flee checkout (flee/, runscripts/run.py): run its run.py as a child process instead "
        "of the installed package's API, and read the figures from the out.csv it writes",
    )
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


def flee_commit(src):
    """The commit versioneer wrote into the checkout's flee/_version.py (None if it has none)."""
    try:
        with open(os.path.join(src, "flee", "_version.py"), encoding="utf-8") as f:
            m = re.search(r'git_full = "([0-9a-f]{40})"', f.read())
    except OSError:
        return None
    return m.group(1) if m else None


def read_out_csv(path):
    """Camps, per-day simulated and observed camp counts, agents and `Total error` from run.py's out.csv."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], [r for r in rows[1:] if r]
    col = {name: i for i, name in enumerate(head)}
    camps = [name[: -len(" sim")] for name in head if name.endswith(" sim")]
    sim = [[int(float(r[col[c + " sim"]])) for c in camps] for r in body]
    obs = [[int(float(r[col[c + " data"]])) for c in camps] for r in body]
    agents = [int(float(r[col["total refugees (simulation)"]])) for r in body]
    total_error = [float(r[col["Total error"]]) for r in body]
    return camps, sim, obs, agents, total_error


def ard_days(sim, obs):
    """Each day: sum over camps of |sim - obs| / max(observed camp total, 1), plain and rescaled (each day's
    simulated counts first scaled to the observed camp total, as corridor.evaluate.ard does)."""
    plain, rescaled = [], []
    for s, o in zip(sim, obs, strict=True):
        total, sim_total = sum(o), sum(s)
        scale = total / sim_total if sim_total > 0 else 1.0
        plain.append(sum(abs(a - b) for a, b in zip(s, o, strict=True)) / max(total, 1))
        rescaled.append(sum(abs(a * scale - b) for a, b in zip(s, o, strict=True)) / max(total, 1))
    return plain, rescaled


def run_source(args):
    """Flee's own runscripts/run.py from the checkout args.flee_source, in a scratch folder."""
    src = os.path.abspath(args.flee_source)
    script = os.path.join(src, "runscripts", "run.py")
    if not os.path.isfile(script):
        sys.exit(f"run_flee: {src} has no runscripts/run.py")
    scen = os.path.abspath(args.scenario_dir)
    days = args.days if args.days is not None else _sim_length(os.path.join(scen, "input_csv", "sim_period.csv"))
    work = tempfile.mkdtemp(prefix="run_flee_src_")
    try:
        for name in ("input_csv", "source_data"):
            os.symlink(os.path.join(scen, name), os.path.join(work, name))
        yml = os.path.join(work, "simsetting.yml")
        shutil.copy(os.path.join(scen, "simsetting.yml"), yml)
        if not args.flee_logs:
            _logs_off(yml)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])))
        cmd = [sys.executable, script, "input_csv", "source_data", str(days), "simsetting.yml"]
        out_csv = os.path.join(work, "out.csv")
        t0 = time.perf_counter()
        with open(out_csv, "w", encoding="utf-8") as out, open(os.devnull, "w") as null:
            proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=out, stderr=None if args.verbose else null)
            rc = proc.wait()
        wall_s = time.perf_counter() - t0
        if rc != 0:
            sys.exit(f"run_flee: {shlex.join(cmd)} exited {rc} (rerun with --verbose to see why)")
        camps, sim, obs, agents, total_error = read_out_csv(out_csv)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if len(sim) != days:
        sys.exit(f"run_flee: run.py wrote {len(sim)} days, not {days}")
    plain, rescaled = ard_days(sim, obs)
    return {
        "scenario": os.path.basename(scen.rstrip("/")),
        "scenario_dir": scen,
        "flee_version": "development (runscripts/run.py)",
        "flee_source": src,
        "flee_commit": flee_commit(src),
        "days": days,
        "seed": None,  # run.py seeds nothing
        "flee_logs": bool(args.flee_logs),
        "wall_s": wall_s,
        "agents_end": agents[-1] if agents else 0,
        "agent_days": sum(agents),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "camps": camps,
        "sim": sim,
        "ard_by_day": plain,
        "ard_mean": sum(plain) / len(plain) if plain else 0.0,
        "ard_rescaled_mean": sum(rescaled) / len(rescaled) if rescaled else 0.0,
        "total_error_mean": sum(total_error) / len(total_error) if total_error else 0.0,
    }


def _sim_length(path):
    with open(path, encoding="utf-8") as f:
        for row in csv.reader(f):
            if row and row[0].strip() == "Length":
                return int(row[1])
    sys.exit(f"run_flee: {path} has no Length row")


def _logs_off(yml):
    """Per-agent and per-link log files off (they change no dynamics, only the time spent writing them)."""
    import yaml

    with open(yml, encoding="utf-8") as f:
        settings = yaml.safe_load(f) or {}
    levels = settings.setdefault("log_levels", {})
    if levels.get("agent", 0) or levels.get("link", 0):
        levels["agent"] = levels["link"] = 0
        with open(yml, "w", encoding="utf-8") as f:
            yaml.safe_dump(settings, f)


def main(argv=None):
    args = parse_args(argv)
    scen = os.path.abspath(args.scenario_dir)
    for need in ("input_csv", "source_data", "simsetting.yml"):
        if not os.path.exists(os.path.join(scen, need)):
            sys.exit(f"run_flee: {scen} has no {need}")
    if args.flee_source:
        write_result(run_source(args), args)
        return

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

    write_result(result, args)


def write_result(result, args):
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
