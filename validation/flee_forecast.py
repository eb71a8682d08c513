"""A scored forecast on one of Flee's scenarios: movement settings calibrated to the first half's camp counts,
scored by ARD on the second half against Flee's default settings.

    python validation/flee_forecast.py [--scenario mali2012] [--budget 3000] [--population 150] [--runs 100]
        [--seed 0] [--workers 2] [--floors 0.01 0.1] [--out runs/calibration] [--json] [--docs]

1. The scenario folder (Flee's, third-party, read-only) is copied into a temporary folder, and a priors.csv
   for its movement settings (PRIORS below, with the reasoning for each range) is written beside its
   simsetting.yml.
2. Observations: each validation camp's observed count (the daily series ARD is measured against: the
   scenario's source_data divided by hasten, registration corrections applied, linear between reports) on
   days 7, 14, ... of the first half (days 0 to days // 2 - 1), metric `present`, with the range
   value ± max(10% of it, FLOOR of that day's observed total in the camps) (`observations()`: why). They are
   written as an observations CSV in the temporary folder; none is dated in the second half, and the
   calibration is also cut at the last day of the first half (`until`).
3. `corridor.calibrate` (ABC-SMC, docs/calibration.md) moves every prior, to OUT/NAME-first-half-floorF (with
   resume when a calibration with the same settings is there): one calibration for each of `--floors`
   (1%, chosen before any result, and 10%: docs/validation.md says why).
4. Scoring: `--runs` runs of each posterior (parameter sets drawn with numpy's generator of `--seed`, run k
   with seed seed + k: `corridor validate --posterior DIR --runs K --seed S`'s arithmetic) and `--runs` runs
   of the scenario as it is (Flee's settings, the same seeds). Each run's ARD is the mean of its daily ARD
   (Flee's measure, corridor.evaluate.ard) over the first half's days and over the second half's; the table
   gives the median over the runs and their 5-95% range, and the ARD of the runs' median camp counts.

Same arguments, same numbers (the timings aside). `--docs` replaces the block between the markers in
docs/validation.md (the text around it is written by hand). Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from common import ROOT, add_flee_dir

import corridor
from corridor.calibrate import Posterior, calibrate
from corridor.evaluate.observations import Observation, read_observations
from corridor.scenario.model import Scenario
from corridor.scenario.series import observed_daily

START, END = "<!-- flee-forecast:start -->", "<!-- flee-forecast:end -->"
EVERY = 7  # days between observations
REL = 0.10  # half-width of an observation's range, as a share of the count ...
FLOOR = 0.01  # ... and at least this share of the day's observed total in the camps

# The movement settings calibrated: (lever, distribution, low, high, source). Flee's mali2012/burundi values
# (simsetting.yml) sit inside every range. The uniform ranges are those FabFlee's EasyVVUQ sensitivity scripts
# vary (djgroen/FabFlee, flee_easyvvuq_*: max_move_speed U(100, 500), camp_move_chance U(0, 0.1),
# conflict_move_chance U(0.1, 1), default_move_chance U(0.1, 1), camp_weight U(1, 10), conflict_weight
# U(0.1, 1)) and awareness_level's range is FabFlee's params.json (0-2); the log scale for camp_movechance and
# leaving max_walk_speed out are this script's choices, said in the source column.
PRIORS: tuple[tuple[str, str, float, float, str], ...] = (
    ("move.conflict_movechance", "uniform", 0.1, 1.0,
     "FabFlee's sensitivity range U(0.1, 1); Flee's value 1.0"),
    ("move.default_movechance", "uniform", 0.1, 1.0,
     "FabFlee's sensitivity range U(0.1, 1); Flee's value 0.3"),
    ("move.camp_movechance", "loguniform", 0.0001, 0.1,
     "FabFlee varies it U(0, 0.1); on a log scale from 0.0001 (assumption) so that Flee's 0.001 is central"),
    ("move.conflict_weight", "uniform", 0.1, 1.0,
     "FabFlee's sensitivity range U(0.1, 1); Flee's value 0.25"),
    ("move.camp_weight", "uniform", 1.0, 10.0,
     "FabFlee's sensitivity range U(1, 10); Flee's value 5 (mali2012) or 2 (Flee's default)"),
    ("move.max_move_speed", "uniform", 100.0, 500.0,
     "FabFlee's sensitivity range U(100, 500) km a day; Flee's value 200 (max_walk_speed left out: "
     "nobody starts on foot in these scenarios)"),
    ("move.awareness_level", "intuniform", 0, 2,
     "FabFlee's params.json range 0-2 (links an agent looks ahead); Flee's value 1"),
)  # fmt: skip


def write_priors(folder: Path) -> Path:
    """PRIORS as the priors.csv of a Flee folder (beside simsetting.yml)."""
    path = folder / "priors.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "lever", "distribution", "low", "high", "mean", "sd", "alpha", "beta", "source"])
        for lever, dist, low, high, source in PRIORS:
            w.writerow(["", lever, dist, low, high, "", "", "", "", source])
    return path


def mid_day(sc: Scenario) -> int:
    """The first day of the second half: days 0 .. mid-1 are the first half, mid .. days-1 the second."""
    return sc.days // 2


def observations(sc: Scenario, every: int = EVERY, rel: float = REL, floor: float = FLOOR) -> list[Observation]:
    """Each validation camp's observed count on days every, 2*every, ... of the first half, as `present`
    observations with the range value ± max(rel * value, floor * the day's observed total in the camps).

    The counts are the daily series ARD is measured against (source_data / hasten, corrected, linear between
    reports), in the model's units (people / hasten), so the runs' counts compare with them directly. Why the
    range: UNHCR's counts are revised by about a tenth (mali2012's registration corrections rescale a camp's
    earlier counts at once; the camps are counted days apart), so a run within 10% of a count is as good as
    the count itself; and a camp with few or no people yet (Niamey, Tabareybarey, Mentao at the start) gets a
    range of 1% of all the people in camps, the size of a miss ARD barely registers (ARD divides each camp's
    miss by that total), instead of a range of 0 that would make any arrival there an infinite relative miss.
    Day 0 is left out: the camps start at their day-0 counts."""
    obs = observed_daily(sc)
    camps = [c for c in sc.camp_names() if c in obs]
    total = np.sum([obs[c] for c in camps], axis=0) if camps else np.zeros(sc.days)
    out: list[Observation] = []
    for day in range(every, mid_day(sc), every):
        date = sc.start_date + dt.timedelta(days=day)
        for camp in camps:
            v = float(obs[camp][day])
            m = max(rel * v, floor * float(total[day]))
            out.append(
                Observation(
                    row=len(out) + 2, date=date, place=camp, metric="present", value=v,
                    low=round(max(0.0, v - m), 1), high=round(v + m, 1),
                    source=f"{sc.name} source_data (observed_daily, day {day})",
                    note=f"range: value ± max({rel:.0%} of it, {floor:.0%} of the camps' total {total[day]:,.0f})",
                )
            )  # fmt: skip
    return out


def write_observations(path: Path, rows: Sequence[Observation]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["date", "place", "metric", "value", "low", "high", "source", "note"])
        for o in rows:
            w.writerow([o.date.isoformat(), o.place, o.metric, o.value, o.low, o.high, o.source, o.note])
    return path


def prepare(source: Path, work: Path, floor: float = FLOOR) -> tuple[Path, Path]:
    """Copy the scenario folder into `work` with PRIORS as its priors.csv, and write the first half's
    observations there (ranges at least `floor` of the camps' total); returns (the scenario copy, the
    observations CSV)."""
    folder = work / source.name
    shutil.copytree(source, folder)
    (folder / "priors.csv").unlink(missing_ok=True)
    write_priors(folder)
    sc = corridor.load(folder).scenario
    return folder, write_observations(work / f"{source.name}-first-half.csv", observations(sc, floor=floor))


def halves(ard_by_day: np.ndarray, mid: int) -> tuple[float, float]:
    return float(ard_by_day[:mid].mean()), float(ard_by_day[mid:].mean())


def score(sim: corridor.Simulation, jobs: list, mid: int) -> dict[str, Any]:
    """ARD of each run over the first and the second half, and of the runs' median camp counts."""
    rep = sim.validate(jobs, workers=1)
    per = np.array([halves(v.ard_by_day, mid) for v in rep.validations])  # (runs, 2)
    v0 = rep.validations[0]
    med = np.median([v.simulated for v in rep.validations], axis=0)
    total = np.maximum(v0.observed.sum(axis=1), 1)
    med_ard = np.abs(med - v0.observed).sum(axis=1) / total
    out: dict[str, Any] = {"runs": len(jobs), "seeds": [s for _, s in jobs]}
    for j, half in enumerate(("first_half", "second_half")):
        q = np.percentile(per[:, j], [5, 50, 95])
        out[half] = {
            "ard_median": float(q[1]),
            "ard_q05": float(q[0]),
            "ard_q95": float(q[2]),
            "ard_mean": float(per[:, j].mean()),
            "ard_of_median_counts": halves(med_ard, mid)[j],
        }
    out["whole"] = {"ard_mean": float(np.mean([v.ard_mean for v in rep.validations]))}
    out["per_camp_second_half"] = {
        c: {
            "observed_last": int(v0.observed[-1, k]),
            "median_last": float(med[-1, k]),
            "mean_abs_error_share": float((np.abs(med[mid:, k] - v0.observed[mid:, k]) / total[mid:]).mean()),
        }
        for k, c in enumerate(v0.camps)
    }
    return out


