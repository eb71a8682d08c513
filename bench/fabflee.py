#!/usr/bin/env python3
"""Which of FabFlee's scenarios corridor runs: every Flee folder under a FabFlee `config_files/`, loaded and run.

    python bench/fabflee.py /tmp/fabflee/config_files [--timeout 300] [--days N] [--json-out FILE]
    CORRIDOR_FABFLEE=/tmp/fabflee/config_files python bench/fabflee.py

FabFlee (github.com/djgroen/FabFlee) is third-party data: it is read where it lies, never copied into this
repository. Get its `config_files/` with `git clone https://github.com/djgroen/FabFlee` (or
`git -C <bare repo> archive HEAD config_files | tar -x -C /tmp/fabflee`).

Every folder under it that corridor's loader recognises as a Flee scenario (`input_csv/locations.csv`, as
`corridor.scenario.flee.is_flee_folder` decides; nested ones such as `validation/SWEEP/mali2012` too) is
loaded with `corridor.load` and run with seed 0 for its full length (`sim_period.csv`), or for `--days N`
at most (then the table says so), one scenario at a time, each in a child process with a wall-clock limit
(`--timeout`, seconds for loading and running together): a giant that runs past it is reported as a
timeout, not waited for. A refusal is corridor's one-line error (`CorridorError`), quoted verbatim; any
other exception is a crash of corridor, reported with its type. Warnings (where Flee warns and goes on)
are counted, and kept in the JSON.

Prints a Markdown table (scenario, loads?, days run, people at the end, seconds, refusal) and writes it with
the FabFlee commit, its date and the counts to `--json-out` (default bench/results/fabflee.json). The commit
is read from the folder's git checkout, or given with `--fabflee-commit` and `--fabflee-date`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ENV = "CORRIDOR_FABFLEE"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("config_files", nargs="?", default=None, help=f"FabFlee's config_files folder (default: ${ENV})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--days", type=int, default=None, help="run at most N days of each scenario (default: all)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds a scenario may take, load and run")
    p.add_argument(
        "--retry-days",
        type=int,
        default=None,
        help="run a scenario that timed out again for this many days (a giant: the table says so)",
    )
    p.add_argument("--threads", type=int, default=1, help="threads of each run (default 1: shared machines)")
    p.add_argument("--only", nargs="*", default=None, help="only these scenarios (paths under config_files)")
    p.add_argument("--json-out", default=str(ROOT / "bench" / "results" / "fabflee.json"))
    p.add_argument(
        "--merge",
        action="store_true",
        help="with --only: replace those scenarios' rows in the existing --json-out, keep the others",
    )
    p.add_argument("--markdown-out", default=None, help="also write the Markdown table to this file")
    p.add_argument("--fabflee-commit", default=None, help="FabFlee's commit, when the folder is not a git checkout")
    p.add_argument("--fabflee-date", default=None, help="that commit's date")
    p.add_argument(
        "--flee",
        default=None,
        metavar="SRC",
        help="also run Flee's runscripts/run.py from this checkout of djgroen/flee for --flee-days days",
    )
    p.add_argument("--flee-days", type=int, default=3, help="days of each Flee run (default 3)")
    p.add_argument("--flee-timeout", type=float, default=120.0, help="seconds a Flee run may take")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)  # child mode: one scenario, JSON on stdout
    return p.parse_args(argv)


def find_scenarios(root: Path) -> list[Path]:
    """Every folder under root that corridor reads as a Flee scenario, by its path under root."""
    from corridor.scenario.flee import is_flee_folder

    found = {p.parent.parent for p in root.rglob("input_csv/locations.csv")}
    return sorted((d for d in found if is_flee_folder(d)), key=lambda d: d.relative_to(root).as_posix().lower())


def run_one(folder: str, seed: int, days: int | None, threads: int) -> dict[str, Any]:
    """Load and run one scenario in this process; what happened, as a dict (the child's answer)."""
    import corridor
    from corridor.errors import CorridorError

    warnings: list[str] = []
    out: dict[str, Any] = {"loads": False, "ran": False, "warnings": warnings}
    t0 = time.perf_counter()
    try:
        sim = corridor.load(folder, warn=warnings.append)
    except CorridorError as exc:
        return out | {"status": "refused", "stage": "load", "reason": str(exc), "seconds": time.perf_counter() - t0}
    except Exception as exc:  # noqa: BLE001 (a crash is what this bench is for finding)
        return out | {"status": "crash", "stage": "load", "reason": f"{type(exc).__name__}: {exc}",
                      "seconds": time.perf_counter() - t0}  # fmt: skip
    out |= {"loads": True, "length": sim.scenario.days, "load_seconds": time.perf_counter() - t0}
    try:
        res = sim.run(seed=seed, days=days, threads=threads)
    except CorridorError as exc:
        return out | {"status": "refused", "stage": "run", "reason": str(exc), "seconds": time.perf_counter() - t0}
    except Exception as exc:  # noqa: BLE001
        return out | {"status": "crash", "stage": "run", "reason": f"{type(exc).__name__}: {exc}",
                      "seconds": time.perf_counter() - t0}  # fmt: skip
    return out | {
        "status": "ran",
        "ran": True,
        "days": res.days,
        # everyone the run added (Flee's `total refugees (simulation)`), wherever they are at the end
        "people": int(res.agents),
        "seconds": time.perf_counter() - t0,
    }


def run_child(folder: Path, args: argparse.Namespace, days: int | None) -> dict[str, Any]:
    """One scenario in a child process, killed at the time limit: a numba kernel cannot be interrupted."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(folder), "--seed", str(args.seed),
           "--threads", str(args.threads)]  # fmt: skip
    if days is not None:
        cmd += ["--days", str(days)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "loads": None, "ran": False, "seconds": args.timeout,
                "reason": f"not done in {args.timeout:g} s"}  # fmt: skip
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "crash", "loads": None, "ran": False, "seconds": time.perf_counter() - t0,
                "reason": f"child exited {proc.returncode}: {tail}"}  # fmt: skip
    return json.loads(lines[-1])


def run_flee(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Flee's own run.py on a copy of the folder, as FabFlee calls it (`run.py input_csv source_data DAYS
    simsetting.yml`, Flee's defaults where the folder has none): whether Flee starts the scenario at all.
    Flee writes into the folder it runs in, and stops with sys.exit() (status 0) on some inputs: it ran
    only if it printed a row for each day."""
    src = Path(args.flee).resolve()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")])))
    with tempfile.TemporaryDirectory(prefix="fabflee-flee-") as tmp:
        work = Path(tmp) / folder.name
        shutil.copytree(folder, work, symlinks=True)
        yml = work / "simsetting.yml"
        if not yml.is_file():
            yml = Path(tmp) / "defaults.yml"
            yml.write_text("{}\n")
        cmd = [sys.executable, str(src / "runscripts" / "run.py"), "input_csv", "source_data",
               str(args.flee_days), str(yml)]  # fmt: skip
        try:
            proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True,
                                  timeout=args.flee_timeout, check=False)  # fmt: skip
        except subprocess.TimeoutExpired:
            return {"status": "timeout", "reason": f"not done in {args.flee_timeout:g} s"}
    rows = max(0, len(proc.stdout.strip().splitlines()) - 1)
    if proc.returncode == 0 and rows >= args.flee_days:
        return {"status": "ran", "days": rows}
    said = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip().strip("^~ ")]
    return {"status": "stops", "days": rows, "reason": said[-1][:300] if said else f"exit {proc.returncode}"}


