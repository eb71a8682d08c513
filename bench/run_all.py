#!/usr/bin/env python3
"""Run corridor's benchmarks and write docs/benchmarks.md.

    python bench/run_all.py                       # Flee scenarios, scale table, 1 vs 2 threads
    python bench/run_all.py --big                 # also 30 M agents
    python bench/run_all.py --agents 1M --places 1k --days 300    # a smaller scale table

Every corridor figure is measured afresh, each run in its own process (peak RSS per run):

  (a) the four Flee scenarios: `corridor run SCENARIO --out TMP --quiet` timed from outside (Python
      start-up, imports, numba cache load, reading, running, writing), then `bench/scale.py
      --scenario` for the in-process run time, agent-days/s, peak RSS and ARD. Flee's figures are
      read from bench/results/flee-<scenario>.json, recorded once (with date and machine) by

          python bench/run_all.py --record-flee /work/shared/scenarios/flee/SCENARIO

      which runs bench/run_flee.py under Flee's own venv; `--import-flee FILE.json` stamps a
      run_flee.py JSON made earlier on this machine instead.
  (b) the scale table: bench/scale.py for every (agents, places) pair given.
  (c) 1 vs 2 threads: the same run with NUMBA_NUM_THREADS=1 and =2; identical result tables?
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
FLEE_SCENARIOS = ("mali2012", "burundi", "car", "ssudan")
FLEE_PYTHON = os.environ.get("FLEE_PYTHON", "/tmp/flee-venv/bin/python")
# corridor's run on a Flee scenario takes under a second, where one busy moment on this shared machine
# shows as tens of percent; the fastest of a few runs (as timeit reports) measures the code, not the noise.
REPEAT = 5


def count(text: str) -> int:
    """'1M', '10k', '2.5m', '1e6', '1000000' -> int."""
    t = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}.get(t[-1:], 1)
    if mult != 1:
        t = t[:-1]
    return int(round(float(t) * mult))


def counts(text: str) -> list[int]:
    return [count(x) for x in text.split(",") if x.strip()]


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
        "own. Flee: read from bench/results/flee-SCENARIO.json (bench/run_flee.py, Flee 3.1, seed 0), recorded once "
        "on the date and machine shown. Flee's time covers reading its inputs and the day loop (not Python start-up).",
        "",
        "| scenario | days | agents | agent-days | end to end s | load s | run s | M agent-days/s | peak RSS MiB "
        "(e2e / run) | ARD |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    cmp_rows = []
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
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [*corridor_cmd(), "run", str(path), "--out", str(Path(tmp) / "run"), "--quiet"]
            log("running " + shlex.join(cmd))
            e2e = timed(cmd, timeout=args.timeout)
        if e2e["rc"] != 0:
            log(f"  failed: {e2e['stderr'].strip().splitlines()[-1:]}")
        inproc = scale_run(["--scenario", str(path), "--seed", "0", "--repeat", str(REPEAT)], timeout=args.timeout)
        if "error" in inproc:
            lines.append(pad(f"| {name} | failed: {inproc['error']} |", 10))
            continue
        e2e_s = fmt(e2e["wall_s"], ".2f") if e2e["rc"] == 0 else f"failed ({e2e['rc']})"
        lines.append(
            f"| {name} | {inproc['days']} | {fmt(inproc['agents'])} | {fmt(inproc['agent_days'])} | {e2e_s} | "
            f"{fmt(inproc['build_s'], '.2f')} | {fmt(inproc['wall_s'], '.3f')} | "
            f"{fmt(inproc['agent_days_per_s'] / 1e6, '.1f')} | {mib(e2e['peak_rss_bytes'])} / "
            f"{mib(inproc['peak_rss_bytes'])} | {fmt(inproc['ard_mean'], '.4f')} |"
        )
        flee_file = flee_record_path(name)
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
        flee_rate = flee["agent_days"] / flee["wall_s"]
        rec = flee.get("recorded", {})
        when = rec.get("date", "date not recorded")
        where = machine_line(rec["machine"]) if rec.get("machine") else "machine not recorded"
        e2e_ratio = f"{flee['wall_s'] / e2e['wall_s']:,.1f}x" if same is inproc and e2e["rc"] == 0 else "- (other days)"
        cmp_rows.append(
            f"| {name} | {flee['days']} | {fmt(flee['agent_days'])} / {fmt(same['agent_days'])} | "
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
        "only where both cover the whole scenario):",
        "",
        "| scenario | days | agent-days Flee / corridor | Flee s | Flee M agent-days/s | corridor M agent-days/s "
        "| ratio (agent-days/s) | ratio at the median run | end to end | ARD Flee / corridor | Flee peak RSS MiB "
        "| Flee recorded |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *cmp_rows,
        "",
    ]
    if missing:
        lines.append("Missing Flee figures; record them (once, on an otherwise idle machine) with:")
        lines.append("")
        lines.append("```")
        lines += [record_command(args.flee_dir / n) for n in missing]
        lines.append("```")
        lines.append("")


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


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.record_flee:
        record_flee(args)
        return
    if args.import_flee:
        import_flee(args)
        return
    started = now()
    load0 = loadavg()
    m = machine()
    import numba
    import numpy

    import corridor

    command = shlex.join(["python", "bench/run_all.py", *(sys.argv[1:] if argv is None else argv)])
    lines = [
        "# Benchmarks",
        "",
        "Generated by `bench/run_all.py`; do not edit by hand. corridor's figures are measured afresh on every run; "
        "Flee's are read from `bench/results/` and carry their own date and machine.",
        "",
        f"- command: `{command}`",
        f"- date: {started}",
        f"- machine: {machine_line(m)}; {m['os']}",
        f"- load average at start (1/5/15 min): {load0} (other work on the machine slows the runs below)",
        f"- corridor {getattr(corridor, '__version__', '?')}, Python {m['python']}, numpy {numpy.__version__}, "
        f"numba {numba.__version__} (default threads: {numba.config.NUMBA_NUM_THREADS})",
        "",
    ]
    missing: list[str] = []
    if not args.skip_scenarios:
        part_scenarios(args, lines, missing)
    rows: list[dict] = []
    if not args.skip_scale:
        rows = part_scale(args, lines)
    if not args.skip_threads:
        part_threads(args, lines, rows)
    lines.append(f"Finished {now()}; load average at the end: {loadavg()}.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    log(f"wrote {args.out}")
    for name in missing:
        log(f"Flee figure missing for {name}: run  {record_command(args.flee_dir / name)}")


if __name__ == "__main__":
    main()
