"""Score tijuana-2018 against its 31 observations and write the table into docs/validation.md.

    python validation/tijuana.py [--runs 10] [--observations ../shared/observations/tijuana-2018.csv]

The same numbers as `corridor validate scenarios/tijuana-2018 --runs 10 --observations FILE --json`:
each observation's simulated value is the mean over seeds 0..runs-1 (with their lowest and highest),
computed from the runs' tables. The table replaces the block between the markers in docs/validation.md;
the explanations around it are written by hand.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import ROOT

import corridor
from corridor.observations import compare, read_observations

START, END = "<!-- tijuana-table:start -->", "<!-- tijuana-table:end -->"


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
        "| # | date | place | metric | reported (low-high) | accepted range | simulated mean | seeds' range "
        "| in range |",
        "|---:|---|---|---|---:|---:|---:|---:|---|",
    ]
    for k, r in enumerate(rows, start=1):
        sim = r["simulated"]
        lo, hi = 0.8 * r["low"], 1.2 * r["high"]
        reported = f"{r['value']:,.0f} ({r['low']:,.0f}-{r['high']:,.0f})"
        spread = f"{r['simulated_low']:,.0f}-{r['simulated_high']:,.0f}" if sim is not None else "-"
        mark = "yes" if r["within_range"] else ("**no**" if sim is not None else "not modelled")
        value = f"{sim:,.0f}" if sim is not None else "-"
        lines.append(
            f"| {k} | {r['date']} | {r['place']} | {r['metric']} | {reported} | {lo:,.0f}-{hi:,.0f} | {value} "
            f"| {spread} | {mark} |"
        )
    lines.append(END)
    block = "\n".join(lines)
    text = args.out.read_text()
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    args.out.write_text(text)
    print(f"{hits} of {len(rows)} within range; table written to {args.out}")


if __name__ == "__main__":
    main()
