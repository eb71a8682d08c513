"""Measure corridor's validation error on Flee's four scenarios and write docs/validation.md.

    python validation/flee_parity.py [--runs 10] [--flee-dir ../shared/scenarios/flee]

Flee's figures come from ../shared/scenarios/flee/ANCHORS.md (measured with Flee itself), or, for the
scenarios of PREFIX, from Flee's record bench/results/flee-NAME.json (bench/run_flee.py over the first days
only); corridor's are measured fresh by this script over the same days, mean over seeds 0..runs-1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from common import ROOT, add_flee_dir

import corridor

FLEE = {  # ANCHORS.md: mean ARD over days, ARD on the last day, rescaled ARD, wall seconds
    "mali2012": (0.353, 0.088, 0.304, "30-34"),
    "burundi": (0.469, 0.169, 0.37, "457-534"),
    "car": (0.396, 0.435, 0.350, "2,010"),
    "ssudan": (0.492, 0.270, 0.572, "1,132"),
    # Flee's development version (02cd2cb); ANCHORS.md gives no last-day or rescaled ARD for it
    "mali2017_adm1": (0.696, None, None, "211"),
}

# Scenarios Flee takes hours over: compared over the first days of a Flee run recorded by
# `python bench/run_all.py --record-flee SCENARIO_DIR --flee-days D ...` (see the record's "recorded" field)
PREFIX = ("nigeria2024",)


def flee_record(name: str, results: Path = ROOT / "bench" / "results") -> dict:
    """Flee's figures for `name` from its bench/run_flee.py record: (ARD, last-day ARD, rescaled ARD, wall) as
    FLEE's entries, and the record itself."""
    path = results / f"flee-{name}.json"
    if not path.exists():
        raise SystemExit(f"flee_parity: {path} is missing; record it with bench/run_all.py --record-flee")
    rec = json.loads(path.read_text())
    last = rec["ard_by_day"][-1] if rec["ard_by_day"] else None
    return {
        "figures": (rec["ard_mean"], last, rec.get("ard_rescaled_mean"), f"{rec['wall_s']:,.0f}"),
        "days": rec["days"],
        "record": rec,
        "path": path,
    }


# where validation/flee_forecast.py's calibrated forecast is reported
FORECAST = (
    "validation.md#on-a-flee-scenario-mali2012s-movement-settings-calibrated-on-the-first-half-scored-on-the-second"
)

HEADER = (
    "| scenario | Flee ARD | corridor ARD | verdict | Flee ARD last day | corridor ARD last day "
    "| Flee rescaled | corridor rescaled | agents at end | Flee wall (s) | corridor wall (s) |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|\n"
)


