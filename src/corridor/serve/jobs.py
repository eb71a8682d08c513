"""Jobs: an ensemble asked for by a request, queued, run one at a time, and kept for a while.

A request is checked before it is queued (scenario, overrides, runs, days), so a job fails only on what
cannot be known in advance. The queue has a bound: when it is full a request is refused at once rather
than left waiting. The runs themselves go to a runner: in the server's process by default, or a Dask
cluster (`corridor serve --workers W | --scheduler ADDRESS`). Each job also keeps the full first run of
its what-if, which becomes the run folder and the report people can download.

A run is a parameter set and a seed. Without a posterior every run takes the scenario's values and its
own seed; with one (`"posterior": true`, when the server was given a calibration of the scenario) run k
also takes the k-th draw from the posterior, so the bands carry the uncertainty of the inputs. The
baseline's run k has the same draw and seed (common random numbers); a lever the what-if sets keeps the
what-if's value in each of its runs.
"""

from __future__ import annotations

import itertools
import queue
import secrets
import shutil
import tempfile
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..api import Simulation
from ..distributed import assignments
from ..errors import CorridorError
from ..output.results import RunResult
from ..output.summary import Summary, summarise
from ..scenario.model import Scenario
from ..scenario.parameters import apply_overrides
from . import result
from .catalog import Entry

Progress = Callable[[int], None]  # called with the number of runs finished so far
RunJob = tuple[dict[str, Any], int]  # a run: {lever: value} on top of the scenario, and its seed


class Runner(Protocol):
    def summaries(self, sc: Scenario, runs: list[RunJob], days: int, progress: Progress) -> list[Summary]: ...


class InProcess:
    """Runs one after another in the server's process, or, given a Dask client, as tasks on its cluster
    (`corridor serve --workers W | --scheduler ADDRESS`). In the process each run takes one thread: a
    server shares its machine, and a small run's kernels waiting for a second, busy core made tijuana-2018
    runs 2 to 10 times slower than on one thread (docs/serve.md)."""

    def __init__(self, client: Any = None, threads: int | None = 1) -> None:
        self.client = client
        self.threads = threads

    def summaries(self, sc: Scenario, runs: list[RunJob], days: int, progress: Progress) -> list[Summary]:
        out: list[Summary | None] = [None] * len(runs)
        # in the order they finish on a cluster; each in its place by index, so the bands do not depend on it
        runs = Simulation(sc).summaries(runs, days, client=self.client, threads=self.threads)
        for done, (i, summary) in enumerate(runs, start=1):
            out[i] = summary
            progress(done)
        return out  # type: ignore[return-value]


class QueueFull(Exception):
    """As many jobs are queued or running as the server allows: the request gets 429."""


@dataclass
class Job:
    id: str
    scenario: str
    overrides: list[str]
    runs: int
    seed: int
    days: int
    posterior: bool = False  # each run draws its inputs from the scenario's calibration
    status: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int = 0
    stage: str = "queued"
    error: str | None = None
    result: dict[str, Any] | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    first: RunResult | None = None  # the what-if's first run, whole: the run folder to download
    folder: Path | None = None  # written on first download

    def to_dict(self, with_result: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "scenario": self.scenario,
            "overrides": self.overrides,
            "runs": self.runs,
            "seed": self.seed,
            "days": self.days,
            "posterior": self.posterior,
            "progress": {"done": self.done, "total": self.total, "stage": self.stage},
            "error": self.error,
            "seconds": (self.finished or time.time()) - (self.started or self.created) if self.started else None,
        }
        if with_result:
            out["result"] = self.result
        return out


