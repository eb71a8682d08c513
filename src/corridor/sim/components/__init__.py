"""The components of the day, in the order they run (the plan `corridor plan` prints).

Each module holds one component: the agent columns it uses, the result tables it fills, its step and
its compiled kernels. The states and outcomes it adds are rows of the registry (corridor/states.py)
that name it as their owner. To add a part of the day: write its module, add its class here at its
place in the day (docs/architecture.md).
"""

from .asylum import Asylum
from .attract import Attract
from .capacities import Capacities
from .caravans import Caravans
from .closures import Closures
from .conflicts import Conflicts
from .demographics import Demographics
from .floods import Floods
from .food import Food
from .harvest import Harvest
from .hazards import Hazards
from .households import Households
from .marches import Marches
from .movement import Movement
from .ports import Ports
from .recording import Recording
from .reentry import Reentry
from .roads import RoadDeaths
from .sinks import Sinks
from .social import Social
from .spawn import Spawn

COMPONENTS = (
    Conflicts,
    Floods,
    Food,
    Demographics,
    Households,
    Spawn,
    Reentry,
    Closures,
    Harvest,
    Social,
    Capacities,
    Attract,
    Caravans,
    Movement,
    RoadDeaths,
    Sinks,
    Ports,
    Hazards,
    Marches,
    Asylum,
    Recording,
)

__all__ = [c.__name__ for c in COMPONENTS] + ["COMPONENTS"]
