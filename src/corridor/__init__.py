"""corridor: a simulator of forced-migration corridors and the border asylum systems at their end."""

import os as _os

# numba's OpenMP workers otherwise spin between the daily kernel calls and take the CPU from the
# per-day numpy work; on a busy 2-core machine that made runs 3x slower (bench/run_all.py, threads).
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

from .api import Simulation, ValidationReport, load  # noqa: E402
from .errors import CorridorError, ScenarioError  # noqa: E402
from .output.results import RunResult  # noqa: E402
from .scenario.model import Scenario  # noqa: E402

__all__ = [
    "CorridorError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "ValidationReport",
    "load",
    "__version__",
]
