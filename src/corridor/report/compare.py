"""What differs between two run folders (two policies): the figures a planner asks about first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..output.runfolder import Run, load_run


def _port_rows(run: Run) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    if run.ports is None:
        return out
    for port in run.ports["port"].astype(str).unique():
        d = run.ports[run.ports["port"].astype(str) == port]
        row = {
            "claims processed": float(d["processed"].sum()),
            "longest waiting list": float(d["waitlist"].max()),
            "waiting list at the end": float(d["waitlist"].iloc[-1]),
        }
        if run.waits is not None:
            w = run.waits.loc[run.waits["port"].astype(str) == port, "days_waited"].to_numpy()
            row["median wait (days)"] = float(np.median(w)) if len(w) else float("nan")
            row["90th percentile wait (days)"] = float(np.percentile(w, 90)) if len(w) else float("nan")
        out[port] = row
    return out


def _place_rows(run: Run) -> dict[str, dict[str, float]]:
    wide = run.wide("population")
    arrivals = run.wide("arrivals").sum()
    out = {}
    caps = run.capacities()  # the capacity the model used, as run (overrides, hasten, capacity_scaling)
    for place in wide.columns:
        row = {
            "arrivals": float(arrivals[place]),
            "peak people": float(wide[place].max()),
            "people at the end": float(wide[place].iloc[-1]),
        }
        if place in caps:
            row["capacity"] = float(caps[place])
            row["peak crowding (share of capacity)"] = float(wide[place].max() / caps[place])
        out[place] = row
    return out


def _param_rows(ra: Run, rb: Run) -> dict[str, tuple[Any, Any]]:
    """The levers whose values differ between the two runs' scenarios as run (None: not a lever of that run)."""
    if ra.scenario is None or rb.scenario is None:  # nothing to compare against
        return {}
    pa, pb = ra.params(), rb.params()
    names = dict.fromkeys([*pa, *pb])
    return {k: (pa.get(k), pb.get(k)) for k in names if pa.get(k) != pb.get(k)}


def compare_runs(a: str | Path, b: str | Path, top: int = 12) -> dict[str, Any]:
    """Side-by-side figures for two run folders: totals, ports, and the places that differ most."""
    ra, rb = load_run(a), load_run(b)
    totals = {
        "people": (float(ra.manifest.get("agents", 0)), float(rb.manifest.get("agents", 0))),
        "agent-days": (float(ra.manifest.get("agent_days", 0)), float(rb.manifest.get("agent_days", 0))),
    }
    if ra.ard_mean is not None and rb.ard_mean is not None:
        totals["ARD (mean over days)"] = (ra.ard_mean, rb.ard_mean)
    if ra.states is not None and rb.states is not None:  # where everyone is at the end: crossings, returns...
        for col in ra.states.columns:
            if col in ("day", "date") or col not in rb.states.columns:
                continue
            a_end, b_end = float(ra.states[col].iloc[-1]), float(rb.states[col].iloc[-1])
            if a_end or b_end:
                totals[f"{col.replace('_', ' ')} at the end"] = (a_end, b_end)
    if "moved_away" in ra.places.columns and "moved_away" in rb.places.columns:
        moved_ab = (float(ra.places["moved_away"].sum()), float(rb.places["moved_away"].sum()))
        if any(moved_ab):
            totals["moved to another city (all days)"] = moved_ab
    ports: dict[str, dict[str, tuple[float, float]]] = {}
    pa, pb = _port_rows(ra), _port_rows(rb)
    for port in pa.keys() & pb.keys():
        ports[port] = {k: (pa[port][k], pb[port][k]) for k in pa[port] if k in pb[port]}
    la, lb = _place_rows(ra), _place_rows(rb)
    common = la.keys() & lb.keys()
    moved = sorted(common, key=lambda p: -abs(la[p]["peak people"] - lb[p]["peak people"]))[:top]
    places = {p: {k: (la[p][k], lb[p][k]) for k in la[p] if k in lb[p]} for p in moved}
    return {
        "a": ra.label,
        "b": rb.label,
        "parameters": _param_rows(ra, rb),
        "overrides": (ra.overrides, rb.overrides),
        "totals": totals,
        "ports": ports,
        "places": places,
    }
