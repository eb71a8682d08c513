"""The policy tables of docs/policies.md, made again: each comparison's two ensembles with `corridor run`, then
`corridor compare --json`, written as Markdown between the comparison's markers.

    python validation/policies.py [--posterior runs/calibration/tijuana-full] [--runs 100] [--only NAME ...]

Each policy is an ensemble of `--runs` runs (seeds 0, 1, ...) that pairs with the other policy's on common
random numbers: the same seeds and, with --posterior, the same parameter sets drawn from the calibration's
posterior (docs/policies.md says why). Without --posterior the runs pair on seeds alone, with the scenario's
own values. The ensembles go to runs/policies/<comparison>-<posterior or seeds>/<policy> (kept: `corridor
compare` and `corridor report` read them again). The commands are printed as they run; the text around the
tables is written by hand and says what the figures mean.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import ROOT, replace_between

DOC = ROOT / "docs" / "policies.md"
SCENARIO = ROOT / "scenarios" / "tijuana-2018"


@dataclass(frozen=True)
class Comparison:
    name: str  # the markers' name and the runs' folder
    a: tuple[str, tuple[str, ...]]  # (label, --set assignments)
    b: tuple[str, tuple[str, ...]]
    sections: tuple[str, ...] | None = None  # the compare sections shown (None: all)


CAPACITY = ("port San Ysidro", "people in each state at the end", "place Benito Juarez shelter", "place El Barretal",
            "place Mexicali shelters", "place Tijuana private shelters")  # fmt: skip
MPP = ("people in each state at the end", "port San Ysidro", "place Tijuana")
# remain-in-Mexico for everyone leaving custody, with no hearing date: the policy without its phase-in
EVERYONE = (
    "remain_in_mexico.san_ysidro_2019_01_29.per_day=none",
    "remain_in_mexico.san_ysidro_2019_01_29.hearing_days=none",
)
COMPARISONS = (
    Comparison(
        "capacity",
        ("40 a day", ("ports.san_ysidro.fixed_capacity=40",)),
        ("100 a day", ("ports.san_ysidro.fixed_capacity=100",)),
        CAPACITY,
    ),
    Comparison("mpp-as-happened", ("never", ("asylum.remain_in_mexico_from=none",)), ("as it happened", ()), MPP),
    Comparison(
        "mpp-1dec",
        ("never", ("asylum.remain_in_mexico_from=none",)),
        ("from 1 Dec 2018", ("asylum.remain_in_mexico_from=2018-12-01",)),
        MPP,
    ),
    Comparison(
        "mpp-1dec-everyone",
        ("never", ("asylum.remain_in_mexico_from=none",)),
        ("everyone from 1 Dec 2018", ("asylum.remain_in_mexico_from=2018-12-01", *EVERYONE)),
        MPP,
    ),
)


def num(v: float | None) -> str:
    if v is None:
        return "n/a"
    v = round(float(v), 1)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"


def table(c: dict[str, Any], sections: tuple[str, ...] | None) -> str:
    """The comparison as one Markdown table: a row per figure, named by its section (as `corridor compare`
    prints them), in the order of `sections`."""
    shown = [s for s in (sections or c["sections"]) if s in c["sections"]]
    lines = [
        f"| {c['runs']} pairs, {c['last_date']} | better | {c['a']} | {c['b']} | B − A | 90% interval | P(B better) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for title in shown:
        for key, r in c["sections"][title].items():
            interval = "n/a" if r["p05"] is None else f"[{num(r['p05'])}, {num(r['p95'])}]"
            p = "" if r["p_b_better"] is None else f"{r['p_b_better']:.2f}"
            lines.append(f"| {title}: {key} | {r['better'] or ''} | {num(r['a'])} | {num(r['b'])} | "
                         f"{num(r['difference'])} | {interval} | {p} |")  # fmt: skip
    return "\n".join(lines)


def run(cmd: list[str]) -> str:
    print("$", " ".join(cmd), flush=True)
    done = subprocess.run(cmd, cwd=ROOT, check=True, text=True, stdout=subprocess.PIPE)
    return done.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posterior", type=Path, help="a calibration folder to draw the uncertain inputs from")
    ap.add_argument("--runs", type=int, default=100, help="runs per policy (default 100)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1, help="Dask workers (1: in this process; changes no result)")
    ap.add_argument("--only", nargs="*", help="only these comparisons: " + ", ".join(c.name for c in COMPARISONS))
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "policies", help="where the ensembles go")
    ap.add_argument("--no-docs", action="store_true", help="print the tables instead of writing docs/policies.md")
    args = ap.parse_args()
    if args.posterior is not None and not (args.posterior / "manifest.json").is_file():
        print(f"error: {args.posterior}: not a calibration folder (no manifest.json)", file=sys.stderr)
        return 2
    chosen = [c for c in COMPARISONS if not args.only or c.name in args.only]
    exe = str(Path(sys.executable).with_name("corridor"))
    common = ["--runs", str(args.runs), "--seed", str(args.seed), "--workers", str(args.workers), "-q"]
    if args.posterior is not None:
        common += ["--posterior", str(args.posterior)]
    text = DOC.read_text()
    for comp in chosen:
        t0 = time.perf_counter()
        folders = []
        for label, sets in (comp.a, comp.b):
            kind = "posterior" if args.posterior is not None else "seeds"  # the two must not share a folder
            folder = args.out / f"{comp.name}-{kind}" / label.replace(" ", "-")
            cmd = [exe, "run", str(SCENARIO.relative_to(ROOT)), *common, "--out", str(folder)]
            for s in sets:
                cmd += ["--set", s]
            run(cmd)
            folders.append(folder)
        c = json.loads(run([exe, "compare", "--json", *map(str, folders)]))
        c["a"], c["b"] = comp.a[0], comp.b[0]
        how = f"posterior {args.posterior}" if args.posterior is not None else "seeds alone (the scenario's values)"
        caption = (f"`python validation/policies.py --only {comp.name} --runs {args.runs}"
                   f"{' --posterior ' + str(args.posterior) if args.posterior else ''}` on {dt.date.today()} "
                   f"({how}; {time.perf_counter() - t0:.0f} s):")  # fmt: skip
        body = caption + "\n\n" + table(c, comp.sections)
        if args.no_docs:
            print(body)
        else:
            name = comp.name + ("-posterior" if args.posterior else "-seeds")
            text = replace_between(text, f"<!-- policy:{name}:start -->", f"<!-- policy:{name}:end -->", body, DOC)
    if not args.no_docs:
        DOC.write_text(text)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
