"""The calibration folder, written by `corridor calibrate` and read back here (the report, posterior runs).

```
DIR/manifest.json      what was calibrated to what: scenario and observations (with hashes), the priors,
                       settings, the observations used and excluded, each generation, versions, timings
DIR/history.db         pyabc's own SQLite history (every generation; `--resume` continues from it)
DIR/posterior.parquet  the last generation: one column per prior (its value as the levers take it),
                       `weight` (summing to 1), `distance`, `particle`
DIR/predictive.parquet each particle's simulated value of each observation used: particle, weight, row,
                       date, place, metric, value, low, high, simulated
```

`Posterior` reads the weighted sample and draws parameter sets from it for runs (`corridor run
--posterior`, `corridor validate --posterior`, what-ifs in `corridor serve`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CorridorError
from ..scenario.model import Prior

MANIFEST = "manifest.json"
HISTORY = "history.db"
POSTERIOR = "posterior.parquet"
PREDICTIVE = "predictive.parquet"
KIND = "corridor-calibration"  # manifest["kind"]: how a calibration folder is told from a run folder


def is_calibration(folder: str | Path) -> bool:
    """Whether `folder` holds a calibration's manifest (a run folder's manifest has no `kind`)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return False
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("kind") == KIND
    except (ValueError, OSError, AttributeError):
        return False


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest of a calibration folder; one-line CorridorError if `folder` is not one."""
    folder = Path(folder)
    if not is_calibration(folder):
        why = "no such folder" if not folder.is_dir() else f"no {MANIFEST} of kind {KIND!r} in it"
        raise CorridorError(
            f"{folder}: not a calibration folder ({why}); expected the --out folder of `corridor calibrate`"
        )
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    """Replace the manifest in one step: an interrupted write leaves the previous one."""
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    tmp.replace(folder / MANIFEST)


def write_table(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_parquet(tmp, index=False)
    tmp.replace(path)


def prior_records(priors: list[Prior]) -> list[dict[str, Any]]:
    """The priors as the manifest keeps them (Prior's fields, and the distribution in words)."""
    return [{**p.model_dump(mode="json"), "describe": p.describe()} for p in priors]


@dataclass
class Posterior:
    """A calibration's weighted posterior sample: `values[name]` per prior (as its levers take it), `weights`
    summing to 1, and the priors (to know each prior's levers)."""

    priors: list[Prior]
    values: pd.DataFrame
    weights: np.ndarray
    folder: Path | None = None
    manifest: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: str | Path) -> Posterior:
        """The posterior of a finished calibration folder; one-line CorridorError otherwise."""
        folder = Path(folder)
        manifest = read_manifest(folder)
        path = folder / POSTERIOR
        if not path.is_file():
            raise CorridorError(
                f"{folder}: the calibration has no {POSTERIOR} (interrupted?); expected a finished "
                "calibration (`corridor calibrate ... --resume` finishes it)"
            )
        priors = [Prior.model_validate({k: v for k, v in r.items() if k != "describe"}) for r in manifest["priors"]]
        df = pd.read_parquet(path)
        missing = [p.name for p in priors if p.name not in df.columns] + (["weight"] if "weight" not in df else [])
        if missing:
            raise CorridorError(f"{path}: no column {missing[0]!r}; expected one column per prior and 'weight'")
        w = df["weight"].to_numpy(np.float64)
        if len(w) == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise CorridorError(f"{path}: column 'weight' is empty or not a set of weights; expected weights >= 0")
        return cls(priors, df[[p.name for p in priors]], w / w.sum(), folder, manifest)

    def __len__(self) -> int:
        return len(self.weights)

    def draw(self, rng: np.random.Generator, k: int) -> list[dict[str, float | int]]:
        """`k` parameter sets drawn with replacement by weight, from `rng`: each a {lever: value} mapping
        with every lever of every prior (a prior with several levers sets them all to its value)."""
        idx = rng.choice(len(self.weights), size=k, replace=True, p=self.weights)
        return [self.levers(int(i)) for i in idx]

    def levers(self, i: int) -> dict[str, float | int]:
        """Particle `i`'s values as {lever: value}."""
        out: dict[str, float | int] = {}
        for p in self.priors:
            v = p.value(self.values[p.name].iloc[i])
            for lever in p.levers:
                out[lever] = v
        return out

    def mean(self) -> dict[str, float]:
        """The weighted mean of each prior, by name."""
        return {p.name: float(np.dot(self.weights, self.values[p.name].to_numpy(np.float64))) for p in self.priors}

    def quantile(self, q: float) -> dict[str, float]:
        """The weighted q-quantile (0 to 1) of each prior, by name."""
        return {
            p.name: weighted_quantile(self.values[p.name].to_numpy(np.float64), self.weights, q) for p in self.priors
        }


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The smallest x whose cumulative weight reaches q (an inverse of the weighted empirical CDF)."""
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    j = int(np.searchsorted(cum, q * cum[-1], side="left"))
    return float(x[order][min(j, len(x) - 1)])
