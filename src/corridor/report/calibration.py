"""`corridor report DIR` on a calibration folder: one self-contained HTML page and its figures as PNG.

Marginals (prior density against the weighted posterior), pairs of the most informed parameters, epsilon
per generation, and the posterior predictive of each observation used against its reported range.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..output.calibration import PREDICTIVE, Posterior, weighted_quantile
from .html import _esc, _figure, _html_table, _num, _Page

PAIRS = 4  # the most informed parameters drawn in pairs


def informed(post: Posterior) -> list[tuple[str, float]]:
    """Each prior with how much the calibration narrowed it: 1 - (posterior 90% width / prior 90% width),
    most narrowed first (0: no narrower than the prior)."""
    out = []
    lo, hi = post.quantile(0.05), post.quantile(0.95)
    for p in post.priors:
        d = p.frozen()
        width = float(d.ppf(0.95) - d.ppf(0.05))
        out.append((p.name, 1.0 - (hi[p.name] - lo[p.name]) / width if width > 0 else 0.0))
    return sorted(out, key=lambda x: -x[1])


def fig_marginals(post: Posterior) -> Any:
    n = len(post.priors)
    cols = min(4, n)
    rows = -(-n // cols)
    fig = _figure(3.2 * cols, 2.3 * rows)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, p in zip(axes.flat, post.priors, strict=False):
        d = p.frozen()
        lo, hi = (float(x) for x in d.ppf([0.001, 0.999]))
        x = post.values[p.name].to_numpy(np.float64)
        bins = np.linspace(min(lo, x.min()), max(hi, x.max()), 25)
        ax.hist(x, bins=bins, weights=post.weights, density=True, color="#1f77b4", alpha=0.6, label="posterior")
        grid = np.linspace(bins[0], bins[-1], 200)
        dens = d.pmf(np.round(grid)) if p.distribution == "intuniform" else d.pdf(grid)
        ax.plot(grid, dens, color="#444", lw=1.2, label="prior")
        ax.set_title(p.name, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    axes.flat[0].legend(fontsize=7)
    return fig


def fig_pairs(post: Posterior, names: list[str]) -> Any:
    k = len(names)
    fig = _figure(2.3 * k, 2.3 * k)
    axes = fig.subplots(k, k, squeeze=False)
    size = 4 + 60 * post.weights / post.weights.max()
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            ax = axes[i][j]
            ax.tick_params(labelsize=6)
            if i == j:
                ax.hist(post.values[a], bins=20, weights=post.weights, color="#1f77b4", alpha=0.7)
                ax.set_yticks([])
            else:
                ax.scatter(post.values[b], post.values[a], s=size, alpha=0.4, color="#1f77b4", linewidths=0)
            if i == k - 1:
                ax.set_xlabel(b, fontsize=7)
            if j == 0:
                ax.set_ylabel(a, fontsize=7)
    return fig


def fig_epsilon(generations: list[dict[str, Any]]) -> Any:
    fig = _figure(6.5, 2.8)
    ax = fig.subplots()
    t = [g["t"] for g in generations]
    ax.plot(t, [g["epsilon"] for g in generations], marker="o", color="#1f77b4", label="epsilon")
    ax.set_xlabel("generation")
    ax.set_ylabel("epsilon (distance accepted)")
    ax2 = ax.twinx()
    ax2.bar(t, [g["acceptance_rate"] or 0 for g in generations], alpha=0.2, color="#ff7f0e")
    ax2.set_ylabel("acceptance rate", color="#ff7f0e")
    ax2.set_ylim(0, 1)
    return fig


def predictive_table(pred: pd.DataFrame) -> pd.DataFrame:
    """Per observation used: the reported range and the weighted 5, 50 and 95th percentiles of the last
    generation's simulated values."""
    rows = []
    for row, g in pred.groupby("row", sort=True):
        x, w = g["simulated"].to_numpy(np.float64), g["weight"].to_numpy(np.float64)
        first = g.iloc[0]
        rows.append(
            {
                "row": int(row),
                "date": first["date"],
                "place": first["place"],
                "metric": first["metric"],
                "low": first["low"],
                "high": first["high"],
                "q05": weighted_quantile(x, w, 0.05),
                "median": weighted_quantile(x, w, 0.5),
                "q95": weighted_quantile(x, w, 0.95),
            }
        )
    return pd.DataFrame(rows)


def fig_predictive(table: pd.DataFrame) -> Any:
    n = len(table)
    fig = _figure(7.5, 0.28 * n + 1.0)
    ax = fig.subplots()
    y = np.arange(n)[::-1]
    # relative to the middle of the reported range, so that 42 arrests and 11,000 deportations share an axis
    mid = (table["low"] + table["high"]).to_numpy(np.float64) / 2
    mid = np.where(mid > 0, mid, 1.0)
    # a single reported figure (low = high) still shows, as a bar 1% wide
    width = np.maximum((table["high"] - table["low"]).to_numpy(np.float64) / mid, 0.01)
    ax.barh(y, width, left=table["low"] / mid, height=0.6, color="#2ca02c", alpha=0.45, label="reported range")
    ax.hlines(y, table["q05"] / mid, table["q95"] / mid, color="#1f77b4", lw=2, label="posterior 90%")
    ax.plot(table["median"] / mid, y, "o", color="#1f77b4", ms=3, label="posterior median")
    ax.set_yticks(y, [f"{r.date} {r.place} {r.metric}"[:48] for r in table.itertuples()], fontsize=6)
    ax.set_xlabel("relative to the middle of the reported range")
    ax.axvline(1.0, color="#999", lw=0.5)
    ax.legend(fontsize=7, loc="lower right")
    return fig


