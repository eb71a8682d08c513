"""What an ensemble keeps of each run, and the bands drawn from it.

A run's full tables are large (a Flee scenario's people per place and day, every person processed at a
port); an ensemble of hundreds of runs, or a run on another machine, keeps only its *summary*: a few
day-by-name arrays, small enough to ship from a worker and to stream to disk. The bands are percentiles
over the summaries of the runs, taken at each day and name.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
import weakref
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import states
from ..errors import CorridorError
from ..evaluate.metrics import wait_medians
from ..evaluate.observations import simulate

if TYPE_CHECKING:  # read by attribute; results.py's save imports the run folder, which imports this
    from ..evaluate.observations import Observation
    from .results import RunResult

# the percentiles of a band: the 90% interval (5-95), the 50% interval (25-75) and the median
QUANTILES: tuple[int, ...] = (5, 25, 50, 75, 95)
QUANTILE_NAMES: tuple[str, ...] = tuple(f"p{q:02d}" for q in QUANTILES)


@dataclass(frozen=True)
class Summary:
    """One run, as an ensemble keeps it: `series[variable]` is a days x len(names[variable]) array."""

    seed: int
    series: dict[str, np.ndarray]
    names: dict[str, list[str]]
    # the run's value of each point observation it was asked for, in their order (NaN: not modelled)
    points: np.ndarray | None = None
    # the capacity the model used at each place of names["population"] (NaN: none), which a lever drawn
    # for the run (a posterior's) may have set
    capacity: np.ndarray | None = None

    @property
    def days(self) -> int:
        return len(next(iter(self.series.values()))) if self.series else 0


def series_names(res: RunResult) -> dict[str, list[str]]:
    """The names along each summary variable's second axis."""
    return {
        "population": list(res.places),
        "waitlist": list(res.ports),
        "processed": list(res.ports),
        "wait_days": list(res.ports),
        "waited": list(res.ports),
        "states": [s.name for s in states.counted(res.scenario)],
        "set_out": directed_roads(res),
    }


def directed_roads(res: RunResult) -> list[str]:
    """Names of the directed roads, in the order of the record's link tables: road i is 2i (a to b) and
    2i+1 (b to a)."""
    out = []
    for ln in res.scenario.links:
        out += [f"{ln.a} -> {ln.b}", f"{ln.b} -> {ln.a}"]
    return out


def weekly_median_wait(res: RunResult) -> np.ndarray:
    """days x ports: the median days waited by those processed in the week ending each day (NaN where nobody
    was): evaluate.metrics.wait_medians, port by port."""
    K = len(res.ports)
    if not K:
        return np.full((res.days, 0), np.nan)
    return np.stack([wait_medians(res, [k]) for k in range(K)], axis=1)


def waited_histogram(res: RunResult) -> np.ndarray:
    """days x ports: `[d, k]` is how many people port k processed after d days on its list (over the whole
    run; a wait is shorter than the run). Their median wait is this histogram's (`histogram_quantile`)."""
    K = len(res.ports)
    _, port, waited = res.record.wait_table()
    return np.bincount(waited * K + port, minlength=res.days * K).reshape(res.days, K).astype(np.int64)


def histogram_quantile(counts: np.ndarray, q: float) -> np.ndarray:
    """The q-th percentile (0-100, numpy's linear interpolation, as np.percentile of the values themselves)
    of the values 0, 1, 2, ... counted along axis 1 of `counts` (runs x values x names): runs x names,
    NaN where nothing was counted."""
    counts = np.asarray(counts, dtype=np.int64)
    n = counts.sum(axis=1)  # runs x names
    cum = np.cumsum(counts, axis=1)
    pos = np.maximum(n - 1, 0) * (q / 100.0)
    lo, hi = np.floor(pos), np.ceil(pos)
    # the value at sorted index i: the first value whose cumulative count passes i
    v_lo = (cum <= lo[:, None, :]).sum(axis=1)
    v_hi = (cum <= hi[:, None, :]).sum(axis=1)
    out = v_lo + (v_hi - v_lo) * (pos - lo)
    return np.where(n > 0, out, np.nan)


