#!/usr/bin/env python3
"""Run corridor's benchmarks and write docs/benchmarks.md.

    python bench/run_all.py                       # Flee scenarios, scale table, 1 vs 2 threads
    python bench/run_all.py --big                 # also 30 M agents
    python bench/run_all.py --agents 1M --places 1k --days 300    # a smaller scale table

Every corridor figure is measured afresh, each run in its own process (peak RSS per run):

  (a) Flee's scenarios (nigeria2024 over its Flee record's days only): `corridor run SCENARIO --out TMP --quiet`
      timed from outside (Python start-up, imports, numba cache load, reading, running, writing), then
      `bench/scale.py --scenario` for the in-process run time, agent-days/s, peak RSS and ARD. Flee's figures are
      read from bench/results/flee-<scenario>.json, recorded once (with date and machine) by

          python bench/run_all.py --record-flee /work/shared/scenarios/flee/SCENARIO

      which runs bench/run_flee.py under Flee's own venv; `--import-flee FILE.json` stamps a
      run_flee.py JSON made earlier on this machine instead. nigeria2024's record is Flee's development
      version over 25 days:

          python bench/run_all.py --record-flee /work/shared/scenarios/flee/nigeria2024 --flee-days 25 \
              --flee-python /tmp/fleedev-venv/bin/python --flee-source /tmp/flee-dev
  (b) the scale table: bench/scale.py for every (agents, places) pair given.
  (c) 1 vs 2 threads: the same run with NUMBA_NUM_THREADS=1 and =2; identical result tables?
  (d) small runs: bench/small_runs.py on tijuana-2018, whole runs in-process, with numba's threads and with
      one (as a calibration's worker runs them); the median against the 40 ms a run of issue 12.
  (e) ensembles: bench/ensemble.py, simulations per second in-process and on a local Dask cluster of 1 and
      2 workers.
  (f) calibration: bench/calibration.py, ABC-SMC of tijuana-2018 to its 31 observations (16 priors, 5,000
      simulations, 2 workers); its time against the 15 minutes of issue 12.

    python bench/run_all.py --only small,ensemble,calibration    # (d)-(f): no Flee scenarios or venv needed

Each section starts with the command that measured it, its dates, the machine, the versions and the load
average at its start and end. A run of some sections (`--only`, `--skip-...`) rewrites those and keeps the
page's other sections as they were. The raw results of (d)-(f) are kept in bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
DEFAULT_FLEE_DIR = Path(os.environ.get("CORRIDOR_FLEE_SCENARIOS", ROOT.parent / "shared" / "scenarios" / "flee"))
FLEE_SCENARIOS = ("mali2012", "burundi", "car", "ssudan", "nigeria2024")
# scenarios run here only over the days of their Flee record: Flee's development version takes hours over
# nigeria2024's year, and corridor (28 M people by its end) minutes a run, too long for this section's repeats
FLEE_PREFIX = ("nigeria2024",)
FLEE_PYTHON = os.environ.get("FLEE_PYTHON", "/tmp/flee-venv/bin/python")
# corridor's run on a Flee scenario takes under a second, where one busy moment on this shared machine
# shows as tens of percent; the fastest of a few runs (as timeit reports) measures the code, not the noise.
REPEAT = 5
# the page's sections: the name --only takes, and the letter of its heading, in the page's order
SECTIONS = {"scenarios": "a", "scale": "b", "threads": "c", "small": "d", "ensemble": "e", "calibration": "f"}
# sections written before the sections carried their own facts (command, date, load): those facts were the
# page's preamble's, and a kept section of that page gets them (the hand-written (d) of then had none)
LEGACY_GENERATED = ("a", "b", "c")
# issue 12 §7's targets
SMALL_RUN_TARGET_MS = 40.0
CALIBRATION_TARGET_S = 15 * 60
CALIBRATION_MIN_SIMS = 5000
CALIBRATION_MIN_PRIORS = 10


def count(text: str) -> int:
    """'1M', '10k', '2.5m', '1e6', '1000000' -> int."""
    t = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}.get(t[-1:], 1)
    if mult != 1:
        t = t[:-1]
    return int(round(float(t) * mult))


def counts(text: str) -> list[int]:
    return [count(x) for x in text.split(",") if x.strip()]


def sections(text: str) -> list[str]:
    """'small,ensemble' or 'd,e' -> the sections' letters."""
    letters = set(SECTIONS.values())
    out = []
    for name in (x.strip().lower() for x in text.split(",") if x.strip()):
        letter = SECTIONS.get(name, name if name in letters else None)
        if letter is None:
            raise argparse.ArgumentTypeError(
                f"section {name!r}: expected one of {', '.join(SECTIONS)} or their letters {', '.join(sorted(letters))}"
            )
        out.append(letter)
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--agents", type=counts, default=None, help="agent counts, comma-separated (default 1M,10M)")
    p.add_argument("--places", type=counts, default=None, help="place counts, comma-separated (default 1k,10k)")
    p.add_argument("--days", type=int, default=300)
    p.add_argument("--big", action="store_true", help="add 30M agents to the scale table")
    p.add_argument("--no-border", action="store_true", help="scale runs without the border processes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--flee-dir", type=Path, default=DEFAULT_FLEE_DIR, help="folder holding Flee's scenarios")
    p.add_argument("--scenarios", default=",".join(FLEE_SCENARIOS), help="Flee scenarios to run, comma-separated")
    p.add_argument(
        "--threads-config",
        default=None,
        metavar="AGENTS:PLACES",
        help="scale configuration for the 1 vs 2 threads check (default: smallest of the table)",
    )
    p.add_argument("--skip-scenarios", action="store_true", help="leave out part (a)")
    p.add_argument("--skip-scale", action="store_true", help="leave out part (b)")
    p.add_argument("--skip-threads", action="store_true", help="leave out part (c)")
    p.add_argument(
        "--only",
        type=sections,
        default=None,
        metavar="SECTIONS",
        help="run only these sections, comma-separated: "
        + ", ".join(f"{k} ({v})" for k, v in SECTIONS.items())
        + " (names or letters); the page's other sections are kept as they are",
    )
    p.add_argument("--small-runs", type=int, default=30, help="(d): timed runs of each setting")
    p.add_argument("--ensemble-runs", type=int, default=200, help="(e): runs in each timed ensemble")
    p.add_argument("--ensemble-repeat", type=int, default=3, help="(e): timed ensembles of each setting")
    p.add_argument("--calibration-budget", type=int, default=CALIBRATION_MIN_SIMS, help="(f): most simulations")
    p.add_argument("--calibration-population", type=int, default=200, help="(f): particles per generation")
    p.add_argument("--calibration-workers", type=int, default=2, help="(f): worker processes of the local cluster")
    p.add_argument(
        "--calibration-timeout",
        type=float,
        default=None,
        help="(f): seconds before the calibration is stopped and reported unfinished (default: --timeout)",
    )
    p.add_argument("--timeout", type=float, default=3600, help="seconds allowed to each run")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    p.add_argument(
        "--record-flee",
        metavar="SCENARIO_DIR",
        default=None,
        help="run Flee (bench/run_flee.py) on this scenario and store bench/results/flee-NAME.json",
    )
    p.add_argument("--flee-days", type=int, default=None, help="with --record-flee: simulate only N days")
    p.add_argument("--flee-python", default=FLEE_PYTHON, help="Python of Flee's venv (env FLEE_PYTHON)")
    p.add_argument(
        "--flee-source",
        default=None,
        metavar="FLEE_CHECKOUT",
        help="with --record-flee: run this djgroen/flee checkout's runscripts/run.py (bench/run_flee.py "
        "--flee-source) instead of the Flee package installed in --flee-python's venv",
    )
    p.add_argument(
        "--import-flee",
        metavar="FILE.json",
        default=None,
        help="stamp a run_flee.py JSON made on this machine and store it in bench/results/",
    )
    return p.parse_args(argv)


