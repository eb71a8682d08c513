"""Score necocli-2021 against the shared observations of January-September 2021 and write the tables into
docs/validation.md.

    python validation/necocli.py [--runs 10] [--observations scenarios/necocli-2021/observations.csv]

The same numbers as `corridor validate scenarios/necocli-2021 --runs 10 --observations FILE --json`: each
observation's simulated value is the mean over seeds 0..runs-1 (with their lowest and highest), computed
from the runs' tables; rows the scenario cannot compute (flows by nationality or age, inputs, a place it does
not model) are listed with the reason. A second table, from the same runs, is the forecast of October to
December 2021, the period whose reports are reserved to score it. The text around them is written by hand.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from common import ROOT
from tijuana import _replace, _spread, observation_table

import corridor
from corridor.evaluate.observations import compare, read_observations

START, END = "<!-- necocli-table:start -->", "<!-- necocli-table:end -->"
F_START, F_END = "<!-- necocli-forecast:start -->", "<!-- necocli-forecast:end -->"
MONTHS = ("2021-10", "2021-11", "2021-12")


def forecast_block(runs: list, n: int) -> str:
    """After the last observation: people coming out of the Darién each month (Bajo Chiquito's arrivals),
    people waiting in Necoclí and on the boats' list at the end of each month."""
    lines = [
        F_START,
        f"`python validation/necocli.py --runs {n}` (seeds 0-{n - 1}; mean, with the seeds' lowest-highest):",
        "",
        "| month | out of the Darién (arrivals in Bajo Chiquito) | in Necoclí at the month's end "
        "| on the boats' list at the month's end | died in the Darién that month |",
        "|---|---:|---:|---:|---:|",
    ]
    for month in MONTHS:
        first = np.datetime64(month + "-01")
        last = np.datetime64(month, "M") + np.timedelta64(1, "M")
        cols: dict[str, list[float]] = {"out": [], "stock": [], "list": [], "died": []}
        for res in runs:
            d0 = int((first - np.datetime64(res.dates[0])) // np.timedelta64(1, "D"))
            d1 = min(int((np.datetime64(last, "D") - np.datetime64(res.dates[0])) // np.timedelta64(1, "D")), res.days)
            bc, nc = res.places.index("Bajo Chiquito"), res.places.index("Necocli")
            cols["out"].append(float(res.record.arrivals[d0:d1, bc].sum()))
            cols["stock"].append(float(res.record.population[d1 - 1, nc]))
            pt = res.port_table()
            cols["list"].append(float(pt[pt["port"] == "Necocli dock"]["waitlist"].iloc[d1 - 1]))
            cols["died"].append(float(res.table().query("place == 'Bajo Chiquito'")["died"].iloc[d0:d1].sum()))
        lines.append(f"| {month} | {_spread(cols['out'])} | {_spread(cols['stock'])} | {_spread(cols['list'])} "
                     f"| {_spread(cols['died'])} |")  # fmt: skip
    lines.append(F_END)
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "necocli-2021")
    ap.add_argument("--observations", type=Path, default=ROOT / "scenarios" / "necocli-2021" / "observations.csv")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "validation.md")
    args = ap.parse_args()

    sim = corridor.load(args.scenario)
    runs = sim.ensemble(args.runs, seed=0)
    rows = compare(runs, read_observations(args.observations, sim.scenario))
    scored = [r for r in rows if r["simulated"] is not None]
    hits = sum(bool(r["within_range"]) for r in scored)
    lines = [
        START,
        f"`python validation/necocli.py --runs {args.runs}` (observations: `{args.observations.name}`, a copy of "
        f"`../shared/observations/necocli-2021.csv`; seeds 0-{args.runs - 1}): **{hits} of {len(scored)}** rows "
        f"with a simulated value within [0.8 × low, 1.2 × high]; {len(rows) - len(scored)} of the {len(rows)} rows "
        "have none (why: last column).",
        "",
        *observation_table(rows),
    ]
    lines.append(END)
    text = _replace(args.out.read_text(), START, END, "\n".join(lines))
    text = _replace(text, F_START, F_END, forecast_block(runs, args.runs))
    args.out.write_text(text)
    print(f"{hits} of {len(scored)} scored rows within range ({len(rows)} rows); tables written to {args.out}")


if __name__ == "__main__":
    main()