def _f(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def prefix_note(name: str, prefix: dict, agents: int, per_camp: dict) -> str:
    """The page's words on a row compared over the first days only, from Flee's record."""
    rec, days = prefix["record"], prefix["days"]
    observed = sum(e["observed_last"] for e in per_camp.values())
    simulated = sum(e["simulated_last"] for e in per_camp.values())
    when = rec.get("recorded", {}).get("date", "an unrecorded date")[:10]
    commit = (rec.get("flee_commit") or "?")[:7]
    return (
        f"\n**{name} is compared over its first {days} days only**, not its full period: Flee's own run takes too "
        f"long for the whole of it here. Flee's development version (commit {commit}, `runscripts/run.py`, serial, "
        f"the scenario's simsetting.yml) took {rec['wall_s']:,.0f} s for these {days} days on {when} "
        f"({rec['agents_end']:,} agents at the end, {rec['agent_days'] / 1e6:,.1f} M agent-days; its population "
        f"keeps growing as conflict zones are added, so the rest of the year would take many times as long). "
        f"Flee's figures for this row (ARD over days 0..{days - 1}, last-day and rescaled ARD, wall) are read from "
        f"`{prefix['path'].relative_to(ROOT)}`, computed from the out.csv run.py wrote, in the same way as "
        f"corridor's; Flee sets no seed, so they are one run's. corridor runs the same {days} days "
        f"({agents:,} agents at the end, seed 0). On day {days - 1} the camps hold {sum(rec['sim'][-1]):,} people in "
        f"Flee's run and {simulated:,.0f} in corridor's (mean over the runs) against {observed:,.0f} observed: "
        "the camps' series start from nothing on the first day, so both errors are far above 1.\n"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    add_flee_dir(ap)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "validation-flee.md")
    args = ap.parse_args()

    rows, camps, prefixes = [], [], []
    todo = [(name, figures, None, name) for name, figures in FLEE.items()]
    for name in PREFIX:
        got = flee_record(name)
        todo.append((name, got["figures"], got, f"{name} (first {got['days']} days)"))
    for name, (f_ard, f_last, f_resc, f_wall), prefix, label in todo:
        days = prefix["days"] if prefix else None
        sim = corridor.load(args.flee_dir / name)
        agents = sim.run(seed=0, days=days).agents  # and compiles outside the timing
        t0 = time.perf_counter()
        rep = sim.validate(runs=args.runs, seed=0, days=days)
        wall = (time.perf_counter() - t0) / args.runs
        d = rep.to_dict()
        ards = np.array(d["ard_mean_by_run"])
        verdict = (
            "better" if d["ard_mean"] < f_ard * 0.995 else ("parity" if d["ard_mean"] <= f_ard * 1.05 else "WORSE")
        )
        shown = f"{agents:,}" if prefix is None else f"{agents:,} (Flee {prefix['record']['agents_end']:,})"
        rows.append(
            f"| {label} | {f_ard:.3f} | {d['ard_mean']:.3f} ± {ards.std():.3f} | {verdict} | {_f(f_last)} | "
            f"{d['ard_last_day']:.3f} | {_f(f_resc)} | {d['ard_rescaled_mean']:.3f} | "
            f"{shown} | {f_wall} | {wall:.2f} |"
        )
        if prefix is not None:
            prefixes.append(prefix_note(name, prefix, agents, d["per_camp"]))
        camps.append(
            f"\n**{label}** (mean over {args.runs} runs)\n\n| camp | share of ARD | mean relative error | "
            "simulated, last day | observed, last day |\n|---|---|---|---|---|"
        )
        for camp, e in d["per_camp"].items():
            camps.append(
                f"| {camp} | {e['ard_share']:.3f} | {e['relative_error_mean']:.3f} | "
                f"{e['simulated_last']:,.0f} | {e['observed_last']:,.0f} |"
            )
        print(rows[-1], flush=True)

    text = (
        f"""# corridor on Flee's scenarios (generated)

Generated by `python validation/flee_parity.py --runs {args.runs}` on {dt.date.today()} ({platform.machine()},
{os.cpu_count()} cores, corridor {corridor.__version__}). Do not edit by hand: rerun the command.

ARD = averaged relative difference, Flee's measure (ANCHORS.md): each day, the sum over camps of
|simulated - observed| divided by the observed total in camps, averaged over all days. corridor's value
is the mean over seeds 0..{args.runs - 1} (± the standard deviation between seeds). Flee's values and
wall times are from `../shared/scenarios/flee/ANCHORS.md` (Flee sets no seed; ±0.005 between runs): Flee 3.1
for the first four, Flee's development version (commit 02cd2cb) for mali2017_adm1, which ANCHORS.md gives
no last-day or rescaled ARD for (—).
"Parity" means at most 5% above Flee's error. corridor's wall time is per run, after compilation.
These are Flee's settings; mali2012's movement settings calibrated to its first half and scored on its
second: [validation.md]({FORECAST}) (validation/flee_forecast.py).
"""
        + "".join(prefixes)
        + "\n"
        + HEADER
        + "\n".join(rows)
        + "\n\n## Per camp\n"
        + "\n".join(camps)
        + "\n"
    )
    args.out.write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
