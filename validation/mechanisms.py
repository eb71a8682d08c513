"""Which mechanism moves which figure: tijuana-2018 as bundled against the same scenario with one of issue
13's mechanisms switched off, each an ensemble over the same seeds, written into docs/validation.md.

    python validation/mechanisms.py [--runs 10] [--only NAME ...] [--no-docs]

Each variant is the bundled scenario with `--set` overrides (the same ones `corridor run --set` takes), so
the runs of two variants pair on seeds and differ only in the mechanism. The figures are means over seeds
0..runs-1: how many of the 31 observations are in range, five of the observed figures, and four forecast
figures of 31 Jan 2019 (after the observations; nothing was fitted to them). The text around the table is
written by hand and says what each switch leaves out and what it cannot.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import ROOT, replace_between

import corridor
from corridor.evaluate.metrics import MetricError, resolve, value
from corridor.evaluate.observations import compare, read_observations
from corridor.scenario.parameters import apply_overrides

SCENARIO = ROOT / "scenarios" / "tijuana-2018"
START, END = "<!-- mechanisms:start -->", "<!-- mechanisms:end -->"
SOUTH = ("chiapas", "oaxaca", "veracruz")


@dataclass(frozen=True)
class Variant:
    name: str
    sets: tuple[str, ...]


VARIANTS = (
    Variant("as bundled", ()),
    Variant(
        "crossing not a choice",
        (
            "hazards.crossed_tijuana.surrender=0",
            "hazards.crossed_tijuana.per_expected_wait=0",
            "hazards.crossed_tijuana.per_others_crossed=0",
        ),
    ),  # fmt: skip
    Variant("caravans free of enforcement", tuple(f"hazards.deported_{s}_caravan.rate=0" for s in SOUTH)),
    Variant("a list of people", ("ports.san_ysidro.group_size=null", "ports.san_ysidro.absent=0")),
    Variant("San Ysidro alone", ("ports.otay_mesa.capacity_per_day=0", "ports.calexico.capacity_per_day=0")),
    Variant("no households", ("cohorts.caravan.household_size=1",)),
    Variant("no setting out again", ("reentry.returned_home.share=0", "reentry.removed.share=0")),
)

# observed rows shown (their line in the observations file, 1 = the first row)
SHOWN = {12: "Queretaro 10 Nov", 19: "Tijuana 22 Nov", 25: "deported by Mexico to 25 Nov", 26: "list 27 Nov",
         29: "Mexicali 28 Nov"}  # fmt: skip
LAST = dt.date(2019, 1, 31)
# forecast figures of 31 Jan 2019: (label, [(metric, place), ...] summed; a metric the variant cannot produce
# counts 0 (no surrender share: nobody surrenders))
FORECAST = (
    ("San Ysidro list", [("waitlist", "San Ysidro")]),
    ("crossed between ports from Baja California", [(f"{m}_cumulative", "Baja California")
                                                     for m in ("crossed_caught", "crossed_undetected",
                                                               "crossed_surrendered")]),
    ("gone home from Baja California", [("returned_home_cumulative", "Baja California")]),
    ("processed at the three ports", [("processed_cumulative", "total")]),
)  # fmt: skip


def forecast(runs: list, parts: list[tuple[str, str]]) -> float:
    total = np.zeros(len(runs))
    sc = runs[0].scenario
    for metric, place in parts:
        try:
            r = resolve(sc, metric, place)
        except MetricError:
            continue
        total += [value(res, r, LAST, LAST) or 0.0 for res in runs]
    return float(total.mean())


def measure(v: Variant, n: int, rows: list) -> dict:
    base = corridor.load(SCENARIO).scenario
    sim = corridor.Simulation(apply_overrides(base, list(v.sets)) if v.sets else base)
    runs = sim.ensemble(n, seed=0)
    scored = compare(runs, rows)
    out = {"in range": sum(bool(r["within_range"]) for r in scored)}
    for line, label in SHOWN.items():
        out[label] = scored[line - 1]["simulated"]
    for label, parts in FORECAST:
        out[label] = forecast(runs, parts)
    return out


def table(results: dict[str, dict], n: int) -> str:
    names = list(results)
    labels = list(next(iter(results.values())))
    lines = [
        f"`python validation/mechanisms.py --runs {n}` (seeds 0-{n - 1}, means; observed figures to 28 Nov 2018, "
        f"forecast figures on 31 Jan 2019):",
        "",
        "| figure | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for label in labels:
        cells = []
        for name in names:
            x = results[name][label]
            cells.append(f"{x:,.0f}" if label != "in range" else f"{x} of 31")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "The switches (`--set`):", ""]
    for v in VARIANTS:
        if v.name in results and v.sets:
            lines.append(f"- {v.name}: " + ", ".join(f"`{s}`" for s in v.sets))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--only", nargs="*", help="only these variants: " + "; ".join(v.name for v in VARIANTS))
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "validation.md")
    ap.add_argument("--no-docs", action="store_true", help="print the table instead of writing docs/validation.md")
    args = ap.parse_args()
    rows = read_observations(SCENARIO / "observations.csv", corridor.load(SCENARIO).scenario)
    results = {}
    for v in VARIANTS:
        if args.only and v.name not in args.only:
            continue
        t0 = time.perf_counter()
        results[v.name] = measure(v, args.runs, rows)
        print(f"{v.name}: {results[v.name]['in range']} of 31 in range ({time.perf_counter() - t0:.0f} s)", flush=True)
    body = table(results, args.runs)
    if args.no_docs:
        print(body)
        return 0
    args.out.write_text(replace_between(args.out.read_text(), START, END, body, args.out))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
