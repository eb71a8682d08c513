"""The scenario folders a server offers: found under the folders it was given, each read and validated once.

A scenario is named by its path below the folder it was found in (`tijuana-2018`, `flee/burundi2015`);
the server only ever reads a folder through this catalog, so a name from a request can never reach a path
that was not served. A calibration folder given to the server (`corridor serve --posterior DIR`) joins
the scenario it calibrated: that scenario's ensembles can then draw their inputs from its posterior.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import Simulation
from ..errors import CorridorError, ScenarioError
from ..output.calibration import Posterior
from ..scenario.flee import is_flee_folder
from ..scenario.load import load_scenario
from ..scenario.native import is_native_folder
from .levers import GROUP_TITLES, GROUPS, Lever, describe

MAX_DEPTH = 4  # folders below a served folder searched for scenarios
SKIP = {"runs", "node_modules", "__pycache__", "source_data", "input_csv"}


def is_scenario(path: Path) -> bool:
    return is_native_folder(path) or is_flee_folder(path)


def find_scenarios(root: Path, depth: int = MAX_DEPTH) -> list[Path]:
    """Every scenario folder at or below `root` (a scenario folder is not searched further)."""
    if is_scenario(root):
        return [root]
    if depth == 0 or not root.is_dir():
        return []
    found = []
    for child in sorted(root.iterdir()):
        if child.is_dir() and not child.name.startswith(".") and child.name not in SKIP and not child.is_symlink():
            found += find_scenarios(child, depth - 1)
    return found


@dataclass
class Entry:
    name: str
    path: Path
    sim: Simulation
    levers: list[Lever] = field(default_factory=list)
    posterior: Posterior | None = None  # a calibration of this scenario, to draw ensembles' inputs from

    @property
    def scenario(self):
        return self.sim.scenario

    def calibration(self) -> dict[str, Any] | None:
        """What the page says about the posterior it can draw from."""
        post = self.posterior
        if post is None:
            return None
        m = post.manifest
        return {
            "name": post.folder.name if post.folder else "",
            "particles": len(post),
            "effective_sample_size": m.get("effective_sample_size"),
            "known_by": m.get("known_by"),
            "until": m.get("until"),
            "levers": sorted({lever for p in post.priors for lever in p.levers}),
        }

    def summary(self) -> dict[str, Any]:
        sc = self.scenario
        return {
            "name": self.name,
            "title": sc.name,
            "description": getattr(sc, "description", "") or "",
            "format": sc.format,
            "start_date": sc.start_date.isoformat(),
            "days": sc.days,
            "levers": [lv.to_dict() for lv in self.levers],
            "groups": [{"id": g, "title": GROUP_TITLES[g]} for g in GROUPS if any(lv.group == g for lv in self.levers)],
            "posterior": self.calibration(),
        }

    def detail(self) -> dict[str, Any]:
        sc = self.scenario
        out = self.summary()
        out["places"] = [
            {
                "name": p.name,
                "kind": p.kind,
                "country": p.country,
                "lat": p.lat,
                "lon": p.lon,
                "capacity": sc.effective_capacity(p) or None,
            }
            for p in sc.places
        ]
        out["roads"] = [{"a": ln.a, "b": ln.b, "km": ln.distance} for ln in sc.links]
        out["ports"] = [p.place for p in sc.ports]
        return out


class Catalog:
    """name -> scenario, for every scenario folder under the given folders."""

    def __init__(self, roots: Iterable[str | Path], warn=None, posteriors: Iterable[str | Path] = ()) -> None:
        self.entries: dict[str, Entry] = {}
        self.skipped: list[str] = []
        warn = warn or (lambda line: print(line, file=sys.stderr))
        roots = [Path(r) for r in roots]
        for root in roots:
            if not root.exists():
                raise ScenarioError("no such file or folder", file=str(root), expected="a folder of scenarios")
            for path in find_scenarios(root):
                name = path.name if path == root else path.relative_to(root).as_posix()
                if name in self.entries:  # the same name under two served folders: say which folder
                    name = f"{root.name}/{name}"
                try:
                    sim = Simulation(load_scenario(path))
                except CorridorError as exc:
                    # one broken scenario should not keep the others from being served
                    self.skipped.append(f"{path}: {exc}")
                    warn(f"skipped {path}: {exc}")
                    continue
                self.entries[name] = Entry(name, path, sim, describe(sim.scenario))
        for folder in posteriors:
            self.attach(folder, warn)

    def attach(self, folder: str | Path, warn=None) -> Entry:
        """Join the calibration in `folder` to the served scenario it was made on: the one with the same
        content hash, else (with a warning: the scenario changed since) the one with the same name."""
        warn = warn or (lambda line: print(line, file=sys.stderr))
        post = Posterior.read(folder)
        made_on = post.manifest.get("scenario", {})
        same = [e for e in self.entries.values() if e.scenario.content_hash() == post.manifest.get("scenario_hash")]
        if not same:
            same = [e for e in self.entries.values() if e.scenario.name == made_on.get("name")]
            if same:
                warn(
                    f"warning: {folder}: calibrated on another version of {same[0].name} "
                    f"({made_on.get('source')}); its posterior is used as it is"
                )
        if not same:
            raise CorridorError(
                f"{folder}: a calibration of {made_on.get('name')!r}, which is not served here; expected a "
                f"calibration of one of: {', '.join(self.names())}"
            )
        entry = same[0]
        if entry.posterior is not None:
            raise CorridorError(
                f"{folder}: {entry.name} already draws from {entry.posterior.folder}; expected one calibration "
                "per scenario"
            )
        entry.posterior = post
        return entry

    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def get(self, name: str) -> Entry | None:
        return self.entries.get(name)

    def names(self) -> list[str]:
        return list(self.entries)
