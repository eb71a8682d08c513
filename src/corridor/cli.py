"""The `corridor` command line."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from . import __version__
from .errors import CorridorError

app = typer.Typer(
    name="corridor",
    help="Simulate forced-migration corridors and the border asylum systems at their end.\n\n"
    "PATH is a scenario folder: corridor's own (scenario.yaml + CSV tables) or Flee's "
    "(input_csv/, source_data/, simsetting.yml), detected automatically.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _Console:
    """A rich Console made on first use. Importing rich draws from Python's global random generator
    (rich.style), and importing corridor.cli must leave the process as it was."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def real(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


def Table(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 (rich's class, imported when first drawn)
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


err = _Console(stderr=True)
out = _Console()

ScenarioPath = Annotated[Path, typer.Argument(help="Scenario folder (corridor or Flee format).", show_default=False)]
Seed = Annotated[int, typer.Option("--seed", "-s", help="Random seed; same seed, same results.")]
Overrides = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a parameter, e.g. --set ports.san_ysidro.capacity_per_day=100 "
        "(repeatable; names: `corridor params PATH`).",
    ),
]
Days = Annotated[int | None, typer.Option("--days", "-d", help="Simulate only the first N days.", min=1)]
Threads = Annotated[
    int | None,
    typer.Option(
        "--threads",
        min=1,
        help="Most threads a run may use (default: all numba may use); the results are the same whatever it is.",
    ),
]


Workers = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-w",
        min=1,
        help="With --runs K: worker processes of a local Dask cluster (default: one per core); "
        "1 runs them in this process, without a cluster.",
        show_default=False,
    ),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="With --runs K: run them on the Dask scheduler at this address (tcp://HOST:PORT), "
        "e.g. one started on an HPC cluster (docs/distributed.md).",
        show_default=False,
    ),
]


PosteriorDir = Annotated[
    Path | None,
    typer.Option(
        "--posterior",
        help="A calibration folder (corridor calibrate --out): each of the --runs K runs takes a parameter "
        "set drawn from its posterior, and a seed (seed, seed+1, ...).",
        show_default=False,
    ),
]


Strict = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Refuse, in one line, what Flee would accept with a warning (a repeated place name, a setting Flee "
        "never reads...); without it each such input is printed as one warning line and the run goes on as Flee's.",
    ),
]


def _posterior_jobs(folder: Path | None, runs: int, seed: int) -> tuple[list[Any], Any]:
    """With a calibration folder: K jobs ({lever: value} drawn from its posterior with the generator of
    `seed`, and seeds seed, seed+1, ...) and the draws as a table (run, seed, one column per lever)."""
    if folder is None:
        return [], None
    import pandas as pd

    from .calibrate import Posterior

    draws = Posterior.read(folder).draw(np.random.default_rng(seed), runs)
    jobs = [(d, seed + k) for k, d in enumerate(draws)]
    table = pd.DataFrame([{"run": k, "seed": s, **d} for k, (d, s) in enumerate(jobs)])
    return jobs, table


def _workers(runs: int, workers: int | None, scheduler: str | None) -> int | None:
    """Where a command's runs go (api.Simulation.run_ensemble's `workers`): a single run stays in this
    process unless a scheduler is named; a local cluster takes seconds to start."""
    return 1 if runs == 1 and scheduler is None else workers


class _LazyProgress:
    """A progress bar that appears only once a job has taken more than `after` seconds."""

    def __init__(self, label: str, after: float = 2.0, enabled: bool = True) -> None:
        self.label, self.after, self.enabled = label, after, enabled
        self.t0 = time.perf_counter()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.perf_counter() - self.t0 < self.after or done >= total:
                return
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=err.real(),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _fail(exc: CorridorError) -> None:
    from rich.markup import escape

    # the message quotes the user's input, which may hold what rich would read as markup ('[/x]')
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True, emoji=False)
    raise typer.Exit(2)


