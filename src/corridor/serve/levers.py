"""The levers of a scenario as a person planning would read them: grouped, labelled in plain words, with
units and the scenario's own value.

The names and values are `corridor params`' (scenario.parameters.list_params), so whatever the page
sends back is a `--set NAME=VALUE` the command line would take; only the words are added here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..scenario.model import Scenario
from ..scenario.parameters import _hazard_key, _keyed, _march_key, list_params, return_key, slug

# the order the page shows the groups in
GROUPS = ("ports", "shelters", "policies", "hazards", "movement", "places")
GROUP_TITLES = {
    "ports": "Ports of entry",
    "shelters": "Shelters and camps",
    "policies": "Policies and dates",
    "hazards": "Hazards: returns, deportations, crossings",
    "movement": "Movement and arrivals",
    "places": "Other places",
}

# (label after the thing's name, unit) by the lever's last part
PORT_WORDS = {
    "capacity_per_day": ("claims processed a day", "people a day"),
    "fixed_capacity": ("fixed claims a day, replacing the dated changes (blank: as dated)", "people a day"),
    "initial_waitlist": ("people on the list on the first day", "people"),
    "sign_rate": ("daily chance of signing the list", "chance a day"),
    "group_size": ("people per number on the list", "people"),
    "numbers_per_day": ("numbers called a day (blank: no limit)", "numbers a day"),
    "absent": ("chance a called number is away and loses its turn", "chance"),
    "choice_noise": ("spread of the choice among lists signed at the same place", "days"),
}
PLACE_WORDS = {
    "capacity": ("capacity (blank: unlimited)", "people"),
    "movechance": ("daily chance of setting out (blank: by kind)", "chance a day"),
    "population": ("resident population", "people"),
    "attraction": ("pull as a destination", "times"),
    "opens": ("opens on", "date"),
    "closes": ("closes on (everyone moves on)", "date"),
}
HAZARD_WORDS = {
    "rate": ("daily chance", "chance a day"),
    "per_week_waited": ("rise for each week waited", "times the rate a week"),
    "per_crowding": ("rise with crowding", "times the rate per crowding"),
    "apprehended": ("share caught", "share"),
    "surrender": ("share who surrender to claim asylum", "share"),
    "per_expected_wait": ("rise for each week of expected wait", "times the rate a week"),
    "per_others_crossed": ("rise per crosser the day before per 1,000 present", "times the rate"),
    "group_size_power": ("fall with the size of the group travelling", "power"),
    "group_ref": ("group size at which the rate applies", "people"),
}
MARCH_WORDS = {
    "share": ("share of those present who march", "share"),
    "cross": ("share of marchers who try to cross", "share"),
    "apprehended": ("share of those crossing who are caught", "share"),
    "deported": ("share of marchers who did not cross deported", "share"),
}
ASYLUM_WORDS = {
    "custody_days": ("Days in US custody after processing (mean)", "days"),
    "apprehended_claim": ("Share of those caught crossing who claim asylum", "share"),
    "remain_in_mexico_from": ("Remain in Mexico from (blank: never)", "date"),
    "return_place": ("Where remain-in-Mexico returns people to", ""),
    "decision_days": ("Days from custody to an asylum decision (mean)", "days"),
    "default_grant_rate": ("Share of asylum decisions that grant asylum", "share"),
}
RETURN_WORDS = {
    "per_day": ("people sent back a day (blank: no limit)", "people a day"),
    "hearing_days": ("days to the hearing (blank: the general backlog)", "days"),
}
REENTRY_WORDS = {
    "share": ("Share of those deported who set out again", "share"),
    "days": ("Days at home before setting out again (mean)", "days"),
    "place": ("Where they set out again from", ""),
}
MOVE_WORDS = {
    "max_move_speed": ("Fastest travel on a road", "km a day"),
    "max_walk_speed": ("Fastest travel on foot", "km a day"),
    "start_on_foot": ("Everyone walks their first road", ""),
    "foreign_weight": ("Pull of places abroad", "times"),
    "camp_weight": ("Pull of camps and shelters", "times"),
    "conflict_weight": ("Pull of conflict zones", "times"),
    "conflict_movechance": ("Daily chance of leaving a conflict zone", "chance a day"),
    "camp_movechance": ("Daily chance of leaving a camp", "chance a day"),
    "idpcamp_movechance": ("Daily chance of leaving a camp for internally displaced", "chance a day"),
    "default_movechance": ("Daily chance of leaving any other place", "chance a day"),
    "awareness_level": ("How many roads ahead people look", "roads"),
    "capacity_buffer": ("Share of a camp's capacity at which its pull starts to fall", "share"),
    "capacity_scaling": ("Multiply every capacity by", "times"),
    "softening": ("Distance added to every route", "km"),
    "weight_softening": ("Added to every place's pull", ""),
    "distance_power": ("Power of distance in a route's score", ""),
    "weight_power": ("Power of a place's pull in a route's score", ""),
    "crowded_movechance": ("Daily chance of leaving a shelter, per unit of crowding", "chance a day"),
    "no_backtrack": ("Never go straight back along the road just taken", ""),
}
OUTCOME_WORDS = {
    "returned": "Going home",
    "deported": "Deportation",
    "refuge": "Staying for good (refuge)",
    "crossed": "Crossing between ports",
    "moved": "Moving on",
}


@dataclass(frozen=True)
class Lever:
    name: str  # as `corridor params` prints it and --set takes it
    value: Any  # the scenario's own value (dates as YYYY-MM-DD)
    group: str
    label: str
    unit: str
    type: str  # number, integer, date, boolean, text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _type(value: Any, unit: str) -> str:
    if unit == "date":
        return "date"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float) or (value is None and unit):
        return "number"
    return "text"


def describe(sc: Scenario) -> list[Lever]:
    """Every lever of the scenario, grouped and labelled, in the page's order."""
    params = list_params(sc)
    ports = {slug(p.place): p.place for p in sc.ports}
    places = {slug(p.name): p for p in sc.places}
    hazards = {key: sc.hazards[i] for key, i in _keyed(sc.hazards, _hazard_key)}
    marches = {key: sc.marches[i] for key, i in _keyed(sc.marches, _march_key)}
    caravans = {slug(c.name): c.name for c in sc.caravans}
    returns = {return_key(sc, r): r for r in sc.remain_in_mexico}
    out = []
    for name, value in params.items():
        parts = name.split(".")
        head, last = parts[0], parts[-1]
        group, label, unit = "movement", last.replace("_", " "), ""
        if head == "ports" and last.startswith("closed_hours_"):
            when = last[len("closed_hours_") :].replace("_", "-")
            group, label, unit = "policies", f"{ports[parts[1]]}: hours closed on {when}", "hours"
        elif head == "ports":
            words, unit = PORT_WORDS.get(last, (last.replace("_", " "), ""))
            group, label = "ports", f"{ports[parts[1]]}: {words}"
        elif head == "places":
            place = places[parts[1]]
            words, unit = PLACE_WORDS.get(last, (last.replace("_", " "), ""))
            label = f"{place.name}: {words}"
            sheltering = place.kind in ("shelter", "camp", "idp_camp") or place.capacity
            group = "shelters" if sheltering or last in ("opens", "closes") else "places"
        elif head == "asylum":
            group, (label, unit) = "policies", ASYLUM_WORDS.get(last, (last.replace("_", " "), ""))
        elif head == "remain_in_mexico":
            r = returns[parts[1]]
            words, unit = RETURN_WORDS.get(last, (last.replace("_", " "), ""))
            when = (sc.start_date + _days(r.day)).isoformat()
            group, label = "policies", f"Remain in Mexico at {r.port} from {when}: {words}"
        elif head == "reentry":
            group, (label, unit) = "policies", REENTRY_WORDS.get(last, (last.replace("_", " "), ""))
        elif head == "closures":
            when = "from" if last == "start" else "until"
            group, label, unit = "policies", f"Closure {parts[1].replace('_', ' ')}: {when}", "date"
        elif head == "marches":
            m = marches.get(parts[1])
            words, unit = MARCH_WORDS.get(last, (last.replace("_", " "), ""))
            when = f" on {(sc.start_date + _days(m.day)).isoformat()}" if m is not None else ""
            group, label = "policies", f"March in {m.where if m else parts[1]}{when}: {words}"
        elif head == "caravans":
            group, label, unit = "policies", f"Caravan {caravans.get(parts[1], parts[1])}: people", "people"
        elif head == "hazards":
            h = hazards.get(parts[1])
            words, unit = HAZARD_WORDS.get(last, (last.replace("_", " "), ""))
            group, label = "hazards", f"{_hazard_label(h) if h is not None else parts[1]}: {words}"
        elif head == "hasten":
            label, unit = "Divide every count by (a quick look)", "times"
        elif head == "move":
            label, unit = MOVE_WORDS.get(last, (f"Movement: {last.replace('_', ' ')}", ""))
        elif head == "spawn":
            label = f"Arrivals: {last.replace('_', ' ')}"
        if unit == "date" and isinstance(value, int) and not isinstance(value, bool):
            value = (sc.start_date + _days(value)).isoformat()  # remain_in_mexico_from is kept as a day
        out.append(Lever(name, value, group, label, unit, _type(value, unit)))
    order = {g: i for i, g in enumerate(GROUPS)}
    return sorted(out, key=lambda lv: order[lv.group])  # stable: the params order within a group


def _days(n: int):
    import datetime as dt

    return dt.timedelta(days=int(n))


def _hazard_label(h: Any) -> str:
    who = f" ({h.cohort})" if h.cohort else ""
    return f"{OUTCOME_WORDS.get(h.outcome, h.outcome)} from {h.where}{who}"
