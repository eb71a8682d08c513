"""The Python API: load a scenario, run it, validate it.

import corridor
sim = corridor.load("scenarios/example")
res = sim.run(seed=1)
res.table()            # pandas, one row per day and place
res.save("runs/ex")    # Parquet, CSV, Flee's out.csv, manifest.json
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .distributed import Job, as_completed_runs, assignments, seeded, session
from .evaluate.ard import Validation
from .evaluate.observations import Observation, bind, compare_values
from .evaluate.observations import compare as compare_observations
from .output.results import RunResult
from .output.runfolder import scenario_observations
from .output.summary import Ensemble, Summary, run_file, summarise, write_summary
from .scenario.load import load_scenario
from .scenario.model import Scenario
from .scenario.parameters import apply_overrides
from .scenario.series import observed_daily
from .sim.engine import Engine, Phase, plan
from .sim.network import Network, compile_network

if TYPE_CHECKING:
    from distributed import Client

Progress = Callable[[int, int], None]


class Simulation:
    """A loaded, validated scenario ready to run with any seed."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._net: tuple[Scenario, Network] | None = None

    @property
    def network(self) -> Network:
        """The scenario compiled to arrays (sim.network), once for all the runs of this Simulation, with the
        candidate routes its runs have enumerated. It is compiled on first use: a scenario changed in place
        after that needs a new Simulation (apply_overrides makes a new scenario, and so does a new one)."""
        if self._net is None or self._net[0] is not self.scenario:
            self._net = (self.scenario, compile_network(self.scenario))
        return self._net[1]

    @property
    def plan(self) -> list[Phase]:
        """The components of the day, in order, with what each declares and whether this scenario uses it."""
        return plan(self.scenario)

    def run(
        self,
        seed: int = 0,
        days: int | None = None,
        progress: Progress | None = None,
        check: bool = False,
        threads: int | None = None,
    ) -> RunResult:
        """Run the scenario. `progress(day, days)` is called after each day; `check` recounts everyone
        against the running stocks every day (slower; for tests; the run always checks once at the end).
        `threads`: the most threads a kernel may use (default: numba's count for the calling thread);
        the results are the same whatever it is."""
        t0 = time.perf_counter()
        eng = Engine(self.scenario, seed=seed, days=days, net=self.network, threads=threads)
        agent_days = 0
        for day in range(eng.days):
            eng.step(day)
            agent_days += eng.agents.n
            if check:
                eng.check_conservation(day)
            if progress is not None:
                progress(day + 1, eng.days)
        if eng.days:
            eng.check_conservation(eng.days - 1)
        timings = dict(eng.timings)
        timings["total"] = time.perf_counter() - t0
        return RunResult(
            scenario=self.scenario,
            seed=int(seed),
            days=eng.days,
            places=list(eng.net.names),
            record=eng.record,
            observed=eng.observed,
            agents=eng.agents.n,
            agent_days=agent_days,
            timings=timings,
            footprint=eng.footprint(),
        )

    def ensemble(
        self,
        runs: int,
        seed: int = 0,
        days: int | None = None,
        progress: Progress | None = None,
        threads: int | None = None,
    ) -> list[RunResult]:
        """`runs` full runs with seeds seed, seed+1, ..., in this process and all in memory. For many runs,
        or runs on other processes or machines, `run_ensemble` keeps a summary of each on disk instead."""
        out = []
        for k in range(runs):
            out.append(self.run(seed=seed + k, days=days, threads=threads))
            if progress is not None:
                progress(k + 1, runs)
        return out

    def summaries(
        self,
        jobs: Sequence[Job],
        days: int | None = None,
        observations: Sequence[Observation] = (),
        client: Client | None = None,
        threads: int | None = None,
    ) -> Iterator[tuple[int, Summary]]:
        """Run each job (overrides, seed) and yield (its index, the run's summary) as runs finish: as Dask
        tasks on `client`'s cluster, in the order they finish, or without a client in this process, in
        order (with `threads`). A summary carries the run's value of each of `observations`."""
        # read against the scenario folder's name tables here: a worker's copy of the scenario has no folder
        observations = tuple(bind(self.scenario, observations))
        if client is None:
            for i, (overrides, seed) in enumerate(jobs):
                yield i, run_summary(self.scenario, assignments(overrides), seed, days, observations, threads)
        else:
            yield from as_completed_runs(client, run_summary, self.scenario, jobs, days, observations)

    def run_ensemble(
        self,
        runs: int | Sequence[Job],
        folder: str | Path | None = None,
        seed: int = 0,
        days: int | None = None,
        progress: Progress | None = None,
        observations: Sequence[Observation] | None = None,
        workers: int | None = 1,
        scheduler: str | None = None,
        client: Client | None = None,
        threads: int | None = None,
    ) -> Ensemble:
        """Run an ensemble and write each run's summary to `folder` as it finishes (run-000000.npz, ...,
        by the run's index; a temporary folder, removed with the Ensemble, if None); `Ensemble.bands()`
        then draws the bands from the files. `runs`: a number of runs with seeds seed, seed+1, ..., or one
        (overrides, seed) per run. Where: `client`'s cluster; else the scheduler at `scheduler`; else a local
        cluster of `workers` processes (None: one per core); `workers=1` (the default) runs them here, one
        after another, with `threads`. Same jobs, same files, wherever they ran. `observations` (default:
        the scenario folder's observations.csv) are scored in each run (points.csv of a run folder).
        `progress(done, total)` is called as each run's file is written."""
        jobs = seeded(runs, seed) if isinstance(runs, int) else list(runs)
        if observations is None:
            observations = scenario_observations(self.scenario)
        ens = Ensemble.create(folder, len(jobs))
        with session(workers, scheduler, client) as cl:
            for done, (i, summary) in enumerate(self.summaries(jobs, days, observations, cl, threads), start=1):
                write_summary(run_file(ens.folder, i), summary)
                if progress is not None:
                    progress(done, len(jobs))
        return ens

    def validate(
        self,
        runs: int | Sequence[Job] = 1,
        seed: int = 0,
        days: int | None = None,
        progress: Progress | None = None,
        threads: int | None = None,
        observations: Sequence[Observation] | None = None,
        workers: int | None = 1,
        scheduler: str | None = None,
        client: Client | None = None,
        intervals: bool = False,
    ) -> ValidationReport:
        """ARD against the observed camp series over `runs` seeded runs (or one (overrides, seed) per run, such
        as posterior draws), and with `observations` the runs' values of each; the runs go where
        `run_ensemble`'s do. Only each run's camp counts and values are kept. `intervals`: add to each
        observation the runs' quantiles and whether the reported range overlaps their 50% and 90% intervals
        (`interval_fields`)."""
        observed = observed_daily(self.scenario)
        jobs = seeded(runs, seed) if isinstance(runs, int) else list(runs)
        runs = len(jobs)
        checks: list[Validation | None] = [None] * runs
        points: list[np.ndarray | None] = [None] * runs
        seeds = [s for _, s in jobs]
        with session(workers, scheduler, client) as cl:
            for done, (i, summary) in enumerate(self.summaries(jobs, days, observations or (), cl, threads), 1):
                checks[i] = _validation(self.scenario, observed, summary)
                points[i] = summary.points
                if progress is not None:
                    progress(done, runs)
        report = ValidationReport(self.scenario.name, seed, seeds, [c for c in checks if c is not None])
        if observations is not None:
            values = [[float(p[j]) for p in points if p is not None] for j in range(len(observations))]
            report.observations = compare_values(values, observations, self.scenario, report.days)
            if intervals:
                for row, vals in zip(report.observations, values, strict=True):
                    row.update(interval_fields(vals, row["low"], row["high"]))
        return report


