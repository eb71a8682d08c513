"""Policy levers as named values: list them, and override them from the command line.

Every lever is a scenario value with a dotted name: `move.max_move_speed`, `spawn.rate`, `hasten`,
`ports.san_ysidro.capacity_per_day`, `ports.san_ysidro.initial_waitlist`, `places.el_barretal.capacity`,
`places.tijuana.movechance`. Places and ports are named by a slug of their name (lower case, runs of
other characters as `_`). Overrides are applied to the scenario's data and validated again by the model,
so a bad value gets the same one-line error as a bad file.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import ScenarioError
from .model import Scenario


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


PLACE_LEVERS = ("capacity", "movechance", "population")
PORT_LEVERS = ("capacity_per_day", "fixed_capacity", "initial_waitlist")


def list_params(sc: Scenario) -> dict[str, Any]:
    """Every lever of the scenario and its current value, by dotted name."""
    out: dict[str, Any] = {"hasten": sc.hasten}
    for section in ("spawn", "move"):
        for key, value in getattr(sc, section).model_dump().items():
            out[f"{section}.{key}"] = value
    for port in sc.ports:
        for key in PORT_LEVERS:
            out[f"ports.{slug(port.place)}.{key}"] = getattr(port, key)
    for place in sc.places:
        for key in PLACE_LEVERS:
            out[f"places.{slug(place.name)}.{key}"] = getattr(place, key)
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
        if parts[0] in ("spawn", "move"):
            data[parts[0]][parts[1]] = value
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
    return new
