"""Calibration: ABC-SMC over a scenario's priors (`corridor calibrate`), and the posterior it leaves.

`Posterior.read(DIR).draw(rng, k)` gives k parameter sets ({lever: value}) for runs; it needs neither pyabc
nor the command line. `calibrate(...)` (corridor.calibrate.smc) imports pyabc, which takes seconds.
"""

from __future__ import annotations

from typing import Any

from ..output.calibration import Posterior, is_calibration, read_manifest
from .targets import RangeDistance, Selection, select


def calibrate(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """corridor.calibrate.smc.calibrate (pyabc imported on first call)."""
    from .smc import calibrate as run

    return run(*args, **kwargs)


__all__ = ["Posterior", "RangeDistance", "Selection", "calibrate", "is_calibration", "read_manifest", "select"]
