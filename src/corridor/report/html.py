"""`corridor report`: one self-contained HTML page (and PNG figures) for one run folder, or two compared.

The page has no scripts and loads nothing from the network: figures are embedded as base64 PNG, the
basemap is Natural Earth's 1:110m country outlines shipped in corridor/data/ (public domain).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import states
from ..errors import CorridorError
from ..output.runfolder import Run, load_run

BASEMAP = Path(__file__).resolve().parents[1] / "data" / "countries-110m.geojson"  # corridor/data/
MAX_PLACES = 24  # places drawn in the time-series grid
KIND_COLOURS = {
    "conflict_zone": "#d62728",
    "town": "#7f7f7f",
    "camp": "#2ca02c",
    "idp_camp": "#98df8a",
    "shelter": "#1f77b4",
    "port_of_entry": "#9467bd",
}
RUN_COLOURS = ("#1f77b4", "#ff7f0e")


# ---------------------------------------------------------------- figures


def _figure(w: float, h: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=100, layout="constrained")
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _date_axis(ax) -> None:
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator(maxticks=5)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def fig_places(runs: list[Run]) -> tuple[Any | None, str]:
    """Small multiples: population per place over time, observed camp counts overlaid."""
    wides = [r.wide() for r in runs]
    observed: dict[str, pd.Series] = {}
    for r in runs:
        for k, v in r.observed.items():
            observed.setdefault(k, v)
    common = [p for p in wides[0].columns if all(p in w.columns for w in wides[1:])]
    peak = pd.concat([w[common].max() for w in wides], axis=1).max(axis=1)
    # camps with observations first, then the busiest places
    order = sorted(common, key=lambda p: (p not in observed, -float(peak[p])))
    shown = order[:MAX_PLACES]
    note = ""
    if len(common) > len(shown):
        note = f"{len(shown)} of {len(common)} places shown (observed camps first, then by peak population)."
    if len(runs) > 1:
        only = sorted(set().union(*(set(w.columns) for w in wides)) - set(common))
        if only:
            note += f" Not in both runs (not drawn): {', '.join(only)}."
    if not shown:
        return None, (note + " No place is in both runs: nothing to draw.").strip()
    ncol = min(4, len(shown))
    nrow = math.ceil(len(shown) / ncol) or 1
    fig = _figure(3.2 * ncol, 2.3 * nrow)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False).ravel())
    for ax, place in zip(axes, shown, strict=False):
        for i, (r, w) in enumerate(zip(runs, wides, strict=True)):
            ax.plot(w.index, w[place], color=RUN_COLOURS[i % 2], lw=1.4, label=f"{r.label} (simulated)")
            b = r.band(place, "population")
            if b is not None:
                ax.fill_between(
                    b["date"],
                    b["p05"],
                    b["p95"],
                    color=RUN_COLOURS[i % 2],
                    alpha=0.25,
                    lw=0,
                    label=f"{r.label}: 5-95% over seeds",
                )
        if place in observed:
            ax.plot(observed[place].index, observed[place], "k--", lw=1.1, label="observed")
        pts = runs[0].points
        sc = runs[0].scenario
        # a city's reported count covers the places within it, not the one curve drawn here
        is_city = sc is not None and any(p.within == place for p in sc.places)
        if pts is not None and not is_city:
            mine = pts[(pts["place"] == place) & (pts["metric"] == "present")]
            if len(mine):
                ax.errorbar(
                    mine["date"],
                    mine["value"],
                    yerr=[mine["value"] - mine["low"], mine["high"] - mine["value"]],
                    fmt="o",
                    color="k",
                    ms=3,
                    capsize=2,
                    lw=1,
                    label="reported (range)",
                )
        ax.set_title(place, fontsize=9)
        ax.tick_params(labelsize=7)
        _date_axis(ax)
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    handles, labels = [], []
    for ax in axes[: len(shown)]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    if labels:
        fig.legend(handles, labels, loc="outside upper center", ncol=len(labels), fontsize=8)
    return fig, note.strip()


def fig_points(runs: list[Run]) -> Any | None:
    """Every point observation: the reported range and best figure, the range accepted as a match
    ([0.8 x low, 1.2 x high]), and each run's value with its seeds' spread (log scale); misses hollow."""
    pts = runs[0].points
    if pts is None or not len(pts):
        return None
    n = len(pts)
    fig = _figure(10, 0.28 * n + 1.6)
    ax = fig.subplots()
    y = np.arange(n)[::-1]
    low, high = pts["low"].to_numpy(dtype=float), pts["high"].to_numpy(dtype=float)
    ax.hlines(y, np.clip(0.8 * low, 0.5, None), np.clip(1.2 * high, 0.5, None), color="0.85", lw=9,
              label="accepted (0.8 x low to 1.2 x high)")  # fmt: skip
    ax.hlines(y, np.clip(low, 0.5, None), np.clip(high, 0.5, None), color="0.55", lw=4, label="reported range")
    ax.plot(pts["value"].clip(lower=0.5), y, "k|", ms=10, label="reported best figure")
    titles = []
    for i, r in enumerate(runs):
        if r.points is None:
            continue
        colour = RUN_COLOURS[i % 2]
        sim = r.points["simulated"].to_numpy(dtype=float)
        ok = np.isfinite(sim)
        hit = r.points["within_range"].fillna(False).astype(bool).to_numpy() & ok
        dy = 0.18 * (i - 0.5 * (len(runs) - 1))  # two runs side by side on each row
        if {"simulated_low", "simulated_high"} <= set(r.points.columns):  # the spread over seeds
            lo = r.points["simulated_low"].to_numpy(dtype=float)[ok]
            hi = r.points["simulated_high"].to_numpy(dtype=float)[ok]
            ax.hlines(y[ok] + dy, np.clip(lo, 0.5, None), np.clip(hi, 0.5, None), color=colour, lw=1)
        ax.plot(np.clip(sim[hit], 0.5, None), y[hit] + dy, "o", color=colour, ms=5, label=f"{r.label}: in range")
        miss = ok & ~hit
        if miss.any():
            ax.plot(np.clip(sim[miss], 0.5, None), y[miss] + dy, "o", mfc="white", mec=colour, mew=1.5, ms=6,
                    label=f"{r.label}: outside")  # fmt: skip
        titles.append(f"{r.label}: {int(hit.sum())} of {int(ok.sum())} in range")
    labels = [f"{d:%d %b} {p} {m}" for d, p, m in zip(pts["date"], pts["place"], pts["metric"], strict=True)]
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_xscale("log")
    ax.set_title("; ".join(titles), fontsize=9)
    ax.set_xlabel("people (log scale); line through a dot: lowest to highest over seeds; no dot: a metric the "
                  "scenario does not produce", fontsize=8)  # fmt: skip
    ax.legend(fontsize=7, loc="lower right")
    return fig


SHELTER_KINDS = ("shelter", "camp", "idp_camp")


def _capacities(runs: list[Run]) -> dict[str, list[float | None]]:
    """Shelters and camps present in every run that have a capacity in at least one: the capacity each run's
    model used there (Scenario.effective_capacity of the scenario as run; None where it had none or the run's
    scenario could not be read). In the order of the first readable scenario, at most MAX_PLACES."""
    scenarios = [r.scenario for r in runs if r.scenario is not None]
    if not scenarios:
        return {}
    names = set.intersection(*(set(r.places["place"].astype(str).unique()) for r in runs))
    per_run = [r.capacities() for r in runs]
    out = {}
    for p in scenarios[0].places:
        if p.kind in SHELTER_KINDS and p.name in names and any(p.name in c for c in per_run):
            out[p.name] = [c.get(p.name) for c in per_run]
    return dict(list(out.items())[:MAX_PLACES])


def _capacity_text(caps: list[float | None]) -> str:
    known = [c for c in caps if c is not None]
    if len(set(known)) == 1 and len(known) == len(caps):
        return f"{known[0]:,.0f}"
    return " / ".join("none" if c is None else f"{c:,.0f}" for c in caps)


def fig_occupancy(runs: list[Run]) -> Any | None:
    """Shelters and camps with a capacity: people against the capacity each run used, over time."""
    caps = _capacities(runs)
    if not caps:
        return None
    wides = [r.wide() for r in runs]
    shown = list(caps)
    ncol = min(4, len(shown))
    nrow = math.ceil(len(shown) / ncol)
    fig = _figure(3.2 * ncol, 2.3 * nrow)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False).ravel())
    for ax, name in zip(axes, shown, strict=False):
        for i, (r, w) in enumerate(zip(runs, wides, strict=True)):
            ax.plot(w.index, w[name], color=RUN_COLOURS[i % 2], lw=1.4, label=r.label)
        for i, cap in enumerate(caps[name]):
            if cap is None:
                continue
            # one run: the classic red dashed line; two: each run's capacity in its own colour
            colour = "firebrick" if len(runs) == 1 else RUN_COLOURS[i % 2]
            lab = "capacity" if len(runs) == 1 else f"{runs[i].label}: capacity"
            ax.axhline(cap, color=colour, ls="--", lw=1, label=lab)
        ax.set_title(f"{name} (capacity {_capacity_text(caps[name])})", fontsize=9)
        ax.tick_params(labelsize=7)
        _date_axis(ax)
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7)
    return fig


def _basemap(ax, x0: float, x1: float, y0: float, y1: float) -> bool:
    from matplotlib.collections import PolyCollection

    try:
        fc = json.loads(BASEMAP.read_text())
    except OSError:
        return False
    polys = []
    for feat in fc["features"]:
        g = feat["geometry"]
        rings = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        for poly in rings:
            outer = np.asarray(poly[0])
            if outer[:, 0].max() < x0 or outer[:, 0].min() > x1 or outer[:, 1].max() < y0 or outer[:, 1].min() > y1:
                continue
            polys.append(outer)
    ax.add_collection(PolyCollection(polys, facecolor="#f2efe6", edgecolor="#9a9a9a", linewidth=0.6, zorder=0))
    ax.set_facecolor("#dcebf5")
    return True


def _has_coordinates(sc) -> bool:
    return sum(1 for p in sc.places if (p.lat, p.lon) != (0.0, 0.0)) >= 2


def _road_flows(run: Run, first: int, last: int) -> np.ndarray:
    """(links, 2): people who set out along each scenario road a -> b and b -> a on days [first, last]."""
    sc = run.scenario
    out = np.zeros((len(sc.links), 2))
    lk = run.links
    if lk is None or not len(lk):
        return out
    sel = lk[(lk["day"] >= first) & (lk["day"] <= last)]
    totals = sel.groupby([sel["from"].astype(str), sel["to"].astype(str)])["set_out"].sum().to_dict()
    for j, link in enumerate(sc.links):
        out[j, 0] = totals.get((link.a, link.b), 0)
        out[j, 1] = totals.get((link.b, link.a), 0)
    return out


def _draw_roads(ax, sc, flows: np.ndarray | None, scale: float, colour: str, offset: float = 0.0) -> None:
    """Roads as thin lines; with `flows`, width grows with the people who set out along them and an
    arrow points the way most of them went. `offset` (degrees) shifts a second run's roads sideways."""
    places = {p.name: p for p in sc.places}
    for j, link in enumerate(sc.links):
        a, b = places[link.a], places[link.b]
        x = np.array([a.lon, b.lon])
        y = np.array([a.lat, b.lat])
        if offset:
            dx, dy = x[1] - x[0], y[1] - y[0]
            norm = math.hypot(dx, dy) or 1.0
            x, y = x - offset * dy / norm, y + offset * dx / norm
        ax.plot(x, y, color="#555555", lw=0.6, alpha=0.6, zorder=1)
        if flows is None:
            continue
        total = flows[j].sum()
        if total <= 0:
            continue
        ax.plot(x, y, color=colour, lw=0.8 + 9.0 * total / scale, alpha=0.55, solid_capstyle="round", zorder=1.5)
        fwd, back = flows[j]
        if max(fwd, back) >= 0.6 * total:  # a clear direction: arrow at mid-road
            if back > fwd:
                x, y = x[::-1], y[::-1]
            ax.annotate(
                "",
                xy=(x[0] + 0.58 * (x[1] - x[0]), y[0] + 0.58 * (y[1] - y[0])),
                xytext=(x[0] + 0.42 * (x[1] - x[0]), y[0] + 0.42 * (y[1] - y[0])),
                arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 0.8, "mutation_scale": 9},
                zorder=1.6,
            )


