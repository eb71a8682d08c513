"""The scenario model: every input and parameter, typed and validated in one place.

Both ways in (corridor's own folder format and Flee's) produce a `Scenario`. Items read from a
file carry `at` ("file:row") so that errors found later still name where the value came from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ScenarioError, error_at
from ..states import HAZARD_OUTCOMES

PlaceKind = Literal["conflict_zone", "town", "camp", "idp_camp", "forwarding_hub", "marker", "shelter", "port_of_entry"]
PLACE_KINDS: tuple[str, ...] = PlaceKind.__args__  # type: ignore[attr-defined]

# Limits set by the arrays the engine keeps (sim/engine.py's Agents columns, sim/border.py): a value past
# one of them cannot be simulated, so the model refuses it and says why.
MAX_DAYS = 32_767  # Agents.joined and the days waited are int16 day numbers
MAX_PEOPLE = 2**31 - 1  # agents are rows numbered with int32 (waiting lists, custody, caravans)
MAX_HOUSEHOLD = 20  # mean household size: far above any family group travelling together
MAX_COHORTS = 127  # Agents.cohort is int8, and cohort 0 is 'none'
MAX_NATIONS = 32_767  # Agents.origin is int16
MAX_PORTS = 127  # Agents.port (the list a person signed) is int8, and -1 is 'none'
MAX_DEMOGRAPHIC_VALUES = 32_767  # a demographic agent column is int16
MAX_ROUTE_ROADS = 127  # Routes.length and Agents.rpos (the next road of a route) are int8
# Route and spawn weights are float64 sums over places and routes; one weight past this leaves no room.
MAX_WEIGHT = 1e300
WHY = {
    MAX_DAYS: "the engine keeps day numbers in 16-bit integers",
    MAX_PEOPLE: "the engine numbers people with 32-bit integers",
}

ClosureKind = Literal["country", "location", "link", "camp", "idp_camp", "remove_forced_redirection"]
CLOSURE_KINDS: tuple[str, ...] = ClosureKind.__args__  # type: ignore[attr-defined]


class Strict(BaseModel):
    # NaN and infinity are refused everywhere: NaN slips past a field without bounds and poisons the sums of
    # weights the engine draws from; infinity overflows them
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False)


class Place(Strict):
    """A node of the network: an origin, a town, a camp, a shelter..."""

    name: str = Field(min_length=1)
    kind: PlaceKind = "town"
    country: str = "unknown"
    region: str = ""
    within: str = Field("", description="The city or area this place is part of (a shelter in its city).")
    lat: float = Field(0.0, ge=-90, le=90)
    lon: float = Field(0.0, ge=-180, le=180)
    population: int = Field(0, ge=0, le=MAX_PEOPLE, description="Resident (non-displaced) population.")
    capacity: int | None = Field(
        None, ge=0, le=MAX_PEOPLE, description="Most displaced people the place holds; None or 0 is unlimited."
    )
    conflict_date: int | None = Field(
        None, description="Day a conflict zone's conflict begins when no conflict table is given."
    )
    movechance: float | None = Field(
        None, ge=0, le=1, description="Daily chance of setting out from here; None: set by kind (move rules)."
    )
    attraction: float = Field(
        1.0, ge=0, description="Multiplies the place's score as a destination (a declared goal, a known dead end)."
    )
    turns_away: bool = Field(
        False,
        description="A shelter that turns people away when full (Flee's camp capacity rule) instead of crowding.",
    )
    opens: int | None = Field(None, ge=0, description="Day the place opens (a shelter); closed to arrivals before.")
    closes: int | None = Field(None, ge=0, description="Day the place closes; everyone there moves to `move_to`.")
    move_to: str | None = Field(None, description="Where the people of a closing place are taken.")
    deactivation_probability: float = Field(
        0.0,
        ge=0,
        le=1,
        exclude_if=lambda v: v == 0,  # left out of scenario.json when 0: the scenarios without sinks as they were
        description="A camp as a sink: each day's chance that a person there settles for good, still counted there "
        "but never moving or changing again (Flee's camps_are_sinks); 0: none.",
    )
    capacity_per_day: int = Field(
        0,
        ge=0,
        le=MAX_PEOPLE,
        exclude_if=lambda v: v == 0,  # left out of scenario.json when 0, as the other opt-in fields
        description="People added to the place's capacity every day, from day 0 (Flee's capacity_per_day column): "
        "on day d the capacity is capacity + (d + 1) x this, a place without a capacity starting from Flee's -1 "
        "(a camp from 0); not divided by hasten, as in Flee; 0: a fixed capacity.",
    )
    conflict_intensity: float = Field(
        1.0,
        gt=0,
        le=1_000_000,
        exclude_if=lambda v: v == 1,
        description="A conflict zone's intensity from its conflict_date when no conflict table covers it (Flee's "
        "conflict_intensity column); it multiplies conflict-driven spawning and the conflict weight's power.",
    )
    at: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _dates(self) -> Place:
        if self.closes is not None and self.opens is not None and self.closes <= self.opens:
            raise ValueError(f"closes (day {self.closes}) must come after opens (day {self.opens})")
        if self.closes is not None and not self.move_to:
            raise ValueError("a place that closes needs move_to: where its people are taken")
        if self.conflict_intensity != 1 and self.kind != "conflict_zone":
            raise ValueError("conflict_intensity is only read for conflict zones (leave it 1 elsewhere)")
        return self

    def open_on(self, day: int) -> bool:
        return (self.opens is None or day >= self.opens) and (self.closes is None or day < self.closes)

    @field_validator("name", "country", "region", "within")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()


class Link(Strict):
    """An undirected road between two places."""

    a: str
    b: str
    distance: float = Field(ge=0, description="Road distance in km.")
    speed: float | None = Field(None, gt=0, description="km/day on this link; default: move.max_move_speed.")
    forced_redirection: int = Field(0, ge=0, le=2, description="Flee's column; kept, has no effect.")
    death_rate: float = Field(
        0.0,
        ge=0,
        le=1,
        # left out of scenario.json when 0, so the scenarios without deaths are written as they were
        exclude_if=lambda v: v == 0,
        description="Daily chance that a person who ends a day on this road (either way) dies there; 0: none.",
    )
    walk_probability: float = Field(
        0.0,
        ge=0,
        le=1,
        exclude_if=lambda v: v == 0,
        description="Each day on this road, each person's chance of going at move.max_walk_speed instead of the "
        "road's speed (Flee's walk_probability column); 0: never.",
    )
    at: str | None = Field(None, exclude=True)


class MajorRoute(Strict):
    """A route of Flee's major_routes.csv: places joined by roads, known to everyone who can see its first or
    last place (move.fixed_routes). Flee attaches a row to its first place and, reversed, to its last; an empty
    first or last cell leaves that direction out, as in Flee."""

    places: list[str] = Field(min_length=2, description="The places in order, each joined to the next by a road.")
    forward: bool = Field(True, description="Known from the first place (Flee: the row's first cell names it).")
    backward: bool = Field(True, description="Known, reversed, from the last place (the row's last cell names it).")
    at: str | None = Field(None, exclude=True)


class Closure(Strict):
    """A closure in force on days [start, end).

    As in Flee, which closes on day `start` and reopens on day `end`: end < start means it never
    reopens, and end == start closes nothing.
    """

    kind: ClosureKind
    a: str
    b: str = ""
    start: int = Field(ge=0)
    end: int
    at: str | None = Field(None, exclude=True)

    def active(self, day: int) -> bool:
        if self.end > self.start:
            return self.start <= day < self.end
        return self.end < self.start <= day


class ConflictPeriod(Strict):
    """Violence at a place with a given intensity on days [start, end)."""

    place: str
    start: int = Field(ge=0)
    end: int
    intensity: float = Field(1.0, gt=0)
    at: str | None = Field(None, exclude=True)


class SeriesPoint(Strict):
    day: int
    value: float = Field(ge=0, le=MAX_PEOPLE)


class Departure(Strict):
    """`count` people set out from `place`, spread evenly over days [start, end) (a caravan, a flow)."""

    place: str
    start: int = Field(ge=0)
    end: int | None = Field(None, description="None: all on the start day.")
    count: int = Field(ge=0, le=MAX_PEOPLE)
    cohort: str = Field("", description="A label (caravan, background flow) that hazards can single out.")
    caravan: str = Field("", description="Join this caravan if it is here that day (else travel on one's own).")
    nationality: str = Field("", description="Country of origin (asylum grant rates); blank: the place's country.")
    children: float = Field(0.0, ge=0, le=1, description="Share of them who are children (travelling with family).")
    household_size: float = Field(
        1.0,
        ge=1,
        le=MAX_HOUSEHOLD,
        exclude_if=lambda v: v == 1,  # left out of scenario.json when 1: the scenarios without households as they were
        description="Mean size of the households they set out in (people who travel, decide and queue together; "
        "docs/model.md, Households); 1: everyone on their own. Children are placed in households with an adult.",
    )
    at: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _order(self) -> Departure:
        if self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Correction(Strict):
    """Flee's registration correction: scale a camp's counts before `day` to match its level."""

    place: str
    day: int
    at: str | None = Field(None, exclude=True)


class PortEvent(Strict):
    """A dated change at a port: a new daily capacity from `day` on (`capacity` in people, `numbers` in numbers
    of a numbered list), or hours closed on `day`."""

    day: int = Field(ge=0)
    kind: Literal["capacity", "closed_hours", "numbers"]
    value: float = Field(ge=0, le=MAX_PEOPLE)
    at: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _hours(self) -> PortEvent:
        if self.kind == "closed_hours" and self.value > 24:
            raise ValueError("closed_hours must be between 0 and 24")
        return self


class Port(Strict):
    """A port of entry: asylum claims processed per day from a waiting list served in sign-up order.

    People who arrive at the port's place, or at one of `signup_places` (the shelters of the border
    city where the list is kept), put their name on the list and wait where they are. With `onward_to` it is
    a crossing of any kind: the people called go on to that place instead of into custody.
    """

    place: str
    capacity_per_day: float = Field(ge=0, le=MAX_PEOPLE, description="Claims processed on a normal day (metering).")
    signup_places: list[str] = []
    sign_rate: float = Field(
        1.0,
        gt=0,
        le=1,
        description="Daily chance that someone at a sign-up place who is not on the list yet signs it (1: on arrival).",
    )
    initial_waitlist: int = Field(
        0, ge=0, le=MAX_PEOPLE, description="People already on the list on day 0; they wait at waitlist_place."
    )
    waitlist_place: str | None = Field(
        None,
        # left out of scenario.json when not set, so the scenarios without it are written as they were
        exclude_if=lambda v: v is None,
        description="Where the people already on the list on day 0 wait: the port's place or a sign-up place. "
        "None: the port's place.",
    )
    fixed_capacity: float | None = Field(
        None,
        ge=0,
        le=MAX_PEOPLE,
        description="A policy lever: this many claims every day, replacing the dated capacity changes "
        "(closures still apply). None: follow capacity_per_day and the events.",
    )
    events: list[PortEvent] = []
    onward_to: str | None = Field(
        None,
        # left out of scenario.json when not set, so the scenarios without it are written as they were
        exclude_if=lambda v: v is None,
        description="A crossing: the place the people called go on to (the far side of a gulf, a border), "
        "where they travel on by the ordinary rules, instead of custody and an asylum claim. None: a port of entry.",
    )
    # The fields below are left out of scenario.json at their defaults, so scenarios without them are written as
    # they were (docs/model.md, Numbered lists; Choosing among ports).
    group_size: int | None = Field(
        None,
        ge=1,
        le=MAX_PEOPLE,
        exclude_if=lambda v: v is None,
        description="A numbered list: people per number; those who sign on the same day fill numbers in sign "
        "order, a household never split across two. None: the list counts people, one name each.",
    )
    numbers_per_day: float | None = Field(
        None,
        ge=0,
        le=MAX_PEOPLE,
        exclude_if=lambda v: v is None,
        description="A numbered list: numbers called on a normal day, a limit besides capacity_per_day (people); "
        "port events of kind `numbers` change it. None: no limit in numbers.",
    )
    absent: float = Field(
        0.0,
        ge=0,
        le=1,
        exclude_if=lambda v: v == 0.0,
        description="A numbered list: chance that a number's holders are not there when it is called; they lose "
        "their turn and are off the list (they sign again for a new number as anyone at the place would).",
    )
    choice_noise: float = Field(
        0.0,
        ge=0,
        le=MAX_DAYS,
        exclude_if=lambda v: v == 0.0,
        description="Where a sign-up place is listed by several ports, people signing there choose a port with "
        "chance proportional to exp(-expected wait / choice_noise) (days; the first port listing the place sets "
        "it and the sign rate). 0: always the shortest expected wait.",
    )
    at: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _numbered(self) -> Port:
        if self.group_size is None and (
            self.numbers_per_day is not None or self.absent or any(e.kind == "numbers" for e in self.events)
        ):
            raise error_at(
                self.at,
                "numbers_per_day, absent or a `numbers` event on a list without numbers",
                field="group_size",
                value=None,
                expected="a group_size (people per number)",
            )
        return self


class CaravanStop(Strict):
    """A stop on a caravan's route; the legs after it are walked or ridden at `pace`."""

    place: str
    hold_until: int | None = Field(None, ge=0, description="The caravan does not leave before this day.")
    pace: float | None = Field(None, gt=0, description="km a day on the legs after this stop; None: as before.")
    leave: float | None = Field(
        None, ge=0, le=1, description="Daily chance a member goes on alone from here on; None: as before."
    )
    gather: bool = Field(
        False, description="While the caravan is here, people of its cohort who are in town on their own join it."
    )
    at: str | None = Field(None, exclude=True)