# --- machine ------------------------------------------------------------------------------------


def machine() -> dict:
    cpu, physical = "unknown", set()
    phys_id = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, val = line.partition(":")
            key, val = key.strip(), val.strip()
            if key == "model name" and cpu == "unknown":
                cpu = val
            elif key == "physical id":
                phys_id = val
            elif key == "core id":
                physical.add((phys_id, val))
    except OSError:  # not Linux: the machine line says "unknown"
        cpu = cpu
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    except OSError:  # not Linux: RAM unknown
        ram = None
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "physical_cores": len(physical) or None,
        "ram_bytes": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "hostname": platform.node(),
    }


def machine_line(m: dict) -> str:
    ram = f"{m['ram_bytes'] / 2**30:.1f} GiB RAM" if m.get("ram_bytes") else "RAM unknown"
    return f"{m['cpu']}, {m['logical_cpus']} logical CPUs ({m.get('physical_cores') or '?'} cores), {ram}"


def now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def loadavg() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# --- running ------------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(f"[run_all] {msg}", file=sys.stderr, flush=True)


def timed(cmd: list[str], env: dict | None = None, timeout: float = 3600) -> dict:
    """Run cmd; wall time from outside, the child's own peak RSS (wait4), stdout, exit status."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        deadline = t0 + timeout
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "rc": proc.returncode,
            "timed_out": wall > timeout,
            "wall_s": wall,
            "peak_rss_bytes": ru.ru_maxrss * 1024,
            "stdout": out.read().decode(errors="replace"),
            "stderr": err.read().decode(errors="replace"),
        }


def scale_run(extra: list[str], env_threads: int | None = None, timeout: float = 3600, env_extra=None) -> dict:
    cmd = [sys.executable, str(BENCH / "scale.py"), "--json", *extra]
    env = dict(os.environ)
    set_env = dict(env_extra or {})
    if env_threads is not None:
        set_env["NUMBA_NUM_THREADS"] = str(env_threads)
    env.update(set_env)
    log("running " + shlex.join(cmd) + (f"  ({' '.join(f'{k}={v}' for k, v in set_env.items())})" if set_env else ""))
    r = timed(cmd, env=env, timeout=timeout)
    if r["rc"] != 0:
        tail = r["stderr"].strip().splitlines()[-1:] or ["(no output)"]
        why = "timed out" if r["timed_out"] else f"exit {r['rc']}: {tail[0]}"
        log(f"  failed: {why}")
        return {"error": why, "command": shlex.join(cmd)}
    res = json.loads(r["stdout"].strip().splitlines()[-1])
    res["process_wall_s"] = r["wall_s"]
    res["command"] = shlex.join(cmd)
    log(
        f"  {res['wall_s']:.2f} s, {res['agent_days_per_s'] / 1e6:.1f} M agent-days/s, "
        f"peak RSS {res['peak_rss_bytes'] / 2**20:.0f} MiB"
    )
    return res


def corridor_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("corridor")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "corridor.cli"]


# --- Flee records -------------------------------------------------------------------------------


def flee_record_path(name: str) -> Path:
    return RESULTS / f"flee-{name}.json"


def record_command(scenario_dir: Path) -> str:
    return f"{shlex.quote(sys.executable)} bench/run_all.py --record-flee {shlex.quote(str(scenario_dir))}"


def store_flee(data: dict, recorded: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"recorded": recorded, **{k: v for k, v in data.items() if k != "recorded"}}
    path = flee_record_path(data["scenario"])
    path.write_text(json.dumps(data) + "\n")
    return path


def record_flee(args: argparse.Namespace) -> None:
    scen = Path(args.record_flee).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "flee.json"
        cmd = [args.flee_python, str(BENCH / "run_flee.py"), str(scen), "--out", str(out)]
        if args.flee_days:
            cmd += ["--days", str(args.flee_days)]
        if args.flee_source:
            cmd += ["--flee-source", str(Path(args.flee_source).resolve())]
        log("running " + shlex.join(cmd))
        load = loadavg()
        r = subprocess.run(cmd, cwd=ROOT)
        if r.returncode != 0:
            sys.exit(f"run_all: Flee failed (exit {r.returncode})")
        data = json.loads(out.read_text())
    path = store_flee(data, {"date": now(), "machine": machine(), "command": shlex.join(cmd), "loadavg_start": load})
    log(f"wrote {path.relative_to(ROOT)}")


def import_flee(args: argparse.Namespace) -> None:
    src = Path(args.import_flee).resolve()
    data = json.loads(src.read_text())
    if "wall_s" not in data or "agent_days" not in data or "scenario" not in data:
        sys.exit(f"run_all: {src} is not a bench/run_flee.py result")
    mtime = dt.datetime.fromtimestamp(src.stat().st_mtime, dt.UTC).astimezone().isoformat(timespec="seconds")
    path = store_flee(
        data,
        {
            "date": mtime,
            "machine": machine(),
            "command": f"bench/run_flee.py {data.get('scenario_dir', '?')} (imported from {src})",
            "note": "imported: date is the file's modification time; machine is the one that imported it",
        },
    )
    log(f"wrote {path.relative_to(ROOT)}")


# --- the report ---------------------------------------------------------------------------------


def fmt(x, spec: str = ",.0f", none: str = "-") -> str:
    if x is None:
        return none
    return format(x, spec)


def pad(row: str, cells: int) -> str:
    """Fill a markdown table row up to `cells` cells."""
    return row + " |" * max(0, cells - (row.count("|") - 1))


def mib(b) -> str:
    return fmt(None if b is None else b / 2**20, ",.0f")


def part_scenarios(args: argparse.Namespace, lines: list[str], missing: list[str]) -> None:
    lines += [
        "## (a) Flee's scenarios",
        "",
        "corridor: measured now, seed 0. *end to end* is `corridor run SCENARIO --out TMP --quiet` timed from "
        "outside (Python start-up, imports, numba cache load, reading the scenario, running, writing Parquet/CSV); "
        f"*run* is `Simulation.run` alone (bench/scale.py --scenario --repeat {REPEAT}: the fastest of {REPEAT} runs "
        "after a warm-up, since a run of under a second is easily slowed by other work on the machine, while Flee's "
        "runs of minutes average such moments out); peak RSS is each process's "
        "own. Flee: read from bench/results/flee-SCENARIO.json (bench/run_flee.py, Flee 3.1, seed 0, unless a note "
        "under the comparison says otherwise), recorded once "
        "on the date and machine shown. Flee's time covers reading its inputs and the day loop (not Python start-up).",
        "",
        "| scenario | days | agents | agent-days | end to end s | load s | run s | M agent-days/s | peak RSS MiB "
        "(e2e / run) | ARD |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    cmp_rows, notes = [], []
    names = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    found = [n for n in names if (args.flee_dir / n / "input_csv").is_dir()]
    if found:  # untimed: brings numba's cache up to date, so that no timed run compiles
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [*corridor_cmd(), "run", str(args.flee_dir / found[0]), "--days", "2", "--out", tmp + "/w", "-q"]
            log("warm-up " + shlex.join(cmd))
            timed(cmd, timeout=args.timeout)
    for name in names:
        path = args.flee_dir / name
        if not (path / "input_csv").is_dir():
            lines.append(pad(f"| {name} | not found in {args.flee_dir} |", 10))
            continue
        flee_file = flee_record_path(name)
        prefix = json.loads(flee_file.read_text())["days"] if name in FLEE_PREFIX and flee_file.exists() else None
        days = [] if prefix is None else ["--days", str(prefix)]
        label = name if prefix is None else f"{name} (first {prefix} days)"
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [*corridor_cmd(), "run", str(path), *days, "--out", str(Path(tmp) / "run"), "--quiet"]
            log("running " + shlex.join(cmd))
            e2e = timed(cmd, timeout=args.timeout)
        if e2e["rc"] != 0:
            log(f"  failed: {e2e['stderr'].strip().splitlines()[-1:]}")
        inproc = scale_run(
            ["--scenario", str(path), "--seed", "0", *days, "--repeat", str(REPEAT)], timeout=args.timeout
        )
        if "error" in inproc:
            lines.append(pad(f"| {name} | failed: {inproc['error']} |", 10))
            continue
        e2e_s = fmt(e2e["wall_s"], ".2f") if e2e["rc"] == 0 else f"failed ({e2e['rc']})"
        lines.append(
            f"| {label} | {inproc['days']} | {fmt(inproc['agents'])} | {fmt(inproc['agent_days'])} | {e2e_s} | "
            f"{fmt(inproc['build_s'], '.2f')} | {fmt(inproc['wall_s'], '.3f')} | "
            f"{fmt(inproc['agent_days_per_s'] / 1e6, '.1f')} | {mib(e2e['peak_rss_bytes'])} / "
            f"{mib(inproc['peak_rss_bytes'])} | {fmt(inproc['ard_mean'], '.4f')} |"
        )
        if not flee_file.exists():
            missing.append(name)
            cmp_rows.append(pad(f"| {name} | **missing**: run `{record_command(path)}` |", 12))
            continue
        flee = json.loads(flee_file.read_text())
        same = inproc
        if flee["days"] != inproc["days"]:
            same = scale_run(
                ["--scenario", str(path), "--seed", "0", "--days", str(flee["days"]), "--repeat", str(REPEAT)],
                timeout=args.timeout,
            )
            if "error" in same:
                cmp_rows.append(pad(f"| {name} | corridor at {flee['days']} days failed: {same['error']} |", 12))
                continue
        if flee.get("flee_source") or prefix is not None or flee["days"] != inproc["days"]:
            notes.append(flee_note(name, flee, inproc["days"] if prefix is None else None))
        flee_rate = flee["agent_days"] / flee["wall_s"]
        rec = flee.get("recorded", {})
        when = rec.get("date", "date not recorded")
        where = machine_line(rec["machine"]) if rec.get("machine") else "machine not recorded"
        e2e_ratio = f"{flee['wall_s'] / e2e['wall_s']:,.1f}x" if same is inproc and e2e["rc"] == 0 else "- (other days)"
        cmp_rows.append(
            f"| {label} | {flee['days']} | {fmt(flee['agent_days'])} / {fmt(same['agent_days'])} | "
            f"{fmt(flee['wall_s'], '.1f')} | {fmt(flee_rate / 1e6, '.3f')} | "
            f"{fmt(same['agent_days_per_s'] / 1e6, '.1f')} | **{same['agent_days_per_s'] / flee_rate:,.0f}x** | "
            f"{_median_ratio(same, flee_rate)} | "
            f"{e2e_ratio} | {fmt(flee.get('ard_mean'), '.4f')} / {fmt(same['ard_mean'], '.4f')} | "
            f"{mib(flee.get('peak_rss_bytes'))} | {when}; {where} |"
        )
    lines += [
        "",
        "Against Flee (corridor at the same number of days as Flee's record; the ratio is corridor's agent-days/s in "
        "`Simulation.run` over Flee's agent-days/s; *end to end* is Flee's time over corridor's `corridor run`, "
        "only where both cover the same days):",
        "",
        "| scenario | days | agent-days Flee / corridor | Flee s | Flee M agent-days/s | corridor M agent-days/s "
        "| ratio (agent-days/s) | ratio at the median run | end to end | ARD Flee / corridor | Flee peak RSS MiB "
        "| Flee recorded |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *cmp_rows,
        "",
    ]
    if notes:
        lines += [*notes, ""]
    if missing:
        lines.append("Missing Flee figures; record them (once, on an otherwise idle machine) with:")
        lines.append("")
        lines.append("```")
        lines += [record_command(args.flee_dir / n) for n in missing]
        lines.append("```")
        lines.append("")


def flee_note(name: str, flee: dict, days: int | None) -> str:
    """What a Flee record that is not Flee 3.1 over the whole scenario covers, in the record's own words."""
    said = [f"- {name}: Flee"]
    if flee.get("flee_source"):
        commit = (flee.get("flee_commit") or "?")[:7]
        said.append(f"'s development version (commit {commit}, its own `runscripts/run.py`, which seeds nothing; the "
                    "time includes its Python start-up, about a second)")  # fmt: skip
    if days is None:
        said.append(f" over the first {flee['days']} days only, and corridor too in both tables (a full run of the "
                    "scenario takes Flee hours)")  # fmt: skip
    elif flee["days"] != days:
        said.append(f" over the first {flee['days']} of the scenario's {days} days only, and corridor over the same "
                    f"{flee['days']} days in the comparison")  # fmt: skip
    return "".join(said) + f"; command: `{flee.get('recorded', {}).get('command', '?')}`."