@app.command()
def run(
    path: ScenarioPath,
    seed: Seed = 0,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Run folder to write (default runs/NAME-seedN).")
    ] = None,
    days: Days = None,
    threads: Threads = None,
    runs: Annotated[
        int,
        typer.Option(
            "--runs", "-k", min=1, help="Also run seeds seed+1 .. seed+K-1 and write their spread (ensemble.parquet)."
        ),
    ] = 1,
    workers: Workers = None,
    scheduler: Scheduler = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    posterior: PosteriorDir = None,
    strict: Strict = False,
    set_: Overrides = None,
) -> None:
    """Run a scenario once and write a run folder: places.parquet/.csv (day x place), Flee's out.csv, manifest.json.
    With --runs K, also K seeded runs on Dask, each kept as a summary (ensemble/), and their bands
    (ensemble.parquet). With --posterior DIR, each of the K runs takes a parameter set drawn from the
    calibration's posterior (ensemble/draws.parquet); the first is the run folder's own run."""

    from .api import Simulation
    from .output.runfolder import DRAWS, ENSEMBLE, overridden_values
    from .scenario.parameters import apply_overrides

    try:
        base = _load(path, None, strict)
        jobs, draws = _posterior_jobs(posterior, runs, seed)
        mine = list(set_ or [])
        if jobs:  # a lever given to --set keeps that value in every run; the run folder's own run is the first
            from .distributed import assignments

            given = {a.split("=", 1)[0].strip() for a in mine}
            jobs = [({k: v for k, v in d.items() if k not in given}, s) for d, s in jobs]
            set_ = assignments(jobs[0][0]) + mine
        sim = Simulation(apply_overrides(base.scenario, set_)) if set_ else base
        # the scenario's own value of each lever set, kept in the manifest so the report can show both
        overridden = overridden_values(base.scenario, set_ or [])
        bar = _LazyProgress(f"{sim.scenario.name} seed {seed}", enabled=not quiet)
        try:
            res = sim.run(seed=seed, days=days, progress=bar, threads=threads)
        finally:
            bar.close()
        target = out_dir or Path("runs") / f"{sim.scenario.name}-seed{seed}"
        save = {"command": " ".join(["corridor", *sys.argv[1:]]), "overrides": set_ or [], "overridden": overridden}
        if posterior is not None:
            save["posterior"] = {"folder": str(posterior), "draws": f"{ENSEMBLE}/{DRAWS}"}
        if runs == 1:  # with --posterior, the one run is the first draw's (its values are the overrides)
            res.save(target, **save)
        else:
            # the run files go beside the run folder, so that saving it links them instead of copying
            parent = target.resolve().parent
            parent.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.ensemble-", dir=parent))
            bar = _LazyProgress(f"{runs} seeds", after=0.5, enabled=not quiet)
            try:
                if draws is not None:  # saved with the run files (write_run links it into ensemble/)
                    from .output.runfolder import write_parquet

                    write_parquet(draws, scratch / "draws.parquet")
                # posterior runs: each draw applied to the scenario with --set, not on top of the first draw
                on = (Simulation(apply_overrides(base.scenario, mine)) if mine else base) if jobs else sim
                ensemble = on.run_ensemble(
                    jobs or runs, scratch, seed=seed, days=days, progress=bar,
                    workers=_workers(runs, workers, scheduler), scheduler=scheduler, threads=threads,
                )  # fmt: skip
                bar.close()  # before the folder is written
                res.save(target, ensemble=ensemble, **save)
            finally:
                bar.close()
                shutil.rmtree(scratch, ignore_errors=True)
    except CorridorError as exc:
        _fail(exc)
    if quiet:
        return
    _summary(res, target)