class Caravan(Strict):
    """A group that travels together along its stops: it ends each day in a town it can reach at its pace
    (or on a road longer than a day's pace), holds where told to, takes in joiners where it is, loses
    members who go on alone, and breaks up at its last stop."""

    name: str = Field(min_length=1)
    stops: list[CaravanStop] = Field(min_length=2)
    at: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _first(self) -> Caravan:
        if self.stops[0].pace is None:
            raise ValueError(f"caravan {self.name}: the first stop needs a pace (km a day)")
        return self


OUTCOMES: tuple[str, ...] = HAZARD_OUTCOMES
Outcome = Literal[HAZARD_OUTCOMES]  # type: ignore[valid-type]


class Hazard(Strict):
    """A daily chance that a person at a matching place leaves the journey one way.

    deported: removed by the transit country to their origin; returned: gives up and goes home;
    refuge: asks for refuge in the transit country and stays there; crossed: crosses the border
    between ports (caught with probability `apprehended`, otherwise through undetected); moved: leaves
    for place `to` (another border city), arriving the same day and leaving any waiting list. The chance
    grows with time on a waiting list and with crowding: rate x (1 + per_week_waited x weeks on the
    list) x (1 + per_crowding x max(0, people/capacity - 1)).

    Opt-in (every default leaves the chance as above): the chance also grows with the expected wait still
    ahead (per_expected_wait, per week of it), with how many crossed between ports from the place the day
    before (per_others_crossed, per crosser per 1,000 people present), and falls with the size of the group
    a person travels in (x (group / group_ref) ^ -group_size_power: a caravan's members travel in a group of
    the caravan members there, everyone else alone, a group of 1). Of those crossing, a share `surrender`
    walk up to the border patrol to claim asylum (custody, and every one of them claims); the others try to
    get through, caught with probability `apprehended`.
    """

    outcome: Outcome
    where: str = Field(min_length=1, description="A place, or every place whose within, region or country is this.")
    start: int = Field(0, ge=0)
    end: int | None = Field(None, ge=0, description="First day no longer in force; None: to the end.")
    rate: float = Field(ge=0, le=1, description="Chance per person per day.")
    cohort: str = Field("", description="Only people of this cohort (departures.csv); blank: everyone.")
    per_week_waited: float = Field(0.0, ge=0)
    per_crowding: float = Field(0.0, ge=0)
    apprehended: float = Field(
        0.0, ge=0, le=1, description="crossed: share caught by the border patrol, of those who do not surrender."
    )
    surrender: float = Field(
        0.0, ge=0, le=1, description="crossed: share who surrender to the border patrol to claim asylum."
    )
    per_expected_wait: float = Field(
        0.0,
        ge=0,
        description="Added share per week of expected wait still ahead: the names ahead of a person "
        "on their port's list over the port's daily capacity (last 7 days); at a place where a list is signed, "
        "for someone not yet on it, the whole list. 0: the expected wait does not matter.",
    )
    per_others_crossed: float = Field(
        0.0,
        ge=0,
        description="Added share per person who crossed between ports from the place the day before, "
        "per 1,000 people present there. 0: what others did does not matter.",
    )
    group_size_power: float = Field(
        0.0,
        ge=0,
        description="The chance is multiplied by (group / group_ref) ^ -group_size_power, group being "
        "the caravan members at the place (for a caravan's members) or 1 (everyone else). 0: no effect.",
    )
    group_ref: float = Field(
        1.0, ge=1, description="The group size at which the chance is `rate` (see group_size_power)."
    )
    travelling: Literal["", "alone", "caravan"] = Field(
        "", description="Only people travelling on their own (alone) or with a caravan (caravan); blank: both."
    )
    to: str | None = Field(None, description="moved: the place people move to (required for moved, only for it).")
    at: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _destination(self) -> Hazard:
        if self.outcome == "moved" and not self.to:
            raise ValueError("a moved hazard needs a destination place (to)")
        if self.outcome != "moved" and self.to:
            raise ValueError(f"only a moved hazard has a destination (to); this one is {self.outcome}")
        if self.outcome != "crossed" and self.surrender:
            raise ValueError(f"only a crossed hazard has a surrender share; this one is {self.outcome}")
        return self


class March(Strict):
    """A dated march from a city to the border (Tijuana, 25 Nov 2018): a share of the people in the city
    march; a share of the marchers try to cross (a share of those is caught, the rest turned back); a
    share of the other marchers is deported by the transit country."""

    day: int = Field(ge=0)
    where: str = Field(min_length=1, description="A place, or every place whose within, region or country is this.")
    share: float = Field(ge=0, le=1, description="Share of the people present who march.")
    cross: float = Field(0.0, ge=0, le=1, description="Share of the marchers who try to cross.")
    apprehended: float = Field(0.0, ge=0, le=1, description="Share of those crossing who are caught.")
    deported: float = Field(0.0, ge=0, le=1, description="Share of the marchers who did not cross deported.")
    # left out of scenario.json when blank, so marches of everyone are written as they were
    cohort: str = Field(
        "",
        exclude_if=lambda v: not v,
        description="Only people of this cohort (departures.csv) march; blank: everyone.",
    )
    at: str | None = Field(None, exclude=True)


# The outcomes after which people may set out again (reentry.csv's `outcome`), and the state they wait in
REENTRY_OUTCOMES: dict[str, str] = {
    "deported": "deported by the transit country",
    "returned_home": "gave up and went home",
    "removed": "removed by the destination country (denied, or caught and not claiming asylum)",
}


class ReentryRule(Strict):
    """Of the people who reach `outcome`, a share set out again after an exponential time at home, from a place."""

    outcome: Literal["deported", "returned_home", "removed"] = Field(
        description="The outcome they set out again after: "
        + "; ".join(f"{k}: {v}" for k, v in REENTRY_OUTCOMES.items())
    )
    share: float = Field(ge=0, le=1, description="Share of them who set out again.")
    days: float = Field(30.0, ge=1, description="Mean days at home before setting out again (exponential).")
    place: str = Field(min_length=1, description="Where they set out from again (usually the border first crossed).")
    cohort: str = Field(
        "",
        description="The departures cohort they set out again in (travelling as that cohort "
        "does, under its hazards); blank: their own.",
    )
    at: str | None = Field(None, exclude=True)


class Reentry(Strict):
    """People who set out again after being sent or going home. The section's own keys are the rule for those
    deported by the transit country; reentry.csv adds a rule per outcome (`rules`)."""

    share: float = Field(0.0, ge=0, le=1, description="Share of those deported who set out again.")
    days: float = Field(30.0, ge=1, description="Mean days at home before setting out again (exponential).")
    place: str | None = Field(None, description="Where they set out from again; required with share > 0.")
    # left out of scenario.json when empty, so the scenarios without it are written as they were
    rules: list[ReentryRule] = Field(
        [],
        exclude_if=lambda v: not v,
        description="reentry.csv: a rule per outcome (deported, returned_home, removed); deported at most once, "
        "in the section's keys or here.",
    )
    at: str | None = Field(None, exclude=True)

    def all_rules(self) -> list[ReentryRule]:
        """Every rule with a share, the section's own (deported) first, then reentry.csv's in outcome order."""
        rules = [r for r in self.rules if r.share > 0]
        rules.sort(key=lambda r: list(REENTRY_OUTCOMES).index(r.outcome))
        if self.share > 0 and self.place:
            rules.insert(
                0, ReentryRule(outcome="deported", share=self.share, days=self.days, place=self.place, at=self.at)
            )
        return rules