def fabflee_commit(root: Path, args: argparse.Namespace) -> tuple[str | None, str | None]:
    if args.fabflee_commit:
        return args.fabflee_commit, args.fabflee_date
    try:
        got = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%H %cI"], capture_output=True,
                             text=True, check=True).stdout.split()  # fmt: skip
        return got[0], got[1]
    except (subprocess.CalledProcessError, FileNotFoundError, IndexError):
        return None, args.fabflee_date


def unroot(said: Any, root: Path) -> Any:
    if isinstance(said, list):
        return [unroot(s, root) for s in said]
    return said.replace(f"{root}/", "config_files/")


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def flee_cell(r: dict[str, Any]) -> str:
    flee = r["flee"]
    if flee["status"] == "ran":
        return "runs"
    return "timeout" if flee["status"] == "timeout" else f"stops: {cell(flee['reason'])}"


def markdown(rows: list[dict[str, Any]], days_cap: int | None, flee_days: int | None) -> str:
    flee = flee_days is not None
    head = ["scenario"] + ([f"Flee ({flee_days} days)"] if flee else [])
    head += ["loads?", "days run", "people at the end", "seconds", "refusal"]
    lines = ["| " + " | ".join(head) + " |", "| --- " * len(head) + "|"]
    for r in rows:
        loads = {True: "yes", False: "no", None: "?"}[r.get("loads")]
        if r.get("ran"):
            ran = f"{r['days']}" + (f" of {r['length']}" if r["days"] != r["length"] else "")
            if r.get("full_run") == "timeout":
                ran += " (all: timeout)"
            people = f"{r['people']:,}"
        else:
            ran = "timeout" if r["status"] == "timeout" else "-"
            people = "-"
        why = "" if r.get("ran") else r["reason"]
        if r["status"] == "crash":
            why = f"crash: {why}"
        cells = [r["scenario"]] + ([flee_cell(r)] if flee else [])
        cells += [loads, ran, people, f"{r['seconds']:.1f}", cell(why)]
        lines.append("| " + " | ".join(cells) + " |")
    if days_cap is not None:
        lines.append(f"\nRuns capped at {days_cap} days (`--days {days_cap}`).")
    if any(r.get("full_run") == "timeout" for r in rows):
        lines.append(
            "\n(all: timeout): the whole run was not done in the time limit; the days shown are a shorter run."
        )
    return "\n".join(lines)


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    c = {"scenarios": len(rows)}
    for status in ("ran", "refused", "timeout", "crash"):
        c[status] = sum(r["status"] == status for r in rows)
    c["ran_shortened"] = sum(r.get("full_run") == "timeout" and r["status"] == "ran" for r in rows)
    c["loads"] = sum(r.get("loads") is True for r in rows)
    if rows and "flee" in rows[0]:
        flee_runs = [r for r in rows if r["flee"]["status"] == "ran"]
        c["flee_runs"] = len(flee_runs)
        c["flee_runs_corridor_ran"] = sum(r["status"] == "ran" for r in flee_runs)
        c["flee_stops_corridor_ran"] = sum(r["flee"]["status"] != "ran" and r["status"] == "ran" for r in rows)
    return c


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.seed, args.days, args.threads)))
        return 0
    given = args.config_files or os.environ.get(ENV)
    if not given or not Path(given).is_dir():
        what = "not given" if not given else f"no such folder {given!r}"
        print(f"error: FabFlee's config_files folder: {what}; pass its path or set {ENV} "
              "(git clone https://github.com/djgroen/FabFlee)", file=sys.stderr)  # fmt: skip
        return 2
    root = Path(given).resolve()
    scenarios = find_scenarios(root)
    if args.only:
        scenarios = [d for d in scenarios if d.relative_to(root).as_posix() in set(args.only)]
    if not scenarios:
        print(f"error: no Flee scenario (input_csv/locations.csv) under {root}", file=sys.stderr)
        return 2

    if args.flee:
        # Flee's own dependencies (beartype, ...) must be importable: a missing one is not a scenario's failure
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [args.flee, os.environ.get("PYTHONPATH")])))
        probe = subprocess.run([sys.executable, "-c", "import flee.flee, flee.InputGeography"], env=env, cwd=root,
                               capture_output=True, text=True, check=False)  # fmt: skip
        if probe.returncode:
            said = (probe.stderr.strip().splitlines() or ["?"])[-1]
            print(f"error: Flee from {args.flee} does not import: {said}; install its dependencies "
                  "(pip install beartype) or add them to PYTHONPATH", file=sys.stderr)  # fmt: skip
            return 2

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    rows: list[dict[str, Any]] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console) as bar:  # fmt: skip
        task = bar.add_task("FabFlee", total=len(scenarios))
        for folder in scenarios:
            name = folder.relative_to(root).as_posix()
            bar.update(task, description=f"{name:40s}")
            if args.flee:
                bar.update(task, description=f"{name:40s} (Flee)")
                flee = run_flee(folder, args)
                bar.update(task, description=f"{name:40s}")
            row = {"scenario": name} | run_child(folder, args, args.days)
            if row["status"] == "timeout" and args.retry_days:
                bar.console.print(f"{name}: not done in {args.timeout:g} s; again for {args.retry_days} days",
                                  highlight=False, markup=False)  # fmt: skip
                again = run_child(folder, args, args.retry_days)
                row = {"scenario": name, "full_run": "timeout"} | again
            if args.flee:
                row["flee"] = flee
            # the reasons name files under config_files/, wherever it lies on this machine
            for key in ("reason", "warnings"):
                if key in row:
                    row[key] = unroot(row[key], root)
            rows.append(row)
            said = f"{row['status']}" + (f": {row['reason']}" if row["status"] != "ran" else f", {row['days']} days")
            if args.flee:
                said = f"Flee {flee['status']}; corridor {said}"
            bar.console.print(f"{name}: {said}", highlight=False, markup=False, soft_wrap=True)
            bar.advance(task)
    commit, date = fabflee_commit(root, args)
    command = "python bench/fabflee.py " + " ".join(sys.argv[1:] if argv is None else argv)
    commands = [command]
    if args.merge and Path(args.json_out).is_file():
        before = json.loads(Path(args.json_out).read_text())
        fresh = {r["scenario"]: r for r in rows}
        for r in before["scenarios"]:  # a rerun of corridor alone keeps the Flee run the earlier one made
            if r["scenario"] in fresh and "flee" in r and "flee" not in fresh[r["scenario"]]:
                fresh[r["scenario"]]["flee"] = r["flee"]
        rows = [fresh.pop(r["scenario"], r) for r in before["scenarios"]] + list(fresh.values())
        commands = before.get("commands", [before.get("command")]) + [command]
    table = markdown(rows, args.days, args.flee_days if args.flee else None)
    print(table)
    result = {
        "command": commands[0],
        "commands": commands,
        "fabflee_commit": commit,
        "fabflee_date": date,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} ({platform.machine()}, {os.cpu_count()} cpus)",
        "seed": args.seed,
        "days_cap": args.days,
        "retry_days": args.retry_days,
        "timeout_s": args.timeout,
        "threads": args.threads,
        "flee_source": str(args.flee) if args.flee else None,
        "flee_days": args.flee_days if args.flee else None,
        "counts": counts(rows),
        "scenarios": rows,
    }
    Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json_out).write_text(json.dumps(result, indent=1) + "\n")
    if args.markdown_out:
        Path(args.markdown_out).write_text(table + "\n")
    c = result["counts"]
    print(f"\n{c['ran']} of {c['scenarios']} ran; {c['refused']} refused, {c['timeout']} timed out, "
          f"{c['crash']} crashed", file=sys.stderr)  # fmt: skip
    if args.flee:
        print(f"Flee ran {c['flee_runs']} for {args.flee_days} days; corridor ran {c['flee_runs_corridor_ran']} of "
              f"those, and {c['flee_stops_corridor_ran']} that Flee does not", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
