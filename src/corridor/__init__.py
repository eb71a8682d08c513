"""corridor: a simulator of forced-migration corridors and the border asylum systems at their end.

Importing the package changes nothing outside it: no environment variable, no thread count, no
random state (tests/test_architecture.py checks this).
"""

__version__ = "0.1.0"

from .api import Simulation, ValidationReport, compare, load  # noqa: E402
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
    "compare",
    "load",
    "__version__",
]