def _summary(res: Any, target: Path) -> None:
    last = res.days - 1
    t = Table(title=f"{res.scenario.name}: day {last} ({res.dates[-1]}), seed {res.seed}", title_justify="left")
    for col in ("place", "kind", "people", "arrived (all days)", "peak crowding", "observed"):
        t.add_column(col, justify="left" if col in ("place", "kind") else "right")
    places = {p.name: p for p in res.scenario.places}
    rec = res.record
    pops = rec.population[last]
    arrived = rec.arrivals.sum(axis=0)
    order = sorted(range(len(res.places)), key=lambda j: (-pops[j], -arrived[j]))[:12]
    for j in order:
        name = res.places[j]
        place = places[name]
        obs = res.observed.get(name)
        cap = res.scenario.effective_capacity(place)  # the capacity the model used, as in places.csv's crowding
        t.add_row(
            name,
            place.kind,
            f"{pops[j]:,}",
            f"{arrived[j]:,}",
            # occupancy over capacity at its worst day
            f"{rec.population[:, j].max() / cap:.0%} of {cap:,.0f}" if cap else "",
            f"{int(obs[last]):,}" if obs is not None and place.kind in ("camp", "idp_camp") else "",
        )
    out.print(t)
    if res.ports:
        pt = res.port_table()
        _, port_of, waited = res.record.wait_table()
        for k, port in enumerate(res.ports):
            rows = pt[pt["port"] == port]
            mine = waited[port_of == k]
            median = f"{np.median(mine):.0f} days" if len(mine) else "n/a"
            took = "taken across" if res.scenario.ports[k].onward_to else "claims processed"  # a crossing
            out.print(
                f"{port}: {int(rows['processed'].sum()):,} {took}, {int(rows['waitlist'].iloc[-1]):,} "
                f"on the list at the end (longest {int(rows['waitlist'].max()):,}); median wait {median}"
            )
    val = res.validation()
    line = f"{res.agents:,} people, {res.agent_days:,} agent-days in {res.timings['total']:.2f} s"
    if val.camps:
        line += f"; ARD (mean over days) {val.ard_mean:.3f}"
    out.print(line)
    if (target / "points.csv").is_file():  # the scenario's reported figures, against this run
        import pandas as pd

        pts = pd.read_csv(target / "points.csv")
        scored = pts[pts["simulated"].notna()]
        hits = int(scored["within_range"].astype(bool).sum())
        missing = f"; {len(pts) - len(scored)} not computed" if len(scored) < len(pts) else ""
        out.print(f"reported figures (points.csv): {hits} of {len(scored)} within [0.8 x low, 1.2 x high]{missing}")
    files = sorted(p.name for p in target.iterdir())
    out.print(f"wrote {target}/ ({', '.join(files)})")


@app.command()
def validate(
    path: ScenarioPath,
    runs: Annotated[int, typer.Option("--runs", "-k", help="Number of seeded runs to average.", min=1)] = 1,
    seed: Annotated[int, typer.Option("--seed", "-s", help="First seed; runs use seed, seed+1, ...")] = 0,
    observations: Annotated[
        Path | None,
        typer.Option(
            "--observations", help="CSV of point observations (date,place,metric,value,low,high,source,note)."
        ),
    ] = None,
    days: Days = None,
    threads: Threads = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    posterior: PosteriorDir = None,
    strict: Strict = False,
    set_: Overrides = None,
) -> None:
    """Compare simulated camp counts with the observed series: ARD per day and averaged, per-camp errors.
    With --runs K the runs go to Dask as `corridor run --runs K`'s do. With --posterior DIR each run takes a
    parameter set drawn from the calibration's posterior, and each observation gets the runs' quantiles and
    whether its reported range overlaps their 50% and 90% intervals (with the coverage over all rows)."""
    from .api import coverage
    from .evaluate.observations import read_observations

    try:
        sim = _load(path, set_, strict)
        obs_rows = read_observations(observations, sim.scenario) if observations else None
        jobs, _ = _posterior_jobs(posterior, runs, seed)
        bar = _LazyProgress(f"{sim.scenario.name}: {runs} runs", enabled=not as_json)
        try:
            report = sim.validate(
                runs=jobs or runs, seed=seed, days=days, progress=bar, threads=threads, observations=obs_rows,
                workers=_workers(runs, workers, scheduler), scheduler=scheduler, intervals=posterior is not None,
            )  # fmt: skip
        finally:
            bar.close()
    except CorridorError as exc:
        _fail(exc)
    result = report.to_dict()
    if posterior is not None:
        result["posterior"] = str(posterior)
    if report.observations is not None:
        result["observations"] = report.observations
        scored = [o for o in result["observations"] if o["within_range"] is not None]
        result["observations_within_range"] = sum(o["within_range"] for o in scored)
        result["observations_scored"] = len(scored)
        if posterior is not None:
            result.update(coverage(report.observations))
    if as_json:
        print(json.dumps(result, allow_nan=True))
        return
    _print_validation(result)


