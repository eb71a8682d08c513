"""Score tijuana-2018 against its 31 observations and write the table into docs/validation.md.

    python validation/tijuana.py [--runs 10] [--observations ../shared/observations/tijuana-2018.csv]

The same numbers as `corridor validate scenarios/tijuana-2018 --runs 10 --observations FILE --json`:
each observation's simulated value is the mean over seeds 0..runs-1 (with their lowest and highest),
computed from the runs' tables. The table replaces the block between the markers in docs/validation.md;
so does a second one, from the same runs: the forecast of the San Ysidro list, the week's claims and
waits, the Tijuana shelters and remain-in-Mexico on dates in December and January, after the last
observation. The explanations around them are written by hand.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from common import ROOT

import corridor
from corridor.evaluate.observations import compare, read_observations

START, END = "<!-- tijuana-table:start -->", "<!-- tijuana-table:end -->"
F_START, F_END = "<!-- tijuana-forecast:start -->", "<!-- tijuana-forecast:end -->"
FORECAST_DATES = ("2018-12-01", "2018-12-15", "2019-01-01", "2019-01-15", "2019-01-31")
SHELTERS = ("Benito Juarez shelter", "El Barretal", "Tijuana private shelters")


def _spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    return f"{fmt.format(np.mean(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def forecast_block(runs: list, n: int) -> str:
    """The San Ysidro queue and waits, the Tijuana shelters and remain-in-Mexico on dates after the last
    observation: the mean over the seeds, with their lowest and highest."""
    lines = [
        F_START,
        f"`python validation/tijuana.py --runs {n}` (seeds 0-{n - 1}; mean, with the seeds' lowest-highest):",
        "",
        "| date | San Ysidro list | claims processed that week | median wait of those processed that week (days) "
        "| in the Tijuana shelters | waiting in Tijuana under remain-in-Mexico |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for date in FORECAST_DATES:
        d = np.datetime64(date)
        cols: dict[str, list[float]] = {"list": [], "done": [], "wait": [], "shelters": [], "mpp": []}
        for res in runs:
            day = int((d - np.datetime64(res.dates[0])) // np.timedelta64(1, "D"))
            pt = res.port_table()
            pt = pt[pt["port"] == "San Ysidro"]
            cols["list"].append(float(pt["waitlist"].iloc[day]))
            cols["done"].append(float(pt["processed"].iloc[day - 6 : day + 1].sum()))
            days, port_of, waited = res.record.wait_table()
            k = res.ports.index("San Ysidro")
            week = waited[(port_of == k) & (days > day - 7) & (days <= day)]
            cols["wait"].append(float(np.median(week)) if len(week) else float("nan"))
            idx = [res.places.index(name) for name in SHELTERS]
            cols["shelters"].append(float(res.record.population[day, idx].sum()))
            st = res.state_table()
            cols["mpp"].append(float(st["remain_in_mexico"].iloc[day]))
        lines.append(
            f"| {date} | {_spread(cols['list'])} | {_spread(cols['done'])} | {_spread(cols['wait'])} "
            f"| {_spread(cols['shelters'])} | {_spread(cols['mpp'])} |"
        )
    lines.append(F_END)
    return "\n".join(lines)


def observation_table(rows: list[dict]) -> list[str]:
    """The markdown table of observations.compare's rows: reported, accepted range, simulated mean and the
    seeds' range, in range or not (or why there is no value)."""
    lines = [
        "| # | date | place | metric | reported (low-high) | accepted range | simulated mean | seeds' range "
        "| in range |",
        "|---:|---|---|---|---:|---:|---:|---:|---|",
    ]
    for k, r in enumerate(rows, start=1):
        sim = r["simulated"]
        lo, hi = 0.8 * r["low"], 1.2 * r["high"]
        reported = f"{r['value']:,.0f} ({r['low']:,.0f}-{r['high']:,.0f})"
        spread = f"{r['simulated_low']:,.0f}-{r['simulated_high']:,.0f}" if sim is not None else "-"
        mark = "yes" if r["within_range"] else ("**no**" if sim is not None else r["why_no_value"])
        value = f"{sim:,.0f}" if sim is not None else "-"
        lines.append(
            f"| {k} | {r['date']} | {r['place']} | {r['metric']} | {reported} | {lo:,.0f}-{hi:,.0f} | {value} "
            f"| {spread} | {mark} |"
        )
    return lines


def _replace(text: str, start: str, end: str, block: str) -> str:
    if start in text and end in text:
        return text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "tijuana-2018")
    shared = ROOT.parent / "shared" / "observations" / "tijuana-2018.csv"
    default_obs = shared if shared.is_file() else ROOT / "scenarios" / "tijuana-2018" / "observations.csv"
    ap.add_argument("--observations", type=Path, default=default_obs)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "validation.md")
    args = ap.parse_args()

    runs = corridor.load(args.scenario).ensemble(args.runs, seed=0)
    rows = compare(runs, read_observations(args.observations))
    hits = sum(bool(r["within_range"]) for r in rows)
    lines = [
        START,
        f"`python validation/tijuana.py --runs {args.runs}` (observations: `{args.observations.name}`; "
        f"seeds 0-{args.runs - 1}): **{hits} of {len(rows)}** within [0.8 × low, 1.2 × high].",
        "",
        *observation_table(rows),
    ]
    lines.append(END)
    text = _replace(args.out.read_text(), START, END, "\n".join(lines))
    text = _replace(text, F_START, F_END, forecast_block(runs, args.runs))
    args.out.write_text(text)
    print(f"{hits} of {len(rows)} within range; table written to {args.out}")


if __name__ == "__main__":
    main()
