"""ABC-SMC with pyabc over a scenario's priors, its simulations on Dask, reproducible by seed.

pyabc draws a candidate's parameters (from the prior, or by perturbing a particle of the last generation)
with numpy's *global* generator, inside the function that also runs the model and decides acceptance
(`simulate_one`). `OrderedSampler` contains that: candidate i of generation t runs with the global
generator seeded from (seed, t, i) alone (numpy's SeedSequence with spawn key (t + 1, i)), saved and
restored around it, and the model takes its run's seed from that generator. Candidates are then taken in
index order until the population is full, however many workers ran them and in whatever order they
finished; those started beyond the last one needed are cancelled and not counted. So the same inputs and
seed give the same history, whatever the number of workers, and a calibration interrupted between
generations and resumed gives the same generations as one never interrupted (pyabc refits its
transitions and epsilon from the stored populations).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyabc
from pyabc.sampler import Sampler

from ..api import run_summary
from ..distributed import session
from ..errors import CorridorError
from ..evaluate.observations import Observation
from ..output.calibration import (
    HISTORY,
    KIND,
    POSTERIOR,
    PREDICTIVE,
    prior_records,
    read_manifest,
    write_manifest,
    write_table,
)
from ..output.runfolder import versions
from ..scenario.model import Prior, Scenario
from ..scenario.priors import overrides, sample
from .targets import RangeDistance, Selection, select

if TYPE_CHECKING:
    from distributed import Client

Progress = Callable[[dict[str, Any]], None]
# settings that must match for --resume to continue the same calibration
_SAME = ("scenario_hash", "observations_hash", "seed", "population", "until", "known_by", "priors_calibrated")


# --- priors and model -------------------------------------------------------------------------------


class Scores:
    """The priors on the scale pyabc works in: each prior's normal score z, standard normal under the prior,
    the value x = F^-1(Phi(z)) for its distribution F. Every z is a valid value, so pyabc's Gaussian
    perturbations never fall outside a prior's range (in 30 dimensions most did, and each was redrawn), and
    a rate of 0.001 and a count of 10,000 move on one scale. A whole-number uniform (intuniform) is the
    continuous uniform from low - 0.5 to high + 0.5, rounded: the same chance for each whole number."""

    def __init__(self, priors: Sequence[Prior]) -> None:
        import scipy.stats

        self.priors = list(priors)
        self.dists = [
            scipy.stats.uniform(p.low - 0.5, p.high - p.low + 1.0) if p.distribution == "intuniform" else p.frozen()  # type: ignore[operator]
            for p in self.priors
        ]

    def pyabc_prior(self) -> Any:
        """A standard normal for each prior, by name: pyabc's parameter prior."""
        return pyabc.Distribution(**{p.name: pyabc.RV("norm", 0.0, 1.0) for p in self.priors})

    def values(self, z: Mapping[str, float]) -> dict[str, float | int]:
        """The values (as the levers take them: whole numbers rounded, within low to high) of the scores z."""
        from scipy.special import ndtr

        out: dict[str, float | int] = {}
        for p, dist in zip(self.priors, self.dists, strict=True):
            u = min(max(float(ndtr(z[p.name])), 1e-15), 1.0 - 1e-15)  # an open end's F^-1(1) is infinite
            v = p.value(float(dist.ppf(u)))
            if p.distribution == "intuniform":
                v = int(min(max(v, p.low), p.high))  # type: ignore[type-var]
            out[p.name] = v
        return out

    def scores(self, values: Mapping[str, float]) -> dict[str, float]:
        """The scores of values (the inverse of `values`, up to rounding)."""
        from scipy.special import ndtri

        return {
            p.name: float(ndtri(min(max(float(d.cdf(values[p.name])), 1e-15), 1.0 - 1e-15)))
            for p, d in zip(self.priors, self.dists, strict=True)
        }


