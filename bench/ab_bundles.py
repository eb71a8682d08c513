"""Paired timing: the move kernel as it was before the components (35 positional arguments, in
src/corridor/sim/kernels.py at a git commit) against the movement component's (named bundles), on the
same snapshot of one day, alternating in one process.

    python bench/ab_bundles.py [--ref fac74ca] [--scenario DIR] [--day 200] [--calls 150]

Both are given the same arrays and must leave the same agent columns; the ratio is new / old (below 1 is
faster). It checks the claim in bench/README.md that taking bundles cost the kernel nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np

import corridor
from corridor.sim.components import Attract, Closures, Movement
from corridor.sim.parallel import n_blocks_for, team

sys.path.insert(0, str(Path(__file__).parent))
from ab_kernel import engine_before_movement  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("state", "loc", "progress", "route", "rpos", "hops", "came_from")


def old_kernels(ref: str) -> types.ModuleType:
    """sim/kernels.py at `ref`, compiled afresh (numba's cache cannot reload a module loaded this way)."""
    src = subprocess.check_output(["git", "show", f"{ref}:src/corridor/sim/kernels.py"], cwd=ROOT, text=True)
    mod = types.ModuleType("corridor.sim.kernels_before")
    mod.__package__ = "corridor.sim"  # its `from ..states import ...` resolves as it did
    exec(compile(src.replace("cache=True", "cache=False"), f"{ref}:kernels.py", "exec"), mod.__dict__)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    flee = Path(os.environ.get("CORRIDOR_FLEE_SCENARIOS", ROOT.parent / "shared" / "scenarios" / "flee"))
    ap.add_argument("--ref", default="fac74ca", help="a commit whose src/corridor/sim/kernels.py holds move_day")
    ap.add_argument("--scenario", type=Path, default=flee / "burundi")
    ap.add_argument("--day", type=int, default=200)
    ap.add_argument("--calls", type=int, default=150)
    args = ap.parse_args()
    K = old_kernels(args.ref)

    eng = engine_before_movement(corridor.load(args.scenario).scenario, args.day)
    w, a, net = eng.world, eng.agents, eng.net
    move, r, today, open_ = w.get(Movement), w.get(Closures).routes, w.get(Attract).today, w.get(Closures).open
    snap = {k: getattr(a, k).copy() for k in COLUMNS}

    def before() -> None:
        blocks = n_blocks_for(a.n, w.threads)
        c = move._counters_for(blocks)
        with team(blocks):
            K.move_day(a.n, blocks, args.day, move.key, a.state, a.loc, a.progress, a.route, a.rpos, a.hops,
                       a.came_from, today.leave_below, today.dest_full, r.cand_start, r.cand_route, today.cand_cum,
                       today.cum_w, r.links, r.length, r.dest, net.link_src, net.link_dst, net.link_dist,
                       net.link_speed, open_, move.rules.sign_now, move.rules.walk_speed, move.rules.start_on_foot,
                       move.rules.no_backtrack, *c)  # fmt: skip

    def now() -> None:
        move.step(args.day)

    def once(fn) -> float:
        for k, v in snap.items():
            getattr(a, k)[:] = v
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t

    after = []
    for fn in (before, now):
        once(fn)  # compile, then keep the columns it leaves
        after.append([getattr(a, k).copy() for k in COLUMNS])
    same = all(np.array_equal(x, y) for x, y in zip(*after, strict=True))
    old, new = [], []
    for _ in range(args.calls):
        old.append(once(before))
        new.append(once(now))
    b, v = np.array(old) * 1e6, np.array(new) * 1e6
    print(
        f"{args.scenario.name} day {args.day}, {a.n:,} people: before ({args.ref}) min {b.min():.0f} median "
        f"{np.median(b):.0f} us; now min {v.min():.0f} median {np.median(v):.0f} us; paired median ratio "
        f"{np.median(v / b):.3f}; same columns: {'yes' if same else 'no'}"
    )


if __name__ == "__main__":
    main()