class Jobs:
    """The bounded queue, the thread that works through it, and the jobs of the last while."""

    def __init__(self, runner: Runner | None = None, max_pending: int = 8, keep: int = 64) -> None:
        self.runner = runner or InProcess()
        self.max_pending = max_pending
        self.keep = keep
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.baselines: OrderedDict[tuple, list[Summary]] = OrderedDict()  # the last few baselines, reused
        self.entries: dict[str, Entry] = {}
        self._queue: queue.Queue[tuple[Job, Scenario] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._dir = Path(tempfile.mkdtemp(prefix="corridor-serve-"))
        self._thread = threading.Thread(target=self._work, name="corridor-jobs", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ asked for by requests

    def pending(self) -> int:
        with self._lock:
            return sum(j.status in ("queued", "running") for j in self.jobs.values())

    def submit(
        self, entry: Entry, overrides: list[str], runs: int, seed: int, days: int, posterior: bool = False
    ) -> Job:
        """Check and queue a job; a bad override or a posterior the scenario lacks raises its CorridorError,
        a full queue QueueFull."""
        if posterior and entry.posterior is None:
            raise CorridorError(
                f"posterior: {entry.name} has no calibration on this server; expected false, or start the server "
                "with --posterior CALIBRATION_DIR"
            )
        sc = apply_overrides(entry.scenario, overrides) if overrides else entry.scenario
        with self._lock:
            if sum(j.status in ("queued", "running") for j in self.jobs.values()) >= self.max_pending:
                raise QueueFull(f"{self.max_pending} jobs are queued or running; try again when one is done")
            job = Job(
                id=f"{next(self._ids):06d}{secrets.token_hex(5)}",
                scenario=entry.name,
                overrides=list(overrides),
                runs=runs,
                seed=seed,
                days=days,
                posterior=posterior,
            )
            job.total = runs * (2 if overrides else 1)
            self.jobs[job.id] = job
            self.entries[entry.name] = entry
            self._forget_old()
        self._queue.put((job, sc))
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self.jobs.get(job_id)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)
        shutil.rmtree(self._dir, ignore_errors=True)

    def folder(self, job: Job) -> Path:
        """The job's run folder (its what-if's first run, with the report), written on first asking."""
        from ..report.html import build_report

        with self._lock:
            if job.folder is not None:
                return job.folder
            target = self._dir / job.id / f"{job.scenario.replace('/', '-')}-seed{job.seed}"
            job.first.save(target, command="corridor serve", overrides=job.overrides)
            build_report([target])
            job.folder = target
            return target

    # ------------------------------------------------------------------ the worker thread

    def _forget_old(self) -> None:
        finished = [j for j in self.jobs.values() if j.status in ("done", "failed")]
        for j in finished[: max(0, len(finished) - self.keep)]:
            del self.jobs[j.id]
            shutil.rmtree(self._dir / j.id, ignore_errors=True)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job, sc = item
            job.status, job.started, job.stage = "running", time.time(), "what-if" if job.overrides else "runs"
            try:
                self._run(job, sc)
                job.status = "done"
            except CorridorError as exc:
                job.status, job.error = "failed", str(exc)
            except Exception as exc:  # the server goes on; the job says what happened
                job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
            finally:
                job.finished = time.time()
                job.stage = job.status

    def _run(self, job: Job, sc: Scenario) -> None:
        seeds = list(range(job.seed, job.seed + job.runs))
        entry = self.entries[job.scenario]
        draws = self.draws(entry, job)
        given = {o.split("=", 1)[0].strip() for o in job.overrides}
        # the what-if's own levers win over the draws; the baseline takes each draw whole
        what_if_runs = [({k: v for k, v in d.items() if k not in given}, s) for d, s in zip(draws, seeds, strict=True)]
        base_runs = list(zip(draws, seeds, strict=True))
        # the first run whole, in this process: the run folder and report to download, and run 1 of the band
        first_sc = apply_overrides(sc, assignments(what_if_runs[0][0])) if what_if_runs[0][0] else sc
        threads = getattr(self.runner, "threads", None)
        job.first = Simulation(first_sc).run(seed=seeds[0], days=job.days, threads=threads)
        first = summarise(job.first)

        def counted(offset: int) -> Progress:
            def progress(n: int) -> None:
                job.done = offset + n

            return progress

        counted(0)(1)
        what_if = [first, *self.runner.summaries(sc, what_if_runs[1:], job.days, counted(1))]
        baseline = None
        if job.overrides:
            job.stage = "baseline"
            key = (job.scenario, job.seed, job.runs, job.days, job.posterior)
            baseline = self.baselines.get(key)
            if baseline is None:
                baseline = self.runner.summaries(entry.scenario, base_runs, job.days, counted(job.runs))
                self.baselines[key] = baseline
                while len(self.baselines) > 8:
                    self.baselines.popitem(last=False)
            job.done = job.total
        job.stage = "bands"
        meta: dict[str, Any] = {"scenario": job.scenario, "overrides": job.overrides, "runs": job.runs, "seeds": seeds}
        if job.posterior:
            meta["posterior"] = {**(entry.calibration() or {}), "draws": _draw_bands(draws, given)}
        job.result = result.build(sc, what_if, baseline, meta)

    @staticmethod
    def draws(entry: Entry, job: Job) -> list[dict[str, Any]]:
        """Run k's lever values: the k-th draw from the posterior (the generator of the job's seed, as
        `corridor run --posterior` draws them), or none."""
        if not job.posterior or entry.posterior is None:
            return [{} for _ in range(job.runs)]
        return entry.posterior.draw(np.random.default_rng(job.seed), job.runs)


def _draw_bands(draws: list[dict[str, Any]], given: set[str]) -> list[dict[str, Any]]:
    """Each drawn lever's 5th, 50th and 95th percentile over the runs, and whether the what-if set it."""
    out = []
    for lever in sorted(draws[0]) if draws else []:
        v = np.array([float(d[lever]) for d in draws])
        q05, q50, q95 = np.percentile(v, [5, 50, 95])
        out.append({"lever": lever, "q05": float(q05), "median": float(q50), "q95": float(q95), "set": lever in given})
    return out