def summarise(res: RunResult, observations: Sequence[Observation] = ()) -> Summary:
    """The summary of one run: people per place, each port's list, claims processed and weekly median wait,
    people in each state, and people setting out along each directed road, per day; with `observations`,
    the run's value of each (evaluate.observations.simulate). `waited` counts those processed by days
    waited (waited_histogram), from which an ensemble's median waits are taken; `capacity` is the capacity
    the run used at each place."""
    rec = res.record
    counted = [s.code for s in states.counted(res.scenario)]
    K = len(res.ports)
    series = {
        "population": rec.population.astype(np.int64, copy=False),
        "waitlist": rec.waitlist if K else np.zeros((res.days, 0), np.int64),
        "processed": rec.processed if K else np.zeros((res.days, 0), np.int64),
        "wait_days": weekly_median_wait(res),
        "waited": waited_histogram(res) if K else np.zeros((res.days, 0), np.int64),
        "states": rec.census[:, counted],
        "set_out": rec.link_entries,
    }
    points = None
    if observations:
        points = np.array([np.nan if (v := simulate(res, ob)) is None else v for ob in observations])
    caps = {p.name: res.scenario.effective_capacity(p) for p in res.scenario.places}
    capacity = np.array([np.nan if caps.get(n) is None else caps[n] for n in res.places], dtype=np.float64)
    return Summary(seed=res.seed, series=series, names=series_names(res), points=points, capacity=capacity)


def percentiles(stack: np.ndarray) -> np.ndarray:
    """len(QUANTILES) x ... : the percentiles over the first axis (the runs). Where no run has a value (a
    wait when nobody was processed) the answer is NaN."""
    stack = np.asarray(stack, dtype=np.float64)
    if stack.size == 0:
        return np.zeros((len(QUANTILES), *stack.shape[1:]))
    if not np.isnan(stack).any():
        return np.percentile(stack, QUANTILES, axis=0)
    with warnings.catch_warnings():  # nanpercentile warns of an all-NaN slice; its NaN is the answer
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanpercentile(stack, QUANTILES, axis=0)


def bands(summaries: Sequence[Summary]) -> dict[str, np.ndarray]:
    """variable -> len(QUANTILES) x days x names: the percentiles over the runs at each day and name."""
    if not summaries:
        raise ValueError("no runs to draw bands from")
    return {var: percentiles(np.stack([s.series[var] for s in summaries])) for var in summaries[0].series}


# ---------------------------------------------------------------- summaries on disk
#
# An ensemble keeps one file per run, named by the run's index, so that a run computed twice (its worker
# died after finishing it) replaces its file instead of adding one, and the files list in index order
# whatever order the runs finished in. A file is a zip of .npy arrays that np.load reads; it is written
# here rather than with np.savez, which stamps each member with the time and so gives other bytes.

RUN_FILE = "run-{:06d}.npz"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip member may carry


def run_file(folder: str | Path, index: int) -> Path:
    return Path(folder) / RUN_FILE.format(index)