class ReturnRule(Strict):
    """Remain-in-Mexico at one port from `day` on (until the port's next rule): of the people leaving custody
    whose claim the port took or who were caught crossing near it, the eligible ones, in order, up to
    `per_day` a day, are sent back to `return_to` to wait for a hearing `hearing_days` later."""

    day: int = Field(ge=0)
    port: str
    per_day: int | None = Field(
        None, ge=0, le=MAX_PEOPLE, description="Most people sent back a day through this port; None: no limit."
    )
    return_to: str = Field(min_length=1, description="Where they wait (a place of the border city).")
    hearing_days: int | None = Field(
        None,
        ge=1,
        le=MAX_DAYS,
        description="Days from being sent back to the hearing that decides the case; None: no date, "
        "decided after asylum.decision_days like everyone else.",
    )
    nationalities: list[str] = Field([], description="The nationalities it applies to; empty: every one.")
    exempt: list[str] = Field([], description="Nationalities it does not apply to (Mexicans).")
    children: bool = Field(False, description="Whether children (departures' children share) are sent back too.")
    at: str | None = Field(None, exclude=True)


class Asylum(Strict):
    """What happens after a claim is taken at a port (or a person is caught crossing)."""

    custody_days: float = Field(
        3.0, ge=1, description="Mean days in custody after processing or apprehension (exponential)."
    )
    apprehended_claim: float = Field(
        0.5, ge=0, le=1, description="Share of those caught crossing who claim asylum (the rest are removed)."
    )
    remain_in_mexico_from: int | None = Field(
        None,
        ge=0,
        description="Day from which people leaving custody are sent back to wait in `return_place`; with "
        "remain_in_mexico rules (remain_in_mexico.csv), the day the rules start (None: never).",
    )
    return_place: str | None = Field(None, description="Where people under remain-in-Mexico wait for their hearing.")
    decision_days: float = Field(1030.0, gt=0, description="Mean days from leaving custody to a decision.")
    grant_rate: dict[str, float] = Field({}, description="Share of decisions that grant asylum, by origin country.")
    default_grant_rate: float = Field(0.31, ge=0, le=1, description="TRAC: 69% of FY2019 decisions were denials.")
    at: str | None = Field(None, exclude=True)

    @field_validator("grant_rate")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        for k, r in v.items():
            if not 0 <= r <= 1:
                raise ValueError(f"grant rate for {k} must be between 0 and 1 (got {r})")
        return v


