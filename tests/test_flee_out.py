"""out.csv means what Flee's out.csv means, column by column (Flee's runscripts/run.py, development version).

Each column is checked against what it is made of: the scenario's own files, read here independently of
corridor's readers (the raw count, the dates, the camp series), and the other columns of the same row
(errors, sums). A hand-made scenario in which nobody moves gives every figure a known answer.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import corridor
from corridor.output.runfolder import load_run
from corridor.scenario.parameters import apply_overrides

from conftest import FLEE_SCENARIOS, flee_path


def read_out(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """out.csv as text, so that number formatting is checked as written."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def camps_of(header: list[str]) -> list[str]:
    return [c[: -len(" sim")] for c in header if c.endswith(" sim") and c != "refugees in camps (simulation)"]


def series_file(path: Path, start: dt.date, hasten: int) -> list[tuple[int, float]]:
    """A Flee series file as (day, count / hasten): comment, header and blank-count rows skipped."""
    out = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in csv.reader(f):
            if len(row) < 2 or not row[0].strip() or row[0].startswith("#") or not row[1].strip():
                continue
            try:
                day = (dt.date.fromisoformat(row[0].strip()) - start).days
            except ValueError:  # the header row
                continue
            out.append((day, float(row[1]) / hasten))
    return out


def flee_value(points: list[tuple[int, float]], day: int) -> int:
    """Flee's reading of a series on a day: linear between points, truncated; flat before and after."""
    if day <= points[0][0]:
        return int(points[0][1])
    for (d0, v0), (d1, v1) in zip(points, points[1:], strict=False):
        if day < d1:
            return int(v0 + (day - d0) / (d1 - d0) * (v1 - v0))
    return int(points[-1][1])


def settings(folder: Path) -> tuple[dt.date, int, bool]:
    """Start date, hasten and sum_from_camps, read straight from the scenario's files."""
    lines = (folder / "input_csv" / "sim_period.csv").read_text().splitlines()
    period = dict(r[:2] for r in csv.reader(lines) if len(r) >= 2)
    start = dt.date.fromisoformat(period["StartDate"].strip())
    ymlpath = folder / "simsetting.yml"
    yml = ymlpath.read_text() if ymlpath.is_file() else ""
    hasten, sum_from_camps = 1, True  # Flee's defaults
    for line in yml.splitlines():
        key, _, value = line.split("#")[0].strip().partition(":")
        if key == "hasten":
            hasten = int(value)
        elif key == "sum_from_camps":
            sum_from_camps = value.strip().lower() == "true"
    return start, hasten, sum_from_camps


def layout(folder: Path) -> list[list[str]]:
    with open(folder / "source_data" / "data_layout.csv", newline="") as f:
        return [[c.strip() for c in r if c.strip()] for r in csv.reader(f) if len(r) > 1 and not r[0].startswith("#")]


def check_columns(
    folder: Path, run_dir: Path, sum_from_camps: bool | None = None
) -> tuple[list[dict[str, str]], list[str]]:
    """Every column of run_dir/out.csv against the scenario's files and the row's own columns; the rows,
    and the camps whose data column was checked against their own file."""
    start, hasten, sfc = settings(folder)
    sum_from_camps = sfc if sum_from_camps is None else sum_from_camps
    header, rows = read_out(run_dir / "out.csv")
    camps = camps_of(header)
    rows_of_layout = layout(folder)
    assert rows_of_layout[0][0] == "total"  # Flee's layouts start with the total, which its day-0 count relies on
    total = series_file(folder / "source_data" / rows_of_layout[0][1], start, hasten)
    # Flee's camp sum runs over every data_layout series besides the total, also those of places that are
    # not camps (car's Bossobolo): out.csv's data columns and the rest, each read here from its one file
    names = [r[0] for r in rows_of_layout[1:]]
    assert set(camps) <= set(names)
    assert header == [
        "Day", "Date", *[f"{c} {k}" for c in camps for k in ("sim", "data", "error")], "Total error",
        "refugees in camps (UNHCR)", "total refugees (simulation)", "raw UNHCR refugee count",
        "refugees in camps (simulation)", "refugee_debt",
    ]  # fmt: skip
    # camps read from one file and never corrected are checked against that file as Flee reads it
    corr = folder / "input_csv" / "registration_corrections.csv"
    corrected = {r[0].strip() for r in csv.reader(corr.read_text().splitlines()) if r} if corr.is_file() else set()
    plain = {
        r[0]: series_file(folder / "source_data" / r[1], start, hasten)
        for r in rows_of_layout[1:]
        if len(r) == 2 and r[0] not in corrected
    }
    others = [c for c in names if c not in camps]
    assert set(others) <= set(plain), "a series outside out.csv that this test cannot read on its own"
    places = pd.read_csv(run_dir / "places.csv")
    everyone = (places.population + places.in_transit).groupby(places.day).sum()
    ard = pd.read_csv(run_dir / "validation.csv").set_index("day")["ard"]
    raws = []
    for r in rows:
        day = int(r["Day"])
        assert r["Date"] == (start + dt.timedelta(days=day + 1)).isoformat()
        sim = np.array([int(r[f"{c} sim"]) for c in camps])
        data = np.array([int(r[f"{c} data"]) for c in camps])
        for c in camps:
            if c in plain:
                assert int(r[f"{c} data"]) == flee_value(plain[c], day), (day, c)
        for c, s, o in zip(camps, sim, data, strict=True):
            rel = abs(float(s) / float(o) - 1) if o > 0 else 0.0
            assert r[f"{c} error"] == repr(float(np.round(rel, 4))), (day, c)  # numpy's rounding, as Flee's
        raw = int(r["raw UNHCR refugee count"])
        if sum_from_camps:
            assert raw == flee_value(total, 0) + data.sum() + sum(flee_value(plain[o], day) for o in others), day
        else:
            assert raw == flee_value(total, day), day
        raws.append(raw)
        assert raw > 0  # these scenarios always have a count, so every observed column is written
        assert r["Total error"] == repr(float(np.abs(sim - data).sum()) / float(raw)), day
        assert int(r["refugees in camps (UNHCR)"]) == data.sum()
        assert int(r["refugees in camps (simulation)"]) == sim.sum()
        assert int(r["total refugees (simulation)"]) == everyone[day]
        # corridor's ARD stays over the observed camp total, not the raw count
        assert ard[day] == pytest.approx(np.abs(sim - data).sum() / max(data.sum(), 1), rel=1e-5)
    debt = np.maximum.accumulate(raws) - np.array(raws)
    assert [int(r["refugee_debt"]) for r in rows] == debt.tolist()
    return rows, sorted(set(plain) & set(camps))