def interval_fields(values: Sequence[float], low: float, high: float) -> dict[str, Any]:
    """An observation's spread over an ensemble's runs: `simulated_q05` .. `simulated_q95` (the 5, 25, 50,
    75 and 95th percentiles, linearly interpolated), and `in_50` / `in_90`: whether the reported range
    [low, high] overlaps the 50% interval [q25, q75] / the 90% interval [q05, q95]. None where no run has a
    value."""
    known = np.array([v for v in values if v is not None and not np.isnan(v)], dtype=np.float64)
    names = ("simulated_q05", "simulated_q25", "simulated_median", "simulated_q75", "simulated_q95")
    if not len(known):
        return {**dict.fromkeys(names), "in_50": None, "in_90": None}
    q = np.percentile(known, [5, 25, 50, 75, 95])
    return {
        **{n: float(v) for n, v in zip(names, q, strict=True)},
        "in_50": bool(low <= q[3] and high >= q[1]),
        "in_90": bool(low <= q[4] and high >= q[0]),
    }


def coverage(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Over the observations with intervals (`interval_fields`): how many, and the share whose reported
    range overlaps the 50% and the 90% interval."""
    scored = [r for r in rows if r.get("in_50") is not None]
    n = len(scored)
    return {
        "intervals_scored": n,
        "coverage_50": sum(r["in_50"] for r in scored) / n if n else None,
        "coverage_90": sum(r["in_90"] for r in scored) / n if n else None,
    }


def run_summary(
    scenario: Scenario,
    assignments: Sequence[str],
    seed: int,
    days: int | None,
    observations: Sequence[Observation],
    threads: int | None = 1,
) -> Summary:
    """One run of an ensemble, as a Dask task runs it: the scenario with the run's overrides (NAME=VALUE),
    summarised. One thread by default: a worker is a process with one thread, one per core."""
    sc = apply_overrides(scenario, list(assignments)) if assignments else scenario
    return summarise(Simulation(sc).run(seed=seed, days=days, threads=threads), observations)


def _validation(scenario: Scenario, observed: dict[str, np.ndarray], s: Summary) -> Validation:
    """A run's camp counts against the observed series, from its summary (as RunResult.validation)."""
    camps = [c for c in scenario.camp_names() if c in observed]
    idx = {n: j for j, n in enumerate(s.names["population"])}
    sim = s.series["population"][:, [idx[c] for c in camps]]
    obs = np.stack([observed[c][: s.days] for c in camps], axis=1) if camps else np.zeros((s.days, 0), np.int64)
    return Validation(camps=camps, simulated=sim, observed=obs)


def load(path: str | Path, strict: bool = False, warn: Callable[[str], None] | None = None) -> Simulation:
    """Read and validate a scenario folder (corridor's format or Flee's). What Flee warns about and goes
    on, corridor goes on with too, calling `warn` with one line (stderr by default); `strict` refuses it."""
    return Simulation(load_scenario(path, strict=strict, warn=warn))


def compare(a: str | Path, b: str | Path) -> dict[str, Any]:
    """What differs between two run folders, as `corridor compare A B --json` prints it: two single runs
    figure by figure; two ensembles (`corridor run --runs K`, both with the same --seed, --runs, --days and
    --posterior) run by run on common random numbers, each figure with A's and B's medians, the median of
    the paired differences B - A, its 90% interval and P(B better) (corridor.report.compare). CorridorError
    (one line) if a folder is not a run folder, or the two ensembles do not share their seeds and draws."""
    from .report.compare import compare as compare_folders

    return compare_folders(a, b)


@dataclass
class ValidationReport:
    """Errors against observed camp counts, averaged over an ensemble of seeded runs, and the runs' values
    of point observations."""

    scenario: str
    seed: int
    seeds: list[int]
    validations: list[Validation]  # one per run, in seed order
    observations: list[dict[str, Any]] | None = None  # evaluate.observations.compare_values's rows

    @classmethod
    def from_runs(
        cls, runs: list[RunResult], seed: int, observations: Sequence[Observation] | None = None
    ) -> ValidationReport:
        rows = compare_observations(runs, list(observations)) if observations is not None else None
        return cls(runs[0].scenario.name, seed, [r.seed for r in runs], [r.validation() for r in runs], rows)

    @property
    def days(self) -> int:
        return len(self.validations[0].simulated)

    @property
    def ard_by_day(self) -> np.ndarray:
        """Mean over runs of each day's ARD."""
        return np.mean([v.ard_by_day for v in self.validations], axis=0)

    @property
    def ard_means(self) -> list[float]:
        return [v.ard_mean for v in self.validations]

    @property
    def ard_mean(self) -> float:
        return float(np.mean(self.ard_means))

    def per_camp(self) -> dict[str, dict[str, float]]:
        per = [v.per_camp() for v in self.validations]
        out = {}
        for camp in per[0]:
            out[camp] = {k: float(np.mean([p[camp][k] for p in per])) for k in per[0][camp]}
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "runs": len(self.validations),
            "seed": self.seed,
            "seeds": self.seeds,
            "days": self.days,
            "ard_mean": self.ard_mean,
            "ard_mean_by_run": self.ard_means,
            "ard_std_by_run": float(np.std(self.ard_means)),
            "ard_last_day": float(self.ard_by_day[-1]) if self.days else None,
            "ard_rescaled_mean": float(np.mean([v.ard_rescaled_by_day.mean() for v in self.validations])),
            "ard_by_day": [float(x) for x in self.ard_by_day],
            "per_camp": self.per_camp(),
        }
