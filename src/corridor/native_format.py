"""corridor's own scenario folder: scenario.yaml + CSV tables (docs/scenario-format.md)."""

from __future__ import annotations

from pathlib import Path

from .errors import ScenarioError
from .model import Scenario


def is_native_folder(path: Path) -> bool:
    return (Path(path) / "scenario.yaml").is_file()


def load_native(folder: Path) -> Scenario:
    raise ScenarioError("the corridor folder format is being written", file=str(folder))