def test_mali2012_full_run_matches_flees_columns(tmp_path: Path) -> None:
    folder = flee_path("mali2012")
    corridor.load(folder).run(seed=1).save(tmp_path / "r")
    rows, plain = check_columns(folder, tmp_path / "r")
    assert len(rows) == 300 and plain == ["Bobo-Dioulasso", "Niamey"]
    # figures printed by Flee's development version (02cd2cb) on mali2012; they follow from the files alone
    assert (rows[0]["Date"], rows[0]["raw UNHCR refugee count"]) == ("2012-03-01", "3089")
    day98 = rows[98]
    assert (day98["Date"], day98["raw UNHCR refugee count"], day98["refugees in camps (UNHCR)"]) == (
        "2012-06-07",
        "7285",
        "5278",
    )


@pytest.mark.parametrize("name", [n for n in FLEE_SCENARIOS if n != "mali2012"])
def test_other_flee_scenarios_short_run(name: str, tmp_path: Path) -> None:
    folder = flee_path(name)
    corridor.load(folder).run(seed=1, days=30).save(tmp_path / "r")
    rows, _ = check_columns(folder, tmp_path / "r")
    assert len(rows) == 30


def test_mali2012_without_sum_from_camps_reports_the_total_series(tmp_path: Path) -> None:
    """Without sum_from_camps Flee's raw count is the interpolated `total` series itself (mali2012, day 98: 8566)."""
    folder = flee_path("mali2012")
    sc = apply_overrides(corridor.load(folder).scenario, ["spawn.sum_from_camps=false"])
    corridor.Simulation(sc).run(seed=1, days=100).save(tmp_path / "r")
    rows, _ = check_columns(folder, tmp_path / "r", sum_from_camps=False)
    assert rows[98]["raw UNHCR refugee count"] == "8566"


# ---------------------------------------------------------------- a hand-made case with known answers


