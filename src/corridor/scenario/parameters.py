"""Policy levers as named values: list them, and override them from the command line.

Every lever is a scenario value with a dotted name: `move.max_move_speed`, `spawn.rate`, `hasten`,
`ports.san_ysidro.capacity_per_day`, `ports.san_ysidro.initial_waitlist`, `places.el_barretal.capacity`,
`places.tijuana.movechance`, `cohorts.others.size`, `remain_in_mexico.san_ysidro_2019_01_29.per_day`. Places,
ports, caravans and cohorts are named by a slug of their name (lower case, runs of other characters as `_`);
a remain-in-Mexico rule by its port and date. Overrides are applied to the scenario's data and validated
again by the model, so a bad value gets the same one-line error as a bad file.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..errors import ScenarioError
from .model import RECORDING_FLAGS, Scenario


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


PLACE_LEVERS = ("capacity", "movechance", "population", "attraction")
DATED_PLACE_LEVERS = ("opens", "closes")  # shown and set as dates
PORT_LEVERS = ("capacity_per_day", "fixed_capacity", "initial_waitlist", "sign_rate")
NUMBERED_PORT_LEVERS = ("group_size", "numbers_per_day", "absent")  # a port with a numbered list's
CHOICE_PORT_LEVERS = ("choice_noise",)  # a port sharing a sign-up place with another's
ASYLUM_LEVERS = (
    "custody_days",
    "apprehended_claim",
    "remain_in_mexico_from",
    "return_place",
    "decision_days",
    "default_grant_rate",
)
HAZARD_LEVERS = ("rate", "per_week_waited", "per_crowding", "apprehended")
# levers of the opt-in parts of a hazard, listed only for a hazard that uses the part (its lever is not 0 or
# 1 for group_ref), so the lists of the scenarios that do not use them stay as they were
HAZARD_OPT_LEVERS = ("surrender", "per_expected_wait", "per_others_crossed", "group_size_power", "group_ref")
RETURN_LEVERS = ("per_day", "hearing_days")  # a remain_in_mexico.csv rule's, by port and date
MARCH_LEVERS = ("share", "cross", "apprehended", "deported")


def _keyed(items: list[Any], key) -> list[tuple[str, int]]:
    """(slug, index) for each item; a slug used twice gets _2, _3... in order."""
    seen: dict[str, int] = {}
    out = []
    for i, item in enumerate(items):
        base = key(item)
        seen[base] = seen.get(base, 0) + 1
        out.append((base if seen[base] == 1 else f"{base}_{seen[base]}", i))
    return out


def _hazard_key(h: Any) -> str:
    h = h if isinstance(h, dict) else h.model_dump()
    return slug("_".join(x for x in (h["outcome"], h["where"], h["cohort"]) if x))


def _closure_key(c: Any) -> str:
    c = c if isinstance(c, dict) else c.model_dump()
    return slug("_".join(x for x in (c["kind"], c["a"], c["b"] or "") if x))


def _date(sc: Scenario, day: int | None) -> str | None:
    import datetime as dt

    return None if day is None else (sc.start_date + dt.timedelta(days=day)).isoformat()


def return_key(sc: Scenario, r: Any) -> str:
    """A remain-in-Mexico rule's name: its port and date (san_ysidro_2019_01_29)."""
    r = r if isinstance(r, dict) else r.model_dump()
    return slug(f"{r['port']}_{_date(sc, r['day'])}")


def _march_key(m: Any) -> str:
    m = m if isinstance(m, dict) else m.model_dump()
    return slug(m["where"])


def _shared_signup_ports(sc: Scenario) -> set[str]:
    """The ports with a sign-up place that another port lists too."""
    seen: dict[str, list[str]] = {}
    for port in sc.ports:
        for sp in [port.place, *port.signup_places]:
            seen.setdefault(sp, []).append(port.place)
    return {p for ports in seen.values() if len(ports) > 1 for p in ports}


