#!/usr/bin/env python3
"""Scale benchmark: one corridor run on a generated network, or on a scenario folder.

    python bench/scale.py --agents 1000000 --places 1000 --days 300 [--seed S] [--threads T] --json
    python bench/scale.py --scenario /path/to/flee/mali2012 [--days N] --json

The generated scenario is deterministic in (agents, places, days, seed): places on a jittered grid,
joined by a random spanning tree of grid roads plus extra grid roads (about 2.5 roads per place,
20-400 km); about 5% conflict zones with populations (half in conflict from day 0, the rest starting
within the first 10% of days), about 5% camps (half with a capacity, half over the border) and towns
for the rest. Spawning is Flee's default observed mode: the observed series of up to three camps
sum to a total that rises from 0 to exactly `agents`, 90% of it during the first 10% of the days and
the rest over the next 20%, so agent-days are a little under agents x days.

Run it once per configuration, in its own process (bench/run_all.py does): peak RSS is the
process's high-water mark. A tiny warm-up run (compile_s: numba cache load or compilation) comes
first and is excluded from wall_s. bytes_per_agent is (peak RSS - RSS after building the scenario)
/ agents, so it includes everything the run allocates (agent columns, per-day tables, counters).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import time


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--agents", type=int, default=1_000_000, help="people spawned in all (exact)")
    p.add_argument("--places", type=int, default=1000)
    p.add_argument("--days", type=int, default=None, help="days (default 300; a scenario's own length)")
    p.add_argument("--seed", type=int, default=0, help="seed for both the network and the run")
    p.add_argument("--threads", type=int, default=None, help="numba threads (default: NUMBA_NUM_THREADS or all)")
    p.add_argument("--awareness", type=int, default=1, help="awareness_level of the generated scenario")
    p.add_argument("--border", action="store_true", help="switch the border processes on (ports, lists, closures)")
    p.add_argument("--scenario", default=None, help="run this scenario folder instead of a generated one")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run this many times and report the fastest (as timeit does: noise only ever adds time)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object (default: a one-line summary)")
    p.add_argument(
        "--wait-policy",
        choices=("passive", "default"),
        default="passive",
        help="passive: idle OpenMP workers sleep, as the `corridor` command sets (default); default: leave "
        "OMP_WAIT_POLICY as the environment has it (libgomp's own default spins for a while first)",
    )
    return p.parse_args(argv)


def rss_now() -> int:
    """Current resident set size in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# --- the generated scenario ---------------------------------------------------------------------