class SpawnRules(Strict):
    """How many displaced people enter the simulation and where."""

    mode: Literal["observed", "conflict", "departures", "flood"] = Field(
        "observed",
        description="observed: daily increase of the observed series (Flee's default); "
        "conflict: a rate per conflict zone per day; flood: a rate per flooded place per day by its flood level "
        "(DFlee's flood_driven_spawn_mode); departures: only the scenario's departures table. "
        "Departures are added in every mode.",
    )
    sum_from_camps: bool = Field(
        True, description="observed mode: the series is the sum of the camp series (else 'total')."
    )
    insert_day0: bool = Field(True, description="Fill camps with their day-0 observed counts.")
    take_from_population: bool = Field(
        False,
        description="Each person displaced from a place leaves its population (down to 0), which weighs "
        "where the next are displaced from (Flee's take_from_population).",
    )
    empty_camps_on_day0: bool = Field(
        False,
        description="Every observed series counted from its day-0 value: camps start empty, nobody is spawned "
        "on day 0, and camps are compared with the rise since day 0 (Flee's empty_camps_on_day0).",
    )
    conflict_spawn_decay: list[float] | None = Field(
        None,
        description="Factor per period of conflict_spawn_decay_interval days since a conflict began; the "
        "last value holds.",
    )
    conflict_spawn_decay_interval: int = Field(30, ge=1, le=MAX_DAYS, description="Days per conflict_spawn_decay step.")
    rate: float = Field(
        500.0,
        ge=0,
        description="conflict mode: people per conflict day (constant/poisson), or share of population (pop_ratio).",
    )
    rate_mode: Literal["constant", "pop_ratio", "poisson"] = "constant"
    flood_rates: list[float] | None = Field(
        None,
        exclude_if=lambda v: v is None,  # scenario.json without flood rules stays as it was
        description="flood mode: the rate by flood level (index = level; Flee's displaced_per_flood_day): "
        "people a day (constant, poisson) or share of the place's population (pop_ratio), truncated to whole people.",
    )
    starvation_driven_spawning: bool = Field(
        False,
        exclude_if=lambda v: not v,
        description="Observed spawning also weighs each place by population x its food insecurity (IPC level / 100, "
        "the scenario's food_insecurity), from day 1 (Flee's starvation_driven_spawning).",
    )
    conflict_zone_spawning_only: bool = Field(
        True,
        exclude_if=lambda v: v,
        description="With starvation_driven_spawning, only places in conflict get spawn weight (Flee's default); "
        "without it only they do anyway.",
    )
    average_social_connectivity: float = Field(
        3.0,
        ge=0,
        le=100,
        exclude_if=lambda v: v == 3.0,
        description="Mean of each person's Poisson number of social connections (two_system_decision_making).",
    )
    at: str | None = Field(None, exclude=True)

    @field_validator("flood_rates")
    @classmethod
    def _rates(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and not all(math.isfinite(x) and 0 <= x <= MAX_PEOPLE for x in v):
            raise ValueError(f"every rate a finite number from 0 to {MAX_PEOPLE:,}")
        return v

    @field_validator("conflict_spawn_decay")
    @classmethod
    def _decay(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and any(x < 0 for x in v):
            raise ValueError("decay factors must be >= 0")
        return v or None


class FloodRules(Strict):
    """DFlee's flood rules (Flee's move_rules.flood_rules); lists are indexed by flood level."""

    movechances: list[float] | None = Field(
        None, description="Move chance at a place by its flood level today, replacing its kind's (level > 0 only)."
    )
    loc_weights: list[float] | None = Field(
        None, description="Destination score factor by the destination's flood level today (level > 0 only)."
    )
    forecaster: bool = Field(False, description="People weigh the flood levels forecast for the coming days.")
    forecaster_timescale: int = Field(0, ge=0, le=MAX_DAYS, description="Days of forecast (on above 1).")
    forecaster_end_time: int = Field(0, ge=0, le=MAX_DAYS, description="Last day with forecasts.")
    forecaster_weights: list[float] | None = Field(
        None, description="Weight of each forecast day, indexed by the day of the run forecast (as Flee reads it)."
    )
    awareness_weights: list[float] | None = Field(
        None,
        max_length=127,  # the floodawareness column is 8 bits
        description="Factor of the forecast by a person's flood awareness (index = awareness value).",
    )
    at: str | None = Field(None, exclude=True)

    @field_validator("movechances", "loc_weights", "forecaster_weights", "awareness_weights")
    @classmethod
    def _factors(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and not all(math.isfinite(x) and x >= 0 for x in v):
            raise ValueError("every value a finite number >= 0")
        return v

    @property
    def forecasting(self) -> bool:
        """Whether the forecaster acts on some day (Flee's test: on, and a timescale above 1)."""
        return self.forecaster and self.forecaster_timescale > 1


class Demographic(Strict):
    """Shares of people of each value of one attribute at setting out (Flee's demographics_<attribute>.csv):
    a person setting out from a place draws a value with that place's weights, else with Default's."""

    values: list[str] = Field(
        min_length=1,
        max_length=MAX_DEMOGRAPHIC_VALUES,
        description="The attribute's values, in the file's order (an agent column holds the index).",
    )
    shares: dict[str, list[float]] = Field(
        description="Weights of the values by place name, and 'Default' for places not named."
    )
    at: str | None = Field(None, exclude=True)

    @field_validator("values", mode="before")
    @classmethod
    def _as_text(cls, v: Any) -> Any:
        return [x if isinstance(x, str) else str(x) for x in v] if isinstance(v, list) else v


class MoveRules(Strict):
    """Flee's movement rules (RULES.md; Suleimenova, Bell & Groen 2017) and their defaults."""

    max_move_speed: float = Field(360.0, gt=0, description="km a day on a link (Flee default 360).")
    max_walk_speed: float = Field(35.0, gt=0, description="km a day on foot (first link if start_on_foot).")
    start_on_foot: bool = False
    foreign_weight: float = Field(1.0, ge=0)
    camp_weight: float = Field(1.0, ge=0)
    conflict_weight: float = Field(0.31622776601683794, ge=0, description="Flee default 1/sqrt(10).")
    conflict_movechance: float = Field(1.0, ge=0, le=1)
    camp_movechance: float = Field(0.001, ge=0, le=1)
    idpcamp_movechance: float = Field(0.1, ge=0, le=1)
    default_movechance: float = Field(0.3, ge=0, le=1)
    # Flee takes any level; corridor counts a route's roads in 8 bits
    awareness_level: int = Field(1, ge=0, le=MAX_ROUTE_ROADS, description="Roads ahead people look (1 = neighbours).")
    capacity_buffer: float = Field(0.9, ge=0, le=1)
    capacity_scaling: float = Field(1.0, gt=0)
    softening: float = Field(10.0, ge=0, description="km added to every route's distance.")
    weight_softening: float = Field(0.0, ge=0)
    distance_power: float = Field(1.0, ge=0)
    weight_power: float = Field(1.0, ge=0)
    crowded_movechance: float = Field(
        0.0,
        ge=0,
        description="Added daily chance of moving on from a shelter per unit of crowding above capacity "
        "(people/capacity - 1). Not a Flee rule.",
    )
    follow_routes: bool = Field(
        True,
        description="Someone holding a planned route goes on at every stop on it, whatever the stop's move "
        "chance (Flee's calculateMoveChance: 1 while the route is not empty). False: each place's move chance "
        "applies to everyone there, route or not (a scenario whose waypoints are overnight stops). Not read "
        "from Flee's files: Flee always follows.",
    )
    no_backtrack: bool = Field(
        False,
        description="Never take a road straight back to the place just left (unless it is the only one); "
        "a caravan heads on. Not a Flee rule.",
    )
    stay_close_to_home: bool = Field(
        False,
        description="A route's destination score divided by max(1, km as the crow flies from where "
        "people are) ** home_distance_power (Flee's stay_close_to_home, with Flee's reading of lat and lon).",
    )
    home_distance_power: float = Field(0.5, ge=0)
    use_pop_for_loc_weight: bool = Field(
        False,
        description="A destination that is not a camp scores max(1, population) ** pop_power_for_loc_weight "
        "times more (Flee's use_pop_for_loc_weight).",
    )
    pop_power_for_loc_weight: float = Field(0.1, ge=0)
    movechance_pop_scale_factor: float = Field(
        0.0,
        ge=0,
        description="A place's move chance times (max(population, capacity) / movechance_pop_base) ** "
        "this (Flee's rule of the same name; 0: off).",
    )
    movechance_pop_base: float = Field(10000.0, gt=0)
    avoid_short_stints: bool = Field(
        False,
        description="In a town, someone whose travel over the last days averages under half a day's "
        "(Flee's recent_travel_distance) goes on the same day instead of rolling the town's move chance "
        "(Flee's avoid_short_stints).",
    )
    pruning_threshold: float = Field(
        1.0,
        description="Routes weighing less than the best one's weight / this are left out of the draw; below "
        "1.001 none is (Flee's pruning_threshold, which prunes only above 1.001).",
    )
    flood: FloodRules | None = Field(
        None, exclude_if=lambda v: v is None, description="DFlee's flood rules (None: off)."
    )
    avoid_food_deprived_locations: bool = Field(
        False,
        exclude_if=lambda v: not v,
        description="From day 1 a place in the first place's country scores 1 - (IPC level / 100)^2 times less as a "
        "destination (Flee's avoid_food_deprived_locations; the scenario's food_insecurity).",
    )
    flee_when_starving: bool = Field(
        False,
        exclude_if=lambda v: not v,
        description="A place's move chance m becomes f + (1 - f) m, f its IPC level / 100 (Flee's flee_when_starving).",
    )
    harvest_months: list[int] = Field(
        [],
        exclude_if=lambda v: not v,
        description="Calendar months (1-12) in which everyone at a place is counted at home, the place they set out "
        "from, and stays put (Flee's harvest_months, applied by Flee to everyone, not only farmers).",
    )
    children_avoid_hazards: bool = Field(
        False,
        exclude_if=lambda v: not v,
        description="People under 19 score destinations by the square of the place's score (Flee's "
        "ChildrenAvoidHazards; needs demographics_age.csv).",
    )
    boys_take_risk: bool = Field(
        False,
        exclude_if=lambda v: not v,
        description="With children_avoid_hazards: males over 14 score every destination 1 before the flood, population "
        "and home-distance factors (Flee's BoysTakeRisk; needs demographics_age.csv and demographics_gender.csv).",
    )
    elderly_avoid_hazards: bool = Field(
        False,
        exclude_if=lambda v: not v,
        description="People over 59 score destinations by the square of the place's score (Flee's ElderlyAvoidHazards; "
        "needs demographics_age.csv).",
    )
    women_avoid_hazards: bool = Field(
        False,
        exclude_if=lambda v: not v,
        description="Females not already squared by an age rule score destinations by the square of the place's score "
        "(Flee's WomenAvoidHazards; needs demographics_gender.csv).",
    )
    match_camp_ethnicity: bool = Field(
        False,
        exclude_if=lambda v: not v,
        description="A camp scores x 10 x the share of its people (of its own population) of the person's ethnicity "
        "(Flee's MatchCampEthnicity; needs demographics_ethnicity.csv).",
    )
    match_town_ethnicity: bool = Field(
        False,
        exclude_if=lambda v: not v,
        description="The same for a destination neither a camp nor in conflict (Flee's MatchTownEthnicity).",
    )
    match_conflict_ethnicity: bool = Field(
        False,
        exclude_if=lambda v: not v,
        description="The same for a destination in conflict (Flee's MatchConflictEthnicity).",
    )
    match_camp_religion: bool = Field(
        False,
        exclude_if=lambda v: not v,
        description="A camp scores x the share of its people of the person's religion / avg_religion_fraction "
        "(Flee's MatchCampReligion; needs demographics_religion.csv).",
    )
    avg_religion_fraction: float = Field(
        0.25,
        gt=0,
        exclude_if=lambda v: v == 0.25,
        description="Flee's avg_religion_fraction: MatchCampReligion divides by it (Flee's ReligionBaseRate = 1 / it).",
    )
    fixed_routes: bool = Field(
        False,
        exclude_if=lambda v: not v,
        description="Flee's fixed_routes: each place keeps one route per destination (the shortest, markers counting "
        "as a road) plus the scenario's major_routes, weighed by the destination's score twice and not by its "
        "capacity (docs/flee-compat.md).",
    )
    two_system_decision_making: bool = Field(
        False,
        exclude_if=lambda v: not v,
        description="Flee's system 2: in a place whose conflict (intensity above 0.6) began 10 days ago or more, a "
        "person with 3 social connections or more leaves for sure; connections change with where people are.",
    )
    at: str | None = Field(None, exclude=True)

    @property
    def match_ethnicity(self) -> bool:
        """Whether a Match*Ethnicity rule is on (Flee's destination factor by the person's ethnicity)."""
        return self.match_camp_ethnicity or self.match_town_ethnicity or self.match_conflict_ethnicity

    @property
    def hazard_rules(self) -> bool:
        """Whether a demographic hazard rule acts (BoysTakeRisk acts only inside ChildrenAvoidHazards, as in Flee)."""
        return self.children_avoid_hazards or self.elderly_avoid_hazards or self.women_avoid_hazards

    @field_validator("harvest_months")
    @classmethod
    def _months(cls, v: list[int]) -> list[int]:
        if any(not 1 <= m <= 12 for m in v):
            raise ValueError("harvest months are calendar months, 1 to 12")
        return v


Distribution = Literal["uniform", "loguniform", "intuniform", "normal", "truncnormal", "lognormal", "beta"]
DISTRIBUTIONS: tuple[str, ...] = Distribution.__args__  # type: ignore[attr-defined]
# the columns of priors.csv each distribution needs, and those it may take
PRIOR_PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "uniform": (("low", "high"), ()),
    "loguniform": (("low", "high"), ()),
    "intuniform": (("low", "high"), ()),
    "normal": (("mean", "sd"), ()),
    "truncnormal": (("mean", "sd"), ("low", "high")),
    "lognormal": (("mean", "sd"), ()),
    "beta": (("alpha", "beta"), ("low", "high")),
}


class Prior(Strict):
    """What is known about an uncertain lever before calibration: a distribution over its value.

    `levers` are names as `corridor params` lists them; several levers share one draw (one behaviour set in
    several places). Each distribution is a scipy.stats one (`scipy()`), so a calibration draws from exactly
    this prior: uniform and loguniform on [low, high]; intuniform, the whole numbers low to high; normal;
    truncnormal, a normal cut to [low, high] (one end may be open); lognormal, log(value) normal with `mean`
    and `sd`; beta with `alpha` and `beta` on [low, high] (default [0, 1]). A lever that takes whole numbers
    (`whole`) gets a draw rounded to the nearest one. Whether the levers exist and every draw is valid for
    them is checked against the scenario (corridor.scenario.priors).
    """

    name: str = Field(min_length=1, description="The prior's name: its lever's, or a short one for several.")
    levers: list[str] = Field(min_length=1)
    distribution: Distribution
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    alpha: float | None = None
    beta: float | None = None
    whole: bool = Field(False, description="The levers take whole numbers: draws are rounded.")
    source: str = Field(min_length=1, description="Where the range comes from, or the reasoning behind it.")
    at: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _parameters(self) -> Prior:
        needs, may = PRIOR_PARAMETERS[self.distribution]
        given = {k: getattr(self, k) for k in ("low", "high", "mean", "sd", "alpha", "beta")}
        takes = ", ".join(needs + may)
        for k in needs:
            if given[k] is None:
                raise error_at(
                    self.at,
                    f"{self.distribution} needs {' and '.join(needs)}",
                    field=k,
                    expected=f"a number ({self.distribution} takes {takes})",
                )
        for k, v in given.items():
            if v is not None and k not in needs + may:
                raise error_at(
                    self.at,
                    f"{self.distribution} takes no {k}",
                    field=k,
                    value=v,
                    expected=f"a blank cell ({self.distribution} takes {takes})",
                )
        for k in ("sd", "alpha", "beta"):
            v = given[k]
            if v is not None and v <= 0:
                raise error_at(
                    self.at,
                    f"{'negative' if v < 0 else 'zero'} {k}",
                    field=k,
                    value=v,
                    expected=f"a number > 0 (the {k} of a {self.distribution})",
                )
        lo, hi = self.low, self.high
        if self.distribution == "truncnormal" and lo is None and hi is None:
            raise error_at(
                self.at,
                "truncnormal needs low, high or both",
                field="low",
                expected="the lowest and highest values the lever may take (else: normal)",
            )
        if self.distribution == "beta" and (lo is None) != (hi is None):
            raise error_at(
                self.at,
                "a beta needs both ends or neither",
                field="high" if hi is None else "low",
                expected="low and high of the beta's range, or neither for 0 to 1",
            )
        if lo is not None and hi is not None and lo >= hi:
            raise error_at(
                self.at, "low is not below high", field="high", value=hi, expected=f"a number above low ({lo:g})"
            )
        if self.distribution == "loguniform" and lo is not None and lo <= 0:
            raise error_at(
                self.at,
                "a loguniform range must be above 0",
                field="low",
                value=lo,
                expected="a number > 0 (log-uniform: uniform in log(value))",
            )
        if self.distribution == "intuniform":
            for k, v in (("low", lo), ("high", hi)):
                if v is not None and v != int(v):
                    raise error_at(
                        self.at,
                        "not a whole number",
                        field=k,
                        value=v,
                        expected="a whole number (intuniform draws whole numbers from low to high)",
                    )
        return self

    def support(self) -> tuple[float, float]:
        """The least and greatest values a draw can take (infinite where the distribution is open)."""
        d = self.distribution
        if d in ("normal", "lognormal"):
            return (0.0 if d == "lognormal" else -math.inf), math.inf
        if d == "beta" and self.low is None:
            return 0.0, 1.0
        return (
            -math.inf if self.low is None else self.low,
            math.inf if self.high is None else self.high,
        )

    def scipy(self) -> tuple[str, tuple[float, ...], dict[str, float]]:
        """(name, args, kwargs) of the same distribution in scipy.stats: `getattr(scipy.stats, name)(*args,
        **kwargs)`, as pyabc's `RV(name, *args, **kwargs)` takes it."""
        d, lo, hi, mean, sd = self.distribution, self.low, self.high, self.mean, self.sd
        if d == "uniform":
            return "uniform", (), {"loc": lo, "scale": hi - lo}  # type: ignore[operator]
        if d == "loguniform":
            return "loguniform", (lo, hi), {}  # type: ignore[return-value]
        if d == "intuniform":  # scipy's randint leaves out its upper end
            return "randint", (int(lo), int(hi) + 1), {}  # type: ignore[arg-type]
        if d == "normal":
            return "norm", (), {"loc": mean, "scale": sd}  # type: ignore[dict-item]
        if d == "truncnormal":  # scipy's truncnorm takes its ends in sds from the mean
            a = -math.inf if lo is None else (lo - mean) / sd  # type: ignore[operator]
            b = math.inf if hi is None else (hi - mean) / sd  # type: ignore[operator]
            return "truncnorm", (a, b), {"loc": mean, "scale": sd}  # type: ignore[dict-item]
        if d == "lognormal":
            return "lognorm", (sd,), {"scale": math.exp(mean)}  # type: ignore[arg-type]
        lo, hi = self.support()
        return "beta", (self.alpha, self.beta), {"loc": lo, "scale": hi - lo}  # type: ignore[return-value]

    def frozen(self) -> Any:
        """The distribution as a frozen scipy.stats distribution."""
        import scipy.stats  # here: importing scipy.stats takes longer than reading a scenario

        name, args, kwargs = self.scipy()
        return getattr(scipy.stats, name)(*args, **kwargs)

    def sample(self, rng: Any, n: int) -> Any:
        """`n` draws (a numpy array) from the generator `rng` (numpy.random.Generator), before rounding."""
        return self.frozen().rvs(size=n, random_state=rng)

    def logpdf(self, x: Any) -> Any:
        """Log density at x (log probability for intuniform); -inf outside the support."""
        dist = self.frozen()
        return dist.logpmf(x) if self.distribution == "intuniform" else dist.logpdf(x)

    def value(self, x: float) -> float | int:
        """A draw as its levers take it: rounded to a whole number for a whole-number lever."""
        return int(round(float(x))) if self.whole else float(x)

    def describe(self) -> str:
        """The distribution in a few words: 'uniform 20 to 60', 'beta(9, 1)', 'truncnormal 0.5 ± 0.1, 0 to 1'."""
        d = self.distribution
        g = "{:g}".format
        if d in ("uniform", "loguniform", "intuniform"):
            return f"{d} {g(self.low)} to {g(self.high)}"
        if d == "beta":
            span = "" if self.low is None else f", {g(self.low)} to {g(self.high)}"
            return f"beta({g(self.alpha)}, {g(self.beta)}){span}"
        text = f"{d} {g(self.mean)} ± {g(self.sd)}" + (" (of log)" if d == "lognormal" else "")
        if d == "truncnormal":
            lo, hi = self.support()
            text += f", {g(lo)} to {g(hi)}"
        return text


class Scenario(Strict):
    """A complete scenario: network, period, events, spawning, observations, parameters."""

    name: str = "scenario"
    description: str = Field("", description="Free text about the scenario (corridor format).")
    format: Literal["corridor", "flee"] = "corridor"
    start_date: dt.date
    days: int = Field(gt=0, le=MAX_DAYS)
    hasten: int = Field(1, ge=1, le=MAX_PEOPLE, description="Divide all counts, populations and capacities by this.")
    # what is recorded, not what happens: out of the content hash, like the priors
    counts_by_nationality: bool = Field(
        False,
        exclude=True,
        description="Keep each place's people by nationality every day (the record's `nations` "
        "table, for observations filtered by nationality); it costs a pass over everyone each day.",
    )
    counts_by_cohort: bool = Field(
        False,
        exclude=True,
        description="Keep each place's people by departures cohort every day (the record's `cohorts` table, for "
        "observations of one cohort: present[cohort=caravan]); it costs a pass over everyone each day.",
    )
    counts_by_demographics: bool = Field(
        False,
        exclude=True,
        description="Keep each place's people by demographic value every day (the record's "
        "`demographics` table: a column per value of each attribute); it costs a pass over everyone each day.",
    )
    places: list[Place] = Field(min_length=1)
    links: list[Link] = []
    closures: list[Closure] = []
    conflicts: list[ConflictPeriod] | None = Field(
        None, description="None: conflict zones start on their conflict_date and never end."
    )
    flood_levels: dict[str, list[float]] = Field(
        {},
        exclude_if=lambda v: not v,  # scenario.json without flood rules stays as it was
        description="Flood level per place and day from day 0 (DFlee's flood_level.csv); a place not named is "
        "at level 0. The level of a day is the value truncated to a whole number, as Flee reads it.",
    )
    food_insecurity: dict[str, list[SeriesPoint]] = Field(
        {},
        exclude_if=lambda v: not v,  # scenario.json without food rules stays as it was
        description="IPC food insecurity level (0-100) by region, from day points, linear between them (Flee's "
        "region_attributes_IPC.csv); read by the food rules of move and spawn.",
    )
    demographics: dict[str, Demographic] = Field(
        {},
        exclude_if=lambda v: not v,  # scenario.json without demographics files stays as it was
        description="By attribute (age, gender, ethnicity, floodawareness...): the shares of its values at setting "
        "out (Flee's input_csv/demographics_<attribute>.csv); each becomes an agent column.",
    )
    observed: dict[str, list[SeriesPoint]] = Field(
        {}, description="Observed counts per camp ('total' for the total series), for spawning and validation."
    )
    corrections: list[Correction] = []
    major_routes: list[MajorRoute] = Field(
        [],
        exclude_if=lambda v: not v,  # scenario.json without major routes stays as it was
        description="Flee's major_routes.csv, read with move.fixed_routes (which alone uses them).",
    )
    ports: list[Port] = []
    departures: list[Departure] = []
    caravans: list[Caravan] = []
    hazards: list[Hazard] = []
    marches: list[March] = []
    remain_in_mexico: list[ReturnRule] = Field(
        [],
        # left out of scenario.json when empty, so the scenarios without it are written (and hashed) as they were
        exclude_if=lambda v: not v,
        description="Remain-in-Mexico by port and date (remain_in_mexico.csv), from asylum.remain_in_mexico_from.",
    )
    asylum: Asylum = Asylum()
    reentry: Reentry = Reentry()
    spawn: SpawnRules = SpawnRules()
    move: MoveRules = MoveRules()
    # out of dumps and the content hash: a run's scenario.json and hash are what was run, with or without
    # the priors a calibration would draw it from (priors.csv, checked against the levers by load_scenario)
    priors: list[Prior] = Field([], exclude=True, description="The uncertain levers' priors (priors.csv).")
    source: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        names: dict[str, Place] = {}
        for p in self.places:
            if p.name in names:
                raise error_at(
                    p.at,
                    "duplicate place name",
                    field="name",
                    value=p.name,
                    expected=f"each name once (first at {names[p.name].at or 'an earlier row'})",
                )
            names[p.name] = p
        countries = {p.country for p in self.places}

        def known(name: str, label: str | None, field: str) -> None:
            if name not in names:
                raise error_at(
                    label,
                    "unknown place",
                    field=field,
                    value=name,
                    expected="a name from the places table" + _suggest(name, names),
                )

        for lk in self.links:
            known(lk.a, lk.at, "name1" if self.format == "flee" else "a")
            known(lk.b, lk.at, "name2" if self.format == "flee" else "b")
            if lk.a == lk.b and self.format != "flee":  # Flee takes it (scenario/flee.py's read_routes warns)
                raise error_at(lk.at, "a link joins a place to itself", value=lk.a, expected="two different places")
        for c in self.closures:
            if c.kind == "country":
                for fld, v in (("name1", c.a), ("name2", c.b)):
                    if v not in countries:
                        raise error_at(
                            c.at,
                            "unknown country",
                            field=fld,
                            value=v,
                            expected="one of " + ", ".join(sorted(countries)),
                        )
            else:
                known(c.a, c.at, "name1")
                if c.kind in ("link", "remove_forced_redirection"):
                    known(c.b, c.at, "name2")
                if c.kind in ("camp", "idp_camp") and names[c.a].kind not in ("camp", "idp_camp"):
                    raise error_at(
                        c.at,
                        "camp closure of a place that is not a camp",
                        field="name1",
                        value=c.a,
                        expected="a camp",
                    )
        for cp in self.conflicts or []:
            known(cp.place, cp.at, "place")
        self._check_major_routes(known)
        signs: dict[str, str] = {}
        for port in self.ports:
            known(port.place, port.at, "port")
            if names[port.place].kind != "port_of_entry":
                raise error_at(
                    port.at,
                    "a port must be a place of kind port_of_entry",
                    field="port",
                    value=port.place,
                    expected="a port_of_entry place",
                )
            for sp in [port.place, *port.signup_places]:
                known(sp, port.at, "signup_places")
                # a place listed by several ports: people signing there choose one (Port.choice_noise)
                signs.setdefault(sp, port.place)
            if port.waitlist_place is not None and port.waitlist_place not in [port.place, *port.signup_places]:
                raise error_at(port.at, "not where the port's list is kept", field="waitlist_place",
                               value=port.waitlist_place,
                               expected="the port's place or one of its signup_places: "
                               + ", ".join([port.place, *port.signup_places]))  # fmt: skip
        for port in self.ports:
            if port.onward_to is None:
                continue
            known(port.onward_to, port.at, "onward_to")
            if port.onward_to in signs:
                # a list number is kept by id: arriving where a list is signed would hold two
                raise error_at(
                    port.at,
                    "people called go on to a port's sign-up place",
                    field="onward_to",
                    value=port.onward_to,
                    expected="a place where no port's waiting list is signed (put a road between)",
                )
        # Observed series may name places outside the network (Flee sums them all for spawning).
        for corr in self.corrections:
            if corr.place not in self.observed:
                raise error_at(
                    corr.at,
                    "correction for a place with no observed series",
                    field="place",
                    value=corr.place,
                    expected="one of " + ", ".join(sorted(self.observed)),
                )
        for dep in self.departures:
            known(dep.place, dep.at, "place")
        for p in self.places:
            if p.move_to is not None:
                known(p.move_to, p.at, "move_to")
                if p.move_to == p.name:
                    raise error_at(p.at, "a closing place moves its people to itself", field="move_to", value=p.name)
        caravans = {c.name: c for c in self.caravans}
        links = {frozenset((lk.a, lk.b)) for lk in self.links}
        for cv in self.caravans:
            for k, stop in enumerate(cv.stops):
                known(stop.place, stop.at, "place")
                if k and frozenset((cv.stops[k - 1].place, stop.place)) not in links:
                    raise error_at(
                        stop.at,
                        "no road between consecutive caravan stops",
                        field="place",
                        value=f"{cv.stops[k - 1].place} -> {stop.place}",
                        expected="stops joined by a road of links.csv, in route order",
                    )
        for dep in self.departures:
            if dep.caravan:
                if dep.caravan not in caravans:
                    raise error_at(
                        dep.at,
                        "unknown caravan",
                        field="caravan",
                        value=dep.caravan,
                        expected="blank, or a caravan of caravans.csv: " + (", ".join(caravans) or "none"),
                    )
                if dep.place not in [s.place for s in caravans[dep.caravan].stops]:
                    raise error_at(
                        dep.at,
                        "a caravan's joiners must set out from one of its stops",
                        field="place",
                        value=dep.place,
                        expected=f"a stop of caravan {dep.caravan}",
                    )
        cohorts = set(self.cohorts())
        for item in [*self.hazards, *self.marches]:
            if not self.places_matching(item.where):
                raise error_at(
                    item.at,
                    "no place matches",
                    field="where",
                    value=item.where,
                    expected="a place name, or a within, region or country of some place" + _suggest(item.where, names),
                )
        self._check_destinations(known, cohorts)
        for hz in [*self.hazards, *self.marches]:
            if hz.cohort and hz.cohort not in cohorts:
                raise error_at(
                    hz.at,
                    "unknown cohort",
                    field="cohort",
                    value=hz.cohort,
                    expected="blank, or a cohort of departures.csv: " + (", ".join(sorted(cohorts - {""})) or "none"),
                )
        seen: dict[str, str | None] = {"deported": self.reentry.at} if self.reentry.share > 0 else {}
        for rule in self.reentry.rules:
            if rule.outcome in seen:
                raise error_at(rule.at, "outcome given twice", field="outcome", value=rule.outcome,
                               expected=f"one rule per outcome (also at {seen[rule.outcome]}: scenario.yaml's reentry "
                               "keys are the rule for deported)")  # fmt: skip
            seen[rule.outcome] = rule.at
            known(rule.place, rule.at, "place")
            if rule.cohort and rule.cohort not in cohorts:
                raise error_at(rule.at, "unknown cohort", field="cohort", value=rule.cohort,
                               expected="blank, or a cohort of departures.csv: "
                               + (", ".join(sorted(cohorts - {""})) or "none"))  # fmt: skip
        if self.reentry.share > 0:
            if self.reentry.place is None:
                raise error_at(self.reentry.at, "reentry.share is set but reentry.place is not", field="reentry.place")
            known(self.reentry.place, self.reentry.at, "reentry.place")
        rp = self.asylum.return_place
        if rp is not None:
            known(rp, self.asylum.at, "asylum.return_place")
        self._check_return_rules(known, rp)
        if self.asylum.remain_in_mexico_from is not None and rp is None and not self.remain_in_mexico:
            raise error_at(
                self.asylum.at,
                "remain_in_mexico_from is set but return_place is not",
                field="asylum.return_place",
                expected="the place where people wait for their hearing (a border city)",
            )
        if no_spawn_series(self.spawn, self.observed):
            raise ScenarioError(
                "spawn.mode is 'observed' but the scenario has no observed series",
                file=self.source,
                expected="observed camp counts, or spawn.mode: conflict",
            )
        return self

    def has_food_rules(self) -> bool:
        """Whether a food insecurity rule is on (Flee's IPC rules: move chances, destinations, spawning)."""
        mv = self.move
        return mv.avoid_food_deprived_locations or mv.flee_when_starving or self.spawn.starvation_driven_spawning

    @property
    def flood_awareness(self) -> Demographic | None:
        """DFlee's flood awareness shares (demographics_floodawareness.csv), if the scenario has them."""
        return self.demographics.get("floodawareness")

    @model_validator(mode="after")
    def _demographics(self) -> Scenario:
        """Each demographics file: as many weights as values in every column, none negative, not all 0, and a
        Default column unless every place has its own (Flee's draw stops otherwise)."""
        names = {p.name for p in self.places}
        for attr, demo in self.demographics.items():
            if not attr or not attr.replace("_", "").isalnum():
                raise error_at(
                    demo.at or self.source,
                    "a demographic attribute name",
                    field="demographics",
                    value=attr,
                    expected="letters, digits and _ (from demographics_<attribute>.csv)",
                )
            for col, shares in demo.shares.items():
                if len(shares) != len(demo.values) or any(not x >= 0 for x in shares) or sum(shares) <= 0:
                    raise error_at(
                        demo.at or self.source,
                        f"{attr} shares",
                        field=col,
                        value=shares,
                        expected=f"{len(demo.values)} weights >= 0, not all 0",
                    )
            if "Default" not in demo.shares and not names <= set(demo.shares):
                raise error_at(
                    demo.at or self.source,
                    f"no Default column of {attr} shares",
                    field="Default",
                    expected="a Default column (for the places not named)",
                )
        mv = self.move
        needs = {"age": mv.children_avoid_hazards or mv.elderly_avoid_hazards,
                 "gender": mv.women_avoid_hazards or (mv.children_avoid_hazards and mv.boys_take_risk)}  # fmt: skip
        for attr, needed in needs.items():
            if needed and attr not in self.demographics:
                raise error_at(
                    mv.at or self.source,
                    f"a demographic hazard rule needs each person's {attr}",
                    field="move",
                    value=attr,
                    expected=f"input_csv/demographics_{attr}.csv (Flee stops without it)",
                )
        if needs["age"]:
            bad = [v for v in self.demographics["age"].values if _whole(v) is None]
            if bad:
                raise error_at(
                    self.demographics["age"].at or self.source,
                    "an age that is not a number",
                    field="age",
                    value=bad[0],
                    expected="ages as numbers (Flee compares them with 19, 14 and 59)",
                )
        for attr, needed in (("ethnicity", mv.match_ethnicity), ("religion", mv.match_camp_religion)):
            if needed and attr not in self.demographics:
                raise error_at(
                    mv.at or self.source,
                    f"a Match rule needs each person's {attr}",
                    field="move",
                    value=attr,
                    expected=f"input_csv/demographics_{attr}.csv (Flee stops without it)",
                )
        fr = mv.flood
        classes = len(fr.awareness_weights or [1]) if fr is not None and fr.forecasting else 1
        classes *= 3 if mv.hazard_rules else 1
        for attr, needed in (("ethnicity", mv.match_ethnicity), ("religion", mv.match_camp_religion)):
            classes *= len(self.demographics[attr].values) if needed else 1
        if classes > 127:
            raise error_at(
                mv.at or self.source,
                "too many classes of people with their own route weights",
                field="move",
                value=classes,
                expected="at most 127 (flood awareness values x 3 with the "
                "hazard rules x ethnicities with a Match*Ethnicity rule x religions with MatchCampReligion)",
            )
        if mv.hazard_rules and mv.flood is not None:
            raise error_at(
                mv.at or self.source,
                "demographic hazard rules with DFlee's flood rules",
                field="move.flood",
                expected="one or the other (corridor has not built the flood factors inside the squared score)",
            )
        if mv.fixed_routes and self.has_floods():
            raise error_at(
                mv.at or self.source,
                "fixed_routes with DFlee's flood rules",
                field="move.fixed_routes",
                value=True,
                expected="one or the other (corridor has not built the flood factors of Flee's route tables)",
            )
        return self

    def has_floods(self) -> bool:
        """Whether DFlee's flood rules are on (flood levels move people, weigh places or spawn them)."""
        return self.move.flood is not None or self.spawn.mode == "flood"

    def forecast_last_day(self) -> int:
        """The last day of the run whose forecast is read (forecast days stop at forecaster_end_time)."""
        fr = self.move.flood
        assert fr is not None
        return min(fr.forecaster_end_time, self.days - 1 + fr.forecaster_timescale)

    @model_validator(mode="after")
    def _floods(self) -> Scenario:
        """Flood levels and the lists they index: what Flee can read without stopping."""
        fr, sp = self.move.flood, self.spawn
        if not self.has_floods():
            return self
        names = {p.name for p in self.places}
        for name, levels in self.flood_levels.items():
            if not all(math.isfinite(v) and abs(v) < 2**31 for v in levels):
                raise ScenarioError(
                    "a flood level that is not a finite number",
                    file=self.source,
                    field=f"flood_levels.{name}",
                    expected="flood levels as numbers",
                )
            if name not in names:
                raise ScenarioError(
                    "flood levels of an unknown place",
                    file=self.source,
                    field="flood_levels",
                    value=name,
                    expected="a name from the places table" + _suggest(name, names),
                )
            if len(levels) < self.days:
                raise ScenarioError(
                    "fewer flood levels than days",
                    file=self.source,
                    field=f"flood_levels.{name}",
                    value=len(levels),
                    expected=f"a level for each of the {self.days} days",
                )
        lists: list[tuple[str, str | None, list[float] | None]] = []
        if sp.mode == "flood":
            lists.append(("spawn.flood_rates", sp.at, sp.flood_rates))
        if fr is not None:
            lists += [
                ("move.flood.movechances", fr.at, fr.movechances),
                ("move.flood.loc_weights", fr.at, fr.loc_weights),
            ]
        top = max((int(v) for levels in self.flood_levels.values() for v in levels[: self.days]), default=0)
        if fr is not None and fr.forecasting:  # the forecast reads levels up to its last day too
            last = self.forecast_last_day()
            top = max([top] + [int(v) for levels in self.flood_levels.values() for v in levels[: last + 1]])
        for field, at, values in lists:
            # Flee reads a list at a flood level with lib_math.interp, which stops unless level < len - 1
            if top > 0 and (values is None or len(values) < top + 2):
                raise error_at(
                    at or self.source,
                    "a flood list too short for the flood levels",
                    field=field,
                    value=values,
                    expected=f"at least {top + 2} values (the highest flood level is "
                    f"{top}; Flee's interpolation needs one value beyond it)",
                )
        if fr is not None and fr.forecasting:
            last = self.forecast_last_day()
            for field, values in (("forecaster_weights", fr.forecaster_weights),):
                if values is None or len(values) <= last:
                    raise error_at(
                        fr.at or self.source,
                        "too few flood forecaster weights",
                        field=f"move.flood.{field}",
                        value=values,
                        expected=f"a weight for each day up to day {last} (Flee indexes them by day)",
                    )
            short = [n for n, lv in self.flood_levels.items() if len(lv) <= last]
            if short:
                raise ScenarioError(
                    "flood levels end before the forecast",
                    file=self.source,
                    field=f"flood_levels.{short[0]}",
                    value=len(self.flood_levels[short[0]]),
                    expected=f"levels up to day {last} (forecaster_end_time)",
                )
            aware = self.flood_awareness
            if aware is None or fr.awareness_weights is None:
                raise error_at(
                    fr.at or self.source,
                    "the flood forecaster needs each person's flood awareness",
                    field="move.flood.awareness_weights",
                    value=fr.awareness_weights,
                    expected="awareness_weights and demographics_floodawareness.csv (Flee stops without)",
                )
            whole = [_whole(v) for v in aware.values]
            n_aw = len(fr.awareness_weights)
            bad = [v for v, k in zip(aware.values, whole, strict=True) if k is None or not 0 <= k < n_aw]
            if bad:
                raise error_at(
                    aware.at or self.source,
                    "a flood awareness value with no awareness weight",
                    field="floodawareness",
                    value=bad[0],
                    expected=f"whole values from 0 to {len(fr.awareness_weights) - 1}",
                )
        return self

    @model_validator(mode="after")
    def _limits(self) -> Scenario:
        """What the engine's arrays and float sums can hold (the MAX_* limits above)."""
        if self.days - 1 > (dt.date.max - self.start_date).days:
            raise ScenarioError(
                "the run would end after 9999-12-31",
                file=self.source,
                field="days",
                value=self.days,
                expected=f"at most {(dt.date.max - self.start_date).days + 1} days from {self.start_date}",
            )
        if len(self.ports) > MAX_PORTS:
            raise error_at(
                self.ports[MAX_PORTS].at,
                f"more than {MAX_PORTS} ports",
                field="port",
                value=self.ports[MAX_PORTS].place,
                expected=f"at most {MAX_PORTS} ports (the engine keeps the port a person signed up at in 8 bits)",
            )
        cohorts: set[str] = set()
        for dep in self.departures:
            if dep.cohort and dep.cohort not in cohorts:
                cohorts.add(dep.cohort)
                if len(cohorts) > MAX_COHORTS:
                    raise error_at(
                        dep.at,
                        f"more than {MAX_COHORTS} cohorts",
                        field="cohort",
                        value=dep.cohort,
                        expected=f"at most {MAX_COHORTS} different cohort labels (the engine keeps a person's "
                        "cohort in 8 bits)",
                    )
        nations: set[str] = set()
        countries: list[tuple[Any, str, str]] = [(p, p.country, "country") for p in self.places]
        countries += [(d, d.nationality, "nationality") for d in self.departures if d.nationality]
        for item, country, field in countries:
            nations.add(country)
            if len(nations) > MAX_NATIONS:
                raise error_at(
                    item.at,
                    f"more than {MAX_NATIONS} countries",
                    field=field,
                    value=country,
                    expected=f"at most {MAX_NATIONS} countries and nationalities (the engine keeps a person's "
                    "country of origin in 16 bits)",
                )
        self._check_route_roads()
        self._check_weights()
        return self

    def _check_major_routes(self, known: Callable[[str, str | None, str], None]) -> None:
        """Flee stops (sys.exit) on a major route it cannot walk road by road; corridor refuses it when read. Its
        route table counts a route's roads in 8 bits, so a major route and the way to it fit in MAX_ROUTE_ROADS."""
        if not self.major_routes:
            return
        mv = self.move
        if mv.no_backtrack:
            raise error_at(mv.at, "fixed_routes with no_backtrack", field="move.no_backtrack", value=True,
                           expected="no_backtrack off with fixed routes (a Flee rule set)")  # fmt: skip
        roads = {frozenset((lk.a, lk.b)) for lk in self.links}
        for mr in self.major_routes:
            for k, name in enumerate(mr.places):
                known(name, mr.at, f"place {k + 1}")
            for k, (a, b) in enumerate(zip(mr.places[:-1], mr.places[1:], strict=True)):
                if frozenset((a, b)) not in roads:
                    raise error_at(
                        mr.at,
                        f"no road between {a!r} and {b!r}",
                        field=f"place {k + 2}",
                        value=b,
                        expected="consecutive places joined by a road of routes.csv (Flee stops)",
                    )
            if len(mr.places) - 1 + mv.awareness_level > MAX_ROUTE_ROADS:
                raise error_at(
                    mr.at,
                    "a major route too long",
                    field=f"place {len(mr.places)}",
                    value=len(mr.places),
                    expected=f"at most {MAX_ROUTE_ROADS - mv.awareness_level + 1} places with this awareness_level "
                    "(the engine counts a route's roads in 8 bits)",
                )

    def _check_route_roads(self) -> None:
        """A route passes at most awareness_level places, and any markers between them (a marker costs no
        awareness): each run of markers lies in one connected group of markers, so a route has at most
        awareness x (1 + the largest group) roads. The engine counts a route's roads in 8 bits."""
        aw = self.move.awareness_level
        markers = [p for p in self.places if p.kind == "marker"]
        if not aw or not markers:
            return
        group = {p.name: p.name for p in markers}

        def root(name: str) -> str:
            while group[name] != name:
                group[name] = name = group[group[name]]
            return name

        for lk in self.links:
            if lk.a in group and lk.b in group:
                group[root(lk.a)] = root(lk.b)
        sizes: dict[str, int] = {}
        for p in markers:
            sizes[root(p.name)] = sizes.get(root(p.name), 0) + 1
        biggest = max(sizes, key=lambda k: sizes[k])
        passed = min(len(markers), aw * sizes[biggest])
        if aw + passed > MAX_ROUTE_ROADS:
            first = next(p for p in markers if root(p.name) == biggest)
            raise error_at(
                first.at,
                f"a route could pass {passed} markers ({sizes[biggest]} joined by roads, from here on), "
                f"{aw + passed} roads in all",
                field="location_type" if self.format == "flee" else "kind",
                value=first.kind,
                expected=f"routes of at most {MAX_ROUTE_ROADS} roads (the engine counts a route's roads in 8 bits): "
                "fewer markers in a row, or a lower awareness_level",
            )

    def _check_weights(self) -> None:
        """Refuse what would overflow or divide by zero in the engine's float arithmetic.

        Route weights are ((weight_softening + score) / (softening + km) ** distance_power) ** weight_power,
        score = attraction x foreign_weight x camp_weight x conflict_weight ** (decay x intensity); spawn
        weights are resident x intensity x decay; conflict spawning draws rate x intensity (x population
        for pop_ratio) people a day. Each is bounded here by its worst case, in powers of ten so that the
        check cannot overflow itself, and an error blames the input that contributes most.
        """
        mv, sp, h = self.move, self.spawn, self.hasten
        prefix = "move_rules." if self.format == "flee" else "move."
        limit = math.log10(MAX_WEIGHT)
        hot = max(self.conflicts or [], key=lambda c: c.intensity, default=None)
        intensity = max(1.0, hot.intensity if hot else 1.0)
        decay = max([1.0, *(sp.conflict_spawn_decay or [])])
        # (log10 of the factor, where it was read, field, value)
        t_intensity = (_log(intensity), hot.at if hot else None, "intensity", intensity)
        t_decay = (_log(decay), sp.at, "spawn.conflict_spawn_decay", decay)

        def blame(terms: list[tuple[float, str | None, str, object]], problem: str, expected: str) -> None:
            _, label, field, value = max(terms, key=lambda t: t[0])
            raise error_at(label, problem, field=field, value=value, expected=expected)

        cap = max((p.capacity // h for p in self.places if p.capacity), default=0)
        if _log(cap) + _log(mv.capacity_scaling) > limit:
            raise error_at(
                mv.at, "capacity x capacity_scaling overflows", field=prefix + "capacity_scaling",
                value=mv.capacity_scaling, expected=f"a capacity_scaling that keeps capacities below {MAX_WEIGHT:g}",
            )  # fmt: skip
        if _log(sum(p.population // h for p in self.places)) + t_intensity[0] + t_decay[0] > limit:
            expected = f"intensities and decay factors whose product with the population stays below {MAX_WEIGHT:g}"
            blame([t_intensity, t_decay], "spawn weights (population x intensity x decay) overflow", expected)
        if sp.mode == "conflict":
            terms = [(_log(sp.rate), sp.at, "spawn.rate", sp.rate), t_intensity]
            if sp.rate_mode == "pop_ratio":
                most = max(self.places, key=lambda p: p.population)
                terms.append((_log(most.population // h), most.at, "population", most.population))
            if sum(t[0] for t in terms) > math.log10(MAX_PEOPLE):
                blame(terms, "conflict spawning would create more people in a day than the engine can number",
                      f"a rate whose day's spawn stays at most {MAX_PEOPLE:,} ({WHY[MAX_PEOPLE]})")  # fmt: skip
        if mv.awareness_level == 0 or not self.links:
            return  # every route weighs 1
        short = min(self.links, key=lambda lk: lk.distance)
        km = mv.softening + short.distance
        if km == 0:
            raise error_at(
                short.at, f"a road of length 0 while {prefix}softening is 0", field="distance", value=short.distance,
                expected=f"a distance > 0, or {prefix}softening > 0 (route weights divide by softening + distance)",
            )  # fmt: skip
        # conflict_weight ** (decay x intensity) only grows when conflict_weight > 1; blame the largest of the three
        cw = mv.conflict_weight
        t_conflict = max([(_log(cw), mv.at, prefix + "conflict_weight", cw), t_intensity, t_decay], key=lambda t: t[0])
        attr = max(self.places, key=lambda p: p.attraction)
        score = [
            (_log(attr.attraction), attr.at, "attraction", attr.attraction),
            (_log(max(1.0, mv.foreign_weight)), mv.at, prefix + "foreign_weight", mv.foreign_weight),
            (_log(max(1.0, mv.camp_weight)), mv.at, prefix + "camp_weight", mv.camp_weight),
            (_log(cw) * decay * intensity if cw > 1 else 0.0, *t_conflict[1:]),
        ]
        top = max(sum(t[0] for t in score), _log(mv.weight_softening))
        score.append((_log(mv.weight_softening), mv.at, prefix + "weight_softening", mv.weight_softening))
        below = mv.distance_power * math.log10(km)  # log10 of the smallest divisor
        near = (
            (mv.distance_power, mv.at, prefix + "distance_power", mv.distance_power)
            if mv.distance_power > 1
            else (-math.log10(km), short.at, "distance", short.distance)
        )
        if below < -limit:
            raise error_at(
                near[1], "(softening + shortest road) ** distance_power rounds to 0: route weights would divide by 0",
                field=near[2], value=near[3], expected="a smaller distance_power, or a longer shortest road (km)",
            )  # fmt: skip
        # fixed_routes: a major route's distance counts a quarter, and the weight is multiplied by the score again
        quarter = mv.distance_power * math.log10(4.0) if mv.fixed_routes and self.major_routes else 0.0
        again = top if mv.fixed_routes else 0.0
        if mv.weight_power * (top - below + quarter) + again > limit:
            expected = f"weights, distances and powers that keep every route's weight below {MAX_WEIGHT:g}"
            if top - below + quarter + again <= limit:  # the weights fit; the power takes them past
                blame([(0.0, mv.at, prefix + "weight_power", mv.weight_power)], "route weights overflow", expected)
            blame([*score, (-below, *near[1:])], "route weights overflow", expected)

    def _check_destinations(self, known: Callable[[str, str | None, str], None], cohorts: set[str]) -> None:
        """Where a moved hazard sends people: a known place, not a sign-up place, not where they are, and
        one destination for each place and cohort."""
        signup = {sp for port in self.ports for sp in [port.place, *port.signup_places]}
        goes_to: dict[tuple[str, int], str] = {}
        for hz in self.hazards:
            if hz.to is None:
                continue
            known(hz.to, hz.at, "to")
            if hz.to in signup:
                # a list number is kept by id: moving between a port's sign-up places would hold it twice
                raise error_at(
                    hz.at,
                    "people cannot move to a port's sign-up place",
                    field="to",
                    value=hz.to,
                    expected="a place where no port's waiting list is signed",
                )
            if self.place_index()[hz.to] in self.places_matching(hz.where):
                raise error_at(hz.at, "people would move to where they are", field="to", value=hz.to,
                               expected=f"a place that {hz.where} does not match")  # fmt: skip
            for j in self.places_matching(hz.where):
                for k in [hz.cohort] if hz.cohort else sorted(cohorts):
                    if goes_to.setdefault((k, j), hz.to) == hz.to:
                        continue
                    raise error_at(
                        hz.at,
                        f"people at {self.places[j].name} already move to {goes_to[(k, j)]} (another row)",
                        field="to",
                        value=hz.to,
                        expected="one destination for each place and cohort",
                    )

    def _check_return_rules(self, known: Callable[[str, str | None, str], None], return_place: str | None) -> None:
        """remain_in_mexico.csv: ports of entry, places and nationalities of the scenario; one rule per port and day."""
        if not self.remain_in_mexico:
            return
        if return_place is not None:
            raise error_at(
                self.remain_in_mexico[0].at,
                "remain_in_mexico.csv and asylum.return_place both say where people are sent back",
                field="return_to",
                value=return_place,
                expected="return_to in remain_in_mexico.csv only (remove asylum.return_place)",
            )
        ports = {p.place: p for p in self.ports}
        nations = {p.country for p in self.places} | {d.nationality for d in self.departures if d.nationality}
        seen: set[tuple[str, int]] = set()
        for rule in self.remain_in_mexico:
            if rule.port not in ports:
                raise error_at(
                    rule.at,
                    "unknown port",
                    field="port",
                    value=rule.port,
                    expected="a port of ports.csv: " + (", ".join(ports) or "none") + _suggest(rule.port, ports),
                )
            if ports[rule.port].onward_to is not None:
                raise error_at(
                    rule.at,
                    "remain-in-Mexico at a crossing",
                    field="port",
                    value=rule.port,
                    expected="a port of entry (a port without onward_to): a crossing takes no claims",
                )
            known(rule.return_to, rule.at, "return_to")
            for fld, names in (("nationalities", rule.nationalities), ("exempt", rule.exempt)):
                for n in names:
                    if n not in nations:
                        raise error_at(
                            rule.at,
                            "unknown nationality",
                            field=fld,
                            value=n,
                            expected="countries of places.csv or nationalities of departures.csv, separated by ';': "
                            + ", ".join(sorted(nations))
                            + _suggest(n, dict.fromkeys(nations)),
                        )
            if (rule.port, rule.day) in seen:
                raise error_at(
                    rule.at,
                    "two remain-in-Mexico rules for one port on one date",
                    field="date",
                    value=(self.start_date + dt.timedelta(days=rule.day)).isoformat(),
                    expected="one row per port and date",
                )
            seen.add((rule.port, rule.day))

    def return_rule_days(self) -> list[list[int]]:
        """For each day and port (in ports order), the index in `remain_in_mexico` of the rule in force: the
        port's latest rule dated on or before the day, none before `asylum.remain_in_mexico_from` (nor ever
        where it is None); from that day, a port whose first rule is dated later follows that first rule."""
        start = self.asylum.remain_in_mexico_from
        out = [[-1] * len(self.ports) for _ in range(self.days)]
        if start is None or not self.remain_in_mexico:
            return out
        for k, port in enumerate(self.ports):
            rules = sorted((r.day, j) for j, r in enumerate(self.remain_in_mexico) if r.port == port.place)
            if not rules:
                continue
            now = rules[0][1]
            for day in range(start, self.days):
                for d, j in rules:
                    if d <= day:
                        now = j
                out[day][k] = now
        return out

    def place_index(self) -> dict[str, int]:
        return {p.name: i for i, p in enumerate(self.places)}

    def places_matching(self, where: str) -> list[int]:
        """Indices of the place named `where`, or of every place within that city, region or country."""
        return [i for i, p in enumerate(self.places) if where in (p.name, p.within, p.region, p.country)]

    def has_harvest(self) -> bool:
        """Whether people go home for harvest months (the `harvesting` state, States.when)."""
        return bool(self.move.harvest_months)

    def has_camp_sinks(self) -> bool:
        """Whether any place lets people settle for good (the `settled` state, States.when)."""
        return any(p.deactivation_probability > 0 for p in self.places)

    def has_surrender(self) -> bool:
        """Whether anyone can surrender at the border to claim asylum (the `in_custody_surrendered` state and
        `crossed_surrendered` outcome, States.when)."""
        return any(h.surrender > 0 for h in self.hazards)

    def has_road_deaths(self) -> bool:
        """Whether any road has a chance of dying on it (the `died` state and outcome, States.when)."""
        return any(lk.death_rate > 0 for lk in self.links)

    def has_households(self) -> bool:
        """Whether any departure sets out in households (the agents' `household` column, households.py)."""
        return any(d.household_size > 1 for d in self.departures)

    def cohorts(self) -> list[str]:
        """Cohort labels of the departures, '' (no cohort) first."""
        return ["", *sorted({d.cohort for d in self.departures} - {""})]

    def camp_names(self) -> list[str]:
        """Camps with an observed series, in place order: the places validation compares."""
        return [p.name for p in self.places if p.name in self.observed and p.kind in ("camp", "idp_camp")]

    def effective_capacity(self, place: Place) -> float | None:
        """The capacity the model uses for `place`, in the units of the result tables (people divided by
        `hasten`): whole people after hasten, times `move.capacity_scaling`. None where the place has no
        limit, including a capacity under one person once scaled (the engine treats that as none)."""
        base = self.unscaled_capacity(place)
        if base is None:
            return None
        cap = base * self.move.capacity_scaling
        return cap if cap >= 1 else None

    def unscaled_capacity(self, place: Place) -> int | None:
        """`place`'s capacity in whole people after hasten, less its day-0 count where Flee takes that off
        (below), before `move.capacity_scaling`; None where it has none."""
        if not place.capacity:
            return None
        return place.capacity // self.hasten - self._day0_counts().get(place.name, 0)

    def effective_capacities(self) -> list[float | None]:
        """effective_capacity of every place, in place order."""
        return [self.effective_capacity(p) for p in self.places]

    def _day0_counts(self) -> dict[str, int]:
        """With empty_camps_on_day0 (and insert_day0, in observed spawning) Flee takes each series' day-0 count
        off the place's capacity: the camp starts empty and what is compared is the rise, so its room is for the
        newcomers. (Without empty_camps_on_day0 Flee does the same while also putting the day-0 count in the camp,
        counting those people twice; corridor counts them once: docs/model.md.)"""
        sp = self.spawn
        if not (sp.empty_camps_on_day0 and sp.insert_day0 and sp.mode == "observed"):
            return {}
        from .series import corrected_points, daily

        return {name: int(daily(d, v, 1)[0]) for name, (d, v) in corrected_points(self).items()}

    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.days - 1)

    def content_hash(self) -> str:
        """SHA-256 of the scenario's content (not of where it was read from)."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()


# What a run records beyond its own tables (Scenario fields out of the content hash and of scenario.json): a copy
# of a scenario made from its JSON or its dump (on a worker, with overrides) takes them over from the original.
RECORDING_FLAGS = tuple(n for n in Scenario.model_fields if n.startswith("counts_by"))


def no_spawn_series(spawn: SpawnRules, observed: dict[str, list[SeriesPoint]]) -> bool:
    """Observed spawning with nothing to follow (the readers say which file should have the series)."""
    return spawn.mode == "observed" and spawn.sum_from_camps and not observed


def _log(x: float) -> float:
    """log10 of a non-negative number; 0 for 0 (a factor of 0 or 1 adds nothing to an overflow)."""
    return math.log10(x) if x > 0 else 0.0


def _whole(value: str) -> int | None:
    """int(float(value)) as Flee reads a demographic value it indexes with; None where it is not a number."""
    try:
        x = float(value)
    except ValueError:
        return None
    return int(x) if math.isfinite(x) else None


def _suggest(name: str, names: dict[str, Any]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(names), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


M = TypeVar("M", bound=BaseModel)


def build(
    cls: type[M], data: dict[str, Any], file: str | None, row: int | None, fields: dict[str, str] | None = None
) -> M:
    """Construct a model item, turning a validation error into a ScenarioError at file:row.

    `fields` maps model field names back to the column names the user wrote.
    """
    try:
        return cls(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err.get("loc", ())
        field = str(loc[0]) if loc else None
        shown = (fields or {}).get(field, field) if field else None
        value = err.get("input")
        raise ScenarioError(
            _plain(err), file=file, row=row, field=shown, value=value, expected=_expected(cls, field)
        ) from None


def _plain(err: dict[str, Any]) -> str:
    msg = str(err.get("msg", "invalid value"))
    return msg[0].lower() + msg[1:] if msg else "invalid value"


def _expected(cls: type[BaseModel], field: str | None) -> str | None:
    if not field or field not in cls.model_fields:
        return None
    info = cls.model_fields[field]
    ann = info.annotation
    if getattr(ann, "__args__", None) and all(isinstance(a, str) for a in ann.__args__):  # Literal
        return "one of " + ", ".join(ann.__args__)
    bounds, why = [], ""
    for m in info.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                bounds.append(f"{sym} {getattr(m, attr)}")
        if getattr(m, "le", None) in WHY:
            why = f" ({WHY[m.le]})"
    args = set(getattr(ann, "__args__", None) or (ann,)) - {type(None)}
    names = {int: "whole number", float: "number", str: "text", bool: "yes or no (true or false)"}
    kind = " or ".join(names.get(a, getattr(a, "__name__", str(a))) for a in sorted(args, key=str))
    return (f"a {kind} " + " and ".join(bounds) if bounds else f"a {kind}") + why