def list_params(sc: Scenario) -> dict[str, Any]:
    """Every lever of the scenario and its current value, by dotted name."""
    out: dict[str, Any] = {"hasten": sc.hasten}
    for section in ("spawn", "move"):
        for key, value in getattr(sc, section).model_dump().items():
            out[f"{section}.{key}"] = value
    shared = _shared_signup_ports(sc)
    for port in sc.ports:
        keys = PORT_LEVERS + (NUMBERED_PORT_LEVERS if port.group_size is not None else ())
        for key in keys + (CHOICE_PORT_LEVERS if port.place in shared else ()):
            out[f"ports.{slug(port.place)}.{key}"] = getattr(port, key)
    for place in sc.places:
        for key in PLACE_LEVERS:
            out[f"places.{slug(place.name)}.{key}"] = getattr(place, key)
        if place.kind == "shelter" or place.opens is not None or place.closes is not None:
            for key in DATED_PLACE_LEVERS:
                out[f"places.{slug(place.name)}.{key}"] = _date(sc, getattr(place, key))
    for port in sc.ports:  # closures by the hour, one lever per dated closure
        for ev in port.events:
            if ev.kind == "closed_hours":
                out[f"ports.{slug(port.place)}.closed_hours_{_date(sc, ev.day).replace('-', '_')}"] = ev.value
    for name, i in _keyed(sc.closures, _closure_key):
        out[f"closures.{name}.start"] = _date(sc, sc.closures[i].start)
        out[f"closures.{name}.end"] = _date(sc, sc.closures[i].end) if sc.closures[i].end >= 0 else None
    if sc.ports or sc.hazards or sc.marches:
        for key in ASYLUM_LEVERS:
            out[f"asylum.{key}"] = getattr(sc.asylum, key)
    for rule in sc.remain_in_mexico:
        for key in RETURN_LEVERS:
            out[f"remain_in_mexico.{return_key(sc, rule)}.{key}"] = getattr(rule, key)
    if sc.hazards or sc.marches:
        for key in ("share", "days", "place"):
            out[f"reentry.{key}"] = getattr(sc.reentry, key)
    for rule in sc.reentry.rules:  # reentry.csv: one rule per outcome
        for key in ("share", "days"):
            out[f"reentry.{rule.outcome}.{key}"] = getattr(rule, key)
    for name, i in _keyed(sc.hazards, _hazard_key):
        for key in HAZARD_LEVERS:
            if key == "apprehended" and sc.hazards[i].outcome != "crossed":
                continue  # only people crossing between ports can be caught
            out[f"hazards.{name}.{key}"] = getattr(sc.hazards[i], key)
        h = sc.hazards[i]
        for key in HAZARD_OPT_LEVERS:
            used = h.group_size_power > 0 if key == "group_ref" else getattr(h, key) > 0
            if used:
                out[f"hazards.{name}.{key}"] = getattr(h, key)
    for name, i in _keyed(sc.marches, _march_key):
        for key in MARCH_LEVERS:
            out[f"marches.{name}.{key}"] = getattr(sc.marches[i], key)
    for cv in sc.caravans:
        out[f"caravans.{slug(cv.name)}.size"] = sum(d.count for d in sc.departures if d.caravan == cv.name)
    for cohort in dict.fromkeys(d.cohort for d in sc.departures if d.cohort):
        out[f"cohorts.{slug(cohort)}.size"] = sum(d.count for d in sc.departures if d.cohort == cohort)
    for cohort in dict.fromkeys(d.cohort for d in sc.departures if d.cohort and d.household_size > 1):
        rows = [d for d in sc.departures if d.cohort == cohort]  # their mean household size, by people
        people = sum(d.count for d in rows)
        mean = sum(d.household_size * d.count for d in rows) / people if people else rows[0].household_size
        out[f"cohorts.{slug(cohort)}.household_size"] = round(mean, 6)
    return out