def generate(agents: int, places: int, days: int, seed: int, awareness: int = 1, border: bool = False):
    """A deterministic synthetic scenario; see the module docstring."""
    import numpy as np

    from corridor.scenario.model import Link, MoveRules, Place, Port, PortEvent, Scenario, SeriesPoint, SpawnRules

    if places < 4:
        raise SystemExit("scale: --places must be at least 4")
    rng = np.random.default_rng([seed, 0xC0881D0])
    P = places
    side = int(np.ceil(np.sqrt(P)))
    gx = np.arange(P) % side
    gy = np.arange(P) // side
    x = gx + rng.uniform(-0.35, 0.35, P)
    y = gy + rng.uniform(-0.35, 0.35, P)

    # Grid roads (right and down neighbours), a random spanning tree of them, then extra roads up to
    # about 1.25 roads per place (2.5 ends per place).
    right = np.nonzero((gx + 1 < side) & (np.arange(P) + 1 < P))[0]
    down = np.nonzero(np.arange(P) + side < P)[0]
    cand = np.concatenate([np.stack([right, right + 1], 1), np.stack([down, down + side], 1)])
    cand = cand[rng.permutation(len(cand))]
    parent = np.arange(P)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    tree, rest = [], []
    for a, b in cand.tolist():
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
            tree.append((a, b))
        else:
            rest.append((a, b))
    extra = min(len(rest), max(0, int(1.25 * P) - len(tree)))
    roads = tree + rest[:extra]
    ra_, rb_ = np.array(roads).T
    km = 100.0 * np.hypot(x[ra_] - x[rb_], y[ra_] - y[rb_]) * rng.uniform(1.0, 1.5, len(roads))
    km = np.clip(np.round(km, 1), 20.0, 400.0)

    # Kinds: ~5% conflict zones, ~5% camps, towns otherwise. Place 0 is a town (its country is home).
    n_conf = max(1, round(0.05 * P))
    n_camp = max(1, round(0.05 * P))
    order = 1 + rng.permutation(P - 1)
    conf = order[:n_conf]
    camps = order[n_conf : n_conf + n_camp]
    kind = np.array(["town"] * P, dtype=object)
    kind[conf] = "conflict_zone"
    kind[camps] = "camp"
    pop = rng.integers(1_000, 50_000, P)
    pop[conf] = rng.integers(10_000, 500_000, n_conf)
    start = np.zeros(P, np.int64)
    late = conf[rng.random(n_conf) < 0.5]
    start[late] = rng.integers(0, max(1, days // 10), len(late))
    cap = {}
    foreign = set(camps[rng.random(n_camp) < 0.5].tolist())
    for c in camps[rng.random(n_camp) < 0.5].tolist():
        cap[c] = int(agents / n_camp * rng.uniform(0.5, 3.0)) + 1

    names = [f"{k[0].upper()}{i:06d}" for i, k in enumerate(kind)]
    place_objs = [
        Place(
            name=names[i],
            kind=kind[i],
            country="B" if i in foreign else "A",
            population=int(pop[i]),
            capacity=cap.get(i),
            conflict_date=int(start[i]) if kind[i] == "conflict_zone" else None,
        )
        for i in range(P)
    ]
    link_objs = [Link(a=names[a], b=names[b], distance=float(d)) for a, b, d in zip(ra_, rb_, km, strict=True)]

    # Observed total: 0 on day 0, 90% of `agents` by 10% of the days, all of it by 30%.
    r1 = max(1, days // 10)
    r2 = max(r1 + 1, (3 * days) // 10)
    t = np.arange(r2 + 1, dtype=np.float64)
    frac = np.interp(t, [0, r1, r2], [0.0, 0.9, 1.0])
    total = np.floor(frac * agents).astype(np.int64)
    total[-1] = agents
    total = np.maximum.accumulate(total)
    series_camps = camps[: min(3, n_camp)]
    shares = rng.dirichlet(np.ones(len(series_camps)))
    parts = [np.floor(total * s).astype(np.int64) for s in shares[1:]]
    parts.insert(0, total - (np.sum(parts, axis=0) if parts else 0))
    observed = {
        names[c]: [SeriesPoint(day=int(d), value=float(v)) for d, v in enumerate(part) if d < days]
        for c, part in zip(series_camps.tolist(), parts, strict=True)
    }
    ports = []
    if border:
        # Border processes on: the camps over the border become the places where the waiting lists of
        # one port per 10 of them are signed; together the ports process half the people over the run,
        # with a 6-hour closure every 30 days and capacity doubling halfway.
        over = sorted(foreign) or camps[:1].tolist()
        n_ports = max(1, len(over) // 10)
        per_day = max(1.0, 0.5 * agents / days / n_ports)
        for k in range(n_ports):
            name = f"Port{k:04d}"
            place_objs.append(Place(name=name, kind="port_of_entry", country="B"))
            events = [PortEvent(day=d, kind="closed_hours", value=6) for d in range(15, days, 30)]
            events.append(PortEvent(day=days // 2, kind="capacity", value=2 * per_day))
            ports.append(
                Port(
                    place=name,
                    capacity_per_day=per_day,
                    signup_places=[names[c] for c in over[k::n_ports]],
                    events=events,
                )  # fmt: skip
            )
    return Scenario(
        name=f"scale-{agents}a-{places}p-{days}d-s{seed}" + ("-border" if border else ""),
        start_date="2020-01-01",
        days=days,
        places=place_objs,
        links=link_objs,
        observed=observed,
        ports=ports,
        spawn=SpawnRules(mode="observed", insert_day0=True),
        move=MoveRules(awareness_level=awareness),
    )


# --- running ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
    if args.wait_policy == "passive":  # before numba starts its threads, as corridor.cli.main does
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    t_start = time.perf_counter()
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    import numba
    import numpy as np

    import corridor
    from corridor import Simulation

    # Warm-up: a tiny run of the same code path (numba cache load, or compilation).
    t0 = time.perf_counter()
    Simulation(generate(1000, 40, 10, seed=1, border=args.border)).run(seed=0)
    compile_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    if args.scenario:
        sim = corridor.load(args.scenario)
        days = min(args.days or sim.scenario.days, sim.scenario.days)
    else:
        days = args.days or 300
        sim = Simulation(generate(args.agents, args.places, days, args.seed, args.awareness, args.border))
    build_s = time.perf_counter() - t0
    sc = sim.scenario
    rss_built = rss_now()

    res = sim.run(seed=args.seed, days=days)
    peak = peak_rss()
    walls = [res.timings["total"]]
    for _ in range(args.repeat - 1):  # same seed, same result: only the time differs
        walls.append(sim.run(seed=args.seed, days=days).timings["total"])
    wall_s = min(walls)
    rec = res.record
    h = hashlib.sha256()
    for name in ("population", "arrivals", "departures", "in_transit", "spawned"):
        arr = np.ascontiguousarray(getattr(rec, name))
        h.update(name.encode())
        h.update(arr.tobytes())
    try:
        ard = float(res.validation().ard_mean)
    except Exception:  # no observed camps
        ard = None
    n = max(res.agents, 1)
    out = {
        "scenario": sc.name,
        "agents": res.agents,
        "places": len(sc.places),
        "links": len(sc.links),
        "days": res.days,
        "seed": args.seed,
        "threads": numba.get_num_threads(),
        "compile_s": compile_s,
        "build_s": build_s,
        "wall_s": wall_s,
        "wall_s_all": walls,
        "agent_days": res.agent_days,
        "agent_days_per_s": res.agent_days / wall_s if wall_s > 0 else None,
        "ns_per_agent_day": 1e9 * wall_s / res.agent_days if res.agent_days else None,
        "peak_rss_bytes": peak,
        "rss_after_build_bytes": rss_built,
        "bytes_per_agent": (peak - rss_built) / n,
        "agent_column_bytes_per_agent": (
            res.footprint["agent_columns"] / res.footprint["agent_rows"] if res.footprint["agent_rows"] else None
        ),
        "record_bytes": res.footprint["record"],
        "border": bool(sc.ports),
        "processed": int(rec.processed.sum()),
        "waitlist_end": int(rec.waitlist[-1].sum()) if rec.waitlist.size else 0,
        "component_bytes": res.footprint["components"],
        "phase_s": {k: v for k, v in res.timings.items() if k != "total"},
        "ard_mean": ard,
        "result_hash": h.hexdigest(),
        "process_s": time.perf_counter() - t_start,
        "loadavg_start": load,
        "numba": numba.__version__,
        "corridor": getattr(corridor, "__version__", None),
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(
            f"{out['agents']:,} agents x {out['days']} days on {out['places']:,} places: {wall_s:.2f} s, "
            f"{out['agent_days_per_s'] / 1e6:.1f} M agent-days/s, peak RSS {peak / 2**20:.0f} MiB, "
            f"{out['bytes_per_agent']:.1f} B/agent (compile {compile_s:.2f} s)",
            file=sys.stdout,
        )


if __name__ == "__main__":
    main()