def build_calibration_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write DIR/report.html (and DIR/figures/*.png) for a calibration folder; returns the HTML's path."""
    folder = Path(folder)
    post = Posterior.read(folder)
    m = post.manifest
    html_path = Path(out) if out is not None else folder / "report.html"
    fig_dir = html_path.parent / "figures" if out is None else html_path.parent / "figures" / html_path.stem
    html_path.parent.mkdir(parents=True, exist_ok=True)
    page = _Page(fig_dir)
    name = m["scenario"]["name"]
    page.add(f"<h1>corridor calibration: {_esc(name)} ({_esc(folder.name)})</h1>")
    page.add(
        f'<p class="note">Written {_esc(dt.datetime.now().strftime("%Y-%m-%d %H:%M"))} from '
        f"<code>{_esc(folder.resolve())}</code>.</p>"
    )
    gens = m["generations"]
    used, excluded = m["observations"]["used"], m["observations"]["excluded"]
    page.add("<h2>Summary</h2>")
    page.add(
        _html_table(
            ["", "value"],
            [
                ["priors calibrated", len(post.priors)],
                ["observations used / left out", f"{len(used)} / {len(excluded)}"],
                ["generations", len(gens)],
                ["simulations (budget)", f"{m['simulations']:,} ({m['budget']:,})"],
                ["population", m["population"]],
                ["last epsilon", f"{gens[-1]['epsilon']:.4f}"],
                ["effective sample size", f"{m['effective_sample_size']:.1f} of {m['posterior_size']}"],
                ["seed", m["seed"]],
            ],
        )
    )
    if excluded:
        page.add("<h3>Observations left out</h3>")
        page.add(_html_table(["line", "date", "place", "metric", "why"],
                             [[o["row"], o["date"], o["place"], o["metric"], o["why"]] for o in excluded]))  # fmt: skip
    page.add("<h2>Marginals</h2><p>Weighted posterior (bars) against the prior (line).</p>")
    page.figure(fig_marginals(post), "marginals", "prior and posterior of each parameter")
    ranked = informed(post)
    lo, med, hi = post.quantile(0.05), post.quantile(0.5), post.quantile(0.95)
    page.add(
        _html_table(
            ["prior", "distribution", "posterior median", "90% interval", "narrowed"],
            [
                [
                    n,
                    next(p.describe() for p in post.priors if p.name == n),
                    _num(med[n], ",.4g"),
                    f"{_num(lo[n], ',.4g')} to {_num(hi[n], ',.4g')}",
                    f"{share:.0%}",
                ]
                for n, share in ranked
            ],
        )  # fmt: skip
    )
    top = [n for n, _ in ranked[: min(PAIRS, len(ranked))]]
    if len(top) >= 2:
        page.add("<h2>Pairs</h2><p>The most narrowed parameters, each particle by weight.</p>")
        page.figure(fig_pairs(post, top), "pairs", "pairs of the most informed parameters")
    page.add("<h2>Epsilon per generation</h2>")
    page.figure(fig_epsilon(gens), "epsilon", "epsilon and acceptance rate per generation")
    page.add(
        _html_table(
            ["generation", "epsilon", "simulations", "acceptance", "simulations/s"],
            [
                [
                    g["t"],
                    f"{g['epsilon']:.4f}",
                    g["simulations"],
                    f"{g['acceptance_rate']:.0%}",
                    "" if g["simulations_per_s"] is None else f"{g['simulations_per_s']:.1f}",
                ]
                for g in gens
            ],
        )  # fmt: skip
    )
    pred = predictive_table(pd.read_parquet(folder / PREDICTIVE))
    page.add("<h2>Posterior predictive</h2><p>The last generation's simulated values (weighted 5-95%) "
             "against each reported range.</p>")  # fmt: skip
    page.figure(fig_predictive(pred), "predictive", "posterior predictive against the reported ranges")
    page.add(
        _html_table(
            ["line", "date", "place", "metric", "reported range", "median", "90% interval"],
            [
                [
                    r.row,
                    r.date,
                    r.place,
                    r.metric,
                    f"{_num(r.low)}-{_num(r.high)}",
                    _num(r.median),
                    f"{_num(r.q05)}-{_num(r.q95)}",
                ]
                for r in pred.itertuples()
            ],
        )  # fmt: skip
    )
    page.add(f"<h2>Manifest</h2><pre>{_esc(json.dumps({k: v for k, v in m.items() if k != 'priors'}, indent=1))}</pre>")
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 6px}"
        "img{max-width:100%}.note{color:#666}pre{font-size:0.75em;overflow:auto}"
    )
    html_path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>calibration {_esc(name)}</title>"
        f"<style>{style}</style></head><body>{''.join(page.parts)}</body></html>\n",
        encoding="utf-8",
    )
    return html_path
