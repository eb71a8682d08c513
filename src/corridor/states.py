"""What each agent state and each counted outcome means: the one registry the whole package reads.

A person's `state` column holds one of the codes below. Where a state sits decides how the person is
counted: at a place (in the place's population), on a road (in transit towards the road's end), or off
the network (in custody, in the US, gone home...). The kernels compare states with the constants
exported here; the stocks, the census, the conservation check, the result tables, the observation
metrics and the report all read the tables below, so a state or an outcome is described once.

An outcome is an event counted per place and day (the places table's columns deported, returned_home...
and the metrics of observations.csv). Most outcomes move a person into a state; a march is an event
that may end in none.

Adding a state or an outcome: append a row (a new code; existing codes never change, since they are
compiled into the kernels and numba's cache does not notice a constant changed in another file), name
the component that owns it, and use the constant in that component. docs/architecture.md walks through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Where = Literal["place", "road", "off", "none"]


@dataclass(frozen=True)
class State:
    code: int
    name: str  # the column of states.parquet
    where: Where  # counted at a place, on a road, off the network, or not at all (a row not in use)
    terminal: bool  # nothing happens to a person in this state any more
    owner: str  # the component that declares it (sim/components/<owner>.py)
    label: str  # in plain words
    counted: bool = True  # a column of states.parquet (False: a row not in use, or a state that ends the same day)
    # a Scenario method that says whether the scenario can put anyone in this state; "" always. Its column of
    # states.parquet is written only then, so results of scenarios without the feature do not change.
    when: str = ""


@dataclass(frozen=True)
class Outcome:
    code: int  # the index in the day x place x outcome table
    name: str  # the places table's column, and the metric of observations.csv
    state: str | None  # the state it puts a person in (None: an event that changes no state)
    owner: str
    label: str
    leaves_place: bool  # the person leaves the place's population (or the road) that day
    when: str = ""  # as State.when: its column of the places table is written only when this Scenario method says so


STATES: tuple[State, ...] = (
    State(0, "inactive", "none", False, "spawn", "a row not yet in use", counted=False),
    State(1, "at_place", "place", False, "movement", "at a place, on their own"),
    State(2, "on_road", "road", False, "movement", "on a road, on their own"),
    State(3, "signing", "place", False, "ports", "arrived where a port's list is kept; signs it today", counted=False),
    State(4, "on_list", "place", False, "ports", "on a port's waiting list, waiting where they are"),
    State(5, "in_custody_processed", "off", False, "ports", "in custody after a port took their claim"),
    State(6, "in_custody_apprehended", "off", False, "hazards", "in custody after being caught crossing"),
    State(7, "waiting_in_us", "off", False, "asylum", "out of custody, waiting for a decision in the US"),
    State(8, "remain_in_mexico", "place", False, "asylum", "sent back to wait for a decision in the border city"),
    State(9, "granted", "off", True, "asylum", "granted asylum"),
    State(10, "removed", "off", False, "asylum", "denied, or caught and not claiming: removed"),
    State(11, "deported", "off", False, "hazards", "deported by the transit country"),
    State(12, "returned_home", "off", False, "hazards", "gave up and went home"),
    State(13, "refuge_in_mexico", "off", True, "hazards", "asked for refuge in the transit country"),
    State(14, "crossed_undetected", "off", True, "hazards", "crossed between ports and got through"),
    State(15, "in_caravan_at_place", "place", False, "caravans", "travelling with a caravan that is in a town"),
    State(16, "in_caravan_on_road", "road", False, "caravans", "travelling with a caravan that is on a road"),
    State(17, "died", "off", True, "roads", "died on the road", when="has_road_deaths"),
    State(18, "settled", "place", True, "sinks", "settled in a camp for good (camps as sinks)", when="has_camp_sinks"),
    State(
        19,
        "harvesting",
        "place",
        False,
        "harvest",
        "at home for the harvest months (counted there)",
        when="has_harvest",
    ),
    State(
        20,
        "in_custody_surrendered",
        "off",
        False,
        "hazards",
        "in custody after crossing between ports and surrendering to claim asylum",
        when="has_surrender",
    ),
)

OUTCOMES: tuple[Outcome, ...] = (
    Outcome(0, "deported", "deported", "hazards", "deported by the transit country", True),
    Outcome(1, "returned_home", "returned_home", "hazards", "gave up and went home", True),
    Outcome(2, "refuge", "refuge_in_mexico", "hazards", "asked for refuge in the transit country", True),
    Outcome(3, "crossed_caught", "in_custody_apprehended", "hazards", "crossed between ports and were caught", True),
    Outcome(4, "crossed_undetected", "crossed_undetected", "hazards", "crossed between ports undetected", True),
    Outcome(5, "marched", None, "marches", "marched to the border (most came back)", False),
    Outcome(6, "moved_away", "at_place", "hazards", "moved on to another border city", True),
    Outcome(7, "died", "died", "roads", "died on a road leading to the place", True, when="has_road_deaths"),
    Outcome(
        8,
        "crossed_surrendered",
        "in_custody_surrendered",
        "hazards",
        "crossed between ports and surrendered to the border patrol to claim asylum",
        True,
        when="has_surrender",
    ),
)

# The outcomes a hazard row of hazards.csv may name, in the order of the hazard kernel's tables. 'crossed'
# ends in crossed_surrendered, crossed_caught or crossed_undetected.
HAZARD_OUTCOMES: tuple[str, ...] = ("deported", "returned", "refuge", "crossed", "moved")

# Codes as constants for the kernels (numba reads a module's globals as compile-time constants).
(INACTIVE, AT_PLACE, ON_ROAD, SIGNING, ON_LIST, PROCESSED, APPREHENDED, WAITING_US, REMAIN_MX, GRANTED, REMOVED,
 DEPORTED, RETURNED, REFUGE, UNDETECTED, CARAVAN_AT, CARAVAN_ROAD, DIED, SETTLED,
 HARVESTING, SURRENDERED) = (s.code for s in STATES)  # fmt: skip
(F_DEPORTED, F_RETURNED, F_REFUGE, F_CAUGHT, F_THROUGH, F_MARCHED, F_MOVED, F_DIED,
 F_SURRENDERED) = (o.code for o in OUTCOMES)  # fmt: skip
H_DEPORTED, H_RETURNED, H_REFUGE, H_CROSSED, H_MOVED = range(len(HAZARD_OUTCOMES))

N_STATES = len(STATES)
N_OUTCOMES = len(OUTCOMES)
STATE_NAMES: tuple[str, ...] = tuple(s.name for s in STATES)
OUTCOME_NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)
BY_NAME: dict[str, State] = {s.name: s for s in STATES}

# The state a person is in by default where they are: the census counts them as what is left of a place's
# population (or of the people on roads) once every other state there is counted.
DEFAULT_AT = {"place": AT_PLACE, "road": ON_ROAD}


def codes(where: Where) -> tuple[int, ...]:
    """The states counted at a place ('place'), on a road ('road') or off the network ('off')."""
    return tuple(s.code for s in STATES if s.where == where)


def mask(where: Where) -> np.ndarray:
    """A boolean lookup by state code: True for the states counted `where` (for kernels and numpy)."""
    out = np.zeros(N_STATES, np.bool_)
    out[list(codes(where))] = True
    return out


def counted(sc: object | None = None) -> tuple[State, ...]:
    """The states that are columns of states.parquet, in code order; with a scenario, only those it can
    reach (State.when)."""
    return tuple(s for s in STATES if s.counted and _applies(s.when, sc))


def outcomes(sc: object | None = None) -> tuple[Outcome, ...]:
    """The outcomes that are columns of the places table, in code order; with a scenario, only those it
    can produce (Outcome.when)."""
    return tuple(o for o in OUTCOMES if _applies(o.when, sc))


def _applies(when: str, sc: object | None) -> bool:
    return not when or sc is None or bool(getattr(sc, when)())


def _check() -> None:
    """The registry's own rules, checked on import: codes are 0..n-1 in order, names unique, every
    outcome's state exists."""
    assert [s.code for s in STATES] == list(range(len(STATES))), "state codes must be 0..n-1 in order"
    assert [o.code for o in OUTCOMES] == list(range(len(OUTCOMES))), "outcome codes must be 0..n-1 in order"
    assert len(set(STATE_NAMES)) == len(STATES) and len(set(OUTCOME_NAMES)) == len(OUTCOMES)
    for o in OUTCOMES:
        assert o.state is None or o.state in BY_NAME, f"outcome {o.name}: unknown state {o.state}"
    for where, code in DEFAULT_AT.items():
        assert STATES[code].where == where


_check()
