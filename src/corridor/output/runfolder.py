"""The run folder: tables in Parquet and CSV, Flee's out.csv, and a manifest.

Everything is written to a hidden temporary folder beside the target and renamed into place at
the end, so a failed run leaves nothing behind. Result tables depend only on scenario and seed
(byte-identical on rerun); wall-clock facts live only in manifest.json.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..scenario.series import spawn_total

if TYPE_CHECKING:
    from .results import RunResult


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def flee_out_table(res: RunResult) -> pd.DataFrame:
    """Flee's out.csv columns, so Flee's plotting and validation scripts read corridor's runs."""
    val = res.validation()
    cols: dict[str, Any] = {"Day": np.arange(res.days), "Date": [d.isoformat() for d in res.dates]}
    for j, camp in enumerate(val.camps):
        sim, obs = val.simulated[:, j], val.observed[:, j]
        cols[f"{camp} sim"] = sim
        cols[f"{camp} data"] = obs
        cols[f"{camp} error"] = np.where(obs > 1e-5, np.abs(sim / np.maximum(obs, 1e-5) - 1.0), 0.0)
    raw = spawn_total(res.scenario, res.observed)[: res.days]
    abs_err = np.abs(val.simulated - val.observed).sum(axis=1)
    cols["Total error"] = np.where(raw > 0, abs_err / np.maximum(raw, 1), 0.0)
    cols["refugees in camps (UNHCR)"] = val.observed.sum(axis=1)
    cols["total refugees (simulation)"] = np.cumsum(res.record.spawned.sum(axis=1))
    cols["raw UNHCR refugee count"] = raw
    cols["refugees in camps (simulation)"] = val.simulated.sum(axis=1)
    cols["refugee_debt"] = np.maximum.accumulate(raw) - raw if len(raw) else raw
    return pd.DataFrame(cols)


def versions() -> dict[str, str]:
    import numba
    import pydantic

    return {
        "corridor": __version__,
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


def _point_observations(res: RunResult, runs: list[RunResult]) -> pd.DataFrame | None:
    """The scenario folder's observations.csv (point observations), with what the runs say of each
    (the mean over `runs`, and their lowest and highest)."""
    from ..evaluate.observations import compare, read_observations

    if not res.scenario.source:
        return None
    path = Path(res.scenario.source) / "observations.csv"
    if not path.is_file():
        return None
    rows = compare(runs, read_observations(path))
    cols = [
        "date",
        "place",
        "metric",
        "value",
        "low",
        "high",
        "simulated",
        "simulated_low",
        "simulated_high",
        "within_range",
    ]
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)


def ensemble_table(runs: list[RunResult]) -> pd.DataFrame:
    """Across an ensemble of seeded runs: mean and 5/50/95th percentiles per day of each place's population
    and each port's waiting list (variable 'population' or 'waitlist')."""
    first = runs[0]
    parts = []
    for variable, names, stack in (
        ("population", first.places, np.stack([r.record.population for r in runs])),
        ("waitlist", first.ports, np.stack([r.record.waitlist for r in runs])),
    ):
        if not names:
            continue
        q = np.percentile(stack, [5, 50, 95], axis=0)
        n = len(names)
        parts.append(
            pd.DataFrame(
                {
                    "day": np.repeat(np.arange(first.days, dtype=np.int32), n),
                    "date": np.repeat(np.array(first.dates, dtype="datetime64[D]"), n),
                    "name": np.tile(np.array(names, dtype=object), first.days),
                    "variable": variable,
                    "mean": stack.mean(axis=0).reshape(-1),
                    "p05": q[0].reshape(-1),
                    "p50": q[1].reshape(-1),
                    "p95": q[2].reshape(-1),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out.attrs["runs"] = len(runs)
    return out


def write_run(
    res: RunResult, out_dir: Path, extra: dict[str, Any] | None = None, ensemble: list[RunResult] | None = None
) -> Path:
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
        flee_out_table(res).to_csv(tmp / "out.csv", index=False, float_format="%.6g")
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
        points = _point_observations(res, ensemble or [res])
        if points is not None:
            points.to_csv(tmp / "points.csv", index=False, float_format="%.6g")
        if ensemble and len(ensemble) > 1:
            write_parquet(ensemble_table(ensemble), tmp / "ensemble.parquet")
            extra = {**(extra or {}), "ensemble_seeds": [r.seed for r in ensemble]}
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
