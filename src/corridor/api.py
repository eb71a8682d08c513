"""The Python API: load a scenario, run it, validate it.

import corridor
sim = corridor.load("scenarios/example")
res = sim.run(seed=1)
res.table()            # pandas, one row per day and place
res.save("runs/ex")    # Parquet, CSV, Flee's out.csv, manifest.json
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .output.results import RunResult
from .scenario.load import load_scenario
from .scenario.model import Scenario
from .sim.engine import Engine, Phase, plan
from .sim.network import compile_network

Progress = Callable[[int, int], None]


class Simulation:
    """A loaded, validated scenario ready to run with any seed."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

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
        eng = Engine(self.scenario, seed=seed, days=days, net=compile_network(self.scenario), threads=threads)
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
        """`runs` runs with seeds seed, seed+1, ..."""
        out = []
        for k in range(runs):
            out.append(self.run(seed=seed + k, days=days, threads=threads))
            if progress is not None:
                progress(k + 1, runs)
        return out

    def validate(
        self,
        runs: int = 1,
        seed: int = 0,
        days: int | None = None,
        progress: Progress | None = None,
        threads: int | None = None,
    ) -> ValidationReport:
        return ValidationReport.from_runs(self.ensemble(runs, seed, days, progress, threads), seed)


def load(path: str | Path) -> Simulation:
    """Read and validate a scenario folder (corridor's format or Flee's)."""
    return Simulation(load_scenario(path))


@dataclass
class ValidationReport:
    """Errors against observed camp counts, averaged over an ensemble of seeded runs."""

    runs: list[RunResult]
    seed: int

    @classmethod
    def from_runs(cls, runs: list[RunResult], seed: int) -> ValidationReport:
        return cls(runs=runs, seed=seed)

    @property
    def ard_by_day(self) -> np.ndarray:
        """Mean over runs of each day's ARD."""
        return np.mean([r.validation().ard_by_day for r in self.runs], axis=0)

    @property
    def ard_means(self) -> list[float]:
        return [r.validation().ard_mean for r in self.runs]

    @property
    def ard_mean(self) -> float:
        return float(np.mean(self.ard_means))

    def per_camp(self) -> dict[str, dict[str, float]]:
        per = [r.validation().per_camp() for r in self.runs]
        out = {}
        for camp in per[0]:
            out[camp] = {k: float(np.mean([p[camp][k] for p in per])) for k in per[0][camp]}
        return out

    def to_dict(self) -> dict[str, Any]:
        first = self.runs[0]
        return {
            "scenario": first.scenario.name,
            "runs": len(self.runs),
            "seed": self.seed,
            "seeds": [r.seed for r in self.runs],
            "days": first.days,
            "ard_mean": self.ard_mean,
            "ard_mean_by_run": self.ard_means,
            "ard_std_by_run": float(np.std(self.ard_means)),
            "ard_last_day": float(self.ard_by_day[-1]) if first.days else None,
            "ard_rescaled_mean": float(np.mean([r.validation().ard_rescaled_by_day.mean() for r in self.runs])),
            "ard_by_day": [float(x) for x in self.ard_by_day],
            "per_camp": self.per_camp(),
        }