class Model:
    """What pyabc calls for each candidate: the scenario with the candidate's values of the calibrated
    priors, and values of the other priors (`drawn`) drawn from their priors, run for `days` days (one
    thread); summarised as its values of the observations, "y", and the drawn values, "drawn"."""

    def __init__(
        self,
        scenario: Scenario,
        priors: Sequence[Prior],
        observations: Sequence[Observation],
        days: int,
        drawn: Sequence[Prior] = (),
    ) -> None:
        self.scenario, self.priors, self.observations, self.days = scenario, list(priors), tuple(observations), days
        self.drawn = list(drawn)
        self.scores = Scores(priors)

    def __call__(self, pars: Mapping[str, float]) -> dict[str, np.ndarray]:
        # the global generator here is the candidate's own, seeded by OrderedSampler
        seed, draw_seed = (int(x) for x in np.random.randint(0, 2**31 - 1, size=2))
        values = self.scores.values(pars)
        free = {
            p.name: p.value(x[0])
            for p, x in zip(self.drawn, sample(self.drawn, np.random.default_rng(draw_seed), 1).values(), strict=True)
        }
        assignments = overrides(self.priors + self.drawn, {**values, **free})
        s = run_summary(self.scenario, assignments, seed, self.days, self.observations, threads=1)
        return {
            "y": np.asarray(s.points, dtype=np.float64),
            "drawn": np.array([free[p.name] for p in self.drawn], dtype=np.float64),
        }


# --- the sampler ------------------------------------------------------------------------------------


def candidate_seed(seed: int, t: int, i: int) -> int:
    """The seed of candidate i of generation t (t = -1: pyabc's calibration sample from the prior)."""
    return int(np.random.SeedSequence(seed, spawn_key=(t + 1, i)).generate_state(1)[0])


