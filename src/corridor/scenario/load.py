"""Load a scenario from either of its two formats; the caller never needs to say which."""

from __future__ import annotations

from pathlib import Path

from ..errors import ScenarioError
from .flee import Warn, is_flee_folder, load_flee
from .model import Scenario
from .native import is_native_folder, load_native
from .priors import load_priors


def detect_format(path: Path) -> str:
    if is_flee_folder(path):
        return "flee"
    if is_native_folder(path):
        return "corridor"
    # a folder that looks like one format but lacks the file that marks it: name that file
    if (path / "input_csv").is_dir():
        raise ScenarioError(
            "file not found", file=str(path / "input_csv" / "locations.csv"), expected="Flee's table of locations"
        )
    if (path / "places.csv").is_file():
        raise ScenarioError(
            "file not found",
            file=str(path / "scenario.yaml"),
            expected="scenario.yaml with at least start_date and days (or end_date)",
        )
    raise ScenarioError(
        "not a scenario folder",
        file=str(path),
        expected="a folder with scenario.yaml (corridor format) or input_csv/locations.csv (Flee format)",
    )


def load_scenario(path: str | Path, strict: bool = False, warn: Warn | None = None) -> Scenario:
    """Read and validate a scenario folder in corridor's or Flee's format, with its priors.csv if it has one.

    A Flee folder may hold what Flee warns about and goes on (a repeated place name, a closure of an
    unknown place, a setting Flee does not read...): corridor does what Flee does and calls `warn` with
    one line naming the file and row (printed to stderr when `warn` is None), or with `strict` refuses
    it with the usual one-line error. corridor's own format has no such leniency."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError("no such file or folder", file=str(path), expected="a scenario folder")
    if path.is_file() and path.name == "scenario.yaml":
        path = path.parent
    scenario = load_flee(path, strict, warn) if detect_format(path) == "flee" else load_native(path)
    return load_priors(path, scenario)
