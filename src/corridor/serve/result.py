"""What the page draws from an ensemble: bands per series, the baseline's, and the difference with it.

The difference is taken run by run before the percentiles: run k of the what-if and run k of the baseline
share their seed (common random numbers), so the band of the difference is much narrower than the gap
between the two bands would suggest, and a change the model cannot tell from noise shows as a band
around zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import states
from ..output.summary import QUANTILE_NAMES, Summary, bands, percentiles
from ..scenario.model import Scenario

SHELTERING = ("shelter", "camp", "idp_camp")


def _round(a: np.ndarray, digits: int = 1) -> list:
    """JSON numbers, NaN as null (a day with no value, such as a wait when nobody was processed)."""
    r = np.round(np.asarray(a, dtype=np.float64), digits)
    return [None if np.isnan(x) else (int(x) if x == int(x) else float(x)) for x in r.reshape(-1)]


def _band(q: np.ndarray) -> dict[str, list]:
    return {name: _round(q[i]) for i, name in enumerate(QUANTILE_NAMES)}


def _stack(summaries: Sequence[Summary], var: str) -> np.ndarray:
    return np.stack([s.series[var] for s in summaries]).astype(np.float64)


def _differences(what_if: Sequence[Summary], baseline: Sequence[Summary]) -> dict[str, np.ndarray]:
    """Per variable, the percentiles over runs of (what-if run k - baseline run k); NaN where either is."""
    out = {}
    for var in what_if[0].series:
        d = _stack(what_if, var) - _stack(baseline, var)
        out[var] = percentiles(d)
    return out


def series_specs(sc: Scenario, names: dict[str, list[str]], what_if: Sequence[Summary]) -> list[dict[str, Any]]:
    """The series the page draws: each port's list, wait and claims; each shelter or camp against its
    capacity; the people in each state that anyone reached."""
    specs = []
    for k, port in enumerate(names["waitlist"]):
        specs.append(
            dict(
                id=f"port:{port}:waitlist",
                group="ports",
                var="waitlist",
                col=k,
                title=f"{port}: people on the list",
                unit="people",
            )
        )
        specs.append(
            dict(
                id=f"port:{port}:wait_days",
                group="ports",
                var="wait_days",
                col=k,
                title=f"{port}: median wait of those called that week",
                unit="days",
            )
        )
        specs.append(
            dict(
                id=f"port:{port}:processed",
                group="ports",
                var="processed",
                col=k,
                title=f"{port}: claims processed a day",
                unit="people a day",
            )
        )
    places = {p.name: p for p in sc.places}
    for j, name in enumerate(names["population"]):
        p = places[name]
        cap = sc.effective_capacity(p)
        if p.kind in SHELTERING or cap or name in sc.observed:
            specs.append(
                dict(
                    id=f"place:{name}",
                    group="shelters",
                    var="population",
                    col=j,
                    title=f"{name}: people",
                    unit="people",
                    capacity=cap or None,
                )
            )
    census = _stack(what_if, "states")
    for j, st in enumerate(states.counted(sc)):
        if census[:, :, j].any():
            specs.append(
                dict(
                    id=f"state:{st.name}",
                    group="states",
                    var="states",
                    col=j,
                    title=f"{st.label[:1].upper()}{st.label[1:]}",
                    unit="people",
                    state=st.name,
                )
            )
    return specs


def build(
    sc: Scenario,
    what_if: Sequence[Summary],
    baseline: Sequence[Summary] | None,
    meta: dict[str, Any],
) -> dict[str, Any]:
    """The result a finished job returns: dates, series with their bands, the map's medians, and the
    figures at the last day."""
    names = what_if[0].names
    q = bands(what_if)
    qb = bands(baseline) if baseline is not None else None
    qd = _differences(what_if, baseline) if baseline is not None else None
    dates = [(sc.start_date + dt.timedelta(days=d)).isoformat() for d in range(what_if[0].days)]
    series = []
    for spec in series_specs(sc, names, what_if):
        var, col = spec.pop("var"), spec.pop("col")
        spec["band"] = _band(q[var][:, :, col])
        spec["baseline"] = _band(qb[var][:, :, col]) if qb is not None else None
        spec["difference"] = _band(qd[var][:, :, col]) if qd is not None else None
        spec.setdefault("capacity", None)
        series.append(spec)
    last = len(dates) - 1
    figures = []
    for s in series:
        if s["group"] == "states" or s["id"].endswith(":processed"):
            continue
        row = {"id": s["id"], "title": s["title"], "unit": s["unit"], "date": dates[last] if dates else None}
        for key in ("band", "baseline", "difference"):
            row[key] = {k: v[last] for k, v in s[key].items()} if s[key] is not None and dates else None
        figures.append(row)
    return {
        **meta,
        "dates": dates,
        "quantiles": list(QUANTILE_NAMES),
        "series": series,
        "figures": figures,
        "map": {
            "places": names["population"],
            "population_p50": [_round(row, 0) for row in q["population"][2]],
            "roads": names["set_out"],
            "set_out_p50": [_round(row, 0) for row in q["set_out"][2]],
        },
    }