def run_candidate(simulate_one: Callable[[], Any], seed: int) -> Any:
    """pyabc's `simulate_one` with numpy's global generator seeded for it, restored afterwards (in the
    calling process the caller's draws go on as if nothing had run)."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        return simulate_one()
    finally:
        np.random.set_state(state)


def _unpickle(blob: bytes) -> Any:
    import cloudpickle

    return cloudpickle.loads(blob)


class OrderedSampler(Sampler):
    """pyabc's sampler: candidates seeded by index, run here or on a Dask client, taken in index order
    (module doc). `budget`: the most simulations in all, counting generations already in the history; a
    generation that would pass it is cut short, and pyabc stops without it."""

    def __init__(
        self, seed: int, client: Client | None = None, budget: float = math.inf, progress: Progress | None = None
    ) -> None:
        super().__init__()
        self.seed, self.client, self.budget, self.progress = int(seed), client, budget, progress
        self.seconds: dict[int, float] = {}  # wall time of each generation sampled here
        self.discarded = 0  # candidates run in a generation cut short by the budget

    def _tell(self, **event: Any) -> None:
        if self.progress is not None:
            self.progress(event)

    def sample_until_n_accepted(  # type: ignore[override]
        self,
        n: int,
        simulate_one: Callable[[], Any],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        done = int(getattr(ana_vars, "prev_total_nr_simulations", 0) or 0)
        limit = min(max_eval, self.budget - done)
        eps = None if all_accepted or ana_vars is None else float(ana_vars.eps(t))
        self._tell(event="start", t=t, eps=eps, n=n, done=done)
        t0 = time.perf_counter()
        sample = self._create_empty_sample()
        evaluated = 0
        stream = self._candidates(simulate_one, t)
        try:
            while evaluated < limit and sample.n_accepted < n:
                sample.append(next(stream))
                evaluated += 1
                self._tell(event="tick", t=t, evaluated=evaluated, accepted=sample.n_accepted, n=n)
        finally:
            stream.close()
        seconds = time.perf_counter() - t0
        self.nr_evaluations_ = evaluated
        if sample.n_accepted < n:
            sample.ok = False
            self.discarded += evaluated
            self._tell(event="stopped", t=t, evaluated=evaluated, accepted=sample.n_accepted, n=n, budget=self.budget)
            return sample
        self.seconds[t] = seconds
        self._tell(event="done", t=t, eps=eps, n=n, evaluated=evaluated, seconds=seconds, total=done + evaluated)
        return sample

    def _candidates(self, simulate_one: Callable[[], Any], t: int) -> Iterator[Any]:
        """The evaluated candidates of generation t in index order; on Dask, a window of them runs ahead."""
        if self.client is None:
            i = 0
            while True:
                yield run_candidate(simulate_one, candidate_seed(self.seed, t, i))
                i += 1
        import cloudpickle

        client = self.client
        token = uuid.uuid4().hex[:12]
        # simulate_one (and the scenario in it) crosses the network once per worker, from a task that
        # a lost worker's replacement can run again (scattered data could not be recomputed)
        shared = client.submit(_unpickle, cloudpickle.dumps(simulate_one), key=f"corridor-abc-{token}-fn")
        window = max(4, 2 * sum(client.nthreads().values()))
        pending: deque[Any] = deque()
        i = 0
        try:
            while True:
                while len(pending) < window:
                    key = f"corridor-abc-{token}-{t + 1}-{i}"
                    pending.append(client.submit(run_candidate, shared, candidate_seed(self.seed, t, i), key=key))
                    i += 1
                fut = pending.popleft()
                result = fut.result()
                fut.release()
                yield result
        finally:
            if pending:
                client.cancel(list(pending), force=True)
            shared.release()


# --- the calibration --------------------------------------------------------------------------------


def observations_hash(observations: Sequence[Observation]) -> str:
    """SHA-256 of the observations' content (every row, every column), not of the file's bytes."""
    # the columns as read (a month's date as written): the same file hashes alike whatever it resolves to
    rows = [{**{k: v for k, v in asdict(o).items() if k not in ("period", "target", "spec")}, "date": o.when}
            for o in observations]  # fmt: skip
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def run_days(scenario: Scenario, observations: Sequence[Observation]) -> int:
    """Days a calibration run needs: up to the last observation used (the rest cannot change the distance)."""
    last = max((o.last - scenario.start_date).days for o in observations)
    return max(1, min(scenario.days, last + 1))


@contextmanager
def _quiet_pyabc() -> Iterator[None]:
    """pyabc logs every generation at INFO; the command prints its own progress."""
    loggers = [logging.getLogger(name) for name in ("ABC", "pyabc", "Sampler", "History", "Epsilon", "Distance")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def calibrate(
    scenario: Scenario,
    observations: Sequence[Observation],
    out: str | Path,
    *,
    until: dt.date | None = None,
    known_by: dt.date | None = None,
    budget: int = 2000,
    population: int = 100,
    seed: int = 0,
    priors: Sequence[str] | None = None,
    resume: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Client | None = None,
    progress: Progress | None = None,
    source: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Calibrate the scenario's priors (or only those named in `priors`: the others are then drawn from
    their priors for each simulation, integrated out, and each particle's draw is kept) to `observations`
    by ABC-SMC, writing the calibration folder `out` (output/calibration.py);
    returns its manifest. `until`/`known_by`: which observations may be used (targets.select). `budget`:
    the most simulations in all; `population`: particles per generation. The simulations run on `client`,
    else at `scheduler`, else on a local cluster of `workers` processes (None: one per core; 1: here).
    `resume`: go on with the calibration already in `out` (same settings; the budget may be raised).
    `progress(event)` hears of each generation's start, candidates and end. `source`: what to record of
    where the inputs came from (paths, the command)."""
    t_start = time.perf_counter()
    out = Path(out)
    chosen = chosen_priors(scenario, priors)
    drawn = [p for p in scenario.priors if p not in chosen]
    if budget < 1 or population < 2:
        raise CorridorError(f"budget={budget}, population={population}: expected a budget >= 1 and a population >= 2")
    sel = select(observations, until, known_by)
    if not sel.used:
        raise CorridorError(
            f"no observation left to calibrate to ({len(sel.excluded)} excluded, e.g. row {sel.excluded[0][0].row}: "
            f"{sel.excluded[0][1]}); expected observations dated up to --until and known by then"
            if sel.excluded
            else "no observations to calibrate to; expected an observations file with rows"
        )
    sel = _computed(scenario, sel, seed)
    days = run_days(scenario, sel.used)
    settings = {
        "scenario_hash": scenario.content_hash(),
        "observations_hash": observations_hash(observations),
        "seed": int(seed),
        "population": int(population),
        "until": until.isoformat() if until else None,
        "known_by": sel.known_by.isoformat() if sel.known_by else None,
        "priors_calibrated": [p.name for p in chosen],
    }
    earlier = _prepare(out, resume, settings)
    manifest: dict[str, Any] = {
        "kind": KIND,
        "status": "running",
        "scenario": {
            "name": scenario.name,
            "source": scenario.source,
            "hash": settings["scenario_hash"],
            "start_date": scenario.start_date.isoformat(),
            "days_run": days,
        },  # fmt: skip
        **settings,
        "budget": int(budget),
        "observations": {**(dict(source or {})), "hash": settings["observations_hash"], **sel.records()},
        "priors": prior_records(chosen + drawn),
        "priors_drawn": [p.name for p in drawn],
        "distance": "root mean square over the observations of the relative distance outside [low, high] "
        "(0 inside; docs/calibration.md)",
        "epsilon": "pyabc QuantileEpsilon: the median distance of the last generation (the first from a sample "
        "of the prior)",
        "sampler": "corridor.calibrate.smc.OrderedSampler (candidates seeded by generation and index)",
        "versions": {**versions(), "pyabc": pyabc.__version__, **_dask_versions()},
        "generations": earlier.get("generations", []),
        "timings_s": earlier.get("timings_s", {}),
        "sessions": [
            *earlier.get("sessions", []),
            {"started": dt.datetime.now().isoformat(timespec="seconds"), "budget": int(budget)},
        ],  # fmt: skip
    }
    write_manifest(out, manifest)
    db = f"sqlite:///{(out / HISTORY).resolve()}"
    model = Model(scenario, chosen, sel.used, days, drawn)
    distance = RangeDistance([o.low for o in sel.used], [o.high for o in sel.used])
    t_sim = time.perf_counter()
    with _quiet_pyabc(), session(workers, scheduler, client) as cl:
        sampler = OrderedSampler(seed, cl, budget=budget, progress=progress)
        abc = pyabc.ABCSMC(model, model.scores.pyabc_prior(), distance, population_size=population, sampler=sampler)
        if resume:
            history = abc.load(db, 1)
        else:
            history = abc.new(db, {"y": np.array([o.value for o in sel.used], dtype=np.float64)})
        if history.total_nr_simulations < budget:
            try:
                history = abc.run(max_total_nr_simulations=budget)
            except AssertionError as exc:  # pyabc's checks of the weights (NaN when all densities underflow)
                raise CorridorError(
                    f"{out}: pyabc stopped at generation {history.max_t + 1} ({str(exc).splitlines()[0]}); expected "
                    "fewer priors moved by the SMC (--prior) or a larger --population; the generations so far are "
                    "kept (--resume goes on from them)"
                ) from None
    seconds = time.perf_counter() - t_sim
    if history.max_t < 0:
        raise CorridorError(
            f"budget={budget}: no generation finished (a generation needs at least {population} simulations, "
            f"the first {population} more for pyabc's sample of the prior); expected a larger --budget"
        )
    manifest.update(_results(out, history, chosen, drawn, sel, sampler, manifest["generations"]))
    timings = manifest["timings_s"]
    timings["sampling"] = round(timings.get("sampling", 0.0) + seconds, 3)
    timings["total"] = round(timings.get("total", 0.0) + time.perf_counter() - t_start, 3)
    manifest["status"] = "done"
    write_manifest(out, manifest)
    return manifest