def _map_frame(sc) -> tuple[float, float, float, float, float]:
    lon = np.array([p.lon for p in sc.places])
    lat = np.array([p.lat for p in sc.places])
    pad_x = max(1.0, 0.12 * (lon.max() - lon.min()))
    pad_y = max(1.0, 0.12 * (lat.max() - lat.min()))
    x0, x1, y0, y1 = lon.min() - pad_x, lon.max() + pad_x, lat.min() - pad_y, lat.max() + pad_y
    aspect = 1.0 / max(0.2, math.cos(math.radians((y0 + y1) / 2)))
    return x0, x1, y0, y1, aspect


def _flow_legend(fig, scale: float, colours: list[tuple[str, str]]) -> None:
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color="#777777", lw=0.8 + 9.0 * f, alpha=0.55, label=f"{scale * f:,.0f} set out")
        for f in (0.1, 0.5, 1.0)
    ]
    handles += [Line2D([], [], color=c, lw=4, alpha=0.55, label=lab) for c, lab in colours]
    fig.legend(handles=handles, loc="outside upper center", ncol=len(handles), fontsize=8, frameon=False)


def fig_map(run: Run, days: list[int] | None = None, *, title: str = "") -> Any:
    """Places and roads on country outlines: marker area ~ people at the place on each of `days` (last
    by default); road width ~ people who set out along it since the previous panel (the whole run for
    the first panel)."""
    sc = run.scenario
    wide = run.wide()
    days = days or [len(wide) - 1]
    lon = np.array([p.lon for p in sc.places])
    lat = np.array([p.lat for p in sc.places])
    x0, x1, y0, y1, aspect = _map_frame(sc)
    n = len(days)
    ncol = min(n, 2)
    nrow = math.ceil(n / ncol)
    w = 9.0 if n == 1 else 5.5 * ncol
    h = w / ncol * (y1 - y0) * aspect / (x1 - x0) * nrow + 0.9
    fig = _figure(w, min(max(h, 3.0), 14.0))
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    vmax = float(np.nanmax(wide.to_numpy())) if wide.size else 1.0
    windows = [(0 if k == 0 else days[k - 1] + 1, d) for k, d in enumerate(days)]
    if n > 1:
        windows[0] = (0, days[0])
    flows = [_road_flows(run, a, b) for a, b in windows] if run.links is not None else None
    scale = max([f.sum(axis=1).max() for f in flows if f.size] + [1.0]) if flows else 1.0
    for k, (ax, day) in enumerate(zip(axes, days, strict=False)):
        _basemap(ax, x0, x1, y0, y1)
        _draw_roads(ax, sc, flows[k] if flows else None, scale, "#b5651d")
        row = wide.iloc[day]
        names = [p.name for p in sc.places]
        pop = np.array([float(row.get(n, 0.0)) for n in names])
        sizes = 8 + 900 * np.sqrt(pop / max(vmax, 1.0))
        colours = [KIND_COLOURS.get(p.kind, "#333333") for p in sc.places]
        ax.scatter(lon, lat, s=sizes, c=colours, alpha=0.75, edgecolors="white", linewidths=0.6, zorder=2)
        if n == 1:
            top = set(np.argsort(-pop)[:12])
            for j, p in enumerate(sc.places):
                if j in top or p.kind in ("camp", "port_of_entry"):
                    ax.annotate(p.name, (p.lon, p.lat), fontsize=7, xytext=(4, 4), textcoords="offset points")
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect(aspect)
        a, b = windows[k]
        span = f"; roads: {wide.index[a].date()} to {wide.index[b].date()}" if flows else ""
        ax.set_title(f"{wide.index[day].date()} (day {day}){span}", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[n:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    from matplotlib.lines import Line2D

    kinds = sorted({p.kind for p in sc.places})
    handles = [Line2D([], [], marker="o", ls="", color=KIND_COLOURS.get(k, "#333333"), label=k) for k in kinds]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(kinds), fontsize=8)
    if flows:
        _flow_legend(fig, scale, [])
    return fig


def fig_map_compare(runs: list[Run]) -> Any:
    """Two runs of one network on one map: each run's road flows over the whole run (side by side) and
    people at each place on the last day (A filled, B ring)."""
    sc = runs[0].scenario
    x0, x1, y0, y1, aspect = _map_frame(sc)
    w = 10.0
    fig = _figure(w, min(max(w * (y1 - y0) * aspect / (x1 - x0) + 1.0, 3.5), 14.0))
    ax = fig.subplots()
    _basemap(ax, x0, x1, y0, y1)
    flows = [_road_flows(r, 0, len(r.wide()) - 1) if r.links is not None else None for r in runs]
    scale = max([f.sum(axis=1).max() for f in flows if f is not None and f.size] + [1.0])
    shift = 0.004 * max(x1 - x0, y1 - y0)
    for i, f in enumerate(flows):
        _draw_roads(ax, sc, f, scale, RUN_COLOURS[i], offset=(-shift if i == 0 else shift))
    lon = np.array([p.lon for p in sc.places])
    lat = np.array([p.lat for p in sc.places])
    pops = []
    for r in runs:
        row = r.wide().iloc[-1]
        pops.append(np.array([float(row.get(p.name, 0.0)) for p in sc.places]))
    vmax = max(float(p.max()) for p in pops) or 1.0
    ax.scatter(lon, lat, s=8 + 900 * np.sqrt(pops[0] / vmax), c=RUN_COLOURS[0], alpha=0.45, zorder=2)
    ax.scatter(
        lon, lat, s=8 + 900 * np.sqrt(pops[1] / vmax), facecolors="none", edgecolors=RUN_COLOURS[1], lw=1.4, zorder=3
    )
    diff = np.abs(pops[1] - pops[0])
    shown = [j for j in np.argsort(-diff)[:6] if diff[j] > 0.1 * diff.max()]
    for k, j in enumerate(shown):  # staggered: the places that differ most are often neighbours
        p = sc.places[j]
        ax.annotate(
            f"{p.name}: {pops[0][j]:,.0f} / {pops[1][j]:,.0f}",
            (p.lon, p.lat),
            fontsize=7,
            xytext=(8, -12 - 11 * k),
            textcoords="offset points",
            arrowprops={"arrowstyle": "-", "color": "#666666", "lw": 0.5},
        )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(aspect)
    ax.tick_params(labelsize=7)
    ax.set_title(
        f"{runs[0].label} (blue, filled) and {runs[1].label} (orange, ring): people on the last day; "
        "roads: people who set out along them over the run",
        fontsize=9,
    )
    _flow_legend(fig, scale, [(RUN_COLOURS[i], r.label) for i, r in enumerate(runs)])
    return fig


def port_capacity(run: Run, port: str) -> np.ndarray | None:
    """Claims `port` could take on each day of the run, as the engine computed them from the scenario as run
    (capacity_per_day, its dated changes or fixed_capacity, less the hours closed); None where the run's
    scenario is unknown or has no such port."""
    sc = run.scenario
    names = [p.place for p in sc.ports] if sc is not None else []
    if port not in names:
        return None
    from ..sim.network import compile_network  # the engine's own reading of the port's dated capacity

    net = compile_network(sc)
    k = names.index(port)
    days = int(run.manifest["scenario"].get("days") or sc.days)
    return net.port_capacity[:days, k] * (1.0 - net.port_closed_hours[:days, k] / 24.0)


def port_capacity_text(run: Run, port: str) -> str:
    """The port's capacity as run in words: '100 claims a day', or its range when it changed."""
    cap = port_capacity(run, port)
    if cap is None or not len(cap):
        return "unknown (the run's scenario could not be read)"
    lo, hi = float(cap.min()), float(cap.max())
    if lo == hi:
        return f"{lo:,.4g} claims a day"
    return f"{lo:,.4g} to {hi:,.4g} claims a day (dated changes or hours closed)"


def fig_port(runs: list[Run], port: str) -> Any:
    fig = _figure(16, 3.2)
    ax1, ax2, ax3, ax4 = fig.subplots(1, 4)
    for i, r in enumerate(runs):
        d = r.ports[r.ports["port"].astype(str) == port]
        c = RUN_COLOURS[i % 2]
        lab = r.label if len(runs) > 1 else None
        cap = port_capacity(r, port)
        if cap is not None:  # the day's capacity as run, so a --set run draws its own
            ax2.plot(d["date"], cap[: len(d)], color=c, ls="--", lw=1, alpha=0.8,
                     label=f"{r.label} capacity" if lab else "capacity")  # fmt: skip
        ax1.plot(d["date"], d["waitlist"], color=c, label=lab)
        b = r.band(port, "waitlist")
        if b is not None:
            ax1.fill_between(b["date"], b["p05"], b["p95"], color=c, alpha=0.25, lw=0, label="5-95% over seeds")
        ax2.step(d["date"], d["processed"], where="mid", color=c, label=f"{r.label} processed" if lab else "processed")
        ax2.step(
            d["date"],
            d["signups"],
            where="mid",
            color=c,
            ls=":",
            alpha=0.8,
            label=f"{r.label} signups" if lab else "signups",
        )
        ax3.plot(d["date"], d["wait_median_days"], color=c, label=f"{r.label} median" if lab else "median")
        ax3.fill_between(
            d["date"],
            d["wait_median_days"],
            d["wait_p90_days"],
            color=c,
            alpha=0.2,
            label=f"{r.label} median to 90th pct" if lab else "median to 90th percentile",
        )
        if r.waits is not None:
            w = r.waits.loc[r.waits["port"].astype(str) == port, "days_waited"].to_numpy()
            if len(w):
                ax4.hist(w, bins=np.arange(0, w.max() + 2) - 0.5, color=c, alpha=0.6 if lab else 0.9, label=lab)
    ax4.set_title("distribution of waits (days), everyone processed", fontsize=9)
    ax4.set_xlabel("days on the list", fontsize=8)
    ax4.tick_params(labelsize=7)
    if ax4.get_legend_handles_labels()[0]:
        ax4.legend(fontsize=7)
    ax1.set_title("waiting list (names at end of day)", fontsize=9)
    ax2.set_title("claims processed and names added per day", fontsize=9)
    ax3.set_title("wait (days) of those processed each day", fontsize=9)
    for ax in (ax1, ax2, ax3):
        _date_axis(ax)
        ax.tick_params(labelsize=7)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    caps = "; ".join(
        (f"{r.label}: " if len(runs) > 1 else "") + f"capacity {port_capacity_text(r, port)}" for r in runs
    )
    fig.suptitle(f"{port} ({caps})", fontsize=10)
    return fig


def fig_ard(runs: list[Run]) -> Any:
    fig = _figure(9, 3.0)
    ax = fig.subplots()
    for i, r in enumerate(runs):
        if r.validation is not None:
            ax.plot(r.validation["date"], r.validation["ard"], color=RUN_COLOURS[i % 2], label=r.label)
    ax.set_ylabel("ARD")
    ax.set_title("averaged relative difference, simulated vs observed camp counts, per day", fontsize=9)
    _date_axis(ax)
    ax.legend(fontsize=8)
    return fig


# The states the border processes put people in (waiting lists, custody, decisions, returns, crossings), in
# the registry's order: every counted state except travelling on one's own or with a caravan, which the
# place and map figures already show. Each is drawn as a small chart titled with its registry label.
TRAVELLING = ("movement", "caravans")
OUTCOME_STATES = tuple(s.name for s in states.counted() if s.owner not in TRAVELLING)
STATE_LABELS = {s.name: s.label for s in states.STATES}


def _has_outcomes(run: Run) -> bool:
    s = run.states
    return s is not None and any(c in s.columns and s[c].max() > 0 for c in OUTCOME_STATES)


def fig_states(runs: list[Run]) -> Any:
    """Where everyone is, day by day: one small chart per state (lists, custody, waiting, returns...)."""
    shown = [
        c for c in OUTCOME_STATES if any(r.states is not None and c in r.states and r.states[c].max() > 0 for r in runs)
    ]
    ncol = 4
    nrow = math.ceil(len(shown) / ncol)
    fig = _figure(16, 2.6 * nrow)
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    for ax, col in zip(axes, shown, strict=False):
        for i, r in enumerate(runs):
            if r.states is not None and col in r.states:
                lab = r.label if len(runs) > 1 else None
                ax.plot(r.states["date"], r.states[col], color=RUN_COLOURS[i % 2], lw=1.4, label=lab)
        ax.set_title(STATE_LABELS[col], fontsize=8)
        ax.tick_params(labelsize=7)
        _date_axis(ax)
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    if len(runs) > 1:
        axes[0].legend(fontsize=7)
    return fig


# ---------------------------------------------------------------- summary numbers


def port_summary(run: Run, port: str) -> dict[str, Any]:
    d = run.ports[run.ports["port"].astype(str) == port]
    ok = d["processed"].to_numpy() > 0
    med = d["wait_median_days"].to_numpy()[ok]
    weights = d["processed"].to_numpy()[ok]
    median = None
    if run.waits is not None:  # exact: every person's wait
        w = run.waits.loc[run.waits["port"].astype(str) == port, "days_waited"].to_numpy()
        return {
            "processed": int(d["processed"].sum()),
            "longest": int(d["waitlist"].max()) if len(d) else 0,
            "end": int(d["waitlist"].iloc[-1]) if len(d) else 0,
            "median_wait": float(np.median(w)) if len(w) else None,
        }
    if len(med):
        order = np.argsort(med)
        cum = np.cumsum(weights[order])
        median = float(med[order][np.searchsorted(cum, cum[-1] / 2)])
    return {
        "processed": int(d["processed"].sum()),
        "longest": int(d["waitlist"].max()) if len(d) else 0,
        "end": int(d["waitlist"].iloc[-1]) if len(d) else 0,
        "median_wait": median,
    }


def _ports(run: Run) -> list[str]:
    if run.ports is None:
        return []
    col = run.ports["port"]
    return [str(p) for p in (col.cat.categories if hasattr(col, "cat") else pd.unique(col))]


# ---------------------------------------------------------------- HTML

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1200px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}
img{max-width:100%;height:auto;border:1px solid #eee}.note{color:#666;font-style:italic}
nav a{margin-right:1em}tr.set td{background:#fff3cd}tr.differs td{font-weight:600}
"""


def _esc(value: Any) -> str:
    """HTML-escape; also break '://' so that no text in the page reads as a web address."""
    return html.escape(str(value)).replace("://", "&#58;//")


def _num(x: Any, fmt: str = ",.0f") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return format(x, fmt)


def _html_table(header: list[str], rows: list[list[Any]], numeric_from: int = 1) -> str:
    out = ["<table><tr>" + "".join(f"<th>{_esc(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = [
            f'<td class="n">{_esc(c)}</td>' if i >= numeric_from else f"<td>{_esc(c)}</td>" for i, c in enumerate(row)
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _last_day_table(runs: list[Run], top: int = 15) -> str:
    """The busiest places on the last day, simulated (per run) and observed."""
    lasts = [r.wide().iloc[-1] for r in runs]
    obs = {k: v.iloc[-1] for r in runs for k, v in reversed(list(r.observed.items())) if len(v)}
    names = sorted(set().union(*(set(x.index) for x in lasts)), key=lambda p: -max(float(x.get(p, 0)) for x in lasts))
    rows = [[p, *(_num(x.get(p)) for x in lasts), _num(obs.get(p))] for p in names[:top]]
    header = ["place", *(f"{r.label}: people on the last day" for r in runs), "observed (last day)"]
    caption = f"<p>The {min(top, len(names))} places with most people on the last day.</p>"
    return caption + _html_table(header, rows)


def _lever(value: Any) -> str:
    """A lever's value as `corridor params` prints it, whole numbers without a trailing .0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _overrides_text(run: Run) -> str:
    """'name = value (the scenario's own value: x)' for each lever the run set with --set."""
    params = run.params()
    parts = []
    for name in dict.fromkeys(t.partition("=")[0].strip() for t in run.overrides):
        own = f"the scenario's own value: {_lever(run.overridden[name])}" if name in run.overridden else "set"
        parts.append(f"{name} = {_lever(params.get(name))} ({own})")
    return "; ".join(parts)


def _params_section(runs: list[Run]) -> str:
    """Every lever (the names `corridor params` lists and --set takes) with the value each run used; the
    levers a run set with --set are marked, with the scenario's own value beside them."""
    if all(r.scenario is None for r in runs):
        return '<p class="note">The scenario could not be re-loaded, so its parameters are not shown.</p>'
    out = [
        "<p>Every lever of the scenario, as <code>corridor params</code> lists them and <code>--set</code> takes "
        "them, with the value the run used. Levers changed with <code>--set</code> are highlighted, with the "
        "scenario's own value beside them"
        + ("; levers whose values differ between the runs are in bold" if len(runs) > 1 else "")
        + ".</p>"
    ]
    for r in runs:
        if r.scenario is None:
            out.append(f'<p class="note">{_esc(r.label)}: not shown: {_esc(r.scenario_note)}.</p>')
        if r.overrides:
            out.append(f"<p>{_esc(r.label)} was run with <code>--set</code>: {_esc(_overrides_text(r))}.</p>")
    params = [r.params() for r in runs]
    set_by = [{t.partition("=")[0].strip() for t in r.overrides} for r in runs]
    names = list(dict.fromkeys(k for p in params for k in p))
    if len(runs) > 1:
        differ = [k for k in names if len({repr(p.get(k, "-")) for p in params}) > 1]
        out.append(f"<p>{len(differ)} of {len(names)} levers differ between the runs.</p>")
    rows = ["<table><tr><th>parameter</th>" + "".join(f"<th>{_esc(r.label)}</th>" for r in runs) + "</tr>"]
    for name in names:
        cells = []
        for r, p, mine in zip(runs, params, set_by, strict=True):
            text = _lever(p.get(name)) if name in p else "–"
            if name in mine:
                own = _lever(r.overridden[name]) if name in r.overridden else "not recorded"
                text += f" (set with --set; the scenario's own value: {own})"
            cells.append(f'<td class="n">{_esc(text)}</td>')
        classes = []
        if any(name in mine for mine in set_by):
            classes.append("set")
        if len(runs) > 1 and len({repr(p.get(name, "-")) for p in params}) > 1:
            classes.append("differs")
        cls = f' class="{" ".join(classes)}"' if classes else ""
        rows.append(f"<tr{cls}><td>{_esc(name)}</td>{''.join(cells)}</tr>")
    rows.append("</table>")
    return "\n".join(out + rows)


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            flat.update(_flatten(v, key + "."))
        else:
            flat[key] = v
    return flat


def _labels(paths: list[Path]) -> list[str]:
    names = [p.name or str(p) for p in paths]
    if len(set(names)) < len(names):
        names = [str(p) for p in paths]
    return names


class _Page:
    def __init__(self, fig_dir: Path) -> None:
        self.parts: list[str] = []
        self.fig_dir = fig_dir
        self.figures: list[Path] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def figure(self, fig: Any, name: str, alt: str) -> None:
        data = _png(fig)
        self.fig_dir.mkdir(parents=True, exist_ok=True)
        path = self.fig_dir / f"{name}.png"
        path.write_bytes(data)
        self.figures.append(path)
        b64 = base64.b64encode(data).decode("ascii")
        self.add(f'<p><img alt="{_esc(alt)}" src="data:image/png;base64,{b64}"></p>')


def build_report(run_dirs: list[str | Path], out: str | Path | None = None) -> Path:
    """Write the HTML report for one run folder (or two, compared); returns the HTML file's path.

    One run: RUN/report.html and RUN/figures/*.png. Two: by default RUN_A/compare-<B>.html and
    RUN_A/figures/compare-<B>/*.png. `out` names the HTML file instead (figures beside it).
    """
    if not 1 <= len(run_dirs) <= 2:
        raise CorridorError(f"report takes one or two run folders (got {len(run_dirs)})")
    paths = [Path(p) for p in run_dirs]
    runs = [load_run(p) for p in paths]
    for r, label in zip(runs, _labels(paths), strict=True):
        r.label = label
    if out is not None:
        html_path = Path(out)
        fig_dir = html_path.parent / "figures" / html_path.stem
    elif len(runs) == 1:
        html_path, fig_dir = paths[0] / "report.html", paths[0] / "figures"
    else:
        tag = f"compare-{paths[1].name or 'B'}"
        html_path, fig_dir = paths[0] / f"{tag}.html", paths[0] / "figures" / tag
    html_path.parent.mkdir(parents=True, exist_ok=True)

    page = _Page(fig_dir)
    title = (
        f"corridor report: {runs[0].name} ({runs[0].label})"
        if len(runs) == 1
        else f"corridor report: {runs[0].label} vs {runs[1].label}"
    )
    page.add(f"<h1>{_esc(title)}</h1>")
    page.add(
        f'<p class="note">Written {_esc(dt.datetime.now().strftime("%Y-%m-%d %H:%M"))} from '
        + ", ".join(f"<code>{_esc(r.path.resolve())}</code>" for r in runs)
        + ".</p>"
    )
    ports = [p for p in _ports(runs[0]) if all(p in _ports(r) for r in runs[1:])]
    has_val = any(r.validation is not None for r in runs)
    nav = (
        ["summary", "places"]
        + (["observations"] if runs[0].points is not None else [])
        + ["map"]
        + (["occupancy"] if _capacities(runs) else [])
        + (["ports"] if ports else [])
        + (["outcomes"] if any(_has_outcomes(r) for r in runs) else [])
        + (["validation"] if has_val else [])
    )
    nav += ["manifest", "parameters"]
    page.add("<nav>" + "".join(f'<a href="#{s}">{s}</a>' for s in nav) + "</nav>")

    # summary
    page.add('<h2 id="summary">Summary</h2>')
    header = ["run", "scenario", "seed", "days", "people", "agent-days", "ARD mean"]
    rows = []
    for r in runs:
        m = r.manifest
        rows.append(
            [
                r.label,
                r.name,
                m.get("seed", ""),
                _num(m["scenario"].get("days")),
                _num(m.get("agents")),
                _num(m.get("agent_days")),
                _num(r.ard_mean, ".4f"),
            ]
        )
    page.add(_html_table(header, rows, numeric_from=2))
    for r in runs:
        if r.overrides:
            page.add(
                f"<p>{_esc(r.label)}: run with <code>--set</code> {_esc(_overrides_text(r))}; figures and "
                'capacities are drawn as run (<a href="#parameters">parameters</a>).</p>'
            )
    if ports:
        rows = []
        for port in ports:
            for r in runs:
                s = port_summary(r, port)
                rows.append(
                    [
                        port,
                        r.label,
                        _num(s["processed"]),
                        _num(s["longest"]),
                        _num(s["end"]),
                        _num(s["median_wait"], ".0f"),
                    ]
                )
        page.add(
            _html_table(
                ["port", "run", "claims processed", "longest list", "list at end", "median wait (days)"],
                rows,
                numeric_from=2,
            )
        )
        if any(r.waits is None for r in runs):
            page.add(
                '<p class="note">Median wait: the median over processed claims of each day\'s median wait '
                "(this run folder has no waits.parquet with every wait).</p>"
            )

    # places
    page.add('<h2 id="places">People per place over time</h2>')
    page.add(
        "<p>Simulated people at each place at the end of each day"
        + (", per run" if len(runs) > 1 else "")
        + "; dashed black: observed counts from <code>out.csv</code> where the scenario has them.</p>"
    )
    fig, note = fig_places(runs)
    if fig is not None:
        page.figure(fig, "places", "people per place over time")
    if note:
        page.add(f'<p class="note">{_esc(note)}</p>')
    page.add(_last_day_table(runs))

    # point observations
    if runs[0].points is not None:
        pts = runs[0].points
        scored = pts["within_range"].notna()
        hits = int((pts.loc[scored, "within_range"].astype(str) == "True").sum())
        page.add('<h2 id="observations">Reported figures</h2>')
        page.add(
            f"<p>The scenario's point observations (<code>observations.csv</code>, with their sources in the "
            f"scenario folder): {hits} of {int(scored.sum())} that the run produces lie within "
            "[0.8 &times; low, 1.2 &times; high].</p>"
        )
        page.figure(fig_points(runs), "observations", "reported figures against simulated values")

    # map
    page.add('<h2 id="map">Map of places, roads and flows</h2>')
    drawn = False
    mappable = []
    for r in runs:
        if r.scenario is None:
            page.add(f'<p class="note">{_esc(r.label)}: no map: {_esc(r.scenario_note)}.</p>')
        elif not _has_coordinates(r.scenario):
            page.add(f'<p class="note">{_esc(r.label)}: no map: the scenario\'s places have no coordinates.</p>')
        else:
            if r.scenario_note:
                page.add(f'<p class="note">{_esc(r.label)}: {_esc(r.scenario_note)}.</p>')
            if r.links is None:
                page.add(f'<p class="note">{_esc(r.label)}: no road flows (the run folder has no links.parquet).</p>')
            mappable.append(r)
    same_network = (
        len(mappable) == 2
        and [(p.name, p.lat, p.lon) for p in mappable[0].scenario.places]
        == [(p.name, p.lat, p.lon) for p in mappable[1].scenario.places]
        and [(ln.a, ln.b) for ln in mappable[0].scenario.links] == [(ln.a, ln.b) for ln in mappable[1].scenario.links]
    )
    if same_network:
        page.add(
            "<p>Both runs on one map: road width grows with the people who set out along the road over the whole "
            "run (blue: first run, orange: second, drawn side by side); circles are people at each place on the "
            "last day; labels give both counts where the runs differ most.</p>"
        )
        page.figure(fig_map_compare(mappable), "map-compare", "both runs on one map")
        drawn = True
    for i, r in enumerate(mappable):
        suffix = "" if len(runs) == 1 else f"-{i + 1}"
        page.figure(fig_map(r, title=r.label if len(runs) > 1 else ""), f"map{suffix}", f"map {r.label}")
        if len(runs) == 1:
            n = len(r.wide())
            days = sorted({round(q * (n - 1)) for q in (0.0, 1 / 3, 2 / 3, 1.0)})
            page.add(
                "<p>The same map on a few dates: how people spread along the routes. Road width: people who "
                "set out along the road since the previous panel's date.</p>"
            )
            page.figure(fig_map(r, days), "map-dates", "map on a few dates")
        drawn = True
    if drawn:
        page.add(
            "<p>Marker area grows with the people at the place (on the last day unless dated), colour is the "
            "place's kind; brown road width grows with the people who set out along the road (over the whole "
            "run unless dated), and an arrow shows the direction most of them took. Country outlines: Natural "
            "Earth 1:110m (public domain).</p>"
        )

    # shelters and camps against their capacity
    occ = fig_occupancy(runs)
    if occ is not None:
        page.add('<h2 id="occupancy">Occupancy against capacity</h2>')
        page.add("<p>People in each shelter or camp that has a capacity, and the capacity (dashed).</p>")
        page.figure(occ, "occupancy", "occupancy against capacity")

    # ports
    if ports:
        page.add('<h2 id="ports">Ports of entry</h2>')
        for k, port in enumerate(ports):
            page.add(f"<h3>{_esc(port)}</h3>")
            page.add(
                "<p>Capacity as run: "
                + "; ".join(
                    (f"{_esc(r.label)}: " if len(runs) > 1 else "") + _esc(port_capacity_text(r, port)) for r in runs
                )  # fmt: skip
                + ".</p>"
            )
            page.figure(fig_port(runs, port), f"port-{k + 1}", f"port {port}")

    # where everyone ends up
    if any(_has_outcomes(r) for r in runs):
        page.add('<h2 id="outcomes">Lists, custody, returns and crossings</h2>')
        page.add(
            "<p>People in each state at the end of each day (<code>states.parquet</code>): on a port's waiting "
            "list, in custody, waiting for a decision in the US or in Mexico, decided, and those who left the "
            "journey (deported, gone home, asked for refuge in Mexico, crossed undetected; cumulative).</p>"
        )
        page.figure(fig_states(runs), "outcomes", "people in each state over time")

    # validation
    if has_val:
        page.add('<h2 id="validation">Validation: ARD per day</h2>')
        page.figure(fig_ard(runs), "ard", "ARD per day")

    # manifest
    page.add('<h2 id="manifest">Manifest</h2>')
    flats = [_flatten(r.manifest) for r in runs]
    keys = list(dict.fromkeys(k for f in flats for k in f))
    page.add(_html_table(["key", *(r.label for r in runs)], [[k, *(f.get(k, "") for f in flats)] for k in keys], 99))

    # parameters
    page.add('<h2 id="parameters">Scenario parameters</h2>')
    page.add(_params_section(runs))

    doc = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(page.parts)
        + "\n</body></html>\n"
    )
    html_path.write_text(doc, encoding="utf-8")
    return html_path