def hand_made(root: Path, *, sum_from_camps: bool, total: str, c1: str, c2: str, spawn: str = "") -> Path:
    """One conflict zone and two camps; camps keep their day-0 people (camp_movechance 0) and, where the
    series that drives spawning never rises above its day-0 value, nobody else ever comes."""
    files = {
        "input_csv/locations.csv": "#name,region,country,lat,lon,location_type,conflict_date,pop\n"
        "A,r,X,0,0,conflict_zone,0,1000\nC1,r,Y,0,1,camp,,100000\nC2,r,Z,1,0,camp,,100000\n",
        "input_csv/routes.csv": "#name1,name2,distance\nA,C1,100\nA,C2,300\n",
        "input_csv/sim_period.csv": "StartDate,2020-01-30\nLength,5\n",
        "source_data/data_layout.csv": "total,total.csv\nC1,c1.csv\nC2,c2.csv\n",
        "source_data/total.csv": total,
        "source_data/c1.csv": c1,
        "source_data/c2.csv": c2,
        "simsetting.yml": f"spawn_rules:\n  insert_day0: True\n  sum_from_camps: {sum_from_camps}\n{spawn}"
        "move_rules:\n  camp_movechance: 0.0\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


C1 = "2020-01-30,100\n2020-02-03,140\n"  # 100, 110, 120, 130, 140
C2 = "2020-01-30,50\n2020-02-01,10\n"  # 50, 30, 10, 10, 10


def test_hand_made_sum_from_camps(tmp_path: Path) -> None:
    """Raw count = total's day-0 value + the camps' sum: 1005 + (150, 140, 130, 140, 150); the camps' sum
    never passes its day-0 value, so no one is spawned and the camps hold 100 and 50 all along."""
    folder = hand_made(tmp_path / "s", sum_from_camps=True, total="2020-01-30,1005\n2020-02-09,2005\n", c1=C1, c2=C2)
    corridor.load(folder).run(seed=3).save(tmp_path / "r")
    header, rows = read_out(tmp_path / "r" / "out.csv")
    assert camps_of(header) == ["C1", "C2"]
    assert [r["Date"] for r in rows] == ["2020-01-31", "2020-02-01", "2020-02-02", "2020-02-03", "2020-02-04"]
    assert [r["raw UNHCR refugee count"] for r in rows] == ["1155", "1145", "1135", "1145", "1155"]
    assert [r["refugee_debt"] for r in rows] == ["0", "10", "20", "10", "0"]
    assert [r["refugees in camps (UNHCR)"] for r in rows] == ["150", "140", "130", "140", "150"]
    assert {(r["C1 sim"], r["C2 sim"], r["total refugees (simulation)"]) for r in rows} == {("100", "50", "150")}
    # |100 - C1| + |50 - C2| over the raw count; Python's shortest form, as Flee prints a float
    expected = ["0.0", repr(30 / 1145), repr(60 / 1135), repr(70 / 1145), repr(80 / 1155)]
    assert [r["Total error"] for r in rows] == expected
    assert [r["C1 error"] for r in rows] == ["0.0", "0.0909", "0.1667", "0.2308", "0.2857"]
    assert [r["C2 error"] for r in rows] == ["0.0", "0.6667", "4.0", "4.0", "4.0"]
    # the ARD corridor reports stays over the observed camp total
    ard = pd.read_csv(tmp_path / "r" / "validation.csv")["ard"].tolist()
    assert ard == pytest.approx([0, 30 / 140, 60 / 130, 70 / 140, 80 / 150], rel=1e-5)
    assert check_columns(folder, tmp_path / "r")[1] == ["C1", "C2"]
    # same scenario and seed, same bytes
    corridor.load(folder).run(seed=3).save(tmp_path / "again")
    assert (tmp_path / "again" / "out.csv").read_bytes() == (tmp_path / "r" / "out.csv").read_bytes()


def test_hand_made_total_series(tmp_path: Path) -> None:
    """Without sum_from_camps the raw count is the `total` series, interpolated: 1000 and 1000 + 7.5 a day,
    truncated; the total never rises, so nobody is spawned."""
    folder = hand_made(tmp_path / "s", sum_from_camps=False, total="2020-01-30,1030\n2020-02-03,1000\n", c1=C1, c2=C2)
    corridor.load(folder).run(seed=0).save(tmp_path / "r")
    _, rows = read_out(tmp_path / "r" / "out.csv")
    assert [r["raw UNHCR refugee count"] for r in rows] == ["1030", "1022", "1015", "1007", "1000"]
    assert [r["refugee_debt"] for r in rows] == ["0", "8", "15", "23", "30"]
    assert [r["Total error"] for r in rows] == ["0.0", repr(30 / 1022), repr(60 / 1015), repr(70 / 1007), "0.08"]
    check_columns(folder, tmp_path / "r")


def test_hand_made_conflict_spawning_has_no_raw_count(tmp_path: Path) -> None:
    """Flee keeps its raw count at 0 when spawning follows conflicts, and then writes 0 in the columns
    that divide by it or come from it."""
    spawn = "  conflict_driven_spawning:\n    spawn_mode: constant\n    displaced_per_conflict_day: 20\n"
    folder = hand_made(tmp_path / "s", sum_from_camps=True, total="2020-01-30,1005\n", c1=C1, c2=C2, spawn=spawn)
    corridor.load(folder).run(seed=0).save(tmp_path / "r")
    _, rows = read_out(tmp_path / "r" / "out.csv")
    for r in rows:
        assert (r["Total error"], r["refugees in camps (UNHCR)"], r["raw UNHCR refugee count"], r["refugee_debt"]) == (
            "0.0",
            "0",
            "0",
            "0",
        )
    # the camps' own columns are written as on any day
    assert [r["C1 data"] for r in rows] == ["100", "110", "120", "130", "140"]
    assert int(rows[-1]["total refugees (simulation)"]) > 0


def test_load_run_puts_observed_counts_on_the_places_dates(tmp_path: Path) -> None:
    """out.csv's Date is the day after the step; the report's observed series still sits on the step's day."""
    folder = hand_made(tmp_path / "s", sum_from_camps=True, total="2020-01-30,1005\n", c1=C1, c2=C2)
    corridor.load(folder).run(seed=0).save(tmp_path / "r")
    run = load_run(tmp_path / "r")
    c1 = run.observed["C1"]
    assert list(c1.index.date) == [dt.date(2020, 1, 30) + dt.timedelta(days=d) for d in range(5)]
    assert c1.tolist() == [100, 110, 120, 130, 140]