def chosen_priors(scenario: Scenario, names: Sequence[str] | None) -> list[Prior]:
    if not scenario.priors:
        where = f" in {scenario.source}" if scenario.source else ""
        raise CorridorError(
            f"scenario {scenario.name!r}: no priors (no priors.csv{where}); expected a priors.csv naming the "
            "levers to calibrate (docs/scenario-format.md, priors.csv)"
        )
    if names is None:
        return list(scenario.priors)
    known = {p.name: p for p in scenario.priors}
    for name in names:
        if name not in known:
            raise CorridorError(f"prior {name!r}: not in the scenario's priors.csv; expected one of {', '.join(known)}")
    return [known[n] for n in dict.fromkeys(names)]


def _computed(scenario: Scenario, sel: Selection, seed: int) -> Selection:
    """Leave out observations the scenario does not compute (a metric it lacks, a date outside its period):
    one run at the scenario's own values says which."""
    from ..evaluate.observations import compare_values

    points = run_summary(scenario, [], seed, run_days(scenario, sel.used), sel.used, threads=1).points
    used = []
    for o, v in zip(sel.used, points, strict=True):
        if np.isnan(v):
            why = compare_values([[None]], [o], scenario, scenario.days)[0]["why_no_value"]
            sel.excluded.append((o, f"not computed by the scenario: {why}"))
        else:
            used.append(o)
    if not used:
        raise CorridorError(
            f"none of the observations is computed by scenario {scenario.name!r} (e.g. row {sel.excluded[-1][0].row}: "
            f"{sel.excluded[-1][1]}); expected observations of its places, metrics and period"
        )
    sel.used = used
    return sel


