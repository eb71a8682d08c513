"""Paired A/B timing of the movement kernel: corridor's movement component against a variant file, in one process.

    python bench/ab_kernel.py VARIANT.py [--scenario DIR] [--day N] [--calls 200]

On this project's shared machines, whole-run timings vary by 20-40% between runs and between days, which
hides any change worth less than that. This script removes most of it: it runs the scenario to day N,
snapshots the agent columns, then alternates one day of movement with the installed kernels and one with
VARIANT (a modified copy of src/corridor/sim/components/movement.py whose move_day takes the same
arguments), restoring the snapshot before each call, and
reports the median of the paired ratios (variant / installed; below 1 is faster). It also checks that
both give the same agent columns, so a variant meant to be exact can be shown to be.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import types
from pathlib import Path

import numpy as np

import corridor
import corridor.sim.components.movement as M
from corridor.sim.components import Movement
from corridor.sim.engine import Engine

COLUMNS = ("state", "loc", "progress", "route", "rpos", "hops", "came_from")


def engine_before_movement(scenario, day: int) -> Engine:
    """An engine run to `day`, with that day's components before movement done: the state a move
    kernel call starts from."""
    eng = Engine(scenario, seed=0)
    for d in range(day):
        eng.step(d)
    eng.stocks.new_day()
    for phase in eng.phases:
        if phase.name == "movement":
            break
        phase.step(day)
    return eng


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variant", type=Path, help="a modified copy of src/corridor/sim/components/movement.py")
    shared = Path(__file__).resolve().parents[2] / "shared" / "scenarios" / "flee"
    flee = Path(os.environ.get("CORRIDOR_FLEE_SCENARIOS", shared))
    ap.add_argument("--scenario", type=Path, default=flee / "burundi")
    ap.add_argument(
        "--generated",
        metavar="AGENTS:PLACES",
        default=None,
        help="time on bench/scale.py's generated network (border processes on) instead of --scenario",
    )
    ap.add_argument("--day", type=int, default=200, help="the day whose movement is timed")
    ap.add_argument("--calls", type=int, default=200, help="calls of each kernel")
    args = ap.parse_args()

    # Compiled afresh, not cached: numba's cache cannot reload functions of a module loaded this way.
    variant = types.ModuleType("corridor.sim.components.movement_variant")
    variant.__file__ = str(args.variant)
    variant.__package__ = "corridor.sim.components"  # its relative imports resolve as the original's do
    code = args.variant.read_text().replace("cache=True", "cache=False")
    exec(compile(code, str(args.variant), "exec"), variant.__dict__)
    installed = M.move_day

    if args.generated:
        sys.path.insert(0, str(Path(__file__).parent))
        import scale

        agents, _, places = args.generated.partition(":")
        scenario = scale.generate(int(float(agents)), int(float(places or 1000)), 300, 0, border=True)
        label = f"generated {args.generated}"
    else:
        scenario = corridor.load(args.scenario).scenario
        label = args.scenario.name
    eng = engine_before_movement(scenario, args.day)
    move = eng.world.get(Movement)
    a = eng.agents
    snap = {k: getattr(a, k).copy() for k in COLUMNS}

    def once(kernel) -> float:
        for k, v in snap.items():
            getattr(a, k)[:] = v
        M.move_day = kernel
        try:
            t = time.perf_counter()
            move.step(args.day)
            return time.perf_counter() - t
        finally:
            M.move_day = installed

    after = []
    for kernels in (installed, variant.move_day):
        once(kernels)  # compile, then keep the columns it leaves
        after.append([getattr(a, k).copy() for k in COLUMNS])
    same = all(np.array_equal(x, y) for x, y in zip(*after, strict=True))
    base, var = [], []
    for _ in range(args.calls):
        base.append(once(installed))
        var.append(once(variant.move_day))
    b, v = np.array(base) * 1e6, np.array(var) * 1e6
    print(
        f"{label} day {args.day}, {a.n:,} people: "
        f"installed min {b.min():.0f} median {np.median(b):.0f} us; "
        f"variant min {v.min():.0f} median {np.median(v):.0f} us; paired median ratio {np.median(v / b):.3f}; "
        f"same columns: {'yes' if same else 'no'}"
    )


if __name__ == "__main__":
    main()
