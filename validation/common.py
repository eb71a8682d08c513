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


def replace_between(text: str, start: str, end: str, body: str, doc: Path) -> str:
    """`text` with what lies between the markers `start` and `end` replaced by `body` (the markers kept);
    the page `doc` must have them: where they go is written by hand."""
    if start not in text or end not in text:
        raise SystemExit(f"{doc}: markers {start} ... {end} not found; add them where the table goes")
    head, rest = text.split(start, 1)
    return f"{head}{start}\n{body}\n{end}{rest.split(end, 1)[1]}"