def label(floor: float) -> str:
    return f"calibrated, ranges ± max({REL:.0%}, {floor:.0%} of the total)"


def table(res: dict[str, Any]) -> list[str]:
    lines = [
        "| settings | ARD, second half: median over runs (5-95%) | ARD of the median counts, second half "
        "| ARD, first half: median (5-95%) | ARD of the median counts, first half |",
        "|---|---:|---:|---:|---:|",
    ]
    rows = [(label(c["floor"]), c["score"]) for c in res["calibrations"]]
    for name, r in [*rows, ("Flee's settings (the scenario as it is)", res["default"])]:
        cells = []
        for half in ("second_half", "first_half"):
            h = r[half]
            cells += [
                f"{h['ard_median']:.3f} ({h['ard_q05']:.3f}-{h['ard_q95']:.3f})",
                f"{h['ard_of_median_counts']:.3f}",
            ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def camp_table(res: dict[str, Any]) -> list[str]:
    cals = res["calibrations"]
    floors = [f"{c['floor']:.0%}" for c in cals]
    lines = [
        "| camp | observed, last day | "
        + " | ".join(f"median, last day: calibrated ({f})" for f in floors)
        + " | median, last day: Flee's | "
        + " | ".join(f"share of the second half's ARD: calibrated ({f})" for f in floors)
        + " | share of the second half's ARD: Flee's |",
        "|---|" + "---:|" * (2 * len(cals) + 3),
    ]
    dft = res["default"]["per_camp_second_half"]
    for camp, d in dft.items():
        cs = [c["score"]["per_camp_second_half"][camp] for c in cals]
        lines.append(
            f"| {camp} | {d['observed_last']:,} | "
            + " | ".join(f"{c['median_last']:,.0f}" for c in cs)
            + f" | {d['median_last']:,.0f} | "
            + " | ".join(f"{c['mean_abs_error_share']:.3f}" for c in cs)
            + f" | {d['mean_abs_error_share']:.3f} |"
        )
    return lines


def posterior_table(res: dict[str, Any]) -> list[str]:
    cals = res["calibrations"]
    lines = [
        "| setting | Flee's value | prior | "
        + " | ".join(f"posterior median (5-95%), ranges with {c['floor']:.0%}" for c in cals)
        + " |",
        "|---|---:|---|" + "---:|" * len(cals),
    ]
    for lever, dist, low, high, _ in PRIORS:
        cells = []
        for c in cals:
            p = c["posterior"][lever]
            cells.append(f"{p['median']:.3g} ({p['q05']:.3g}-{p['q95']:.3g})")
        lines.append(
            f"| {lever} | {res['flee_settings'][lever]:g} | {dist} {low:g}-{high:g} | " + " | ".join(cells) + " |"
        )
    return lines


def replace_block(text: str, block: list[str]) -> str:
    body = "\n".join([START, *block, END])
    if START in text:
        a, b = text.index(START), text.index(END) + len(END)
        return text[:a] + body + text[b:]
    return text.rstrip("\n") + "\n\n" + body + "\n"


def calibrated(source: Path, work: Path, floor: float, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Calibrate a copy of `source` to its first half's counts with ranges of `floor` and score its
    posterior: the numbers of one row of the table."""
    t0 = time.perf_counter()
    folder, obs_file = prepare(source, work, floor)
    sim = corridor.load(folder)
    sc = sim.scenario
    mid = mid_day(sc)
    until = sc.start_date + dt.timedelta(days=mid - 1)
    rows = read_observations(obs_file)
    print(
        f"{sc.name}: {sc.days} days from {sc.start_date}; first half to {until} (day {mid - 1}), {len(rows)} "
        f"observations, ranges ± max({REL:.0%}, {floor:.0%} of the total); calibrating {len(PRIORS)} movement "
        f"settings to {out}",
        file=sys.stderr,
        flush=True,
    )
    m = calibrate(
        sc, rows, out, until=until, budget=args.budget, population=args.population, seed=args.seed,
        resume=(out / "manifest.json").is_file(), workers=args.workers, progress=_progress,
        source={"file": f"(temporary) {obs_file.name}", "command": " ".join(["python", *sys.argv])},
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    post = Posterior.read(out)
    draws = post.draw(np.random.default_rng(args.seed), args.runs)
    lo, md, hi = post.quantile(0.05), post.quantile(0.5), post.quantile(0.95)
    return {
        "floor": floor,
        "out": str(out),
        "observations": len(m["observations"]["used"]),
        "simulations": m["simulations"],
        "generations": len(m["generations"]),
        "last_epsilon": m["generations"][-1]["epsilon"],
        "effective_sample_size": m["effective_sample_size"],
        "posterior_size": m["posterior_size"],
        "seconds": round(seconds, 1),
        "posterior": {lv: {"q05": lo[lv], "median": md[lv], "q95": hi[lv]} for lv, *_ in PRIORS},
        "score": score(sim, [(d, args.seed + k) for k, d in enumerate(draws)], mid),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="mali2012", help="a folder under --flee-dir")
    add_flee_dir(ap)
    ap.add_argument("--budget", type=int, default=3000)
    ap.add_argument("--population", type=int, default=150)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--floors", type=float, nargs="+", default=[FLOOR, 0.10],
        help="one calibration for each: an observation's range is at least this share of the camps' total",
    )  # fmt: skip
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "calibration", help="where the calibrations go")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    ap.add_argument("--docs", action="store_true", help="write the block in docs/validation.md")
    args = ap.parse_args()
    source = args.flee_dir / args.scenario
    if not (source / "simsetting.yml").is_file():
        sys.exit(f"{source}: no Flee scenario there; expected --flee-dir or $CORRIDOR_FLEE_SCENARIOS to hold it")
    t0 = time.perf_counter()
    flee = corridor.load(source)
    sc = flee.scenario
    mid = mid_day(sc)
    res: dict[str, Any] = {
        "scenario": sc.name,
        "days": sc.days,
        "start_date": sc.start_date.isoformat(),
        "mid_day": mid,
        "until": (sc.start_date + dt.timedelta(days=mid - 1)).isoformat(),
        "every": EVERY,
        "rel": REL,
        "budget": args.budget,
        "population": args.population,
        "seed": args.seed,
        "runs": args.runs,
        "flee_settings": {lever: _setting(sc, lever) for lever, *_ in PRIORS},
        "calibrations": [],
    }
    for floor in args.floors:
        out = args.out / f"{args.scenario}-first-half-floor{floor:g}"
        with tempfile.TemporaryDirectory(prefix="flee-forecast-") as tmp:
            res["calibrations"].append(calibrated(source, Path(tmp), floor, out, args))
    res["default"] = score(flee, [({}, args.seed + k) for k in range(args.runs)], mid)
    res["seconds"] = round(time.perf_counter() - t0, 1)
    cmd = (
        f"python validation/flee_forecast.py --scenario {args.scenario} --budget {args.budget} --population "
        f"{args.population} --runs {args.runs} --seed {args.seed} --workers {args.workers} --floors "
        + " ".join(f"{f:g}" for f in args.floors)
    )
    d2 = res["default"]["second_half"]["ard_median"]
    parts = []
    for c in res["calibrations"]:
        c2 = c["score"]["second_half"]["ard_median"]
        parts.append(
            f"with ranges of at least {c['floor']:.0%} of the total, **{c2:.3f}** "
            f"({'better' if c2 < d2 else 'worse'} than Flee's; {c['simulations']:,} simulations in "
            f"{c['generations']} generations, last epsilon {c['last_epsilon']:.3f}, effective sample size "
            f"{c['effective_sample_size']:.0f} of {c['posterior_size']}, {c['seconds']:.0f} s)"
        )
    head = (
        f"`{cmd}` on {dt.date.today()} ({platform.machine()}, corridor {corridor.__version__}; "
        f"{res['seconds']:.0f} s in all): {sc.name}, {sc.days} days from {sc.start_date}, calibrated to the "
        f"{res['calibrations'][0]['observations']} camp counts of the first half (every {EVERY} days from day "
        f"{EVERY} to {res['until']}, day {mid - 1}), population {args.population}, budget {args.budget:,}, seed "
        f"{args.seed}; {args.runs} runs each, seeds {args.seed}-{args.seed + args.runs - 1}. ARD over the second "
        f"half (days {mid}-{sc.days - 1}), median over the runs: Flee's settings **{d2:.3f}**; calibrated "
        + "; ".join(parts)
        + "."
    )
    block = [head, "", *table(res), "", *posterior_table(res), "", *camp_table(res)]
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print("\n".join(block))
    if args.docs:
        docs = ROOT / "docs" / "validation.md"
        docs.write_text(replace_block(docs.read_text(), block))
        print(f"wrote {docs}", file=sys.stderr)


def _setting(sc: Scenario, lever: str) -> float:
    group, name = lever.split(".", 1)
    return float(getattr(getattr(sc, group), name))


def _progress(e: dict[str, Any]) -> None:
    if e["event"] in ("done", "stopped"):
        what = "prior sample" if e["t"] < 0 else f"generation {e['t']}"
        if e["event"] == "stopped":
            print(f"{what}: stopped at the budget ({e['accepted']} of {e['n']} accepted; not kept)", file=sys.stderr)
        else:
            eps = "" if e["eps"] is None else f"epsilon {e['eps']:.4f}, "
            print(
                f"{what}: {eps}accepted {e['n']} of {e['evaluated']}, {e['total']:,} simulations so far",
                file=sys.stderr,
                flush=True,
            )


if __name__ == "__main__":
    main()
