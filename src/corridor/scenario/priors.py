"""Priors: a scenario's uncertain levers and what is known about them before calibration (`priors.csv`).

A row names a lever as `corridor params` lists it (or several levers that share one draw), a distribution
and its parameters, and the source or reasoning behind the range (docs/scenario-format.md). The prior
itself is typed and checks its own parameters in the scenario model (`model.Prior`); here it is read and
checked against the scenario's levers, so that every draw is a valid scenario: the lever exists and takes
a number, the distribution's support lies inside the lever's valid range (read from the model's bounds),
and the scenario with every prior at its low end, then at its high end, still validates (cross-checks such
as overflowing route weights). Draws come from a numpy Generator passed in, and become a scenario through
the same `--set NAME=VALUE` overrides the command line takes.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic.fields import FieldInfo

from ..errors import ScenarioError, error_at
from .model import (
    DISTRIBUTIONS,
    MAX_PEOPLE,
    Asylum,
    Departure,
    Hazard,
    March,
    MoveRules,
    Place,
    Port,
    Prior,
    Reentry,
    ReturnRule,
    Scenario,
    SpawnRules,
    build,
)
from .native import Row, read_table
from .parameters import apply_overrides, list_params

PRIORS_CSV = "priors.csv"
PRIOR_COLUMNS = {
    "name": False,
    "lever": True,
    "distribution": True,
    "low": False,
    "high": False,
    "mean": False,
    "sd": False,
    "alpha": False,
    "beta": False,
    "source": True,
}
# other spellings people write for the distributions (compared without case, spaces, '-' and '_')
_ALIASES = {
    "randint": "intuniform",
    "integeruniform": "intuniform",
    "reciprocal": "loguniform",
    "truncatednormal": "truncnormal",
    "truncnorm": "truncnormal",
    "norm": "normal",
    "gaussian": "normal",
    "lognorm": "lognormal",
}
_SECTIONS = {"spawn": SpawnRules, "move": MoveRules, "asylum": Asylum, "reentry": Reentry}
_TABLES = {"ports": Port, "places": Place, "hazards": Hazard, "marches": March, "remain_in_mexico": ReturnRule}
# levers shown and set as dates: a prior over a date is not a prior over a number
_DATED = {("places", "opens"), ("places", "closes"), ("asylum", "remain_in_mexico_from")}
# the file whose rows name each family of levers, for an unknown name (by format)
_NAMED_IN = {
    "corridor": {
        "places": "places.csv",
        "ports": "ports.csv",
        "hazards": "hazards.csv",
        "marches": "marches.csv",
        "caravans": "caravans.csv",
        "cohorts": "departures.csv",
        "closures": "closures.csv",
        "remain_in_mexico": "remain_in_mexico.csv",
    },
    "flee": {"places": "input_csv/locations.csv", "closures": "input_csv/closures.csv"},
}


@dataclass(frozen=True)
class LeverRange:
    """The values a numeric lever may take, from the model's bounds."""

    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False
    whole: bool = False
    why: str = ""

    def text(self) -> str:
        """'a number >= 0 and <= 1', 'a whole number >= 1 and <= 2,147,483,647 (...)'."""
        bounds = []
        if self.low is not None:
            bounds.append(f"{'>' if self.low_open else '>='} {_num(self.low)}")
        if self.high is not None:
            bounds.append(f"{'<' if self.high_open else '<='} {_num(self.high)}")
        kind = "a whole number" if self.whole else "a number"
        return " ".join([kind, " and ".join(bounds)]).strip() + (f" ({self.why})" if self.why else "")