def _prepare(out: Path, resume: bool, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Check the folder before anything is written: new (absent or empty), or, with resume, a calibration
    with the same settings. Returns the earlier manifest (empty for a new calibration)."""
    if not resume:
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise CorridorError(
                f"{out}: exists and is not empty; expected a new folder for --out, or --resume to continue "
                "the calibration in it"
            )
        out.mkdir(parents=True, exist_ok=True)
        return {}
    earlier = read_manifest(out)
    if not (out / HISTORY).is_file():
        raise CorridorError(f"{out}: no {HISTORY} to resume from; expected the folder of an earlier calibration")
    for key in _SAME:
        if earlier.get(key) != settings[key]:
            raise CorridorError(
                f"{out}: calibrated with {key}={earlier.get(key)!r}, this call has {settings[key]!r}; expected the "
                "same scenario, observations, seed, population, --until and priors to resume (or a new --out)"
            )
    return earlier


def _dask_versions() -> dict[str, str]:
    try:
        import dask
        import distributed

        return {"dask": dask.__version__, "distributed": distributed.__version__}
    except ImportError:  # pragma: no cover - dask[distributed] is a dependency
        return {}


def _results(
    out: Path,
    history: Any,
    priors: Sequence[Prior],
    drawn: Sequence[Prior],
    sel: Selection,
    sampler: OrderedSampler,
    earlier: list[dict[str, Any]],
) -> dict[str, Any]:
    """Write posterior.parquet and predictive.parquet from the last generation; the manifest's record of
    each generation and the simulation counts."""
    t = history.max_t
    pop = history.get_population(t=t)
    particles = pop.particles
    w = np.array([p.weight for p in particles], dtype=np.float64)
    w = w / w.sum()
    scores = Scores(priors)
    values = [scores.values(q.parameter) for q in particles]
    post = {p.name: [v[p.name] for v in values] for p in priors}
    for k, p in enumerate(drawn):  # each particle's own draw of the priors not calibrated
        post[p.name] = [p.value(float(q.sum_stat["drawn"][k])) for q in particles]
    posterior = pd.DataFrame(
        {
            **post,
            "weight": w,
            "distance": [float(q.distance) for q in particles],
            "particle": np.arange(len(particles)),
        }
    )
    write_table(posterior, out / POSTERIOR)
    rows = []
    for k, q in enumerate(particles):
        ys = np.asarray(q.sum_stat["y"], dtype=np.float64)
        for o, y in zip(sel.used, ys, strict=True):
            rows.append((k, w[k], o.row, o.when, o.place, o.metric, o.value, o.low, o.high, float(y)))
    cols = ["particle", "weight", "row", "date", "place", "metric", "value", "low", "high", "simulated"]
    write_table(pd.DataFrame(rows, columns=cols), out / PREDICTIVE)
    seconds = {g["t"]: g.get("seconds") for g in earlier}
    seconds.update(sampler.seconds)
    gens = []
    for _, r in history.get_all_populations().iterrows():
        g = int(r["t"])
        if g < 0:
            continue
        s = seconds.get(g)
        n = int(r["samples"])
        gens.append(
            {
                "t": g,
                "epsilon": float(r["epsilon"]),
                "simulations": n,
                "accepted": int(r["particles"]),
                "acceptance_rate": round(int(r["particles"]) / n, 6) if n else None,
                "seconds": None if s is None else round(s, 3),
                "simulations_per_s": None if not s else round(n / s, 2),
            }
        )
    return {
        "generations": gens,
        "simulations": int(history.total_nr_simulations),
        "simulations_discarded": int(sampler.discarded),
        "posterior_size": len(particles),
        "effective_sample_size": round(float(1.0 / np.sum(w * w)), 2),
    }
