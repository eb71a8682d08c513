"""Demographics: each person's value of every attribute of the scenario's demographics files (Flee's
input_csv/demographics_<attribute>.csv: age, gender, ethnicity, floodawareness...), drawn when they set out
with the shares of the place they set out from (else the file's Default column), as Flee's
`demographics.draw_samples` does (djgroen/flee 02cd2cb).

A column per attribute, `demo_<attribute>`, holds the index of the value in the file's order (int16). The
columns exist only for the attributes the scenario has. With `counts_by_demographics`, the `demographics`
table counts each place's people by value every day, for results split by attribute.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ... import states as S
from ...scenario.model import Scenario
from ..agents import Column
from ..component import Component, World
from ..record import Table

_AT_PLACE = S.mask("place")


def column_name(attribute: str) -> str:
    return f"demo_{attribute}"


def stream_name(attribute: str) -> str:
    """The seed tree's name of an attribute's draws (floodawareness kept the name it had before the others)."""
    return "floodawareness" if attribute == "floodawareness" else f"demographic.{attribute}"


# How a person's destination scores read the place's score under Flee's demographic hazard rules
# (flee/moving.py getEndPointScore): as it is, squared, or 1 (BoysTakeRisk)
AS_IS, SQUARED, ONE = 0, 1, 2


def hazard_classes(sc: Scenario) -> int:
    """How many hazard classes of people the route weights are made for (1: no hazard rule)."""
    return 3 if sc.move.hazard_rules else 1


def hazard_class(sc: Scenario, age: str | None, gender: str | None) -> int:
    """Flee's getEndPointScore for a person of this age and gender: the base score squared for children
    (under 19), the elderly (over 59) and women not already squared, 1 for males over 14 with BoysTakeRisk
    (inside ChildrenAvoidHazards, as in Flee: its test sits in that rule's block, so it reaches adult men too,
    and an elderly man's 1 squared stays 1)."""
    mv = sc.move
    years = float(age) if age is not None else math.nan
    h, avoided = AS_IS, False
    if mv.children_avoid_hazards:
        if years < 19:
            h, avoided = SQUARED, True
        if mv.boys_take_risk and gender == "male" and years > 14:
            h = ONE
    if mv.elderly_avoid_hazards and years > 59:
        h = ONE if h == ONE else SQUARED  # base x base: squared again only if it could be (no one is both)
        avoided = True
    if mv.women_avoid_hazards and gender == "female" and not avoided:
        h = ONE if h == ONE else SQUARED
    return h


def match_classes(sc: Scenario) -> tuple[int, int]:
    """(ethnicities, religions) whose people score destinations differently under Flee's Match* rules (1 where
    no rule reads the attribute)."""
    mv = sc.move
    e = len(sc.demographics["ethnicity"].values) if mv.match_ethnicity else 1
    r = len(sc.demographics["religion"].values) if mv.match_camp_religion else 1
    return e, r


def value_labels(sc: Scenario) -> list[str]:
    """The `demographic` axis of the `demographics` table: '<attribute>=<value>', attributes in the scenario's
    order, each one's values in its file's order."""
    return [f"{attr}={v}" for attr, demo in sc.demographics.items() for v in demo.values]


class Demographics(Component):
    """Shared: `draw(start, stop)`, called by spawn for the rows it adds."""

    name = "demographics"
    doc = "each person's demographic values (age, gender, ...), drawn at setting out with their place's shares"
    tables = (
        Table(
            "demographics",
            ("place", "demographic"),
            "people at each place by demographic value at the end of the day (demographics.value_labels order)",
            needed=lambda sc: sc.counts_by_demographics and bool(sc.demographics),
        ),
    )

    @classmethod
    def wanted(cls, sc: Scenario) -> bool:
        return bool(sc.demographics)

    @classmethod
    def columns_for(cls, sc: Scenario) -> tuple[Column, ...]:
        return tuple(
            Column(column_name(attr), np.int16, -1, f"the index of the person's {attr} in demographics_{attr}.csv")
            for attr in sc.demographics
        )

    def __init__(self, world: World) -> None:
        super().__init__(world)
        sc = world.sc
        self.attributes = list(sc.demographics)
        self.rngs = [world.stream(stream_name(attr)) for attr in self.attributes]
        self.cum: list[np.ndarray] = []  # per attribute: (P, values) cumulative shares of each place, ending at 1
        for demo in sc.demographics.values():
            shares = np.array([demo.shares.get(p.name, demo.shares.get("Default")) or [] for p in sc.places])
            cum = np.cumsum(shares, axis=1)
            self.cum.append(cum / cum[:, -1:])
        self.offsets = np.cumsum([0] + [len(d.values) for d in sc.demographics.values()])[:-1].astype(np.int64)
        self.counting = len(world.record.demographics) > 0
        # the hazard class of each (age index, gender index): a lookup for the rows spawn adds
        self.hazard = np.zeros((1, 1), np.int8)
        if sc.move.hazard_rules:
            ages = sc.demographics["age"].values if "age" in sc.demographics else [None]
            genders = sc.demographics["gender"].values if "gender" in sc.demographics else [None]
            self.hazard = np.array([[hazard_class(sc, a, g) for g in genders] for a in ages], np.int8)

    def match_of(self, start: int, stop: int) -> np.ndarray:
        """The Match* class of the people in rows [start, stop): ethnicity index x religions + religion index."""
        a = self.world.agents
        e, r = match_classes(self.world.sc)
        out = np.zeros(stop - start, np.int8)
        if e > 1:
            out += getattr(a, column_name("ethnicity"))[start:stop].astype(np.int8) * np.int8(r)
        if r > 1:
            out += getattr(a, column_name("religion"))[start:stop].astype(np.int8)
        return out

    def counts_at_places(self, attr: str) -> np.ndarray:
        """(P, values) the people at each place (counted there) by their value of `attr` now."""
        a, sc = self.world.agents, self.world.sc
        out = np.zeros((len(sc.places), len(sc.demographics[attr].values)), np.int64)
        count_by_value(a.state, a.loc, getattr(a, column_name(attr)), a.n, _AT_PLACE, 0, out)
        return out

    def hazard_of(self, start: int, stop: int) -> np.ndarray:
        """The hazard class (AS_IS, SQUARED, ONE) of the people in rows [start, stop), from their values."""
        a, sc = self.world.agents, self.world.sc
        if not sc.move.hazard_rules:
            return np.zeros(stop - start, np.int8)
        age = getattr(a, column_name("age"))[start:stop] if "age" in sc.demographics else 0
        gender = getattr(a, column_name("gender"))[start:stop] if "gender" in sc.demographics else 0
        return np.broadcast_to(self.hazard[age, gender], (stop - start,))

    def draw(self, start: int, stop: int) -> None:
        """Every attribute of the people in rows [start, stop), each with the shares of their place."""
        if stop <= start:
            return
        a = self.world.agents
        at = a.loc[start:stop]
        for attr, rng, cum in zip(self.attributes, self.rngs, self.cum, strict=True):
            u = rng.random(stop - start)
            k = np.minimum((u[:, None] >= cum[at]).sum(axis=1), cum.shape[1] - 1)
            getattr(a, column_name(attr))[start:stop] = k

    def record(self, day: int) -> None:
        if not self.counting:
            return
        a = self.world.agents
        out = self.world.record.demographics[day]
        out[:] = 0
        for attr, off in zip(self.attributes, self.offsets, strict=True):
            count_by_value(a.state, a.loc, getattr(a, column_name(attr)), a.n, _AT_PLACE, off, out)


@nb.njit(cache=True)
def count_by_value(state, loc, value, n, at_place, offset, out):
    """out[p, offset + v] += the people at place p whose value is v (their state is counted at a place)."""
    for i in range(n):
        if at_place[state[i]]:
            out[loc[i], offset + value[i]] += 1