def apply_overrides(sc: Scenario, assignments: list[str]) -> Scenario:
    """A new scenario with each `name=value` applied (values are read as YAML: 100, 0.5, true, [1, 0.5])."""
    if not assignments:
        return sc
    data = sc.model_dump()
    known = list_params(sc)
    for text in assignments:
        name, sep, raw = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ScenarioError("not an assignment", field="--set", value=text, expected="NAME=VALUE")
        if name not in known:
            raise ScenarioError(
                "unknown parameter", field="--set", value=name, expected="a name listed by `corridor params PATH`"
            )
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            raise ScenarioError(
                "not a value", field=name, value=raw, expected="a number, true/false or a list"
            ) from None
        parts = name.split(".")
        dated = (parts[0] == "places" and parts[2] in DATED_PLACE_LEVERS) or parts[0] == "closures"
        if dated:
            off = value is None or value is False or (isinstance(value, str) and value.lower() in ("none", "no"))
            value = (-1 if parts[0] == "closures" else None) if off else _day(sc, name, value)
        if parts[0] == "closures":
            i = dict(_keyed(data["closures"], _closure_key))[parts[1]]
            data["closures"][i][parts[2]] = value
            continue
        if parts[0] == "ports" and parts[2].startswith("closed_hours_"):
            when = _day(sc, name, _parse_date(parts[2][len("closed_hours_") :].replace("_", "-")))
            port = next(p for p in data["ports"] if slug(p["place"]) == parts[1])
            for ev in port["events"]:
                if ev["kind"] == "closed_hours" and ev["day"] == when:
                    ev["value"] = value
            continue
        if parts[0] == "remain_in_mexico":  # none: no limit (per_day), no hearing date (hearing_days)
            off = value is None or (isinstance(value, str) and value.lower() in ("none", "no"))
            for rule in data["remain_in_mexico"]:
                if return_key(sc, rule) == parts[1]:
                    rule[parts[2]] = None if off else value
            continue
        if parts[0] == "asylum" and parts[1] == "remain_in_mexico_from":
            off = value is None or value is False or (isinstance(value, str) and value.lower() in ("none", "no"))
            value = None if off else _day(sc, name, value)
        if parts[0] == "reentry" and len(parts) == 3:
            rule = next(r for r in data["reentry"]["rules"] if r["outcome"] == parts[1])
            rule[parts[2]] = value
        elif parts[0] in ("spawn", "move", "asylum", "reentry"):
            data[parts[0]][parts[1]] = value
        elif parts[0] in ("hazards", "marches"):
            key = _hazard_key if parts[0] == "hazards" else _march_key
            i = dict(_keyed(data[parts[0]], key))[parts[1]]
            data[parts[0]][i][parts[2]] = value
        elif parts[0] == "cohorts" and parts[2] == "household_size":
            for d in data["departures"]:
                if slug(d["cohort"]) == parts[1]:
                    d["household_size"] = value
        elif parts[0] in ("caravans", "cohorts"):
            _resize(data, parts[0][:-1], parts[1], name, value)
        elif parts[0] == "hasten":
            data["hasten"] = value
        else:
            table = "ports" if parts[0] == "ports" else "places"
            key = "place" if table == "ports" else "name"
            for item in data[table]:
                if slug(item[key]) == parts[1]:
                    item[parts[2]] = value
    # `source` is excluded from dumps; keep it so outputs still find the scenario folder
    try:
        new = Scenario(**data)
    except ScenarioError:
        raise
    except ValueError as exc:  # pydantic's ValidationError: name the override that broke it
        err = exc.errors()[0] if hasattr(exc, "errors") else {"msg": str(exc), "loc": ()}  # type: ignore[attr-defined]
        parts = list(err.get("loc", ()))
        if len(parts) > 1 and parts[0] in ("ports", "places") and isinstance(parts[1], int):
            item = data[parts[0]][parts[1]]
            parts[1] = slug(item["place"] if parts[0] == "ports" else item["name"])
        loc = ".".join(str(p) for p in parts)
        raise ScenarioError(
            str(err.get("msg", "invalid value")).lower(), field=f"--set {loc}", value=err.get("input")
        ) from None
    new.source = sc.source
    new.priors = sc.priors  # excluded from the dump above, like source
    for flag in RECORDING_FLAGS:  # so are the counts a run keeps
        setattr(new, flag, getattr(sc, flag))
    return new


def _day(sc: Scenario, name: str, value: Any) -> int:
    """A date (2019-01-25) or a day number, as the day number the model keeps."""
    import datetime as dt

    if isinstance(value, dt.date):
        return (value - sc.start_date).days
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ScenarioError("not a date", field=name, value=value, expected="a date YYYY-MM-DD, or none")


def _parse_date(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


def _resize(data: dict[str, Any], column: str, which: str, name: str, value: Any) -> None:
    """caravans.NAME.size, cohorts.NAME.size: scale the departures of that caravan or cohort (every place and
    day) to `value` people."""
    rows = [d for d in data["departures"] if slug(d[column]) == which]
    total = sum(d["count"] for d in rows)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ScenarioError("not a number of people", field=name, value=value, expected="a whole number >= 0")
    if value and not total:  # nobody to scale: the size asked for cannot be reached by scaling
        raise ScenarioError(
            f"no departures to scale ({column} {which} has none in departures.csv)",
            field=name,
            value=value,
            expected="0, or add the departures of that group",
        )
    for d in rows:
        d["count"] = round(d["count"] * value / total) if total else 0