def _num(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() and abs(x) >= 10_000 else f"{x:g}"


def _field_range(info: FieldInfo, why: str = "") -> LeverRange | None:
    """The range of a model field that holds a number; None for any other field (text, switch, list)."""
    args = set(getattr(info.annotation, "__args__", None) or (info.annotation,)) - {type(None)}
    if args not in ({int}, {float}):
        return None
    got: dict[str, Any] = {}
    for m in info.metadata:
        for attr in ("ge", "gt", "le", "lt"):
            if getattr(m, attr, None) is not None:
                got[attr] = getattr(m, attr)
    return LeverRange(
        low=got.get("gt", got.get("ge")),
        low_open="gt" in got,
        high=got.get("lt", got.get("le")),
        high_open="lt" in got,
        whole=args == {int},
        why=why,
    )


def lever_range(name: str) -> LeverRange | str:
    """The values the lever `name` (as list_params names it) may take, or why it takes no prior."""
    parts = name.split(".")
    family, key = parts[0], parts[-1]
    if family == "closures" or (family, key) in _DATED:
        return "a date"
    if family == "cohorts" and key == "household_size":
        return _field_range(Departure.model_fields["household_size"], "mean people a household") or "a number"
    if family in ("caravans", "cohorts"):
        return LeverRange(low=0, high=MAX_PEOPLE, whole=True, why="people: the departures are scaled to it")
    if family == "ports" and key.startswith("closed_hours_"):
        return LeverRange(low=0, high=24, why="hours closed that day")
    if family == "places" and key == "capacity":
        # 0 is valid but means no limit: a draw of 0 would lift the limit instead of lowering it
        return LeverRange(low=1, high=MAX_PEOPLE, whole=True, why="people; 0 would mean unlimited")
    if family == "hasten":
        info = Scenario.model_fields["hasten"]
    elif family in _SECTIONS or family in _TABLES:
        info = {**_SECTIONS, **_TABLES}[family].model_fields[key]
    else:  # a lever added to list_params without saying here where its bounds are
        return "a value whose valid range is not known to priors.py"
    found = _field_range(info)
    if found is None:
        return "text" if info.annotation in (str, str | None) else "a switch, a choice or a list"
    return found


# --- reading priors.csv -------------------------------------------------------------------------


def read_priors(path: Path, scenario: Scenario) -> list[Prior]:
    """The priors of priors.csv, checked against the scenario's levers (check_priors)."""
    priors = []
    for r in read_table(path, PRIOR_COLUMNS):
        levers = [x.strip() for x in r.required("lever", "a lever name as `corridor params PATH` lists it").split(";")]
        levers = [x for x in levers if x]
        for i, lever in enumerate(levers):
            if lever in levers[:i]:
                raise r.error("lever named twice", "lever", lever, "each lever once")
        if not levers:
            raise r.error("no lever named", "lever", r.text("lever"), "lever names separated by ';'")
        name = r.text("name") or (levers[0] if len(levers) == 1 else "")
        if not name:
            raise r.error(
                "a prior shared by several levers needs a name",
                "name",
                expected="a short name for the prior (a calibration reports it by this name)",
            )
        data = {
            "name": name,
            "levers": levers,
            "distribution": _distribution(r.required("distribution", "one of " + ", ".join(DISTRIBUTIONS)), r),
            **{k: r.number(k, blank=None) for k in ("low", "high", "mean", "sd", "alpha", "beta")},
            "source": r.required("source", "where the range comes from, or the reasoning behind it"),
            "at": r.at,
        }
        priors.append(build(Prior, data, str(r.path), r.line))
    return check_priors(scenario, priors)


def _distribution(text: str, r: Row) -> str:
    word = text.lower().replace("-", "").replace("_", "").replace(" ", "")
    word = _ALIASES.get(word, word)
    if word not in DISTRIBUTIONS:
        raise r.error("unknown distribution", "distribution", text, "one of " + ", ".join(DISTRIBUTIONS))
    return word


def check_priors(scenario: Scenario, priors: Sequence[Prior]) -> list[Prior]:
    """The priors with `whole` set from their levers, once each is known to give only valid scenarios:

    - every lever is one `corridor params` lists, takes a number, and has one prior;
    - prior names are unique, and the levers of one prior all take whole numbers or all do not;
    - each draw lies in each lever's valid range (the model's bounds): a normal on a share is refused,
      a truncnormal or beta within it is not;
    - the scenario still validates with every prior at the low end of its support, then at the high end.
    """
    known = list_params(scenario)
    taken: dict[str, Prior] = {}
    names: dict[str, Prior] = {}
    out = []
    for p in priors:
        if p.name in names:
            raise error_at(
                p.at,
                "a second prior with this name",
                field="name" if p.name != p.levers[0] else "lever",
                value=p.name,
                expected=f"each name once (first at {names[p.name].at or 'an earlier prior'})",
            )
        names[p.name] = p
        kinds: dict[bool, str] = {}
        for lever in p.levers:
            if lever not in known:
                raise error_at(
                    p.at, "unknown lever", field="lever", value=lever, expected=_known(scenario, lever, known)
                )
            if lever in taken:
                raise error_at(
                    p.at,
                    "a second prior for this lever",
                    field="lever",
                    value=lever,
                    expected=f"one prior a lever (first at {taken[lever].at or 'an earlier prior'})",
                )
            taken[lever] = p
            valid = lever_range(lever)
            if isinstance(valid, str):
                raise error_at(
                    p.at,
                    f"the lever takes {valid}, not a number",
                    field="lever",
                    value=lever,
                    expected="a lever that takes a number (`corridor params PATH` lists the values)",
                )
            _within(p, lever, valid)
            kinds.setdefault(valid.whole, lever)
        if len(kinds) > 1:
            raise error_at(
                p.at,
                "levers sharing a prior take different kinds of number",
                field="lever",
                value=f"{kinds[True]} (whole) and {kinds[False]} (any number)",
                expected="levers that all take whole numbers, or none that does",
            )
        out.append(p.model_copy(update={"whole": True in kinds}))
    _check_ends(scenario, out)
    return out


def _known(scenario: Scenario, lever: str, known: Mapping[str, Any]) -> str:
    """What a valid lever name looks like: where that family's names come from, and the nearest name."""
    text = "a name listed by `corridor params PATH`"
    family = lever.split(".")[0]
    named_in = _NAMED_IN[scenario.format].get(family)
    if named_in and scenario.source:
        text += f"; {family}.* levers are named from {Path(scenario.source) / named_in}"
    elif family not in {k.split(".")[0] for k in known}:
        text += " (they begin with " + ", ".join(dict.fromkeys(k.split(".")[0] for k in known)) + ")"
    close = difflib.get_close_matches(lever, list(known), n=1)
    return text + (f" (did you mean '{close[0]}'?)" if close else "")


def _within(p: Prior, lever: str, valid: LeverRange) -> None:
    """Refuse a prior whose support reaches outside the lever's valid range."""
    lo, hi = p.support()
    reaches_low = p.distribution != "lognormal"  # a lognormal comes near 0 but never draws it
    if valid.low is not None and (lo < valid.low or (lo == valid.low and valid.low_open and reaches_low)):
        _outside(p, lever, valid, "low", valid.low, ">" if valid.low_open else ">=")
    if valid.high is not None and (hi > valid.high or (hi == valid.high and valid.high_open)):
        _outside(p, lever, valid, "high", valid.high, "<" if valid.high_open else "<=")


def _outside(p: Prior, lever: str, valid: LeverRange, side: str, bound: float, sign: str) -> None:
    takes = f"{lever} takes {valid.text()}"
    where = "below" if side == "low" else "above"
    if p.distribution in ("normal", "lognormal"):
        raise error_at(
            p.at,
            f"a {p.distribution} puts mass {where} {_num(bound)}, where the lever is invalid",
            field="distribution",
            value=p.distribution,
            expected=f"a prior within the lever's range ({takes}): truncnormal with low and high, uniform or beta",
        )
    given = getattr(p, side)
    if given is None:  # an open truncnormal, or a beta on its default 0 to 1
        problem = f"a truncnormal open {where}, where the lever is invalid"
        if p.distribution == "beta":
            problem = f"a beta on 0 to 1 reaches {_num(p.support()[side == 'high'])}, where the lever is invalid"
        raise error_at(p.at, problem, field=side, expected=f"{side} {sign} {_num(bound)} ({takes})")
    raise error_at(
        p.at,
        f"{side} is outside the lever's valid range",
        field=side,
        value=given,
        expected=f"{side} {sign} {_num(bound)} ({takes})",
    )


def _check_ends(scenario: Scenario, priors: list[Prior]) -> None:
    """Validate the scenario with every prior at the low end of its support, then at the high end; a failure
    is traced to the first prior that fails on its own."""
    for side in ("low", "high"):
        ends = {}
        for p in priors:
            end = p.support()[side == "high"]
            if math.isfinite(end) and not (side == "low" and p.distribution == "lognormal"):
                ends[p.name] = end
        try:
            apply(scenario, ends, priors)
        except ScenarioError as together:
            for p in priors:
                if p.name not in ends:
                    continue
                try:
                    apply(scenario, {p.name: ends[p.name]}, [p])
                except ScenarioError as alone:
                    raise error_at(
                        p.at,
                        f"with the lever at this end the scenario is invalid: {alone}",
                        field=side,
                        value=p.value(ends[p.name]),
                    ) from None
            raise error_at(
                priors[0].at if priors else None,
                f"with every prior at its {side} end the scenario is invalid: {together}",
                field=side,
            ) from None


# --- drawing ------------------------------------------------------------------------------------


def sample(priors: Sequence[Prior], rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """`n` draws of every prior by name, from the generator `rng` (in the order of the priors, so the same
    seed gives the same draws). Draws are as the distribution gives them; `overrides` rounds those of
    whole-number levers."""
    return {p.name: np.asarray(p.sample(rng, n)) for p in priors}


def logpdf(priors: Sequence[Prior], values: Mapping[str, Any]) -> Any:
    """The joint log density of independent priors at `values` (by prior name; arrays give an array)."""
    return sum((p.logpdf(values[p.name]) for p in priors), start=np.float64(0.0))


def overrides(priors: Sequence[Prior], values: Mapping[str, float]) -> list[str]:
    """One draw (a value by prior name) as `--set` assignments: NAME=VALUE for each lever of each prior."""
    out = []
    for p in priors:
        if p.name not in values:
            continue
        v = p.value(values[p.name])
        out += [f"{lever}={v!r}" for lever in p.levers]
    return out


def apply(scenario: Scenario, values: Mapping[str, float], priors: Sequence[Prior] | None = None) -> Scenario:
    """The scenario with one draw applied (a value by prior name; priors: the scenario's own by default)."""
    return apply_overrides(scenario, overrides(scenario.priors if priors is None else priors, values))


def scipy_priors(priors: Sequence[Prior]) -> dict[str, tuple[str, tuple[float, ...], dict[str, float]]]:
    """Each prior as (scipy.stats name, args, kwargs) by name: pyabc's `RV(name, *args, **kwargs)`."""
    return {p.name: p.scipy() for p in priors}


def priors_table(scenario: Scenario) -> dict[str, str]:
    """The prior of each lever that has one, in words, by lever name ('uniform 20 to 60'; a prior shared by
    several levers is followed by its name): for printing beside the values of `corridor params`."""
    out = {}
    for p in scenario.priors:
        shared = f" ({p.name})" if len(p.levers) > 1 else ""
        for lever in p.levers:
            out[lever] = p.describe() + shared
    return out


def load_priors(folder: Path, scenario: Scenario) -> Scenario:
    """The scenario with the priors of `folder/priors.csv` (either format), when the folder has one."""
    path = Path(folder) / PRIORS_CSV
    if path.is_file():
        scenario.priors = read_priors(path, scenario)
    return scenario
