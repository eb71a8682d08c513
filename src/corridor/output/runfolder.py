"""The run folder, written and read back: tables in Parquet and CSV, Flee's out.csv, the scenario as run
(scenario.json) and a manifest.

This module is the one place that knows the folder's layout: `write_run` writes it, `load_run` reads it
back for the report, `corridor compare` and the command line. Everything is written to a hidden
temporary folder beside the target and renamed into place at the end, so a failed run leaves nothing
behind. Result tables depend only on scenario and seed (byte-identical on rerun); wall-clock facts live
only in manifest.json.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import CorridorError
from ..evaluate.observations import Observation
from ..scenario.load import load_scenario
from ..scenario.model import Scenario
from ..scenario.parameters import apply_overrides, list_params
from ..scenario.series import raw_count
from .summary import QUANTILE_NAMES, Bands, Ensemble, run_file, summarise, write_summary

if TYPE_CHECKING:
    from .results import RunResult


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def flee_out_table(res: RunResult) -> pd.DataFrame:
    """Flee's out.csv, column for column as Flee's runscripts/run.py computes it (docs/scenario-format.md).

    Flee's users read out.csv with their own scripts and FabFlee's plots, so each column keeps Flee's
    meaning even where corridor reports a figure of its own elsewhere (the ARD in validation.csv).
    """
    val = res.validation()
    # Flee labels each row with the date after the day's step (its clock has moved on by then)
    dates = [(d + dt.timedelta(days=1)).isoformat() for d in res.dates]
    cols: dict[str, Any] = {"Day": np.arange(res.days), "Date": dates}
    for j, camp in enumerate(val.camps):
        sim, obs = val.simulated[:, j], val.observed[:, j]
        cols[f"{camp} sim"] = sim
        cols[f"{camp} data"] = obs
        # rounded to 4 decimals as Flee prints it, numpy's rounding as Flee's is
        rel = np.where(obs > 1e-5, np.abs(sim / np.maximum(obs, 1e-5) - 1.0), 0.0)
        cols[f"{camp} error"] = np.round(rel, 4)
    raw = raw_count(res.scenario, res.observed)[: res.days]
    # Flee writes its observed-count columns only on days with a positive raw count, and 0 on the others
    has_raw = raw > 0
    abs_err = np.abs(val.simulated - val.observed).sum(axis=1)
    cols["Total error"] = np.where(has_raw, abs_err / np.maximum(raw, 1), 0.0)
    cols["refugees in camps (UNHCR)"] = np.where(has_raw, val.observed.sum(axis=1), 0)
    cols["total refugees (simulation)"] = np.cumsum(res.record.spawned.sum(axis=1))
    cols["raw UNHCR refugee count"] = raw
    cols["refugees in camps (simulation)"] = val.simulated.sum(axis=1)
    # what Flee's spawning still owes after a fall of the count: the running maximum less the count
    debt = np.maximum.accumulate(raw) - raw if len(raw) else raw
    cols["refugee_debt"] = np.where(has_raw, debt, 0)
    return pd.DataFrame(cols)


def write_flee_out(table: pd.DataFrame, path: Path) -> None:
    """Write flee_out_table's table as Flee prints it: whole numbers as such, every float in Python's
    shortest round-trip form ('0.0', '0.479', '0.3813315030885381'), which a script may match as text."""
    text = table.copy()
    for col in text.columns:
        if text[col].dtype.kind == "f":
            text[col] = [repr(float(v)) for v in text[col].to_numpy()]
    text.to_csv(path, index=False)


def _corridor_version() -> str:
    """The installed corridor's version. Read from the package metadata rather than `corridor.__version__`:
    the package's __init__ imports the API, which imports this module, and importing it back from here
    would close a cycle (tests/test_architecture.py)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("corridor")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def versions() -> dict[str, str]:
    import numba
    import pydantic

    return {
        "corridor": _corridor_version(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numba": numba.__version__,
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
        "pydantic": pydantic.__version__,
        "platform": platform.platform(),
    }


def manifest(res: RunResult, extra: dict[str, Any]) -> dict[str, Any]:
    sc = res.scenario
    return {
        "scenario": {
            "name": sc.name,
            "format": sc.format,
            "source": sc.source,
            "hash": sc.content_hash(),
            "start_date": sc.start_date.isoformat(),
            "days": res.days,
        },
        "seed": res.seed,
        "agents": res.agents,
        "agent_days": res.agent_days,
        "versions": versions(),
        "timings_s": {k: round(v, 4) for k, v in res.timings.items()},
        **extra,
    }


def scenario_json(sc: Scenario) -> str:
    """The scenario exactly as run, as JSON that `Scenario.model_validate` reads back to the same content
    (same content_hash). Keys keep the model's field order and the order the scenario was read in, so the
    same scenario always gives the same bytes and a read-back scenario iterates its tables as the run did."""
    return json.dumps(sc.model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n"


def overridden_values(base: Scenario, overrides: list[str]) -> dict[str, Any]:
    """For each lever named in `overrides` (NAME=VALUE, as given to --set), its value in `base`, the scenario
    before the overrides: what the report shows beside the value the run used."""
    own = list_params(base)
    names = [text.partition("=")[0].strip() for text in overrides]
    return {name: own.get(name) for name in names}


def scenario_observations(sc: Scenario) -> list[Observation]:
    """The point observations of the scenario folder the scenario was read from (observations.csv), if
    it has them: what a run folder's points.csv scores."""
    from ..evaluate.observations import read_observations

    path = Path(sc.source) / "observations.csv" if sc.source else None
    return read_observations(path) if path is not None and path.is_file() else []


POINT_COLUMNS = ("date", "place", "metric", "value", "low", "high", "simulated", "simulated_low", "simulated_high",
                 "within_range")  # fmt: skip


def _point_observations(res: RunResult, ensemble: Ensemble | None) -> pd.DataFrame | None:
    """The scenario folder's observations.csv (point observations), with what the runs say of each
    (the mean over the ensemble's runs, or this run's value, and their lowest and highest)."""
    from ..evaluate.observations import compare, compare_values

    obs = scenario_observations(res.scenario)
    if not obs:
        return None
    if ensemble is None:
        rows = compare([res], obs)
    else:
        values = ensemble.points()
        if values.shape[1] != len(obs):
            raise CorridorError(
                f"{ensemble.folder}: its runs carry {values.shape[1]} point observations, the scenario's "
                f"observations.csv has {len(obs)}; run the ensemble with the scenario's own observations"
            )
        rows = compare_values(values.T.tolist(), obs, res.scenario, res.days)
    return pd.DataFrame([{c: r.get(c) for c in POINT_COLUMNS} for r in rows], columns=list(POINT_COLUMNS))


# the bands ensemble.parquet carries (the report draws population and waitlist); the summaries keep more
ENSEMBLE_VARIABLES = ("population", "waitlist", "processed", "wait_days", "states")


def ensemble_table(bands: Bands, start: dt.date) -> pd.DataFrame:
    """Across an ensemble of runs: the mean and the 5/25/50/75/95th percentiles per day of each variable of
    ENSEMBLE_VARIABLES at each name (place, port or state), one row per day, name and variable."""
    parts = []
    for variable in ENSEMBLE_VARIABLES:
        names = bands.names.get(variable, [])
        if not names:
            continue
        q = bands.quantiles[variable]
        days, n = q.shape[1], len(names)
        frame: dict[str, Any] = {
            "day": np.repeat(np.arange(days, dtype=np.int32), n),
            "date": np.repeat(np.datetime64(start, "D") + np.arange(days).astype("timedelta64[D]"), n),
            "name": np.tile(np.array(names, dtype=object), days),
            "variable": variable,
            "mean": bands.mean[variable].reshape(-1),
        }
        for j, col in enumerate(QUANTILE_NAMES):
            frame[col] = q[j].reshape(-1)
        parts.append(pd.DataFrame(frame))
    out = pd.concat(parts, ignore_index=True)
    out.attrs["runs"] = len(bands.seeds)
    return out


ENSEMBLE = "ensemble"  # the run folder's folder of run summaries (run-000000.npz ...), with --runs K
DRAWS = "draws.parquet"  # in ENSEMBLE, with --posterior: each run's index, seed and drawn value of each lever


def _link_or_copy(src: Path, dst: Path) -> None:
    # a summary file is only ever replaced, never written in place, so a second name for it is safe
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _ensemble_folder(res: RunResult, ensemble: Ensemble | Sequence[RunResult], folder: Path) -> Ensemble:
    """The ensemble's run files in the run folder's `folder`: linked or copied from an Ensemble, or
    summarised from full runs held in memory."""
    if isinstance(ensemble, Ensemble):
        folder.mkdir()
        for path in ensemble.check().paths():
            _link_or_copy(path, folder / path.name)
        if (ensemble.folder / DRAWS).is_file():  # the parameter set of each run (posterior ensembles)
            _link_or_copy(ensemble.folder / DRAWS, folder / DRAWS)
        return Ensemble(folder, ensemble.runs)
    ens = Ensemble.create(folder, len(ensemble))
    obs = scenario_observations(res.scenario)
    for i, run in enumerate(ensemble):
        write_summary(run_file(folder, i), summarise(run, obs))
    return ens


def write_run(
    res: RunResult,
    out_dir: Path,
    extra: dict[str, Any] | None = None,
    ensemble: Ensemble | Sequence[RunResult] | None = None,
) -> Path:
    """Write the run folder of `res`; with an ensemble of more than one run (an Ensemble's folder of
    summaries, or full runs in memory, `res` among them), also its summaries (ensemble/) and bands
    (ensemble.parquet), and points.csv scored over its runs."""
    out_dir = Path(out_dir)
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp's 0700 would otherwise become the run folder's mode
    try:
        table = res.table()
        write_parquet(table, tmp / "places.parquet")
        table.to_csv(tmp / "places.csv", index=False, date_format="%Y-%m-%d")
        if res.scenario.caravans:
            caravans = res.caravan_table()
            write_parquet(caravans, tmp / "caravans.parquet")
            caravans.to_csv(tmp / "caravans.csv", index=False, date_format="%Y-%m-%d")
        states = res.state_table()
        write_parquet(states, tmp / "states.parquet")
        states.to_csv(tmp / "states.csv", index=False, date_format="%Y-%m-%d")
        links = res.link_table()
        write_parquet(links, tmp / "links.parquet")
        links.to_csv(tmp / "links.csv", index=False, date_format="%Y-%m-%d")
        write_flee_out(flee_out_table(res), tmp / "out.csv")
        if res.ports:
            ports = res.port_table()
            write_parquet(ports, tmp / "ports.parquet")
            ports.to_csv(tmp / "ports.csv", index=False, date_format="%Y-%m-%d", float_format="%.6g")
            write_parquet(res.wait_table(), tmp / "waits.parquet")
        val = res.validation()
        if val.camps:
            pd.DataFrame(
                {"day": np.arange(res.days), "date": [d.isoformat() for d in res.dates], "ard": val.ard_by_day}
            ).to_csv(tmp / "validation.csv", index=False, float_format="%.6g")
        ens = None
        if ensemble is not None and (ensemble.runs if isinstance(ensemble, Ensemble) else len(ensemble)) > 1:
            ens = _ensemble_folder(res, ensemble, tmp / ENSEMBLE)
            bands = ens.bands(ENSEMBLE_VARIABLES)
            write_parquet(ensemble_table(bands, res.scenario.start_date), tmp / "ensemble.parquet")
            extra = {**(extra or {}), "ensemble_seeds": bands.seeds}
        points = _point_observations(res, ens)
        if points is not None:
            points.to_csv(tmp / "points.csv", index=False, float_format="%.6g")
        (tmp / "scenario.json").write_text(scenario_json(res.scenario), encoding="utf-8")
        (tmp / "manifest.json").write_text(json.dumps(manifest(res, extra or {}), indent=2) + "\n")
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
            os.replace(out_dir, old / "run")
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


# ---------------------------------------------------------------- reading a run folder back


@dataclass
class Run:
    """A run folder read back from disk: its tables, its manifest and the scenario as run."""

    path: Path
    label: str
    manifest: dict[str, Any]
    places: pd.DataFrame
    ports: pd.DataFrame | None = None
    waits: pd.DataFrame | None = None  # one row per person processed: day, date, port, days_waited
    points: pd.DataFrame | None = None  # point observations with the run's value (points.csv)
    ensemble: pd.DataFrame | None = None  # spread over seeds (ensemble.parquet): name, variable, p05, p95
    links: pd.DataFrame | None = None  # people setting out along each road direction per day (links.parquet)
    states: pd.DataFrame | None = None  # people in each state at the end of each day (states.parquet)
    observed: dict[str, pd.Series] = field(default_factory=dict)  # "<camp> data" columns of out.csv
    validation: pd.DataFrame | None = None
    scenario: Scenario | None = None  # as run: scenario.json, or the source with the manifest's overrides
    scenario_note: str = ""  # why the scenario is missing, or how it may differ from the run's
    # lever -> the scenario's own value, for each lever the run changed with --set
    overridden: dict[str, Any] = field(default_factory=dict)

    def band(self, name: str, variable: str) -> pd.DataFrame | None:
        if self.ensemble is None:
            return None
        e = self.ensemble
        rows = e[(e["name"] == name) & (e["variable"] == variable)]
        return rows if len(rows) else None

    @property
    def name(self) -> str:
        return str(self.manifest.get("scenario", {}).get("name", self.path.name))

    def wide(self, column: str = "population") -> pd.DataFrame:
        df = self.places.assign(place=self.places["place"].astype(str))
        return df.pivot(index="date", columns="place", values=column)

    @property
    def ard_mean(self) -> float | None:
        if self.validation is None or not len(self.validation):
            return None
        return float(self.validation["ard"].mean())

    @property
    def overrides(self) -> list[str]:
        """The --set assignments of the run, as given (manifest.json)."""
        return [str(x) for x in self.manifest.get("overrides") or []]

    def params(self) -> dict[str, Any]:
        """Every lever with the value the run used (`corridor params` with the run's overrides); empty when
        the scenario could not be read."""
        return list_params(self.scenario) if self.scenario is not None else {}

    def runs(self) -> Ensemble | None:
        """The summaries of the folder's ensemble (`corridor run --runs K`, K > 1), None for a single run;
        CorridorError if the ensemble is incomplete."""
        folder = self.path / ENSEMBLE
        return Ensemble.open(folder) if folder.is_dir() else None

    def draws(self) -> pd.DataFrame | None:
        """The parameter set of each run of a posterior ensemble (`--posterior`): run, seed and one column
        per lever drawn; None if the runs drew none."""
        path = self.path / ENSEMBLE / DRAWS
        if not path.is_file():
            return None
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # truncated or not Parquet
            raise CorridorError(f"{path}: cannot read the posterior draws ({type(exc).__name__}: {exc})") from None

    def capacities(self) -> dict[str, float]:
        """The capacity the model used at each place that has one (Scenario.effective_capacity)."""
        if self.scenario is None:
            return {}
        return {p.name: c for p, c in zip(self.scenario.places, self.scenario.effective_capacities(), strict=True) if c}


def _table(path: Path, name: str) -> pd.DataFrame | None:
    pq_path, csv_path = path / f"{name}.parquet", path / f"{name}.csv"
    if pq_path.is_file():
        df = pd.read_parquet(pq_path)
    elif csv_path.is_file():
        df = pd.read_csv(csv_path)
    else:
        return None
    df["date"] = pd.to_datetime(df["date"])
    return df


def load_run(path: str | Path) -> Run:
    """Read a run folder written by `corridor run`; CorridorError if it is not one."""
    path = Path(path)
    if not path.is_dir():
        raise CorridorError(f"{path}: not a run folder (no such folder); expected a folder written by `corridor run`")
    mf = path / "manifest.json"
    if not mf.is_file():
        raise CorridorError(f"{path}: not a run folder (no manifest.json); expected a folder written by `corridor run`")
    try:
        manifest = json.loads(mf.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorridorError(f"{mf}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("scenario"), dict):
        raise CorridorError(f"{mf}: not a corridor run manifest (no 'scenario' object)")
    try:
        places = _table(path, "places")
        ports = _table(path, "ports")
        links = _table(path, "links")
        states = _table(path, "states")
    except Exception as exc:  # unreadable or truncated tables
        raise CorridorError(f"{path}: cannot read the run tables ({type(exc).__name__}: {exc})") from None
    if places is None:
        raise CorridorError(f"{path}: not a run folder (no places.parquet or places.csv)")
    run = Run(path=path, label=path.name, manifest=manifest, places=places, ports=ports, links=links, states=states)
    if (path / "waits.parquet").is_file():
        run.waits = pd.read_parquet(path / "waits.parquet")
    if (path / "ensemble.parquet").is_file():
        run.ensemble = pd.read_parquet(path / "ensemble.parquet")
    if (path / "points.csv").is_file():
        run.points = pd.read_csv(path / "points.csv", parse_dates=["date"])
    out = path / "out.csv"
    if out.is_file():
        df = pd.read_csv(out)
        # out.csv's Date is Flee's, the day after the step (older run folders wrote the step's own day);
        # the Day column gives the date the places tables use for that day, in either kind of folder
        day_dates = places.drop_duplicates("day").set_index("day")["date"]
        dates = pd.DatetimeIndex(df["Day"].map(day_dates))
        for col in df.columns:
            if col.endswith(" data"):
                run.observed[col[: -len(" data")]] = pd.Series(df[col].to_numpy(), index=dates)
    val = path / "validation.csv"
    if val.is_file():
        run.validation = pd.read_csv(val, parse_dates=["date"])
    _attach_scenario(run)
    return run


def _attach_scenario(run: Run) -> None:
    """The scenario as run: scenario.json where the folder has it; for folders written before it existed,
    the scenario folder named in the manifest re-read with the manifest's overrides applied."""
    meta = run.manifest["scenario"]
    source, want = meta.get("source"), meta.get("hash")
    recorded = run.manifest.get("overridden")
    if isinstance(recorded, dict):
        run.overridden = dict(recorded)
    stored = run.path / "scenario.json"
    note = ""
    if stored.is_file():
        try:
            sc = Scenario.model_validate(json.loads(stored.read_text(encoding="utf-8")))
        except Exception as exc:  # edited by hand, or written by a version with other fields
            note = f"{stored.name} does not load ({type(exc).__name__}); "
        else:
            sc.source = source
            run.scenario = sc
            if want and sc.content_hash() != want:
                run.scenario_note = f"{stored.name} differs from the scenario the manifest's hash names (edited?)"
            if run.overrides and not isinstance(recorded, dict):
                run.overridden = _own_values(source, run.overrides)
            return
    if not source or not Path(source).exists():
        run.scenario_note = note + f"the scenario folder {source!r} named in manifest.json is not there"
        return
    try:
        base = load_scenario(source)
        sc = apply_overrides(base, run.overrides)
    except Exception as exc:  # the scenario may have changed or broken since the run
        run.scenario_note = note + f"the scenario at {source} no longer loads: {exc}"
        return
    run.scenario = sc
    if run.overrides and not isinstance(recorded, dict):
        run.overridden = overridden_values(base, run.overrides)
    if want and sc.content_hash() != want:
        run.scenario_note = (
            note + f"the scenario at {source} has changed since this run (hash differs); drawn as it is now"
        )
    elif note:
        run.scenario_note = note + f"re-read from {source} (same hash as the run)"


def _own_values(source: str | None, overrides: list[str]) -> dict[str, Any]:
    """The scenario folder's own values of the overridden levers, for a folder whose manifest did not
    record them; empty when the folder is gone or no longer loads."""
    if not source or not Path(source).exists():
        return {}
    try:
        return overridden_values(load_scenario(source), overrides)
    except Exception:  # only a label beside the values is lost
        return {}
