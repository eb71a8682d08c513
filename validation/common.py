"""What the validation scripts share: where Flee's scenarios are."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def add_flee_dir(ap: argparse.ArgumentParser) -> None:
    """--flee-dir: Flee's scenario folders (default $CORRIDOR_FLEE_SCENARIOS or ../shared/scenarios/flee)."""
    default = os.environ.get("CORRIDOR_FLEE_SCENARIOS", ROOT.parent / "shared" / "scenarios" / "flee")
    ap.add_argument("--flee-dir", type=Path, default=Path(default), help="folder holding Flee's scenarios")