def write_summary(path: str | Path, summary: Summary) -> Path:
    """Write one run's summary, atomically: to a temporary file beside `path`, then renamed over it."""
    path = Path(path)
    arrays = {"seed": np.int64(summary.seed)}
    for var, values in summary.series.items():
        arrays[f"series.{var}"] = values
        arrays[f"names.{var}"] = np.array(summary.names[var], dtype=str)
    if summary.points is not None:
        arrays["points"] = np.asarray(summary.points, dtype=np.float64)
    if summary.capacity is not None:
        arrays["capacity"] = np.asarray(summary.capacity, dtype=np.float64)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")  # hidden: no reader takes it for a run
    try:
        with open(tmp, "xb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, values in arrays.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # as written on Unix, wherever it is written
                with zf.open(info, "w") as member:
                    # C order whatever the array's layout, so a run's file is the same here and from a worker
                    values = np.ascontiguousarray(values) if np.ndim(values) else np.asarray(values)
                    np.lib.format.write_array(member, values, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def read_summary(path: str | Path) -> Summary:
    try:
        with np.load(path, allow_pickle=False) as z:
            series = {k[len("series.") :]: z[k] for k in z.files if k.startswith("series.")}
            names = {var: z[f"names.{var}"].tolist() for var in series}
            points = z["points"] if "points" in z.files else None
            capacity = z["capacity"] if "capacity" in z.files else None  # written since 12/2026
            seed = int(z["seed"])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise CorridorError(f"{path}: not a run summary written by corridor ({type(exc).__name__}: {exc})") from None
    return Summary(seed=seed, series=series, names=names, points=points, capacity=capacity)


@dataclass(frozen=True)
class Bands:
    """Over an ensemble: for each variable, the percentiles (len(QUANTILES) x days x names) and the mean
    (days x names) at each day and name, and the names."""

    quantiles: dict[str, np.ndarray]
    mean: dict[str, np.ndarray]
    names: dict[str, list[str]]
    seeds: list[int]  # of the runs, in index order


def bands_from_files(
    paths: Sequence[str | Path], variables: Sequence[str] | None = None, chunk_bytes: int = 16 << 20
) -> Bands:
    """The bands over the runs in `paths`, reading one file at a time into a memory-mapped stack (in a
    temporary folder beside the first file) and taking the percentiles a block of columns at a time, so
    that an ensemble larger than memory needs only `chunk_bytes` of it."""
    if not paths:
        raise CorridorError("no runs to draw bands from: the ensemble folder has no run files")
    first = read_summary(paths[0])
    variables = list(first.series) if variables is None else list(variables)
    K = len(paths)
    shapes = {var: first.series[var].shape for var in variables}
    quantiles, mean, seeds = {}, {}, []
    with tempfile.TemporaryDirectory(prefix=".bands-", dir=Path(paths[0]).parent) as scratch:
        stacks = {
            var: np.lib.format.open_memmap(
                Path(scratch) / f"{var}.npy", mode="w+", dtype=np.float64, shape=(K, int(np.prod(shapes[var])))
            )
            for var in variables
        }
        for k, path in enumerate(paths):
            s = first if k == 0 else read_summary(path)
            seeds.append(s.seed)
            for var in variables:
                if s.series[var].shape != shapes[var] or s.names[var] != first.names[var]:
                    raise CorridorError(
                        f"{path}: its {var} has shape {s.series[var].shape} over other names than "
                        f"{paths[0]}'s {shapes[var]}; an ensemble's runs must be of one scenario and length"
                    )
                stacks[var][k] = s.series[var].reshape(-1)
        step = max(1, chunk_bytes // (8 * K))
        for var, stack in stacks.items():
            n = stack.shape[1]
            q, m = np.empty((len(QUANTILES), n)), np.empty(n)
            for c0 in range(0, n, step):
                block = np.array(stack[:, c0 : c0 + step])
                q[:, c0 : c0 + step] = percentiles(block)
                with warnings.catch_warnings():  # a column with no value in any run: its mean is NaN
                    warnings.simplefilter("ignore", RuntimeWarning)
                    m[c0 : c0 + step] = np.nanmean(block, axis=0)
            quantiles[var] = q.reshape(len(QUANTILES), *shapes[var])
            mean[var] = m.reshape(shapes[var])
        del stacks, stack  # the memory maps close before their folder goes
    return Bands(quantiles=quantiles, mean=mean, names={v: first.names[v] for v in variables}, seeds=seeds)


class Ensemble:
    """The folder of an ensemble's run summaries, one file per run index (run_file). A temporary folder
    goes when the Ensemble does."""

    def __init__(self, folder: str | Path, runs: int, temporary: bool = False) -> None:
        self.folder = Path(folder)
        self.runs = runs
        if temporary:
            weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)

    @classmethod
    def create(cls, folder: str | Path | None, runs: int) -> Ensemble:
        """An empty ensemble of `runs` runs to fill: `folder` made if need be, the run files of an earlier
        ensemble there removed (a new run with a lower index count would otherwise sit beside them)."""
        if folder is None:
            return cls(tempfile.mkdtemp(prefix="corridor-ensemble-"), runs, temporary=True)
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("run-*.npz"):
            old.unlink()
        return cls(folder, runs)

    @classmethod
    def open(cls, folder: str | Path) -> Ensemble:
        """The ensemble already in `folder`; CorridorError unless it holds runs 0..K-1, each once."""
        folder = Path(folder)
        found = sorted(int(p.stem[len("run-") :]) for p in folder.glob("run-*.npz") if p.stem[4:].isdigit())
        if not found or found != list(range(len(found))):
            have = f"runs {found[0]}..{found[-1]} with gaps" if found else "no run files"
            raise CorridorError(f"{folder}: not a complete ensemble ({have}); expected run-000000.npz onwards")
        return cls(folder, len(found))

    def paths(self) -> list[Path]:
        return [run_file(self.folder, i) for i in range(self.runs)]

    def summary(self, index: int) -> Summary:
        return read_summary(run_file(self.folder, index))

    def missing(self) -> list[int]:
        return [i for i, p in enumerate(self.paths()) if not p.is_file()]

    def check(self) -> Ensemble:
        """The ensemble itself if every run has its file, else CorridorError."""
        gone = self.missing()
        if gone:
            raise CorridorError(f"{self.folder}: runs {gone[:5]} of {self.runs} have no file; incomplete ensemble")
        return self

    def bands(self, variables: Sequence[str] | None = None) -> Bands:
        return bands_from_files(self.check().paths(), variables)

    def points(self) -> np.ndarray:
        """runs x observations: each run's value of the point observations it was run with (NaN: not
        modelled); runs x 0 if it was run with none."""
        rows = []
        for path in self.paths():
            with np.load(path, allow_pickle=False) as z:
                rows.append(z["points"] if "points" in z.files else np.zeros(0))
        return np.stack(rows) if rows else np.zeros((0, 0))
