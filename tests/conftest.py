import os
from pathlib import Path

import pytest

from corridor.scenario.model import Link, MoveRules, Place, Scenario, SeriesPoint, SpawnRules

FLEE_DIR = Path(
    os.environ.get("CORRIDOR_FLEE_SCENARIOS", Path(__file__).resolve().parents[2] / "shared" / "scenarios" / "flee")
)
FLEE_SCENARIOS = ("mali2012", "burundi", "car", "ssudan")


def write_folder(root: Path, files: dict[str, str]) -> Path:
    """A scenario folder written from {relative path: text}, for the hand-made Flee folders of the tests
    (input_csv/locations.csv, input_csv/routes.csv, simsetting.yml, ...)."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def flee_path(name: str) -> Path:
    path = FLEE_DIR / name
    if not (path / "input_csv" / "locations.csv").is_file():
        pytest.skip(f"Flee scenario {name} not found in {FLEE_DIR} (set CORRIDOR_FLEE_SCENARIOS)")
    return path


def line_scenario(
    distances, *, speed=200.0, days=10, arrivals=None, camp_capacity=None, closures=(), default_movechance=1.0, **move
) -> Scenario:
    """Origin (a conflict zone) - towns - one camp in a line; `arrivals[day]` people set out that day."""
    n = len(distances)
    places = [Place(name="Origin", kind="conflict_zone", country="A", population=1000, conflict_date=0)]
    places += [Place(name=f"Town{i}", kind="town", country="A") for i in range(1, n)]
    places += [Place(name="Camp", kind="camp", country="B", capacity=camp_capacity)]
    links = [Link(a=places[i].name, b=places[i + 1].name, distance=d) for i, d in enumerate(distances)]
    arrivals = arrivals or {0: 1}
    total, series = 0, []
    for day in range(days):
        total += arrivals.get(day, 0)
        series.append(SeriesPoint(day=day, value=total))
    return Scenario(
        name="line",
        start_date="2020-01-01",
        days=days,
        places=places,
        links=links,
        closures=list(closures),
        observed={"Camp": series},
        spawn=SpawnRules(insert_day0=False),
        move=MoveRules(max_move_speed=speed, camp_movechance=0.0, default_movechance=default_movechance, **move),
    )


WAITLIST = "ports.san_ysidro.initial_waitlist"


def hand_made_calibration(
    folder: Path, scenario, values: list[float], weights: list[float], content_hash: str | None = None
) -> Path:
    """A finished calibration folder whose posterior is known in advance: San Ysidro's list on day 0 is one
    of `values`, with `weights` (`content_hash`: pretend it was made on another version of the scenario)."""
    import pandas as pd

    from corridor.output.calibration import KIND, POSTERIOR, prior_records, write_manifest

    prior = next(p for p in scenario.priors if p.name == WAITLIST)
    folder.mkdir(parents=True)
    pd.DataFrame({WAITLIST: values, "weight": weights}).to_parquet(folder / POSTERIOR)
    write_manifest(
        folder,
        {
            "kind": KIND,
            "status": "done",
            "scenario": {"name": scenario.name, "source": str(scenario.source)},
            "scenario_hash": content_hash or scenario.content_hash(),
            "priors": prior_records([prior]),
            "effective_sample_size": 1.0,
            "known_by": "2018-11-20",
        },
    )
    return folder