def _print_validation(r: dict[str, Any]) -> None:
    if r["per_camp"]:
        t = Table(
            title=f"{r['scenario']}: {r['runs']} run(s) from seed {r['seed']}, {r['days']} days", title_justify="left"
        )
        for col in ("camp", "share of ARD", "mean relative error", "simulated (last day)", "observed (last day)"):
            t.add_column(col, justify="left" if col == "camp" else "right")
        for camp, e in r["per_camp"].items():
            t.add_row(
                camp,
                f"{e['ard_share']:.3f}",
                f"{e['relative_error_mean']:.3f}",
                f"{e['simulated_last']:,.0f}",
                f"{e['observed_last']:,.0f}",
            )
        out.print(t)
        out.print(
            f"ARD mean over days: {r['ard_mean']:.4f} (runs: {', '.join(f'{x:.4f}' for x in r['ard_mean_by_run'])}); "
            f"last day {r['ard_last_day']:.4f}; rescaled {r['ard_rescaled_mean']:.4f}"
        )
    else:
        out.print("no observed camp series in this scenario: no ARD")
    if "observations" in r:
        t = Table(title="point observations", title_justify="left")
        for col in ("date", "place", "metric", "observed [low, high]", "simulated", "in range"):
            t.add_column(col)
        for o in r["observations"]:
            sim = "" if o["simulated"] is None else f"{o['simulated']:,.0f}"
            ok = {True: "yes", False: "no", None: o.get("why_no_value", "")}[o["within_range"]]
            t.add_row(
                o["date"], o["place"], o["metric"], f"{o['value']:,.0f} [{o['low']:,.0f}, {o['high']:,.0f}]", sim, ok
            )
        out.print(t)
        out.print(
            f"{r['observations_within_range']} of {len(r['observations'])} observations within [0.8 low, 1.2 high]"
        )
        if r.get("coverage_50") is not None:
            out.print(
                f"posterior intervals: the reported range overlaps the 50% interval in {r['coverage_50']:.0%} and "
                f"the 90% interval in {r['coverage_90']:.0%} of {r['intervals_scored']} observations"
            )


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="Run folder A (e.g. the baseline policy).", show_default=False)],
    run_b: Annotated[Path, typer.Argument(help="Run folder B (e.g. the alternative).", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Print what differs between two runs: totals, each port's queue and waits, the places that changed most.

    Two ensembles (`corridor run --runs K`, each policy run with the same --seed, --runs, --days and, for
    posterior draws, --posterior) are compared run by run on common random numbers: for each figure (each
    port's list, claims and waits, the people in each state at the end, each shelter against its capacity)
    A's and B's medians, the median of the paired differences B - A with its 90% interval (5th-95th
    percentile) and P(B better), the share of pairs in which B is better (ties half) in the direction the
    table states. Ensembles whose seeds or draws differ are refused."""
    from .report.compare import compare as compare_folders

    try:
        c = compare_folders(run_a, run_b)
    except CorridorError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps(c))
        return
    if "sections" in c:
        _print_ensemble_comparison(c)
        return

    def table(title: str, rows: dict[str, tuple[float, float]]) -> Table:
        t = Table(title=title, title_justify="left")
        for col in ("", c["a"], c["b"], "B - A"):
            t.add_column(col, justify="left" if col == "" else "right")
        for key, (va, vb) in rows.items():
            fmt = "{:.0%}" if "share" in key else ("{:.4f}" if "ARD" in key else "{:,.0f}")
            t.add_row(key, fmt.format(va), fmt.format(vb), fmt.format(vb - va))
        return t

    _print_parameters(c)
    out.print(table("totals", c["totals"]))
    for port, rows in c["ports"].items():
        out.print(table(f"port {port}", rows))
    for place, rows in c["places"].items():
        out.print(table(f"place {place}", rows))


def _print_parameters(c: dict[str, Any]) -> None:
    if c["parameters"]:  # the levers the two runs used differently (their scenarios as run)
        t = Table(title="parameters that differ", title_justify="left")
        for col in ("", c["a"], c["b"]):
            t.add_column(col, justify="left" if col == "" else "right")
        for key, (va, vb) in c["parameters"].items():
            t.add_row(key, "" if va is None else str(va), "" if vb is None else str(vb))
        out.print(t)


def _print_ensemble_comparison(c: dict[str, Any]) -> None:
    def num(v: float | None) -> str:
        if v is None:
            return "n/a"
        v = round(float(v), 1)  # a whole number when it rounds to one
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"

    _print_parameters(c)
    seeds = c["seeds"]
    drawn = f" and the same {len(c['posterior_levers'])} levers drawn from a posterior" if c["posterior_levers"] else ""
    out.print(
        f"{c['runs']} pairs of runs (seeds {seeds[0]}..{seeds[-1]}{drawn}), to {c['last_date']}. A, B: medians "
        "over the runs; B - A: the median of the paired differences, with their 90% interval (5th-95th "
        "percentile); P(B better): the share of pairs in which B is better in the direction stated, ties half.",
        soft_wrap=True,
    )
    for title, rows in c["sections"].items():
        t = Table(title=title, title_justify="left")
        for col in ("", "better", f"A: {c['a']}", f"B: {c['b']}", "B - A", "90% interval", "P(B better)"):
            t.add_column(col, justify="left" if col in ("", "better") else "right")
        for key, r in rows.items():
            interval = "n/a" if r["p05"] is None else f"[{num(r['p05'])}, {num(r['p95'])}]"
            p = "" if r["p_b_better"] is None else f"{r['p_b_better']:.2f}"
            t.add_row(key, r["better"] or "", num(r["a"]), num(r["b"]), num(r["difference"]), interval, p)
        out.print(t)


def _date_option(value: str | None, option: str) -> Any:
    import datetime as dt

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CorridorError(f"{option} {value!r}: not a date; expected YYYY-MM-DD") from None


class _GenerationPrinter:
    """Prints each generation of a calibration as it ends (generation, epsilon, acceptance, speed), with a
    live line of candidates run and accepted while one is sampled."""

    def __init__(self, budget: int, enabled: bool = True) -> None:
        self.budget, self.enabled = budget, enabled
        self.status: Any = None
        self.t0 = time.perf_counter()

    def __call__(self, e: dict[str, Any]) -> None:
        if not self.enabled:
            return
        what = "prior sample" if e["t"] < 0 else f"generation {e['t']}"
        if e["event"] == "start":
            self.t0 = time.perf_counter()
            self.status = err.status(f"{what}: starting")
            self.status.start()
        elif e["event"] == "tick" and self.status is not None:
            rate = e["evaluated"] / max(time.perf_counter() - self.t0, 1e-9)
            self.status.update(f"{what}: {e['accepted']}/{e['n']} accepted of {e['evaluated']} run ({rate:.1f}/s)")
        elif e["event"] in ("done", "stopped"):
            self.close()
            if e["event"] == "stopped":
                err.print(
                    f"{what}: stopped at the budget of {e['budget']:,} simulations "
                    f"({e['accepted']} of {e['n']} accepted; not kept)",
                    soft_wrap=True,
                )
                return
            eps = "" if e["eps"] is None else f"epsilon {e['eps']:.4f}, "
            err.print(
                f"{what}: {eps}accepted {e['n']} of {e['evaluated']} ({e['n'] / e['evaluated']:.0%}), "
                f"{e['evaluated'] / max(e['seconds'], 1e-9):.1f} simulations/s; {e['total']:,} of {self.budget:,} used",
                highlight=False,
                soft_wrap=True,
            )

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


@app.command()
def calibrate(
    path: ScenarioPath,
    observations: Annotated[
        Path, typer.Option("--observations", help="CSV of point observations to calibrate to.", show_default=False)
    ],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Calibration folder to write.", show_default=False)],
    until: Annotated[
        str | None, typer.Option("--until", help="Use only observations dated up to this date (YYYY-MM-DD).")
    ] = None,
    budget: Annotated[int, typer.Option("--budget", "-n", help="Most simulations in all.", min=1)] = 2000,
    population: Annotated[int, typer.Option("--population", "-p", help="Particles per generation.", min=2)] = 100,
    seed: Seed = 0,
    prior: Annotated[
        list[str] | None,
        typer.Option(
            "--prior",
            help="Calibrate only this prior (repeatable; default: all of priors.csv); the others are drawn from "
            "their priors in each simulation.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Worker processes of a local Dask cluster for the simulations (default: one per core); 1 runs "
            "them in this process. The result is the same whatever it is.",
            show_default=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", help="Run the simulations on the Dask scheduler at this address (tcp://HOST:PORT)."
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the calibration in --out (e.g. after an interruption).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress.")] = False,
    strict: Strict = False,
) -> None:
    """Calibrate a scenario's priors (priors.csv) to point observations by ABC-SMC (pyabc), on Dask; write
    the history, the weighted posterior (posterior.parquet) and a manifest to --out (docs/calibration.md).
    Observations whose source or note names a date after --until (or after the last observation's date) are
    reserved for scoring forecasts and left out."""
    from .evaluate.observations import read_observations

    printer = _GenerationPrinter(budget, enabled=not quiet)
    try:
        sim = _load(path, None, strict)
        from .calibrate.smc import calibrate as run_calibration
        from .calibrate.smc import chosen_priors

        chosen_priors(sim.scenario, prior)  # no priors: say so before reading the observations
        obs_rows = read_observations(observations, sim.scenario)

        m = run_calibration(
            sim.scenario, obs_rows, out_dir, until=_date_option(until, "--until"), budget=budget,
            population=population, seed=seed, priors=prior, resume=resume, workers=workers, scheduler=scheduler,
            progress=printer, source={"file": str(observations), "command": " ".join(["corridor", *sys.argv[1:]])},
        )  # fmt: skip
    except CorridorError as exc:
        printer.close()
        _fail(exc)
    finally:
        printer.close()
    if quiet:
        return
    used, excluded = m["observations"]["used"], m["observations"]["excluded"]
    out.print(f"calibrated to {len(used)} observations; {len(excluded)} left out:", highlight=False, soft_wrap=True)
    for o in excluded:
        out.print(
            f"  line {o['row']}: {o['date']} {o['place']} {o['metric']}: {o['why']}", highlight=False, soft_wrap=True
        )
    last = m["generations"][-1]
    out.print(
        f"{len(m['generations'])} generations, {m['simulations']:,} simulations; last epsilon {last['epsilon']:.4f}, "
        f"effective sample size {m['effective_sample_size']:.0f} of {m['posterior_size']}",
        highlight=False,
        soft_wrap=True,
    )
    out.print(f"wrote {out_dir}/ (manifest.json, history.db, posterior.parquet, predictive.parquet)")


def _load(path: Path, overrides: list[str] | None, strict: bool = False) -> Any:
    from .api import Simulation, load
    from .scenario.parameters import apply_overrides

    sim = load(path, strict=strict)
    return Simulation(apply_overrides(sim.scenario, overrides or [])) if overrides else sim


@app.command()
def params(path: ScenarioPath, strict: Strict = False, set_: Overrides = None) -> None:
    """List every parameter (policy lever) of a scenario with its value; any of them can be given to --set."""
    from .scenario.parameters import list_params

    try:
        sc = _load(path, set_, strict).scenario
    except CorridorError as exc:
        _fail(exc)
    from .scenario.priors import priors_table

    t = Table(title=f"{sc.name}: parameters", title_justify="left")
    t.add_column("name")
    t.add_column("value", justify="right")
    prior = priors_table(sc)
    if prior:  # the prior priors.csv gives a lever, for a calibration (corridor calibrate)
        t.add_column("prior")
    for name, value in list_params(sc).items():
        t.add_row(name, "" if value is None else str(value), *([prior.get(name, "")] if prior else []))
    out.print(t)


@app.command()
def check(path: ScenarioPath, strict: Strict = False) -> None:
    """Validate a scenario without running it; print what it contains."""
    from .scenario.load import load_scenario

    try:
        sc = load_scenario(path, strict=strict)
        from .sim.network import compile_network

        compile_network(sc)
    except CorridorError as exc:
        _fail(exc)
    kinds = Counter(p.kind for p in sc.places)
    out.print(f"[bold]{sc.name}[/] ({sc.format} format): {sc.start_date} to {sc.end_date()} ({sc.days} days)")
    out.print("places: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) + f"; links: {len(sc.links)}")
    out.print(
        f"closures: {len(sc.closures)}; conflict periods: {len(sc.conflicts or [])}; "
        f"observed series: {len(sc.observed)}; camps validated: {len(sc.camp_names())}"
    )
    out.print(f"spawning: {sc.spawn.mode}; hasten: {sc.hasten}; scenario hash {sc.content_hash()[:12]}")
    out.print("[green]ok[/]")


@app.command()
def report(
    runs: Annotated[
        list[Path],
        typer.Argument(help="One run folder, or two to compare.", show_default=False, metavar="RUN_DIR"),
    ],
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML file to write (default RUN/report.html).")
    ] = None,
) -> None:
    """Write a self-contained HTML report (figures also as PNG in figures/) for a run folder, or compare two.
    On a calibration folder (corridor calibrate --out): the marginals, pairs, epsilon per generation and the
    posterior predictive against the observations."""
    from .output.calibration import is_calibration

    try:
        if len(runs) == 1 and is_calibration(runs[0]):
            from .report.calibration import build_calibration_report

            path = build_calibration_report(runs[0], out_file)
        else:
            from .report.html import build_report

            path = build_report(runs, out_file)
    except CorridorError as exc:
        _fail(exc)
    out.print(f"wrote {path}")


@app.command()
def plan(
    path: Annotated[
        Path | None, typer.Argument(help="A scenario folder: mark the components it does not use.", show_default=False)
    ] = None,
) -> None:
    """Print the components of the day, in order: what each does, and the agent columns, states, outcomes
    and result tables it declares."""
    from .scenario.load import load_scenario
    from .sim.engine import plan as day_plan

    try:
        sc = load_scenario(path) if path is not None else None
    except CorridorError as exc:
        _fail(exc)
    for i, phase in enumerate(day_plan(sc), start=1):
        unused = "" if phase.used else " [dim](not used by this scenario)[/]"
        out.print(f"{i}. [bold]{phase.name}[/]: {phase.doc}{unused}", soft_wrap=True)
        parts = [("columns", phase.columns), ("states", phase.states), ("outcomes", phase.outcomes),
                 ("tables", phase.tables)]  # fmt: skip
        declared = "; ".join(f"{what}: {', '.join(names)}" for what, names in parts if names)
        if declared:
            out.print(f"   {declared}", highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        print(f"corridor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """The options every command shares (--version, --help); the commands do the work."""


@app.command()
def serve(
    folders: Annotated[
        list[Path] | None,
        typer.Argument(help="Folders to serve every scenario found under (default: scenarios).", show_default=False),
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; 0.0.0.0 opens it to other machines.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on.", min=1, max=65535)] = 8000,
    max_runs: Annotated[int, typer.Option("--max-runs", help="Most runs one request may ask for.", min=1)] = 200,
    max_pending: Annotated[
        int, typer.Option("--max-pending", help="Most jobs queued or running; more get 429.", min=1)
    ] = 8,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Run on a local Dask cluster of W worker processes (default: in this process).",
        ),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Run on the Dask scheduler at this address (tcp://HOST:PORT).")
    ] = None,
    posterior: Annotated[
        list[Path] | None,
        typer.Option(
            "--posterior",
            help="A calibration folder (corridor calibrate --out) of a served scenario: its ensembles may then draw "
            "their inputs from the posterior. Repeat for several scenarios.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve a what-if page and a JSON API (/docs) over scenario folders: change levers, run ensembles, see bands."""
    from .serve.app import Limits
    from .serve.server import serve as start

    try:
        start(
            [str(f) for f in folders or [Path("scenarios")]],
            host=host,
            port=port,
            limits=Limits(max_runs=max_runs, max_pending=max_pending),
            workers=workers,
            scheduler=scheduler,
            posteriors=[str(f) for f in posterior or []],
        )
    except CorridorError as exc:
        _fail(exc)


def main() -> None:
    # numba's OpenMP workers otherwise spin between the daily kernel calls and take the CPU from the
    # per-day Python work: on a busy 2-core machine that made runs 3x slower (bench/README.md). The
    # command line is a program of its own and may set this for its process; `import corridor` does not.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    app()


if __name__ == "__main__":
    main()
