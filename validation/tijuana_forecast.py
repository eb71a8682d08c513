"""Scored forecasts for tijuana-2018: a hindcast and the December-January forecast, from calibrations.

    python validation/tijuana_forecast.py [--budget 8000] [--population 200] [--runs 200] [--workers 2]

1. Hindcast: `corridor calibrate` to the observations dated up to 20 Nov 2018, then a posterior ensemble
   (`--runs` draws, `corridor validate --posterior`'s arithmetic) scores the observations dated 21-28 Nov
   that are not reserved: the share whose reported range overlaps the 50% and the 90% interval, and the
   median over them of the relative error of the ensemble's median against the reported value.
2. Forecast: `corridor calibrate` to every observation not reserved (to 28 Nov); its posterior ensemble
   gives the San Ysidro list, the Tijuana shelters, the week's median wait and the people gone home and
   crossed by 1 and 15 Dec, 1, 15 and 31 Jan, with 90% bands, and scores the reserved rows (reported on
   30 Nov about 28 Nov), which neither calibration saw.

The calibrations go to runs/calibration/tijuana-{hindcast,full} (with --resume, a rerun goes on from
them; delete them to start again). The tables replace the blocks between the markers in
docs/validation.md; the text around them is written by hand. The commands it runs are printed first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
from common import ROOT

import corridor
from corridor.api import coverage, interval_fields
from corridor.calibrate import Posterior, select
from corridor.distributed import session
from corridor.evaluate.observations import Observation, read_observations

OBS = ROOT.parent / "shared" / "observations" / "tijuana-2018.csv"
SCENARIO = ROOT / "scenarios" / "tijuana-2018"
H_START, H_END = "<!-- hindcast:start -->", "<!-- hindcast:end -->"
F_START, F_END = "<!-- posterior-forecast:start -->", "<!-- posterior-forecast:end -->"
FORECAST_DATES = ("2018-12-01", "2018-12-15", "2019-01-01", "2019-01-15", "2019-01-31")
SHELTERS = ("Benito Juarez shelter", "El Barretal", "Tijuana private shelters")
# the priors the 28 observations can inform (SOURCES.md names the observations each was left to; the
# march's shares set the arrests and deportations of 25 Nov); the others are drawn from their priors in
# every simulation and kept per particle
CALIBRATED = (
    "caravans.main.size",
    "hazards.returned_ciudad_hidalgo_caravan.rate",
    "hazards.refuge_chiapas_caravan.rate",
    "places.mexico_city.movechance",
    "places.tijuana.movechance",
    "places.mexicali_shelters.attraction",
    "hazards.moved_mexicali_shelters_caravan.rate",
    "ports.san_ysidro.sign_rate",
    "ports.otay_mesa.capacity_per_day",
    "cohorts.others.size",
    "marches.tijuana.share",
    "hazards.returned_tijuana_caravan.rate",
    "cohorts.background.size",
    "deported_background",
    "group_size_power",
    "marches.tijuana.cross",
    "marches.tijuana.apprehended",
    "marches.tijuana.deported",
)


def calibrate_command(out: Path, until: str | None, args: argparse.Namespace) -> list[str]:
    cmd = ["corridor", "calibrate", "scenarios/tijuana-2018", "--observations", str(OBS), "--out", str(out),
           "--budget", str(args.budget), "--population", str(args.population), "--seed", str(args.seed),
           "--workers", str(args.workers)]  # fmt: skip
    if until:
        cmd += ["--until", until]
    for p in CALIBRATED:
        cmd += ["--prior", p]
    if (out / "manifest.json").is_file():
        cmd.append("--resume")
    return cmd


def run(cmd: list[str]) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run([sys.executable, "-m", "corridor.cli", *cmd[1:]], cwd=ROOT, check=True)


def ensemble(folder: Path, runs: int, seed: int, workers: int, observations: list) -> list:
    """The summaries of `runs` runs of tijuana-2018, each with a parameter set drawn from the posterior in
    `folder` and seed seed+k: what `corridor run/validate --posterior DIR --runs K --seed S` run."""
    sim = corridor.load(SCENARIO)
    draws = Posterior.read(folder).draw(np.random.default_rng(seed), runs)
    jobs = [(d, seed + k) for k, d in enumerate(draws)]
    out: list = [None] * runs
    with session(workers) as client:
        for i, s in sim.summaries(jobs, None, observations, client, threads=1):
            out[i] = s
    return out


def score(summaries: list, observations: list) -> tuple[list[dict], dict]:
    rows = []
    for j, o in enumerate(observations):
        vals = [float(s.points[j]) for s in summaries]
        f = interval_fields(vals, o.low, o.high)
        rows.append({"o": o, **f, "rel_error": abs(f["simulated_median"] - o.value) / o.value if o.value else None})
    return rows, coverage(rows)


def table(rows: list[dict]) -> list[str]:
    lines = [
        "| line | date | place | metric | reported (low-high) | posterior median | 50% interval | 90% interval "
        "| in 50% | in 90% | relative error of the median |",
        "|---:|---|---|---|---:|---:|---:|---:|---|---|---:|",
    ]
    for r in rows:
        o = r["o"]
        lines.append(
            f"| {o.row} | {o.date} | {o.place} | {o.metric} | {o.value:,.0f} ({o.low:,.0f}-{o.high:,.0f}) "
            f"| {r['simulated_median']:,.0f} | {r['simulated_q25']:,.0f}-{r['simulated_q75']:,.0f} "
            f"| {r['simulated_q05']:,.0f}-{r['simulated_q95']:,.0f} | {'yes' if r['in_50'] else 'no'} "
            f"| {'yes' if r['in_90'] else 'no'} | {r['rel_error']:.0%} |"
        )
    return lines


# what the forecast reports on each date, as point observations (evaluate.observations' metrics) so that
# each run computes them from its own tables: (column, place, metric)
FORECAST = [
    ("list", "San Ysidro", "waitlist_length"),
    *[("shelters", name, "present") for name in SHELTERS],
    ("home", "Baja California", "returned_home_cumulative"),
    ("crossed", "Baja California", "crossed_caught_cumulative"),
    ("crossed", "Baja California", "crossed_undetected_cumulative"),
]


def forecast_observations() -> list:
    out = []
    for date in FORECAST_DATES:
        for _, place, metric in FORECAST:
            out.append(Observation(0, dt.date.fromisoformat(date), place, metric, 0.0, 0.0, 0.0))
    return out


def forecast_rows(summaries: list) -> list[str]:
    """Per date, the median (5-95%) over the runs of each column: the runs' values of the forecast's points
    (summed within a column), and the week's median wait from the runs' series."""
    start = corridor.load(SCENARIO).scenario.start_date
    port = summaries[0].names["wait_days"].index("San Ysidro")
    lines = [
        "| date | San Ysidro list | in the Tijuana shelters | median wait of those called that week (days) "
        "| gone home from Baja California (since 1 Oct) | crossed between ports from Baja California (caught "
        "or not, since 1 Oct) |",
        "|---|---:|---:|---:|---:|---:|",
    ]

    def band(x: list[float]) -> str:
        x = np.asarray([v for v in x if not np.isnan(v)])
        if not len(x):
            return "–"
        q = np.percentile(x, [5, 50, 95])
        return f"{q[1]:,.0f} ({q[0]:,.0f}-{q[2]:,.0f})"

    k = len(FORECAST)
    for i, date in enumerate(FORECAST_DATES):
        cols: dict[str, list[float]] = {}
        for s in summaries:
            got: dict[str, float] = {}
            for j, (col, _, _) in enumerate(FORECAST):
                got[col] = got.get(col, 0.0) + float(s.points[i * k + j])
            for col, v in got.items():
                cols.setdefault(col, []).append(v)
        d = (dt.date.fromisoformat(date) - start).days
        wait = [float(s.series["wait_days"][d, port]) for s in summaries]
        lines.append(
            f"| {date} | {band(cols['list'])} | {band(cols['shelters'])} | {band(wait)} | {band(cols['home'])} "
            f"| {band(cols['crossed'])} |"
        )
    return lines


def replace_block(text: str, start: str, end: str, block: list[str]) -> str:
    body = "\n".join([start, *block, end])
    if start in text:
        a, b = text.index(start), text.index(end) + len(end)
        return text[:a] + body + text[b:]
    return text.rstrip("\n") + "\n\n" + body + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget", type=int, default=8000)
    ap.add_argument("--population", type=int, default=200)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--docs", type=Path, default=ROOT / "docs" / "validation.md")
    args = ap.parse_args()
    folder = ROOT / "runs" / "calibration"
    folder.mkdir(parents=True, exist_ok=True)
    hind, full = folder / "tijuana-hindcast", folder / "tijuana-full"
    run(calibrate_command(hind, "2018-11-20", args))
    run(calibrate_command(full, None, args))

    observations = read_observations(OBS)
    kept = {o.row for o in select(observations).used}
    later = [o for o in observations if dt.date(2018, 11, 21) <= o.date <= dt.date(2018, 11, 28) and o.row in kept]
    rows, cov = score(ensemble(hind, args.runs, args.seed, args.workers, later), later)
    med = float(np.median([r["rel_error"] for r in rows]))
    mh = Posterior.read(hind).manifest
    head = (
        f"`python validation/tijuana_forecast.py --budget {args.budget} --population {args.population} "
        f"--runs {args.runs} --seed {args.seed}`: calibrated to {len(mh['observations']['used'])} observations "
        f"dated up to 20 Nov ({mh['simulations']:,} simulations, {len(mh['generations'])} generations, "
        f"effective sample size {mh['effective_sample_size']:.0f} of {mh['posterior_size']}); {args.runs} "
        f"posterior runs score the {len(rows)} observations of 21-28 Nov not reserved: the reported range "
        f"overlaps the 50% interval for **{cov['coverage_50']:.0%}** and the 90% interval for "
        f"**{cov['coverage_90']:.0%}**; median relative error of the posterior median **{med:.0%}**."
    )
    reserved = [o for o in observations if o.row not in kept]
    sums = ensemble(full, args.runs, args.seed, args.workers, reserved)
    rrows, rcov = score(sums, reserved)
    fsum = ensemble(full, args.runs, args.seed, args.workers, forecast_observations())
    mf = Posterior.read(full).manifest
    fhead = (
        f"`python validation/tijuana_forecast.py --budget {args.budget} --population {args.population} "
        f"--runs {args.runs} --seed {args.seed}`: calibrated to the {len(mf['observations']['used'])} observations "
        f"not reserved ({mf['simulations']:,} simulations, {len(mf['generations'])} generations, effective sample "
        f"size {mf['effective_sample_size']:.0f} of {mf['posterior_size']}); {args.runs} posterior runs, median "
        f"(5-95%):"
    )
    rhead = (
        f"The {len(rrows)} reserved rows (UNICEF's sitrep of 30 Nov), scored by the same runs: the range overlaps "
        f"the 50% interval for {rcov['coverage_50']:.0%} and the 90% interval for {rcov['coverage_90']:.0%}."
    )
    text = args.docs.read_text()
    text = replace_block(text, H_START, H_END, [head, "", *table(rows)])
    text = replace_block(text, F_START, F_END, [fhead, "", *forecast_rows(fsum), "", rhead, "", *table(rrows)])
    args.docs.write_text(text)
    print(head, fhead, rhead, sep="\n\n")


if __name__ == "__main__":
    main()
