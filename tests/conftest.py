import os
from pathlib import Path

import pytest

from corridor.scenario.model import Link, MoveRules, Place, Scenario, SeriesPoint, SpawnRules

FLEE_DIR = Path(
    os.environ.get("CORRIDOR_FLEE_SCENARIOS", Path(__file__).resolve().parents[2] / "shared" / "scenarios" / "flee")
)
FLEE_SCENARIOS = ("mali2012", "burundi", "car", "ssudan")


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
