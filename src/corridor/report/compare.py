"""What differs between two run folders (two policies): the figures a planner asks about first.

Two single runs are compared figure by figure (`compare_runs`). Two ensembles run with common random
numbers (the same seeds and, with --posterior, the same parameter draws: `corridor run --runs K` with
the same --seed, --runs, --days and --posterior) are compared run by run (`compare_ensembles`): run i of B
less run i of A, so that what differs between two runs of a pair is the policy and nothing else. Each
figure is then the median over the pairs of that difference, its 90% interval (the 5th to the 95th
percentile of the paired differences) and the probability that B is better: the share of pairs in which
B's figure is better than A's, ties counting half.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import states
from ..errors import CorridorError
from ..output.runfolder import DRAWS, ENSEMBLE, Run, load_run
from ..output.summary import histogram_quantile, read_summary


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


# ---------------------------------------------------------------- two ensembles, paired run by run

# Which way is better, for the figures where the comparison says so. Each is a value judgement
# (docs/policies.md): fewer people waiting, waiting less, over a shelter's capacity, giving up and going
# home, deported or crossing between ports; more claims heard and more asylum granted. The others (people
# in custody, waiting in the US or in Mexico, asking for refuge in Mexico, a shelter's peak) have no side.
LOWER, HIGHER = "lower", "higher"
STATE_BETTER = {
    "on_list": LOWER,
    "returned_home": LOWER,
    "deported": LOWER,
    "crossed_undetected": LOWER,
    "granted": HIGHER,
}
CRN_HINT = "run both with the same --posterior, --runs, --seed and --days"


def _check_common(ra: Run, rb: Run, sa: list, sb: list) -> pd.DataFrame | None:
    """CorridorError (one line, naming B's folder) unless the two ensembles share their random numbers: as
    many runs, the same seeds in the same order, as many days, and the same posterior draws (or none).
    Returns the draws (None without a posterior)."""
    a, b = ra.path, rb.path
    if len(sa) != len(sb):
        raise CorridorError(f"{b}: {len(sb)} runs against {len(sa)} in {a}; the runs are paired, so {CRN_HINT}")
    seeds_a, seeds_b = [s.seed for s in sa], [s.seed for s in sb]
    if seeds_a != seeds_b:
        i = next(i for i, (x, y) in enumerate(zip(seeds_a, seeds_b, strict=True)) if x != y)
        raise CorridorError(
            f"{b}: run {i} has seed {seeds_b[i]}, against seed {seeds_a[i]} in {a}; "
            f"the runs are paired on common random numbers, so {CRN_HINT}"
        )
    days_a, days_b = sa[0].days, sb[0].days
    if days_a != days_b:
        raise CorridorError(f"{b}: {days_b} days against {days_a} in {a}; the runs are paired, so {CRN_HINT}")
    da, db = ra.draws(), rb.draws()
    if (da is None) != (db is None):
        has, lacks = (a, b) if db is None else (b, a)
        raise CorridorError(
            f"{lacks}: no posterior draws ({ENSEMBLE}/{DRAWS}) where {has} has them; the runs are paired on "
            f"common random numbers, so {CRN_HINT}"
        )
    if da is None or db is None:
        return None
    if list(da.columns) != list(db.columns):
        only = sorted(set(da.columns) ^ set(db.columns)) or list(db.columns)
        raise CorridorError(
            f"{b}: its posterior draws are of other levers than {a}'s ({only[0]}); they come from another "
            f"calibration, so {CRN_HINT}"
        )
    for col in da.columns:
        va, vb = da[col].to_numpy(), db[col].to_numpy()
        if len(va) != len(vb) or not np.array_equal(va, vb):
            i = next((i for i, (x, y) in enumerate(zip(va, vb, strict=False)) if x != y), min(len(va), len(vb)))
            raise CorridorError(
                f"{b}: its posterior draws differ from {a}'s ({col} in run {i}); the runs are paired on "
                f"common random numbers, so {CRN_HINT}"
            )
    return da


def _per_run(summaries: list, caps: dict[str, float]) -> dict[str, tuple[list[str], np.ndarray]]:
    """Each run's figures, stacked over the runs: name -> (the names along its second axis, runs x names)."""
    first = summaries[0]

    def stack(fn: Any, var: str) -> tuple[list[str], np.ndarray]:
        return first.names[var], np.stack([fn(s.series[var]).astype(np.float64) for s in summaries])

    out = {
        "list at the end": stack(lambda x: x[-1], "waitlist"),
        "longest list": stack(lambda x: x.max(axis=0, initial=0), "waitlist"),
        "claims processed": stack(lambda x: x.sum(axis=0), "processed"),
        "at the end": stack(lambda x: x[-1], "states"),
        "peak people": stack(lambda x: x.max(axis=0, initial=0), "population"),
        "people at the end": stack(lambda x: x[-1], "population"),
    }
    # each run's own capacities (a posterior may draw one; NaN: none), the run folder's for older summaries
    places, peak = out["peak people"]
    own = np.array([caps.get(n, np.nan) for n in places])
    cap = np.stack([own if s.capacity is None else s.capacity for s in summaries])  # runs x places
    over = np.stack([(s.series["population"] > c).sum(axis=0) for s, c in zip(summaries, cap, strict=True)])
    out["capacity"] = places, cap
    out["peak over capacity"] = places, np.where(np.isnan(cap), 0.0, np.maximum(peak - cap, 0))
    out["days over capacity"] = places, over.astype(np.float64)
    if all("waited" in s.series for s in summaries):  # summaries written before 12/2026 have no histogram
        hist = np.stack([s.series["waited"] for s in summaries])
        out["median wait"] = first.names["waited"], histogram_quantile(hist, 50)
        out["90th percentile wait"] = first.names["waited"], histogram_quantile(hist, 90)
    return out


def paired(a: np.ndarray, b: np.ndarray, better: str | None) -> dict[str, Any]:
    """One figure over paired runs: A's and B's medians, the median of the differences B - A, their 90%
    interval (5th-95th percentile), and the share of pairs where B is better (ties half; None without a
    side). Pairs where either has no value (a wait when nobody was processed) are left out."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ok = ~(np.isnan(a) | np.isnan(b))
    d = b[ok] - a[ok]
    row: dict[str, Any] = {"better": better, "pairs": int(ok.sum())}
    if not ok.any():
        return {**row, "a": None, "b": None, "difference": None, "p05": None, "p95": None, "p_b_better": None}
    p05, med, p95 = np.percentile(d, [5, 50, 95])
    p = None
    if better is not None:
        wins = (d < 0) if better == LOWER else (d > 0)
        p = float((wins.sum() + 0.5 * (d == 0).sum()) / len(d))
    return {
        **row,
        "a": float(np.median(a[ok])),
        "b": float(np.median(b[ok])),
        "difference": float(med),
        "p05": float(p05),
        "p95": float(p95),
        "p_b_better": p,
    }


def compare_ensembles(a: str | Path, b: str | Path, top: int = 5) -> dict[str, Any]:
    """Two ensembles run with common random numbers, compared run by run (module docstring): for each
    port its list at the end, longest list, claims processed and waits; the people in each state at the
    end; each place with a capacity, its capacity (each run's own: a posterior may draw it), its peak, the
    people over capacity at the peak and the days over capacity; and the `top` other places whose people at
    the end changed most (by the median paired difference). CorridorError
    (one line) unless both are ensembles of the same seeds, days and posterior draws."""
    ra, rb = load_run(a), load_run(b)
    ea, eb = ra.runs(), rb.runs()
    if ea is None or eb is None:
        one, other, ens = (ra, rb, eb) if ea is None else (rb, ra, ea)
        raise CorridorError(
            f"{one.path}: a single run, where {other.path} is an ensemble of {ens.runs if ens else 1} runs; "
            f"to compare two ensembles on common random numbers, {CRN_HINT}"
        )
    sa, sb = [read_summary(p) for p in ea.check().paths()], [read_summary(p) for p in eb.check().paths()]
    draws = _check_common(ra, rb, sa, sb)
    fa, fb = _per_run(sa, ra.capacities()), _per_run(sb, rb.capacities())

    def figure(key: str, name: str, better: str | None) -> dict[str, Any] | None:
        if key not in fa or key not in fb or name not in fa[key][0] or name not in fb[key][0]:
            return None
        return paired(fa[key][1][:, fa[key][0].index(name)], fb[key][1][:, fb[key][0].index(name)], better)

    sections: dict[str, dict[str, dict[str, Any]]] = {}
    ends = {}
    for st in states.counted():
        row = figure("at the end", st.name, STATE_BETTER.get(st.name))
        if row is not None and (row["a"] or row["b"] or row["p05"] or row["p95"]):
            ends[st.name.replace("_", " ")] = row
    sections["people in each state at the end"] = ends
    port_figures = (
        ("list at the end", "waiting list at the end", LOWER),
        ("longest list", "longest waiting list", LOWER),
        ("claims processed", "claims processed", HIGHER),
        ("median wait", "median wait (days)", LOWER),
        ("90th percentile wait", "90th percentile wait (days)", LOWER),
    )
    for port in fa["list at the end"][0]:
        rows = {label: r for key, label, better in port_figures if (r := figure(key, port, better)) is not None}
        if rows:
            sections[f"port {port}"] = rows
    others: list[str] = []
    for place in fa["peak people"][0]:
        if place not in fb["peak people"][0]:
            continue
        cap_a = fa["capacity"][1][:, fa["capacity"][0].index(place)]
        cap_b = fb["capacity"][1][:, fb["capacity"][0].index(place)]
        if np.isnan(cap_a).all() and np.isnan(cap_b).all():
            others.append(place)
            continue
        rows = {}
        for key, label, better in (
            ("capacity", "capacity", None),
            ("peak people", "peak people", None),
            ("people at the end", "people at the end", None),
            ("peak over capacity", "people over capacity at the peak", LOWER),
            ("days over capacity", "days over capacity", LOWER),
        ):
            if (r := figure(key, place, better)) is not None:
                rows[label] = r
        if rows and (rows["peak people"]["a"] or rows["peak people"]["b"]):
            sections[f"place {place}"] = rows
    moved = {p: r for p in others if (r := figure("people at the end", p, None)) and r["difference"]}
    for place in sorted(moved, key=lambda p: (-abs(moved[p]["difference"]), p))[:top]:
        sections[f"place {place}"] = {
            "people at the end": moved[place],
            "peak people": figure("peak people", place, None),
        }
    start = pd.Timestamp(ra.manifest["scenario"]["start_date"])
    return {
        "a": ra.label,
        "b": rb.label,
        "runs": len(sa),
        "seeds": [s.seed for s in sa],
        "days": sa[0].days,
        "last_date": (start + pd.Timedelta(days=sa[0].days - 1)).date().isoformat(),
        "posterior_levers": [c for c in draws.columns if c not in ("run", "seed")] if draws is not None else [],
        "parameters": _param_rows(ra, rb),
        "overrides": (ra.overrides, rb.overrides),
        "interval": "5th to 95th percentile of the paired differences B - A",
        "sections": sections,
    }


def compare(a: str | Path, b: str | Path) -> dict[str, Any]:
    """Two run folders compared: two single runs figure by figure (`compare_runs`), two ensembles run by run
    on common random numbers (`compare_ensembles`, whose result has "sections")."""
    ra_runs = (Path(a) / ENSEMBLE).is_dir()
    rb_runs = (Path(b) / ENSEMBLE).is_dir()
    if not ra_runs and not rb_runs:
        return compare_runs(a, b)
    return compare_ensembles(a, b)