def _median_ratio(run: dict, flee_rate: float) -> str:
    walls = run.get("wall_s_all") or [run["wall_s"]]
    median = sorted(walls)[len(walls) // 2]
    return f"{run['agent_days'] / median / flee_rate:,.0f}x"


def part_scale(args: argparse.Namespace, lines: list[str]) -> list[dict]:
    agents = args.agents or [1_000_000, 10_000_000]
    if args.big and 30_000_000 not in agents:
        agents = [*agents, 30_000_000]
    places = args.places or [1_000, 10_000]
    rows = []
    for p in places:
        for a in agents:
            r = scale_run(
                ["--agents", str(a), "--places", str(p), "--days", str(args.days), "--seed", str(args.seed)]
                + ([] if args.no_border else ["--border"]),
                timeout=args.timeout,
            )
            r.setdefault("agents", a)
            r.setdefault("places", p)
            r["asked"] = (a, p)  # the generator rounds places to its grid: 1,000 asked gives 1,002
            rows.append(r)
    lines += [
        "## (b) Scale",
        "",
        f"Generated networks (bench/scale.py: jittered grid, ~2.5 roads per place, 20-400 km, ~5% conflict zones, "
        f"~5% camps; observed-mode spawning, 90% of the agents in the first 10% of the days), {args.days} days, "
        f"seed {args.seed}, all threads. "
        + (
            "Border processes off. "
            if args.no_border
            else "Border processes on (`--border`): the camps over the border are where the waiting lists of one port "
            "per ten of them are signed; people who reach them stop and wait; the ports process half of all the "
            "people over the run, in list order, with a 6-hour closure every 30 days and capacity doubled halfway. "
            "*processed* and *list at end* are the ports' totals. "
        )
        + "*wall s* is `Simulation.run` (network compilation and the day loop), after a "
        "warm-up run; *B/agent* is (peak RSS - RSS once the scenario is built) / agents, so it includes the per-day "
        "tables; *columns* is the agent columns alone; *record MB* the per-day tables "
        "(days x places x 5, days x roads x 2 and days x ports x 3, int64).",
        "",
        "| agents | places | roads | days | wall s | agent-days | M agent-days/s | ns/agent-day | peak RSS MiB "
        "| B/agent | columns B/agent | record MB | processed | list at end | move share | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(pad(f"| {fmt(r['agents'])} | {fmt(r['places'])} | failed: {r['error']} |", 16))
            continue
        move = r.get("phase_s", {}).get("movement")
        lines.append(
            f"| {fmt(r['agents'])} | {fmt(r['places'])} | {fmt(r['links'])} | {r['days']} | {r['wall_s']:.2f} | "
            f"{fmt(r['agent_days'])} | {r['agent_days_per_s'] / 1e6:.1f} | {r['ns_per_agent_day']:.1f} | "
            f"{mib(r['peak_rss_bytes'])} | {r['bytes_per_agent']:.1f} | {fmt(r['agent_column_bytes_per_agent'], '.0f')}"
            f" | {r['record_bytes'] / 1e6:,.0f} | {fmt(r.get('processed'))} | {fmt(r.get('waitlist_end'))}"
            f" | {fmt(None if move is None else move / r['wall_s'], '.0%')} "
            f"| {r.get('loadavg_start', '-')} |"
        )
    ok = {r["asked"]: r for r in rows if "error" not in r}
    growth = []
    for p in places:
        base = [ok[(a, p)] for a in agents if (a, p) in ok]
        if len(base) > 1:
            b0 = base[0]
            steps = ", ".join(
                f"{r['agents'] / b0['agents']:.0f}x the agents: {r['wall_s'] / b0['wall_s']:.2f}x the time, "
                f"{r['ns_per_agent_day'] / b0['ns_per_agent_day']:.2f}x per agent-day, "
                f"{r['bytes_per_agent'] / b0['bytes_per_agent']:.2f}x the bytes per agent"
                for r in base[1:]
            )
            growth.append(f"- {b0['places']:,} places, from {b0['agents']:,} agents: {steps}")
    for a in agents:
        base = [ok[(a, p)] for p in places if (a, p) in ok]
        if len(base) > 1:
            b0 = base[0]
            steps = ", ".join(
                f"{r['places'] / b0['places']:.0f}x the places: {r['ns_per_agent_day'] / b0['ns_per_agent_day']:.2f}x "
                f"per agent-day, {r['bytes_per_agent'] / b0['bytes_per_agent']:.2f}x the bytes per agent"
                for r in base[1:]
            )
            growth.append(f"- {a:,} agents, from {b0['places']:,} places: {steps}")
    if growth:
        lines += [
            "",
            "How time and memory grow (from the rows above; the bytes per agent include the per-day tables, "
            "which grow with places and days, not with agents):",
            "",
            *growth,
        ]
    lines += [
        "",
        "Time by phase (s):",
        "",
        "| agents | places | " + " | ".join(_phases(rows)) + " |",
        "|---:|---:|" + "---:|" * len(_phases(rows)),
    ]
    for r in rows:
        if "error" not in r:
            lines.append(
                f"| {fmt(r['agents'])} | {fmt(r['places'])} | "
                + " | ".join(fmt(r["phase_s"].get(k), ".2f") for k in _phases(rows))
                + " |"
            )
    lines.append("")
    return rows


def _phases(rows: list[dict]) -> list[str]:
    names: list[str] = []
    for r in rows:
        for k in r.get("phase_s", {}):
            if k not in names:
                names.append(k)
    return names


def part_threads(args: argparse.Namespace, lines: list[str], scale_rows: list[dict]) -> None:
    if args.threads_config:
        a, _, p = args.threads_config.partition(":")
        agents, places = count(a), count(p or "1k")
    else:
        agents = min(args.agents or [1_000_000])
        places = min(args.places or [1_000])
    cfgs = [
        (
            f"generated, {agents:,} agents x {places:,} places x {args.days} days",
            ["--agents", str(agents), "--places", str(places), "--days", str(args.days), "--seed", str(args.seed)],
        )
    ]
    first = next((s.strip() for s in args.scenarios.split(",") if s.strip()), None)
    if first and (args.flee_dir / first / "input_csv").is_dir():
        cfgs.append((f"Flee scenario {first}", ["--scenario", str(args.flee_dir / first), "--seed", str(args.seed)]))
    lines += [
        "## (c) 1 vs 2 threads",
        "",
        "The same run with NUMBA_NUM_THREADS=1 and =2 (set in the child's environment); *identical* compares a "
        "SHA-256 of all five day x place tables (population, arrivals, departures, in_transit, spawned).",
        "",
        "Both columns wait passively between the daily kernel calls (OMP_WAIT_POLICY=PASSIVE, which the "
        "`corridor` command and bench/scale.py set for their process; `import corridor` changes no setting). "
        "The last columns repeat the 2-thread run with libgomp's own default, whose idle worker threads spin "
        "for a while between the calls and take CPU from the main thread's per-day Python work, which costs "
        "most when the machine has other work on it.",
        "",
        "| run | 1 thread s | 2 threads s | speed-up | identical | 2 threads, libgomp's default wait s | identical |",
        "|---|---:|---:|---:|---|---:|---|",
    ]
    for label, extra in cfgs:
        one = scale_run(extra, env_threads=1, timeout=args.timeout)
        two = scale_run(extra, env_threads=2, timeout=args.timeout)
        spin = scale_run([*extra, "--wait-policy", "default"], env_threads=2, timeout=args.timeout)
        if "error" in one or "error" in two:
            lines.append(pad(f"| {label} | {one.get('error', '')} | {two.get('error', '')} |", 7))
            continue
        h1 = one["result_hash"]

        def same(r: dict, h1: str = h1) -> str:
            return f"{'yes' if r['result_hash'] == h1 else '**no**'} (`{h1[:12]}` / `{r['result_hash'][:12]}`)"

        spin_cells = "failed | |" if "error" in spin else f"{spin['wall_s']:.2f} | {same(spin)} |"
        lines.append(
            f"| {label} | {one['wall_s']:.2f} | {two['wall_s']:.2f} | {one['wall_s'] / two['wall_s']:.2f}x | "
            f"{same(two)} | {spin_cells}"
        )
    lines.append("")


# --- small runs, ensembles, calibration (issue 12 §7) ------------------------------------------------


def bench_json(script: str, extra: list[str], timeout: float) -> dict:
    """Run bench/SCRIPT with `extra` and read the JSON object it prints; {"error": ...} if it fails."""
    cmd = [sys.executable, str(BENCH / script), *extra]
    shown = shlex.join(["python", f"bench/{script}", *extra])
    log("running " + shown)
    r = timed(cmd, timeout=timeout)
    if r["rc"] != 0 or r["timed_out"]:
        tail = r["stderr"].strip().splitlines()[-1:] or ["(no output)"]
        why = f"stopped after {r['wall_s']:.0f} s (timeout)" if r["timed_out"] else f"exit {r['rc']}: {tail[0]}"
        log(f"  failed: {why}")
        return {"error": why, "command": shown, "wall_s": r["wall_s"], "timed_out": r["timed_out"]}
    out = r["stdout"]
    res = json.loads(out[out.index("{") :])
    res["command"] = shown
    return res


def keep_result(name: str, result: dict, stamp: dict) -> str:
    """Store a result in bench/results/NAME.json with the facts of this run; its path for the page."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    stamp = {**stamp, "finished": now(), "loadavg_end": loadavg()}
    path.write_text(json.dumps({"recorded": stamp, **result}, indent=1) + "\n")
    return str(path.relative_to(ROOT))


def ms(x) -> str:
    return fmt(None if x is None else x * 1e3, ".1f")


def part_small(args: argparse.Namespace, lines: list[str], stamp: dict) -> None:
    settings = [
        ("numba's default, libgomp's default wait", []),
        ("numba's default, waiting passively (as the `corridor` command)", ["--wait-policy", "passive"]),
        ("1 (as a calibration's or an ensemble's worker runs it)", ["--threads", "1"]),
    ]
    results = []
    for label, extra in settings:
        r = bench_json("small_runs.py", ["--runs", str(args.small_runs), *extra, "--json"], timeout=args.timeout)
        results.append((label, r))
    kept = keep_result("small-runs-tijuana-2018", {"settings": [r for _, r in results]}, stamp)
    first = next((r for _, r in results if "error" not in r), {})
    lines += [
        "## (d) Small runs in-process",
        "",
        f"tijuana-2018 ({fmt(first.get('agent_days'))} agent-days, 123 days), whole runs one after another in one "
        "process through the public API (`corridor.load(...).run(seed=1)`, bench/small_runs.py), after 3 untimed "
        "warm-up runs, as a calibration pays them; *whole run* is `RunResult.timings['total']` (building the engine, "
        "the days, the end-of-run recount). The environment is left as it is (libgomp's default wait policy: idle "
        "worker threads spin a while between kernel calls) unless the row says passive (OMP_WAIT_POLICY=PASSIVE). "
        f"Issue 12 asks for at most {SMALL_RUN_TARGET_MS:.0f} ms a run, the median. Noise on this shared machine only "
        f"adds time: the fastest run measures the code, the median what a run cost then. Raw results: `{kept}`.",
        "",
        "| threads | command | runs | whole run, fastest ms | whole run, median ms | median at most "
        f"{SMALL_RUN_TARGET_MS:.0f} ms? |",
        "|---|---|---:|---:|---:|---|",
    ]
    for label, r in results:
        if "error" in r:
            lines.append(pad(f"| {label} | `{r['command']}` | failed: {r['error']} |", 6))
            continue
        med = r["median_s"]["total"] * 1e3
        verdict = "yes" if med <= SMALL_RUN_TARGET_MS else f"**no** ({med / SMALL_RUN_TARGET_MS:.2f}x the target)"
        lines.append(
            f"| {label} | `{r['command']}` | {r['runs']} | {ms(r['fastest_s']['total'])} | {med:.1f} | {verdict} |"
        )
    ok = [(label, r) for label, r in results if "error" not in r]
    if ok:
        names = [k for k in ok[0][1]["fastest_s"] if k not in ("total", "call")]
        lines += [
            "",
            "Each component's time a run, ms (fastest / median of the runs above):",
            "",
            "| component | " + " | ".join(f"threads: {label}" for label, _ in ok) + " |",
            "|---|" + "---:|" * len(ok),
        ]
        for k in [*names, "total"]:
            cells = " | ".join(f"{ms(r['fastest_s'].get(k))} / {ms(r['median_s'].get(k))}" for _, r in ok)
            lines.append(f"| {k} | {cells} |")
    lines.append("")


def part_ensemble(args: argparse.Namespace, lines: list[str], stamp: dict) -> None:
    extra = ["--runs", str(args.ensemble_runs), "--repeat", str(args.ensemble_repeat), "--workers", "1", "2"]
    r = bench_json("ensemble.py", extra, timeout=args.timeout)
    kept = keep_result("ensemble-tijuana-2018", r, stamp)
    lines += [
        "## (e) Ensembles: simulations per second",
        "",
        f"`{r['command']}`: `Simulation.run_ensemble` of tijuana-2018 (123 days; each run summarised and written to "
        f"its file, as `corridor run --runs K` does), {args.ensemble_runs} runs an ensemble, in this process with one "
        "thread and on a local Dask cluster of 1 and of 2 worker processes of one thread each. A cluster's start-up "
        "(worker processes up) and its first runs (each worker imports corridor and loads numba's cached kernels, "
        f"2 runs a worker) are timed apart from the {args.ensemble_repeat} timed ensembles, whose best and median "
        f"rate are given. Raw results: `{kept}`.",
        "",
        "| where | start-up s | first runs s | simulations/s, best | simulations/s, median | ms a simulation "
        "(median) | each ensemble's simulations/s |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    if "error" in r:
        lines += [pad(f"| failed: {r['error']} |", 7), ""]
        return
    rates = {}
    for st in r["settings"]:
        where = (
            f"in-process, {st['threads']} thread"
            if st["where"] == "in-process"
            else f"local cluster, {st['workers']} " + ("worker" if st["workers"] == 1 else "workers")
        )
        rates[st.get("workers", 0)] = st["sims_per_s_median"]
        lines.append(
            f"| {where} | {fmt(st.get('start_s'), '.2f')} | {fmt(st.get('warmup_s'), '.2f')} | "
            f"{st['sims_per_s_best']:.1f} | {st['sims_per_s_median']:.1f} | {1e3 / st['sims_per_s_median']:.0f} | "
            + ", ".join(f"{x:.1f}" for x in st["sims_per_s"])
            + " |"
        )
    if 1 in rates and 2 in rates:
        lines += ["", f"2 workers against 1, medians: {rates[2] / rates[1]:.2f}x."]
    lines.append("")


def part_calibration(args: argparse.Namespace, lines: list[str], stamp: dict) -> None:
    limit = args.calibration_timeout or args.timeout
    extra = [
        "--budget", str(args.calibration_budget), "--population", str(args.calibration_population),
        "--workers", str(args.calibration_workers), "--seed", str(args.seed),
    ]  # fmt: skip
    r = bench_json("calibration.py", extra, timeout=limit)
    r.setdefault("loadavg_after_run_all", loadavg())
    kept = keep_result("calibration-tijuana-2018", r, stamp)
    lines += [
        "## (f) Calibration",
        "",
        f"`{r['command']}`: `corridor.calibrate` (ABC-SMC, pyabc) of tijuana-2018 to "
        "scenarios/tijuana-2018/observations.csv, on a local Dask cluster of "
        f"{args.calibration_workers} worker processes, into a temporary folder: what `corridor calibrate "
        f"scenarios/tijuana-2018 --observations scenarios/tijuana-2018/observations.csv --budget "
        f"{args.calibration_budget} --population {args.calibration_population} --workers {args.calibration_workers} "
        "--prior ...` (the 16 priors of validation/tijuana_forecast.py) runs, except that all the file's observations "
        "are used (bench/calibration.py's `--known-by all`), the three whose source is dated 30 Nov included, which "
        "the command reserves for scoring forecasts; the simulations run as many days either way. The priors "
        "calibrated are those the observations can inform; the others of priors.csv are drawn from their priors "
        "in every simulation. Each "
        "simulation runs one thread for as many days as the last observation used needs. *wall* runs from loading "
        "the scenario to the calibration's end, the cluster's start-up and pyabc's sample of the prior included; "
        "*simulations run* counts those pyabc's history keeps and those of the last generation, which the budget cut "
        "short. Issue 12 asks for at least 10 priors and 5,000 simulations in under 15 minutes on 2 cores. "
        f"Raw results: `{kept}`.",
        "",
    ]
    if "error" in r:
        lines += [
            f"**The calibration did not finish**: {r['error']} (load average at the end: "
            f"{r['loadavg_after_run_all']}).",
            "",
        ]
        return
    wall = r["wall_s"]
    checks = [
        r["priors_calibrated"] >= CALIBRATION_MIN_PRIORS,
        r["simulations_run"] >= CALIBRATION_MIN_SIMS,
        wall < CALIBRATION_TARGET_S,
    ]
    verdict = "**yes**" if all(checks) else "**no**"
    lines += [
        "| priors calibrated (drawn) | observations used (of) | days a simulation | population | budget | workers "
        "| simulations run (kept + cut short) | generations | wall s (min) | sampling s | simulations/s (wall) "
        "| last epsilon | effective sample size | load before | load after | at least 10 priors, 5,000 simulations, "
        "under 15 min? |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
        f"| {r['priors_calibrated']} ({r['priors_drawn']}) | {r['observations_used']} ({r['observations_rows']}) "
        f"| {r['days_run']} | {r['population']} | {fmt(r['budget'])} | {r['workers']} "
        f"| {fmt(r['simulations_run'])} ({fmt(r['simulations'])} + {fmt(r['simulations_discarded'])}) "
        f"| {r['generations']} | {wall:,.1f} ({wall / 60:.1f}) | {fmt(r['sampling_s'], ',.1f')} "
        f"| {r['sims_per_s_wall']:.1f} | {fmt(r['last_epsilon'], '.4f')} | {fmt(r['effective_sample_size'], '.1f')} "
        f"of {r['posterior_size']} | {' / '.join(f'{x:.2f}' for x in r['loadavg_before'] or [])} "
        f"| {' / '.join(f'{x:.2f}' for x in r['loadavg_after'] or [])} | {verdict} |",
        "",
        "Its generations (the manifest's record; generation 0 follows pyabc's sample of the prior, "
        f"{r['population']} simulations, which sets its epsilon):",
        "",
        "| generation | epsilon | simulations | accepted | acceptance rate | s | simulations/s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for g in r["generation_detail"]:
        lines.append(
            f"| {g['t']} | {g['epsilon']:.4f} | {fmt(g['simulations'])} | {g['accepted']} | "
            f"{fmt(g['acceptance_rate'], '.1%')} | {fmt(g['seconds'], ',.1f')} | {fmt(g['simulations_per_s'], '.1f')} |"
        )
    if r["observations_excluded"]:
        lines += [
            "",
            "Observations left out: "
            + "; ".join(
                f"line {o['row']} ({o['date']} {o['place']} {o['metric']}): {o['why']}"
                for o in r["observations_excluded"]
            )  # fmt: skip
            + ".",
        ]
    lines.append("")


# --- the page -----------------------------------------------------------------------------------


def split_page(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """A page's preamble (the lines before its first section) and its sections, in order, each as (key,
    lines from its heading on): the key is the heading's letter, '(a)' -> 'a', or the heading itself."""
    pre: list[str] = []
    parts: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            head = line[3:].strip()
            key = head[1] if len(head) > 2 and head[0] == "(" and head[2] == ")" else head
            parts.append((key, [line]))
        elif parts:
            parts[-1][1].append(line)
        else:
            pre.append(line)
    return pre, parts


def preamble() -> list[str]:
    return [
        "# Benchmarks",
        "",
        "Generated by `bench/run_all.py`; do not edit by hand. corridor's figures are measured afresh on every run; "
        "Flee's are read from `bench/results/` and carry their own date and machine. Each section names the command "
        "that measured it, when, on which machine and with what load: a run of some sections (`--only`) rewrites "
        "those and keeps the others as they were. (d)-(f) measure issue 12's targets for small runs: "
        "`python bench/run_all.py --only small,ensemble,calibration` makes them again without Flee's scenarios.",
        "",
    ]


def merge_page(old: str | None, new: dict[str, list[str]]) -> str:
    """The page with the sections in `new` (by letter) replacing or joining those of `old`, which are kept;
    sections with a letter in the letters' order, any others after them in their order."""
    pre, parts = split_page(old) if old else ([], [])
    legacy = [x for x in pre if x.startswith("- ")] if any(x.startswith("- command:") for x in pre) else []
    if legacy:
        legacy.append("- (the facts of the run that made the whole page, before each section carried its own)")
    every: dict[str, list[str]] = {}
    for key, body in parts:
        if key in new:
            continue
        if legacy and key in LEGACY_GENERATED and not any(x.startswith("- command:") for x in body[:4]):
            body = [body[0], *_squeeze(["", *legacy, "", *body[1:]])]
        every[key] = body
    every.update(new)
    for key, body in every.items():
        body = list(body)
        while body and not body[-1].strip():
            body.pop()
        every[key] = [*body, ""]
    lettered = sorted(k for k in every if len(k) == 1)
    others = [k for k in every if len(k) != 1]
    lines = preamble()
    for k in [*lettered, *others]:
        lines += every[k]
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n"


def _squeeze(lines: list[str]) -> list[str]:
    """No two blank lines in a row."""
    out: list[str] = []
    for x in lines:
        if not x.strip() and out and not out[-1].strip():
            continue
        out.append(x)
    return out


def git_state() -> str:
    """The checkout measured: its commit, and whether src/ had changes not committed."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True)
    except OSError:  # no git
        return "checkout unknown"
    if head.returncode != 0:
        return "checkout unknown"
    return f"commit {head.stdout.strip()}" + (
        ", with changes to src/ not committed then" if dirty.stdout.strip() else ", src/ as committed"
    )


def facts(command: str, started: str, load0: str, m: dict, versions: str) -> list[str]:
    return [
        f"- command: `{command}`",
        f"- date: {started} to {now()}",
        f"- machine: {machine_line(m)}; {m['os']}",
        f"- load average (1/5/15 min) at start: {load0}; at the end: {loadavg()} (other work on the machine slows "
        "the runs below)",
        f"- {versions}; {git_state()}",
    ]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.record_flee:
        record_flee(args)
        return
    if args.import_flee:
        import_flee(args)
        return
    m = machine()
    import numba
    import numpy

    import corridor

    command = shlex.join(["python", "bench/run_all.py", *(sys.argv[1:] if argv is None else argv)])
    versions = (
        f"corridor {getattr(corridor, '__version__', '?')}, Python {m['python']}, numpy {numpy.__version__}, "
        f"numba {numba.__version__} (default threads: {numba.config.NUMBA_NUM_THREADS})"
    )
    wanted = args.only or list(SECTIONS.values())
    skipped = {"a": args.skip_scenarios, "b": args.skip_scale, "c": args.skip_threads}
    todo = [x for x in SECTIONS.values() if x in wanted and not skipped.get(x)]
    missing: list[str] = []
    rows: list[dict] = []
    new: dict[str, list[str]] = {}
    for letter in todo:
        started, load0 = now(), loadavg()
        stamp = {"date": started, "machine": m, "command": command, "versions": versions, "checkout": git_state(),
                 "loadavg_start": load0}  # fmt: skip
        lines: list[str] = []
        if letter == "a":
            part_scenarios(args, lines, missing)
        elif letter == "b":
            rows = part_scale(args, lines)
        elif letter == "c":
            part_threads(args, lines, rows)
        elif letter == "d":
            part_small(args, lines, stamp)
        elif letter == "e":
            part_ensemble(args, lines, stamp)
        elif letter == "f":
            part_calibration(args, lines, stamp)
        head, body = lines[0], lines[1:]
        new[letter] = [head, "", *facts(command, started, load0, m, versions), *body]
    old = args.out.read_text() if args.out.exists() else None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(merge_page(old, new))
    log(f"wrote {args.out}")
    for name in missing:
        log(f"Flee figure missing for {name}: run  {record_command(args.flee_dir / name)}")


if __name__ == "__main__":
    main()
