"""A finished run: per day x place tables with pandas, Parquet and CSV access."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import states
from ..evaluate.ard import Validation
from ..scenario.model import Scenario
from ..sim.components.demographics import value_labels

if TYPE_CHECKING:  # only named in annotations: the tables are read by attribute
    from ..sim.record import Record

COLUMNS = ("population", "arrivals", "departures", "in_transit", "spawned")
# per place and day, where the scenario has hazards or marches: one column per outcome of the registry, in
# the order of Record.fates' last axis (the outcome codes)
FATE_COLUMNS = states.OUTCOME_NAMES


@dataclass
class RunResult:
    """What one run of a scenario produced.

    `population[t, p]` is the number of people at place p at the end of day t; `in_transit[t, p]`
    the number on a road towards p; `arrivals`/`departures`/`spawned` are that day's flows.
    """

    scenario: Scenario
    seed: int
    days: int
    places: list[str]
    record: Record
    observed: dict[str, np.ndarray]
    agents: int
    agent_days: int
    timings: dict[str, float] = field(default_factory=dict)
    footprint: dict[str, int] = field(default_factory=dict)  # bytes held by the run (sim.engine.Engine.footprint)

    @property
    def dates(self) -> list[dt.date]:
        start = self.scenario.start_date
        return [start + dt.timedelta(days=d) for d in range(self.days)]

    def __getattr__(self, name: str) -> Any:
        if name in COLUMNS:
            return getattr(self.record, name)
        raise AttributeError(name)

    def table(self) -> pd.DataFrame:
        """Long table: one row per day and place."""
        P = len(self.places)
        days = np.repeat(np.arange(self.days, dtype=np.int32), P)
        dates = np.repeat(np.array(self.dates, dtype="datetime64[D]"), P)
        frame = {
            "day": days,
            "date": dates,
            "place": pd.Categorical(np.tile(np.array(self.places, dtype=object), self.days), categories=self.places),
        }
        for col in COLUMNS:
            frame[col] = getattr(self.record, col).reshape(-1)
        fates = self.record.fates
        if len(fates):
            for o in states.outcomes(self.scenario):  # those the scenario can produce (Outcome.when)
                frame[o.name] = fates[:, :, o.code].reshape(-1)
        if len(self.record.children):
            frame["children"] = self.record.children.reshape(-1)
        if len(self.record.in_families):  # households: people in a household with children, and alone
            frame["in_families"] = self.record.in_families.reshape(-1)
            frame["alone"] = self.record.alone.reshape(-1)
        if len(self.record.demographics):  # counts_by_demographics: a column per value, e.g. 'gender=female'
            for k, label in enumerate(value_labels(self.scenario)):
                frame[label] = self.record.demographics[:, :, k].reshape(-1)
        # crowding: people over the capacity the model used (after hasten and move.capacity_scaling), the one
        # that drives its crowding rules; NaN where the model has no limit
        cap = np.array([c or 0.0 for c in self.scenario.effective_capacities()], dtype=np.float64)
        if (cap > 0).any():
            with np.errstate(divide="ignore", invalid="ignore"):
                crowd = np.where(cap > 0, self.record.population / np.maximum(cap, 1.0), np.nan)
            frame["crowding"] = crowd.reshape(-1)
        return pd.DataFrame(frame)

    def caravan_table(self) -> pd.DataFrame:
        """One row per day and caravan: members, the last stop reached and whether it is on the road beyond."""
        names = [c.name for c in self.scenario.caravans]
        G = len(names)
        rec = self.record
        stop_names = [[s.place for s in c.stops] for c in self.scenario.caravans]
        stop = rec.caravan_stop.reshape(-1)
        which = np.tile(np.arange(G), self.days)
        return pd.DataFrame(
            {
                "day": np.repeat(np.arange(self.days, dtype=np.int32), G),
                "date": np.repeat(np.array(self.dates, dtype="datetime64[D]"), G),
                "caravan": pd.Categorical(np.tile(np.array(names, dtype=object), self.days), categories=names),
                "size": rec.caravan_size.reshape(-1),
                "last_stop": [stop_names[g][k] if k >= 0 else "" for g, k in zip(which, stop, strict=True)],
                "on_road": rec.caravan_on_road.reshape(-1).astype(bool),
            }
        )

    def state_table(self) -> pd.DataFrame:
        """One row per day: how many people are in each state at the end of the day (they add up to
        everyone who has set out)."""
        frame: dict[str, Any] = {
            "day": np.arange(self.days, dtype=np.int32),
            "date": np.array(self.dates, dtype="datetime64[D]"),
        }
        for s in states.counted(self.scenario):  # the census has a column per state code
            frame[s.name] = self.record.census[:, s.code]
        return pd.DataFrame(frame)

    def wide(self, column: str = "population") -> pd.DataFrame:
        """One column per place, one row per date."""
        return pd.DataFrame(
            getattr(self.record, column), index=pd.DatetimeIndex(self.dates, name="date"), columns=self.places
        )

    @property
    def ports(self) -> list[str]:
        return [p.place for p in self.scenario.ports]

    def port_table(self) -> pd.DataFrame:
        """One row per day and port: names added, claims processed, names waiting, and the median and
        90th-percentile wait (days) of those processed that day; with a numbered list, the numbers called and
        the people who lost their turn; with remain-in-Mexico rules
        (remain_in_mexico.csv), the people sent back through the port and the hearings held that day."""
        K = len(self.ports)
        rec = self.record
        day, port, waited = rec.wait_table()
        med = np.full((self.days, K), np.nan)
        p90 = np.full((self.days, K), np.nan)
        if len(waited):
            order = np.lexsort((waited, port, day))
            day, port, waited = day[order], port[order], waited[order]
            keys = day * K + port
            starts = np.flatnonzero(np.r_[True, np.diff(keys) != 0])
            for s0, s1 in zip(starts, np.r_[starts[1:], len(keys)], strict=True):
                w = waited[s0:s1]
                med[day[s0], port[s0]] = np.median(w)
                p90[day[s0], port[s0]] = np.percentile(w, 90)
        df = pd.DataFrame(
            {
                "day": np.repeat(np.arange(self.days, dtype=np.int32), K),
                "date": np.repeat(np.array(self.dates, dtype="datetime64[D]"), K),
                "port": pd.Categorical(np.tile(np.array(self.ports, dtype=object), self.days), categories=self.ports),
                "signups": rec.signups.reshape(-1),
                "processed": rec.processed.reshape(-1),
                "waitlist": rec.waitlist.reshape(-1),
                "wait_median_days": med.reshape(-1),
                "wait_p90_days": p90.reshape(-1),
            }
        )
        if len(rec.numbers):  # only scenarios with a numbered list (docs/model.md, Numbered lists)
            df["numbers_called"] = rec.numbers[: self.days].reshape(-1)
            df["lost_turn"] = rec.lost_turn[: self.days].reshape(-1)
        if len(rec.sent_back):  # only scenarios with remain-in-Mexico rules: the others' tables are as they were
            df["sent_back"] = rec.sent_back[: self.days].reshape(-1)
            df["hearings"] = rec.hearings[: self.days].reshape(-1)
        return df

    def link_table(self) -> pd.DataFrame:
        """One row per day and road direction that anyone set out along: from, to, road length and the
        number of people who started along it that day (days with nobody on the move are left out)."""
        ent = self.record.link_entries
        day, lk = np.nonzero(ent)
        links = self.scenario.links
        a = np.array([ln.a for ln in links], dtype=object)
        b = np.array([ln.b for ln in links], dtype=object)
        road = lk // 2
        forward = lk % 2 == 0  # directed link 2i runs a -> b, 2i+1 runs b -> a
        start = np.datetime64(self.scenario.start_date, "D")
        return pd.DataFrame(
            {
                "day": day.astype(np.int32),
                "date": start + day.astype("timedelta64[D]"),
                "from": pd.Categorical(np.where(forward, a[road], b[road]), categories=self.places),
                "to": pd.Categorical(np.where(forward, b[road], a[road]), categories=self.places),
                "distance_km": np.array([ln.distance for ln in links], dtype=np.float64)[road],
                "set_out": ent[day, lk],
            }
        )

    def wait_table(self) -> pd.DataFrame:
        """One row per person processed at a port: the day, the port and the days they waited."""
        day, port, waited = self.record.wait_table()
        start = np.datetime64(self.scenario.start_date, "D")
        return pd.DataFrame(
            {
                "day": day.astype(np.int32),
                "date": start + day.astype("timedelta64[D]"),
                "port": pd.Categorical.from_codes(port, categories=self.ports) if self.ports else port,
                "days_waited": waited.astype(np.int32),
            }
        )

    def validation(self) -> Validation:
        camps = [c for c in self.scenario.camp_names() if c in self.observed]
        idx = {n: i for i, n in enumerate(self.places)}
        sim = (
            np.stack([self.record.population[:, idx[c]] for c in camps], axis=1)
            if camps
            else np.zeros((self.days, 0), np.int64)
        )
        obs = (
            np.stack([self.observed[c][: self.days] for c in camps], axis=1)
            if camps
            else np.zeros((self.days, 0), np.int64)
        )
        return Validation(camps=camps, simulated=sim, observed=obs)

    def to_parquet(self, path: str | Path) -> None:
        from .runfolder import write_parquet

        write_parquet(self.table(), Path(path))

    def save(self, out_dir: str | Path, ensemble: list[RunResult] | None = None, **manifest_extra: Any) -> Path:
        """Write the run folder (see outputs.write_run); with `ensemble` (runs of other seeds, this one
        included) also ensemble.parquet, the spread across them."""
        from .runfolder import write_run

        return write_run(self, Path(out_dir), manifest_extra, ensemble)
